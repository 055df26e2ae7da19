// Rebuilds the hub side of Koji's runroot plugin (plugins/hub/runroot_hub.py:27) as pure checks.
// Deliberate differences: the options are checked here, at the hub (Koji passes them through and the
// builder fails later with a TypeError); noarch uses the tag's inherited arches and compares
// canonical arches on both sides (Koji mixes own and canonical arches, spec §7 R7); the arch must be
// one arch (Koji takes '' or 'x86_64 i686' and makes a task no host ever takes, §7 R6).
import { genericError, parameterError } from '../../kernel/errors.js';
import { invalidTypeMessage, pyClass } from '../../kernel/python.js';
import { pyRepr } from '../../rpc/method.js';
import { canonArch, parseArches } from '../tasks/arches.js';

/** The arch a runroot runs on: Koji's arch syntax, and exactly one of them. */
export function checkArch(arch: unknown): string {
  const parsed = parseArches(arch);
  if (parsed === '') throw genericError("runroot needs an arch: one of the tag's arches, or noarch");
  if (parsed.includes(' '))
    throw genericError(`runroot runs on one arch, not ${pyRepr(arch)}: give one of them (or noarch)`);
  return parsed;
}

export interface RunrootOpts {
  packages: string[];
  mounts: string[];
  repo_id: number | null;
  skip_setarch: boolean;
  weight: number | null;
  upload_logs: string[] | null;
  new_chroot: boolean | null;
  /** koji-es: `UID:GID` the command runs as on the builder (root inside its buildroot), or null. */
  run_as: string | null;
}

/** The host uid and gid of a `run_as` value: `UID`, `UID:GID` (numbers), or an int. */
export function runAsIds(v: unknown): { uid: number; gid: number } | null {
  if (v === undefined || v === null || v === '') return null;
  const m =
    typeof v === 'number'
      ? [String(v), String(v), undefined]
      : typeof v === 'string'
        ? /^(\d{1,10})(?::(\d{1,10}))?$/.exec(v)
        : null;
  const uid = m ? Number(m[1]) : NaN;
  const gid = m ? Number(m[2] ?? m[1]) : NaN;
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n < 4294967295;
  if (!ok(uid) || !ok(gid))
    throw parameterError(
      `run_as must be a host uid, or uid:gid, as numbers other than 0 (leave it out to run as root), not ${pyRepr(v)}`,
    );
  return { uid, gid };
}

/**
 * Koji's type rule for `command`: a str or a list. koji-es also refuses an empty one here, before a
 * task exists: Koji makes a task of it, which closes having run nothing (a blank shell command) or
 * fails on the builder (an empty list).
 */
export function checkCommand(command: unknown): string | string[] {
  const empty = () =>
    parameterError(
      `runroot: the command is empty (got ${pyRepr(command)}): give the command to run, as one string for the shell or a list of arguments`,
    );
  if (typeof command === 'string') {
    if (!command.trim()) throw empty();
    return command;
  }
  if (Array.isArray(command)) {
    // Koji does not look at the elements; the builder would fail on a non-string later.
    if (command.some((x) => typeof x !== 'string'))
      throw genericError(
        `Invalid type for value '${pyRepr(command)}': every element of a command list must be a string`,
      );
    // The first element is the program: an empty one runs nothing.
    if (!command.length || !(command[0] as string).trim()) throw empty();
    return command as string[];
  }
  throw genericError(`Invalid type for value '${pyRepr(command)}': ${pyClass(command)}`);
}

const KNOWN = [
  'packages',
  'mounts',
  'repo_id',
  'skip_setarch',
  'weight',
  'upload_logs',
  'new_chroot',
  'keep',
  'run_as',
];

/** The options the builder's handler takes, checked with Python's words for a bad keyword. */
export function checkOpts(opts: Record<string, unknown>): RunrootOpts {
  for (const k of Object.keys(opts))
    if (!KNOWN.includes(k)) throw parameterError(`runroot() got an unexpected keyword argument '${k}'`);
  const strList = (k: string, v: unknown): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      throw parameterError(`${invalidTypeMessage(v, 'list')} of strings (${k})`);
    return v as string[];
  };
  const weight = opts.weight;
  if (
    weight !== undefined &&
    weight !== null &&
    (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)
  )
    throw parameterError(`weight must be a number >= 0, not ${pyRepr(weight)}`);
  const repoId = opts.repo_id;
  if (
    repoId !== undefined &&
    repoId !== null &&
    !(typeof repoId === 'number' && Number.isInteger(repoId) && repoId > 0)
  )
    throw parameterError(`repo_id must be a repo id, not ${pyRepr(repoId)}`);
  for (const k of ['skip_setarch', 'new_chroot', 'keep'])
    if (opts[k] !== undefined && opts[k] !== null && typeof opts[k] !== 'boolean')
      throw parameterError(`${k} must be True or False`);
  const uploads =
    opts.upload_logs === undefined || opts.upload_logs === null
      ? null
      : strList('upload_logs', opts.upload_logs);
  return {
    packages: strList('packages', opts.packages),
    mounts: strList('mounts', opts.mounts),
    repo_id: (repoId as number | null | undefined) ?? null,
    skip_setarch: !!opts.skip_setarch,
    weight: (weight as number | null | undefined) ?? null,
    upload_logs: uploads,
    new_chroot: (opts.new_chroot as boolean | null | undefined) ?? null,
    run_as: ((ids) => (ids ? `${ids.uid}:${ids.gid}` : null))(runAsIds(opts.run_as)),
  };
}

/**
 * Step 6 of Koji's runroot: a `noarch` request runs on one of the tag's arches that the channel's
 * enabled hosts have, unless the tag covers every arch the hub knows of. `pick` is the random
 * choice, resolved by the caller.
 */
export function taskArch(
  arch: string,
  tag: { name: string; arches: string | null },
  allArches: string[],
  channelArches: string[] | null,
  tagInfoText: string,
  channel: string,
  pick: (choices: string[]) => string,
): string {
  if (arch !== 'noarch') return arch;
  const tagArches = (tag.arches ?? '').split(/\s+/).filter(Boolean);
  if (!tagArches.length) throw genericError(`no arches defined for tag ${tag.name}`);
  const canonTag = new Set(tagArches.map(canonArch));
  if (allArches.every((a) => canonTag.has(a))) return 'noarch';
  const inChannel = new Set((channelArches ?? []).map(canonArch));
  const choices = tagArches.filter((a) => inChannel.has(canonArch(a)));
  if (!choices.length) throw genericError(`no common arches for tag/channel: ${tagInfoText}/${channel}`);
  return canonArch(pick(choices));
}
