import type { LogFilter } from './port.js';

/**
 * The columns of a read, fetched as arrays (better-sqlite3's raw mode): building an object with
 * nine named properties per row cost as much as the read itself.
 */
export const COLUMNS =
  'global_position, stream_id, stream_position, event_id, event_type, schema_version, data, metadata, created_at';
export type Row = [
  globalPosition: number,
  streamId: string,
  streamPosition: number,
  eventId: string,
  eventType: string,
  schemaVersion: number,
  data: string,
  metadata: string,
  createdAt: string,
];

export const HEAD_SQL = 'SELECT max(global_position) AS h FROM es_events';

/**
 * A page of the log in position order: the statement runs with `(after, ...params, limit)`. Shared
 * by readAll and the read-ahead thread of a scan, so both read the same rows.
 */
export function pageQuery(filter?: LogFilter, until?: number): { sql: string; params: (string | number)[] } {
  const clauses = ['global_position > ?'];
  const params: (string | number)[] = [];
  if (until !== undefined) {
    clauses.push('global_position <= ?');
    params.push(until);
  }
  if (filter?.types) {
    if (filter.types.length === 0) clauses.push('0');
    else {
      // `+event_type` keeps SQLite on the primary key should an index by type exist (stores of earlier
      // versions had one): with it SQLite would visit every later row of each type and sort them for
      // each page, which makes a long replay quadratic.
      clauses.push(`+event_type IN (${filter.types.map(() => '?').join(',')})`);
      params.push(...filter.types);
    }
  }
  if (filter?.streamPrefixes) {
    const ors = filter.streamPrefixes.map(() => 'substr(stream_id, 1, ?) = ?');
    clauses.push(ors.length ? `(${ors.join(' OR ')})` : '0');
    for (const p of filter.streamPrefixes) params.push(p.length, p);
  }
  return {
    sql: `SELECT ${COLUMNS} FROM es_events WHERE ${clauses.join(' AND ')} ORDER BY global_position LIMIT ?`,
    params,
  };
}
