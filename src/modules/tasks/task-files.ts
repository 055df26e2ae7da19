import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { genericError } from '../../kernel/errors.js';
import { TASK_STATES } from './tasks.events.js';

export const DEFAULT_VOLUME = 'DEFAULT';

/**
 * How long after a task ended CANCELED or FAILED the host that ran it may still write and finish its
 * uploads. A builder learns of a cancel only after the hub recorded it, and then sends what the
 * stopped command had written (runroot.log); Koji's hub checks no task state for uploads at all.
 */
export const LATE_UPLOAD_MS = 60_000;

/** True while a CANCELED or FAILED task's host may still finish its uploads (LATE_UPLOAD_MS). */
export function lateUploadOpen(
  task: { state: number; completion_ts: number | null },
  nowMs: number,
): boolean {
  if (task.state !== TASK_STATES.CANCELED && task.state !== TASK_STATES.FAILED) return false;
  return task.completion_ts !== null && nowMs - task.completion_ts * 1000 <= LATE_UPLOAD_MS;
}

/** Koji's relative task directory: `work/tasks/<id % 10000>/<id>`. */
export function taskRelPath(taskId: number): string {
  return `work/tasks/${taskId % 10000}/${taskId}`;
}

/** Where a volume's tree starts, relative to the topdir: '' for DEFAULT, `vol/<name>/` otherwise. */
export function volumePrefix(volume: string | null | undefined): string {
  return !volume || volume === DEFAULT_VOLUME ? '' : `vol/${volume}/`;
}

/** Koji refuses `..`; we also refuse absolute paths, NUL bytes and empty segments, with Koji's message. */
export function checkFileName(name: string): void {
  const bad =
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 1024 ||
    name.includes('..') ||
    name.startsWith('/') ||
    name.includes('\0') ||
    name.includes('\\') ||
    name.split('/').some((s) => s === '' || s === '.');
  if (bad) throw genericError(`Invalid file name: ${name}`);
}

export function checkVolume(volume: string | null | undefined): string {
  const v = volume ?? DEFAULT_VOLUME;
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(v) || v === '.' || v === '..')
    throw genericError(`Invalid volume name: ${v}`);
  return v;
}

export interface FileStat {
  st_size: string;
  st_atime: number;
  st_mtime: number;
  st_ctime: number;
}

/**
 * Task output under Koji's topdir layout (`<topdir>/work/tasks/…`, `<topdir>/vol/<v>/work/tasks/…`).
 * Uploads go to `<topdir>/.uploads/…` and are renamed into place only after their size and SHA-256
 * check, so an interrupted upload never shows a partial file under its final name.
 */
export class TaskFiles {
  constructor(readonly topdir: string) {}

  taskDir(taskId: number, volume?: string | null): string {
    return join(this.topdir, volumePrefix(checkVolume(volume)), taskRelPath(taskId));
  }

  finalPath(taskId: number, name: string, volume?: string | null): string {
    checkFileName(name);
    return join(this.taskDir(taskId, volume), name);
  }

  partialPath(taskId: number, name: string, volume?: string | null): string {
    checkFileName(name);
    return join(this.topdir, '.uploads', String(taskId), checkVolume(volume), name);
  }

  async uploadStatus(taskId: number, name: string, volume?: string | null): Promise<{ size: number }> {
    const p = this.partialPath(taskId, name, volume);
    const s = await stat(p).catch(() => null);
    return { size: s?.size ?? 0 };
  }

  /** Writes a chunk at `offset`: appending, or rewriting the tail when a retry resends it. */
  async writeChunk(
    taskId: number,
    name: string,
    offset: number,
    data: Buffer,
    volume?: string | null,
  ): Promise<{ size: number }> {
    const p = this.partialPath(taskId, name, volume);
    await mkdir(dirname(p), { recursive: true });
    const have = (await stat(p).catch(() => null))?.size ?? 0;
    if (offset > have)
      throw genericError(
        `upload of ${name} for task ${taskId}: offset ${offset} is past the ${have} bytes received; resume at ${have}`,
      );
    if (offset < have) await truncate(p, offset);
    const fh = await open(p, offset === 0 && have === 0 ? 'w' : 'r+');
    try {
      await fh.write(data, 0, data.length, offset);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { size: offset + data.length };
  }

  /** Checks the upload and publishes it atomically under its name. */
  async finish(taskId: number, name: string, size: number, sha256: string, volume?: string | null) {
    const p = this.partialPath(taskId, name, volume);
    const s = await stat(p).catch(() => null);
    if (!s) throw genericError(`no upload of ${name} in progress for task ${taskId}`);
    if (s.size !== size)
      throw genericError(
        `upload of ${name} for task ${taskId} has ${s.size} bytes, expected ${size}; resume it`,
      );
    const digest = await sha256File(p);
    if (digest !== sha256) {
      await rm(p, { force: true });
      throw genericError(
        `upload of ${name} for task ${taskId} is corrupt (sha256 ${digest}, expected ${sha256}); upload it again`,
      );
    }
    const dest = this.finalPath(taskId, name, volume);
    await mkdir(dirname(dest), { recursive: true });
    await rename(p, dest);
    return { size, sha256, path: relative(this.topdir, dest) };
  }

  /** Relative names of a task's files in one volume (recursively, as Koji's os.walk). */
  private async listVolume(taskId: number, volume: string): Promise<Map<string, FileStat>> {
    const root = this.taskDir(taskId, volume);
    const out = new Map<string, FileStat>();
    const walk = async (dir: string) => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) {
          const s = await stat(p);
          out.set(relative(root, p).split(sep).join('/'), {
            st_size: String(s.size),
            st_atime: s.atimeMs / 1000,
            st_mtime: s.mtimeMs / 1000,
            st_ctime: s.ctimeMs / 1000,
          });
        }
      }
    };
    await walk(root);
    return out;
  }

  async volumes(): Promise<string[]> {
    const vols = [DEFAULT_VOLUME];
    const dir = join(this.topdir, 'vol');
    if (existsSync(dir))
      for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory()) vols.push(e.name);
    return vols;
  }

  /** Koji's listTaskOutput shapes: names; {name: stat}; {name: [volumes]}; {name: {volume: stat}}. */
  async list(taskId: number, statInfo: boolean, allVolumes: boolean): Promise<unknown> {
    if (!allVolumes) {
      const files = await this.listVolume(taskId, DEFAULT_VOLUME);
      if (!statInfo) return [...files.keys()].sort();
      return Object.fromEntries([...files].sort());
    }
    const result: Record<string, string[] | Record<string, FileStat>> = {};
    for (const vol of await this.volumes()) {
      for (const [name, st] of await this.listVolume(taskId, vol)) {
        if (statInfo) ((result[name] ??= {}) as Record<string, FileStat>)[vol] = st;
        else ((result[name] ??= []) as string[]).push(vol);
      }
    }
    return result;
  }

  /** Koji's downloadTaskOutput bytes: `size` -1 reads to the end. */
  async read(
    taskId: number,
    name: string,
    offset: number,
    size: number,
    volume?: string | null,
  ): Promise<Buffer> {
    const p = this.finalPath(taskId, name, volume);
    const s = await stat(p).catch(() => null);
    if (!s || !s.isFile()) throw genericError(`no file "${name}" output by task ${taskId}`);
    const len = size < 0 ? Math.max(0, s.size - offset) : Math.min(size, Math.max(0, s.size - offset));
    const buf = Buffer.alloc(len);
    if (len === 0) return buf;
    const fh = await open(p, 'r');
    try {
      const { bytesRead } = await fh.read(buf, 0, len, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}
