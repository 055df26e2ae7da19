import { KojiError } from '../kernel/errors.js';
import type { HubClient } from '../cli/client.js';
import type { BuilderLogger } from './log.js';

/** Thrown by a retrying call when its signal aborts first. */
export class Aborted extends Error {
  constructor(readonly reason: unknown) {
    super('aborted');
  }
}

/** Anything that is not a fault from the hub is taken as "the hub is not reachable right now". */
export const isTransient = (e: unknown): boolean => !(e instanceof KojiError) && !(e instanceof Aborted);

/** Sleeps `ms`, or less when `signal` aborts; never throws. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface Backoff {
  minMs: number;
  maxMs: number;
}

/**
 * The builder's line to the hub. kojid's ClientSession retries a call a fixed number of times and
 * then gives up; a koji-es builder keeps retrying with capped, jittered exponential backoff, so it
 * rides out a hub restart of any length and carries on with the tasks it holds.
 */
export class HubConnection {
  private offlineSince: number | null = null;

  constructor(
    readonly client: HubClient,
    private readonly log: BuilderLogger,
    private readonly backoff: Backoff,
  ) {}

  get online(): boolean {
    return this.offlineSince === null;
  }

  /** One call; a transient failure is recorded (for the log) and rethrown. */
  async call<T = unknown>(method: string, params: unknown[] | Record<string, unknown> = []): Promise<T> {
    try {
      const r = await this.client.call<T>(method, params);
      this.up();
      return r;
    } catch (e) {
      if (isTransient(e)) this.down(e);
      else this.up();
      throw e;
    }
  }

  /** Retries transient failures until the call gets an answer (a result or a Koji fault) or `signal` aborts. */
  async retry<T = unknown>(
    method: string,
    params: unknown[] | Record<string, unknown> = [],
    signal?: AbortSignal,
  ): Promise<T> {
    let delay = this.backoff.minMs;
    for (;;) {
      if (signal?.aborted) throw new Aborted(signal.reason);
      try {
        return await this.call<T>(method, params);
      } catch (e) {
        if (!isTransient(e)) throw e;
      }
      await pause(this.jitter(delay), signal);
      delay = Math.min(this.backoff.maxMs, delay * 2);
    }
  }

  jitter(ms: number): number {
    return Math.round(ms * (0.8 + Math.random() * 0.4));
  }

  private down(e: unknown) {
    if (this.offlineSince !== null) return;
    this.offlineSince = Date.now();
    this.log.warn(`lost the hub: ${(e as Error)?.message ?? String(e)}; retrying with backoff`);
  }

  private up() {
    if (this.offlineSince === null) return;
    const s = ((Date.now() - this.offlineSince) / 1000).toFixed(1);
    this.offlineSince = null;
    this.log.info(`reconnected to the hub after ${s} s`);
  }
}
