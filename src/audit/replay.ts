import { BufferedTx } from '../eventstore/buffered-tx.js';
import type { StoreBackend } from '../eventstore/open.js';
import {
  compareCheckpoints,
  type Checkpoint,
  type LogFilter,
  type RecordedEvent,
} from '../eventstore/port.js';
import type { Projection } from '../eventstore/projection.js';
import type { ReadModelReader, ReadModelTx } from '../eventstore/read-model.port.js';
import { matchesFilter } from '../eventstore/log-filter.js';
import { upcasters as defaultUpcasters, type UpcasterRegistry } from '../kernel/upcasters.js';

export interface Progress {
  projection: string;
  events: number;
  /** Global position reached and the head it runs to, for a percentage. */
  position: number;
  head: number;
}

const PAGE = 10_000;
/** Documents a rebuild keeps in memory before writing them out in one transaction. */
const FLUSH_AT = 100_000;

/** The union of the projections' filters, so one scan of the log serves them all. */
function unionFilter(projections: Projection[]): LogFilter | undefined {
  if (projections.some((p) => !p.filter)) return undefined;
  const types = new Set<string>();
  for (const p of projections) {
    if (p.filter?.streamPrefixes) return undefined;
    for (const t of p.filter?.types ?? []) types.add(t);
  }
  return { types: [...types] };
}

/**
 * Feeds projections the log from `after` to `until` (or to the head) in pages, one scan for all of
 * them, each page through `batch` — a rebuild commits page by page, a verify replays into memory.
 * Returns how far it got and how many events each projection applied.
 */
export async function feed(
  backend: StoreBackend,
  projections: Projection[],
  batch: (fn: (tx: ReadModelTx) => Promise<void>) => Promise<void>,
  o: {
    after?: Checkpoint | null;
    until?: Checkpoint | null;
    registry?: UpcasterRegistry;
    onProgress?: (p: Progress) => void;
    /**
     * The fresh, empty tables of a rebuild: documents then stay in memory across pages (a miss is
     * known to be absent) and go out in bulk every FLUSH_AT documents.
     */
    fresh?: ReadModelReader;
  } = {},
): Promise<{ checkpoint: Checkpoint | null; events: number; applied: Record<string, number> }> {
  const registry = o.registry ?? defaultUpcasters;
  const headCp = await backend.events.headCheckpoint();
  const head = headCp ? backend.events.positionOf(headCp) : 0;
  const filter = unionFilter(projections);
  const applied: Record<string, number> = Object.fromEntries(projections.map((p) => [p.name, 0]));
  const label = projections.length === 1 ? projections[0].name : 'all';
  let after = o.after ?? null;
  let events = 0;
  const fresh = o.fresh ? new BufferedTx(o.fresh, { emptyBase: true }) : null;
  for (;;) {
    if (o.until !== undefined && o.until !== null && compareCheckpoints(after, o.until) >= 0) break;
    const page = await backend.events.readAll({ after, maxCount: PAGE, filter });
    let list: RecordedEvent[] = page.events;
    if (o.until) list = list.filter((e) => compareCheckpoints(e.checkpoint, o.until) <= 0);
    if (list.length) {
      const apply = async (buffered: BufferedTx) => {
        for (const raw of list) {
          const e = registry.upcast(raw);
          for (const p of projections) {
            if (!matchesFilter(e, p.filter)) continue;
            await p.apply(e, buffered);
            applied[p.name]++;
          }
        }
      };
      if (fresh) {
        await apply(fresh);
        if (fresh.size >= FLUSH_AT) await batch((tx) => fresh.flush(tx));
      } else
        await batch(async (tx) => {
          const buffered = new BufferedTx(tx);
          await apply(buffered);
          await buffered.flush(tx);
        });
      events += list.length;
    }
    const reached =
      o.until && page.checkpoint && compareCheckpoints(page.checkpoint, o.until) > 0
        ? o.until
        : page.checkpoint;
    if (reached === after && page.atEnd) break;
    after = reached;
    o.onProgress?.({
      projection: label,
      events,
      position: after ? backend.events.positionOf(after) : 0,
      head,
    });
    if (page.atEnd && !o.until) break;
  }
  if (fresh?.size) await batch((tx) => fresh.flush(tx));
  return { checkpoint: after, events, applied };
}
