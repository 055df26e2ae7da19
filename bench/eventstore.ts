// `npm run bench -- eventstore` (issue 2 point 12): appends/s with 1 and with 100 events per append,
// and replay events/s, for the SQLite and PostgreSQL adapters, each beside the raw driver doing
// prepared INSERTs / SELECTs into the same table (the adapter creates it, so shape and indexes are
// the same), with the same sync settings, payload, batch size and one connection each. Runs are
// interleaved (adapter first, then raw first, …), 3 repetitions, medians; every run checks the row
// count it produced or read, and a run with a wrong count is void.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { EventStore, NewEvent } from 'koji-es/eventstore/port';
import { PostgresEventStore } from 'koji-es/eventstore/postgres.store';
import { SqliteEventStore } from 'koji-es/eventstore/sqlite.store';
import { startTestPostgres } from '../test/helpers/pg.js';
import { header, printTable, verified, type Figure, type Run } from './lib/report.js';

const REPS = 3;
const SCALE = Number(process.env.KOJI_ES_BENCH_SCALE ?? 1);
const n = (x: number) => Math.max(1, Math.round(x * SCALE));
/** Writers rotate over this many streams, appending each stream's next version (as in E.2). */
const STREAMS = 1000;
const PAGE = 1000;

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

const streamOf = (i: number) => `sidetag-${i % STREAMS}`;

/** Seconds `body` takes. */
async function timed(body: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await body();
  return (performance.now() - t0) / 1000;
}

/** Adapter first in odd repetitions, raw first in even ones, so neither always runs on a warmer cache. */
async function interleave(fig: Figure, adapter: () => Promise<Run>, raw: () => Promise<Run>): Promise<void> {
  await adapter(); // warm-up (JIT, prepared statements, caches), not counted
  await raw();
  for (let rep = 0; rep < REPS; rep++) {
    if (rep % 2 === 0) {
      fig.adapter.push(await adapter());
      fig.raw.push(await raw());
    } else {
      fig.raw.push(await raw());
      fig.adapter.push(await adapter());
    }
    process.stderr.write('.');
  }
}

/** Appends through the port with exact expected versions, as command handlers do. */
async function adapterAppends(store: EventStore, events: NewEvent[], perAppend: number): Promise<number> {
  const versions = new Map<string, number>();
  const appends = events.length / perAppend;
  return timed(async () => {
    for (let i = 0; i < appends; i++) {
      const stream = streamOf(i);
      const v = versions.get(stream) ?? 0;
      await store.appendToStream(stream, events.slice(i * perAppend, (i + 1) * perAppend), v);
      versions.set(stream, v + perAppend);
    }
  });
}

// ---------------------------------------------------------------------------------------------- SQLite

