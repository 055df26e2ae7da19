// The Save Failed Tree archiver on real trees (tmpfs): a buildroot with secrets, decoys, every file
// type, hard links, devices, long and non-ASCII names and a 300 MB file. The tarball is read back
// with tar-stream and with GNU tar, extracted by GNU tar and compared with the source tree; Koji's
// fnmatch filters, the mandatory exclusions, files that change while read, flat memory, abort.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { archiveTree, MissingTreeError, type ArchiveResult } from 'koji-es/builder/archive/archive';
import { LogTail } from 'koji-es/builder/tail';
import { REPO_ROOT } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';
import { commandExists, needTool } from '../helpers/tools.js';
import {
  DECOYS,
  gnuExtract,
  gnuList,
  gzipTest,
  HUGE,
  LONG_COMPONENT,
  LONG_FILE,
  LONG_LINK,
  LONG_TARGET,
  makeBuildroot,
  MiB,
  readTarball,
  SECRETS,
  SOCKET,
  UNICODE_FILE,
  walkTree,
  writeLines,
  type Member,
  type Node,
} from '../helpers/trees.js';

const HUGE_BYTES = 300 * 1000 * 1000;
const CHILD = join(REPO_ROOT, 'dist', 'test', 'failed-tree', 'archive-child.js');

let tmp: { dir: string; cleanup: () => void };
let root: string;
let source: Map<string, Node>;

before(async () => {
  tmp = tempDir('koji-es-sft-archive-');
  root = join(tmp.dir, 'root');
  await makeBuildroot(root, { hugeBytes: HUGE_BYTES });
  source = await walkTree(root);
});
after(() => tmp?.cleanup());

const memberName = (n: string) => n;
const isSecret = (name: string) => SECRETS.includes(name);

/** What the archive must hold: the source minus the secrets and sockets, in `scope`. */
function expected(scope: (name: string) => boolean): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const [name, node] of source) {
    if (!scope(name) || isSecret(name) || node.type === 'socket') continue;
    out.set(name, node);
  }
  return out;
}

/** Compares every member with its source node; hard links must name the first member of the inode. */
function checkMembers(members: Member[], want: Map<string, Node>): void {
  assert.deepEqual(members.map((m) => m.name).sort(), [...want.keys()].sort());
  const firstOfInode = new Map<string, string>();
  for (const m of members) {
    const n = want.get(memberName(m.name))!;
    const what = `${m.name}`;
    assert.equal(m.mode, n.mode, `${what}: mode`);
    assert.equal(m.uid, n.uid, `${what}: uid`);
    assert.equal(m.gid, n.gid, `${what}: gid`);
    if (n.type === 'file') {
      const first = firstOfInode.get(n.ino);
      if (first) {
        assert.equal(m.type, 'link', `${what}: a hard link`);
        assert.equal(m.linkname, first, `${what}: links to the first member of its inode`);
      } else {
        firstOfInode.set(n.ino, m.name);
        assert.equal(m.type, 'file', what);
        assert.equal(m.size, n.size, `${what}: size`);
        assert.equal(m.sha256, n.sha256, `${what}: contents`);
        assert.equal(m.mtime, n.mtime, `${what}: mtime`);
      }
    } else {
      assert.equal(m.type, n.type, `${what}: type`);
      if (n.type === 'symlink') assert.equal(m.linkname, n.linkname, `${what}: target`);
      if (n.type === 'character-device' || n.type === 'block-device') {
        assert.equal(m.devmajor, n.major, `${what}: major`);
        assert.equal(m.devminor, n.minor, `${what}: minor`);
      }
    }
  }
}

