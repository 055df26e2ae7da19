// The walk that turns a buildroot into tar entries (platform-notes §5, "Walker logic"): synchronous fs
// calls (an async call costs 30–50 µs of threadpool hand-off, which caps an async walker at ~46 MB/s),
// sorted depth-first, each entry handed to tar-stream's packer (node-tar silently truncates trees
// with device nodes, §6.1) and every packed byte taken straight into the parallel gzip writer. It
// runs in a worker thread (see worker.ts), so the blocking calls never stall the builder.
//
// What goes in, and how:
// - names are relative to the buildroot's root (`builddir/…`, `etc/…`; Koji used the host path);
// - directories get a trailing `/`, as GNU tar and Python's tarfile write them;
// - symlinks are stored with their target and never followed; files are opened with O_NOFOLLOW and
//   checked to be the inode that was listed, so a path swapped for a symlink is not read through;
// - a regular file seen before under another name (same dev:ino) becomes a `link` entry naming the
//   first member; the table forgets an inode once all its links were seen;
// - character and block devices carry glibc's major/minor split (Python's os.major/os.minor, which
//   Koji's tarfile uses); FIFOs are written; sockets are skipped (tar cannot hold them);
// - long and non-ASCII names and link targets go into pax headers (tar-stream does that), as do
//   uids/gids and mtimes a ustar field cannot hold; a name that is not valid UTF-8 is skipped with a
//   warning (a pax path must be UTF-8);
// - a file that changes while it is read (size, mtime or inode) is left out with a warning instead
//   of being archived torn or failing the whole tree: files up to 1 MiB are read whole before their
//   entry is packed; a bigger one is streamed, and if it changed its packed bytes are rolled back.
import {
  closeSync,
  constants as fsc,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import { pack as tarPack, type Header, type Pack } from 'tar-stream';
import type { Filter } from './filters.js';
import type { GzipBlockWriter } from './gzip-blocks.js';

/** Files up to this size are read whole; bigger ones are streamed in chunks of this size. */
export const SMALL_FILE = 1024 * 1024;

export interface WalkStats {
  /** Tar entries written. */
  entries: number;
  excludedByConfig: number;
  excludedMandatory: number;
  /** Left out for any other reason: sockets, files that changed or vanished, unreadable names. */
  skipped: number;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  devices: number;
  fifos: number;
  sockets: number;
  /** Bytes of file contents archived. */
  contentBytes: number;
  /** Capture mode: matching files left out because the size limit was reached. */
  overLimit: number;
}

/**
 * Capture mode (a failed task's chosen files, not a whole tree): only files and symlinks whose names
 * `include` accepts go in — no directory entries (extraction makes them), no devices, fifos or
 * sockets — until their contents would pass `maxBytes`.
 */
export interface Capture {
  include(name: string): boolean;
  maxBytes: number;
}

export interface WalkHooks {
  warn(message: string): void;
  info(message: string): void;
  /** How many bytes of the output are final (GzipBlockWriter.committed), now and then. */
  committed?(bytes: number): void;
}

export class MissingTreeError extends Error {}

// ustar numeric fields hold 6 (ids) and 11 (mtime) octal digits; tar-stream writes 7s beyond that.
const MAX_ID = 0o777777;
const MAX_MTIME = 0o77777777777;
const OPEN_FLAGS = fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK;

/** glibc's gnu_dev_major / gnu_dev_minor, which Python's os.major / os.minor are. */
export function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major & 0xffffffffn), minor: Number(minor & 0xffffffffn) };
}

/** What pack.entry takes: a name plus any header fields. */
type EntryHeader = Parameters<Pack['entry']>[0];

/**
 * Writes device numbers into a ustar header block with the field's full 7 octal digits and a NUL,
 * as GNU tar does, and recomputes the block's checksum.
 */
