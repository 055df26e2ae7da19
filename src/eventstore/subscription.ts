import type { Checkpoint, ReadAllOptions, ReadAllPage, SubscribeOptions } from './port.js';

/**
 * Catch-up then live, shared by every adapter: page through readAll, hand each page to onBatch in
 * order, and when caught up wait for a wake-up (an in-process signal, LISTEN/NOTIFY) or the poll
 * interval, whichever comes first. Position persistence is the caller's, so it can commit the
 * checkpoint in the same transaction as its read model.
 */
export async function runSubscription(
  readAll: (o: ReadAllOptions) => Promise<ReadAllPage>,
  waitForAppend: (signal: AbortSignal, timeoutMs: number) => Promise<void>,
  opts: SubscribeOptions,
): Promise<void> {
  let after: Checkpoint | null = opts.after ?? null;
  const batchSize = opts.batchSize ?? 500;
  const pollMs = opts.pollIntervalMs ?? 500;
  while (!opts.signal.aborted) {
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
      await waitForAppend(opts.signal, pollMs);
    }
  }
}

/** A wake-up signal for subscribers in this process; waiting ends on notify, abort or timeout. */
export class AppendNotifier {
  private waiters = new Set<() => void>();

  notify(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  wait(signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (signal.aborted) return Promise.resolve();
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
