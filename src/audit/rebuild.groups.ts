import type { Projection } from '../eventstore/projection.js';

/**
 * Splits the projections of a rebuild into at most `threads` groups of about equal work, each to be
 * replayed by a thread of its own. A projection's work is the number of events it reads, counted in
 * a recent sample of the log (`counts`, events per type); one without a type filter reads them all.
 * Largest first, each onto the lightest group so far. Groups with no work are left out, so a log
 * of one kind of event is one group.
 */
export function splitProjections(
  projections: Projection[],
  counts: Record<string, number>,
  threads: number,
): Projection[][] {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const weight = (p: Projection) =>
    p.filter?.types ? p.filter.types.reduce((n, t) => n + (counts[t] ?? 0), 0) : total;
  const sorted = [...projections].sort((a, b) => weight(b) - weight(a) || a.name.localeCompare(b.name));
  const groups: { members: Projection[]; work: number }[] = [];
  const n = Math.max(1, Math.min(threads, projections.length));
  for (let i = 0; i < n; i++) groups.push({ members: [], work: 0 });
  for (const p of sorted) {
    const lightest = groups.reduce((a, b) => (b.work < a.work ? b : a));
    lightest.members.push(p);
    lightest.work += weight(p);
  }
  const busy = groups.filter((g) => g.members.length && g.work > 0);
  const idle = groups.filter((g) => g.members.length && g.work === 0).flatMap((g) => g.members);
  // Projections with nothing to read still need their fresh (empty) tables swapped in: any group will do.
  if (!busy.length) return idle.length ? [idle] : [];
  busy[busy.length - 1].members.push(...idle);
  return busy.map((g) => g.members);
}
