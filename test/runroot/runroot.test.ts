// Runroot end to end (issue 9, spec §4.2, DESIGN §8): a hub, a real `koji-es builder` process, real
// busybox-static buildroots on tmpfs and the real sandbox. Success and failure with Koji's texts,
// signals, the time limit killing the whole process tree, the log cap, read-only and read-write
// mounts seen from the host, refused mounts, symlinks planted in the buildroot, upload_logs that
// reach for host files, packages through a recording install command, what the sandbox forbids,
// no network by default, the live log, buildroot records and retention, setarch, repos, weights,
// cancel, the unshare driver, and 20 concurrent tasks on one builder.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  eventually,
  makeHost,
  maxOpenAtOnce,
  spawnBuilder,
  STATE,
  type BuilderProcess,
} from '../helpers/builder.js';
import { makeBusyboxRoot, needSandbox } from '../helpers/buildroot.js';
import { needTool } from '../helpers/tools.js';
import { startWorld, TAG, type World } from './world.js';

let w: World | null = null;
const LIFETIME = 3;

before(async () => {
  w = await startWorld({ builderEnv: { KOJI_ES_BUILDER_FAILED_BUILDROOT_LIFETIME: String(LIFETIME) } });
});
after(async () => {
  await w?.close();
});

/** The world, once the sandbox is known to be there (skips, or fails under CI=true, otherwise). */
function world(t: TestContext): World | null {
  if (!needSandbox(t)) return null;
  return w!;
}

interface BuildrootRow {
  id: number;
  arch: string;
  state: number;
  path: string;
  task_id: number;
  tag_name: string;
  repo_id: number;
  keep_until: string | null;
  removed_at: string | null;
  removed_reason: string | null;
}

const buildroots = (w: World, task: number) => w.h.call<BuildrootRow[]>('listBuildroots', { taskID: task });

/** Host processes whose command line starts with `marker` (sandboxed ones included: same kernel). */
function processes(marker: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.startsWith(marker));
}

