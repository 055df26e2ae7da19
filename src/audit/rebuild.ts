import type { StoreBackend } from '../eventstore/open.js';
import { Mutex } from '../eventstore/mutex.js';
import { SqliteEventStore } from '../eventstore/sqlite.store.js';
import type { Projection } from '../eventstore/projection.js';
import { feed, type Progress } from './replay.js';
import { defaultThreads, fillInThreads, planGroups, THREADS_FROM_EVENTS } from './rebuild.threads.js';

export interface RebuildStats {
  projections: string[];
  /** Events of the log the scan fed to the projections. */
  events: number;
  /** Events each projection applied. */
  applied: Record<string, number>;
  /** The groups of projections replayed in threads of their own (one group: in the calling thread). */
  groups: string[][];
  seconds: number;
  eventsPerSecond: number;
}

export interface RebuildProjectionsOptions {
  /** Threads to replay in (rebuild.threads.ts); by default from the store and the log's length. */
  threads?: number;
  /** Stops the replay (the fresh tables are dropped and the live ones stay as they were). */
  signal?: AbortSignal;
}

/**
 * Rebuilds in this process take turns: two at once would share the fresh tables (`rmnext_*`) and
 * drop them under each other (seen: "no such table: rmnext_session_locks"). The hub's catch-up at
 * start and `auditRebuild` are such a pair. One lock for every store: rebuilds are rare. Other
 * processes are held off by the store where it can (ReadModelStore.lockRebuilds).
 */
const rebuilding = new Mutex();

/**
 * `audit rebuild`: the projections are replayed from zero — one scan of the log feeding them all —
 * into fresh tables while the live ones keep answering, then swapped in atomically together with
 * what was appended meanwhile (ReadModelStore.rebuild).
 */
export async function rebuildProjections(
  backend: StoreBackend,
  projections: Projection[],
  onProgress?: (p: Progress) => void,
  o: RebuildProjectionsOptions = {},
): Promise<RebuildStats> {
  return rebuilding.run(async () => {
    o.signal?.throwIfAborted();
    // And with other processes on the same database (PostgreSQL).
    const release = await backend.readModels.lockRebuilds?.(o.signal);
    try {
      return await rebuildNow(backend, projections, onProgress, o);
    } finally {
      await release?.();
    }
  });
}

async function rebuildNow(
  backend: StoreBackend,
  projections: Projection[],
  onProgress: ((p: Progress) => void) | undefined,
  o: RebuildProjectionsOptions,
): Promise<RebuildStats> {
  const started = performance.now();
  // Threads asked for are used whatever the log's length; by default only for a long log.
  const groups = await planGroups(
    backend,
    projections,
    o.threads ?? defaultThreads(backend.url.kind),
    o.threads === undefined ? THREADS_FROM_EVENTS : 0,
  );
  let events = 0;
  const applied: Record<string, number> = Object.fromEntries(projections.map((p) => [p.name, 0]));
  const add = (a: Record<string, number>) => {
    for (const [k, v] of Object.entries(a)) applied[k] += v;
  };
  await backend.readModels.rebuild({
    projections: projections.map((p) => ({ name: p.name, version: p.version })),
    collections: projections.flatMap((p) => p.collections),
    fill: async (batch, shadow) => {
      const until = groups && (await backend.events.headCheckpoint());
      if (!groups || !until) {
        const r = await feed(backend, projections, batch, { onProgress, fresh: shadow, signal: o.signal });
        events += r.events;
        add(r.applied);
        return r.checkpoint;
      }
      const head = backend.events.positionOf(until);
      // Every thread has read the log up to `position`: about that many events are done.
      const lock = backend.events instanceof SqliteEventStore ? backend.events.writeLock : null;
      const threads = await fillInThreads(
        backend.url,
        groups,
        until,
        lock,
        (position) => onProgress?.({ projection: 'all', events: position, position, head }),
        o.signal,
      );
      events += threads.events;
      add(threads.applied);
      // What was appended while the threads ran, in this thread, before the swap's short transaction.
      const r = await feed(backend, projections, batch, { after: until, signal: o.signal });
      events += r.events;
      add(r.applied);
      return r.checkpoint;
    },
    finish: async (tx, from) => {
      const r = await feed(backend, projections, async (fn) => fn(tx), { after: from });
      events += r.events;
      add(r.applied);
      return r.checkpoint;
    },
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    projections: projections.map((p) => p.name),
    groups: groups ? groups.map((g) => g.map((p) => p.name)) : [projections.map((p) => p.name)],
    events,
    applied,
    seconds,
    eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : events,
  };
}

export function selectProjections(all: Projection[], name?: string | null): Projection[] {
  if (!name) return all;
  const p = all.find((x) => x.name === name);
  if (!p) throw new Error(`no projection ${name}; projections: ${all.map((x) => x.name).join(', ')}`);
  return [p];
}
