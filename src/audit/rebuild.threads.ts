import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StoreBackend } from '../eventstore/open.js';
import type { Checkpoint } from '../eventstore/port.js';
import type { Projection } from '../eventstore/projection.js';
import type { WriteLock } from '../eventstore/mutex.js';
import type { StoreUrl } from '../eventstore/store-url.js';
import { ALL_PROJECTIONS } from '../projections.js';
import { splitProjections } from './rebuild.groups.js';

/** What a rebuild thread replays (rebuild.worker.ts). */
export interface GroupJob {
  url: StoreUrl;
  projections: string[];
  until: Checkpoint;
  /** Whether its writes borrow the opening thread's write lock. */
  lock: boolean;
}

export type GroupMessage =
  | { kind: 'progress'; position: number }
  /** The thread asks for the opening thread's write lock (SQLite), and gives it back. */
  | { kind: 'lock' }
  | { kind: 'unlock' }
  | { kind: 'done'; applied: Record<string, number>; types: Record<string, number> }
  | { kind: 'failed'; message: string };

export interface GroupResult {
  applied: Record<string, number>;
  /** Events read, per type: two groups reading a type read the same events. */
  types: Record<string, number>;
}

/** The opening thread's answer to `lock`. */
export interface LockGranted {
  kind: 'granted';
}

/** Events of the log's tail sampled to weigh the projections against each other. */
const SAMPLE = 100_000;

/**
 * Threads a rebuild uses unless told. On SQLite each group keeps about two cores busy: its replay
 * thread, the thread reading the log ahead for it and the one writing its tables. With those, one
 * group on 2 cores rebuilt 1,000,000 events at 176,000 events/s and two groups at 159,000, so SQLite
 * takes a group per two cores. On PostgreSQL the server does the writing; two groups on 2 cores
 * were still a little ahead there (75,800 against 73,400 events/s).
 */
export function defaultThreads(kind: StoreUrl['kind']): number {
  const cores = availableParallelism();
  return kind === 'sqlite' ? Math.max(1, Math.floor(cores / 2)) : cores;
}

/**
 * Unless threads are asked for, a log shorter than this is rebuilt in the calling thread. Starting
 * the threads (each loads the projections and opens the store, and has its own scan and, on
 * SQLite, writer thread) costs about 0.3 s on the 2-core machine the figures come from: on
 * PostgreSQL 20,000 events rebuilt slower in 2 threads, 100,000 as fast, 1,000,000 faster.
 */
export const THREADS_FROM_EVENTS = 500_000;

/**
 * The groups a rebuild of `projections` replays in threads of their own, or null when it runs in
 * this thread: one thread asked for, a store a thread cannot open again (memory, an in-memory SQLite
 * database, KurrentDB), projections other than the product's, a log too short to be worth the
 * threads, or a log whose mix is one group.
 */
export async function planGroups(
  backend: StoreBackend,
  projections: Projection[],
  threads: number,
  /** A log shorter than this is replayed in this thread (THREADS_FROM_EVENTS unless threads were asked for). */
  minEvents: number,
): Promise<Projection[][] | null> {
  const u = backend.url;
  const reopenable = (u.kind === 'sqlite' && u.path !== ':memory:') || u.kind === 'postgres';
  if (threads < 2 || projections.length < 2 || !reopenable || !backend.events.recentTypeCounts) return null;
  const head = await backend.events.headCheckpoint();
  if (!head || backend.events.positionOf(head) < minEvents) return null;
  if (!projections.every((p) => ALL_PROJECTIONS.includes(p))) return null;
  const groups = splitProjections(projections, await backend.events.recentTypeCounts(SAMPLE), threads);
  return groups.length > 1 ? groups : null;
}

/**
 * Replays each group into the rebuild's fresh tables in a worker thread of its own (its own
 * connections, reads and writes), all up to `until`. Spread over the cores this way, a rebuild is
 * no longer bound to one thread's CPU. If one fails, the others are stopped before the error goes
 * on, so nothing writes into the tables the caller then drops.
 */
export async function fillInThreads(
  url: StoreUrl,
  groups: Projection[][],
  until: Checkpoint,
  /** The store's write lock, lent to the threads' writes (SQLite); none for PostgreSQL. */
  lock: WriteLock | null,
  /** The log position every thread has got past (the slowest one's). */
  onProgress: (position: number) => void,
  /** Stops the threads, with the signal's reason. */
  signal?: AbortSignal,
): Promise<GroupResult & { events: number }> {
  const positions = groups.map(() => 0);
  const report = () => onProgress(Math.min(...positions));
  const workers: Worker[] = [];
  const runs = groups.map(
    (g, i) =>
      new Promise<GroupResult>((resolve, reject) => {
        const job: GroupJob = { url, projections: g.map((p) => p.name), until, lock: lock !== null };
        const w = new Worker(join(__dirname, 'rebuild.worker.js'), { workerData: job });
        workers.push(w);
        let settled = false;
        const names = job.projections.join(', ');
        const turns = lock ? lendTo(w, lock) : null;
        w.on('message', (m: GroupMessage) => {
          if (m.kind === 'lock') turns?.lend();
          else if (m.kind === 'unlock') turns?.takeBack();
          else if (m.kind === 'progress') {
            positions[i] = m.position;
            report();
          } else if (m.kind === 'done') {
            settled = true;
            resolve({ applied: m.applied, types: m.types });
          } else {
            settled = true;
            reject(new Error(`rebuilding ${names}: ${m.message}`));
          }
        });
        w.on('error', (e) => {
          settled = true;
          reject(new Error(`rebuilding ${names}: ${e.message}`));
        });
        w.on('exit', (code) => {
          turns?.exited();
          if (!settled) reject(new Error(`the thread rebuilding ${names} stopped (exit ${code})`));
        });
      }),
  );
  let stop = () => {};
  const stopped = new Promise<never>((_, reject) => {
    stop = () => reject(signal!.reason as Error);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
  stopped.catch(() => {});
  try {
    const results = await Promise.race([Promise.all(runs), stopped]);
    const types = Object.assign({}, ...results.map((r) => r.types)) as Record<string, number>;
    return {
      applied: Object.assign({}, ...results.map((r) => r.applied)) as Record<string, number>,
      types,
      events: Object.values(types).reduce((a, b) => a + b, 0),
    };
  } finally {
    signal?.removeEventListener('abort', stop);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * The write lock lent to a rebuild thread: taken when the thread asks, given back when it says so,
 * or when it stops while holding the lock or waiting for it.
 */
function lendTo(w: Worker, lock: WriteLock) {
  let giveBack: (() => void) | null = null;
  let gone = false;
  const takeBack = () => {
    giveBack?.();
    giveBack = null;
  };
  return {
    lend: () =>
      void lock.run(
        () =>
          new Promise<void>((release) => {
            if (gone) return release();
            giveBack = release;
            w.postMessage({ kind: 'granted' } satisfies LockGranted);
          }),
      ),
    takeBack,
    exited: () => {
      gone = true;
      takeBack();
    },
  };
}
