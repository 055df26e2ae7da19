// Rebuilds Koji's save_failed_tree hub checks (plugins/hub/save_failed_tree.py:14) as pure functions,
// in Koji's words. Deliberate differences: the owner check comes before the task's state and method,
// which Koji tells anybody who asks (spec §7 S8); a buildroot no task made (external, content
// generator) is refused in words, not with Koji's ParameterError (S5); a buildroot whose directory the
// builder already removed is refused with when it went (Koji creates a task that fails on the
// builder); allowed methods are stripped; retention and the garbage collector are ours (Koji lists
// them as a TODO).
import { actionNotAllowed, genericError, KojiError, parameterError } from '../../kernel/errors.js';
import { invalidTypeMessage } from '../../kernel/python.js';

/** Koji's convert_value(buildrootID, cast=int): numeric strings are fine. */
export function castBuildrootId(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  // Python casts any int; an id beyond a double's exact range is simply no buildroot's id, and
  // rounding it would name another number in the message.
  if (typeof v === 'bigint') throw genericError(`No such buildroot: ${v}`);
  if (typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v)) {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw genericError(`No such buildroot: ${BigInt(v.trim())}`);
    return n;
  }
  throw parameterError(invalidTypeMessage(v, 'int'));
}

export interface SaveFacts {
  buildroot: { id: number; task_id: number | null; host_id: number; removed_at: string | null } | null;
  task: { id: number; state: number; method: string; owner: number; host_id: number | null } | null;
  hostEnabled: boolean;
  caller: { id: number; perms: string[] } | null;
  allowedMethods: string[] | null;
}

const FAILED = 5;

/** Steps 3–8 of Koji's saveFailedTree (the owner first), then ours: the directory must still be there. */
export function checkSave(buildrootId: number, f: SaveFacts): void {
  if (!f.buildroot) throw genericError(`No such buildroot: ${buildrootId}`);
  if (f.buildroot.task_id === null || !f.task)
    throw genericError(
      `Buildroot ${buildrootId} was not made by a task (an external or content generator buildroot): there is no failed task to save it for`,
    );
  const t = f.task;
  const admin = !!f.caller?.perms.includes('admin');
  if (!f.caller || (f.caller.id !== t.owner && !admin))
    throw actionNotAllowed("Only owner of failed task or 'admin' can run this task.");
  if (t.state !== FAILED)
    throw new KojiError(
      'PreBuildError',
      `Task ${t.id} has not failed. Only failed tasks can upload their buildroots.`,
    );
  if (f.allowedMethods && !f.allowedMethods.includes(t.method))
    throw new KojiError(
      'PreBuildError',
      `Only ${f.allowedMethods.join(', ')} tasks can upload their buildroots (Task ${t.id} is ${t.method}).`,
    );
  if (!f.hostEnabled) throw new KojiError('PreBuildError', 'Host is disabled.');
  if (f.buildroot.removed_at)
    throw genericError(
      `Buildroot ${f.buildroot.id} was removed from its builder at ${f.buildroot.removed_at}; its tree can no longer be saved`,
    );
}

/**
 * Ours (Koji has no such check, spec §7 S6): a second request for the same buildroot and the same
 * `full` gets the task already at work on it — a retried call makes no second multi-GB tarball — and
 * one whose tree is saved and not yet collected is refused with where to get it. Returns the task to
 * reuse, or null for a new one.
 */
export function sameTree(
  buildrootId: number,
  full: boolean,
  unfinished: { id: number; full: boolean }[],
  saved: { task_id: number; full: boolean; file: string; expired: unknown }[],
): number | null {
  const done = saved.find((t) => t.full === full && !t.expired);
  if (done)
    throw genericError(
      `The ${full ? 'whole tree' : 'builddir'} of buildroot ${buildrootId} is already saved by task ${done.task_id} (${done.file}): koji-es download-task ${done.task_id}`,
    );
  return unfinished.find((t) => t.full === full)?.id ?? null;
}

export interface TreeFacts {
  taskId: number;
  ownerId: number;
  size: number;
  archivedTs: number;
}

export interface Limits {
  maxAgeDays: number;
  maxTotalBytes: number;
  perOwnerMaxBytes: number;
}

export type Expiry = { taskId: number; reason: 'max_age_days' | 'max_total_bytes' | 'per_owner_max_bytes' };

/**
 * What the collector deletes: too old first; then, oldest first, whatever puts an owner over their
 * quota; then, oldest first, whatever puts all trees over the total.
 */
export function selectExpired(trees: TreeFacts[], nowTs: number, l: Limits): Expiry[] {
  const out: Expiry[] = [];
  const gone = new Set<number>();
  const byAge = [...trees].sort((a, b) => a.archivedTs - b.archivedTs || a.taskId - b.taskId);
  if (l.maxAgeDays > 0)
    for (const t of byAge)
      if (t.archivedTs < nowTs - l.maxAgeDays * 86400) {
        out.push({ taskId: t.taskId, reason: 'max_age_days' });
        gone.add(t.taskId);
      }
  if (l.perOwnerMaxBytes > 0) {
    const owners = new Map<number, TreeFacts[]>();
    for (const t of byAge)
      if (!gone.has(t.taskId)) owners.set(t.ownerId, [...(owners.get(t.ownerId) ?? []), t]);
    for (const list of owners.values()) {
      let total = list.reduce((n, t) => n + t.size, 0);
      for (const t of list) {
        if (total <= l.perOwnerMaxBytes) break;
        out.push({ taskId: t.taskId, reason: 'per_owner_max_bytes' });
        gone.add(t.taskId);
        total -= t.size;
      }
    }
  }
  if (l.maxTotalBytes > 0) {
    const left = byAge.filter((t) => !gone.has(t.taskId));
    let total = left.reduce((n, t) => n + t.size, 0);
    for (const t of left) {
      if (total <= l.maxTotalBytes) break;
      out.push({ taskId: t.taskId, reason: 'max_total_bytes' });
      gone.add(t.taskId);
      total -= t.size;
    }
  }
  return out;
}
