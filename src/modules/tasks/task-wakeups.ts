import { Injectable } from '@nestjs/common';

export interface WakeupAnswer {
  /** True when a task was made since the generation the builder gave. */
  woken: boolean;
  generation: number;
}

/**
 * Wake-up hints for idle builders (host.waitForTasks). kojid sleeps `sleeptime` between passes; a
 * koji-es builder long-polls instead, and a task made on this hub ends every wait at once, so a
 * new task starts in milliseconds rather than half a poll interval on average. A generation number
 * closes the gap between a builder's last look and its next wait. Hints stay within one hub
 * process: builders attached to another hub of a shared database keep their poll interval.
 */
@Injectable()
export class TaskWakeups {
  private generation = 0;
  private readonly waiters = new Set<() => void>();

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
    if (since === null || since !== this.generation)
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
