// `npm run bench -- sidetag` (issue 7 point 11), against a hub process on the embedded SQLite store:
//
// 1. createSideTag calls/s over JSON-RPC — 16 concurrent clients, each call a new sidetag for one of
//    100 users, under an active `sidetag` policy — beside the raw 1-event append rate of the same
//    SQLite setup (bench/eventstore's method: prepared autocommit INSERTs into the es_events table
//    the adapter creates, WAL, synchronous=FULL, in a file of its own in the same directory). The two
//    sides take turns in short slices, 3 runs after a warm-up, medians, every run verified.
// 2. 100,000 sidetags created through the API (never by writing read-model rows), spread evenly over
//    the 100 users and 10 base tags; then listSideTags(user=U) where U owns 1,000, and
//    listSideTags(basetag=B, queryOpts={"limit": 100}) where B has 10,000, each beside a raw SELECT of
//    the same rows from the hub's SQLite file (same WHERE, ORDER BY and LIMIT, documents parsed),
//    interleaved the same way, each call's rows checked against the raw ones.
//
// KOJI_ES_BENCH_SCALE scales the numbers of calls and sidetags; KOJI_ES_BENCH_SIDETAGS sets the number
// of sidetags alone (for a quick look at the createSideTag figure); KOJI_ES_BENCH_DIR is where the
// files go.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteEventStore } from 'koji-es/eventstore/sqlite.store';
import type { Creds } from '../test/helpers/hub.js';
import { startHubProcess, type HubProcess } from '../test/helpers/hub-process.js';
import { RpcClient, sidetagConfigDir, type CreateResult, type SidetagRow } from '../test/helpers/sidetag.js';
import { measure, type Side } from './lib/paired.js';
import { header, printTable, type Figure } from './lib/report.js';

const REPS = 3;
const SCALE = Number(process.env.KOJI_ES_BENCH_SCALE ?? 1);
const n = (x: number) => Math.max(1, Math.round(x * SCALE));
const DIR = process.env.KOJI_ES_BENCH_DIR ?? tmpdir();

const CLIENTS = 16;
const USERS = 100;
const BASES = 10;
/** createSideTag calls per measured run, and per slice. */
const CREATE_CALLS = n(1600);
const CREATE_SLICE = 64;
/** Sidetags in the end: every user owns TOTAL / USERS, every base tag has TOTAL / BASES; at least
 * what the throughput runs create (warm-up and 3 runs). */
const TOTAL =
  Math.ceil(
    Math.max(
      Number(process.env.KOJI_ES_BENCH_SIDETAGS ?? n(100_000)),
      CREATE_SLICE * 2 + REPS * CREATE_CALLS,
    ) /
      (USERS * BASES),
  ) *
  USERS *
  BASES;
/** Raw appends per slice; the raw side runs until it has done as many slices as the API side. */
const APPEND_SLICE = 50;
const LIST_CALLS = { user: n(60), basetag: n(200) };
const LIST_SLICE = 5;
/** The bulk fill uses more clients: the figure is taken in phase 1, this only has to be quick. */
const FILL_CLIENTS = 32;
const ADMIN_PASSWORD = 'bench-sidetag-admin';

const POLICY = [
  'has_perm admin :: allow',
  'tag bench-base-* && compare number_of_tags < 5000 :: allow',
  'all :: deny only bench base tags, at most 5000 each',
];

interface Bench {
  hub: HubProcess;
  api: RpcClient;
  admin: Creds;
  users: { id: number; name: string; creds: Creds }[];
  bases: { id: number; name: string }[];
  /** Sidetags created so far: creation k is user k % USERS on base floor(k / USERS) % BASES. */
  created: number;
  errors: string[];
}

