// `koji-es builder` processes against an in-process hub: how many tasks a builder runs at once
// (its capacity by Koji's weight rule, and maxjobs), and which tasks it never takes (a disabled
// host; a task of a channel or arch the host lacks). Counts come from the hub's event log.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HostLiveness } from 'koji-es/modules/tasks/host-liveness';
import {
  events,
  maxOpenAtOnce,
  makeHost,
  openings,
  sleepTask,
  spawnBuilder,
  STATE,
  taskInfo,
  waitForState,
  type BuilderProcess,
} from '../helpers/builder.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

let h: TestHub;
let tmp: { dir: string; cleanup: () => void };
const builders: BuilderProcess[] = [];

before(async () => {
  tmp = tempDir('koji-es-builder-claim-');
  h = await startTestHub();
});
after(async () => {
  await Promise.all(builders.map((b) => b.kill()));
  await h?.close();
  tmp?.cleanup();
});

function builder(name: string, tokenFile: string, extra: { maxjobs?: number } = {}): BuilderProcess {
  const b = spawnBuilder({ server: h.url, tokenFile, workdir: join(tmp.dir, name), ...extra });
  builders.push(b);
  return b;
}

async function stop(b: BuilderProcess): Promise<void> {
  b.p.kill('SIGTERM');
  const r = await b.exited;
  assert.equal(r.code, 0, r.stderr);
}

/** Resolves after the host has called the hub `n` more times (each pass calls several host.* methods). */
async function passes(hostId: number, n: number): Promise<void> {
  const liveness = h.hub.app.get(HostLiveness);
  let last = liveness.lastSeen(hostId);
  for (let seen = 0; seen < n;) {
    await new Promise((r) => setTimeout(r, 10));
    const now = liveness.lastSeen(hostId);
    if (now !== undefined && now !== last) {
      seen++;
      last = now;
    }
  }
}

describe('capacity', () => {
  test('20 sleep tasks on one builder: never more open at once than capacity / weight (2 / 0.25 = 8)', async () => {
    const host = await makeHost(h, tmp.dir, 'cap-a', { channels: ['cap-a'] });
    // Made with weight 0, the hub offers every task; only the builder's own weight rule limits it.
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push(await sleepTask(h, 0.4, { channel: 'cap-a', weight: 0 }));
    const b = builder('cap-a', host.tokenFile, { maxjobs: 20 });
    for (const id of ids) await waitForState(h, id, STATE.CLOSED, 60_000);
    await stop(b);
    const max = (await maxOpenAtOnce(h)).get(host.id)!;
    assert.ok(max <= 8, `at most 8 open at once, saw ${max}`);
    assert.ok(max >= 2, `tasks ran side by side, saw at most ${max} at once`);
    // Koji's takeTask: the handler's _taskWeight (sleep: 0.25) is set on every task it opens.
    for (const id of ids) assert.equal((await taskInfo(h, id)).weight, 0.25);
    const weights = (await events(h, ['TaskWeightSet'])).filter((e) => ids.includes(e.data.id as number));
    assert.equal(weights.length, 20);
    assert.deepEqual(
      [...(await openings(h))].filter(([id, hosts]) => ids.includes(id) && hosts.length !== 1),
      [],
    );
  });

  test('maxjobs caps the tasks at once whatever their weights', async () => {
    const host = await makeHost(h, tmp.dir, 'cap-b', { channels: ['cap-b'] });
    const ids: number[] = [];
    for (let i = 0; i < 9; i++) ids.push(await sleepTask(h, 0.3, { channel: 'cap-b', weight: 0 }));
    const b = builder('cap-b', host.tokenFile, { maxjobs: 3 });
    for (const id of ids) await waitForState(h, id, STATE.CLOSED, 60_000);
    await stop(b);
    const max = (await maxOpenAtOnce(h)).get(host.id)!;
    assert.ok(max <= 3 && max >= 1, `at most 3 open at once, saw ${max}`);
  });

  test('a task heavier than the whole capacity still runs on an idle host, alone', async () => {
    const host = await makeHost(h, tmp.dir, 'cap-c', { channels: ['cap-c'], capacity: 0.2 });
    const ids = [
      await sleepTask(h, 0.2, { channel: 'cap-c', weight: 0 }),
      await sleepTask(h, 0.2, { channel: 'cap-c', weight: 0 }),
      await sleepTask(h, 0.2, { channel: 'cap-c', weight: 0 }),
    ];
    const b = builder('cap-c', host.tokenFile);
    for (const id of ids) await waitForState(h, id, STATE.CLOSED);
    await stop(b);
    assert.equal((await maxOpenAtOnce(h)).get(host.id), 1);
  });
});

