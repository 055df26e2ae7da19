// `npm start`'s builder: startHub({withBuilder: true}) creates a host named after the machine, for
// its arch, in channels default and runroot, writes <data-dir>/builder.token (0600), and runs tasks
// over HTTP. Later starts reuse the token file; a revoked token is replaced. `--no-builder`,
// KOJI_ES_BUILDER=false and `[server] builder = false` turn it off.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { machineArch } from 'koji-es/builder/in-process';
import { loadHubConfig } from 'koji-es/config/hub-config';
import { startHub, type RunningHub } from 'koji-es/hub';
import { STATE } from '../helpers/builder.js';
import { ADMIN_PASSWORD, REPO_ROOT, type Creds } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
let hub: RunningHub | null = null;

before(() => {
  tmp = tempDir('koji-es-builder-inproc-');
});
after(async () => {
  await hub?.close();
  tmp?.cleanup();
});

const dataDir = () => join(tmp.dir, 'data');

async function start(): Promise<RunningHub> {
  const config = loadHubConfig(
    {
      '--config-dir': join(REPO_ROOT, 'config'),
      '--data-dir': dataDir(),
      '--port': '0',
      '--host': '127.0.0.1',
    },
    {},
  );
  return startHub(config, {
    logger: false,
    adminPassword: ADMIN_PASSWORD,
    announce: () => undefined,
    withBuilder: true,
    builderFlags: { '--sleeptime': '0.1', '--shutdown-grace': '5' },
  });
}

async function call<T>(h: RunningHub, method: string, params: unknown[], creds: Creds = {}): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (creds.sessionId !== undefined) {
    headers['koji-session-id'] = String(creds.sessionId);
    headers['koji-session-key'] = creds.sessionKey!;
  }
  const res = await fetch(`${h.url}/rpc`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: unknown };
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result as T;
}

async function admin(h: RunningHub): Promise<Creds> {
  const s = await call<{ 'session-id': number; 'session-key': string }>(h, 'login', [
    'admin',
    ADMIN_PASSWORD,
  ]);
  return { sessionId: s['session-id'], sessionKey: s['session-key'] };
}

async function runSleep(h: RunningHub, creds: Creds): Promise<{ state: number; host_name: string }> {
  const id = await call<number>(h, 'makeTask', ['sleep', [0.1]], creds);
  for (;;) {
    const t = await call<{ state: number; host_name: string }>(h, 'getTaskInfo', [id]);
    if (t.state === STATE.CLOSED || t.state === STATE.FAILED) return t;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const tokenFile = () => join(dataDir(), 'builder.token');

test('first start: the machine host in default and runroot, a 0600 token file, a sleep task CLOSED', async () => {
  hub = await start();
  const name = hostname();
  assert.equal(hub.builder?.host, name);
  assert.equal(statSync(tokenFile()).mode & 0o777, 0o600);
  const host = await call<{ id: number; arches: string; enabled: boolean }>(hub, 'getHost', [name]);
  assert.equal(host.arches, machineArch());
  const channels = await call<{ name: string }[]>(hub, 'listChannels', [host.id]);
  assert.deepEqual(channels.map((c) => c.name).sort(), ['default', 'runroot']);
  const t = await runSleep(hub, await admin(hub));
  assert.equal(t.state, STATE.CLOSED);
  assert.equal(t.host_name, name);
  await hub.close();
  hub = null;
});

test('later starts reuse the token file; a revoked token is replaced', async () => {
  const before = readFileSync(tokenFile(), 'utf8');
  hub = await start();
  assert.equal(readFileSync(tokenFile(), 'utf8'), before, 'the same token');
  const creds = await admin(hub);
  const tokens = await call<{ id: number; revoked: boolean }[]>(hub, 'listAPITokens', [hostname()], creds);
  assert.equal(tokens.length, 1);
  await call(hub, 'revokeAPIToken', [tokens[0].id], creds);
  await hub.close();

  hub = await start();
  const after = readFileSync(tokenFile(), 'utf8');
  assert.notEqual(after, before, 'a new token');
  assert.equal(statSync(tokenFile()).mode & 0o777, 0o600);
  assert.equal((await runSleep(hub, await admin(hub))).state, STATE.CLOSED);
  await hub.close();

  // A token file someone left readable is tightened, and a damaged one is repaired.
  writeFileSync(tokenFile(), 'not-a-token\n', { mode: 0o644 });
  hub = await start();
  assert.equal(statSync(tokenFile()).mode & 0o777, 0o600);
  assert.notEqual(readFileSync(tokenFile(), 'utf8'), 'not-a-token\n');
  assert.equal((await runSleep(hub, await admin(hub))).state, STATE.CLOSED);
  await hub.close();
  hub = null;
});

test('--no-builder, KOJI_ES_BUILDER=false and [server] builder = false turn the in-process builder off', () => {
  const base = { '--config-dir': join(REPO_ROOT, 'config'), '--data-dir': dataDir() };
  assert.equal(loadHubConfig(base, {}).builder, true);
  assert.equal(loadHubConfig({ ...base, '--no-builder': 'false' }, {}).builder, false);
  assert.equal(loadHubConfig(base, { KOJI_ES_BUILDER: 'false' }).builder, false);
  const dir = join(tmp.dir, 'conf');
  mkdirSync(join(dir, 'hub'), { recursive: true });
  writeFileSync(join(dir, 'hub', 'hub.conf'), '[server]\nbuilder = false\n');
  assert.equal(loadHubConfig({ '--config-dir': dir }, {}).builder, false);
});
