// `npm run bench -- eventstore` (issue 2 point 12): appends/s with 1 and with 100 events per append,
// and replay events/s, for the SQLite and PostgreSQL adapters, each beside the raw driver doing
// prepared INSERTs / SELECTs into the same table (the adapter creates it, so shape and indexes are
// the same), with the same sync settings, payload, batch size and one connection each.
//
// Interleaving: in each run the adapter and the raw driver take turns in short slices (50 appends,
// 10 pages), each side timed on its own, so a disk or CPU hiccup on this shared machine hits both
// sides instead of one whole run. 3 runs, medians; every run checks the rows each side wrote or read,
// and a side with a wrong count is void for that run.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { EventStore, NewEvent } from 'koji-es/eventstore/port';
import { PostgresEventStore } from 'koji-es/eventstore/postgres.store';
import { SqliteEventStore } from 'koji-es/eventstore/sqlite.store';
import { startTestPostgres } from '../test/helpers/pg.js';
import { measure, type Side } from './lib/paired.js';
import { header, printTable, type Figure } from './lib/report.js';

const REPS = 3;
const SCALE = Number(process.env.KOJI_ES_BENCH_SCALE ?? 1);
const n = (x: number) => Math.max(1, Math.round(x * SCALE));
/** Each side rotates over this many streams of its own, appending each stream's next version. */
const STREAMS = 1000;
const PAGE = 1000;
const APPEND_SLICE = 50;
const PAGE_SLICE = 10;
const DIR = process.env.KOJI_ES_BENCH_DIR ?? tmpdir();

const SIZES = {
  sqlite: { append1: n(2000), append100: n(200), replay: n(200_000) },
  postgres: { append1: n(1500), append100: n(100), replay: n(200_000) },
};

/** A sidetag-like event: about 230 bytes of data and 110 bytes of metadata as JSON. */
function makeEvents(count: number, seed: number): NewEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = seed + k;
    return {
      eventId: randomUUID(),
      type: 'SideTagCreated',
      data: {
        tagId: 100000 + i,
        name: `f40-build-side-${100000 + i}`,
        owner: { id: 42, name: 'alice' },
        parent: { id: 7, name: 'f40-build' },
        arches: ['x86_64', 'aarch64', 'ppc64le', 's390x'],
        extra: { 'mock.package_manager': 'dnf', 'rpm.macro.dist': '.fc40' },
      },
      metadata: {
        actor: { id: 42, name: 'alice' },
        correlationId: randomUUID(),
        clientAddress: '192.0.2.7',
      },
    };
  });
}

/** Appends through the port with exact expected versions, as command handlers do. */
function adapterAppender(store: EventStore, prefix: string, events: NewEvent[], perAppend: number) {
  const appends = events.length / perAppend;
  let i = 0;
  return {
    finished: () => i >= appends,
    step: async () => {
      const end = Math.min(appends, i + APPEND_SLICE);
      const start = i;
      for (; i < end; i++) {
        const version = Math.floor(i / STREAMS) * perAppend;
        await store.appendToStream(
          `${prefix}${i % STREAMS}`,
          events.slice(i * perAppend, (i + 1) * perAppend),
          version,
        );
      }
      return (end - start) * perAppend;
    },
  };
}

function figure(store: string, perAppend: number): Figure {
  return {
    store,
    name: `append, ${perAppend} event${perAppend > 1 ? 's' : ''}/append`,
    unit: perAppend === 1 ? 'appends/s' : 'events/s',
    adapter: [],
    raw: [],
    aim: 0.7,
  };
}

// ---------------------------------------------------------------------------------------------- SQLite

