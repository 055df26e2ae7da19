// Buildroot trees for the Save Failed Tree tests, and the means to compare them with what a tarball
// holds: the planted secrets (which must never leave), decoys (which must stay), every file type a
// buildroot has, and names tar cannot fit in a plain ustar header.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  createReadStream,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';

export const MiB = 1024 * 1024;

/** Secrets the archive must never hold, whatever the config says (names relative to the root). */
export const SECRETS = [
  'tmp/krb5cc',
  'tmp/krb5cc_1000',
  'builddir/.cache/tmp/krb5cc_x',
  'etc/krb5.keytab',
  'etc/keytabs.d/x.keytab',
];
/** Look like secrets, are not: they stay. */
export const DECOYS = ['tmp/notkrb5cc', 'etc/keytab.txt', 'builddir/.cache/tmp/notes.txt'];

export const LONG_DIR = `builddir/${'d'.repeat(200)}`;
export const LONG_FILE = `${LONG_DIR}/${'f'.repeat(100)}.txt`;
export const LONG_COMPONENT = `builddir/${'c'.repeat(250)}`;
export const UNICODE_DIR = 'builddir/données';
export const UNICODE_FILE = `${UNICODE_DIR}/naïve-文件-${'é'.repeat(60)}.txt`;
export const LONG_LINK = 'builddir/long-link';
export const LONG_TARGET = `/opt/${'t'.repeat(150)}/target`;
export const HUGE = 'builddir/big/huge.bin';
export const SOCKET = 'builddir/run/agent.sock';

/**
 * Writes `size` bytes of numbered text lines: compressible, but every MiB differs. With `randomEvery`
 * = N, every Nth MiB is random bytes instead, which deflate cannot shrink (it fills the gzip
 * writer's output buffers, so a memory measurement sees the worst case).
 */
export function writeLines(path: string, size: number, randomEvery = 0): void {
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    let block = 0;
    while (written < size) {
      const len = Math.min(MiB, size - written);
      let chunk: Buffer;
      if (randomEvery > 0 && block % randomEvery === randomEvery - 1) chunk = randomBytes(len);
      else {
        const line = `block ${block} of a big build artifact, with some text to compress\n`;
        chunk = Buffer.from(line.repeat(Math.ceil(MiB / line.length))).subarray(0, len);
      }
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off);
      written += chunk.length;
      block++;
    }
  } finally {
    closeSync(fd);
  }
}

function put(root: string, rel: string, content: string | Buffer, mode?: number): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  if (mode !== undefined) chmodSync(p, mode);
}

/** A unix socket file, left behind as a crashed agent leaves one. */
async function makeSocket(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const server = createServer();
  const tmp = `${path}.listening`;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tmp, resolve);
  });
  // server.close() unlinks the socket it listened on; a second name for it survives.
  linkSync(tmp, path);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!lstatSync(path).isSocket()) throw new Error(`${path} is not a socket`);
}

export interface TreeOptions {
  /** Adds HUGE, a file of this many bytes. */
  hugeBytes?: number;
}

/**
 * A buildroot with everything: secrets and decoys, a symlink to the host's /etc/shadow, hard links
 * (inside builddir, and across builddir and the rest), /dev nodes (needs root for mknod), a FIFO, a
 * socket, long and non-ASCII names, special modes and owners, files around the 1 MiB read limit.
 */
export async function makeBuildroot(root: string, o: TreeOptions = {}): Promise<void> {
  mkdirSync(root, { recursive: true });
  for (const s of SECRETS) put(root, s, `secret ${s}\n`, 0o600);
  for (const d of DECOYS) put(root, d, `not a secret: ${d}\n`);
  put(root, 'builddir/build/BUILD/foo-1.0/foo.c', 'int main(void) { return 1; }\n');
  put(root, 'builddir/build/BUILD/foo-1.0/build.log', 'make: *** [all] Error 1\n'.repeat(1000));
  put(root, 'builddir/build/SPECS/foo.spec', 'Name: foo\nVersion: 1.0\n');
  put(root, 'builddir/build/BUILD/foo-1.0/configure', '#!/bin/sh\nexit 1\n', 0o755);
  put(root, 'builddir/empty.txt', '');
  mkdirSync(join(root, 'builddir/empty-dir'), { recursive: true });
  put(root, 'builddir/setuid-helper', 'ELF-ish\n', 0o4755);
  chmodSync(join(root, 'builddir/setuid-helper'), 0o4755);
  put(root, 'builddir/owned-by-1000', 'mockbuild\n');
  chownSync(join(root, 'builddir/owned-by-1000'), 1000, 135);
  put(root, 'builddir/big-uid', 'a uid beyond ustar\n');
  chownSync(join(root, 'builddir/big-uid'), 3_000_000, 3_000_001);
  put(root, 'builddir/old-file', 'from 1985\n');
  utimesSync(join(root, 'builddir/old-file'), 486_000_000, 486_000_000);
  put(root, 'builddir/exactly-1MiB', Buffer.alloc(MiB, 0x61));
  put(root, 'builddir/one-MiB-and-one', Buffer.alloc(MiB + 1, 0x62));
  put(
    root,
    'builddir/three-MiB.bin',
    Buffer.from(Array.from({ length: 3 * MiB }, (_, i) => (i * 7 + (i >> 10)) & 0xff)),
  );
  // Hard links: a pair inside builddir, and one whose first name lies outside it (usr/ sorts after
  // builddir/, so in full mode builddir holds the first member, in builddir-only mode the only one).
  put(root, 'builddir/build/foo.o', 'object code\n');
  linkSync(join(root, 'builddir/build/foo.o'), join(root, 'builddir/build/foo-copy.o'));
  put(root, 'usr/lib/libfoo.so.1', 'shared object\n');
  linkSync(join(root, 'usr/lib/libfoo.so.1'), join(root, 'builddir/libfoo.so.1'));
  // Symlinks: to the host's shadow file (must be stored, never followed), relative, dangling, long.
  symlinkSync('/etc/shadow', join(root, 'builddir/shadow'));
  symlinkSync('/etc/shadow', join(root, 'etc/shadow-link'));
  symlinkSync('build/SPECS/foo.spec', join(root, 'builddir/spec-link'));
  symlinkSync('../nowhere/at/all', join(root, 'builddir/dangling'));
  symlinkSync(LONG_TARGET, join(root, LONG_LINK));
  symlinkSync('/etc', join(root, 'builddir/etc-dir-link'));
  // Devices (major/minor split: minor 300000 needs glibc's high bits), a FIFO, a socket.
  mkdirSync(join(root, 'dev'), { recursive: true });
  const mknod = (rel: string, kind: 'c' | 'b', major: number, minor: number) => {
    const r = spawnSync('mknod', ['-m', '0666', join(root, rel), kind, String(major), String(minor)]);
    if (r.status !== 0) throw new Error(`mknod ${rel}: ${r.stderr}`);
  };
  mknod('dev/null', 'c', 1, 3);
  mknod('dev/zero', 'c', 1, 5);
  mknod('dev/loop0', 'b', 7, 0);
  mknod('dev/odd', 'c', 240, 300_000);
  mknod('builddir/dev-null', 'c', 1, 3);
  const fifo = spawnSync('mkfifo', [join(root, 'builddir/fifo')]);
  if (fifo.status !== 0) throw new Error(`mkfifo: ${fifo.stderr}`);
  await makeSocket(join(root, SOCKET));
  // Names no ustar header holds: long paths, a 250-character component, non-ASCII.
  put(root, LONG_FILE, 'a long path\n');
  put(root, LONG_COMPONENT, 'a long component\n');
  put(root, UNICODE_FILE, 'unicode\n');
  if (o.hugeBytes) {
    mkdirSync(join(root, dirname(HUGE)), { recursive: true });
    writeLines(join(root, HUGE), o.hugeBytes, 4);
  }
}

