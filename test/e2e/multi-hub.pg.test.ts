// Two hub processes on one PostgreSQL database (issue 2 point 8, DESIGN §4): each projection runs in
// exactly one of them — the one holding its `pg_try_advisory_lock` — while the other still answers
// every command with read-your-writes by polling the checkpoint table; when the hub running the
// projections is SIGKILLed, its locks die with its session and the other hub takes them over.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { LOCK_CLASS } from 'koji-es/eventstore/postgres.store';
import { ALL_PROJECTIONS } from 'koji-es/projections';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { startTestPostgres, type TestPostgres } from '../helpers/pg.js';
import { eventually, sidetagConfigDir } from '../helpers/sidetag.js';
import type { Creds } from '../helpers/hub.js';

const PASSWORD = 'multi-hub-admin-password';
const NAMES = ALL_PROJECTIONS.map((p) => p.name).sort();

interface LockRow {
  projection: string;
  pid: number | null;
}

describe('two hub processes on one PostgreSQL database', () => {
  let server: TestPostgres;
  let store: string;
  let cfg: { dir: string; cleanup: () => void };
  let sql: pg.Client;
  const hubs: HubProcess[] = [];

  /** Which backend (pid) holds each projection's advisory lock, null when nobody does. */
  async function holders(): Promise<Map<string, number | null>> {
    const r = await sql.query<LockRow>(
      `SELECT p.name AS projection, l.pid
         FROM unnest($2::text[]) AS p(name)
         LEFT JOIN pg_locks l
           ON l.locktype = 'advisory' AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid::bigint = $1
          AND l.objid::bigint = (hashtext('projection:' || p.name)::bigint & 4294967295)
          AND l.objsubid = 2`,
      [LOCK_CLASS, NAMES],
    );
    const m = new Map<string, number | null>();
    for (const row of r.rows) {
      assert.ok(!m.has(row.projection), `${row.projection} is locked by two sessions`);
      m.set(row.projection, row.pid);
    }
    return m;
  }

  /** The backends of the hubs' lock sessions (application_name koji-es-locks). */
  async function lockSessions(): Promise<number[]> {
    const r = await sql.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'koji-es-locks'
       ORDER BY backend_start`,
    );
    return r.rows.map((x) => x.pid);
  }

  /**
   * Waits until one session holds every projection's lock, and returns it. `not`: a session that may
   * still show for a moment (the backend of a killed hub lives until PostgreSQL sees the socket close).
   */
  const allHeldByOne = (what: string, not?: number) =>
    eventually(what, async () => {
      const h = await holders();
      const pids = new Set(h.values());
      if (pids.size !== 1 || pids.has(null) || h.size !== NAMES.length) return undefined;
      const pid = [...pids][0]!;
      return pid === not ? undefined : pid;
    });

  async function checkpoints(): Promise<Map<string, string | null>> {
    const r = await sql.query<{ projection: string; position: string | null }>(
      'SELECT projection, position FROM es_checkpoints',
    );
    return new Map(r.rows.map((x) => [x.projection, x.position]));
  }

  before(async () => {
    server = await startTestPostgres();
    store = await server.url();
    cfg = sidetagConfigDir();
    sql = new pg.Client({ connectionString: store });
    sql.on('error', () => {});
    await sql.connect();
  });

  after(async () => {
    for (const h of hubs) await h.kill('SIGKILL');
    await sql?.end().catch(() => {});
    await server?.stop();
    cfg?.cleanup();
  });

  test('each projection runs in one hub; the other serves read-your-writes; a SIGKILLed runner is taken over', async () => {
    // Hub A starts alone on the empty database: it seeds it and takes every projection.
    const a = await startHubProcess({ store, configDir: cfg.dir, adminPassword: PASSWORD });
    hubs.push(a);
    const pidA = await allHeldByOne('hub A to run every projection');
    assert.deepEqual(await lockSessions(), [pidA], "hub A's lock session holds them");

    // Hub B joins: it asks for the locks too (its own lock session appears) but gets none.
    const b = await startHubProcess({ store, configDir: cfg.dir, adminPassword: PASSWORD });
    hubs.push(b);
    const pidB = await eventually('hub B to open its lock session', async () => {
      const s = await lockSessions();
      return s.length === 2 ? s[1] : undefined;
    });
    assert.notEqual(pidB, pidA);
    // B keeps asking every poll interval; after a while every lock is still A's, none is B's.
    await new Promise((r) => setTimeout(r, 500));
    const h = await holders();
    assert.deepEqual([...h.keys()].sort(), NAMES);
    for (const [name, pid] of h) assert.equal(pid, pidA, `${name} runs in hub A only`);

    // Read-your-writes on B, which runs no projection: every reply waits for A's checkpoints.
    const adminB: Creds = await b.client.login('admin', PASSWORD);
    for (let i = 0; i < 10; i++) {
      const name = `ryw-b-${i}`;
      const reply = await b.client.rpc<number>('createUser', [name], adminB);
      assert.equal(reply.body.error, undefined, JSON.stringify(reply.body.error));
      assert.equal(reply.headers.get('koji-es-warning'), null, 'the projections were reached, no warning');
      const user = await b.client.ok<{ id: number; name: string } | null>('getUser', [name]);
      assert.deepEqual([user?.id, user?.name], [reply.body.result, name], `${name} found on hub B at once`);
      // Hub A shows it too: the read models are shared.
      assert.equal((await a.client.ok<{ name: string } | null>('getUser', [name]))?.name, name);
    }
    // A tag made on B, listed on B straight away (tags and sidetags projections, also A's).
    await b.client.ok('createTag', ['ryw-base'], adminB);
    const st = await b.client.ok<{ name: string; id: number }>('createSideTag', ['ryw-base'], adminB);
    const listed = await b.client.ok<{ name: string }[]>('listSideTags', { basetag: 'ryw-base' });
    assert.deepEqual(
      listed.map((r) => r.name),
      [st.name],
    );

    // SIGKILL hub A: no shutdown runs, its sessions die, and B takes over every projection.
    await a.kill('SIGKILL');
    const taken = await allHeldByOne('hub B to take every projection over', pidA);
    assert.equal(taken, pidB, "hub B's lock session holds them now");

    // B now runs them itself: new commands are projected (the checkpoints move) and read back at once.
    const before = await checkpoints();
    const reply = await b.client.rpc<number>('createUser', ['after-takeover'], adminB);
    assert.equal(reply.body.error, undefined);
    assert.equal(reply.headers.get('koji-es-warning'), null);
    assert.equal(
      (await b.client.ok<{ name: string } | null>('getUser', ['after-takeover']))?.name,
      'after-takeover',
    );
    const after = await checkpoints();
    assert.notEqual(
      after.get('users'),
      before.get('users'),
      "the users projection's checkpoint moved under B",
    );
    const st2 = await b.client.ok<{ name: string }>('createSideTag', ['ryw-base'], adminB);
    assert.deepEqual(
      (await b.client.ok<{ name: string }[]>('listSideTags', { basetag: 'ryw-base' })).map((r) => r.name),
      [st.name, st2.name],
    );
    // Nothing was lost or applied twice across the takeover.
    const users = await b.client.ok<{ name: string }[]>('listUsers', { prefix: 'ryw-b-' });
    assert.equal(users.length, 10);
  });
});
