// A thread of a parallel rebuild (rebuild.threads.ts): replays the log into the fresh tables of one
// group of projections, on connections of its own, up to the checkpoint the whole rebuild runs to.
import { parentPort, workerData } from 'node:worker_threads';
import { openBackend } from '../eventstore/open.js';
import { ALL_PROJECTIONS } from '../projections.js';
import { feed } from './replay.js';
import { Mutex, type WriteLock } from '../eventstore/mutex.js';
import type { GroupJob, GroupMessage, LockGranted } from './rebuild.threads.js';

const job = workerData as GroupJob;
const post = (m: GroupMessage) => parentPort!.postMessage(m);

/**
 * The opening thread's write lock, borrowed for each write: SQLite has one writer at a time, and
 * racing the hub's appends for it through busy_timeout lets one side starve (seen: "database is
 * locked" after 5 s). Turns are asked for one at a time; the Mutex keeps this thread's in order.
 */
class BorrowedLock implements WriteLock {
  private local = new Mutex();
  private granted: (() => void) | null = null;

  constructor() {
    parentPort!.on('message', (m: LockGranted) => {
      if (m.kind === 'granted') this.granted?.();
    });
  }

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.local.run(async () => {
      await new Promise<void>((resolve) => {
        this.granted = resolve;
        post({ kind: 'lock' });
      });
      try {
        return await fn();
      } finally {
        this.granted = null;
        post({ kind: 'unlock' });
      }
    });
  }
}

async function run(): Promise<void> {
  const backend = await openBackend(job.url, {
    requireMultiStreamAppends: false,
    writeLock: job.lock ? new BorrowedLock() : undefined,
  });
  let r: Awaited<ReturnType<typeof feed>>;
  try {
    const projections = ALL_PROJECTIONS.filter((p) => job.projections.includes(p.name));
    r = await backend.readModels.fillShadow((batch, shadow) =>
      feed(backend, projections, batch, {
        fresh: shadow,
        until: job.until,
        onProgress: (p) => post({ kind: 'progress', position: p.position }),
      }),
    );
  } finally {
    await backend.close();
  }
  // Only once its connections are closed: the rebuild then swaps the tables in.
  post({ kind: 'done', applied: r.applied, types: r.types });
}

run().catch((e: unknown) => {
  post({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
});
