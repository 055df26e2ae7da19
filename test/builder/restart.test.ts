// The hub stops and starts again (same data directory, same port) while a `koji-es builder` runs a
// task: the builder rides out the outage, keeps the task it holds, reports it once the hub is back,
// and goes on taking new tasks. A builder that itself restarts fails what its last run left OPEN.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeHost,
  openings,
  sleepTask,
  spawnBuilder,
  STATE,
  taskInfo,
  waitForState,
  type BuilderProcess,
} from '../helpers/builder.js';
import { DRAIN_MS } from 'koji-es/http-drain';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

let h: TestHub | null = null;
let tmp: { dir: string; cleanup: () => void };
const builders: BuilderProcess[] = [];

before(() => {
  tmp = tempDir('koji-es-builder-restart-');
});
after(async () => {
  await Promise.all(builders.map((b) => b.kill()));
  await h?.close();
  tmp?.cleanup();
});

const hubAt = (dataDir: string, port = 0) =>
  startTestHub({ flags: { '--data-dir': dataDir, '--port': String(port) } });

test('the hub restarts while a builder runs a task: it reconnects, finishes its work, takes new tasks', async () => {
  const dataDir = join(tmp.dir, 'hub');
  h = await hubAt(dataDir);
  const port = Number(new URL(h.url).port);
  const host = await makeHost(h, tmp.dir, 'restart-a');
  const b = spawnBuilder({ server: h.url, tokenFile: host.tokenFile, workdir: join(tmp.dir, 'a') });
  builders.push(b);
  const first = await sleepTask(h, 2);
  await waitForState(h, first, STATE.OPEN);

  await h.close();
  h = null;
  await b.waitFor(/lost the hub/);
  h = await hubAt(dataDir, port);
  await b.waitFor(/reconnected to the hub/);

  const done = await waitForState(h, first, STATE.CLOSED);
  assert.equal(done.host_id, host.id, 'the task it held stayed its own');
  assert.deepEqual((await openings(h)).get(first), [host.id], 'opened once');
  const second = await sleepTask(h, 0);
  assert.equal((await waitForState(h, second, STATE.CLOSED)).host_id, host.id);

  b.p.kill('SIGTERM');
  assert.equal((await b.exited).code, 0);
});

test('a builder that restarts fails the task its previous run left OPEN, then works on', async () => {
  assert.ok(h, 'the hub of the previous test');
  const host = await makeHost(h, tmp.dir, 'restart-b', { channels: ['restart-b'] });
  const stale = await sleepTask(h, 30, { channel: 'restart-b' });
  const first = spawnBuilder({ server: h.url, tokenFile: host.tokenFile, workdir: join(tmp.dir, 'b') });
  builders.push(first);
  await waitForState(h, stale, STATE.OPEN);
  first.p.kill('SIGKILL');
  await first.exited;

  const again = spawnBuilder({ server: h.url, tokenFile: host.tokenFile, workdir: join(tmp.dir, 'b') });
  builders.push(again);
  await waitForState(h, stale, STATE.FAILED);
  assert.deepEqual(await h.call('getTaskResult', [stale, false]), {
    faultCode: 1000,
    faultString: 'builder restart-b restarted while the task was running',
  });
  const next = await sleepTask(h, 0, { channel: 'restart-b' });
  assert.equal((await waitForState(h, next, STATE.CLOSED)).host_id, host.id);
  assert.equal((await taskInfo(h, next)).state, STATE.CLOSED);
  again.p.kill('SIGTERM');
  assert.equal((await again.exited).code, 0);
});

test('the hub stops while idle builders long-poll it on kept-alive connections: close() ends, they notice', async () => {
  const dataDir = join(tmp.dir, 'idle');
  const hub = await hubAt(dataDir);
  const idle: BuilderProcess[] = [];
  for (const name of ['idle-a', 'idle-b']) {
    const host = await makeHost(hub, tmp.dir, name, { channels: [name] });
    const b = spawnBuilder({ server: hub.url, tokenFile: host.tokenFile, workdir: join(tmp.dir, name) });
    builders.push(b);
    idle.push(b);
    const t = await sleepTask(hub, 0, { channel: name });
    await waitForState(hub, t, STATE.CLOSED);
  }
  // Both are between passes now, waiting in host.waitForTasks; Node's server.close() alone waited
  // for their connections forever, as each builder sent its next request on the same one.
  await new Promise((r) => setTimeout(r, 300));
  let closed = false;
  const closing = hub.close().then(() => (closed = true));
  const deadline = new Promise((r) => setTimeout(r, DRAIN_MS + 15_000).unref());
  await Promise.race([closing, deadline]);
  assert.ok(closed, `close() has not returned ${DRAIN_MS / 1000 + 15} s after it was called`);
  for (const b of idle) await b.waitFor(/lost the hub/);
});
