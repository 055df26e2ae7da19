/** Time is resolved outside the deciders (DESIGN §3 rule 2); tests inject their own clock. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const CLOCK = Symbol('Clock');

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};
