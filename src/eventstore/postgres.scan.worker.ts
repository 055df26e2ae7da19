// The scan thread of PostgresEventStore.scan: on a connection of its own it runs the fenced page
// query, which hands each page over as one row of JSON array texts, so neither this thread nor the
// replay's decodes the page row by row.
import pg from 'pg';
import { parentPort, workerData } from 'node:worker_threads';
import {
  checkpointOf,
  isoFromUtcText,
  pageEnd,
  parseCheckpoint,
  scanPageQuery,
  type ScanPageRow,
} from './postgres.page-query.js';
import type { PostgresScanJob } from './postgres.scan.js';
import { takeCredit, type ScanPageMessage } from './scan-thread.js';

const job = workerData as PostgresScanJob;
const credit = new Int32Array(job.credit);

const list = <T>(text: string | null): T[] => (text === null ? [] : (JSON.parse(text) as T[]));

async function run() {
  const client = new pg.Client({ connectionString: job.url, application_name: 'koji-es scan' });
  await client.connect();
  try {
    const until = job.until;
    const { sql, name, extra } = scanPageQuery(
      job.filter ?? undefined,
      until ? parseCheckpoint(until) : undefined,
      job.metadataOf ?? undefined,
    );
    let after = job.after;
    while (takeCredit(credit)) {
      const [afterXid, afterGp] = after === null ? ['0', 0] : parseCheckpoint(after);
      const r = await client.query<ScanPageRow>({
        name,
        text: sql,
        values: [afterXid, afterGp, job.pageSize, ...extra],
        rowMode: 'array',
      });
      const [
        headXid,
        headGp,
        n,
        ids,
        types,
        schemas,
        streams,
        versions,
        positions,
        xids,
        times,
        data,
        metadata,
      ] = r.rows[0];
      const head = headXid === null ? null : checkpointOf(headXid, headGp!);
      const gps = list<number>(positions);
      const page = {
        ids: list<string>(ids),
        types: list<string>(types),
        schemas: list<number>(schemas),
        streams: list<string>(streams),
        versions: list<number>(versions),
        positions: gps,
        checkpoints: list<string>(xids).map((xid, i) => checkpointOf(xid, gps[i])),
        times: list<string>(times).map(isoFromUtcText),
        data: data ?? '[]',
        metadata: metadata ?? '[]',
      };
      const end = pageEnd(n, n ? page.checkpoints[n - 1] : null, head, after, job.pageSize);
      let checkpoint = end.checkpoint;
      if (until && checkpoint !== null && checkpoint > until) checkpoint = until;
      const done = until ? !end.full || (checkpoint !== null && checkpoint >= until) : end.atEnd;
      const message: ScanPageMessage = { ...page, checkpoint, atEnd: end.atEnd, done };
      parentPort!.postMessage(message);
      if (done) break;
      after = checkpoint;
    }
  } finally {
    await client.end();
  }
}

void run();