/** The extracted tree equals the source (minus what was left out): types, modes, owners, contents. */
function checkExtracted(got: Map<string, Node>, want: Map<string, Node>): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  const inodes = new Map<string, string>();
  const extractedInodes = new Map<string, string>();
  for (const [name, n] of want) {
    const g = got.get(name)!;
    const { ino: _a, mtime: mt1, ...w } = n;
    const { ino: _b, mtime: mt2, ...x } = g;
    assert.deepEqual(x, w, name);
    if (n.type !== 'symlink') assert.equal(mt2, mt1, `${name}: mtime`);
    if (n.type === 'file') {
      // Names sharing an inode in the source share one after extraction, and only those.
      const first = inodes.get(n.ino);
      if (first) assert.equal(g.ino, got.get(first)!.ino, `${name} is still a hard link of ${first}`);
      else {
        inodes.set(n.ino, name);
        assert.ok(!extractedInodes.has(g.ino), `${name} shares an inode it should not`);
      }
      extractedInodes.set(g.ino, name);
    }
  }
}

describe('full tree', () => {
  let out: string;
  let res: ArchiveResult;
  const warnings: string[] = [];
  const infos: string[] = [];

  before(async () => {
    out = join(tmp.dir, 'full.tar.gz');
    res = await archiveTree({
      root,
      full: true,
      output: out,
      filters: [],
      onWarning: (m) => warnings.push(m),
      onInfo: (m) => infos.push(m),
    });
  });

  test('holds exactly the tree minus the secrets and the socket (read back with tar-stream)', async () => {
    const want = expected(() => true);
    const members = await readTarball(out);
    checkMembers(members, want);
    for (const s of SECRETS) assert.ok(!members.some((m) => m.name === s), `${s} left out`);
    for (const d of DECOYS)
      assert.ok(
        members.some((m) => m.name === d),
        `${d} kept`,
      );
    assert.ok(!members.some((m) => m.name === SOCKET));
    assert.equal(res.entries, members.length);
    assert.equal(res.excludedMandatory, SECRETS.length);
    assert.equal(res.excludedByConfig, 0);
    assert.equal(res.skipped, 1, 'the socket');
    assert.equal(res.sockets, 1);
    assert.deepEqual(warnings, []);
    assert.match(infos.join('\n'), /skipped builddir\/run\/agent\.sock: a socket/);
    assert.equal(res.size, statSync(out).size);
    // The symlink to the host's shadow file is stored as a symlink, never followed.
    const shadow = members.find((m) => m.name === 'builddir/shadow')!;
    assert.equal(shadow.type, 'symlink');
    assert.equal(shadow.linkname, '/etc/shadow');
    assert.equal(members.find((m) => m.name === LONG_LINK)!.linkname, LONG_TARGET);
    for (const n of [LONG_FILE, LONG_COMPONENT, UNICODE_FILE])
      assert.ok(
        members.some((m) => m.name === n),
        n,
      );
    assert.ok(LONG_FILE.length > 300);
    const odd = members.find((m) => m.name === 'dev/odd')!;
    assert.deepEqual([odd.devmajor, odd.devminor], [240, 300_000]);
    assert.equal(members.find((m) => m.name === 'builddir/setuid-helper')!.mode, 0o4755);
    assert.equal(members.find((m) => m.name === 'builddir/big-uid')!.uid, 3_000_000);
    assert.equal(members.find((m) => m.name === HUGE)!.size, HUGE_BYTES);
    // In full mode usr/ sorts after builddir/: the link outside builddir names the one inside.
    const lib = members.find((m) => m.name === 'usr/lib/libfoo.so.1')!;
    assert.deepEqual([lib.type, lib.linkname], ['link', 'builddir/libfoo.so.1']);
  });

  test('gzip -t passes and GNU tar lists the same members', (t) => {
    if (!needTool(t, 'GNU tar', commandExists('tar'), 'apt-get install tar gzip')) return;
    const g = gzipTest(out);
    assert.ok(g.ok, g.stderr);
    assert.deepEqual(gnuList(out).sort(), [...expected(() => true).keys()].sort());
  });

  test('GNU tar extracts it identically: types, modes, owners, contents, targets, devices, hard links', async (t) => {
    if (!needTool(t, 'GNU tar', commandExists('tar'), 'apt-get install tar')) return;
    const x = join(tmp.dir, 'extract-full');
    gnuExtract(out, x);
    try {
      checkExtracted(
        await walkTree(x),
        expected(() => true),
      );
    } finally {
      rmSync(x, { recursive: true, force: true });
    }
  });
});

