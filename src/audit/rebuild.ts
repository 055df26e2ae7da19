import type { StoreBackend } from '../eventstore/open.js';
import type { Projection } from '../eventstore/projection.js';
import { feed, type Progress } from './replay.js';

export interface RebuildStats {
  projection: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/**
 * `audit rebuild`: each projection is replayed from zero into fresh tables while the live ones keep
 * answering, then swapped in atomically with what was appended meanwhile (ReadModelStore.rebuild).
 */
export async function rebuildProjections(
  backend: StoreBackend,
  projections: Projection[],
  onProgress?: (p: Progress) => void,
): Promise<RebuildStats[]> {
  const out: RebuildStats[] = [];
  for (const p of projections) {
    const started = performance.now();
    let events = 0;
    await backend.readModels.rebuild({
      projection: p.name,
      version: p.version,
      collections: p.collections,
      fill: async (batch) => {
        const r = await feed(backend, p, batch, { onProgress });
        events += r.events;
        return r.checkpoint;
      },
      finish: async (tx, from) => {
        const r = await feed(backend, p, async (fn) => fn(tx), { after: from });
        events += r.events;
        return r.checkpoint;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    out.push({
      projection: p.name,
      events,
      seconds,
      eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : events,
    });
  }
  return out;
}

export function selectProjections(all: Projection[], name?: string | null): Projection[] {
  if (!name) return all;
  const p = all.find((x) => x.name === name);
  if (!p) throw new Error(`no projection ${name}; projections: ${all.map((x) => x.name).join(', ')}`);
  return [p];
}
