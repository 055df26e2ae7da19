// Runs test/koji_client_compat.py — koji.ClientSession's wire behaviour, reimplemented from the
// spec with Python's standard library — against a hub, and the koji CLI's call sequences with it.
// python3 missing: the test skips with the reason, except under CI=true, where it fails.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { runCompatHarness } from '../helpers/koji-compat.js';
import { commandExists, needTool } from '../helpers/tools.js';

const LOG = 'runroot output\nline two\n\u00e9\u00e8 and bytes\n';

const harness = (h: TestHub, extra: string[]) => runCompatHarness(h.url, extra);

/** A task with a finished runroot.log, as a builder leaves it (for the base64-as-string download). */
async function taskWithLog(h: TestHub): Promise<number> {
  await h.call('addHost', ['compat-builder', ['x86_64']], h.admin);
  await h.call('setUserPassword', ['compat-builder', 'builder-password'], h.admin);
  const host = await h.login('compat-builder', 'builder-password');
  const task = await h.call<number>(
    'makeTask',
    ['sleep', [1], { __starstar: true, arch: 'noarch' }],
    h.admin,
  );
  await h.call('host.openTask', [task], host);
  const bytes = Buffer.from(LOG, 'utf8');
  await h.call('host.uploadFile', [task, 'runroot.log', 0, bytes.toString('base64')], host);
  const sha = createHash('sha256').update(bytes).digest('hex');
  await h.call('host.finishUpload', [task, 'runroot.log', bytes.length, sha], host);
  return task;
}

test('koji.ClientSession on the wire: version, hello, list-api, call, multicall, faults, downloads', async (t) => {
  if (!needTool(t, 'python3', commandExists('python3'), 'install python3')) return;
  const h = await startTestHub();
  try {
    const task = await taskWithLog(h);
    const r = await harness(h, [
      '--download-task',
      String(task),
      '--download-expect',
      Buffer.from(LOG, 'utf8').toString('base64'),
    ]);
    console.log(r.out.replace(/^/gm, '# '));
    assert.equal(r.code, 0, `the harness failed:\n${r.out}`);
    assert.match(r.out, /^ok {3}download$/m, 'the download scenario ran');
  } finally {
    await h.close();
  }
});

test('koji.ClientSession renews an expired session with login(renew=True) and repeats the call', async (t) => {
  if (!needTool(t, 'python3', commandExists('python3'), 'install python3')) return;
  const h = await startTestHub({
    tweak: (c) => {
      c.hub.sessionLifetimeSec = 1;
    },
  });
  try {
    const r = await harness(h, ['--expire-after', '1.5', 'expired']);
    console.log(r.out.replace(/^/gm, '# '));
    assert.equal(r.code, 0, `the harness failed:\n${r.out}`);
    assert.match(r.out, /^ok {3}expired$/m, 'the expired scenario ran');
  } finally {
    await h.close();
  }
});
