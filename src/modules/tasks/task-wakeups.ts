import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { STORE_BACKEND } from '../../app.tokens.js';
import type { StoreBackend } from '../../eventstore/open.js';
import { ProjectionRunner } from '../../eventstore/projection-runner.js';

export interface WakeupAnswer {
  /** True when a task was made since the generation the builder gave. */
  woken: boolean;
  generation: number;
}

/** Events after which a builder may find a task to take: a new task, or one given back to the queue. */
const TAKEABLE = ['TaskCreated', 'TaskFreed'];

/**
 * Wake-up hints for idle builders (host.waitForTasks). kojid sleeps `sleeptime` between passes; a
 * koji-es builder long-polls instead, and a task that becomes takeable ends every wait at once, so
 * it starts in milliseconds rather than half a poll interval on average. A generation number closes
 * the gap between a builder's last look and its next wait.
 *
 * The hints follow the event log rather than the commands that make tasks, so every path that makes
 * one (makeTask, runroot, saveFailedTree, newRepo, the repo manager, a host timeout freeing a task)
 * wakes builders, and on PostgreSQL so does a task made through another hub of the same database.
 * A hint is given once the read models have the event, so the builder's host.getTasks sees the task.
 */
@Injectable()
export class TaskWakeups implements OnApplicationBootstrap, OnApplicationShutdown {
  private generation = 0;
  private readonly waiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private following: Promise<void> | null = null;
  private released = false;

  constructor(
    @Inject(STORE_BACKEND) private readonly backend: StoreBackend,
    private readonly runner: ProjectionRunner,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const events = this.backend.events;
    const after = await events.headCheckpoint();
    this.following = events
      .subscribe({
        after,
        filter: { types: TAKEABLE },
        signal: this.abort.signal,
        pollIntervalMs: 1000,
        onBatch: async (events, checkpoint) => {
          // A page of filtered-out events only moves the checkpoint: nothing to wake anyone for.
          if (events.length === 0) return;
          await this.runner.waitFor(checkpoint, 5000);
          this.notify();
        },
      })
      .catch((e: Error) => {
        // Builders still poll on their interval; only the shortcut is lost.
        if (!this.abort.signal.aborted) process.stderr.write(`task wake-ups stopped: ${e.message}\n`);
      });
  }

  async onApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.following;
  }

  /**
   * The hub is stopping: every waiting builder is answered now, and later waits answer at once, so
   * no long-poll holds the HTTP server open.
   */
  release(): void {
    this.released = true;
    for (const w of [...this.waiters]) w();
  }

  /** A task was made: every waiting builder looks now. */
  notify(): void {
    this.generation++;
    for (const w of [...this.waiters]) w();
  }

  /**
   * Answers at once when the builder has no generation yet or has missed one; otherwise when the
   * next task is made or after `ms`.
   */
  wait(since: number | null, ms: number): Promise<WakeupAnswer> {
    if (since === null || since !== this.generation || this.released)
      return Promise.resolve({ woken: since !== null, generation: this.generation });
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve({ woken, generation: this.generation });
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.waiters.add(wake);
    });
  }
}
