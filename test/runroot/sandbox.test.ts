// The sandbox drivers on their own, on a busybox-static root: bwrap's argv, host-side capture of
// stdout+stderr in order with stdin at /dev/null, exit codes and signals, a set-up failure told
// apart from the command failing, the log cap, the time limit, walking paths inside a root without
// following symlinks, and the BuildrootError when no driver can run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { closeSync, readSync } from 'node:fs';
import {
  bwrapArgs,
  chooseDriver,
  hostTools,
  runSandboxed,
  type SandboxSpec,
} from 'koji-es/builder/sandbox/index';
import { InsideError, makeMountPoint, openInside } from 'koji-es/builder/sandbox/inside';
import { makeBusyboxRoot, needSandbox } from '../helpers/buildroot.js';
import { REPO_ROOT } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('koji-es-sandbox-');
let root: string;
before(() => {
  root = makeBusyboxRoot(join(tmp.dir, 'root'));
});
after(() => tmp.cleanup());

const spec = (argv: string[], o: Partial<SandboxSpec> = {}): SandboxSpec => ({
  root,
  argv,
  binds: [],
  network: false,
  hostname: 'test-br',
  cwd: '/builddir',
  env: { PATH: '/bin' },
  personality: null,
  ...o,
});

let n = 0;
async function run(
  t: TestContext,
  argv: string[],
  o: Partial<SandboxSpec> = {},
  limits = { max: 0, timeoutMs: 0 },
) {
  if (!needSandbox(t)) return null;
  const driver = await chooseDriver('bwrap', 'test-host');
  const logPath = join(tmp.dir, `log${++n}`);
  const r = await runSandboxed(driver, spec(argv, o), hostTools(), {
    logPath,
    maxLogBytes: limits.max,
    timeoutMs: limits.timeoutMs,
  });
  return { ...r, log: readFileSync(logPath, 'utf8') };
}

