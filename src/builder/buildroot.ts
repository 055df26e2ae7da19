// Buildroots on the builder (DESIGN §8): one root file system per task under
// `<workdir>/buildroots/task<id>/root`, made from a base — a directory copied with
// `cp -a --reflink=auto`, a tarball extracted with GNU tar, or, with no base configured, an empty
// root onto which the sandbox binds the host's /usr read-only — and never the shared base itself.
// Rebuilt from kojid's BuildRoot (koji/daemon.py, builder/kojid) and its retention
// (koji/daemon.py:790-900): the hub records the buildroot (host.newBuildRoot, INIT → BUILDING →
// EXPIRED when the task ends); a successful task's directory is removed at once, a failed one's is
// kept `failed_buildroot_lifetime` seconds (host.setBuildRootRetention), then removed by a sweep;
// every removal is recorded (host.buildRootRemoved). Differences: no mock and no minspace check;
// the directory sits under the builder's workdir instead of /var/lib/mock.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, unlinkSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KojiError } from '../kernel/errors.js';
import type { BuilderLogger } from './log.js';
import type { HubCalls, TaskContext } from './handler.js';
import type { BindMount } from './sandbox/types.js';

/** Where a buildroot comes from. */
export type BaseRoot = { kind: 'dir'; path: string } | { kind: 'tarball'; path: string } | { kind: 'host' };

/** What the builder keeps beside each buildroot directory, so a restarted builder can finish its job. */
export interface BuildrootMarker {
  id: number;
  taskId: number | null;
  /** ISO time the directory may be removed after; null while its task runs. */
  keepUntil: string | null;
  /** The hub knows it is EXPIRED. */
  expired?: boolean;
  /** The root is gone (this is why) but the hub was not told yet. */
  removed?: string | null;
}

const MARKER = 'buildroot.json';
/** Top-level entries of the host that a host-/usr root mirrors: symlinks are copied, directories bound. */
const HOST_TOP = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

export const buildrootsDir = (workdir: string) => join(workdir, 'buildroots');