async function benchSqlite(dir: string, figures: Figure[]): Promise<void> {
  let fileNo = 0;
  const freshFile = () => {
    const path = join(dir, `bench-${++fileNo}.sqlite`);
    new SqliteEventStore(path).close(); // the adapter's schema, for both sides
    return path;
  };
  const rawDb = (path: string) => {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    return db;
  };
  const count = (path: string) => {
    const db = new Database(path, { readonly: true });
    const c = (db.prepare('SELECT count(*) AS c FROM es_events').get() as { c: number }).c;
    db.close();
    return c;
  };
  const INSERT = `INSERT INTO es_events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata, created_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

  const appendFigure = (perAppend: number, appends: number) => {
    const fig: Figure = {
      store: 'sqlite',
      name: `append, ${perAppend} event${perAppend > 1 ? 's' : ''}/append`,
      unit: perAppend === 1 ? 'appends/s' : 'events/s',
      adapter: [],
      raw: [],
      aim: 0.7,
    };
    const total = appends * perAppend;
    const adapter = async (): Promise<Run> => {
      const path = freshFile();
      const events = makeEvents(total, 0);
      const store = new SqliteEventStore(path);
      const secs = await adapterAppends(store, events, perAppend);
      await store.close();
      return verified(total / secs, total, count(path), 'rows');
    };
    const raw = async (): Promise<Run> => {
      const path = freshFile();
      const events = makeEvents(total, 0);
      const db = rawDb(path);
      const insert = db.prepare(INSERT);
      const versions = new Map<string, number>();
      const batch = db.transaction((stream: string, v: number, es: NewEvent[]) => {
        const createdAt = new Date().toISOString();
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
      const secs = await timed(() => {
        for (let i = 0; i < appends; i++) {
          const stream = streamOf(i);
          const v = versions.get(stream) ?? 0;
          const es = events.slice(i * perAppend, (i + 1) * perAppend);
          if (perAppend === 1) {
            const e = es[0];
            insert.run(
              stream,
              v + 1,
              e.eventId,
              e.type,
              1,
              JSON.stringify(e.data),
              JSON.stringify(e.metadata),
              new Date().toISOString(),
            );
          } else batch(stream, v, es);
          versions.set(stream, v + perAppend);
        }
      });
      db.close();
      return verified(total / secs, total, count(path), 'rows');
    };
    return { fig, adapter, raw };
  };

  for (const [per, appends] of [
    [1, SIZES.sqlite.append1],
    [100, SIZES.sqlite.append100],
  ] as const) {
    const { fig, adapter, raw } = appendFigure(per, appends);
    await interleave(fig, adapter, raw);
    figures.push(fig);
  }

  // Replay: one file filled once, read whole by both sides, pages of PAGE.
  const total = SIZES.sqlite.replay;
  const path = freshFile();
  {
    const db = rawDb(path);
    const insert = db.prepare(INSERT);
    const fill = db.transaction((es: NewEvent[], from: number) => {
      const createdAt = new Date().toISOString();
      es.forEach((e, j) =>
        insert.run(
          streamOf(from + j),
          Math.floor((from + j) / STREAMS) + 1,
          e.eventId,
          e.type,
          1,
          JSON.stringify(e.data),
          JSON.stringify(e.metadata),
          createdAt,
        ),
      );
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
  const reader = rawDb(path);
  const page = reader.prepare<[number, number], { global_position: number; data: string; metadata: string }>(
    'SELECT * FROM es_events WHERE global_position > ? ORDER BY global_position LIMIT ?',
  );
  await interleave(
    fig,
    async () => {
      let read = 0;
      const secs = await timed(async () => {
        let after: string | null = null;
        for (;;) {
          const p = await store.readAll({ after, maxCount: PAGE });
          read += p.events.length;
          after = p.checkpoint;
          if (p.atEnd) break;
        }
      });
      return verified(total / secs, total, read, 'events read');
    },
    async () => {
      let read = 0;
      const secs = await timed(() => {
        let last = 0;
        for (;;) {
          const rows = page.all(last, PAGE);
          for (const r of rows) {
            JSON.parse(r.data);
            JSON.parse(r.metadata);
          }
          read += rows.length;
          if (rows.length < PAGE) break;
          last = rows[rows.length - 1].global_position;
        }
      });
      return verified(total / secs, total, read, 'events read');
    },
  );
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
  const reset = async () => {
    await admin.query('TRUNCATE es_events RESTART IDENTITY');
    // Flush the previous run's dirty pages now rather than during the next run (needs superuser
    // or pg_checkpoint; without it the runs are only a little noisier).
    await admin.query('CHECKPOINT').catch(() => {});
  };
  const count = async () =>
    Number((await admin.query<{ c: string }>('SELECT count(*) AS c FROM es_events')).rows[0].c);

  for (const [perAppend, appends] of [
    [1, SIZES.postgres.append1],
    [100, SIZES.postgres.append100],
  ] as const) {
    const total = appends * perAppend;
    const fig: Figure = {
      store: 'postgres',
      name: `append, ${perAppend} event${perAppend > 1 ? 's' : ''}/append`,
      unit: perAppend === 1 ? 'appends/s' : 'events/s',
      adapter: [],
      raw: [],
      aim: 0.7,
    };
    await interleave(
      fig,
      async () => {
        await reset();
        const secs = await adapterAppends(store, makeEvents(total, 0), perAppend);
        return verified(total / secs, total, await count(), 'rows');
      },
      async () => {
        await reset();
        const events = makeEvents(total, 0);
        const versions = new Map<string, number>();
        const secs = await timed(async () => {
          for (let i = 0; i < appends; i++) {
            const stream = streamOf(i);
            const v = versions.get(stream) ?? 0;
            const es = events.slice(i * perAppend, (i + 1) * perAppend);
            const createdAt = new Date().toISOString();
            if (perAppend === 1) {
              const e = es[0];
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
            versions.set(stream, v + perAppend);
          }
        });
        return verified(total / secs, total, await count(), 'rows');
      },
    );
    figures.push(fig);
  }
  await raw.end();
  await admin.end();
  await store.close();

  // Replay: one database filled once (in transactions of 1000), read whole by both sides.
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
        es.map((_, j) => streamOf(i + j)),
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
  await interleave(
    fig,
    async () => {
      let read = 0;
      const secs = await timed(async () => {
        let after: string | null = null;
        for (;;) {
          const p = await rstore.readAll({ after, maxCount: PAGE });
          read += p.events.length;
          after = p.checkpoint;
          if (p.atEnd) break;
        }
      });
      return verified(total / secs, total, read, 'events read');
    },
    async () => {
      let read = 0;
      const secs = await timed(async () => {
        let last = '0';
        for (;;) {
          const r = await reader.query<{ global_position: string }>({
            name: 'raw_page',
            text: `SELECT global_position, transaction_id, ${PG_COLUMNS} FROM es_events
                   WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
            values: [last, PAGE],
          });
          read += r.rows.length;
          if (r.rows.length < PAGE) break;
          last = r.rows[r.rows.length - 1].global_position;
        }
      });
      return verified(total / secs, total, read, 'events read');
    },
  );
  await reader.end();
  await rstore.close();
  figures.push(fig);
  return describe;
}

async function main() {
  const sample = makeEvents(1, 0)[0];
  const dir = mkdtempSync(join(tmpdir(), 'koji-es-bench-'));
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
      `${STREAMS} streams, exact expected versions (adapter); one connection per side; ${REPS} repetitions, medians`,
    `sqlite ${sqliteVersion}: WAL, synchronous=FULL, file under ${tmpdir()}`,
    `postgres: ${process.env.KOJI_ES_BENCH_PG_URL ? 'KOJI_ES_BENCH_PG_URL' : `embedded, data under ${tmpdir()}`}; ${pgSettings}`,
    `sizes: sqlite ${JSON.stringify(SIZES.sqlite)}, postgres ${JSON.stringify(SIZES.postgres)} (KOJI_ES_BENCH_SCALE=${SCALE})`,
  ]);
  const valid = printTable(figures);
  if (!valid) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
