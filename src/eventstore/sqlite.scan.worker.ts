// The scan thread of SqliteEventStore.scan: it steps SQLite and packs each page, so the replay's
// thread only parses the page and runs the projections.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { PagePacker, takeCredit } from './scan-thread.js';
import { HEAD_SQL, type Row } from './sqlite.page-query.js';
import type { SqliteScanJob } from './sqlite.scan.js';
import { padPosition } from './validation.js';

const job = workerData as SqliteScanJob;
const credit = new Int32Array(job.credit);
const db = new Database(job.path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const page = db.prepare<(string | number)[], Row>(job.sql).raw(true);
const head = db.prepare<[], { h: number | null }>(HEAD_SQL);
const wanted = job.metadataOf && new Set(job.metadataOf);
// One read transaction per page: its head and its rows come from the same snapshot.
const read = db.transaction((after: number) => ({
  rows: page.all(after, ...job.params, job.pageSize),
  head: head.get()?.h ?? 0,
}));

for (let after = job.after; takeCredit(credit);) {
  const { rows, head } = read(after);
  const packer = new PagePacker(wanted);
  for (const r of rows) packer.add(r[3], r[4], r[5], r[1], r[2], r[0], padPosition(r[0]), r[8], r[6], r[7]);
  const full = rows.length >= job.pageSize;
  let scanned = full ? rows[rows.length - 1][0] : Math.max(head, after);
  if (job.until !== null && scanned > job.until) scanned = job.until;
  // A short page is the end either way: nothing more is committed up to `until` or the head.
  const done = !full || scanned >= (job.until ?? head);
  parentPort!.postMessage(
    packer.finish({
      checkpoint: scanned > 0 ? padPosition(scanned) : job.from,
      atEnd: scanned >= head,
      done,
    }),
  );
  if (done) break;
  after = scanned;
}
db.close();
