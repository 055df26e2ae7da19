// Runroot's mounts (Koji's plugins/builder/runroot.py: _get_path_params, do_mounts,
// do_extra_mounts), turned into bind mounts that the sandbox makes inside its own mount namespace.
// Differences from Koji, all deliberate:
// - paths are compared segment by segment, never as string prefixes: `/mnt/workdir/tmpevil` is not
//   under the safe root `/mnt/workdir/tmp` (spec §7 R1), `/mnt/archive2` is not under the
//   `[pathN]` mountpoint `/mnt/archive` (R2);
// - an extra mount containing a `..` segment is refused before anything else;
// - `path_subs` apply at the start of the path only, and the safe roots are checked again after
//   them, so a substitution cannot carry a mount out of the safe roots (R3);
// - nothing is mounted on the host: a `[pathN]` with `bind` in its options binds its `path`, any
//   other binds the host's own mountpoint (the NFS export Koji would mount must already be mounted
//   there on the builder); default mounts are read-only, extra mounts read-write.
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { genericError } from '../../kernel/errors.js';
import type { BindMount } from '../../builder/sandbox/types.js';
import type { PathSection, RunrootConfig } from './runroot.conf.js';

/** `path` equals `root` or lies below it, segment by segment. */
export function isUnder(path: string, root: string): boolean {
  const r = root.length > 1 ? root.replace(/\/+$/, '') : root;
  if (r === '/') return path.startsWith('/');
  return path === r || path.startsWith(`${r}/`);
}

/** The first `[pathN]` (numeric order, as Koji) whose mountpoint holds `path`. */
function sectionFor(cfg: RunrootConfig, path: string): PathSection {
  const s = cfg.paths.find((p) => isUnder(path, p.mountpoint));
  if (!s) throw genericError('bad config: missing corresponding mountpoint');
  return s;
}

export type MountParams = [dev: string, path: string, fstype: string, options: string];

/** Koji's `_get_path_params(path, rw=False)`: (source, mountpoint, fstype, options with ro→rw when rw). */
export function getPathParams(cfg: RunrootConfig, path: string, rw = false): MountParams {
  const s = sectionFor(cfg, path);
  const options = s.options.split(',').map((o) => (rw && o === 'ro' ? 'rw' : o));
  const mp = s.mountpoint.length > 1 ? s.mountpoint.replace(/\/+$/, '') : s.mountpoint;
  let rel = path.slice(mp.length);
  if (rel.startsWith('/')) rel = rel.slice(1);
  // os.path.join(path, rel): a trailing '/' when rel is empty, as Koji's result shows.
  const dev = s.path.endsWith('/') ? s.path + rel : `${s.path}/${rel}`;
  return [dev, path, s.fstype, options.join(',')];
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Koji's `do_mounts` checks, producing binds instead of host mounts: the mountpoint is absolute,
 * `bg` is refused, a `bind` source must be a directory; a non-bind mount binds the host's own
 * mountpoint, which must exist.
 */
export function planMounts(
  mounts: MountParams[] | [string, string, string, string | null][],
  readOnly: boolean,
): BindMount[] {
  const out: BindMount[] = [];
  for (const [dev, path, , opts] of mounts) {
    if (!path.startsWith('/')) throw genericError(`invalid mount point: ${path}`);
    const options = (opts ?? '').split(',').filter(Boolean);
    if (options.includes('bg')) throw genericError('bad config: background mount not allowed');
    const src = options.includes('bind') ? dev : path;
    if (!isDir(src)) throw genericError(`No such directory or mount: ${src}`);
    out.push({ src, dest: posix.normalize(path), readOnly });
  }
  return out;
}

/** Koji's `path_subs`, anchored at the start of the path and at a segment boundary. */
export function substitute(cfg: RunrootConfig, path: string): string {
  let p = path;
  for (const [prefix, replacement] of cfg.pathSubs) {
    const atBoundary = prefix.endsWith('/') ? p.startsWith(prefix) : isUnder(p, prefix);
    if (!atBoundary) continue;
    const rest = p.slice(prefix.length);
    p = posix.normalize(
      replacement.endsWith('/') || rest === '' || rest.startsWith('/')
        ? replacement + rest
        : `${replacement}/${rest}`,
    );
  }
  return p;
}

/** The mount an extra (read-write) mount request becomes, after Koji's checks and ours; throws when unsafe. */
export function checkExtraMount(cfg: RunrootConfig, mount: string): string {
  const unsafe = (extra = '') => genericError(`read-write mount point is not safe: ${mount}${extra}`);
  if (typeof mount !== 'string' || !mount.startsWith('/') || mount.includes('\0')) throw unsafe();
  if (mount.split('/').includes('..')) throw unsafe();
  const norm = posix.normalize(mount);
  if (!cfg.safeRoots.some((r) => isUnder(norm, r))) throw unsafe();
  const subst = substitute(cfg, norm);
  if (subst !== norm && !cfg.safeRoots.some((r) => isUnder(subst, r)))
    throw unsafe(` (${subst} after path_subs)`);
  return subst;
}

/**
 * Every bind of a task: the default mounts read-only, then the extra mounts read-write. All are
 * checked before any is used, so one bad mount means none is made (as Koji).
 */
export function taskBinds(cfg: RunrootConfig, extra: string[]): BindMount[] {
  const defaults = planMounts(
    cfg.defaultMounts.map((m) => getPathParams(cfg, m, false)),
    true,
  );
  const paths = extra.map((m) => checkExtraMount(cfg, m));
  const extras = planMounts(
    paths.map((p) => getPathParams(cfg, p, true)),
    false,
  );
  return [...defaults, ...extras];
}