describe('tasks a builder never takes', () => {
  test('a disabled host takes nothing; once enabled it takes the task', async () => {
    const host = await makeHost(h, tmp.dir, 'off-a', { channels: ['off-a'] });
    await h.call('disableHost', ['off-a'], h.admin);
    const id = await sleepTask(h, 0, { channel: 'off-a' });
    const b = builder('off-a', host.tokenFile);
    await b.waitFor(/host off-a \(id \d+\) ready/);
    await passes(host.id, 10);
    assert.equal((await taskInfo(h, id)).state, STATE.FREE);
    assert.equal((await openings(h)).get(id), undefined, 'never opened');
    await h.call('enableHost', ['off-a'], h.admin);
    const done = await waitForState(h, id, STATE.CLOSED);
    assert.equal(done.host_id, host.id);
    await stop(b);
  });

  test('a builder without the task channel or arch never takes it; a builder with them does', async () => {
    await h.call('addChannel', ['only-b'], h.admin);
    const x86 = await makeHost(h, tmp.dir, 'x86-b', { arches: ['x86_64'] });
    const otherChannel = await sleepTask(h, 0, { channel: 'only-b' });
    const otherArch = await sleepTask(h, 0, { arch: 'aarch64' });
    const bx = builder('x86-b', x86.tokenFile);
    await bx.waitFor(/host x86-b \(id \d+\) ready/);
    await passes(x86.id, 10);
    assert.equal((await taskInfo(h, otherChannel)).state, STATE.FREE);
    assert.equal((await taskInfo(h, otherArch)).state, STATE.FREE);

    const arm = await makeHost(h, tmp.dir, 'arm-b', { arches: ['aarch64'], channels: ['only-b'] });
    const ba = builder('arm-b', arm.tokenFile);
    assert.equal((await waitForState(h, otherChannel, STATE.CLOSED)).host_id, arm.id);
    assert.equal((await waitForState(h, otherArch, STATE.CLOSED)).host_id, arm.id);
    const opened = await openings(h);
    assert.deepEqual(opened.get(otherChannel), [arm.id]);
    assert.deepEqual(opened.get(otherArch), [arm.id]);
    await Promise.all([stop(bx), stop(ba)]);
  });

  test('a task whose method has no handler stays FREE', async () => {
    const host = await makeHost(h, tmp.dir, 'nohandler', { channels: ['nohandler'] });
    const id = await h.call<number>(
      'makeTask',
      ['noSuchMethod', [], { channel: 'nohandler', __starstar: true }],
      h.admin,
    );
    const b = builder('nohandler', host.tokenFile);
    await b.waitFor(/skipping task \d+: no handler for method noSuchMethod/);
    assert.equal((await taskInfo(h, id)).state, STATE.FREE);
    await stop(b);
  });
});

describe('authentication', () => {
  test('a password file with --host logs in as the host; the session is cached in the work directory', async () => {
    await makeHost(h, tmp.dir, 'pw-a', { channels: ['pw-a'] });
    await h.call('setUserPassword', ['pw-a', 'host-password-1'], h.admin);
    const pwFile = join(tmp.dir, 'pw-a.password');
    writeFileSync(pwFile, 'host-password-1\n', { mode: 0o600 });
    const id = await sleepTask(h, 0, { channel: 'pw-a' });
    const workdir = join(tmp.dir, 'pw-a');
    const b = spawnBuilder({ server: h.url, passwordFile: pwFile, host: 'pw-a', workdir });
    builders.push(b);
    await waitForState(h, id, STATE.CLOSED);
    assert.ok(existsSync(join(workdir, '.session', 'koji-es', 'sessions', 'builder.json')));
    await stop(b);
  });

  test('refused credentials stop the builder at once with the fault, exit 1', async () => {
    const host = await makeHost(h, tmp.dir, 'auth-a');
    const wrongHost = spawnBuilder({
      server: h.url,
      tokenFile: host.tokenFile,
      host: 'someone-else',
      workdir: join(tmp.dir, 'auth-1'),
    });
    const r1 = await wrongHost.exited;
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /koji-es: AuthError: the credentials are those of host auth-a, not someone-else/);
    const bad = join(tmp.dir, 'bad.token');
    writeFileSync(bad, 'not-a-token\n', { mode: 0o600 });
    const r2 = await spawnBuilder({ server: h.url, tokenFile: bad, workdir: join(tmp.dir, 'auth-2') }).exited;
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /koji-es: AuthError: Invalid API token/);
    await h.call('createUser', ['plain-user'], h.admin);
    const { token } = await h.call<{ token: string }>('createAPIToken', ['plain-user'], h.admin);
    const plain = join(tmp.dir, 'plain.token');
    writeFileSync(plain, token, { mode: 0o600 });
    const r3 = await spawnBuilder({ server: h.url, tokenFile: plain, workdir: join(tmp.dir, 'auth-3') })
      .exited;
    assert.equal(r3.code, 1);
    assert.match(
      r3.stderr,
      /koji-es: ActionNotAllowed: host permission required \(logged in as plain-user\)/,
    );
  });
});
