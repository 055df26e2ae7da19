import type { StoreBackend } from '../eventstore/open.js';
import { toEntry, type LogEntry } from './log.js';

export interface Explanation {
  chain: LogEntry[];
  /** Where the chain starts: the request that caused the first event. */
  request: { id: string | null; user: string | null; address: string | null; time: string | null };
}

/**
 * `audit explain EVENT`: the event and its chain of causes, following causationId from event to
 * event until it reaches the request (e.g. SideTagRemoved (empty) ← PackageUntagged ← alice's request).
 */
export async function explain(backend: StoreBackend, ref: string): Promise<Explanation> {
  const first = /^\d+$/.test(ref)
    ? await backend.events.lookup({ positions: [Number(ref)] })
    : await backend.events.lookup({ eventIds: [ref] });
  if (!first.length) throw new Error(`no event ${ref}`);
  const chain: LogEntry[] = [toEntry(first[0])];
  const seen = new Set([first[0].eventId]);
  let cur = first[0];
  for (;;) {
    const cause = cur.metadata.causationId as string | undefined;
    if (!cause || seen.has(cause)) break;
    const found = await backend.events.lookup({ eventIds: [cause] });
    if (!found.length) break;
    cur = found[0];
    seen.add(cur.eventId);
    chain.push(toEntry(cur));
  }
  const last = chain[chain.length - 1];
  return {
    chain,
    request: {
      id: (last.metadata.requestId as string | undefined) ?? null,
      user: last.user,
      address: last.address,
      time: last.time,
    },
  };
}
