// Paths inside a buildroot, handled from the host without ever following a symlink the buildroot
// holds: a runroot command owns its root and can plant `/builddir/x -> /etc/shadow` or
// `/mnt/m -> /etc` for the builder to trip over (Koji follows both, spec §7 R5).
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, writeFileSync } from 'node:fs';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

export class InsideError extends Error {}

/**
 * The segments of a path inside the root. An absolute path is taken relative to the root (never
 * the host's); `.` and empty segments go; `..` is refused rather than resolved.
 */
export function insideSegments(p: string): string[] {
  if (p.includes('\0')) throw new InsideError('a NUL byte in the path');
  const segs = p.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.includes('..')) throw new InsideError("'..' in the path");
  if (!segs.length) throw new InsideError('the path names the root itself');
  return segs;
}

/**
 * Opens a regular file inside `root` for reading, walking one segment at a time from the previous
 * directory's descriptor (`/proc/self/fd/N/<segment>` with O_NOFOLLOW), so no symlink is followed
 * anywhere on the way, even if the tree changes meanwhile. Returns the descriptor.
 */
export function openInside(root: string, p: string): number {
  const segs = insideSegments(p);
  let dir = openSync(root, O_RDONLY | O_DIRECTORY);
  try {
    for (const [i, seg] of segs.entries()) {
      const last = i === segs.length - 1;
      const at = `/proc/self/fd/${dir}/${seg}`;
      let fd: number;
      try {
        fd = openSync(at, last ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK : O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const where = segs.slice(0, i + 1).join('/');
        if (code === 'ELOOP' || (code === 'ENOTDIR' && lstatSafe(`${root}/${where}`)?.isSymbolicLink()))
          throw new InsideError(`/${where} is a symbolic link (not followed)`);
        if (code === 'ENOENT') throw new InsideError(`/${where} does not exist in the buildroot`);
        if (code === 'ENOTDIR') throw new InsideError(`/${where} is not a directory`);
        throw new InsideError(`/${where}: ${code ?? (e as Error).message}`);
      }
      closeSync(dir);
      dir = fd;
      if (last && !fstatSync(fd).isFile()) throw new InsideError(`/${segs.join('/')} is not a regular file`);
    }
    const fd = dir;
    dir = -1;
    return fd;
  } finally {
    if (dir >= 0) closeSync(dir);
  }
}

function lstatSafe(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/**
 * Makes `root + dest` exist as a directory (or an empty file, for a file bind) for a driver that
 * binds on host paths, refusing when any part of it inside the root is a symlink.
 */
export function makeMountPoint(root: string, dest: string, directory: boolean): string {
  const segs = insideSegments(dest);
  let cur = root;
  for (const [i, seg] of segs.entries()) {
    cur = `${cur}/${seg}`;
    const last = i === segs.length - 1;
    const st = lstatSafe(cur);
    if (st?.isSymbolicLink())
      throw new InsideError(
        `/${segs.slice(0, i + 1).join('/')} is a symbolic link in the buildroot: refusing to mount on it`,
      );
    if (!st) {
      if (last && !directory) writeFileSync(cur, '', { flag: 'wx' });
      else mkdirSync(cur);
    } else if (!last && !st.isDirectory())
      throw new InsideError(`/${segs.slice(0, i + 1).join('/')} is not a directory`);
  }
  return cur;
}