export function setDeviceNumbers(block: Buffer, major: number, minor: number): void {
  if (block.length !== 512 || major > 0o7777777 || minor > 0o7777777)
    throw new Error(`cannot store device ${major},${minor} in a ustar header`);
  block.write(`${major.toString(8).padStart(7, '0')}\0`, 329, 'latin1');
  block.write(`${minor.toString(8).padStart(7, '0')}\0`, 337, 'latin1');
  let sum = 8 * 32;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += block[i];
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

interface Changed {
  changed: string;
}

export class TreeWalker {
  readonly stats: WalkStats = {
    entries: 0,
    excludedByConfig: 0,
    excludedMandatory: 0,
    skipped: 0,
    files: 0,
    dirs: 0,
    symlinks: 0,
    hardlinks: 0,
    devices: 0,
    fifos: 0,
    sockets: 0,
    contentBytes: 0,
    overLimit: 0,
  };
  private readonly pack: Pack;
  /** dev:ino → the first member holding it, and how many more links are still to come. */
  private readonly links = new Map<string, { name: string; left: number }>();
  private readonly zeros = Buffer.alloc(SMALL_FILE);
  /**
   * One buffer for every read: the packer's bytes are copied into the gzip writer as they are
   * pushed, and each entry (or chunk) is fully pushed before the next read, so it can be reused.
   */
  private readonly scratch = Buffer.allocUnsafe(SMALL_FILE + 1);
  /** While set, packed bytes are held here instead of going to the gzip writer. */
  private captured: Buffer[] | null = null;

  constructor(
    private readonly gz: GzipBlockWriter,
    private readonly filter: Filter,
    private readonly hooks: WalkHooks,
    private readonly capture: Capture | null = null,
  ) {
    this.pack = tarPack();
    // Every byte the packer produces goes straight into the gzip writer, synchronously, instead of
    // through the packer's readable side: the archive's position is then known exactly between
    // entries, which the rollback of a changed file needs, and no stream buffers in between.
    // Back-pressure comes from the walker awaiting gz.ready() between entries and chunks.
    const out = this.gz;
    this.pack.push = (chunk: unknown): boolean => {
      if (chunk instanceof Uint8Array) {
        if (this.captured) this.captured.push(Buffer.from(chunk));
        else out.write(chunk);
      }
      return true;
    };
  }

  /**
   * Archives `root` (a buildroot's root directory) — all of it, or only `builddir` — then ends the
   * tar stream. Throws MissingTreeError when the directory to archive is not there.
   */
  async run(root: string, full: boolean): Promise<WalkStats> {
    const start = full ? root : `${root}/builddir`;
    let st: Stats;
    try {
      st = lstatSync(start);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
        throw new MissingTreeError(`Buildroot directory is missing: ${start}`);
      throw e;
    }
    if (full) {
      if (!st.isDirectory()) throw new MissingTreeError(`Buildroot directory is missing: ${start}`);
      await this.children(root, '');
    } else {
      // A `builddir` that is a symlink is stored as one, like any other symlink.
      await this.entry(start, 'builddir', st);
    }
    // Pushes the end-of-archive blocks synchronously (no entry is open).
    this.pack.finalize();
    return this.stats;
  }

  private async children(dir: string, prefix: string): Promise<void> {
    let names: Buffer[];
    try {
      names = readdirSync(dir, { encoding: 'buffer' });
    } catch (e) {
      this.skip(`cannot list ${prefix || '/'}: ${(e as Error).message}`);
      return;
    }
    names.sort(Buffer.compare);
    for (const raw of names) {
      const base = raw.toString('utf8');
      const name = prefix + base;
      if (base.includes('\uFFFD') && !Buffer.from(base).equals(raw)) {
        this.skip(`skipped ${JSON.stringify(name)}: its name is not valid UTF-8`);
        continue;
      }
      const path = `${dir}/${base}`;
      let st: Stats;
      try {
        st = lstatSync(path);
      } catch (e) {
        this.skip(
          `skipped ${name}: it vanished while the tree was read (${(e as NodeJS.ErrnoException).code})`,
        );
        continue;
      }
      await this.entry(path, name, st);
    }
  }

  private async entry(path: string, name: string, st: Stats): Promise<void> {
    const why = this.filter(name);
    if (why === 'config') {
      this.stats.excludedByConfig++;
      return;
    }
    if (why === 'mandatory') {
      this.stats.excludedMandatory++;
      return;
    }
    return this.capture ? this.captureEntry(path, name, st, this.capture) : this.member(path, name, st);
  }

  /** One member of the archive (a directory with everything under it). */
  private async member(path: string, name: string, st: Stats): Promise<void> {
    if (st.isDirectory()) {
      await this.add(this.header(name + '/', st, 'directory'));
      this.stats.dirs++;
      await this.children(path, name + '/');
    } else if (st.isSymbolicLink()) {
      let target: Buffer;
      try {
        target = readlinkSync(path, { encoding: 'buffer' });
      } catch (e) {
        this.skip(`skipped ${name}: ${(e as Error).message}`);
        return;
      }
      const linkname = target.toString('utf8');
      if (!Buffer.from(linkname).equals(target)) {
        this.skip(`skipped ${name}: its symlink target is not valid UTF-8`);
        return;
      }
      await this.add({ ...this.header(name, st, 'symlink'), linkname });
      this.stats.symlinks++;
    } else if (st.isFile()) {
      await this.file(path, name, st);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = splitDev(lstatSync(path, { bigint: true }).rdev);
      const type = st.isCharacterDevice() ? 'character-device' : 'block-device';
      const header = { ...this.header(name, st, type), devmajor: major, devminor: minor };
      if (major <= MAX_ID && minor <= MAX_ID) await this.add(header);
      else {
        // tar-stream writes at most 6 octal digits where the field holds 7 (Linux minors go up to
        // 2^20); GNU tar reads no pax key for device numbers, so the header block is fixed instead.
        this.captured = [];
        try {
          await this.add(header, undefined, false);
        } finally {
          const blocks = this.captured;
          this.captured = null;
          setDeviceNumbers(blocks[blocks.length - 1], major, minor);
          for (const b of blocks) this.gz.write(b);
        }
        await this.gz.ready();
      }
      this.stats.devices++;
    } else if (st.isFIFO()) {
      await this.add(this.header(name, st, 'fifo'));
      this.stats.fifos++;
    } else if (st.isSocket()) {
      this.stats.sockets++;
      this.stats.skipped++;
      this.hooks.info(`skipped ${name}: a socket (tar cannot hold one)`);
    } else {
      this.skip(`skipped ${name}: unknown file type (mode ${st.mode.toString(8)})`);
    }
  }

  private async captureEntry(path: string, name: string, st: Stats, c: Capture): Promise<void> {
    if (st.isDirectory()) return this.children(path, name + '/');
    if (!(st.isFile() || st.isSymbolicLink()) || !c.include(name)) return;
    if (st.isFile() && this.stats.contentBytes + st.size > c.maxBytes) {
      this.stats.overLimit++;
      this.hooks.info(`left out ${name} (${st.size} bytes): the capture would pass ${c.maxBytes} bytes`);
      return;
    }
    // Written as in a whole tree: symlink target checks, hardlinks, files that change while read.
    await this.member(path, name, st);
  }

  private async file(path: string, name: string, st: Stats): Promise<void> {
    let fd: number;
    try {
      fd = openSync(path, OPEN_FLAGS);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      this.skip(
        code === 'ELOOP'
          ? `skipped ${name}: it changed while it was read (it became a symlink)`
          : `skipped ${name}: ${(e as Error).message}`,
      );
      return;
    }
    try {
      const fst = fstatSync(fd);
      if (!fst.isFile() || fst.ino !== st.ino || fst.dev !== st.dev) {
        this.skip(`skipped ${name}: it changed while it was read (replaced by another file)`);
        return;
      }
      let key: string | null = null;
      if (fst.nlink > 1) {
        // Exact numbers for the key: an inode number can exceed 2^53.
        const exact = fstatSync(fd, { bigint: true });
        key = `${exact.dev}:${exact.ino}`;
        const first = this.links.get(key);
        if (first) {
          await this.add({ ...this.header(name, st, 'link'), linkname: first.name, size: 0 });
          this.stats.hardlinks++;
          if (--first.left <= 0) this.links.delete(key);
          return;
        }
      }
      const size = fst.size;
      const header = this.header(name, st, 'file', fst);
      const result =
        size <= SMALL_FILE ? await this.smallFile(fd, header, fst) : await this.bigFile(fd, header, fst);
      if (result && 'changed' in result) {
        this.skip(`skipped ${name}: it changed while it was read (${result.changed})`);
        return;
      }
      this.stats.files++;
      this.stats.contentBytes += size;
      if (key) this.links.set(key, { name, left: fst.nlink - 1 });
    } finally {
      closeSync(fd);
    }
  }

  /** Read whole, checked, then packed: a change is caught before anything is written. */
  private async smallFile(fd: number, header: EntryHeader, before: Stats): Promise<Changed | null> {
    const size = before.size;
    // One byte more than expected tells a file that grew from one that did not.
    const buf = this.scratch.subarray(0, size + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
      if (got === buf.length) break;
    }
    const changed = this.changedSince(fd, before, got, size);
    if (changed) return changed;
    await this.add(header, buf.subarray(0, size));
    return null;
  }

  /**
   * Streamed in chunks. The gzip writer is marked before the entry; if the file changed, the entry
   * is completed with zeros (the packer insists on the size it announced) and rolled back.
   */
  private async bigFile(fd: number, header: EntryHeader, before: Stats): Promise<Changed | null> {
    const size = before.size;
    const mark = this.gz.mark();
    let failed: Error | null = null;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const sink = this.pack.entry(header, (err) => {
      failed = err ?? null;
      finished();
    });
    this.stats.entries++;
    let pos = 0;
    let short = false;
    while (pos < size) {
      const want = Math.min(SMALL_FILE, size - pos);
      let chunk: Buffer;
      if (short) chunk = this.zeros.subarray(0, want);
      else {
        chunk = this.scratch.subarray(0, want);
        const n = readSync(fd, chunk, 0, want, pos);
        if (n < want) {
          short = true;
          chunk.fill(0, n);
        }
      }
      pos += want;
      // Every chunk but the last is far above the sink's 16 KiB mark, so write() says false and
      // 'drain' comes once the chunk was pushed (copied): only then is the scratch buffer refilled.
      if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once('drain', resolve));
      await this.gz.ready();
    }
    sink.end(undefined);
    await done;
    if (failed) throw failed;
    const changed = short
      ? { changed: `it shrank below ${size} bytes` }
      : this.changedSince(fd, before, size + readSync(fd, Buffer.alloc(1), 0, 1, size), size);
    if (changed) {
      this.stats.entries--;
      await this.gz.rollback(mark);
      return changed;
    }
    return null;
  }

  private changedSince(fd: number, before: Stats, got: number, size: number): Changed | null {
    if (got < size) return { changed: `it shrank from ${size} to ${got} bytes` };
    if (got > size) return { changed: `it grew beyond ${size} bytes` };
    const after = fstatSync(fd);
    if (after.size !== before.size) return { changed: `its size went from ${size} to ${after.size} bytes` };
    if (after.mtimeMs !== before.mtimeMs) return { changed: 'it was modified' };
    return null;
  }

  private header(name: string, st: Stats, type: Header['type'], fst?: Stats): EntryHeader {
    const mtimeSec = Math.floor((fst ?? st).mtimeMs / 1000);
    const pax: Record<string, string> = {};
    if (st.uid > MAX_ID) pax.uid = String(st.uid);
    if (st.gid > MAX_ID) pax.gid = String(st.gid);
    if (mtimeSec < 0 || mtimeSec > MAX_MTIME) pax.mtime = String(mtimeSec);
    const h: EntryHeader = {
      name,
      type,
      mode: (fst ?? st).mode & 0o7777,
      uid: Math.min(st.uid, MAX_ID),
      gid: Math.min(st.gid, MAX_ID),
      mtime: new Date(Math.min(Math.max(mtimeSec, 0), MAX_MTIME) * 1000),
      size: fst ? fst.size : 0,
    };
    if (Object.keys(pax).length) h.pax = pax;
    return h;
  }

  /** One entry, packed; resolves once its bytes are all in the gzip writer. */
  private async add(header: EntryHeader, content?: Buffer, wait = true): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content) this.pack.entry(header, content, cb);
      else this.pack.entry({ ...header, size: 0 }, cb);
    });
    this.stats.entries++;
    if (wait) await this.gz.ready();
  }

  private skip(message: string): void {
    this.stats.skipped++;
    this.hooks.warn(message);
  }
}
