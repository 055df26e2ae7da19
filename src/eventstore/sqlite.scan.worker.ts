// The read-ahead thread of SqliteEventStore.scan: it steps SQLite and packs each page into a few
// strings and arrays, so the replay's thread only parses the page and runs the projections.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { HEAD_SQL, type Row } from './sqlite.page-query.js';
import type { ScanJob, ScanPageMessage } from './sqlite.scan.js';

const job = workerData as ScanJob;
// [0]: pages this thread may still send before the reader takes one; [1]: 1 once it should stop.
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

let after = job.after;
for (;;) {
  while (Atomics.load(credit, 0) === 0 && Atomics.load(credit, 1) === 0) Atomics.wait(credit, 0, 0, 1000);
  if (Atomics.load(credit, 1) !== 0) break;
  Atomics.sub(credit, 0, 1);
  const r = read(after);
  const n = r.rows.length;
  const m: ScanPageMessage = {
    positions: new Array<number>(n),
    streams: new Array<string>(n),
    versions: new Array<number>(n),
    ids: new Array<string>(n),
    types: new Array<string>(n),
    schemas: new Array<number>(n),
    times: new Array<string>(n),
    data: '',
    metadata: '',
    scanned: 0,
    atEnd: false,
    done: false,
  };
  const data = new Array<string>(n);
  const metadata = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const row = r.rows[i];
    m.positions[i] = row[0];
    m.streams[i] = row[1];
    m.versions[i] = row[2];
    m.ids[i] = row[3];
    m.types[i] = row[4];
    m.schemas[i] = row[5];
    data[i] = row[6];
    metadata[i] = !wanted || wanted.has(row[4]) ? row[7] : 'null';
    m.times[i] = row[8];
  }
  // The stored texts are JSON.stringify's output, so joined they are one valid JSON array.
  m.data = `[${data.join(',')}]`;
  m.metadata = `[${metadata.join(',')}]`;
  const full = n >= job.pageSize;
  let scanned = full ? r.rows[n - 1][0] : Math.max(r.head, after);
  if (job.until !== null && scanned > job.until) scanned = job.until;
  m.scanned = scanned;
  m.atEnd = scanned >= r.head;
  // A short page is the end either way: nothing more was committed up to `until` or the head.
  m.done = !full || scanned >= (job.until ?? r.head);
  parentPort!.postMessage(m);
  if (m.done) break;
  after = scanned;
}
db.close();