/** Runs a program (argv only), failing with its last stderr line. */
export function exec(argv: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], signal });
    let err = '';
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (code, sig) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${argv[0]} ${code !== null ? `exited with status ${code}` : `was killed by signal ${sig}`}${
              err.trim() ? `: ${err.trim().split('\n').slice(-3).join(' / ')}` : ''
            }`,
          ),
        );
    });
  });
}

/** Directories of buildroots whose tasks run in this process: sweeps leave them alone. */
const active = new Set<string>();
/** Per work directory, when a sweep has something to do (ms since the epoch). */
const due = new Map<string, number>();

/** When the builder should next sweep `workdir` for this process's own kept or removed buildroots. */
export function sweepDue(workdir: string): number {
  return due.get(workdir) ?? Infinity;
}

function dueBy(workdir: string, at: number): void {
  due.set(workdir, Math.min(due.get(workdir) ?? Infinity, at));
}

/**
 * Runs `fn` with the buildroot whose root directory is `root` out of the sweeps' reach (Save Failed
 * Tree archiving a kept root must not see it removed half way when its retention ends).
 */
export async function holdBuildroot<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const dir = dirname(root);
  const already = active.has(dir);
  active.add(dir);
  try {
    return await fn();
  } finally {
    if (!already) active.delete(dir);
  }
}

export interface NewBuildroot {
  tag: { id: number; name: string };
  arch: string;
  repoId: number | null;
  base: BaseRoot;
}

export class Buildroot {
  private finished = false;

  private constructor(
    readonly id: number,
    /** `<workdir>/buildroots/task<id>`: the root plus the builder's marker. */
    readonly dir: string,
    /** The directory that becomes `/` in the sandbox. */
    readonly root: string,
    /** Binds the base needs (the host's /usr for a host root). */
    readonly binds: BindMount[],
    private readonly ctx: TaskContext,
    private readonly taskId: number,
  ) {}

  /**
   * Records the buildroot (INIT), makes its directory from the base and moves it to BUILDING. A base
   * that cannot be copied expires and removes it and raises Koji's BuildrootError.
   */
  static async create(ctx: TaskContext, taskId: number, o: NewBuildroot): Promise<Buildroot> {
    const dir = join(buildrootsDir(ctx.builder.workdir), `task${taskId}`);
    const root = join(dir, 'root');
    active.add(dir);
    try {
      // A directory left by an earlier run of this very task (a builder killed mid-task).
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const id = await ctx.hub.call<number>('host.newBuildRoot', [o.repoId, o.arch, taskId, o.tag, root]);
      const br = new Buildroot(id, dir, root, [], ctx, taskId);
      // BUILDING is recorded while the root is made and the command starts (EXPIRED waits for it):
      // one hub round trip less before the command, which is what a runroot user waits for.
      br.building = ctx.hub.call('host.setBuildRootState', [id, 'BUILDING']).then(
        () => undefined,
        (e: unknown) => ctx.log.warn(`buildroot ${id}: BUILDING not recorded: ${(e as Error).message}`),
      );
      const [marked, made] = await Promise.allSettled([
        writeMarker(dir, { id, taskId, keepUntil: null }),
        makeRoot(root, o.base, ctx.signal),
      ]);
      if (made.status === 'rejected' || marked.status === 'rejected') {
        const why = ((made.status === 'rejected' ? made : (marked as PromiseRejectedResult)).reason as Error)
          .message;
        await br.finish('closed', `its base could not be made: ${why}`).catch(() => undefined);
        throw new KojiError(
          'BuildrootError',
          `could not init buildroot ${id} from ${describeBase(o.base)}: ${why}`,
        );
      }
      br.binds.push(...made.value);
      return br;
    } catch (e) {
      active.delete(dir);
      throw e;
    }
  }

  private expiring: Promise<void> | null = null;
  /** The BUILDING record on its way to the hub. */
  private building: Promise<void> = Promise.resolve();

  /** Koji's `expire()`: EXPIRED on the hub (once); may run beside the task's last uploads. */
  expire(): Promise<void> {
    this.expiring ??= (async () => {
      await this.building;
      await this.ctx.hub.call('host.setBuildRootState', [this.id, 'EXPIRED']);
    })();
    return this.expiring;
  }

  /**
   * The task is over. Closed: EXPIRED, the directory goes, and that is recorded. Failed: EXPIRED and
   * kept `failed_buildroot_lifetime` seconds for saveFailedTree (0: removed now). Aborted (canceled,
   * taken away, builder stopping — the task's line to the hub is closed): the directory goes and the
   * next sweep records it.
   */
  async finish(result: 'closed' | 'failed' | 'aborted', why = ''): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    const base = { id: this.id, taskId: this.taskId, keepUntil: null };
    /** When the builder's sweep has work here: set once the directory is no longer this task's. */
    let sweepAt: number | null = null;
    try {
      if (result === 'aborted') {
        await rm(this.root, { recursive: true, force: true });
        await writeMarker(this.dir, { ...base, removed: `task ${this.taskId} ${why || 'was stopped'}` });
        sweepAt = Date.now();
        return;
      }
      await this.expire();
      const lifetime = this.ctx.builder.failedBuildrootLifetimeSec;
      if (result === 'closed' || lifetime <= 0) {
        await rm(this.root, { recursive: true, force: true });
        const reason =
          result === 'closed'
            ? why || `task ${this.taskId} closed`
            : `task ${this.taskId} failed${why ? ` (${why})` : ''}; failed_buildroot_lifetime is 0`;
        // The builder's next pass — right after the task ends — records it (sweepBuildroots), so the
        // task's result does not wait for one more round trip.
        await writeMarker(this.dir, { ...base, expired: true, removed: reason });
        sweepAt = Date.now();
        return;
      }
      const keepUntil = new Date(Date.now() + lifetime * 1000).toISOString();
      await writeMarker(this.dir, { ...base, keepUntil, expired: true });
      sweepAt = Date.parse(keepUntil);
      await this.ctx.hub.call('host.setBuildRootRetention', [this.id, keepUntil]);
      this.ctx.log.info(`buildroot ${this.id} kept until ${keepUntil} at ${this.root}`);
    } finally {
      active.delete(this.dir);
      if (sweepAt !== null) dueBy(this.ctx.builder.workdir, sweepAt);
    }
  }
}

function describeBase(b: BaseRoot): string {
  return b.kind === 'host' ? "the host's /usr" : `${b.kind === 'dir' ? 'directory' : 'tarball'} ${b.path}`;
}

async function writeMarker(dir: string, m: BuildrootMarker): Promise<void> {
  await writeFile(join(dir, `${MARKER}.tmp`), JSON.stringify(m));
  await rename(join(dir, `${MARKER}.tmp`), join(dir, MARKER));
}

/** Makes the root directory from its base; returns the binds the base needs at run time. */
export async function makeRoot(root: string, base: BaseRoot, signal?: AbortSignal): Promise<BindMount[]> {
  await mkdir(root, { recursive: true });
  const binds: BindMount[] = [];
  if (base.kind === 'dir') {
    if (!existsSync(base.path) || !lstatSync(base.path).isDirectory())
      throw new Error(`${base.path} is not a directory`);
    await exec(['cp', '-a', '--reflink=auto', `${base.path}/.`, `${root}/`], signal);
  } else if (base.kind === 'tarball') {
    if (!existsSync(base.path)) throw new Error(`${base.path} does not exist`);
    // GNU tar detects the compression itself, keeps numeric owners, refuses `..` members and
    // creates symlinks only after the files, so an archive cannot write outside the root.
    await exec(['tar', '-xf', base.path, '-C', root, '--numeric-owner'], signal);
  } else {
    await mkdir(join(root, 'usr'));
    binds.push({ src: '/usr', dest: '/usr', readOnly: true });
    for (const name of HOST_TOP) {
      const host = `/${name}`;
      let st;
      try {
        st = lstatSync(host);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) await symlink(readlinkSync(host), join(root, name));
      else if (st.isDirectory()) {
        await mkdir(join(root, name));
        binds.push({ src: host, dest: host, readOnly: true });
      }
    }
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(root, 'etc', 'group'), 'root:x:0:\n');
    await writeFile(join(root, 'etc', 'hosts'), '127.0.0.1 localhost\n::1 localhost\n');
  }
  if (base.kind !== 'host') resetPackageState(root);
  // What every sandbox expects, whatever the base brought (never through a symlink of the base).
  for (const d of ['builddir', 'tmp', 'proc', 'dev', 'root']) {
    const p = join(root, d);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      await mkdir(p);
      if (d === 'tmp') await chmod(p, 0o1777);
      continue;
    }
    if (!st.isDirectory()) throw new Error(`/${d} in the base is not a directory`);
  }
  return binds;
}

/**
 * Writes /builddir/NAME of a new root, replacing what the base had there, never through a symlink:
 * makeRoot made sure /builddir is a real directory, and a link the base left at NAME is removed, not
 * followed (the builder runs as root, and a link could point at any file of the host).
 */
export async function writeIntoBuilddir(root: string, name: string, content: string): Promise<void> {
  const p = join(root, 'builddir', name);
  const st = lstatSafe(p);
  if (st?.isDirectory()) throw new Error(`/builddir/${name} in the base is a directory`);
  if (st) unlinkSync(p);
  await writeFile(p, content, { flag: 'wx', mode: 0o644 });
}

/** A directory inside the root reached without any symlink on the way, or null. */
function realDirInside(root: string, rel: string): string | null {
  let cur = root;
  for (const seg of rel.split('/')) {
    cur = join(cur, seg);
    const st = lstatSafe(cur);
    if (!st || st.isSymbolicLink() || !st.isDirectory()) return null;
  }
  return cur;
}

function lstatSafe(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/**
 * What Koji meant to do and did not (spec §7 R4: its glob hit the host's rpmdb): a new buildroot's
 * Berkeley DB environment files (`/var/lib/rpm/__db.*`, stale locks from whoever made the base) and
 * its dnf/yum caches go, as pungi does by hand before every runroot command. Only inside the root:
 * a symlinked directory on the way is left alone, and removal never follows a link.
 */
export function resetPackageState(root: string): void {
  const rpm = realDirInside(root, 'var/lib/rpm');
  if (rpm)
    for (const name of readdirSync(rpm))
      if (name.startsWith('__db') && lstatSafe(join(rpm, name))?.isFile()) unlinkSync(join(rpm, name));
  for (const cache of ['var/cache/dnf', 'var/cache/yum']) {
    const dir = realDirInside(root, cache);
    if (dir) for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function readMarker(dir: string): BuildrootMarker | null {
  try {
    return JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as BuildrootMarker;
  } catch {
    return null;
  }
}

/**
 * Removes the buildroot directories whose time is up, and those a dead run of the builder left
 * behind, recording each removal on the hub. Returns the ms until the next one is due (or null).
 */
export function sweepBuildroots(
  hub: HubCalls | null,
  workdir: string,
  log: BuilderLogger,
  now = Date.now(),
): Promise<number | null> {
  // One sweep at a time per work directory: two tasks starting together must not race on a directory.
  const once = async () => {
    due.delete(workdir);
    const next = await sweepOnce(hub, workdir, log, now);
    if (next !== null) dueBy(workdir, now + next);
    return next;
  };
  const run = (sweeps.get(workdir) ?? Promise.resolve(null)).then(once, once);
  sweeps.set(workdir, run);
  return run;
}

const sweeps = new Map<string, Promise<number | null>>();

async function sweepOnce(
  hub: HubCalls | null,
  workdir: string,
  log: BuilderLogger,
  now: number,
): Promise<number | null> {
  const top = buildrootsDir(workdir);
  let names: string[];
  try {
    names = await readdir(top);
  } catch {
    return null;
  }
  let next: number | null = null;
  for (const name of names) {
    const dir = join(top, name);
    if (active.has(dir)) continue;
    const m = readMarker(dir);
    if (!m) {
      // Not ours to judge unless it is clearly a task directory with no marker (killed before newBuildRoot).
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        continue;
      }
      if (/^task\d+$/.test(name) && !entries.includes(MARKER))
        await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (m.keepUntil && !m.removed) {
      const due = Date.parse(m.keepUntil) - now;
      if (due > 0) {
        next = next === null ? due : Math.min(next, due);
        continue;
      }
    }
    const reason =
      m.removed ??
      (m.keepUntil
        ? `kept until ${m.keepUntil} after task ${m.taskId} failed (failed_buildroot_lifetime)`
        : `left by an earlier run of the builder (task ${m.taskId})`);
    if (!m.removed) {
      await rm(join(dir, 'root'), { recursive: true, force: true });
      await writeMarker(dir, { ...m, removed: reason });
    }
    if (!hub) {
      log.info(`buildroot ${m.id} removed (${reason}); the hub hears of it with the next sweep`);
      dueBy(workdir, now);
      continue;
    }
    try {
      if (!m.expired) await hub.call('host.setBuildRootState', [m.id, 'EXPIRED']).catch(() => undefined);
      await hub.call('host.buildRootRemoved', [m.id, reason]);
      await rm(dir, { recursive: true, force: true });
      log.info(`buildroot ${m.id} removed: ${reason}`);
    } catch (e) {
      log.warn(`buildroot ${m.id}: could not record its removal: ${(e as Error).message}`);
      dueBy(workdir, now + 5000);
    }
  }
  return next;
}

/** What the builder keeps beside a buildroot directory (its id, retention, pending report). */
export async function buildrootMarker(dir: string): Promise<BuildrootMarker | null> {
  try {
    return JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as BuildrootMarker;
  } catch {
    return null;
  }
}
