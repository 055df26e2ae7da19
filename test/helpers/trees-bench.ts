// A generated buildroot for the Save Failed Tree benchmark, shaped like the measured tree of
// platform-notes §5: about 1 GiB in 60,000 files (most under 16 KB, 50 over 1 MB, 8 over 10 MB),
// ~4,000 directories, symlinks, a few hard-link pairs and /dev nodes, with contents of mixed
// compressibility (source text, repetitive logs, half-structured binaries, incompressible payloads)
// and the planted secrets and decoys. The same seed always gives the same tree, byte for byte.
import { spawnSync } from 'node:child_process';
import { closeSync, linkSync, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface BenchTree {
  root: string;
  /** Bytes of file contents (hard links counted once, as tar reads them once). */
  bytes: number;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  devices: number;
  /** Every entry below the root, secrets included. */
  entries: number;
  secrets: string[];
  decoys: string[];
}

/** xorshift128+ on 32-bit halves: fast, seeded, the same everywhere. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = seed ^ 0x9e3779b9;
    this.b = Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35;
    this.c = 0x27d4eb2f ^ (seed >>> 3);
    this.d = 0x165667b1;
    for (let i = 0; i < 32; i++) this.u32();
  }
  u32(): number {
    let t = this.d;
    const s = this.a;
    this.d = this.c;
    this.c = this.b;
    this.b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.a = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.a;
  }
  float(): number {
    return this.u32() / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)];
  }
  /** Log-uniform in [lo, hi]. */
  logUniform(lo: number, hi: number): number {
    return Math.round(lo * Math.pow(hi / lo, this.float()));
  }
}

const WORDS =
  'int char void return static const struct unsigned long size_t if else for while include define ifdef endif buffer length error status result value index count pointer memory alloc free init config option build package version release license source patch make install test check debug warning module import from class self def none true false print format string list dict'.split(
    ' ',
  );

const MiB = 1024 * 1024;

type Kind = 'text' | 'log' | 'binary' | 'random';

/** Pools of content, sliced at random offsets: each compresses like the kind of file it stands for. */
function makePools(rng: Rng): Record<Kind, Buffer> {
  const random = Buffer.allocUnsafe(64 * MiB);
  const words = new Uint32Array(random.buffer, random.byteOffset, random.length / 4);
  for (let i = 0; i < words.length; i++) words[i] = rng.u32();
  const textParts: string[] = [];
  let n = 0;
  while (n < 24 * MiB) {
    let line = '  '.repeat(rng.int(0, 4));
    const len = rng.int(3, 12);
    for (let i = 0; i < len; i++)
      line += `${rng.pick(WORDS)}${rng.float() < 0.2 ? `_${rng.int(0, 999)}` : ''} `;
    line += rng.float() < 0.5 ? ';\n' : '\n';
    textParts.push(line);
    n += line.length;
  }
  const text = Buffer.from(textParts.join(''));
  const logParts: string[] = [];
  n = 0;
  for (let i = 0; n < 8 * MiB; i++) {
    const line = `[${String(i).padStart(8, '0')}] checking for ${rng.pick(WORDS)}... ${rng.float() < 0.9 ? 'yes' : 'no'}\n`;
    logParts.push(line);
    n += line.length;
  }
  const log = Buffer.from(logParts.join(''));
  // Half-structured binaries: runs of zeros and repeated records between random stretches.
  const binary = Buffer.allocUnsafe(32 * MiB);
  for (let off = 0; off < binary.length;) {
    const len = Math.min(binary.length - off, rng.int(64, 4096));
    const r = rng.float();
    if (r < 0.45) {
      const at = rng.int(0, random.length - len);
      random.copy(binary, off, at, at + len);
    } else if (r < 0.7) binary.fill(0, off, off + len);
    else {
      const start = rng.int(0, random.length - 16);
      for (let i = 0; i < len; i++) binary[off + i] = random[start + (i % 16)];
    }
    off += len;
  }
  return { text, log, binary, random };
}

function writeContent(path: string, size: number, pool: Buffer, rng: Rng): void {
  const fd = openSync(path, 'w', 0o644);
  try {
    let left = size;
    while (left > 0) {
      const len = Math.min(left, pool.length, MiB);
      const at = rng.int(0, pool.length - len);
      let off = 0;
      while (off < len) off += writeSync(fd, pool, at + off, len - off);
      left -= len;
    }
  } finally {
    closeSync(fd);
  }
}

const EXT: Record<Kind, string[]> = {
  text: ['.c', '.h', '.py', '.txt', '.spec', '.md', '.js', '.pl'],
  log: ['.log', '.d', '.out'],
  binary: ['.o', '.so', '.a', '.pyc', '.bin'],
  random: ['.gz', '.xz', '.rpm', '.png'],
};

