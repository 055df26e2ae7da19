// saveFailedTree asked again for the same buildroot (spec §7 S6: Koji makes another task, and another
// multi-GB tarball, every time): the task at work is returned, a saved tree is refused with where it
// is, and once it failed or was collected a new one may be made. The host's side is played through
// the host API, so every state is reached on purpose.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
import { addHost, type Host } from '../helpers/tasks.js';
import { addUser, failedTaskWithBuildroot, saveTree } from '../helpers/web.js';

describe('saveFailedTree for a buildroot already being saved or saved', () => {
  let h: TestHub;
  let host: Host;
  let bob: Creds;

  before(async () => {
    // The hub's own collector off: its first pass, soon after start-up, would race the limits set below.
    h = await startTestHub({ tweak: (c) => void (c.failedTree.gcIntervalMs = 0) });
    host = await addHost(h, 'again-1');
    bob = await addUser(h, 'bob', 'bob-password-123');
  });
  after(async () => {
    await h?.close();
  });

  const save = (br: number, full = false, who: Creds = h.admin) =>
    h.call<number>('saveFailedTree', [br, full], who);
  const refusal = async (br: number, full: boolean) => {
    const r = await h.rpc('saveFailedTree', [br, full], h.admin);
    return { name: r.body.error?.data?.name, message: String(r.body.error?.data?.faultString) };
  };
  const unfinished = async (br: number) =>
    (await h.call<{ id: number; method: string; state: number; request: unknown[] }[]>('listTasks', []))
      .filter((t) => t.method === 'saveFailedTree' && t.request[0] === br)
      .map((t) => t.id);

  test('while a save is at work, asking again returns its task; the other mode is a task of its own', async () => {
    const { buildrootId: br } = await failedTaskWithBuildroot(h, host);
    const first = await save(br);
    assert.equal(await save(br), first);
    assert.equal(await save(br, false), first);
    const whole = await save(br, true);
    assert.notEqual(whole, first);
    assert.equal(await save(br, true), whole);
    assert.deepEqual((await unfinished(br)).sort(), [first, whole].sort());
    // the owner check still comes first: another user learns nothing of the task at work
    const other = await h.rpc('saveFailedTree', [br, false], bob);
    assert.equal(other.body.error?.data?.name, 'ActionNotAllowed');
    await h.call('cancelTask', [first], h.admin);
    await h.call('cancelTask', [whole], h.admin);
  });

  test('a saved tree is refused with its task and how to download it; once collected, a new save is made', async () => {
    const { buildrootId: br } = await failedTaskWithBuildroot(h, host);
    const tree = await saveTree(h, host, br);
    assert.deepEqual(await refusal(br, false), {
      name: 'GenericError',
      message: `The builddir of buildroot ${br} is already saved by task ${tree.taskId} (${tree.file}): koji-es download-task ${tree.taskId}`,
    });
    // the whole tree is another thing
    const whole = await save(br, true);
    assert.notEqual(whole, tree.taskId);
    await h.call('cancelTask', [whole], h.admin);
    h.config.failedTree.maxTotalBytes = 1;
    try {
      await h.call('failedTreeGC', [], h.admin);
    } finally {
      h.config.failedTree.maxTotalBytes = 0;
    }
    const again = await save(br);
    assert.ok(again > tree.taskId);
    await h.call('cancelTask', [again], h.admin);
  });

  test('a save that failed or was canceled does not stop a new one', async () => {
    const { buildrootId: br } = await failedTaskWithBuildroot(h, host);
    const first = await save(br);
    await h.call('cancelTask', [first], h.admin);
    const second = await save(br);
    assert.notEqual(second, first);
  });
});