describe('runroot on a builder with the bwrap sandbox', () => {
  test("success: Koji's result text, stdout and stderr interleaved in runroot.log, the buildroot recorded and removed", async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot([
      'sh',
      '-c',
      'echo out1; echo err1 >&2; echo out2; cat /etc/motd; pwd; id -u',
    ]);
    const info = await w.wait(id);
    assert.equal(info.state, STATE.CLOSED, JSON.stringify(await w.fault(id).catch(() => null)));
    assert.equal(await w.h.call('getTaskResult', [id]), 'sh completed successfully');
    assert.equal(await w.log(id), 'out1\nerr1\nout2\nthe busybox root\n/builddir\n0\n');
    assert.deepEqual(await w.outputs(id), ['runroot.log']);
    const [br] = await buildroots(w, id);
    assert.equal(br.state, 3, 'EXPIRED');
    assert.equal(br.tag_name, TAG);
    assert.equal(br.arch, 'x86_64');
    assert.ok(br.repo_id > 0);
    assert.equal(br.path, join(w.workdir, 'buildroots', `task${id}`, 'root'));
    assert.equal(br.keep_until, null);
    assert.ok(!existsSync(br.path), 'the directory of a successful task is gone when the task is CLOSED');
    // The builder's next pass, right after the task ends, records the removal.
    const removed = await eventually(async () => {
      const [b] = await buildroots(w, id);
      assert.ok(b.removed_at);
      return b;
    }, 5000);
    assert.equal(removed.removed_reason, `task ${id} closed`);
    assert.ok(!existsSync(join(w.rootfs, 'builddir', 'runroot.log')), 'the base root itself is never used');
  });

  test('a command string runs under /bin/sh -c; a list is exec’d without a shell; env assignments are skipped in the name', async (t) => {
    const w = world(t);
    if (!w) return;
    const a = await w.runroot('FOO=bar echo $((6*7)) "$FOO" | cat');
    assert.equal((await w.wait(a)).state, STATE.CLOSED);
    assert.equal(await w.h.call('getTaskResult', [a]), 'echo completed successfully');
    assert.equal(await w.log(a), '42 \n');
    const b = await w.runroot(['echo', '$HOME', "it's", '; rm -rf /']);
    assert.equal((await w.wait(b)).state, STATE.CLOSED);
    assert.equal(await w.log(b), "$HOME it's ; rm -rf /\n");
    const c = await w.runroot('A=1 B=2');
    assert.equal((await w.wait(c)).state, STATE.CLOSED);
    assert.equal(await w.h.call('getTaskResult', [c]), '(none) completed successfully');
  });

  test('failure: BuildrootError "<cmd> exited with status N"; the buildroot is kept, then removed and recorded', async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot([
      '/bin/sh',
      '-c',
      'echo before; echo oops >&2; touch /builddir/evidence; exit 3',
    ]);
    assert.equal((await w.wait(id)).state, STATE.FAILED);
    assert.deepEqual(await w.fault(id), { name: 'BuildrootError', message: 'sh exited with status 3' });
    assert.equal(await w.log(id), 'before\noops\n');
    const [br] = await buildroots(w, id);
    assert.equal(br.state, 3);
    assert.ok(br.keep_until, 'retention recorded');
    const keep = Date.parse(br.keep_until!);
    assert.ok(Math.abs(keep - (Date.now() + LIFETIME * 1000)) < LIFETIME * 1000, br.keep_until!);
    assert.equal(br.removed_at, null);
    assert.ok(existsSync(join(br.path, 'builddir', 'evidence')), 'a failed task keeps its buildroot');
    // After failed_buildroot_lifetime the builder's sweep removes it and records that.
    const after = await eventually(async () => {
      const [b] = await buildroots(w, id);
      assert.ok(b.removed_at, 'its removal is recorded');
      return b;
    }, 20_000);
    assert.ok(!existsSync(br.path), 'removed after its lifetime');
    assert.ok(Date.parse(after.removed_at!) >= keep - 1000, `${after.removed_at} vs ${br.keep_until}`);
    assert.match(after.removed_reason ?? '', /failed_buildroot_lifetime/);
  });

  test('a command killed by a signal: "<cmd> was killed by signal N"', async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot(['sh', '-c', 'echo dying; kill -9 $$']);
    assert.equal((await w.wait(id)).state, STATE.FAILED);
    assert.deepEqual(await w.fault(id), { name: 'BuildrootError', message: 'sh was killed by signal 9' });
    assert.equal(await w.log(id), 'dying\n');
  });

  test('a command that cannot be run is its failure, not a sandbox failure', async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot(['/no/such/program', 'x']);
    assert.equal((await w.wait(id)).state, STATE.FAILED);
    const f = await w.fault(id);
    assert.equal(f.name, 'BuildrootError');
    assert.equal(f.message, 'program exited with status 127');
  });

  test('the time limit kills the whole process tree and fails the task with a clear message', async (t) => {
    const w = world(t);
    if (!w) return;
    w.conf({ runroot: 'timeout = 1.5' });
    try {
      const started = Date.now();
      const id = await w.runroot(['sh', '-c', 'sleep 7301 & sleep 7302 & echo started; sleep 7303']);
      assert.equal((await w.wait(id)).state, STATE.FAILED);
      const took = Date.now() - started;
      assert.ok(took < 15_000, `took ${took} ms`);
      assert.deepEqual(await w.fault(id), {
        name: 'BuildrootError',
        message:
          'sh did not finish within the runroot time limit of 1.5 s ([runroot] timeout): its whole process tree was killed',
      });
      assert.equal(await w.log(id), 'started\n');
      await eventually(async () => assert.deepEqual(processes('sleep 730'), []), 5000);
    } finally {
      w.conf();
    }
  });

  test('max_log_size: the log stops growing with a note while the command runs on', async (t) => {
    const w = world(t);
    if (!w) return;
    w.conf({ runroot: 'max_log_size = 1000' });
    try {
      const id = await w.runroot(['sh', '-c', 'seq 1 20000; echo done >&2; touch /builddir/finished']);
      assert.equal((await w.wait(id)).state, STATE.CLOSED);
      const log = await w.log(id);
      const note =
        '\n[koji-es: the log reached [runroot] max_log_size (1000 bytes); the rest of the output was discarded]\n';
      assert.ok(log.endsWith(note), log.slice(-200));
      assert.equal(log.length, 1000 + note.length);
      assert.ok(log.startsWith('1\n2\n3\n'));
    } finally {
      w.conf();
    }
  });

  test('mounts: the default mount is read-only, an extra mount read-write and its writes are seen on the host', async (t) => {
    const w = world(t);
    if (!w) return;
    writeFileSync(join(w.hostArchive, 'old.txt'), 'archived\n');
    mkdirSync(join(w.hostWork, 'tmp', 'job1'), { recursive: true });
    const id = await w.runroot(
      [
        'sh',
        '-c',
        'cat /mnt/archive/old.txt; echo new > /mnt/archive/new.txt || echo archive-is-read-only; ' +
          'echo written-inside > /mnt/workdir/tmp/job1/out.txt && echo rw-ok',
      ],
      { mounts: ['/mnt/workdir/tmp/job1'] },
    );
    assert.equal((await w.wait(id)).state, STATE.CLOSED, JSON.stringify(await w.fault(id).catch(() => null)));
    const log = await w.log(id);
    assert.match(log, /^archived\n/);
    assert.match(log, /archive-is-read-only/);
    assert.match(log, /rw-ok/);
    assert.ok(!existsSync(join(w.hostArchive, 'new.txt')));
    assert.equal(readFileSync(join(w.hostWork, 'tmp', 'job1', 'out.txt'), 'utf8'), 'written-inside\n');
  });

  test('run_as: root in the buildroot, the host user outside — what it writes on a mount is theirs; an unreachable work directory is named', async (t) => {
    const w = world(t);
    if (!w) return;
    const ids = { uid: 4242, gid: 4343 };
    const job = join(w.hostWork, 'tmp', 'runas');
    mkdirSync(job, { recursive: true });
    chownSync(job, ids.uid, ids.gid);
    const command = [
      'sh',
      '-c',
      'id -u; echo mine > /mnt/workdir/tmp/runas/out.txt && mkdir /mnt/workdir/tmp/runas/d && echo ok',
    ];
    const mode = statSync(w.dir).mode & 0o7777;
    // The test's directory is private (0700): the builder says so before anything runs.
    chmodSync(w.dir, 0o700);
    const refused = await w.runroot(command, { mounts: ['/mnt/workdir/tmp/runas'], run_as: '4242:4343' });
    assert.equal((await w.wait(refused)).state, STATE.FAILED);
    const why = await w.fault(refused);
    assert.equal(why.name, 'BuildrootError');
    assert.ok(
      why.message.startsWith(
        `run_as 4242:4343: uid 4242 cannot reach the builder's work directory on host rr1: ${w.dir} (mode 0700`,
      ),
      why.message,
    );
    assert.deepEqual(await buildroots(w, refused), [], 'no buildroot was made');
    chmodSync(w.dir, 0o755);
    try {
      const id = await w.runroot(command, { mounts: ['/mnt/workdir/tmp/runas'], run_as: '4242:4343' });
      assert.equal(
        (await w.wait(id)).state,
        STATE.CLOSED,
        JSON.stringify(await w.fault(id).catch(() => null)),
      );
      assert.equal(await w.log(id), '0\nok\n', 'uid 0 inside');
      for (const f of ['out.txt', 'd']) {
        const st = statSync(join(job, f));
        assert.deepEqual([st.uid, st.gid], [ids.uid, ids.gid], `${f} is the user's on the host`);
      }
      // without run_as: root's, as in Koji
      mkdirSync(join(w.hostWork, 'tmp', 'asroot'), { recursive: true });
      const asRoot = await w.runroot(['sh', '-c', 'echo x > /mnt/workdir/tmp/asroot/root.txt'], {
        mounts: ['/mnt/workdir/tmp/asroot'],
      });
      assert.equal(
        (await w.wait(asRoot)).state,
        STATE.CLOSED,
        JSON.stringify(await w.fault(asRoot).catch(() => null)),
      );
      assert.equal(statSync(join(w.hostWork, 'tmp', 'asroot', 'root.txt')).uid, 0);
    } finally {
      chmodSync(w.dir, mode);
    }
  });

  test('capture_on_failure: a failed command gives up the chosen files at once as failure-capture.tar.gz; a successful one nothing', async (t) => {
    const w = world(t);
    if (!w) return;
    w.conf({
      runroot: 'capture_on_failure = builddir/**/*.log, builddir/.netrc, **/core.*\ncapture_max_size = 1000',
    });
    try {
      const make =
        'mkdir -p /builddir/out && echo build-failed > /builddir/out/build.log && echo secret > /builddir/.netrc && ' +
        'head -c 5000 /dev/zero > /builddir/out/zz-big.log && echo dump > /core.77 && echo other > /builddir/x.txt';
      const id = await w.runroot(['sh', '-c', `${make}; exit 2`]);
      assert.equal((await w.wait(id)).state, STATE.FAILED);
      assert.deepEqual(await w.fault(id), { name: 'BuildrootError', message: 'sh exited with status 2' });
      assert.deepEqual(await w.outputs(id), ['failure-capture.tar.gz', 'runroot.log']);
      const file = join(w.dir, `capture-${id}.tar.gz`);
      writeFileSync(
        file,
        Buffer.from(await w.h.call<string>('downloadTaskOutput', [id, 'failure-capture.tar.gz']), 'base64'),
      );
      const listed = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n').sort();
      assert.deepEqual(
        listed,
        ['builddir/out/build.log', 'core.77'],
        'the secret and the file past the limit left out',
      );
      assert.equal(
        execFileSync('tar', ['-xzOf', file, 'builddir/out/build.log'], { encoding: 'utf8' }),
        'build-failed\n',
      );
      const ok = await w.runroot(['sh', '-c', make]);
      assert.equal((await w.wait(ok)).state, STATE.CLOSED);
      assert.deepEqual(await w.outputs(ok), ['runroot.log']);
    } finally {
      w.conf();
    }
  });

  test('path_subs: an extra mount rewritten at its start, still under the safe roots', async (t) => {
    const w = world(t);
    if (!w) return;
    mkdirSync(join(w.hostWork, 'tmp', 'new', 'x'), { recursive: true });
    const id = await w.runroot(['sh', '-c', 'echo via-subs > /mnt/workdir/tmp/new/x/f'], {
      mounts: ['/mnt/workdir/tmp/old/x'],
    });
    assert.equal((await w.wait(id)).state, STATE.CLOSED, JSON.stringify(await w.fault(id).catch(() => null)));
    assert.equal(readFileSync(join(w.hostWork, 'tmp', 'new', 'x', 'f'), 'utf8'), 'via-subs\n');
  });

  test('refused mounts: outside the safe roots, with `..`, the look-alike /mnt/workdir/tmpevil — no buildroot is made', async (t) => {
    const w = world(t);
    if (!w) return;
    mkdirSync(join(w.hostWork, 'tmpevil'), { recursive: true });
    for (const m of [
      '/mnt/elsewhere',
      '/mnt/workdir/tmp/../tmpevil',
      '/mnt/workdir/tmpevil',
      'mnt/workdir/tmp/x',
    ]) {
      const id = await w.runroot(['sh', '-c', 'echo should-not-run'], { mounts: [m] });
      assert.equal((await w.wait(id)).state, STATE.FAILED);
      assert.deepEqual(await w.fault(id), {
        name: 'GenericError',
        message: `read-write mount point is not safe: ${m}`,
      });
      assert.deepEqual(await buildroots(w, id), []);
      assert.deepEqual(await w.outputs(id), []);
    }
    assert.deepEqual(readdirSync(join(w.hostWork, 'tmpevil')), []);
  });

  test('upload_logs come from inside the buildroot only: /etc/passwd is the root’s, symlinks to host files are refused', async (t) => {
    const w = world(t);
    if (!w) return;
    const good = await w.runroot(['sh', '-c', 'echo from-inside > /builddir/my.log'], {
      upload_logs: ['/etc/passwd', 'builddir/my.log'],
    });
    assert.equal(
      (await w.wait(good)).state,
      STATE.CLOSED,
      JSON.stringify(await w.fault(good).catch(() => null)),
    );
    assert.deepEqual(await w.outputs(good), ['my.log', 'passwd', 'runroot.log']);
    assert.equal(await w.log(good, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n', "the buildroot's passwd");
    assert.notEqual(await w.log(good, 'passwd'), readFileSync('/etc/passwd', 'utf8'));
    assert.equal(await w.log(good, 'my.log'), 'from-inside\n');

    const secret = join(w.dir, 'host-secret.txt');
    writeFileSync(secret, 'HOST SECRET\n');
    const bad = await w.runroot(
      [
        'sh',
        '-c',
        `ln -s ${secret} /builddir/leak.log; mkdir /builddir/d; ln -s /etc /builddir/etcdir; echo ok`,
      ],
      { upload_logs: ['/builddir/leak.log', '/builddir/etcdir/passwd', '../../etc/shadow', '/builddir/d'] },
    );
    assert.equal((await w.wait(bad)).state, STATE.FAILED);
    const f = await w.fault(bad);
    assert.equal(f.name, 'GenericError');
    assert.equal(
      f.message,
      'upload_logs: /builddir/leak.log: /builddir/leak.log is a symbolic link (not followed); ' +
        '/builddir/etcdir/passwd: /builddir/etcdir is a symbolic link (not followed); ' +
        "../../etc/shadow: '..' in the path; /builddir/d: /builddir/d is not a regular file",
    );
    assert.deepEqual(await w.outputs(bad), ['runroot.log']);
    assert.equal(await w.log(bad), 'ok\n');
  });

  test('a symlink in the buildroot pointing at a host path: the bind lands inside the root, never on the host', async (t) => {
    const w = world(t);
    if (!w) return;
    const victim = join(w.dir, 'victim');
    mkdirSync(victim);
    const roots = join(w.dir, 'roots');
    const evil = makeBusyboxRoot(join(roots, 'evil'));
    // /mnt/workdir in this root is a symlink to a host directory.
    symlinkSync(victim, join(evil, 'mnt', 'workdir'));
    mkdirSync(join(w.hostWork, 'tmp', 'job2'), { recursive: true });
    await w.h.call(
      'createTag',
      ['rr-evil', { arches: 'x86_64', extra: { 'runroot.rootfs': evil }, __starstar: true }],
      w.h.admin,
    );
    w.conf({ runroot: `allowed_rootfs = ${roots}` });
    try {
      const id = await w.runroot(
        [
          'sh',
          '-c',
          'echo into-mount > /mnt/workdir/tmp/job2/f; echo stray > /mnt/workdir/stray; ls -la /mnt/workdir',
        ],
        { mounts: ['/mnt/workdir/tmp/job2'] },
        'x86_64',
        'rr-evil',
      );
      const info = await w.wait(id);
      // bwrap resolves the symlink inside the new root: whatever happens, the host's directory is untouched.
      assert.deepEqual(readdirSync(victim), [], `host directory untouched (task state ${info.state})`);
      if (info.state === STATE.CLOSED) {
        assert.equal(readFileSync(join(w.hostWork, 'tmp', 'job2', 'f'), 'utf8'), 'into-mount\n');
        await eventually(async () => {
          const [br] = await buildroots(w, id);
          assert.equal(br.removed_reason, `task ${id} closed`);
        }, 5000);
      } else assert.equal((await w.fault(id)).name, 'BuildrootError');
    } finally {
      w.conf();
    }
  });

  test('packages: install_command runs inside the buildroot with the packages as arguments; its failure is Koji’s', async (t) => {
    const w = world(t);
    if (!w) return;
    const none = await w.runroot(['true'], { packages: ['rpm_a'] });
    assert.equal((await w.wait(none)).state, STATE.FAILED);
    assert.match(
      (await w.fault(none)).message,
      /packages were asked for \(rpm_a\) but host rr1 has no \[runroot\] install_command/,
    );
    w.conf({ runroot: 'install_command = /usr/local/bin/fake-install --yes "two words"' });
    try {
      const ok = await w.runroot(['cat', '/builddir/installed'], { packages: ['rpm_a', 'rpm_b'] });
      assert.equal(
        (await w.wait(ok)).state,
        STATE.CLOSED,
        JSON.stringify(await w.fault(ok).catch(() => null)),
      );
      assert.equal(await w.log(ok), '--yes two words rpm_a rpm_b\n');
      assert.deepEqual(await w.outputs(ok), ['install.log', 'runroot.log']);
      assert.equal(await w.log(ok, 'install.log'), 'installing --yes two words rpm_a rpm_b\n');
      const bad = await w.runroot(['echo', 'never'], { packages: ['rpm_a', 'fail-me'] });
      assert.equal((await w.wait(bad)).state, STATE.FAILED);
      assert.deepEqual(await w.fault(bad), {
        name: 'BuildrootError',
        message: '--install rpm_a fail-me exited with status 4',
      });
      assert.equal(
        await w.log(bad, 'install.log'),
        'installing --yes two words rpm_a fail-me\nno such package\n',
      );
      assert.deepEqual(await w.outputs(bad), ['install.log']);
    } finally {
      w.conf();
    }
  });

  test('inside the sandbox mknod of a block device, mount and writing /proc/sys all fail', async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot([
      'sh',
      '-c',
      'id -u; mknod /tmp/blk b 8 0 && echo MKNOD-WORKED; mount -t tmpfs none /mnt && echo MOUNT-WORKED; ' +
        'echo 1 > /proc/sys/vm/drop_caches && echo SYSCTL-WORKED; echo x > /proc/sys/kernel/domainname && echo UTS-SYSCTL-WORKED; ' +
        'echo end',
    ]);
    assert.equal((await w.wait(id)).state, STATE.CLOSED);
    const log = await w.log(id);
    assert.match(log, /^0\n/, 'the command runs as uid 0 of its user namespace');
    assert.doesNotMatch(log, /WORKED/);
    assert.match(log, /end\n$/);
  });

  test('no network by default (only lo); the tag’s runroot.network gives it', async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot(['cat', '/proc/net/dev']);
    assert.equal((await w.wait(id)).state, STATE.CLOSED);
    const ifaces = (await w.log(id))
      .split('\n')
      .slice(2)
      .filter(Boolean)
      .map((l) => l.trim().split(':')[0]);
    assert.deepEqual(ifaces, ['lo']);
    const host = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .filter(Boolean)
      .map((l) => l.trim().split(':')[0]);
    if (host.length > 1) {
      await w.h.call(
        'createTag',
        ['rr-net', { arches: 'x86_64', extra: { 'runroot.network': true }, __starstar: true }],
        w.h.admin,
      );
      const net = await w.runroot(['cat', '/proc/net/dev'], {}, 'x86_64', 'rr-net');
      assert.equal((await w.wait(net)).state, STATE.CLOSED);
      const seen = (await w.log(net))
        .split('\n')
        .slice(2)
        .filter(Boolean)
        .map((l) => l.trim().split(':')[0]);
      assert.deepEqual(seen.sort(), host.sort());
    }
  });

  test("the tag's rpm macros, inherited ones too, are in /builddir/.rpmmacros and task output rpmmacros.log", async (t) => {
    const w = world(t);
    if (!w) return;
    const A = w.h.admin;
    const macro = (extra: Record<string, unknown>) => ({ arches: 'x86_64', extra, __starstar: true });
    await w.h.call('createTag', ['rr-macros-base', macro({ 'rpm.macro.dist': '.fc40' })], A);
    await w.h.call(
      'createTag',
      [
        'rr-macros',
        { ...macro({ 'rpm.macro._with_bootstrap': 1, 'rpm.macro.x': 'no' }), parent: 'rr-macros-base' },
      ],
      A,
    );
    const id = await w.runroot(['cat', '/builddir/.rpmmacros'], {}, 'x86_64', 'rr-macros');
    assert.equal((await w.wait(id)).state, STATE.CLOSED, await w.log(id));
    assert.equal(
      (await w.log(id))
        .split('\n')
        .filter((l) => l.startsWith('%'))
        .join('\n'),
      '%_with_bootstrap 1\n%dist .fc40',
    );
    assert.deepEqual(await w.outputs(id), ['rpmmacros.log', 'runroot.log']);
    const logged = Buffer.from(await w.h.call<string>('downloadTaskOutput', [id, 'rpmmacros.log']), 'base64');
    assert.equal(
      logged.toString('utf8'),
      "# rpm macros of rr-macros (its build config's rpm.macro.*), written to /builddir/.rpmmacros\n%_with_bootstrap 1\n%dist .fc40\n",
    );
    // A tag without macros: no file, no output.
    const plain = await w.runroot(['sh', '-c', 'test ! -e /builddir/.rpmmacros']);
    assert.equal((await w.wait(plain)).state, STATE.CLOSED);
    assert.deepEqual(await w.outputs(plain), ['runroot.log']);
  });

  test('runroot.log is on the hub while the command runs (runrootLog), and task output only once complete', async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot(['sh', '-c', 'echo first; sleep 2; echo second']);
    const chunk = await eventually(async () => {
      const c = await w.h.call<{ data: string; size: number; complete: boolean }>('runrootLog', [id]);
      assert.equal(Buffer.from(c.data, 'base64').toString(), 'first\n');
      return c;
    }, 10_000);
    assert.equal(chunk.complete, false);
    assert.deepEqual(await w.outputs(id), [], 'not task output before it is complete');
    assert.equal((await w.h.call<{ state: number }>('getTaskInfo', [id])).state, STATE.OPEN);
    assert.equal((await w.wait(id)).state, STATE.CLOSED);
    const done = await w.h.call<{ data: string; size: number; complete: boolean; offset: number }>(
      'runrootLog',
      [id, 6],
    );
    assert.deepEqual(
      { ...done, data: Buffer.from(done.data, 'base64').toString() },
      {
        data: 'second\n',
        offset: 6,
        size: 13,
        complete: true,
      },
    );
    const r = await w.h.rpc('runrootLog', [1_000_000]);
    assert.equal((r.body.error?.data as { faultString: string }).faultString, 'No such task: 1000000');
  });

  test('setarch: an i686 buildroot runs under the i686 personality unless skip_setarch', async (t) => {
    const w = world(t);
    if (!w) return;
    if (process.arch !== 'x64') return t.skip('needs an x86_64 host');
    const a = await w.runroot(['uname', '-m'], {}, 'i686');
    assert.equal((await w.wait(a)).state, STATE.CLOSED);
    assert.equal(await w.log(a), 'i686\n');
    assert.equal((await buildroots(w, a))[0].arch, 'i686');
    const b = await w.runroot(['uname', '-m'], { skip_setarch: true }, 'i686');
    assert.equal((await w.wait(b)).state, STATE.CLOSED);
    assert.equal(await w.log(b), 'x86_64\n');
  });

  test("noarch: the buildroot gets the first inherited tag arch the host has; Koji's errors otherwise", async (t) => {
    const w = world(t);
    if (!w) return;
    await w.h.call(
      'createTag',
      ['rr-multi', { arches: 's390x ppc64le i686 x86_64', __starstar: true }],
      w.h.admin,
    );
    const id = await w.runroot(['uname', '-m'], {}, 'noarch', 'rr-multi');
    assert.equal((await w.wait(id)).state, STATE.CLOSED, JSON.stringify(await w.fault(id).catch(() => null)));
    assert.equal((await buildroots(w, id))[0].arch, 'i386');
    // The hub checks the tag's own arches (Koji); the builder's error shows with a task made directly.
    await w.h.call('createTag', ['rr-s390', { arches: 's390x', __starstar: true }], w.h.admin);
    const task = await w.h.call<number>(
      'makeTask',
      ['runroot', ['rr-s390', 'noarch', ['true']], { channel: 'runroot', __starstar: true }],
      w.h.admin,
    );
    assert.equal((await w.wait(task)).state, STATE.FAILED);
    assert.deepEqual(await w.fault(task), {
      name: 'BuildError',
      message: "host does not match tag arches: rr-s390 (['s390x'])",
    });
  });

  test('repo_id: the tag may be given by id or by name (Koji: name only); another tag’s repo or a DELETED one is refused', async (t) => {
    const w = world(t);
    if (!w) return;
    const repo = await w.h.call<{ id: number }>('getRepo', [TAG]);
    const byId = await w.runroot(['true'], { repo_id: repo.id }, 'x86_64', w.tagId);
    assert.equal(
      (await w.wait(byId)).state,
      STATE.CLOSED,
      JSON.stringify(await w.fault(byId).catch(() => null)),
    );
    assert.equal((await buildroots(w, byId))[0].repo_id, repo.id);
    await w.h.call('createTag', ['rr-other', { arches: 'x86_64', __starstar: true }], w.h.admin);
    const other = await w.runroot(['true'], { repo_id: repo.id }, 'x86_64', 'rr-other');
    assert.equal((await w.wait(other)).state, STATE.FAILED);
    assert.deepEqual(await w.fault(other), {
      name: 'BuildError',
      message: `build tag (rr-other) does not match repo tag (${TAG})`,
    });
    const missing = await w.runroot(['true'], { repo_id: 99999 });
    assert.equal((await w.wait(missing)).state, STATE.FAILED);
    assert.equal((await w.fault(missing)).message, 'No such repo: 99999');
  });

  test('weight: max(weight, 0.5) becomes the task weight', async (t) => {
    const w = world(t);
    if (!w) return;
    const a = await w.runroot(['true'], { weight: 10 });
    assert.equal((await w.wait(a)).weight, 10);
    const b = await w.runroot(['true'], { weight: 0.1 });
    assert.equal((await w.wait(b)).weight, 0.5);
    const c = await w.runroot(['true']);
    assert.equal((await w.wait(c)).weight, 2);
  });

  test('cancel: the sandbox is killed and the buildroot removed (and recorded by the next sweep)', async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot(['sh', '-c', 'sleep 7401 & sleep 7402']);
    await eventually(async () => assert.equal(processes('sleep 740').length, 2), 10_000);
    // BUILDING goes to the hub beside the command's start (buildroot.ts), so it may land just after.
    const br = await eventually(async () => {
      const [b] = await buildroots(w, id);
      assert.equal(b.state, 2, 'BUILDING while the command runs');
      return b;
    }, 10_000);
    assert.equal(await w.h.call('cancelTask', [id], w.h.admin), true);
    await eventually(async () => assert.deepEqual(processes('sleep 740'), []), 10_000);
    const rec = await eventually(async () => {
      const [b] = await buildroots(w, id);
      assert.ok(b.removed_at);
      return b;
    }, 10_000);
    assert.ok(!existsSync(br.path));
    assert.equal(rec.state, 3);
    assert.equal(rec.removed_reason, `task ${id} was canceled or stopped`);
  });

  test('base roots: a tarball named by the tag (inside allowed_rootfs), a tag path outside it refused, the host’s /usr', async (t) => {
    const w = world(t);
    if (!w) return;
    const roots = join(w.dir, 'roots');
    mkdirSync(roots, { recursive: true });
    const src = makeBusyboxRoot(join(w.dir, 'tarsrc'), { 'etc/motd': { text: 'from the tarball\n' } });
    const tarball = join(roots, 'busybox.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', src, '.']);
    await w.h.call(
      'createTag',
      ['rr-tar', { arches: 'x86_64', extra: { 'runroot.rootfs': tarball }, __starstar: true }],
      w.h.admin,
    );
    await w.h.call(
      'createTag',
      ['rr-etc', { arches: 'x86_64', extra: { 'runroot.rootfs': '/etc' }, __starstar: true }],
      w.h.admin,
    );
    w.conf({ runroot: `allowed_rootfs = ${roots}` });
    try {
      const a = await w.runroot(['cat', '/etc/motd'], {}, 'x86_64', 'rr-tar');
      assert.equal((await w.wait(a)).state, STATE.CLOSED, JSON.stringify(await w.fault(a).catch(() => null)));
      assert.equal(await w.log(a), 'from the tarball\n');
      const b = await w.runroot(['cat', '/etc/motd'], {}, 'x86_64', 'rr-etc');
      assert.equal((await w.wait(b)).state, STATE.FAILED);
      assert.match(
        (await w.fault(b)).message,
        /the tag's runroot.rootfs \/etc is not under \[runroot\] allowed_rootfs/,
      );
    } finally {
      w.conf();
    }
    // No base root configured at all: the host's /usr, bound read-only, with nothing of the host's /etc.
    w.conf({ runroot: '', more: '' });
    writeFileSync(
      join(w.configDir, 'builder', 'plugins', 'runroot.conf'),
      readFileSync(join(w.configDir, 'builder', 'plugins', 'runroot.conf'), 'utf8').replace(
        /^default_rootfs = .*$/m,
        '',
      ),
    );
    try {
      const c = await w.runroot('ls /etc; touch /usr/x 2>/dev/null || echo usr-read-only; command -v bash');
      assert.equal((await w.wait(c)).state, STATE.CLOSED, JSON.stringify(await w.fault(c).catch(() => null)));
      assert.equal(await w.log(c), 'group\nhosts\npasswd\nusr-read-only\n/usr/bin/bash\n');
    } finally {
      w.conf();
    }
  });

  test('20 concurrent runroot tasks on one builder', async (t) => {
    const w = world(t);
    if (!w) return;
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        w.runroot(['sh', '-c', `echo task ${i}; sleep 0.5; echo done ${i}`]),
      ),
    );
    const infos = await Promise.all(ids.map((id) => w.wait(id, 60_000)));
    assert.deepEqual(
      infos.map((i) => i.state),
      ids.map(() => STATE.CLOSED),
    );
    for (const [i, id] of ids.entries()) assert.equal(await w.log(id), `task ${i}\ndone ${i}\n`);
    const max = (await maxOpenAtOnce(w.h)).get(w.host.id) ?? 0;
    assert.ok(max >= 10, `at most ${max} tasks ran at once`);
  });
});

