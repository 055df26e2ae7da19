import type { StoreBackend } from '../eventstore/open.js';
import { compareCheckpoints, type Checkpoint } from '../eventstore/port.js';
import type { Projection } from '../eventstore/projection.js';
import type { ReadModelTx } from '../eventstore/read-model.port.js';
import { upcasters as defaultUpcasters, type UpcasterRegistry } from '../kernel/upcasters.js';

export interface Progress {
  projection: string;
  events: number;
  /** Global position reached and the head it runs to, for a percentage. */
  position: number;
  head: number;
}

const PAGE = 2000;

/**
 * Feeds a projection the log from `after` to `until` (or to the head) in pages, each page through
 * `batch` — so a rebuild commits page by page and a verify replays into memory the same way.
 */
export async function feed(
  backend: StoreBackend,
  projection: Projection,
  batch: (fn: (tx: ReadModelTx) => Promise<void>) => Promise<void>,
  o: {
    after?: Checkpoint | null;
    until?: Checkpoint | null;
    registry?: UpcasterRegistry;
    onProgress?: (p: Progress) => void;
  } = {},
): Promise<{ checkpoint: Checkpoint | null; events: number }> {
  const registry = o.registry ?? defaultUpcasters;
  const headCp = await backend.events.headCheckpoint();
  const head = headCp ? backend.events.positionOf(headCp) : 0;
  let after = o.after ?? null;
  let events = 0;
  for (;;) {
    if (o.until !== undefined && o.until !== null && compareCheckpoints(after, o.until) >= 0) break;
    const page = await backend.events.readAll({ after, maxCount: PAGE, filter: projection.filter });
    let list = page.events;
    if (o.until) list = list.filter((e) => compareCheckpoints(e.checkpoint, o.until) <= 0);
    if (list.length) {
      await batch(async (tx) => {
        for (const e of list) await projection.apply(registry.upcast(e), tx);
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
      projection: projection.name,
      events,
      position: after ? backend.events.positionOf(after) : 0,
      head,
    });
    if (page.atEnd && !o.until) break;
  }
  return { checkpoint: after, events };
}
