// The koji CLI's plugin commands on the wire (spec/koji-xmlrpc.md §9): test/koji_client_compat.py's
// add-sidetag, remove-sidetag, list-sidetags, edit-sidetag, runroot, watch-task, taskinfo,
// list-tasks, save-failed-tree and wait-repo scenarios against a hub with a real `koji-es builder`
// (runroot channel, busybox-static buildroots in the bwrap sandbox). This side makes the state they
// need: users, a base tag with a target and a repo, a failed runroot task with its kept buildroot, a
// task no builder takes. python3, bwrap or busybox-static missing: skip with the reason (fail under
// CI=true).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeHost, sleepTask, spawnBuilder, STATE, waitForState } from '../helpers/builder.js';
import { makeBusyboxRoot, needSandbox, writeRunrootConf } from '../helpers/buildroot.js';
import { startTestHub } from '../helpers/hub.js';
import { runCompatHarness } from '../helpers/koji-compat.js';
import { tempDir } from '../helpers/tmp.js';
import { commandExists, needTool } from '../helpers/tools.js';

const PASSWORD = 'plugin-compat-pw';
const BASE = 'cp-base';
const TARGET = 'cp-target';
const SCENARIOS = [
  'add_sidetag',
  'remove_sidetag',
  'list_sidetags',
  'edit_sidetag',
  'runroot',
  'watch_task',
  'taskinfo',
  'list_tasks',
  'save_failed_tree',
  'wait_repo',
];

test('the koji CLI plugin commands, call by call, against a hub with a real builder', async (t) => {
  if (!needTool(t, 'python3', commandExists('python3'), 'install python3')) return;
  if (!needSandbox(t)) return;
  const tmp = tempDir('koji-es-client-plugins-');
  const h = await startTestHub({
    tweak: (c) => {
      c.hub.repoIntervalMs = 200;
    },
  });
  let builder: ReturnType<typeof spawnBuilder> | null = null;
  try {
    const configDir = join(tmp.dir, 'config');
    const rootfs = makeBusyboxRoot(join(tmp.dir, 'rootfs'));
    writeRunrootConf(configDir, `[runroot]\ndefault_rootfs = ${rootfs}\ntimeout = 60\n`);
    const host = await makeHost(h, join(tmp.dir, 'hosts'), 'cp-builder', {
      channels: ['runroot'],
      capacity: 20,
    });
    for (const name of ['alice', 'bob']) {
      const id = await h.call<number>('createUser', [name], h.admin);
      await h.call('setUserPassword', [id, PASSWORD], h.admin);
    }
    await h.call('grantPermission', ['alice', 'runroot'], h.admin);
    const alice = await h.login('alice', PASSWORD);
    // The base tag lets its sidetags have debuginfo and some macros (Koji's parent-tag switches).
    const extra = {
      sidetag_debuginfo_allowed: true,
      sidetag_rpm_macros_allowed: 'dist _with_*',
      'repo.auto': true,
    };
    await h.call('createTag', [BASE, { arches: 'x86_64', extra, __starstar: true }], h.admin);
    await h.call('createBuildTarget', [TARGET, BASE, BASE], h.admin);
    await h.call('newRepo', [BASE], h.admin);
    builder = spawnBuilder({
      server: h.url,
      tokenFile: host.tokenFile,
      workdir: join(tmp.dir, 'work'),
      configDir,
      sleeptime: 0.05,
    });
    await builder.waitFor(/ready: capacity/);
    // alice's runroot that fails: its buildroot stays on the builder for save-failed-tree.
    const failed = await h.call<number>(
      'runroot',
      [BASE, 'x86_64', ['sh', '-c', 'echo building > /builddir/build.log; echo broken; exit 3']],
      alice,
    );
    await waitForState(h, failed, STATE.FAILED, 60_000);
    // A task of admin's in a channel no builder is in: it stays FREE (list-tasks).
    const free = await sleepTask(h, 60, { arch: 'noarch', channel: 'createrepo' });

    const started = Date.now();
    const r = await runCompatHarness(h.url, [
      '--user2',
      'alice',
      '--password2',
      PASSWORD,
      '--user3',
      'bob',
      '--password3',
      PASSWORD,
      '--basetag',
      BASE,
      '--target',
      TARGET,
      '--failed-task',
      String(failed),
      '--free-task',
      String(free),
      '--topurl',
      `${h.url}/files`,
      '--weburl',
      `${h.url}/koji`,
      ...SCENARIOS,
    ]);
    console.log(r.out.replace(/^/gm, '# '));
    console.log(`# harness: ${Date.now() - started} ms`);
    assert.equal(r.code, 0, `the harness failed:\n${r.out}\nbuilder:\n${builder.stderr().slice(-4000)}`);
    for (const s of SCENARIOS) assert.match(r.out, new RegExp(`^ok {3}${s}$`, 'm'), `${s} ran`);
  } finally {
    await builder?.kill();
    await h.close();
    tmp.cleanup();
  }
});