describe('builddir only (the default)', () => {
  test('only builddir/, the hard link outside it stored as a file, the hidden ccache left out', async (t) => {
    const out = join(tmp.dir, 'builddir.tar.gz');
    const res = await archiveTree({ root, full: false, output: out });
    const inScope = (n: string) => n.startsWith('builddir/');
    const want = expected(inScope);
    const members = await readTarball(out);
    checkMembers(members, want);
    assert.equal(members[0].name, 'builddir/');
    assert.equal(res.excludedMandatory, 1, 'builddir/.cache/tmp/krb5cc_x');
    assert.ok(members.some((m) => m.name === 'builddir/.cache/tmp/notes.txt'));
    const lib = members.find((m) => m.name === 'builddir/libfoo.so.1')!;
    assert.equal(lib.type, 'file');
    if (!needTool(t, 'GNU tar', commandExists('tar'), 'apt-get install tar')) return;
    assert.ok(gzipTest(out).ok);
    assert.deepEqual(gnuList(out).sort(), [...want.keys()].sort());
    const x = join(tmp.dir, 'extract-builddir');
    gnuExtract(out, x);
    try {
      checkExtracted(await walkTree(x), want);
    } finally {
      rmSync(x, { recursive: true, force: true });
    }
  });

  test('a missing builddir is "Buildroot directory is missing: <path>"; no file is left', async () => {
    const bare = join(tmp.dir, 'bare-root');
    mkdirSync(bare, { recursive: true });
    const out = join(tmp.dir, 'bare.tar.gz');
    await assert.rejects(
      archiveTree({ root: bare, full: false, output: out }),
      (e: Error) =>
        e instanceof MissingTreeError && e.message === `Buildroot directory is missing: ${bare}/builddir`,
    );
    assert.ok(!existsSync(out));
    await assert.rejects(
      archiveTree({ root: join(tmp.dir, 'no-such-root'), full: true, output: out }),
      /Buildroot directory is missing: .*no-such-root$/,
    );
  });
});

describe('filters', () => {
  let small: string;
  before(async () => {
    small = join(tmp.dir, 'small-root');
    await makeBuildroot(small);
  });

  const names = async (filters: string[], full = true) => {
    const out = join(tmp.dir, `filters-${Date.now()}-${Math.random()}.tar.gz`);
    const res = await archiveTree({ root: small, full, output: out, filters });
    const members = (await readTarball(out)).map((m) => m.name);
    rmSync(out);
    return { res, members };
  };

  test("Koji's shipped globs with fnmatch meaning, against the name and / + the name; the rest by the mandatory rules", async () => {
    const { res, members } = await names(['*/tmp/krb5cc', '*/etc/*.keytab']);
    // '/tmp/krb5cc' and '/etc/krb5.keytab', '/etc/keytabs.d/x.keytab' (`*` crosses `/`) match the
    // config; tmp/krb5cc_1000 and builddir/.cache/tmp/krb5cc_x only the mandatory rules.
    assert.equal(res.excludedByConfig, 3);
    assert.equal(res.excludedMandatory, 2);
    for (const s of SECRETS) assert.ok(!members.includes(s), s);
    for (const d of DECOYS) assert.ok(members.includes(d), d);
  });

  test("an excluded directory drops its subtree; `*` crosses `/`; braces, `!` and `?` are fnmatch's", async () => {
    const { res, members } = await names([
      'builddir/build',
      '*.log',
      '/builddir/spec-link',
      'builddir/d?ngling',
      'builddir/{empty.txt,fifo}',
      '!builddir/owned-by-1000',
      'builddir/[!a-z]*',
    ]);
    assert.ok(!members.some((m) => m.startsWith('builddir/build/')), 'subtree gone');
    assert.ok(!members.includes('builddir/spec-link'));
    assert.ok(!members.includes('builddir/dangling'));
    for (const kept of ['builddir/empty.txt', 'builddir/fifo', 'builddir/owned-by-1000', 'builddir/big-uid'])
      assert.ok(members.includes(kept), `${kept}: braces and ! are literal in fnmatch`);
    // builddir/build/ (1) + spec-link + dangling + builddir/.cache/ (`[!a-z]*`: fnmatch gives a
    // leading dot no special meaning); `*.log` found nothing left (its log was under builddir/build).
    assert.ok(!members.some((m) => m.startsWith('builddir/.cache/')));
    assert.equal(res.excludedByConfig, 4);
    const again = await names(['*.log']);
    assert.ok(!again.members.includes('builddir/build/BUILD/foo-1.0/build.log'));
    assert.equal(again.res.excludedByConfig, 1);
  });

  test('a config that lists nothing still leaves every secret out (hidden directories too)', async () => {
    for (const full of [true, false]) {
      const { res, members } = await names([], full);
      for (const s of SECRETS) assert.ok(!members.includes(s), s);
      assert.equal(res.excludedMandatory, full ? SECRETS.length : 1);
    }
  });
});

