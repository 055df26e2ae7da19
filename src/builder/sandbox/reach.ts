// Whether a host user can reach a path: every directory on the way must be searchable by them. The
// builder (root) checks before it runs a sandbox as that user, so the failure names the directory to
// fix instead of bwrap's "Can't find source path".
import { statSync } from 'node:fs';
import { dirname } from 'node:path';

export interface HostIds {
  uid: number;
  gid: number;
}

/** The search bit that applies to `ids` for a directory with this owner, group and mode. */
export function searchable(st: { uid: number; gid: number; mode: number }, ids: HostIds): boolean {
  if (st.uid === ids.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === ids.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * The first directory from `/` down to `path` (included) that `ids` may not search, with its mode,
 * or null when every one is searchable. Supplementary groups are not looked at: a directory open to
 * the user only through one is reported, which errs on the side of a clear message.
 */
export function unreachable(path: string, ids: HostIds): string | null {
  const chain: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    chain.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const dir of chain) {
    const st = statSync(dir);
    if (!searchable(st, ids))
      return `${dir} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner ${st.uid}:${st.gid})`;
  }
  return null;
}
