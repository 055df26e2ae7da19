import type { StoreBackend } from '../eventstore/open.js';
import type { Projection } from '../eventstore/projection.js';
import { feed, type Progress } from './replay.js';

export interface RebuildStats {
  projections: string[];
  /** Events of the log the scan fed to the projections. */
  events: number;
  /** Events each projection applied. */
  applied: Record<string, number>;
  seconds: number;
  eventsPerSecond: number;
}

/**
 * `audit rebuild`: the projections are replayed from zero — one scan of the log feeding them all —
 * into fresh tables while the live ones keep answering, then swapped in atomically together with
 * what was appended meanwhile (ReadModelStore.rebuild).
 */
export async function rebuildProjections(
  backend: StoreBackend,
  projections: Projection[],
  onProgress?: (p: Progress) => void,
): Promise<RebuildStats> {
  const started = performance.now();
  let events = 0;
  const applied: Record<string, number> = Object.fromEntries(projections.map((p) => [p.name, 0]));
  const add = (a: Record<string, number>) => {
    for (const [k, v] of Object.entries(a)) applied[k] += v;
  };
  await backend.readModels.rebuild({
    projections: projections.map((p) => ({ name: p.name, version: p.version })),
    collections: projections.flatMap((p) => p.collections),
    fill: async (batch, shadow) => {
      const r = await feed(backend, projections, batch, { onProgress, fresh: shadow });
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
