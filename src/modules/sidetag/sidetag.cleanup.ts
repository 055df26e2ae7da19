// Rebuilds util/koji-sidetag-cleanup's selection (spec §2.9): the stages empty → old → inactive,
// each passing on only what it did not select. Deliberate differences: --ignore-tags works, held
// sidetags are never selected, "inactive" counts untags as activity too (Koji's help says so; its
// code looks at tagging only), and a first stage of ours, expired, takes the sidetags whose owner set
// an expiry that has passed (setSideTagExpiry, spec §8.2).
import type { HubConfig } from '../../config/hub-config.js';
import { fnmatch } from '../../kernel/fnmatch.js';

export type Stage = 'expired' | 'empty' | 'old' | 'inactive';

export interface CleanupCandidate {
  id: number;
  name: string;
  /** Creation time, seconds since the epoch. */
  create_ts: number;
  /** Last time a build was tagged in or untagged, seconds; null if never. */
  last_change_ts: number | null;
  builds: number;
  hold: { reason: string } | null;
  /** When its owner wants it gone, seconds; absent or null when they never said. */
  expires_ts?: number | null;
}

export interface CleanupOptions {
  /** Delay in days per enabled stage. */
  stages: Partial<Record<Stage, number>>;
  ignore: string[];
}

export interface Selected {
  id: number;
  name: string;
  stage: Stage;
  /** Seconds, as the timedelta Koji prints. */
  age: number;
}

const DAY = 86400;

export function selectForCleanup(
  tags: CleanupCandidate[],
  nowTs: number,
  o: CleanupOptions,
): { selected: Selected[]; held: CleanupCandidate[] } {
  const held = tags.filter((t) => t.hold);
  let pool = tags.filter((t) => !t.hold && !o.ignore.some((g) => fnmatch(t.name, g)));
  const selected: Selected[] = [];
  const take = (stage: Stage, pick: (t: CleanupCandidate) => number | null) => {
    const delay = o.stages[stage];
    if (delay === undefined) return;
    const rest: CleanupCandidate[] = [];
    for (const t of pool) {
      const since = pick(t);
      if (since !== null && since < nowTs - delay * DAY)
        selected.push({ id: t.id, name: t.name, stage, age: nowTs - since });
      else rest.push(t);
    }
    pool = rest;
  };
  take('expired', (t) => t.expires_ts ?? null);
  take('empty', (t) => (t.builds === 0 ? t.create_ts : null));
  take('old', (t) => t.create_ts);
  take('inactive', (t) => (t.last_change_ts && t.last_change_ts > 0 ? t.last_change_ts : null));
  return { selected, held };
}

/** Python's str(timedelta): `12 days, 3:04:05.123456`, `1 day, 0:00:01`, `3:04:05`. */
export function pyTimedelta(seconds: number): string {
  const totalUs = Math.round(seconds * 1e6);
  const days = Math.floor(totalUs / (DAY * 1e6));
  let rest = totalUs - days * DAY * 1e6;
  const h = Math.floor(rest / 3600e6);
  rest -= h * 3600e6;
  const m = Math.floor(rest / 60e6);
  rest -= m * 60e6;
  const s = Math.floor(rest / 1e6);
  const us = rest - s * 1e6;
  const clock = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}${us ? `.${String(us).padStart(6, '0')}` : ''}`;
  return days ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock;
}

/**
 * When the cleanup would remove a sidetag if nothing changes (no build tagged in or untagged, no
 * hold, no new expiry), and by which stage: the earliest of the enabled stages, or null when none
 * will (held, ignored, or no stage applies). Owners and tools read it to act before it happens.
 */
export function removalDue(t: CleanupCandidate, o: CleanupOptions): { stage: Stage; ts: number } | null {
  if (t.hold || o.ignore.some((g) => fnmatch(t.name, g))) return null;
  const since: [Stage, number | null][] = [
    ['expired', t.expires_ts ?? null],
    ['empty', t.builds === 0 ? t.create_ts : null],
    ['old', t.create_ts],
    ['inactive', t.last_change_ts && t.last_change_ts > 0 ? t.last_change_ts : null],
  ];
  let due: { stage: Stage; ts: number } | null = null;
  for (const [stage, from] of since) {
    const delay = o.stages[stage];
    if (delay === undefined || from === null) continue;
    const ts = from + delay * DAY;
    if (!due || ts < due.ts) due = { stage, ts };
  }
  return due;
}

/** The stages and delays of the hub's own cleanup, or null when it does not run (`cleanup_interval` 0). */
export function hubCleanupSchedule(c: HubConfig['sidetag']): CleanupOptions | null {
  if (c.cleanupIntervalMs <= 0) return null;
  const delays: Record<Stage, number> = {
    expired: 0,
    empty: c.emptyDelayDays,
    old: c.oldDelayDays,
    inactive: c.inactiveDelayDays,
  };
  const stages = Object.fromEntries(c.cleanupStages.map((s) => [s, delays[s]])) as Partial<
    Record<Stage, number>
  >;
  return { stages, ignore: c.ignoreTags };
}