/** Creates the next `count` sidetags of the plan with `clients` concurrent callers. */
async function createNext(b: Bench, count: number, clients: number): Promise<number> {
  const first = b.created;
  b.created += count;
  let next = first;
  let ok = 0;
  const worker = async () => {
    for (;;) {
      const k = next++;
      if (k >= first + count) return;
      const user = b.users[k % USERS];
      const base = b.bases[Math.floor(k / USERS) % BASES];
      const r = await b.api.rpc<CreateResult>('createSideTag', [base.name], user.creds);
      if (r.body.result) ok++;
      else b.errors.push(JSON.stringify(r.body.error));
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  return ok;
}

const SQLITE_INSERT = `INSERT INTO es_events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata, created_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

function rawSqlite(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** A sidetag-sized event, as bench/eventstore writes. */
function rawEvent(i: number) {
  return {
    eventId: randomUUID(),
    data: JSON.stringify({
      id: 100000 + i,
      name: `bench-base-3-side-${100000 + i}`,
      user: { id: 42, name: 'user42' },
      basetag: { id: 4, name: 'bench-base-3' },
      debuginfo: false,
      suffix: null,
      time: new Date().toISOString(),
    }),
    metadata: JSON.stringify({ actor: { id: 42, name: 'user42' }, correlationId: randomUUID() }),
  };
}

async function benchCreate(b: Bench, dir: string, figures: Figure[]): Promise<void> {
  const fig: Figure = {
    store: 'sqlite',
    name: `createSideTag over JSON-RPC, ${CLIENTS} clients, ${USERS} users, policy on — vs raw 1-event append`,
    unit: 'calls/s vs appends/s',
    adapter: [],
    raw: [],
    aim: 0.25,
  };
  let fileNo = 0;
  await measure(fig, REPS, async (warmup) => {
    const calls = warmup ? CREATE_SLICE * 2 : CREATE_CALLS;
    const slices = Math.ceil(calls / CREATE_SLICE);
    const before = await b.api.ok<number>('listSideTags', { queryOpts: { countOnly: true } });
    const errorsBefore = b.errors.length;
    let done = 0;
    let okCalls = 0;
    const api: Side = {
      finished: () => done >= calls,
      step: async () => {
        const count = Math.min(CREATE_SLICE, calls - done);
        done += count;
        okCalls += await createNext(b, count, CLIENTS);
        return count;
      },
      check: async () => {
        const after = await b.api.ok<number>('listSideTags', { queryOpts: { countOnly: true } });
        const failed = b.errors.length - errorsBefore;
        return {
          expected: calls,
          actual: okCalls === after - before ? okCalls : -1,
          what: `sidetags created (${failed} failed calls${failed ? `: ${b.errors.at(-1)}` : ''})`,
        };
      },
    };
    // The raw side: a file of its own, its table made by the adapter, as bench/eventstore.
    const path = join(dir, `raw-append-${++fileNo}.sqlite`);
    await new SqliteEventStore(path).close();
    const db = rawSqlite(path);
    const insert = db.prepare(SQLITE_INSERT);
    const rawAppends = slices * APPEND_SLICE;
    let i = 0;
    const raw: Side = {
      finished: () => i >= rawAppends,
      step: () => {
        const end = Math.min(rawAppends, i + APPEND_SLICE);
        const start = i;
        for (; i < end; i++) {
          const e = rawEvent(i);
          insert.run(
            `r-${i % 1000}`,
            Math.floor(i / 1000) + 1,
            e.eventId,
            'SideTagCreated',
            1,
            e.data,
            e.metadata,
            new Date().toISOString(),
          );
        }
        return end - start;
      },
      check: () => ({
        expected: rawAppends,
        actual: (db.prepare('SELECT count(*) AS c FROM es_events').get() as { c: number }).c,
        what: 'rows written',
      }),
    };
    const cleanup = async () => {
      db.close();
      for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    };
    return [api, raw, cleanup];
  });
  figures.push(fig);
}

async function fill(b: Bench): Promise<void> {
  const t0 = performance.now();
  const start = b.created;
  let lastPct = -1;
  while (b.created < TOTAL) {
    const batch = Math.min(TOTAL - b.created, 2000);
    await createNext(b, batch, FILL_CLIENTS);
    const pct = Math.floor((100 * b.created) / TOTAL);
    if (pct !== lastPct) {
      lastPct = pct;
      const rate = (b.created - start) / ((performance.now() - t0) / 1000);
      process.stderr.write(
        `\rfilling: ${b.created.toLocaleString('en-US')} / ${TOTAL.toLocaleString('en-US')} sidetags (${pct}%), ${Math.round(rate)}/s, ${b.errors.length} errors   `,
      );
    }
  }
  process.stderr.write('\n');
}

interface ListCase {
  name: string;
  params: Record<string, unknown>;
  sql: string;
  bind: number[];
  expected: number;
  calls: number;
}

async function benchList(b: Bench, dbPath: string, figures: Figure[], c: ListCase): Promise<void> {
  const fig: Figure = {
    store: 'sqlite',
    name: `${c.name} (${c.expected} rows) — vs raw SELECT; aim: at most 3× its time`,
    unit: 'calls/s vs SELECTs/s',
    adapter: [],
    raw: [],
    aim: 0.33,
  };
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const select = db.prepare<number[], { doc: string }>(c.sql);
  const rawIds = () => select.all(...c.bind).map((r) => (JSON.parse(r.doc) as { id: number }).id);
  const expectedIds = rawIds().join(',');
  await measure(fig, REPS, async (warmup) => {
    const calls = warmup ? LIST_SLICE * 2 : c.calls;
    let aDone = 0;
    let aGood = 0;
    const api: Side = {
      finished: () => aDone >= calls,
      step: async () => {
        const k = Math.min(LIST_SLICE, calls - aDone);
        for (let i = 0; i < k; i++) {
          const rows = await b.api.ok<SidetagRow[]>('listSideTags', c.params);
          if (rows.length === c.expected && rows.map((r) => r.id).join(',') === expectedIds) aGood++;
        }
        aDone += k;
        return k;
      },
      check: () => ({ expected: calls, actual: aGood, what: 'lists with exactly the raw rows' }),
    };
    let rDone = 0;
    let rGood = 0;
    const raw: Side = {
      finished: () => rDone >= calls,
      step: () => {
        const k = Math.min(LIST_SLICE, calls - rDone);
        for (let i = 0; i < k; i++) {
          const ids = rawIds();
          if (ids.length === c.expected) rGood++;
        }
        rDone += k;
        return k;
      },
      check: () => ({ expected: calls, actual: rGood, what: `SELECTs of ${c.expected} rows` }),
    };
    return [api, raw, async () => {}];
  });
  db.close();
  figures.push(fig);
}

async function main() {
  const dir = mkdtempSync(join(DIR, 'koji-es-bench-sidetag-'));
  const cfg = sidetagConfigDir({ policies: { sidetag: POLICY } });
  const dbPath = join(dir, 'hub.sqlite');
  const figures: Figure[] = [];
  let hub: HubProcess | null = null;
  const started = performance.now();
  let counts!: string;
  try {
    // No in-process builder: the hub alone, with its files beside the store.
    hub = await startHubProcess({
      store: `sqlite:${dbPath}`,
      configDir: cfg.dir,
      adminPassword: ADMIN_PASSWORD,
      dataDir: dir,
      env: { KOJI_ES_BUILDER: 'false' },
    });
    const api = hub.client;
    const admin = await api.login('admin', ADMIN_PASSWORD);
    const b: Bench = { hub, api, admin, users: [], bases: [], created: 0, errors: [] };
    for (let i = 0; i < BASES; i++) {
      const name = `bench-base-${i}`;
      b.bases.push({ id: await api.ok<number>('createTag', [name, null, 'x86_64 aarch64'], admin), name });
    }
    process.stderr.write('users ');
    for (let i = 0; i < USERS; i++) b.users.push(await api.user(admin, `user${String(i).padStart(3, '0')}`));
    process.stderr.write('createSideTag ');
    await benchCreate(b, dir, figures);
    process.stderr.write('\n');
    await fill(b);
    const total = await api.ok<number>('listSideTags', { queryOpts: { countOnly: true } });
    const db = new Database(dbPath, { readonly: true });
    const rm = (db.prepare('SELECT count(*) AS c FROM rm_sidetags').get() as { c: number }).c;
    const ev = (
      db.prepare("SELECT count(*) AS c FROM es_events WHERE event_type = 'SideTagCreated'").get() as {
        c: number;
      }
    ).c;
    db.close();
    counts = `sidetags: ${total} listed, ${rm} read-model rows, ${ev} SideTagCreated events (plan ${TOTAL}); ${b.errors.length} failed calls`;
    if (total !== TOTAL || rm !== TOTAL || ev !== TOTAL || b.errors.length) {
      console.error(`the fill is wrong: ${counts}\n${b.errors.slice(0, 5).join('\n')}`);
      process.exitCode = 1;
    }
    const u = b.users[42];
    const base = b.bases[3];
    process.stderr.write('listSideTags ');
    await benchList(b, dbPath, figures, {
      name: `listSideTags(user=${u.name})`,
      params: { user: u.name },
      sql: `SELECT doc FROM rm_sidetags WHERE json_extract(doc, '$.user_id') = ? ORDER BY json_extract(doc, '$.id')`,
      bind: [u.id],
      expected: TOTAL / USERS,
      calls: LIST_CALLS.user,
    });
    await benchList(b, dbPath, figures, {
      name: `listSideTags(basetag=${base.name}, queryOpts={"limit": 100})`,
      params: { basetag: base.name, queryOpts: { limit: 100 } },
      sql: `SELECT doc FROM rm_sidetags WHERE json_extract(doc, '$.basetag_id') = ? ORDER BY json_extract(doc, '$.id') LIMIT 100`,
      bind: [base.id],
      expected: Math.min(100, TOTAL / BASES),
      calls: LIST_CALLS.basetag,
    });
    process.stderr.write('\n');
  } catch (e) {
    // The hub's own account of what went wrong, if it said anything.
    if (hub)
      console.error(
        `hub ${hub.exit() ?? 'still running'}; its stderr (last lines):\n${hub.stderr().split('\n').slice(-30).join('\n')}`,
      );
    throw e;
  } finally {
    await hub?.kill('SIGTERM');
    cfg.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  const sqliteVersion = (() => {
    const db = new Database(':memory:');
    const v = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    db.close();
    return v;
  })();
  header('sidetag', [
    `hub: node dist/main.js on sqlite ${sqliteVersion} (WAL, synchronous=FULL) under ${DIR}; clients in this process over HTTP`,
    `createSideTag: ${CLIENTS} concurrent clients, ${USERS} users, ${BASES} base tags, policy ${JSON.stringify(POLICY)}`,
    `interleaving: slices of ${CREATE_SLICE} calls / ${APPEND_SLICE} raw appends / ${LIST_SLICE} lists, taking turns; ${REPS} runs after a warm-up, medians`,
    `sizes: ${CREATE_CALLS} createSideTag calls per run; ${TOTAL} sidetags in all (${TOTAL / USERS} per user, ${TOTAL / BASES} per base tag); lists per run: ${JSON.stringify(LIST_CALLS)} (KOJI_ES_BENCH_SCALE=${SCALE})`,
    counts,
    `total time ${Math.round((performance.now() - started) / 1000)} s`,
  ]);
  const valid = printTable(figures);
  if (!valid) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