const SQLITE_INSERT = `INSERT INTO es_events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata, created_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

function rawSqlite(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}

function sqliteCount(db: Database.Database, prefix: string): number {
  return (
    db.prepare('SELECT count(*) AS c FROM es_events WHERE stream_id LIKE ?').get(`${prefix}%`) as {
      c: number;
    }
  ).c;
}

async function benchSqlite(dir: string, figures: Figure[]): Promise<void> {
  let fileNo = 0;
  for (const [perAppend, appends] of [
    [1, SIZES.sqlite.append1],
    [100, SIZES.sqlite.append100],
  ] as const) {
    const fig = figure('sqlite', perAppend);
    const total = appends * perAppend;
    await measure(fig, REPS, async (warmup) => {
      const count = warmup ? Math.min(total, 100 * perAppend) : total;
      const path = join(dir, `append-${++fileNo}.sqlite`);
      const store = new SqliteEventStore(path); // creates the table both sides write to
      const db = rawSqlite(path);
      const insert = db.prepare(SQLITE_INSERT);
      const batch = db.transaction((stream: string, v: number, es: NewEvent[], createdAt: string) => {
        es.forEach((e, j) =>
          insert.run(
            stream,
            v + j + 1,
            e.eventId,
            e.type,
            1,
            JSON.stringify(e.data),
            JSON.stringify(e.metadata),
            createdAt,
          ),
        );
      });
      const rawEvents = makeEvents(count, 0);
      let i = 0;
      const rawAppends = count / perAppend;
      const raw: Side = {
        finished: () => i >= rawAppends,
        step: () => {
          const end = Math.min(rawAppends, i + APPEND_SLICE);
          const start = i;
          for (; i < end; i++) {
            const stream = `r-${i % STREAMS}`;
            const v = Math.floor(i / STREAMS) * perAppend;
            const createdAt = new Date().toISOString();
            if (perAppend === 1) {
              const e = rawEvents[i];
              insert.run(
                stream,
                v + 1,
                e.eventId,
                e.type,
                1,
                JSON.stringify(e.data),
                JSON.stringify(e.metadata),
                createdAt,
              );
            } else batch(stream, v, rawEvents.slice(i * perAppend, (i + 1) * perAppend), createdAt);
          }
          return (end - start) * perAppend;
        },
        check: () => ({ expected: count, actual: sqliteCount(db, 'r-'), what: 'rows written' }),
      };
      const adapter: Side = {
        ...adapterAppender(store, 'a-', makeEvents(count, 0), perAppend),
        check: () => ({ expected: count, actual: sqliteCount(db, 'a-'), what: 'rows written' }),
      };
      const cleanup = async () => {
        db.close();
        await store.close();
        for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
      };
      return [adapter, raw, cleanup];
    });
    figures.push(fig);
  }

  // Replay: one file filled once; both sides read all of it, taking turns every few pages.
  const total = SIZES.sqlite.replay;
  const path = join(dir, 'replay.sqlite');
  new SqliteEventStore(path).close();
  {
    const db = rawSqlite(path);
    const insert = db.prepare(SQLITE_INSERT);
    const fill = db.transaction((es: NewEvent[], from: number) => {
      const createdAt = new Date().toISOString();
      es.forEach((e, j) => {
        const k = from + j;
        insert.run(
          `r-${k % STREAMS}`,
          Math.floor(k / STREAMS) + 1,
          e.eventId,
          e.type,
          1,
          JSON.stringify(e.data),
          JSON.stringify(e.metadata),
          createdAt,
        );
      });
    });
    for (let i = 0; i < total; i += 1000) fill(makeEvents(Math.min(1000, total - i), i), i);
    db.close();
  }
  const fig: Figure = {
    store: 'sqlite',
    name: 'replay, pages of 1000',
    unit: 'events/s',
    adapter: [],
    raw: [],
    aim: 0.5,
  };
  const store = new SqliteEventStore(path);
  const reader = rawSqlite(path);
  const page = reader.prepare<[number, number], { global_position: number; data: string; metadata: string }>(
    'SELECT * FROM es_events WHERE global_position > ? ORDER BY global_position LIMIT ?',
  );
  await measure(fig, REPS, async (warmup) => {
    const limit = warmup ? 20 * PAGE : total;
    let aRead = 0;
    let aAfter: string | null = null;
    let aDone = false;
    const adapter: Side = {
      finished: () => aDone,
      step: async () => {
        let got = 0;
        for (let p = 0; p < PAGE_SLICE && !aDone; p++) {
          const r = await store.readAll({ after: aAfter, maxCount: PAGE });
          got += r.events.length;
          aAfter = r.checkpoint;
          aDone = r.atEnd || aRead + got >= limit;
        }
        aRead += got;
        return got;
      },
      check: () => ({ expected: limit, actual: aRead, what: 'events read' }),
    };
    let rRead = 0;
    let last = 0;
    let rDone = false;
    const raw: Side = {
      finished: () => rDone,
      step: () => {
        let got = 0;
        for (let p = 0; p < PAGE_SLICE && !rDone; p++) {
          const rows = page.all(last, PAGE);
          for (const r of rows) {
            JSON.parse(r.data);
            JSON.parse(r.metadata);
          }
          got += rows.length;
          if (rows.length) last = rows[rows.length - 1].global_position;
          rDone = rows.length < PAGE || rRead + got >= limit;
        }
        rRead += got;
        return got;
      },
      check: () => ({ expected: limit, actual: rRead, what: 'events read' }),
    };
    return [adapter, raw, async () => {}];
  });
  reader.close();
  await store.close();
  figures.push(fig);
}

// ------------------------------------------------------------------------------------------ PostgreSQL

const PG_COLUMNS =
  'stream_id, stream_position, event_id, event_type, schema_version, data, metadata, created_at';

async function benchPostgres(appendsUrl: string, replayUrl: string, figures: Figure[]): Promise<string> {
  const store = new PostgresEventStore(appendsUrl, { poolSize: 1 });
  await store.open();
  const raw = new pg.Client({ connectionString: appendsUrl });
  await raw.connect();
  const admin = new pg.Client({ connectionString: appendsUrl });
  await admin.connect();
  const settings = await admin.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers')`,
  );
  const describe = settings.rows.map((r) => `${r.name}=${r.setting}`).join(' ');
  const count = async (prefix: string) =>
    Number(
      (
        await admin.query<{ c: string }>('SELECT count(*) AS c FROM es_events WHERE stream_id LIKE $1', [
          `${prefix}%`,
        ])
      ).rows[0].c,
    );

  for (const [perAppend, appends] of [
    [1, SIZES.postgres.append1],
    [100, SIZES.postgres.append100],
  ] as const) {
    const fig = figure('postgres', perAppend);
    const total = appends * perAppend;
    await measure(fig, REPS, async (warmup) => {
      const n = warmup ? Math.min(total, 100 * perAppend) : total;
      await admin.query('TRUNCATE es_events RESTART IDENTITY');
      // Flush the previous run's dirty pages now rather than during this one (superuser only).
      await admin.query('CHECKPOINT').catch(() => {});
      const rawEvents = makeEvents(n, 0);
      const rawAppends = n / perAppend;
      let i = 0;
      const rawSide: Side = {
        finished: () => i >= rawAppends,
        step: async () => {
          const end = Math.min(rawAppends, i + APPEND_SLICE);
          const start = i;
          for (; i < end; i++) {
            const stream = `r-${i % STREAMS}`;
            const v = Math.floor(i / STREAMS) * perAppend;
            const createdAt = new Date().toISOString();
            if (perAppend === 1) {
              const e = rawEvents[i];
              await raw.query({
                name: 'raw_insert_1',
                text: `INSERT INTO es_events (${PG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
                values: [
                  stream,
                  v + 1,
                  e.eventId,
                  e.type,
                  1,
                  JSON.stringify(e.data),
                  JSON.stringify(e.metadata),
                  createdAt,
                ],
              });
            } else {
              const es = rawEvents.slice(i * perAppend, (i + 1) * perAppend);
              await raw.query({
                name: 'raw_insert_n',
                text: `INSERT INTO es_events (${PG_COLUMNS})
                       SELECT $1, u.pos, u.id, u.type, u.sv, u.data, u.meta, $7
                       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::jsonb[], $8::jsonb[])
                         AS u(pos, id, type, sv, data, meta)`,
                values: [
                  stream,
                  es.map((_, j) => v + j + 1),
                  es.map((e) => e.eventId),
                  es.map((e) => e.type),
                  es.map(() => 1),
                  es.map((e) => JSON.stringify(e.data)),
                  createdAt,
                  es.map((e) => JSON.stringify(e.metadata)),
                ],
              });
            }
          }
          return (end - start) * perAppend;
        },
        check: async () => ({ expected: n, actual: await count('r-'), what: 'rows written' }),
      };
      const adapterSide: Side = {
        ...adapterAppender(store, 'a-', makeEvents(n, 0), perAppend),
        check: async () => ({ expected: n, actual: await count('a-'), what: 'rows written' }),
      };
      return [adapterSide, rawSide, async () => {}];
    });
    figures.push(fig);
  }
  await raw.end();
  await admin.end();
  await store.close();

  // Replay: one database filled once (in transactions of 1000); both sides read all of it.
  const total = SIZES.postgres.replay;
  const rstore = new PostgresEventStore(replayUrl, { poolSize: 1 });
  await rstore.open();
  const reader = new pg.Client({ connectionString: replayUrl });
  await reader.connect();
  for (let i = 0; i < total; i += 1000) {
    const es = makeEvents(Math.min(1000, total - i), i);
    await reader.query({
      name: 'fill',
      text: `INSERT INTO es_events (${PG_COLUMNS})
             SELECT u.stream, u.pos, u.id, u.type, 1, u.data, u.meta, now()
             FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[]) AS u(stream, pos, id, type, data, meta)`,
      values: [
        es.map((_, j) => `r-${(i + j) % STREAMS}`),
        es.map((_, j) => Math.floor((i + j) / STREAMS) + 1),
        es.map((e) => e.eventId),
        es.map((e) => e.type),
        es.map((e) => JSON.stringify(e.data)),
        es.map((e) => JSON.stringify(e.metadata)),
      ],
    });
  }
  await reader.query('VACUUM ANALYZE es_events');
  const fig: Figure = {
    store: 'postgres',
    name: 'replay, pages of 1000',
    unit: 'events/s',
    adapter: [],
    raw: [],
    aim: 0.5,
  };
  await measure(fig, REPS, async (warmup) => {
    const limit = warmup ? 20 * PAGE : total;
    let aRead = 0;
    let aAfter: string | null = null;
    let aDone = false;
    const adapter: Side = {
      finished: () => aDone,
      step: async () => {
        let got = 0;
        for (let p = 0; p < PAGE_SLICE && !aDone; p++) {
          const r = await rstore.readAll({ after: aAfter, maxCount: PAGE });
          got += r.events.length;
          aAfter = r.checkpoint;
          aDone = r.atEnd || aRead + got >= limit;
        }
        aRead += got;
        return got;
      },
      check: () => ({ expected: limit, actual: aRead, what: 'events read' }),
    };
    let rRead = 0;
    let last = '0';
    let rDone = false;
    const rawSide: Side = {
      finished: () => rDone,
      step: async () => {
        let got = 0;
        for (let p = 0; p < PAGE_SLICE && !rDone; p++) {
          const r = await reader.query<{ global_position: string }>({
            name: 'raw_page',
            text: `SELECT global_position, transaction_id, ${PG_COLUMNS} FROM es_events
                   WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
            values: [last, PAGE],
          });
          got += r.rows.length;
          if (r.rows.length) last = r.rows[r.rows.length - 1].global_position;
          rDone = r.rows.length < PAGE || rRead + got >= limit;
        }
        rRead += got;
        return got;
      },
      check: () => ({ expected: limit, actual: rRead, what: 'events read' }),
    };
    return [adapter, rawSide, async () => {}];
  });
  await reader.end();
  await rstore.close();
  figures.push(fig);
  return describe;
}

