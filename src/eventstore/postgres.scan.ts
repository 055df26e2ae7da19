import { join } from 'node:path';
import type { Checkpoint, LogFilter, ReadAllPage, ScanOptions } from './port.js';
import { parseCheckpoint } from './postgres.page-query.js';
import { PAGE_EVENTS, scanInThread, type ScanThreadJob } from './scan-thread.js';

/** What PostgreSQL's scan thread is given. */
export interface PostgresScanJob extends ScanThreadJob {
  url: string;
  filter: LogFilter | null;
  after: Checkpoint | null;
  until: Checkpoint | null;
  pageSize: number;
}

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
    pageSize: PAGE_EVENTS,
    metadataOf: o.metadataOf ?? null,
  };
  yield* scanInThread(join(__dirname, 'postgres.scan.worker.js'), job);
}
