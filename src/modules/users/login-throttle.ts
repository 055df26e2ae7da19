import type { Clock } from '../../kernel/clock.js';

const WINDOW_MS = 60_000;
const FREE_FAILURES = 5;
const MAX_DELAY_MS = 30_000;

/**
 * Slows password guessing: after 5 failures for one user or one address within 60 s, each further
 * attempt waits first — 1 s, then doubling, up to 30 s. Kept in memory: a restart forgets it, which
 * only ever makes the hub more lenient, never locks anyone out.
 */
export class LoginThrottle {
  private failures = new Map<string, number[]>();

  constructor(private readonly clock: Clock) {}

  private recent(key: string): number[] {
    const now = this.clock.now().getTime();
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** How long the next attempt for this user from this address must wait, in ms. */
  delayFor(user: string, address: string): number {
    const n = Math.max(this.recent(`u:${user}`).length, this.recent(`a:${address}`).length);
    if (n < FREE_FAILURES) return 0;
    return Math.min(MAX_DELAY_MS, 1000 * 2 ** (n - FREE_FAILURES));
  }

  async beforeAttempt(user: string, address: string): Promise<void> {
    const d = this.delayFor(user, address);
    if (d > 0) await this.clock.sleep(d);
  }

  failed(user: string, address: string): void {
    const now = this.clock.now().getTime();
    for (const k of [`u:${user}`, `a:${address}`]) this.failures.set(k, [...this.recent(k), now]);
  }

  succeeded(user: string): void {
    this.failures.delete(`u:${user}`);
  }
}
