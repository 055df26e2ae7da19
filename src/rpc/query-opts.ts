import type { QueryOpts } from './validators.js';

/** Koji's queryOpts over an already filtered list: order (`-field` descending), offset, limit, countOnly. */
export function applyQueryOpts<T extends Record<string, unknown>>(
  rows: T[],
  q: QueryOpts | null | undefined,
): T[] | number {
  if (!q) return rows;
  // Koji counts the whole filtered result; offset and limit only shape a list.
  if (q.countOnly) return rows.length;
  let out = rows;
  if (q.order) {
    const desc = q.order.startsWith('-');
    const field = desc ? q.order.slice(1) : q.order;
    out = [...out].sort((a, b) => {
      const x = a[field] as string | number | null;
      const y = b[field] as string | number | null;
      const c =
        x === y ? 0 : x === null || x === undefined ? -1 : y === null || y === undefined ? 1 : x < y ? -1 : 1;
      return desc ? -c : c;
    });
  }
  if (q.offset) out = out.slice(q.offset);
  if (q.limit !== undefined && q.limit !== null) out = out.slice(0, q.limit);
  return out;
}
