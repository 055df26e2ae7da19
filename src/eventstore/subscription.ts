import type { Checkpoint, ReadAllOptions, ReadAllPage, SubscribeOptions } from './port.js';

/**
 * Catch-up then live, shared by every adapter: page through readAll, hand each page to onBatch in
 * order, and when caught up wait for a wake-up (an in-process signal, LISTEN/NOTIFY) or the poll
 * interval, whichever comes first. Position persistence is the caller's, so it can commit the
 * checkpoint in the same transaction as its read model.
 */
export async function runSubscription(
  readAll: (o: ReadAllOptions) => Promise<ReadAllPage>,
  waitForAppend: (signal: AbortSignal, timeoutMs: number, since: number) => Promise<void>,
  opts: SubscribeOptions,
  /**
   * The wake-up count (AppendNotifier.version), taken before each read: an append that woke
   * everybody between the read and the wait is not waited for again until the poll interval.
   */
  wakeUps: () => number,
): Promise<void> {
  let after: Checkpoint | null = opts.after ?? null;
  const batchSize = opts.batchSize ?? 500;
  const pollMs = opts.pollIntervalMs ?? 500;
  while (!opts.signal.aborted) {
    const seen = wakeUps();
    const page = await readAll({ after, maxCount: batchSize, filter: opts.filter });
    if (opts.signal.aborted) return;
    if (page.events.length > 0 || (page.checkpoint !== null && page.checkpoint !== after)) {
      // An empty page that still moved the checkpoint means filtered-out events were skipped:
      // report it, so a subscriber that saves checkpoints does not rescan them after a restart.
      await opts.onBatch(page.events, page.checkpoint!);
      after = page.checkpoint;
    }
    if (page.atEnd) {
      opts.onCaughtUp?.(after);
      await waitForAppend(opts.signal, pollMs, seen);
    }
  }
}

/** A wake-up signal for subscribers in this process; waiting ends on notify, abort or timeout. */
export class AppendNotifier {
  private waiters = new Set<() => void>();
  private count = 0;

  /** How many notifications there have been. */
  get version(): number {
    return this.count;
  }

  notify(): void {
    this.count++;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** With `since` (a version taken earlier), returns at once when a notification came after it. */
  wait(signal: AbortSignal, timeoutMs: number, since?: number): Promise<void> {
    if (signal.aborted || (since !== undefined && since !== this.count)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}
