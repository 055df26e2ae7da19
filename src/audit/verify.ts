import { MemoryReadModelStore } from '../eventstore/memory.read-model.js';
import type { StoreBackend } from '../eventstore/open.js';
import type { Checkpoint } from '../eventstore/port.js';
import type { Projection } from '../eventstore/projection.js';
import { feed } from './replay.js';

export interface Difference {
  projection: string;
  collection: string;
  key: string;
  kind: 'missing' | 'extra' | 'different';
  /** The replayed document, the live one, or both. */
  replayed?: unknown;
  live?: unknown;
}

/**
 * Whether two JSON values are equal whatever the order of their object keys. Compared in place:
 * writing both out with sorted keys first took a quarter of a verify.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k)) continue;
    n++;
    if (!Object.hasOwn(y, k) || !sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (Object.hasOwn(y, k)) n--;
  return n === 0;
}

/**
 * `audit verify`: replays the log into memory up to the projections' live checkpoint and compares
 * every document of every collection. Projections standing at the same checkpoint (all of them, on
 * a quiet hub) share one scan of the log. A projection that moved meanwhile is compared again, so a
 * busy hub gives no false alarm.
 */
export async function verifyProjections(
  backend: StoreBackend,
  projections: Projection[],
): Promise<{ differences: Difference[]; checked: number }> {
  const differences: Difference[] = [];
  let checked = 0;
  const checkpointOf = async (p: Projection) =>
    (await backend.readModels.loadCheckpoint(p.name))?.checkpoint ?? null;
  let todo = projections;
  for (let attempt = 0; todo.length; attempt++) {
    const at = new Map<Projection, Checkpoint | null>();
    for (const p of todo) at.set(p, await checkpointOf(p));
    const moved: Projection[] = [];
    for (const group of groupBy(todo, (p) => at.get(p)!)) {
      const cp = at.get(group[0])!;
      const found = await compareGroup(backend, group, cp);
      for (const p of group) {
        if ((await checkpointOf(p)) !== cp && attempt < 5) moved.push(p);
        else {
          differences.push(...found.differences.filter((d) => d.projection === p.name));
          checked += found.checked.get(p.name) ?? 0;
        }
      }
    }
    todo = moved;
  }
  return { differences, checked };
}

function groupBy<T, K>(xs: T[], key: (x: T) => K): T[][] {
  const m = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return [...m.values()];
}

/**
 * Replays `group` into a read-model store in memory up to `cp` (the head when undefined), in one
 * scan of the log and in this thread. bench/replay times it as the floor of a rebuild: the same
 * reading and projections, with no table of the store written.
 */
export async function replayIntoMemory(
  backend: StoreBackend,
  group: Projection[],
  cp?: Checkpoint | null,
): Promise<MemoryReadModelStore> {
  const mem = new MemoryReadModelStore();
  const collections = group.flatMap((p) => p.collections);
  await mem.ensureCollections(collections);
  await mem.rebuild({
    projections: group.map((p) => ({ name: p.name, version: p.version })),
    collections,
    fill: async (batch, shadow) =>
      cp === null ? null : (await feed(backend, group, batch, { until: cp, fresh: shadow })).checkpoint,
    finish: async (_tx, from) => from,
  });
  return mem;
}

/** Replays `group` into memory up to `cp` in one scan and compares their collections with the live ones. */
async function compareGroup(
  backend: StoreBackend,
  group: Projection[],
  cp: Checkpoint | null,
): Promise<{ differences: Difference[]; checked: Map<string, number> }> {
  const mem = await replayIntoMemory(backend, group, cp);
  const differences: Difference[] = [];
  const checked = new Map<string, number>();
  for (const p of group) {
    let n = 0;
    for (const c of p.collections) {
      const live = new Map(await backend.readModels.reader.entries<unknown>(c.name));
      const replayed = new Map(await mem.reader.entries<unknown>(c.name));
      const base = { projection: p.name, collection: c.name };
      for (const [key, doc] of replayed) {
        n++;
        const l = live.get(key);
        if (l === undefined) differences.push({ ...base, key, kind: 'missing', replayed: doc });
        else if (!sameJson(l, doc))
          differences.push({ ...base, key, kind: 'different', replayed: doc, live: l });
      }
      for (const [key, doc] of live)
        if (!replayed.has(key)) differences.push({ ...base, key, kind: 'extra', live: doc });
    }
    checked.set(p.name, n);
  }
  return { differences, checked };
}