describe('files that change while they are read', () => {
  let appender: ChildProcess | null = null;
  after(() => appender?.kill('SIGKILL'));

  test('a big file growing while it is archived is skipped with a warning; the archive stays valid', async (t) => {
    const r = join(tmp.dir, 'growing-root');
    mkdirSync(join(r, 'builddir'), { recursive: true });
    writeFileSync(join(r, 'builddir/a-before.txt'), 'before\n');
    writeFileSync(join(r, 'builddir/z-after.txt'), 'after\n');
    const growing = join(r, 'builddir/m-growing.log');
    writeLines(growing, 64 * MiB);
    appender = spawn('sh', ['-c', `while :; do printf 'more output\\n' >> '${growing}'; done`], {
      stdio: 'ignore',
    });
    const start = statSync(growing).size;
    while (statSync(growing).size === start) await new Promise((res) => setTimeout(res, 5));
    const out = join(tmp.dir, 'growing.tar.gz');
    const warnings: string[] = [];
    // Read back as Save Failed Tree uploads it, while it is made: only the final bytes.
    const tail = new LogTail(out, 20, 0);
    const streamed = (async () => {
      const parts: Buffer[] = [];
      for await (const p of tail) parts.push(p);
      return Buffer.concat(parts);
    })();
    let res: ArchiveResult;
    try {
      res = await archiveTree({
        root: r,
        full: false,
        output: out,
        onWarning: (m) => warnings.push(m),
        onCommitted: (bytes) => tail.advance(bytes),
      });
      tail.end();
    } finally {
      appender.kill('SIGKILL');
      appender = null;
    }
    // The growing file's bytes were packed, then taken back: none of them went out.
    assert.deepEqual(await streamed, readFileSync(out));
    assert.equal(res.skipped, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^skipped builddir\/m-growing\.log: it changed while it was read \(/);
    const members = await readTarball(out);
    assert.deepEqual(
      members.map((m) => m.name),
      ['builddir/', 'builddir/a-before.txt', 'builddir/z-after.txt'],
    );
    assert.equal(res.entries, 3);
    if (!needTool(t, 'GNU tar', commandExists('tar'), 'apt-get install tar')) return;
    assert.ok(gzipTest(out).ok);
    assert.deepEqual(gnuList(out), ['builddir/', 'builddir/a-before.txt', 'builddir/z-after.txt']);
  });

  test('a small file whose contents outgrow its size (a /proc file bound over it) is skipped', async (t) => {
    const r = join(tmp.dir, 'proc-root');
    mkdirSync(join(r, 'builddir'), { recursive: true });
    writeFileSync(join(r, 'builddir/a.txt'), 'a\n');
    const target = join(r, 'builddir/status');
    writeFileSync(target, '');
    const m = spawnSync('mount', ['--bind', '/proc/version', target], { encoding: 'utf8' });
    if (m.status !== 0) {
      if (!needTool(t, 'mount --bind (root)', false, `mount failed: ${m.stderr.trim()}`)) return;
    }
    try {
      const warnings: string[] = [];
      const out = join(tmp.dir, 'proc.tar.gz');
      const res = await archiveTree({
        root: r,
        full: false,
        output: out,
        onWarning: (w) => warnings.push(w),
      });
      assert.deepEqual(warnings, [
        'skipped builddir/status: it changed while it was read (it grew beyond 0 bytes)',
      ]);
      assert.equal(res.skipped, 1);
      assert.deepEqual(
        (await readTarball(out)).map((x) => x.name),
        ['builddir/', 'builddir/a.txt'],
      );
    } finally {
      spawnSync('umount', [target]);
    }
  });
});

describe('resources', () => {
  test('memory stays flat on the 300 MB file (peak RSS of a process running only the archiver)', async () => {
    const r = join(tmp.dir, 'mem-root');
    mkdirSync(join(r, 'builddir/big'), { recursive: true });
    linkSync(join(root, HUGE), join(r, HUGE));
    const out = join(tmp.dir, 'mem.tar.gz');
    const p = spawnSync(process.execPath, [CHILD, r, '0', out], { encoding: 'utf8', maxBuffer: 1 << 24 });
    assert.equal(p.status, 0, p.stderr);
    const { result, maxRss } = JSON.parse(p.stdout) as { result: ArchiveResult; maxRss: number };
    const mbs = (result.tarBytes / 1e6 / result.seconds).toFixed(0);
    console.log(
      `# archiver on a ${HUGE_BYTES / 1e6} MB file: peak RSS ${(maxRss / 1e6).toFixed(1)} MB (sampled in the worker: ${(result.peakRss / 1e6).toFixed(1)} MB), ${result.seconds.toFixed(2)} s, ${mbs} MB/s, ${(result.size / 1e6).toFixed(1)} MB out`,
    );
    assert.equal(result.entries, 3);
    assert.ok(maxRss < 200e6, `peak RSS ${maxRss} bytes must stay below 200 MB`);
  });

  test('an abort stops the worker and removes the partial file', async () => {
    const out = join(tmp.dir, 'aborted.tar.gz');
    const ctl = new AbortController();
    const p = archiveTree({ root, full: true, output: out, signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('canceled')), 200);
    await assert.rejects(p, /archiving was aborted/);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!existsSync(out));
  });
});

