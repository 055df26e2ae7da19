// Save Failed Tree end to end (issue 10, DESIGN §9): a hub, a real `koji-es builder` process, a
// runroot task that fails in a real busybox buildroot (kept on disk for failed_buildroot_lifetime),
// extra contents planted in that kept root (devices, a socket, links, secrets, odd names), then
// saveFailedTree by its owner → the builder archives and uploads → TreeArchived → downloads by the
// owner (sha256 checked) and refusals for anyone else, by every path to the bytes; the CLI's
// save-failed-tree and download-task; the failures Koji's handler names.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  makeHost,
  spawnBuilder,
  STATE,
  waitForState,
  type BuilderProcess,
  type TestHost,
} from '../helpers/builder.js';
import { busyboxIsStatic, haveBwrap, makeBusyboxRoot, writeRunrootConf } from '../helpers/buildroot.js';
import { Client, ok } from '../helpers/cli-client.js';
import { credHeaders, REPO_ROOT, startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';
import { commandExists, needTool } from '../helpers/tools.js';
import {
  DECOYS,
  gnuList,
  gzipTest,
  makeBuildroot,
  readTarball,
  SECRETS,
  SOCKET,
  walkTree,
} from '../helpers/trees.js';

const PASSWORD = 'failed-tree-test-pw';
const TAG = 'sft-build';
/** What the failing command itself leaves in its buildroot: a ccache, a keytab, a log. */
const COMMAND_SECRETS = ['tmp/krb5cc_0', 'builddir/.cache/tmp/krb5cc_cmd', 'etc/cmd.keytab'];
const COMMAND = [
  'sh',
  '-c',
  'mkdir -p /builddir/.cache/tmp /builddir/build/BUILD && echo ccache > /tmp/krb5cc_0 && ' +
    'echo ccache > /builddir/.cache/tmp/krb5cc_cmd && echo keytab > /etc/cmd.keytab && ' +
    'echo "make: *** [all] Error 2" | tee /builddir/build/BUILD/make.log && exit 2',
];

interface Tree {
  task_id: number;
  buildroot_id: number;
  failed_task_id: number;
  owner_name: string;
  file: string;
  volume: string;
  size: number;
  sha256: string;
  full: boolean;
  entries: number;
  excluded_by_config: number;
  excluded_mandatory: number;
  skipped: number;
}

let tmp: { dir: string; cleanup: () => void };
let h: TestHub;
let host: TestHost;
let builder: BuilderProcess;
let workdir: string;
let alice: Creds;
let bob: Creds;
/** The failed runroot task, its buildroot, the buildroot's root directory. */
let failed: { task: number; br: number; root: string };
let viaRunroot = false;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A failed task of alice's with a buildroot kept on the builder: a real runroot when it can run. */
async function failedTask(): Promise<{ task: number; br: number; root: string }> {
  if (haveBwrap() && busyboxIsStatic()) {
    viaRunroot = true;
    const task = await h.call<number>('runroot', [TAG, 'x86_64', COMMAND], alice);
    await waitForState(h, task, STATE.FAILED, 60_000);
    const [br] = await h.call<{ id: number; path: string; keep_until: string | null }[]>('listBuildroots', {
      taskID: task,
    });
    assert.ok(br.keep_until, 'the failed task kept its buildroot');
    return { task, br: br.id, root: br.path };
  }
  if (process.env.CI === 'true') throw new Error('CI=true and bwrap or busybox-static is missing');
  // Without a sandbox: the builder's host fails a task of alice's itself and records its buildroot.
  const creds = { token: host.token };
  const task = await h.call<number>('runroot', [TAG, 'x86_64', COMMAND], alice);
  await h.call('host.openTask', [task], creds);
  const root = join(workdir, 'buildroots', `task${task}`, 'root');
  const br = await h.call<number>('host.newBuildRoot', [null, 'x86_64', task, null, root], creds);
  makeBusyboxRoot(root);
  for (const s of COMMAND_SECRETS) {
    mkdirSync(join(root, s, '..'), { recursive: true });
    writeFileSync(join(root, s), 'secret\n');
  }
  await h.call(
    'host.failTask',
    [task, { faultCode: 1000, faultString: 'exit 2', name: 'GenericError' }],
    creds,
  );
  await h.call('host.setBuildRootRetention', [br, new Date(Date.now() + 3600_000).toISOString()], creds);
  return { task, br, root };
}

before(async () => {
  tmp = tempDir('koji-es-sft-flow-');
  h = await startTestHub();
  const configDir = join(tmp.dir, 'config');
  mkdirSync(join(configDir, 'builder', 'plugins'), { recursive: true });
  // The builder's Save Failed Tree file as shipped: Koji's filters, volume failed-tree.
  cpSync(
    join(REPO_ROOT, 'config', 'builder', 'plugins', 'save_failed_tree.conf'),
    join(configDir, 'builder', 'plugins', 'save_failed_tree.conf'),
  );
  const rootfs = makeBusyboxRoot(join(tmp.dir, 'rootfs'));
  writeRunrootConf(configDir, `[runroot]\ndefault_rootfs = ${rootfs}\ntimeout = 60\n`);
  host = await makeHost(h, join(tmp.dir, 'hosts'), 'sft1', { channels: ['runroot'], capacity: 20 });
  await h.call('createTag', [TAG, { arches: 'x86_64', __starstar: true }], h.admin);
  for (const name of ['alice', 'bob']) {
    const id = await h.call<number>('createUser', [name], h.admin);
    await h.call('setUserPassword', [id, PASSWORD], h.admin);
  }
  await h.call('grantPermission', ['alice', 'runroot'], h.admin);
  alice = await h.login('alice', PASSWORD);
  bob = await h.login('bob', PASSWORD);
  workdir = join(tmp.dir, 'work');
  builder = spawnBuilder({ server: h.url, tokenFile: host.tokenFile, workdir, configDir, sleeptime: 0.05 });
  await builder.waitFor(/ready: capacity/);
  failed = await failedTask();
  // The kept root gets the rest of a buildroot's worst: devices, a FIFO, a socket, hard links, a
  // symlink to the host's /etc/shadow, secrets in hidden directories, long and non-ASCII names.
  await makeBuildroot(failed.root);
});

after(async () => {
  await builder?.kill();
  await h?.close();
  tmp?.cleanup();
});

const trees = () => h.call<Tree[]>('listFailedTrees', []);
const treeOf = async (task: number) => (await trees()).find((t) => t.task_id === task)!;
const filesUrl = (t: Tree) =>
  `${h.url}/files/vol/${t.volume}/work/tasks/${t.task_id % 10000}/${t.task_id}/${t.file}`;
const isSecret = (name: string) => SECRETS.includes(name) || COMMAND_SECRETS.includes(name);

describe('saveFailedTree through the API with a real builder', () => {
  let task: number;
  let tree: Tree;

  test('the owner asks; the builder archives builddir, uploads it to volume failed-tree, records TreeArchived; the task closes with None', async () => {
    task = await h.call<number>('saveFailedTree', [failed.br], alice);
    const info = await h.call<{
      method: string;
      state: number;
      host_id: number;
      owner: number;
      request: unknown[];
    }>('getTaskInfo', [task, true]);
    assert.equal(info.method, 'saveFailedTree');
    assert.deepEqual(info.request, [failed.br, false]);
    await waitForState(h, task, STATE.CLOSED, 60_000);
    assert.equal((await h.call<{ host_id: number }>('getTaskInfo', [task])).host_id, host.id);
    assert.equal(await h.call('getTaskResult', [task]), null);
    const file = `broot-${failed.br}.tar.gz`;
    assert.deepEqual(await h.call('listTaskOutput', [task, false, true]), { [file]: ['failed-tree'] });
    tree = await treeOf(task);
    assert.equal(tree.file, file);
    assert.equal(tree.volume, 'failed-tree');
    assert.equal(tree.buildroot_id, failed.br);
    assert.equal(tree.failed_task_id, failed.task);
    assert.equal(tree.owner_name, 'alice');
    assert.equal(tree.full, false);
    // builddir only: the hidden ccaches there are the only secrets; Koji's shipped `*/tmp/krb5cc`
    // misses them, the mandatory rules do not. The socket is skipped.
    assert.equal(tree.excluded_by_config, 0);
    assert.equal(tree.excluded_mandatory, 2);
    assert.equal(tree.skipped, 1);
    const onDisk = join(
      h.dataDir,
      'files',
      'vol',
      'failed-tree',
      'work',
      'tasks',
      String(task % 10000),
      String(task),
      file,
    );
    const bytes = readFileSync(onDisk);
    assert.equal(bytes.length, tree.size);
    assert.equal(sha(bytes), tree.sha256);
    assert.ok(
      !existsSync(join(workdir, 'tasks', String(task % 10000), String(task))),
      'the task workdir is gone',
    );
    // The tarball holds exactly builddir minus its secrets and the socket.
    const want = [...(await walkTree(failed.root)).entries()]
      .filter(([n, node]) => n.startsWith('builddir/') && !isSecret(n) && node.type !== 'socket')
      .map(([n]) => n)
      .sort();
    const members = await readTarball(onDisk);
    assert.deepEqual(members.map((m) => m.name).sort(), want);
    assert.equal(tree.entries, members.length);
    if (viaRunroot) assert.ok(members.some((m) => m.name === 'builddir/build/BUILD/make.log'));
    assert.ok(!members.some((m) => m.name === SOCKET));
  });

  test('the owner downloads it by downloadTaskOutput and GET /files (sha256 matches); others are refused', async () => {
    const b64 = await h.call<string>('downloadTaskOutput', [task, tree.file, 0, -1, 'failed-tree'], alice);
    assert.equal(sha(Buffer.from(b64, 'base64')), tree.sha256);
    const asAlice = await fetch(filesUrl(tree), { headers: credHeaders(alice) });
    assert.equal(asAlice.status, 200);
    assert.equal(sha(Buffer.from(await asAlice.arrayBuffer())), tree.sha256);
    const asAdmin = await fetch(filesUrl(tree), { headers: credHeaders(h.admin) });
    assert.equal(asAdmin.status, 200, 'admins may');
    await asAdmin.arrayBuffer();
    const asBob = await fetch(filesUrl(tree), { headers: credHeaders(bob) });
    assert.equal(asBob.status, 403);
    assert.match(
      await asBob.text(),
      /only alice, who owns failed task \d+, or an admin may download its tree/,
    );
    const anonymous = await fetch(filesUrl(tree));
    assert.equal(anonymous.status, 401);
    await anonymous.arrayBuffer();
    const r = await h.rpc('downloadTaskOutput', [task, tree.file, 0, -1, 'failed-tree'], bob);
    assert.equal(r.body.error?.data?.name, 'ActionNotAllowed');
    assert.equal(r.body.error?.data?.faultCode, 1004);
  });

  test('download-task fetches it for the owner; another user gets 403', async () => {
    const cli = new Client(h.url);
    try {
      const env = { KOJI_ES_USER: 'alice', KOJI_ES_PASSWORD: PASSWORD };
      ok(
        await cli.run(['download-task', String(task), '--noprogress'], { env }),
        `Downloading [1/1]: failed-tree/${tree.file}\n`,
      );
      assert.equal(sha(readFileSync(join(cli.home, 'failed-tree', tree.file))), tree.sha256);
      const refused = await cli.run(['download-task', String(task), '--dirpath', 'bob', '--noprogress'], {
        env: { KOJI_ES_USER: 'bob', KOJI_ES_PASSWORD: PASSWORD },
      });
      assert.equal(refused.code, 1);
      // The hub's reason comes along.
      assert.match(
        refused.stderr,
        /HTTP 403 Forbidden: only alice, who owns failed task \d+, or an admin may download its tree \(logged in as bob\)\n$/,
      );
      assert.ok(!existsSync(join(cli.home, 'bob')), 'nothing left behind, not even a directory');
    } finally {
      cli.cleanup();
    }
  });

  test("another user may not ask (Koji's owner check)", async () => {
    const r = await h.rpc('saveFailedTree', [failed.br], bob);
    assert.equal(r.body.error?.data?.name, 'ActionNotAllowed');
    assert.equal(r.body.error?.data?.faultString, "Only owner of failed task or 'admin' can run this task.");
  });
});

describe('save-failed-tree, the CLI, against the real builder', () => {
  test('--full in task mode: Created task, Task info, watched until it closes; the whole root without a secret, GNU tar agrees', async (t: TestContext) => {
    const cli = new Client(h.url);
    try {
      const r = await cli.run(['save-failed-tree', '--full', String(failed.task)], {
        env: { KOJI_ES_USER: 'alice', KOJI_ES_PASSWORD: PASSWORD },
      });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const m = /^Created task (\d+) for buildroot (\d+)\nTask info: (\S+)\/taskinfo\?taskID=(\d+)\n/.exec(
        r.stdout,
      );
      assert.ok(m, r.stdout);
      assert.equal(Number(m[2]), failed.br);
      assert.equal(m[1], m[4]);
      const task = Number(m[1]);
      assert.match(r.stdout, new RegExp(`\\n${task} saveFailedTree \\(noarch\\) completed successfully\\n$`));
      const tree = await treeOf(task);
      assert.equal(tree.full, true);
      // Koji's shipped globs catch tmp/krb5cc, etc/krb5.keytab, etc/keytabs.d/x.keytab and the
      // command's etc/cmd.keytab; the mandatory rules the other four ccaches.
      assert.equal(tree.excluded_by_config, 4);
      assert.equal(tree.excluded_mandatory, 4);
      const b64 = await h.call<string>('downloadTaskOutput', [task, tree.file, 0, -1, 'failed-tree'], alice);
      const file = join(tmp.dir, 'full.tar.gz');
      writeFileSync(file, Buffer.from(b64, 'base64'));
      assert.equal(sha(readFileSync(file)), tree.sha256);
      const names = (await readTarball(file)).map((x) => x.name);
      for (const s of [...SECRETS, ...COMMAND_SECRETS]) assert.ok(!names.includes(s), `${s} left out`);
      for (const d of DECOYS) assert.ok(names.includes(d), `${d} kept`);
      for (const n of ['dev/null', 'dev/loop0', 'builddir/fifo', 'builddir/shadow', 'etc/shadow-link'])
        assert.ok(names.includes(n), n);
      assert.equal(tree.entries, names.length);
      if (!needTool(t, 'GNU tar', commandExists('tar'), 'apt-get install tar gzip')) return;
      assert.ok(gzipTest(file).ok);
      assert.deepEqual(gnuList(file).sort(), [...names].sort());
    } finally {
      cli.cleanup();
    }
  });
});

describe('failures', () => {
  test('a directory gone from the builder fails the task with "Buildroot directory is missing: <path>"', async () => {
    const other = await h.call<number>('runroot', [TAG, 'x86_64', COMMAND], alice);
    let br: number;
    let root: string;
    if (viaRunroot) {
      await waitForState(h, other, STATE.FAILED, 60_000);
      const [row] = await h.call<{ id: number; path: string }[]>('listBuildroots', { taskID: other });
      br = row.id;
      root = row.path;
    } else {
      const creds = { token: host.token };
      await h.call('host.openTask', [other], creds);
      root = join(workdir, 'buildroots', `task${other}`, 'root');
      br = await h.call<number>('host.newBuildRoot', [null, 'x86_64', other, null, root], creds);
      makeBusyboxRoot(root);
      await h.call(
        'host.failTask',
        [other, { faultCode: 1000, faultString: 'x', name: 'GenericError' }],
        creds,
      );
    }
    rmSync(join(root, 'builddir'), { recursive: true, force: true });
    const task = await h.call<number>('saveFailedTree', [br], alice);
    await waitForState(h, task, STATE.FAILED, 60_000);
    const r = await h.rpc('getTaskResult', [task]);
    assert.equal(r.body.error?.data?.name, 'GenericError');
    assert.equal(r.body.error?.data?.faultString, `Buildroot directory is missing: ${root}/builddir`);
    assert.deepEqual(await h.call('listTaskOutput', [task, false, true]), {});
    // Once the builder records the directory as removed, the hub refuses before making a task.
    await h.call('host.buildRootRemoved', [br, 'test removed it'], { token: host.token });
    const refused = await h.rpc('saveFailedTree', [br], alice);
    assert.equal(refused.body.error?.data?.name, 'GenericError');
    assert.match(
      String(refused.body.error?.data?.faultString),
      new RegExp(`^Buildroot ${br} was removed from its builder at `),
    );
  });
});