describe('a builder killed while runroot runs', () => {
  test('the sandbox dies with it; the restarted builder fails the task, removes the directory and records it', async (t) => {
    const w = world(t);
    if (!w) return;
    const host = await makeHost(w.h, join(w.dir, 'hosts'), 'rr2', { channels: ['rr-crash'] });
    const workdir = join(w.dir, 'work-rr2');
    const env = { KOJI_ES_BUILDER_FAILED_BUILDROOT_LIFETIME: '3600' };
    // The same builder twice: same host, work directory and retention.
    const start = () =>
      spawnBuilder({
        server: w.h.url,
        tokenFile: host.tokenFile,
        workdir,
        configDir: w.configDir,
        sleeptime: 0.05,
        env,
      });
    const first = start();
    let second: BuilderProcess | null = null;
    try {
      await first.waitFor(/ready: capacity/);
      const id = await w.h.call<number>(
        'runroot',
        [TAG, 'x86_64', ['sh', '-c', 'sleep 7801 & sleep 7802'], 'rr-crash', { __starstar: true }],
        w.h.admin,
      );
      await eventually(async () => assert.equal(processes('sleep 780').length, 2), 15_000);
      const [br] = await buildroots(w, id);
      await first.kill();
      await eventually(async () => assert.deepEqual(processes('sleep 780'), []), 5000);
      assert.ok(existsSync(br.path), 'left behind by the killed builder');
      second = start();
      assert.equal((await w.wait(id)).state, STATE.FAILED);
      assert.equal((await w.fault(id)).message, 'builder rr2 restarted while the task was running');
      const rec = await eventually(async () => {
        const [b] = await buildroots(w, id);
        assert.ok(b.removed_at);
        return b;
      }, 15_000);
      assert.equal(rec.state, 3);
      assert.equal(rec.removed_reason, `left by an earlier run of the builder (task ${id})`);
      assert.ok(!existsSync(br.path));
    } finally {
      await first.kill();
      await second?.kill();
    }
  });
});

