// `node dist/main.js` as an operator runs it: a bad store, an unreachable database, an unopenable
// SQLite path or a bad config file stops start-up with exit status 1 and ONE line on stderr that
// names the problem — no stack trace, never a password; a good start prints where it listens,
// answers, and exits 0 on SIGTERM; --port wins over KOJI_ES_PORT, which wins over hub.conf.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/hub.js';
import { startTestPostgres, type TestPostgres } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';

const MAIN = join(REPO_ROOT, 'dist', 'main.js');
const SHIPPED_CONFIG = join(REPO_ROOT, 'config');
const ADMIN_PASSWORD = 'startup-admin-password';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let tmp: { dir: string; cleanup: () => void };
before(() => {
  tmp = tempDir('koji-es-startup-');
});
after(() => tmp?.cleanup());

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmp.dir,
    KOJI_ES_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...extra,
  };
}

function spawnHub(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], {
    cwd: tmp.dir,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the hub to completion (start-up failures exit on their own). */
function runHub(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const p = spawnHub(args, env);
    let stdout = '';
    let stderr = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`koji-es ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Exit status 1 and exactly one line on stderr, matching `what`, with no stack trace and no secret. */
function failsWithOneLine(r: Exit, what: RegExp, secret?: string): string {
  assert.equal(r.code, 1, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  assert.ok(r.stderr.endsWith('\n'), JSON.stringify(r.stderr));
  const lines = r.stderr.slice(0, -1).split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  const [line] = lines;
  assert.match(line, /^koji-es: /);
  assert.match(line, what);
  assert.doesNotMatch(line, /\bat .+:\d+:\d+|node_modules|\/dist\//, 'no stack trace');
  if (secret)
    assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), `the password leaked: ${r.stderr}`);
  return line;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A config dir with the given hub.conf. */
function configDir(name: string, hubConf: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(join(dir, 'hub'), { recursive: true });
  writeFileSync(join(dir, 'hub', 'hub.conf'), hubConf);
  return dir;
}

/** The hub on config directory `dir`, with a data directory of its own under tmp.dir. */
const runOnConfig = (dir: string, data: string) =>
  runHub(['--config-dir', dir, '--port', '0', '--data-dir', join(tmp.dir, data)]);

describe('start-up failures: exit 1, one line naming the problem', () => {
  test('a malformed --store', async () => {
    const r = await runHub(['--config-dir', SHIPPED_CONFIG, '--port', '0', '--store', 'mysql://x']);
    failsWithOneLine(r, /store URL "mysql:\/\/x".*sqlite:PATH or postgres:\/\//);
  });

  test('an unreachable PostgreSQL store, without printing its password', async () => {
    const url = 'postgres://u:secret@127.0.0.1:1/db';
    const r = await runHub(['--config-dir', SHIPPED_CONFIG, '--port', '0', '--store', url]);
    const line = failsWithOneLine(
      r,
      /cannot connect to PostgreSQL store postgres:\/\/u:\*+@127\.0\.0\.1:1\/db/,
      'secret',
    );
    assert.match(line, /connection refused/);
    // The same from the environment.
    const env = await runHub(['--config-dir', SHIPPED_CONFIG, '--port', '0'], { KOJI_ES_STORE: url });
    failsWithOneLine(
      env,
      /cannot connect to PostgreSQL store postgres:\/\/u:\*+@127\.0\.0\.1:1\/db/,
      'secret',
    );
  });

  test('an SQLite path that cannot be created (under a regular file)', async () => {
    const file = join(tmp.dir, 'regular-file');
    writeFileSync(file, 'not a directory');
    const store = join(file, 'sub', 'koji-es.sqlite');
    const r = await runHub(['--config-dir', SHIPPED_CONFIG, '--port', '0', '--store', `sqlite:${store}`]);
    const line = failsWithOneLine(r, /cannot open SQLite store/);
    assert.ok(line.includes(store), line);
    const viaDataDir = await runHub([
      '--config-dir',
      SHIPPED_CONFIG,
      '--port',
      '0',
      '--data-dir',
      join(file, 'data'),
    ]);
    failsWithOneLine(
      viaDataDir,
      new RegExp(`cannot open SQLite store ${join(file, 'data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });

  test('hub.conf with a bad value names the file, the section, the line and the key', async () => {
    const dir = configDir('bad-value', '[hub]\nMissingPolicyOk = true\nMaxRequestLength = lots\n');
    const r = await runOnConfig(dir, 'data-bad-value');
    const line = failsWithOneLine(r, /MaxRequestLength = "lots" is not an integer/);
    assert.ok(line.includes(`${join(dir, 'hub', 'hub.conf')} [hub] line 3`), line);
  });

  test('a [policy] with a syntax error names the file, the policy and the line', async () => {
    const dir = configDir(
      'bad-policy',
      '[hub]\nMissingPolicyOk = true\n\n[policy]\nsidetag =\n    has_perm admin :: allow\n    # a comment\n    compare number_of_tags >= 10 deny\n    all :: allow\n',
    );
    const r = await runOnConfig(dir, 'data-bad-policy');
    const line = failsWithOneLine(r, /policy sidetag, line 8\b/);
    assert.ok(line.includes(join(dir, 'hub', 'hub.conf')), line);
  });

  test('a bad --port or KOJI_ES_PORT names where the value came from', async () => {
    failsWithOneLine(
      await runHub(['--config-dir', SHIPPED_CONFIG, '--port', 'abc']),
      /option --port: port = "abc" is not an integer/,
    );
    failsWithOneLine(
      await runHub(['--config-dir', SHIPPED_CONFIG], { KOJI_ES_PORT: 'lots' }),
      /environment variable KOJI_ES_PORT: port = "lots" is not an integer/,
    );
    failsWithOneLine(
      await runHub(['--config-dir', SHIPPED_CONFIG, '--port', '70000']),
      /^koji-es: option --port: port = 70000 must be between 0 and 65535$/,
    );
    failsWithOneLine(
      await runHub(['--config-dir', SHIPPED_CONFIG], { KOJI_ES_PORT: '99999' }),
      /^koji-es: environment variable KOJI_ES_PORT: port = 99999 must be between 0 and 65535$/,
    );
  });

  test('a number out of its range in hub.conf or sidetag.conf names the file, the section, the key and the range', async () => {
    const dir = configDir('bad-range', '[hub]\nMissingPolicyOk = true\nMaxRequestLength = -1\n');
    const r = await runOnConfig(dir, 'data-bad-range');
    const line = failsWithOneLine(r, /MaxRequestLength = -1 must be at least 1024$/);
    assert.ok(line.includes(`${join(dir, 'hub', 'hub.conf')} [hub] line 3: `), line);

    const side = configDir('bad-sidetag-range', '');
    mkdirSync(join(side, 'hub', 'plugins'));
    writeFileSync(join(side, 'hub', 'plugins', 'sidetag.conf'), '[sidetag]\ncleanup_interval = -60\n');
    failsWithOneLine(
      await runOnConfig(side, 'data-bad-sidetag'),
      new RegExp(
        `^koji-es: ${join(side, 'hub', 'plugins', 'sidetag.conf')} \\[sidetag\\] line 2: cleanup_interval = -60 must be between 0 and 2147483$`,
      ),
    );
    const dataDir = join(tmp.dir, 'data-bad-range');
    assert.throws(() => statSync(dataDir), /ENOENT/, 'nothing half-started: no data directory was made');
  });

  test('a configuration directory that is not there: given, from the environment, or the default ./config', async () => {
    const missing = join(tmp.dir, 'no-such-config');
    failsWithOneLine(
      await runHub(['--config-dir', missing, '--port', '0']),
      new RegExp(`^koji-es: option --config-dir: ${missing} is not a directory`),
    );
    failsWithOneLine(
      await runHub(['--port', '0'], { KOJI_ES_CONFIG_DIR: missing }),
      new RegExp(`^koji-es: environment variable KOJI_ES_CONFIG_DIR: ${missing} is not a directory`),
    );
    // The hub runs in tmp.dir, which has no config/.
    failsWithOneLine(
      await runHub(['--port', '0']),
      /^koji-es: no configuration directory: .*\/config does not exist; give --config-dir DIR \(or KOJI_ES_CONFIG_DIR\), or start the hub in the koji-es checkout/,
    );
  });

  test('a policy action the policy does not know names the file, the policy and the line', async () => {
    const dir = configDir(
      'bad-action',
      '[policy]\nsidetag =\n    has_perm admin :: allow\n    all :: alow\n',
    );
    const r = await runOnConfig(dir, 'data-bad-action');
    const line = failsWithOneLine(r, /policy sidetag, line 4: unknown action "alow" in "all :: alow"/);
    assert.ok(line.includes(join(dir, 'hub', 'hub.conf')), line);
  });
});

/** A hub process started to run: resolves once it prints where it listens. */
async function startRunning(args: string[], env: Record<string, string> = {}) {
  const p = spawnHub(args, env);
  let stdout = '';
  let stderr = '';
  p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<Exit>((resolve) =>
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no listening line within 30 s; stderr: ${stderr}`)),
      30_000,
    );
    p.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /^koji-es: hub listening on (http:\/\/\S+) \(store (.+)\)$/m.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((r) => reject(new Error(`the hub exited (${r.code}) before listening: ${r.stderr}`)));
  });
  return { p, url, exited, stderr: () => stderr };
}

async function hello(url: string): Promise<unknown> {
  const res = await fetch(`${url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hello', params: [] }),
  });
  return ((await res.json()) as { result?: unknown }).result;
}

describe('a good start', () => {
  test('a [policy] key the hub never consults is one warning line; the hub still starts', async () => {
    const dir = configDir('misspelt-policy', '[policy]\nsidtag =\n    all :: deny\n');
    const hub = await startRunning([
      '--config-dir',
      dir,
      '--port',
      '0',
      '--data-dir',
      join(tmp.dir, 'data-misspelt'),
    ]);
    try {
      assert.equal(await hello(hub.url), 'Hello World');
      const warnings = hub
        .stderr()
        .split('\n')
        .filter((l) => l.includes('warning'));
      assert.deepEqual(warnings, [
        `koji-es: warning: ${join(dir, 'hub', 'hub.conf')} [policy] sidtag (line 2) is not a policy koji-es checks (it checks sidetag, tag, package_list, runroot; others only through a \`policy NAME\` test)`,
      ]);
    } finally {
      hub.p.kill('SIGTERM');
    }
    assert.equal((await hub.exited).code, 0);
  });

  test('--port 0 --data-dir DIR: prints the listening line with the URL, answers, exits 0 on SIGTERM', async () => {
    const dataDir = join(tmp.dir, 'data-good');
    const hub = await startRunning(['--config-dir', SHIPPED_CONFIG, '--port', '0', '--data-dir', dataDir]);
    try {
      assert.match(hub.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(hub.url, 'http://127.0.0.1:0');
      assert.ok(hub.stderr().includes(`(store ${join(dataDir, 'koji-es.sqlite')})`), hub.stderr());
      assert.equal(await hello(hub.url), 'Hello World');
      const login = await fetch(`${hub.url}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'login', params: ['admin', ADMIN_PASSWORD] }),
      });
      assert.ok(((await login.json()) as { result?: { 'session-id': number } }).result?.['session-id']);
    } finally {
      hub.p.kill('SIGTERM');
    }
    const r = await hub.exited;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.signal, null);
    assert.match(r.stderr, /koji-es: SIGTERM, shutting down\n/);
    assert.ok(!r.stderr.includes(ADMIN_PASSWORD), 'the admin password from the environment is not printed');
    assert.doesNotMatch(r.stderr, /\bat .+:\d+:\d+/);
  });

  test('--port wins over KOJI_ES_PORT, which wins over hub.conf (port = 8080)', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const dataDir = join(tmp.dir, 'data-ports');
    const fromEnv = await startRunning(['--config-dir', SHIPPED_CONFIG, '--data-dir', dataDir], {
      KOJI_ES_PORT: String(a),
    });
    try {
      assert.equal(fromEnv.url, `http://127.0.0.1:${a}`);
      assert.equal(await hello(fromEnv.url), 'Hello World');
    } finally {
      fromEnv.p.kill('SIGTERM');
    }
    assert.equal((await fromEnv.exited).code, 0);
    const fromFlag = await startRunning(
      ['--config-dir', SHIPPED_CONFIG, '--data-dir', dataDir, '--port', String(b)],
      {
        KOJI_ES_PORT: String(a),
      },
    );
    try {
      assert.equal(fromFlag.url, `http://127.0.0.1:${b}`);
      assert.equal(await hello(fromFlag.url), 'Hello World');
    } finally {
      fromFlag.p.kill('SIGTERM');
    }
    assert.equal((await fromFlag.exited).code, 0);
  });

  describe('on PostgreSQL', () => {
    let pg: TestPostgres;
    before(async () => {
      pg = await startTestPostgres();
    });
    after(async () => pg?.stop());
    /** A hub on a fresh database of the test server, with its data in `dataDir`. */
    const onPostgres = async (dataDir: string) => [
      ...['--config-dir', SHIPPED_CONFIG, '--port', '0', '--data-dir', dataDir],
      ...['--store', await pg.url()],
    ];

    test('a data directory not there yet is made: the builder keeps its token there', async () => {
      const dataDir = join(tmp.dir, 'data-pg', 'nested');
      const hub = await startRunning(await onPostgres(dataDir));
      try {
        const token = join(dataDir, 'builder.token');
        for (let i = 0; i < 100 && !hub.stderr().includes('running in this process'); i++)
          await new Promise((r) => setTimeout(r, 100));
        assert.ok(hub.stderr().includes(`(token in ${token})`), hub.stderr());
        assert.equal(statSync(token).mode & 0o777, 0o600);
        assert.equal(await hello(hub.url), 'Hello World');
      } finally {
        hub.p.kill('SIGTERM');
      }
      const r = await hub.exited;
      assert.equal(r.code, 0, r.stderr);
    });

    test('a data directory that cannot be made: exit 1, one line naming it', async () => {
      const file = join(tmp.dir, 'regular-file-pg');
      writeFileSync(file, 'not a directory');
      const dataDir = join(file, 'data');
      const r = await runHub(await onPostgres(dataDir));
      const line = failsWithOneLine(r, /cannot create the data directory/);
      assert.ok(line.includes(dataDir), line);
    });
  });
});
