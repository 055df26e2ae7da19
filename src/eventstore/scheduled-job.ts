import { Logger } from '@nestjs/common';
import type { StoreBackend } from './open.js';
import type { ProjectionRunner } from './projection-runner.js';

/**
 * The log contexts of the hub's own jobs. The hub's logger shows `log` lines of these contexts only:
 * what a job removed must be in the hub log, Nest's start-up chatter (InstanceLoader,
 * RoutesResolver, RouterExplorer, …) must not.
 */
export const JOB_LOG_CONTEXTS = new Set<string>();

/**
 * How soon after start-up the first pass runs. A timer that first fires after a whole interval
 * never fires in a hub restarted more often than that (gc_interval is an hour).
 */
export const FIRST_PASS_MS = 1000;

export interface ScheduledJobOptions {
  /** The log context and the lock's name (`scheduler:<name>`). */
  name: string;
  everyMs: number;
  backend: StoreBackend;
  runner: ProjectionRunner;
  /** One pass; its lines go to `log`. */
  pass: (log: Logger) => Promise<void>;
}

/**
 * A pass of a hub job soon after start-up, then every `everyMs` after the previous one ended. A pass
 * runs under a lock in the database, so of several hubs on one database one does it at a time (the
 * others skip that turn), and only once this hub's read models reached the log's head as it was at
 * the pass's start: right after start-up they may still be catching up, and a job that selects what
 * to remove from a stale read model removes the wrong thing.
 */
export class ScheduledJob {
  readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: ScheduledJobOptions) {
    JOB_LOG_CONTEXTS.add(o.name);
    this.log = new Logger(o.name);
  }

  start(): void {
    if (this.o.everyMs > 0) this.arm(Math.min(FIRST_PASS_MS, this.o.everyMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass now, unless another hub holds the lock; false when it did not run. */
  async runOnce(): Promise<boolean> {
    const lock = `scheduler:${this.o.name}`;
    if (!(await this.o.backend.readModels.tryLockProjection(lock))) return false;
    try {
      if (!(await this.caughtUp())) return false;
      await this.o.pass(this.log);
      return true;
    } finally {
      await this.o.backend.readModels.unlockProjection(lock);
    }
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then(
          () => undefined,
          (e: unknown) => this.log.warn(`failed: ${(e as Error).message}`),
        )
        .finally(() => {
          this.running = null;
          this.arm(this.o.everyMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** Waits (in short steps, so stop() is not held up) until the read models reach today's head. */
  private async caughtUp(): Promise<boolean> {
    const head = await this.o.backend.events.headCheckpoint();
    if (head === null) return true;
    while (!this.stopped) if ((await this.o.runner.waitFor(head, 1000)).reached) return true;
    return false;
  }
}
