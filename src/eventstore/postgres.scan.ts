import { join } from 'node:path';
import type { Checkpoint, LogFilter, ReadAllPage, ScanOptions } from './port.js';
import { parseCheckpoint } from './postgres.page-query.js';
import { scanInThread, type ScanThreadJob } from './scan-thread.js';

/** What PostgreSQL's scan thread is given. */
export interface PostgresScanJob extends ScanThreadJob {
  url: string;
  filter: LogFilter | null;
  after: Checkpoint | null;
  until: Checkpoint | null;
  pageSize: number;
}

/** Events per page, as the replay reads them (small pages keep few parsed events alive). */
const PAGE = 1_000;

/** PostgresEventStore.scan: read ahead on a thread with a connection of its own. */
export async function* scanPostgres(
  url: string,
  o: ScanOptions,
): AsyncGenerator<ReadAllPage, void, undefined> {
  // Refused here, with the store's own error, rather than from inside the thread.
  if (o.after) parseCheckpoint(o.after);
  if (o.until) parseCheckpoint(o.until);
  if (o.until && o.after && o.after >= o.until) return;
  const job: Omit<PostgresScanJob, 'credit'> = {
    url,
    filter: o.filter ?? null,
    after: o.after ?? null,
    until: o.until ?? null,
    pageSize: PAGE,
    metadataOf: o.metadataOf ?? null,
  };
  yield* scanInThread(join(__dirname, 'postgres.scan.worker.js'), job);
}