describe('runroot with the unshare+chroot driver', () => {
  test('success, what the sandbox forbids, a read-write mount, no network, and a refused symlinked mount point', async (t) => {
    const w = world(t);
    if (!w) return;
    const have =
      spawnSync('sh', ['-c', 'command -v unshare && command -v setpriv'], { stdio: 'ignore' }).status === 0;
    if (!needTool(t, "util-linux's unshare and setpriv", have, 'apt-get install util-linux')) return;
    w.conf({ runroot: 'driver = unshare' });
    try {
      mkdirSync(join(w.hostWork, 'tmp', 'job3'), { recursive: true });
      const id = await w.runroot(
        [
          'sh',
          '-c',
          'echo hello; pwd; hostname; mknod /tmp/b b 8 0 && echo MKNOD-WORKED; mount -t tmpfs none /mnt && echo MOUNT-WORKED; ' +
            'echo 1 > /proc/sys/vm/drop_caches && echo SYSCTL-WORKED; echo rw > /mnt/workdir/tmp/job3/f; ' +
            'echo ro > /mnt/archive/f || echo archive-ro; cat /proc/net/dev | tail -n +3 | cut -d: -f1',
        ],
        { mounts: ['/mnt/workdir/tmp/job3'] },
      );
      assert.equal(
        (await w.wait(id)).state,
        STATE.CLOSED,
        JSON.stringify(await w.fault(id).catch(() => null)),
      );
      const log = await w.log(id);
      assert.match(log, /^hello\n\/builddir\nrr-build-\d+-\d+\n/);
      assert.doesNotMatch(log, /WORKED/);
      assert.match(log, /archive-ro/);
      assert.equal(readFileSync(join(w.hostWork, 'tmp', 'job3', 'f'), 'utf8'), 'rw\n');

      const fail = await w.runroot(['sh', '-c', 'exit 5']);
      assert.equal((await w.wait(fail)).state, STATE.FAILED);
      assert.deepEqual(await w.fault(fail), { name: 'BuildrootError', message: 'sh exited with status 5' });

      const roots = join(w.dir, 'roots');
      const victim = join(w.dir, 'victim2');
      mkdirSync(victim, { recursive: true });
      const evil = makeBusyboxRoot(join(roots, 'evil2'));
      symlinkSync(victim, join(evil, 'mnt', 'workdir'));
      await w.h.call(
        'createTag',
        ['rr-evil2', { arches: 'x86_64', extra: { 'runroot.rootfs': evil }, __starstar: true }],
        w.h.admin,
      );
      w.conf({ runroot: `driver = unshare\nallowed_rootfs = ${roots}` });
      const sym = await w.runroot(['true'], { mounts: ['/mnt/workdir/tmp/job3'] }, 'x86_64', 'rr-evil2');
      assert.equal((await w.wait(sym)).state, STATE.FAILED);
      const f = await w.fault(sym);
      assert.equal(f.name, 'BuildrootError');
      assert.equal(
        f.message,
        'the unshare sandbox could not be set up, so true never ran: /mnt/workdir is a symbolic link in the buildroot: refusing to mount on it',
      );
      assert.deepEqual(readdirSync(victim), []);

      w.conf({ runroot: 'driver = unshare\ntimeout = 1' });
      const slow = await w.runroot(['sh', '-c', 'sleep 7501 & sleep 7502']);
      assert.equal((await w.wait(slow)).state, STATE.FAILED);
      assert.match((await w.fault(slow)).message, /time limit of 1 s/);
      await eventually(async () => assert.deepEqual(processes('sleep 750'), []), 5000);
    } finally {
      w.conf();
    }
  });
});
