import type { StoreBackend } from '../eventstore/open.js';
import type { RecordedEvent } from '../eventstore/port.js';
import { upcasters } from '../kernel/upcasters.js';

export interface LogFilters {
  stream?: string | null;
  type?: string | null;
  user?: string | null;
  since?: string | null;
  until?: string | null;
  tag?: string | number | null;
  task?: number | null;
  limit?: number | null;
}

export interface LogEntry {
  position: number;
  eventId: string;
  time: string;
  type: string;
  stream: string;
  user: string | null;
  address: string | null;
  /** The policy rule that allowed the action, when a policy was asked. */
  rule: string | null;
  summary: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

/** Secrets never leave the hub through the audit commands, even hashed. */
const SECRET_KEYS = new Set(['hash', 'keyHash', 'tokenHash', 'password']);

export function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k,
        SECRET_KEYS.has(k) ? '***' : redact(x),
      ]),
    );
  return v;
}

export const eventTime = (e: RecordedEvent) => String(e.metadata.recordedTime ?? e.recordedAt);

export function policyRule(meta: Record<string, unknown>): string | null {
  const p = meta.policy as
    | { name?: string; result?: string; trail?: { line: number; rule: string }[]; missing?: boolean }
    | undefined;
  if (!p) return null;
  if (p.missing) return `${p.name}: no policy (allowed by MissingPolicyOk)`;
  const last = p.trail?.[p.trail.length - 1];
  return last ? `${p.name} line ${last.line}: ${last.rule}` : `${p.name}: ${p.result}`;
}

/** One line of what happened, for people: the names the event recorded. */
export function summarize(e: RecordedEvent): string {
  const d = e.data as Record<string, unknown>;
  const name = (x: unknown) =>
    x && typeof x === 'object'
      ? String((x as { name?: unknown }).name ?? (x as { nvr?: unknown }).nvr ?? '')
      : '';
  switch (e.type) {
    case 'PackageTagged':
      return `tagged ${name(d.build)} into ${name(d.tag)}${d.fromtag ? ` from ${name(d.fromtag)}` : ''}`;
    case 'PackageUntagged':
      return `untagged ${name(d.build)} from ${name(d.tag)}`;
    case 'SideTagRemoved':
      return `removed sidetag ${String(d.name)} (${String(d.reason)})`;
    case 'SideTagCreated':
      return `created sidetag ${String(d.name)} of ${name(d.basetag)} for ${name(d.user)}`;
    case 'SideTagTransferred':
      return `gave sidetag ${String(d.name)} from ${name(d.from)} to ${name(d.to)}`;
    case 'SideTagCoOwnerAdded':
      return `made ${name(d.user)} a co-owner of sidetag ${String(d.name)}`;
    case 'SideTagCoOwnerRemoved':
      return `took ${name(d.user)} off the co-owners of sidetag ${String(d.name)}`;
    case 'SideTagLabelClaimed':
      return `label ${String(d.label)} names sidetag ${name(d.sidetag)}`;
    case 'SideTagLabelReleased':
      return `label ${String(d.label)} no longer names sidetag ${name(d.sidetag)}`;
    case 'PackageListChanged': {
      const en = d.entry as {
        package: unknown;
        owner: unknown;
        blocked: boolean;
        extraArches: string | null;
      };
      const what = {
        add: 'listed',
        update: 'updated',
        block: 'blocked',
        unblock: 'unblocked',
        remove: 'removed',
      };
      return `${what[d.action as keyof typeof what] ?? String(d.action)} package ${name(en.package)} in ${name(d.tag)} (owner ${name(en.owner)}${en.blocked ? ', blocked' : ''}${en.extraArches ? `, extra arches ${en.extraArches}` : ''})`;
    }
    case 'PackageListEntryRemoved':
      return d.action === 'unblock'
        ? `unblocked package ${name(d.package)} in ${name(d.tag)} (its own entry removed)`
        : `removed package ${name(d.package)} from the list of ${name(d.tag)}`;
    case 'TaskCreated':
      return `task ${String(d.id)} ${String(d.method)} (${String(d.arch)})`;
    default: {
      const label = d && typeof d === 'object' ? (d.name ?? d.nvr ?? d.id) : undefined;
      return label !== undefined ? `${e.type} ${String(label)}` : e.type;
    }
  }
}