export interface Node {
  type: 'file' | 'directory' | 'symlink' | 'character-device' | 'block-device' | 'fifo' | 'socket';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  major?: number;
  minor?: number;
  sha256?: string;
  ino: string;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/**
 * Every entry under `dir` by its name relative to `dir` (directories with a trailing `/`), read
 * independently of the archiver: lstat, readlink, a hash of each file's contents.
 */
export async function walkTree(dir: string): Promise<Map<string, Node>> {
  const out = new Map<string, Node>();
  const visit = async (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const p = join(abs, name);
      const r = rel + name;
      const st = lstatSync(p, { bigint: true });
      const base = {
        mode: Number(st.mode & 0o7777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
        size: 0,
        mtime: Number(st.mtimeMs / 1000n),
        ino: `${st.dev}:${st.ino}`,
      };
      if (st.isDirectory()) {
        out.set(`${r}/`, { ...base, type: 'directory' });
        await visit(p, `${r}/`);
      } else if (st.isSymbolicLink()) out.set(r, { ...base, type: 'symlink', linkname: readlinkSync(p) });
      else if (st.isFile())
        out.set(r, { ...base, type: 'file', size: Number(st.size), sha256: await sha256File(p) });
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = st.rdev;
        out.set(r, {
          ...base,
          type: st.isCharacterDevice() ? 'character-device' : 'block-device',
          major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
          minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
        });
      } else if (st.isFIFO()) out.set(r, { ...base, type: 'fifo' });
      else if (st.isSocket()) out.set(r, { ...base, type: 'socket' });
    }
  };
  await visit(dir, '');
  return out;
}

export interface Member {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string | null;
  devmajor: number;
  devminor: number;
  sha256?: string;
}

/** The members of a .tar.gz, read back with tar-stream (a second, independent reader is GNU tar). */
export async function readTarball(file: string): Promise<Member[]> {
  const members: Member[] = [];
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const h = createHash('sha256');
    stream.on('data', (d: unknown) => h.update(d as Buffer));
    stream.on('end', () => {
      // Extended headers override the ustar fields (tar-stream applies only path, linkpath, size).
      const pax = (header.pax ?? {}) as Record<string, string>;
      const num = (key: string, fallback: number) => (pax[key] !== undefined ? Number(pax[key]) : fallback);
      members.push({
        name: header.name,
        type: header.type,
        mode: header.mode,
        uid: num('uid', header.uid),
        gid: num('gid', header.gid),
        size: header.size,
        mtime: Math.floor(num('mtime', header.mtime.getTime() / 1000)),
        linkname: header.linkname ?? null,
        devmajor: num('SCHILY.devmajor', header.devmajor),
        devminor: num('SCHILY.devminor', header.devminor),
        ...(header.type === 'file' ? { sha256: h.digest('hex') } : {}),
      });
      next();
    });
    stream.resume();
  });
  await pipeline(createReadStream(file), createGunzip(), ex);
  return members;
}

/** GNU tar's listing, names as stored (`--quoting-style=literal`). */
export function gnuList(file: string): string[] {
  const r = spawnSync('tar', ['--quoting-style=literal', '-tzf', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`tar -tzf ${file}: exit ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

export function gzipTest(file: string): { ok: boolean; stderr: string } {
  const r = spawnSync('gzip', ['-t', file], { encoding: 'utf8' });
  return { ok: r.status === 0, stderr: r.stderr };
}

/** GNU tar -xzf into `dir` (as root it keeps owners and modes). */
export function gnuExtract(file: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('tar', ['-xzf', file, '-C', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar -xzf ${file}: exit ${r.status}: ${r.stderr}`);
}
