// bench/replay's generated mix of events (which every projection consumes) as a test log, and the
// read models it leaves, for comparing rebuilds.
import { generate, noRows } from '../../bench/replay.js';
import { openBackend, type StoreBackend } from 'koji-es/eventstore/open';
import type { NewEvent, StreamWrite } from 'koji-es/eventstore/port';
import { ALL_PROJECTIONS } from 'koji-es/projections';

/** The generated log as appends of about 500 events, each one multi-stream append. */
export function appends(total: number): StreamWrite[][] {
  const out: StreamWrite[][] = [];
  let batch = new Map<string, NewEvent[]>();
  let size = 0;
  const flush = () => {
    out.push([...batch].map(([stream, events]) => ({ stream, events, expectedVersion: 'any' })));
    batch = new Map();
    size = 0;
  };
  for (const cmd of generate(total, noRows())) {
    for (const { stream, event } of cmd) batch.set(stream, [...(batch.get(stream) ?? []), event]);
    size += cmd.length;
    if (size >= 500) flush();
  }
  if (size) flush();
  return out;
}

export const eventCount = (log: StreamWrite[][]) => log.flat().reduce((n, w) => n + w.events.length, 0);

/** Every document of every collection, for comparing two stores. */
export async function snapshot(b: StoreBackend): Promise<Record<string, [string, unknown][]>> {
  const out: Record<string, [string, unknown][]> = {};
  for (const c of ALL_PROJECTIONS.flatMap((p) => p.collections))
    out[c.name] = await b.readModels.reader.entries(c.name);
  return out;
}

export async function openFilled(url: string, writes: StreamWrite[][]): Promise<StoreBackend> {
  const b = await openBackend(url);
  await b.readModels.ensureCollections(ALL_PROJECTIONS.flatMap((p) => p.collections));
  for (const w of writes) await b.events.appendMulti(w);
  return b;
}
