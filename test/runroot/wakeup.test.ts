// The wake-up hint behind bench/runroot's latency: host.waitForTasks answers an idle builder's
// long-poll when a task is made (or at once when the builder missed one), so a builder with a long
// sleeptime still starts a new task within milliseconds.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  makeHost,
  sleepTask,
  spawnBuilder,
  STATE,
  waitForState,
  type BuilderProcess,
} from '../helpers/builder.js';
import { startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

let h: TestHub;
let tmp: { dir: string; cleanup: () => void };
let hostCreds: Creds;
let builder: BuilderProcess | null = null;

before(async () => {
  h = await startTestHub();
  tmp = tempDir('koji-es-wakeup-');
  const host = await makeHost(h, join(tmp.dir, 'hosts'), 'waker', { channels: ['runroot'] });
  hostCreds = { token: host.token };
  await makeHost(h, join(tmp.dir, 'hosts'), 'sleeper', { channels: ['runroot'] });
});
after(async () => {
  await builder?.kill();
  await h?.close();
  tmp?.cleanup();
});

type Answer = { woken: boolean; generation: number };
const wait = (params: unknown[]) => h.call<Answer>('host.waitForTasks', params, hostCreds);

describe('host.waitForTasks', () => {
  test('without a generation it answers at once; with the current one it waits for the timeout', async () => {
    const first = await wait([5]);
    assert.equal(first.woken, false);
    const t0 = Date.now();
    const r = await wait([0.3, first.generation]);
    const took = Date.now() - t0;
    assert.deepEqual(r, { woken: false, generation: first.generation });
    assert.ok(took >= 250 && took < 3000, `${took} ms`);
  });

  test('a task made meanwhile ends the wait at once; a builder that missed one is answered at once', async () => {
    const { generation } = await wait([0]);
    const t0 = Date.now();
    const waiting = wait([30, generation]);
    await new Promise((r) => setTimeout(r, 100));
    await sleepTask(h, 0, { channel: 'runroot' });
    const r = await waiting;
    assert.equal(r.woken, true);
    assert.ok(r.generation > generation);
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(await wait([30, generation]), { woken: true, generation: r.generation });
  });

  test('a task made by any command (here newRepo) wakes it too, once the read models have the task', async () => {
    await h.call('createTag', ['wake-tag', { __starstar: true, arches: 'x86_64' }], h.admin);
    const { generation } = await wait([0]);
    const waiting = wait([30, generation]);
    await new Promise((r) => setTimeout(r, 100));
    const task = await h.call<number>('newRepo', ['wake-tag'], h.admin);
    const r = await waiting;
    assert.equal(r.woken, true);
    const info = await h.call<{ method: string } | null>('getTaskInfo', [task]);
    assert.equal(info?.method, 'newRepo');
  });

  test('other events do not wake it: builders are not sent on needless passes', async () => {
    const { generation } = await wait([0]);
    const waiting = wait([1.5, generation]);
    await new Promise((r) => setTimeout(r, 100));
    await h.call('createTag', ['quiet-tag', { __starstar: true, arches: 'x86_64' }], h.admin);
    await h.call('createUser', ['quiet-user'], h.admin);
    assert.deepEqual(await waiting, { woken: false, generation });
  });

  test('only hosts may call it, and the timeout is at most 60 s', async () => {
    const anon = await h.rpc('host.waitForTasks', [0]);
    assert.equal(
      (anon.body.error?.data as { faultString: string }).faultString,
      'host permission required (user not logged in)',
    );
    const long = await h.rpc('host.waitForTasks', [61], hostCreds);
    assert.equal((long.body.error?.data as { name: string }).name, 'ParameterError');
  });
});

test('a builder with a 10 s sleeptime starts a new task well within its poll interval', async () => {
  const sleeper = join(tmp.dir, 'hosts', 'sleeper.token');
  builder = spawnBuilder({
    server: h.url,
    tokenFile: sleeper,
    workdir: join(tmp.dir, 'work'),
    sleeptime: 10,
  });
  await builder.waitFor(/ready: capacity/);
  // Let it take nothing and go idle (its first idle asks for a generation, then waits).
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const id = await sleepTask(h, 0, { channel: 'runroot' });
    await waitForState(h, id, STATE.CLOSED, 20_000);
    const took = Date.now() - t0;
    assert.ok(took < 3000, `task ${id} took ${took} ms with a 10 s sleeptime\n${builder.stderr()}`);
  }
});
