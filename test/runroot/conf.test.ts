// runroot.conf and the mount rules: Koji's test_runroot_builder.py config and mount cases
// (spec §6.5 items 1–9) with Koji's messages, the fixes of spec §7 R1–R3 and R11, and the shipped
// config/builder/plugins/runroot.conf. Koji's undo_mounts cases (item 10) have no counterpart:
// koji-es makes no host-side mounts, so there is nothing to unmount.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KojiError } from 'koji-es/kernel/errors';
import { loadRunrootConfig, parseRunrootConfig, splitWords } from 'koji-es/modules/runroot/runroot.conf';
import {
  checkExtraMount,
  getPathParams,
  isUnder,
  planMounts,
  substitute,
  taskBinds,
} from 'koji-es/modules/runroot/runroot.mounts';
import { REPO_ROOT } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

const PATH0 = `[path0]
mountpoint = /mnt/archive
path = archive.org:/vol/archive
fstype = nfs
options = ro,hard,intr,nosuid,nodev,noatime,tcp
`;

const CONFIG1 = `[paths]
default_mounts = /mnt/archive,/mnt/workdir
safe_roots = /mnt/workdir/tmp
path_subs = /mnt/archive/prehistory/,/mnt/prehistoric_disk/archive/prehistory

${PATH0}`;

const config2 = (a = 'path1', b = 'path2') => `[paths]
default_mounts = /mnt/archive,/mnt/workdir
safe_roots = /mnt/workdir/tmp
path_subs =

    /mnt/archive/prehistory/,/mnt/prehistoric_disk/archive/prehistory

    /mnt/archive/workdir,/mnt/workdir

${PATH0}
[${a}]
mountpoint = /mnt/workdir
path = nfs.example.com:/vol/workdir
fstype = nfs
options = rw,hard,intr,nosuid,nodev,noatime,tcp

[${b}]
mountpoint = /mnt/prehistoric_disk
path = prehistoric.example.com:/vol/prehistoric_disk
fstype = nfs
options = rw,hard,intr,nosuid,nodev,noatime,tcp
`;

const parse = (text: string) => parseRunrootConfig(text, '/etc/koji-es/builder/plugins/runroot.conf');

function throwsKoji(fn: () => unknown, name: string, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KojiError, `a KojiError, not ${String(e)}`);
    assert.equal(e.faultName, name);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const tmp = tempDir('koji-es-runroot-conf-');
after(() => tmp.cleanup());

