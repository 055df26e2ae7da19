// The scan thread of PostgresEventStore.scan: on a connection of its own it runs the fenced page
// query, with the JSON columns left as the server's text, and packs each page, so the replay's
// thread parses a page with two calls instead of decoding every row.
import pg from 'pg';
import { parentPort, workerData } from 'node:worker_threads';
import {
  checkpointOf,
  isoFromUtcText,
  JSONB,
  keepingText,
  PAGE_GP,
  pageEnd,
  pageQuery,
  parseCheckpoint,
  TIMESTAMP_TEXT,
  type PageRow,
} from './postgres.page-query.js';
import type { PostgresScanJob } from './postgres.scan.js';
import { PagePacker, takeCredit } from './scan-thread.js';

const job = workerData as PostgresScanJob;
const credit = new Int32Array(job.credit);

async function run() {
  const client = new pg.Client({
    connectionString: job.url,
    application_name: 'koji-es scan',
    options: '-c DateStyle=ISO',
    types: { getTypeParser: keepingText([TIMESTAMP_TEXT, JSONB]) },
  });
  await client.connect();
  try {
    const until = job.until;
    const { sql, name, extra } = pageQuery(
      job.filter ?? undefined,
      until ? parseCheckpoint(until) : undefined,
    );
    const wanted = job.metadataOf && new Set(job.metadataOf);
    let after = job.after;
    while (takeCredit(credit)) {
      const [afterXid, afterGp] = after === null ? ['0', 0] : parseCheckpoint(after);
      const r = await client.query<PageRow<string, string>>({
        name,
        text: sql,
        values: [afterXid, afterGp, job.pageSize, ...extra],
        rowMode: 'array',
      });
      const first = r.rows[0];
      const rows = first[PAGE_GP] === null ? [] : r.rows;
      const head = first[0] === null ? null : checkpointOf(first[0], first[1]!);
      const packer = new PagePacker(wanted);
      let last: string | null = null;
      for (const row of rows) {
        last = checkpointOf(row[4], row[3]);
        packer.add(
          row[7],
          row[8],
          row[9],
          row[5],
          Number(row[6]),
          Number(row[3]),
          last,
          isoFromUtcText(row[12]),
          row[10],
          row[11],
        );
      }
      const end = pageEnd(rows.length, last, head, after, job.pageSize);
      let checkpoint = end.checkpoint;
      if (until && checkpoint !== null && checkpoint > until) checkpoint = until;
      const done = until ? !end.full || (checkpoint !== null && checkpoint >= until) : end.atEnd;
      parentPort!.postMessage(packer.finish({ checkpoint, atEnd: end.atEnd, done }));
      if (done) break;
      after = checkpoint;
    }
  } finally {
    await client.end();
  }
}

void run();
