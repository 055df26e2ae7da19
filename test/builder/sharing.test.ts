// Two `koji-es builder` processes, two host users, one hub, 100 tasks: every task runs exactly once
// (one TaskOpened each: opening is a compare-and-set on the task's stream) and both builders work.
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
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

let h: TestHub;
let tmp: { dir: string; cleanup: () => void };
const builders: BuilderProcess[] = [];

before(async () => {
  tmp = tempDir('koji-es-builder-share-');
  h = await startTestHub();
});
after(async () => {
  await Promise.all(builders.map((b) => b.kill()));
  await h?.close();
  tmp?.cleanup();
});

test('two builders share 100 tasks without ever running one twice', async () => {
  const a = await makeHost(h, tmp.dir, 'share-a');
  const b = await makeHost(h, tmp.dir, 'share-b');
  builders.push(
    spawnBuilder({ server: h.url, tokenFile: a.tokenFile, workdir: join(tmp.dir, 'a'), sleeptime: 0.05 }),
  );
  builders.push(
    spawnBuilder({ server: h.url, tokenFile: b.tokenFile, workdir: join(tmp.dir, 'b'), sleeptime: 0.05 }),
  );
  await Promise.all(builders.map((p) => p.waitFor(/ready: capacity/)));
  const ids: number[] = [];
  for (let i = 0; i < 100; i++) ids.push(await sleepTask(h, 0.02));
  for (const id of ids) await waitForState(h, id, STATE.CLOSED, 60_000);

  const opened = await openings(h);
  for (const id of ids)
    assert.equal(opened.get(id)?.length, 1, `task ${id} opened ${opened.get(id)?.length} times`);
  const byHost = new Map<number, number>();
  for (const id of ids) {
    const t = await taskInfo(h, id);
    assert.ok(t.host_id === a.id || t.host_id === b.id);
    assert.equal(opened.get(id)![0], t.host_id, 'closed by the host that opened it');
    byHost.set(t.host_id!, (byHost.get(t.host_id!) ?? 0) + 1);
  }
  assert.ok(
    (byHost.get(a.id) ?? 0) > 0 && (byHost.get(b.id) ?? 0) > 0,
    `both builders took tasks: ${[...byHost]}`,
  );

  for (const p of builders) p.p.kill('SIGTERM');
  for (const p of builders) assert.equal((await p.exited).code, 0);
});