/** Generates the tree under `root` (which must not exist yet). Needs root for mknod. */
export function generateBenchTree(
  root: string,
  seed = 20261124,
  totalBytes = 1024 * MiB,
  files = 60_000,
): BenchTree {
  const rng = new Rng(seed);
  const pools = makePools(rng);
  mkdirSync(root, { recursive: true });
  const t: BenchTree = {
    root,
    bytes: 0,
    files: 0,
    dirs: 0,
    symlinks: 0,
    hardlinks: 0,
    devices: 0,
    entries: 0,
    secrets: [
      'tmp/krb5cc_0',
      'tmp/krb5cc_1000_AbCdEf',
      'builddir/tmp/krb5cc_mockbuild',
      'builddir/.cache/tmp/krb5cc_hidden',
      'etc/krb5.keytab',
      'etc/host.keytab',
    ],
    decoys: ['tmp/notkrb5cc', 'etc/keytab.txt'],
  };

  // Directories: a few top-level trees, each a random nest ~4 deep.
  const tops = [
    'builddir/build/BUILD',
    'builddir/build/BUILDROOT',
    'usr/include',
    'usr/share/doc',
    'usr/lib/python3',
    'usr/lib64',
    'var/cache/dnf',
    'builddir/.cache',
  ];
  const dirs: string[] = [];
  const mk = (rel: string) => {
    mkdirSync(join(root, rel), { recursive: true });
    dirs.push(rel);
  };
  for (const top of tops) mk(top);
  while (dirs.length < 3990) {
    const parent = rng.pick(dirs);
    if (parent.split('/').length > 8) continue;
    mk(`${parent}/${rng.pick(WORDS)}-${rng.int(0, 99999).toString(36)}`);
  }

  // Sizes: 8 large, 42 between 1 and 5 MB, the rest small (86 % under 16 KB); the 16 KB–256 KB
  // class is scaled so the whole tree comes to `totalBytes`.
  const big = [110, 50, 30, 24, 20, 16, 12, 11].map((m) => m * MiB);
  const medium = Array.from({ length: 42 }, () => rng.int(1 * MiB + 1, 5 * MiB));
  const small: number[] = [];
  const mid: number[] = [];
  const rest = files - big.length - medium.length - t.secrets.length - t.decoys.length;
  for (let i = 0; i < rest; i++) {
    if (rng.float() < 0.86) small.push(rng.logUniform(32, 16 * 1024));
    else mid.push(rng.logUniform(16 * 1024, 256 * 1024));
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const fixed = sum(big) + sum(medium) + sum(small);
  const scale = Math.max(0.05, (totalBytes - fixed) / Math.max(1, sum(mid)));
  const sizes = [...big, ...medium, ...small, ...mid.map((s) => Math.min(MiB, Math.round(s * scale)))];

  const kinds: Kind[] = ['text', 'text', 'text', 'log', 'binary', 'binary', 'random'];
  const made: string[] = [];
  let serial = 0;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i];
    // Big files get the kinds the notes' tree had: a library (binary) and an rpm (random).
    const kind: Kind =
      i === 0
        ? 'binary'
        : i === 1
          ? 'random'
          : i < big.length
            ? rng.pick(['binary', 'random', 'text'] as const)
            : rng.pick(kinds);
    const dir = i < big.length + medium.length ? rng.pick(tops) : rng.pick(dirs);
    const rel = `${dir}/${rng.pick(WORDS)}_${(serial++).toString(36)}${rng.pick(EXT[kind])}`;
    writeContent(join(root, rel), size, pools[kind], rng);
    made.push(rel);
    t.bytes += size;
    t.files++;
  }
  for (const s of t.secrets) {
    mkdirSync(dirname(join(root, s)), { recursive: true });
    writeContent(join(root, s), 1024, pools.random, rng);
    t.bytes += 1024;
    t.files++;
  }
  for (const d of t.decoys) {
    writeContent(join(root, d), 64, pools.text, rng);
    t.bytes += 64;
    t.files++;
  }
  // 8 hard-link pairs (the notes' SRPMS copies), 3,333 relative symlinks, 8 character devices.
  mkdirSync(join(root, 'builddir/build/SRPMS'), { recursive: true });
  dirs.push('builddir/build/SRPMS');
  for (let i = 0; i < 8; i++) {
    const src = made[big.length + i];
    linkSync(join(root, src), join(root, `builddir/build/SRPMS/copy-${i}-${src.split('/').pop()}`));
    t.hardlinks++;
  }
  for (let i = 0; i < 3333; i++) {
    const dir = rng.pick(dirs);
    const target = relative(join(root, dir), join(root, rng.pick(made)));
    symlinkSync(target, join(root, dir, `link-${i.toString(36)}`));
    t.symlinks++;
  }
  mkdirSync(join(root, 'dev'), { recursive: true });
  const devs: [string, number, number][] = [
    ['null', 1, 3],
    ['zero', 1, 5],
    ['full', 1, 7],
    ['random', 1, 8],
    ['urandom', 1, 9],
    ['tty', 5, 0],
    ['console', 5, 1],
    ['ptmx', 5, 2],
  ];
  for (const [name, major, minor] of devs) {
    const r = spawnSync('mknod', ['-m', '0666', join(root, 'dev', name), 'c', String(major), String(minor)]);
    if (r.status !== 0) throw new Error(`mknod: ${r.stderr}`);
    t.devices++;
  }
  // Every directory on the way counts as an entry: count them from the paths made.
  const allDirs = new Set<string>();
  for (const d of [...dirs, 'dev', ...t.secrets.map(dirname), ...t.decoys.map(dirname)])
    for (let p = d; p !== '.' && p !== ''; p = dirname(p)) allDirs.add(p);
  t.dirs = allDirs.size;
  t.entries = t.files + t.hardlinks + t.symlinks + t.devices + t.dirs;
  return t;
}
