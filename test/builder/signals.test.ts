// Real signals to `koji-es builder`: SIGTERM lets a short task finish and fails a long one after
// shutdown_grace (never leaving a task OPEN), and takes nothing new meanwhile; SIGKILL leaves the
// task to the hub's host timeout ([hub] HostTimeout 1 s here), which frees it for another builder.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  events,
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
  tmp = tempDir('koji-es-builder-signals-');
  h = await startTestHub({ tweak: (c) => (c.hub.hostTimeoutSec = 1) });
});
after(async () => {
  await Promise.all(builders.map((b) => b.kill()));
  await h?.close();
  tmp?.cleanup();
});

function builder(name: string, tokenFile: string, shutdownGrace?: number): BuilderProcess {
  const b = spawnBuilder({ server: h.url, tokenFile, workdir: join(tmp.dir, name), shutdownGrace });
  builders.push(b);
  return b;
}

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/, 'no stack trace in the log');

test('SIGTERM with a running sleep 30 and shutdown_grace 1 s: the task FAILS with the shutdown fault, exit 0', async () => {
  const host = await makeHost(h, tmp.dir, 'term-long', { channels: ['term-long'] });
  const id = await sleepTask(h, 30, { channel: 'term-long' });
  const b = builder('term-long', host.tokenFile, 1);
  await waitForState(h, id, STATE.OPEN);
  await b.waitFor(/Sleeping for 30 seconds/);
  b.p.kill('SIGTERM');
  const r = await b.exited;
  assert.equal(r.code, 0, r.stderr);
  const t = await taskInfo(h, id);
  assert.equal(t.state, STATE.FAILED);
  assert.deepEqual(await h.call('getTaskResult', [id, false]), {
    faultCode: 1000,
    faultString: 'builder term-long shut down before the task finished',
  });
  assert.match(r.stderr, /SIGTERM: shutting down/);
  noStack(r.stderr);
});

test('SIGTERM with a short sleep running: it finishes CLOSED, nothing new is taken, exit 0', async () => {
  const host = await makeHost(h, tmp.dir, 'term-short', { channels: ['term-short'] });
  const id = await sleepTask(h, 1.5, { channel: 'term-short' });
  const b = builder('term-short', host.tokenFile);
  await waitForState(h, id, STATE.OPEN);
  await b.waitFor(/Sleeping for 1.5 seconds/);
  b.p.kill('SIGTERM');
  await b.waitFor(/stopping: taking no new tasks/);
  const later = await sleepTask(h, 0, { channel: 'term-short' });
  const r = await b.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await taskInfo(h, id)).state, STATE.CLOSED);
  assert.equal((await taskInfo(h, later)).state, STATE.FREE, 'a stopping builder takes no new task');
  assert.equal((await openings(h)).get(later), undefined);
  noStack(r.stderr);
  await h.call('cancelTask', [later], h.admin);
});

test('SIGKILL: the host timeout frees the task and another builder completes it', async () => {
  const dead = await makeHost(h, tmp.dir, 'kill-a', { channels: ['kill-x'] });
  const heir = await makeHost(h, tmp.dir, 'kill-b', { channels: ['kill-x'] });
  const id = await sleepTask(h, 1, { channel: 'kill-x' });
  const a = builder('kill-a', dead.tokenFile);
  const opened = await waitForState(h, id, STATE.OPEN);
  assert.equal(opened.host_id, dead.id);
  a.p.kill('SIGKILL');
  assert.equal((await a.exited).signal, 'SIGKILL');
  builder('kill-b', heir.tokenFile);
  const done = await waitForState(h, id, STATE.CLOSED);
  assert.equal(done.host_id, heir.id);
  const freed = (await events(h, ['TaskFreed'])).filter((e) => e.data.id === id);
  assert.equal(freed.length, 1);
  assert.equal(freed[0].data.reason, 'host kill-a stopped reporting');
  assert.deepEqual((await openings(h)).get(id), [dead.id, heir.id]);
});
