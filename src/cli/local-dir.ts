// Where a command writes files on the client's machine (download-task --dirpath): checked before the
// hub is asked for anything, and failures told in words that name the path rather than as a bare
// errno (`EEXIST: file already exists, mkdir '/etc/passwd'`).
import { closeSync, constants, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './runtime.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EEXIST: 'a file of that name is in the way',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  // Creating a file in a directory that exists fails so on pseudo file systems such as /proc.
  ENOENT: 'no file can be created there',
};

/** A file-system error in plain words, keeping the errno for searching. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const reason = code ? REASONS[code] : undefined;
  if (reason) return `${reason} (${code})`;
  return (e as Error)?.message ?? String(e);
}

/**
 * Refuses a download directory that is not one, or that cannot be made or written in. A directory
 * that does not exist yet is not made here (a refused download leaves nothing behind): its nearest
 * existing ancestor must be a directory that takes new files.
 */
export function checkDownloadDir(dir: string, option = '--dirpath'): void {
  const wanted = resolve(dir);
  let p = wanted;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) {
        p = dirname(p);
        continue;
      }
      throw new UsageError(`${option} ${dir}: cannot use ${p}: ${fsReason(e)}`);
    }
    if (!isDir)
      throw new UsageError(
        p === wanted ? `${option} ${dir} is not a directory` : `${option} ${dir}: ${p} is not a directory`,
      );
    probe(p, dir, option);
    return;
  }
}

/** access(W_OK) says yes to root everywhere, /proc included: only creating a file tells. */
function probe(p: string, dir: string, option: string): void {
  const name = join(p, `.koji-es-write-test-${process.pid}`);
  let fd: number;
  try {
    fd = openSync(name, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  } catch (e) {
    const where = p === resolve(dir) ? `${option} ${dir}` : `${option} ${dir}: ${p}`;
    throw new UsageError(`${where} cannot be written: ${fsReason(e)}`);
  }
  closeSync(fd);
  unlinkSync(name);
}