describe('bwrap', () => {
  test('its argv: user namespace with uid/gid 0, everything unshared, capabilities cut, the command after --', () => {
    const a = bwrapArgs(spec(['sh', '-c', 'x; y'], { binds: [{ src: '/s', dest: '/d', readOnly: true }] }));
    assert.deepEqual(a.slice(0, 6), ['--unshare-user', '--uid', '0', '--gid', '0', '--unshare-all']);
    for (const f of ['--die-with-parent', '--new-session', '--proc', '--dev', '--json-status-fd'])
      assert.ok(a.includes(f), f);
    assert.ok(!a.includes('--share-net'));
    assert.deepEqual(a.slice(a.indexOf('--cap-drop'), a.indexOf('--cap-drop') + 2), ['--cap-drop', 'ALL']);
    assert.ok(!a.includes('CAP_SYS_ADMIN') && !a.includes('CAP_MKNOD'));
    assert.deepEqual(a.slice(a.indexOf('--bind'), a.indexOf('--bind') + 3), ['--bind', root, '/']);
    assert.deepEqual(a.slice(a.indexOf('--ro-bind'), a.indexOf('--ro-bind') + 3), ['--ro-bind', '/s', '/d']);
    assert.deepEqual(a.slice(a.indexOf('--chdir'), a.indexOf('--chdir') + 2), ['--chdir', '/builddir']);
    assert.deepEqual(a.slice(a.lastIndexOf('--')), ['--', 'sh', '-c', 'x; y']);
    assert.ok(bwrapArgs(spec(['true'], { network: true })).includes('--share-net'));
  });

  test('stdout and stderr in one log in their order, stdin at /dev/null, the exit code passed through', async (t) => {
    const r = await run(t, ['sh', '-c', 'echo 1; echo 2 >&2; echo 3; cat; echo 4 >&2; exit 42']);
    if (!r) return;
    assert.equal(r.log, '1\n2\n3\n4\n');
    assert.deepEqual(r.outcome, { kind: 'exit', code: 42 });
  });

  test('a command killed by a signal', async (t) => {
    const r = await run(t, ['sh', '-c', 'kill -USR1 $$']);
    if (!r) return;
    assert.deepEqual(r.outcome, { kind: 'signal', signal: 10 });
  });

  test('a set-up failure is reported as such, not as the command failing', async (t) => {
    const r = await run(t, ['true'], {
      binds: [{ src: join(tmp.dir, 'missing'), dest: '/mnt/x', readOnly: true }],
    });
    if (!r) return;
    assert.equal(r.outcome.kind, 'setup');
    assert.match((r.outcome as { message: string }).message, /^bwrap: Can't find source path .*missing/);
  });

  test('the log cap keeps the first bytes, adds a note, and lets the command finish', async (t) => {
    const r = await run(
      t,
      ['sh', '-c', 'yes | head -c 100000; echo done > /builddir/finished'],
      {},
      { max: 100, timeoutMs: 0 },
    );
    if (!r) return;
    assert.deepEqual(r.outcome, { kind: 'exit', code: 0 });
    assert.equal(r.truncated, true);
    assert.equal(r.outputBytes, 100000);
    assert.ok(r.log.startsWith('y\n'.repeat(50)));
    assert.match(r.log.slice(100), /^\n\[koji-es: the log reached \[runroot\] max_log_size \(100 bytes\)/);
    assert.equal(readFileSync(join(root, 'builddir', 'finished'), 'utf8'), 'done\n');
  });

  test('the time limit kills every process of the sandbox', async (t) => {
    const started = Date.now();
    const r = await run(
      t,
      ['sh', '-c', 'sleep 7701 & (sleep 7702 &) ; echo up; sleep 7703'],
      {},
      { max: 0, timeoutMs: 500 },
    );
    if (!r) return;
    assert.deepEqual(r.outcome, { kind: 'timeout', seconds: 0.5 });
    assert.ok(Date.now() - started < 5000);
    assert.equal(r.log, 'up\n');
    const left = () =>
      spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.startsWith('sleep 770'));
    for (let i = 0; i < 50 && left().length; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(left(), []);
  });
});

describe('paths inside a root', () => {
  test('openInside: an absolute path is the root’s; no symlink is followed anywhere; `..` is refused', () => {
    const r = join(tmp.dir, 'walk');
    mkdirSync(join(r, 'etc'), { recursive: true });
    mkdirSync(join(r, 'builddir', 'sub'), { recursive: true });
    writeFileSync(join(r, 'etc', 'passwd'), 'inside\n');
    symlinkSync('/etc/passwd', join(r, 'builddir', 'leak'));
    symlinkSync('/etc', join(r, 'builddir', 'etcdir'));
    symlinkSync('../etc', join(r, 'builddir', 'relative'));
    const read = (p: string) => {
      const fd = openInside(r, p);
      const buf = Buffer.alloc(100);
      const len = readSync(fd, buf);
      closeSync(fd);
      return buf.subarray(0, len).toString();
    };
    assert.equal(read('/etc/passwd'), 'inside\n');
    assert.equal(read('etc//./passwd'), 'inside\n');
    const refuses = (p: string, re: RegExp) =>
      assert.throws(
        () => openInside(r, p),
        (e: unknown) => e instanceof InsideError && re.test(e.message),
      );
    refuses('/builddir/leak', /^\/builddir\/leak is a symbolic link \(not followed\)$/);
    refuses('/builddir/etcdir/passwd', /^\/builddir\/etcdir is a symbolic link/);
    refuses('/builddir/relative/passwd', /^\/builddir\/relative is a symbolic link/);
    refuses('/builddir/../etc/passwd', /'\.\.'/);
    refuses('/builddir/sub', /is not a regular file/);
    refuses('/builddir/none', /does not exist in the buildroot/);
    refuses('/', /names the root itself/);
  });

  test('makeMountPoint creates what is missing and refuses a symlink on the way', () => {
    const r = join(tmp.dir, 'mp');
    mkdirSync(join(r, 'mnt'), { recursive: true });
    const victim = join(tmp.dir, 'mp-victim');
    mkdirSync(victim);
    symlinkSync(victim, join(r, 'mnt', 'evil'));
    assert.equal(makeMountPoint(r, '/mnt/a/b', true), `${r}/mnt/a/b`);
    assert.equal(makeMountPoint(r, '/mnt/file', false), `${r}/mnt/file`);
    assert.throws(
      () => makeMountPoint(r, '/mnt/evil/x', true),
      /\/mnt\/evil is a symbolic link in the buildroot/,
    );
    assert.deepEqual(spawnSync('ls', ['-A', victim], { encoding: 'utf8' }).stdout, '');
  });
});

test('with neither bwrap nor unshare usable, BuildrootError names what to install', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to hide the tools in a mount namespace');
  const script = `
    const { chooseDriver } = require(${JSON.stringify(join(REPO_ROOT, 'dist', 'builder', 'sandbox', 'index.js'))});
    chooseDriver('auto', 'hostx').then(() => console.log('CHOSEN'), (e) => console.log(e.faultName + ': ' + e.message));`;
  const hide = ['bwrap', 'unshare', 'setpriv']
    .flatMap((b) => ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'].map((d) => `${d}/${b}`))
    .map((p) => `[ -e ${p} ] && mount --bind /dev/null ${p};`)
    .join(' ');
  const r = spawnSync(
    'unshare',
    ['--mount', 'sh', '-c', `${hide} exec "$0" -e "$1"`, process.execPath, script],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout.trim(),
    "BuildrootError: no usable sandbox on host hostx (bwrap: bwrap is not installed; unshare+chroot: util-linux's unshare and setpriv are not both installed): install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora/EL: dnf install bubblewrap) and make sure user namespaces are enabled (sysctl user.max_user_namespaces > 0)",
  );
});
