import { MemoryReadModelStore } from '../eventstore/memory.read-model.js';
import type { StoreBackend } from '../eventstore/open.js';
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

/** JSON with object keys sorted, so two equal documents compare equal whatever their key order. */
export const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );

/**
 * `audit verify`: replays the log into memory up to each projection's live checkpoint and compares
 * every document of every collection. A projection that moved meanwhile is compared again, so a
 * busy hub gives no false alarm.
 */
export async function verifyProjections(
  backend: StoreBackend,
  projections: Projection[],
): Promise<{ differences: Difference[]; checked: number }> {
  const differences: Difference[] = [];
  let checked = 0;
  for (const p of projections) {
    for (let attempt = 0; ; attempt++) {
      const cp = (await backend.readModels.loadCheckpoint(p.name))?.checkpoint ?? null;
      const mem = new MemoryReadModelStore();
      await mem.ensureCollections(p.collections);
      await mem.rebuild({
        projections: [{ name: p.name, version: p.version }],
        collections: p.collections,
        fill: async (batch, shadow) =>
          cp === null ? null : (await feed(backend, [p], batch, { until: cp, fresh: shadow })).checkpoint,
        finish: async (_tx, from) => from,
      });
      const found: Difference[] = [];
      let n = 0;
      for (const c of p.collections) {
        const live = new Map(await backend.readModels.reader.entries<unknown>(c.name));
        const replayed = new Map(await mem.reader.entries<unknown>(c.name));
        for (const [key, doc] of replayed) {
          n++;
          const l = live.get(key);
          if (l === undefined)
            found.push({ projection: p.name, collection: c.name, key, kind: 'missing', replayed: doc });
          else if (canonical(l) !== canonical(doc))
            found.push({
              projection: p.name,
              collection: c.name,
              key,
              kind: 'different',
              replayed: doc,
              live: l,
            });
        }
        for (const [key, doc] of live)
          if (!replayed.has(key))
            found.push({ projection: p.name, collection: c.name, key, kind: 'extra', live: doc });
      }
      const after = (await backend.readModels.loadCheckpoint(p.name))?.checkpoint ?? null;
      if (after === cp || attempt >= 5) {
        differences.push(...found);
        checked += n;
        break;
      }
    }
  }
  return { differences, checked };
}