describe('capture mode (runroot capture_on_failure)', () => {
  test('only matching files and symlinks, no directory entries; the filters still apply; up to the size limit', async () => {
    const small = join(tmp.dir, 'capture-root');
    const files: Record<string, string> = {
      'builddir/a.log': 'a\n',
      'builddir/sub/b.log': 'bb\n',
      'builddir/x.txt': 'not asked for\n',
      'builddir/.netrc': 'machine x password y\n',
      'builddir/.cache/c.log': 'hidden but asked for\n',
      'var/log/dnf.log': 'dnf\n',
      'core.4242': 'c'.repeat(2000),
      'builddir/zz-huge.log': 'h'.repeat(5000),
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(small, name, '..'), { recursive: true });
      writeFileSync(join(small, name), text);
    }
    symlinkSync('a.log', join(small, 'builddir', 'link.log'));
    const out = join(tmp.dir, 'capture.tar.gz');
    const info: string[] = [];
    const r = await archiveTree({
      root: small,
      full: true,
      output: out,
      filters: ['*/x.txt'],
      capture: ['builddir/**/*.log', 'builddir/.netrc', 'builddir/x.txt', '**/core.*', 'var/log/dnf*.log'],
      captureMaxBytes: 4096,
      onInfo: (m) => info.push(m),
    });
    const members = await readTarball(out);
    assert.deepEqual(members.map((m) => `${m.name}:${m.type}`).sort(), [
      'builddir/.cache/c.log:file',
      'builddir/a.log:file',
      'builddir/link.log:symlink',
      'builddir/sub/b.log:file',
      'core.4242:file',
      'var/log/dnf.log:file',
    ]);
    assert.equal(r.excludedMandatory, 1, 'the .netrc, though asked for');
    assert.equal(r.excludedByConfig, 1, 'x.txt, by the admin filter');
    assert.equal(r.overLimit, 1);
    assert.ok(
      info.some((m) => m.startsWith('left out builddir/zz-huge.log (5000 bytes)')),
      info.join('\n'),
    );
    assert.equal(r.dirs, 0);
  });
});
