import { join } from 'node:path';
import { positionFromPadded } from './log-filter.js';
import type { Checkpoint, ReadAllPage, ScanOptions } from './port.js';
import { PAGE_EVENTS, scanInThread, type ScanThreadJob } from './scan-thread.js';
import { pageQuery } from './sqlite.page-query.js';

/** What SQLite's scan thread is given. */
export interface SqliteScanJob extends ScanThreadJob {
  path: string;
  sql: string;
  params: (string | number)[];
  after: number;
  /** The checkpoint the scan started after, for a page that scanned nothing. */
  from: Checkpoint | null;
  until: number | null;
  pageSize: number;
}

/** SqliteEventStore.scan of a database file: read ahead on a thread with a connection of its own. */
export async function* scanSqlite(
  path: string,
  o: ScanOptions,
): AsyncGenerator<ReadAllPage, void, undefined> {
  const after = o.after ? positionFromPadded(o.after) : 0;
  const until = o.until ? positionFromPadded(o.until) : null;
  if (until !== null && after >= until) return;
  const { sql, params } = pageQuery(o.filter, until ?? undefined);
  const job: Omit<SqliteScanJob, 'credit'> = {
    path,
    sql,
    params,
    after,
    from: o.after ?? null,
    until,
    pageSize: PAGE_EVENTS,
    metadataOf: o.metadataOf ?? null,
  };
  yield* scanInThread(join(__dirname, 'sqlite.scan.worker.js'), job);
}