function mentions(v: unknown, test: (o: Record<string, unknown>) => boolean): boolean {
  if (Array.isArray(v)) return v.some((x) => mentions(x, test));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return test(o) || Object.values(o).some((x) => mentions(x, test));
  }
  return false;
}

/**
 * Who did it: the request's user, or for a login (which has no user yet when it starts) the user
 * who logged in.
 */
function userOf(e: RecordedEvent): string | null {
  const actor = e.metadata.actor as { name?: string } | null | undefined;
  if (actor?.name) return actor.name;
  const d = e.data as { userName?: unknown };
  return e.type === 'SessionStarted' && typeof d.userName === 'string' ? d.userName : null;
}

export function toEntry(e: RecordedEvent): LogEntry {
  return {
    position: e.position,
    eventId: e.eventId,
    time: eventTime(e),
    type: e.type,
    stream: e.stream,
    user: userOf(e),
    address: (e.metadata.clientAddress as string | undefined) ?? null,
    rule: policyRule(e.metadata),
    summary: summarize(e),
    data: redact(e.data),
    metadata: redact(e.metadata) as Record<string, unknown>,
  };
}

/** `audit log`: the whole log, filtered, oldest first (the newest `limit` when a limit is given). */
export async function auditLog(backend: StoreBackend, f: LogFilters): Promise<LogEntry[]> {
  const since = f.since ? isoTime(f.since, '--since') : null;
  const until = f.until ? isoTime(f.until, '--until') : null;
  const tag = f.tag ?? null;
  const keep = (e: RecordedEvent): boolean => {
    if (f.stream && e.stream !== f.stream) return false;
    if (f.type && e.type !== f.type) return false;
    if (f.user && userOf(e) !== f.user) return false;
    const t = Date.parse(eventTime(e));
    if (since !== null && t < since) return false;
    if (until !== null && t > until) return false;
    if (tag !== null) {
      const isTag = (o: Record<string, unknown>) =>
        (typeof tag === 'number' ? o.id === tag : o.name === tag) && ('name' in o || 'id' in o);
      const inTagStream =
        typeof tag === 'number' ? e.stream === `tag-${tag}` || e.stream === `sidetag-${tag}` : false;
      const d = e.data as Record<string, unknown>;
      const direct = e.stream.startsWith('tag-') || e.stream.startsWith('sidetag-') ? isTag(d) : false;
      if (!inTagStream && !direct && !mentions([d.tag, d.fromtag, d.basetag, d.buildTag, d.destTag], isTag))
        return false;
    }
    if (f.task !== null && f.task !== undefined) {
      const d = e.data as Record<string, unknown>;
      if (e.stream !== `task-${f.task}` && d.taskId !== f.task && d.task_id !== f.task) return false;
    }
    return true;
  };
  const out: LogEntry[] = [];
  let after = null;
  for (;;) {
    const page = await backend.events.readAll({
      after,
      maxCount: 5000,
      filter: f.stream ? { streamPrefixes: [f.stream] } : undefined,
    });
    for (const raw of page.events) {
      const e = upcasters.upcast(raw);
      if (keep(e)) out.push(toEntry(e));
    }
    if (page.atEnd || page.checkpoint === after) break;
    after = page.checkpoint;
  }
  return f.limit ? out.slice(-f.limit) : out;
}

/** An ISO 8601 date or date and time: `2026-11-20`, `2026-11-20T10:00`, `2026-11-20 10:00:00.5+01:00`. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A time the audit commands filter by, in milliseconds. ISO 8601 only: Date.parse also reads "12" or
 * "-5" (as months of 2001) and "Nov 25 2026" (in the machine's time zone), so a typo filtered
 * silently by a time nobody meant.
 */
export function isoTime(text: string, option: string): number {
  const t = ISO_TIME.test(text.trim()) ? Date.parse(text.trim().replace(' ', 'T')) : NaN;
  if (Number.isNaN(t))
    throw new Error(`${option} ${text} is not an ISO 8601 time (such as 2026-11-20T10:00:00Z)`);
  return t;
}