describe("Koji's config cases (spec §6.5 items 1–6)", () => {
  test('item 1: a [pathN] without mountpoint', () => {
    throwsKoji(
      () => parse(CONFIG1.replace('mountpoint = /mnt/archive\n', '')),
      'GenericError',
      'bad config: missing options in path0 section',
    );
  });

  test('item 2: an empty default_mounts is a relative (empty) path', () => {
    throwsKoji(
      () => parse(CONFIG1.replace('default_mounts = /mnt/archive,/mnt/workdir', 'default_mounts =')),
      'GenericError',
      'bad config: all paths (default_mounts, safe_roots, path_subs) needs to be absolute: ',
    );
    throwsKoji(
      () => parse(CONFIG1.replace('safe_roots = /mnt/workdir/tmp', 'safe_roots = mnt/workdir/tmp')),
      'GenericError',
      'bad config: all paths (default_mounts, safe_roots, path_subs) needs to be absolute: mnt/workdir/tmp',
    );
  });

  test('item 3: CONFIG1 as Koji parses it', () => {
    const c = parse(CONFIG1);
    assert.deepEqual(c.defaultMounts, ['/mnt/archive', '/mnt/workdir']);
    assert.deepEqual(c.safeRoots, ['/mnt/workdir/tmp']);
    assert.deepEqual(c.pathSubs, [['/mnt/archive/prehistory/', '/mnt/prehistoric_disk/archive/prehistory']]);
    assert.deepEqual(c.paths, [
      {
        section: 'path0',
        mountpoint: '/mnt/archive',
        path: 'archive.org:/vol/archive',
        fstype: 'nfs',
        options: 'ro,hard,intr,nosuid,nodev,noatime,tcp',
      },
    ]);
    assert.equal(c.internalDevSetup, null);
    assert.deepEqual(c.warnings, []);
  });

  test('item 4: CONFIG2 with a multi-line path_subs and blank lines', () => {
    const c = parse(config2());
    assert.deepEqual(c.pathSubs, [
      ['/mnt/archive/prehistory/', '/mnt/prehistoric_disk/archive/prehistory'],
      ['/mnt/archive/workdir', '/mnt/workdir'],
    ]);
    assert.deepEqual(
      c.paths.map((p) => p.mountpoint),
      ['/mnt/archive', '/mnt/workdir', '/mnt/prehistoric_disk'],
    );
  });

  test('item 5: [path99]/[path999] parse alike, and the order is numeric (path10 after path9)', () => {
    const strip = (c: ReturnType<typeof parse>) => c.paths.map(({ section: _s, ...p }) => p);
    assert.deepEqual(strip(parse(config2('path99', 'path999'))), strip(parse(config2())));
    const c = parse(config2('path10', 'path9'));
    assert.deepEqual(
      c.paths.map((p) => p.section),
      ['path0', 'path9', 'path10'],
    );
    // Only `path` + digits is a path section (Koji's re.match also took `path1x` and then crashed).
    const odd = parse(`${PATH0}\n[path1x]\nfoo = bar\n`);
    assert.equal(odd.paths.length, 1);
    assert.match(odd.warnings[0], /\[path1x\] foo \(line \d+\) is not used by koji-es/);
  });

  test('item 6: a substitution without exactly one comma', () => {
    throwsKoji(
      () => parse(CONFIG1.replace(/path_subs = .*/, 'path_subs = incorrect:format')),
      'GenericError',
      "bad runroot substitution: ['incorrect:format']",
    );
    throwsKoji(
      () => parse(CONFIG1.replace(/path_subs = .*/, 'path_subs = /a,/b,/c')),
      'GenericError',
      "bad runroot substitution: ['/a', '/b', '/c']",
    );
  });

  test('R11: no interpolation (a % in options is kept), entries stripped, a missing file is the defaults', () => {
    const c = parse(
      `${CONFIG1.replace('default_mounts = /mnt/archive,/mnt/workdir', 'default_mounts = /mnt/archive , /mnt/workdir')}`.replace(
        'options = ro,hard',
        'options = ro,uid=%(user)s,hard',
      ),
    );
    assert.deepEqual(c.defaultMounts, ['/mnt/archive', '/mnt/workdir']);
    assert.equal(c.paths[0].options, 'ro,uid=%(user)s,hard,intr,nosuid,nodev,noatime,tcp');
    const none = loadRunrootConfig(join(tmp.dir, 'no-such-config'));
    assert.equal(none.file, null);
    assert.deepEqual(
      { ...none, warnings: none.warnings },
      {
        file: null,
        internalDevSetup: null,
        defaultMounts: [],
        safeRoots: [],
        pathSubs: [],
        paths: [],
        driver: 'auto',
        installCommand: null,
        timeoutSec: 86400,
        maxLogSize: 104857600,
        network: false,
        defaultRootfs: null,
        allowedRootfs: [],
        captureOnFailure: [],
        captureMaxSize: 52428800,
        warnings: [],
      },
    );
    const capture = parse(
      '[runroot]\ncapture_on_failure = builddir/**/*.log , **/core.*\ncapture_max_size = 1000\n',
    );
    assert.deepEqual(
      [capture.captureOnFailure, capture.captureMaxSize],
      [['builddir/**/*.log', '**/core.*'], 1000],
    );
    assert.throws(
      () => parse('[runroot]\ncapture_max_size = 0\n'),
      /runroot\.conf \[runroot\] line 2: capture_max_size = 0 must be at least 1/,
    );
  });

  test("koji-es's [runroot] keys: values, and one error naming the file, section and key", () => {
    const c = parse(`[runroot]
internal_dev_setup = yes
driver = unshare
install_command = /usr/bin/dnf -y "--setopt=x y" install
timeout = 2.5
max_log_size = 4096
network = on
default_rootfs = /srv/roots/base.tar.gz
allowed_rootfs = /srv/roots, /srv/more
`);
    assert.equal(c.internalDevSetup, true);
    assert.equal(c.driver, 'unshare');
    assert.deepEqual(c.installCommand, ['/usr/bin/dnf', '-y', '--setopt=x y', 'install']);
    assert.equal(c.timeoutSec, 2.5);
    assert.equal(c.maxLogSize, 4096);
    assert.equal(c.network, true);
    assert.equal(c.defaultRootfs, '/srv/roots/base.tar.gz');
    assert.deepEqual(c.allowedRootfs, ['/srv/roots', '/srv/more']);
    throwsKoji(
      () => parse('[runroot]\ntimeout = soon\n'),
      'GenericError',
      'bad config: /etc/koji-es/builder/plugins/runroot.conf [runroot] line 2: timeout = "soon" is not a number',
    );
    throwsKoji(
      () => parse('[runroot]\ndriver = docker\n'),
      'GenericError',
      /driver = docker: use one of auto, bwrap, unshare/,
    );
    throwsKoji(
      () => parse('[runroot]\ndefault_rootfs = roots/x\n'),
      'GenericError',
      /must be absolute: roots\/x/,
    );
    assert.deepEqual(splitWords(`a 'b c' "d\\"e" f\\ g`), ['a', 'b c', 'd"e', 'f g']);
  });

  test('the shipped config/builder/plugins/runroot.conf loads without errors or warnings', () => {
    const c = loadRunrootConfig(join(REPO_ROOT, 'config'));
    assert.ok(c.file?.endsWith('config/builder/plugins/runroot.conf'));
    assert.deepEqual(c.warnings, []);
    assert.equal(c.driver, 'auto');
    assert.equal(c.defaultRootfs, null);
    assert.equal(c.network, false);
  });
});