async function main() {
  const sample = makeEvents(1, 0)[0];
  const dir = mkdtempSync(join(DIR, 'koji-es-bench-'));
  const server = await startTestPostgres({ durable: true, env: 'KOJI_ES_BENCH_PG_URL' });
  const figures: Figure[] = [];
  let pgSettings: string;
  try {
    const [appendsUrl, replayUrl] = [await server.url(), await server.url()];
    process.stderr.write('sqlite ');
    await benchSqlite(dir, figures);
    process.stderr.write(' postgres ');
    pgSettings = await benchPostgres(appendsUrl, replayUrl, figures);
    process.stderr.write('\n');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const sqliteVersion = (() => {
    const db = new Database(':memory:');
    const v = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    db.close();
    return v;
  })();
  header('eventstore', [
    `payload: data ${JSON.stringify(sample.data).length} B, metadata ${JSON.stringify(sample.metadata).length} B; ` +
      `${STREAMS} streams per side; adapter appends with exact expected versions; one connection per side`,
    `interleaving: slices of ${APPEND_SLICE} appends / ${PAGE_SLICE} pages, adapter and raw taking turns; ${REPS} runs, medians`,
    `sqlite ${sqliteVersion}: WAL, synchronous=FULL, files under ${DIR}`,
    `postgres: ${process.env.KOJI_ES_BENCH_PG_URL ? 'KOJI_ES_BENCH_PG_URL' : `embedded, data under ${tmpdir()}`}; ${pgSettings}`,
    `sizes per run: sqlite ${JSON.stringify(SIZES.sqlite)}, postgres ${JSON.stringify(SIZES.postgres)} (KOJI_ES_BENCH_SCALE=${SCALE})`,
  ]);
  const valid = printTable(figures);
  if (!valid) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