describe("Koji's mount cases (spec §6.5 items 7–9) and R1–R3", () => {
  const c1 = parse(CONFIG1);

  test("item 7: _get_path_params: no [pathN] for a path; Koji's tuple with ro → rw", () => {
    throwsKoji(
      () => getPathParams(c1, 'nonexistent_dir'),
      'GenericError',
      'bad config: missing corresponding mountpoint',
    );
    assert.deepEqual(getPathParams(c1, '/mnt/archive', true), [
      'archive.org:/vol/archive/',
      '/mnt/archive',
      'nfs',
      'rw,hard,intr,nosuid,nodev,noatime,tcp',
    ]);
    assert.deepEqual(getPathParams(c1, '/mnt/archive/a/b'), [
      'archive.org:/vol/archive/a/b',
      '/mnt/archive/a/b',
      'nfs',
      'ro,hard,intr,nosuid,nodev,noatime,tcp',
    ]);
  });

  test('R2: a [pathN] mountpoint covers its own subtree only, segment by segment', () => {
    // Koji maps /mnt/archive2/x to <path0>/2/x.
    throwsKoji(
      () => getPathParams(c1, '/mnt/archive2/x'),
      'GenericError',
      'bad config: missing corresponding mountpoint',
    );
  });

  test("item 8: do_mounts' checks, as binds (nothing is mounted on the host)", () => {
    const dir = join(tmp.dir, 'srcdir');
    mkdirSync(dir, { recursive: true });
    assert.deepEqual(planMounts([], true), []);
    throwsKoji(
      () => planMounts([['dev', 'relative_path', 'nfs', 'ro']], true),
      'GenericError',
      'invalid mount point: relative_path',
    );
    // Options None: no bind option, so the host's own mountpoint is what gets bound.
    assert.deepEqual(planMounts([['archive.org:/vol/archive/', dir, 'nfs', null]], true), [
      { src: dir, dest: dir, readOnly: true },
    ]);
    assert.deepEqual(planMounts([[dir, '/mnt/archive', 'nfs', 'ro,hard,bind']], true), [
      { src: dir, dest: '/mnt/archive', readOnly: true },
    ]);
    throwsKoji(
      () => planMounts([['archive.org:/vol/archive/', '/mnt/archive', 'nfs', 'ro,hard,bind']], true),
      'GenericError',
      'No such directory or mount: archive.org:/vol/archive/',
    );
    throwsKoji(
      () => planMounts([['archive.org:/vol/archive/', '/mnt/archive', 'nfs', 'ro,hard,bg']], true),
      'GenericError',
      'bad config: background mount not allowed',
    );
    // A non-bind mount whose mountpoint the host does not have mounted.
    throwsKoji(
      () => planMounts([['archive.org:/vol/archive/', '/mnt/no-such-archive', 'nfs', 'ro']], true),
      'GenericError',
      'No such directory or mount: /mnt/no-such-archive',
    );
  });

  test('item 9: do_extra_mounts: nothing, a safe mount, an unsafe one, and `..`', () => {
    assert.deepEqual(taskBinds({ ...c1, defaultMounts: [] }, []), []);
    assert.equal(checkExtraMount(c1, '/mnt/workdir/tmp/xyz'), '/mnt/workdir/tmp/xyz');
    assert.equal(checkExtraMount(c1, '/mnt/workdir/tmp//a/./b/'), '/mnt/workdir/tmp/a/b/');
    for (const bad of [
      'unsafe',
      '/mnt/workdir/tmp/../xyz',
      '/mnt/workdir/tmp/a/../../x',
      '/mnt/workdir',
      '/',
    ])
      throwsKoji(
        () => checkExtraMount(c1, bad),
        'GenericError',
        `read-write mount point is not safe: ${bad}`,
      );
  });

  test('R1: safe roots are compared segment by segment: /mnt/workdir/tmpevil is not under /mnt/workdir/tmp', () => {
    for (const bad of ['/mnt/workdir/tmpevil', '/mnt/workdir/tmp-other', '/mnt/workdir/tmpfoo/x'])
      throwsKoji(
        () => checkExtraMount(c1, bad),
        'GenericError',
        `read-write mount point is not safe: ${bad}`,
      );
    assert.ok(isUnder('/mnt/workdir/tmp', '/mnt/workdir/tmp/'));
    assert.ok(isUnder('/mnt/workdir/tmp/x', '/mnt/workdir/tmp'));
    assert.ok(!isUnder('/mnt/workdir/tmpx', '/mnt/workdir/tmp'));
  });

  test('R3: path_subs apply at the start only, and cannot carry a mount out of the safe roots', () => {
    const c = parse(`[paths]
safe_roots = /mnt/workdir/tmp,/mnt/scratch
path_subs =
    /mnt/workdir/tmp/old,/mnt/workdir/tmp/new
    /mnt/scratch/x,/etc
`);
    assert.equal(substitute(c, '/mnt/workdir/tmp/old/a'), '/mnt/workdir/tmp/new/a');
    // Koji's str.replace rewrites any occurrence; here only a leading, whole-segment match counts.
    assert.equal(substitute(c, '/mnt/workdir/tmp/older/a'), '/mnt/workdir/tmp/older/a');
    assert.equal(substitute(c, '/mnt/scratch/y/mnt/workdir/tmp/old'), '/mnt/scratch/y/mnt/workdir/tmp/old');
    throwsKoji(
      () => checkExtraMount(c, '/mnt/scratch/x/passwd'),
      'GenericError',
      'read-write mount point is not safe: /mnt/scratch/x/passwd (/etc/passwd after path_subs)',
    );
  });

  test('default mounts are read-only and extra mounts read-write, all checked before any is used', () => {
    const src = join(tmp.dir, 'binds');
    mkdirSync(join(src, 'work', 'tmp', 'job'), { recursive: true });
    mkdirSync(join(src, 'archive'), { recursive: true });
    const c = parse(`[paths]
default_mounts = /mnt/archive
safe_roots = /mnt/workdir/tmp
[path0]
mountpoint = /mnt/archive
path = ${src}/archive
fstype = none
options = rw,bind
[path1]
mountpoint = /mnt/workdir
path = ${src}/work
fstype = none
options = ro,bind
`);
    assert.deepEqual(taskBinds(c, ['/mnt/workdir/tmp/job']), [
      { src: `${src}/archive/`, dest: '/mnt/archive', readOnly: true },
      { src: `${src}/work/tmp/job`, dest: '/mnt/workdir/tmp/job', readOnly: false },
    ]);
    throwsKoji(
      () => taskBinds(c, ['/mnt/workdir/tmp/job', '/mnt/workdir/tmpevil']),
      'GenericError',
      /not safe: \/mnt\/workdir\/tmpevil/,
    );
  });
});
