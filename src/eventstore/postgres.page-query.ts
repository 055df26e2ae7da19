import { EventStoreInputError } from './errors.js';
import type { Checkpoint, LogFilter, RecordedEvent } from './port.js';
import { padPosition } from './validation.js';

/**
 * `created_at` comes back as UTC wall-clock text (the store's pool keeps that type as text): turning
 * it into an ISO string is a slice, where the driver's default makes a Date through a regular
 * expression (replay spent more time there than in JSON.parse).
 */
// readPage's PageRow reads these by position (after the head's three columns): keep them in step.
export const COLUMNS = `global_position, transaction_id, stream_id, stream_position, event_id, event_type, schema_version,
  data, metadata, created_at AT TIME ZONE 'UTC' AS created_at`;

/**
 * A row of the page query as an array: the head and its pending flag, then the COLUMNS, the JSON
 * ones parsed by the store's pool.
 */
export type PageRow = [
  headXid: string | null,
  headGp: string | null,
  pending: boolean,
  globalPosition: string,
  transactionId: string,
  streamId: string,
  streamPosition: string,
  eventId: string,
  eventType: string,
  schemaVersion: number,
  data: unknown,
  metadata: RecordedEvent['metadata'],
  createdAt: string,
];
export const PAGE_GP = 3;

const ZEROS = '00000000000000000000';

export function checkpointOf(xid: string, gp: string | number): Checkpoint {
  const g = typeof gp === 'number' ? padPosition(gp) : ZEROS.slice(gp.length) + gp;
  return `${ZEROS.slice(xid.length)}${xid}:${g}`;
}

/**
 * A UTC timestamp as the server writes it, 'YYYY-MM-DD HH:MM:SS[.ffffff]' (DateStyle ISO) or with a
 * 'T' (to_json), → ISO 8601 with milliseconds.
 */
export function isoFromUtcText(t: string): string {
  if (t.length >= 19 && (t[10] === ' ' || t[10] === 'T') && t[4] === '-')
    return `${t.slice(0, 10)}T${t.slice(11, 19)}.${(t.slice(20, 23) + '000').slice(0, 3)}Z`;
  // Years beyond 9999 or BC never come from the store's clock; be correct rather than fast.
  return new Date(`${t}Z`).toISOString();
}

const CHECKPOINT = /^(\d{1,20}):(\d{1,20})$/;

export function parseCheckpoint(cp: Checkpoint): [xid: string, gp: number] {
  const m = CHECKPOINT.exec(cp);
  const gp = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(gp))
    throw new EventStoreInputError(`not a PostgreSQL store checkpoint: ${cp}`);
  return [m[1].replace(/^0+(?=\d)/, ''), gp];
}

const pageQueries = new Map<string, { sql: string; name: string }>();

/**
 * The fenced page query, one prepared statement per filter shape: run with (after's xid, after's
 * position, limit, ...extra). With `until` (a checkpoint's xid and position) it reads no further.
 */
export function pageQuery(
  filter: LogFilter | undefined,
  until?: [xid: string, gp: number],
): { sql: string; name: string; extra: unknown[] } {
  const { clauses, extra, key } = pageClauses(filter, until);
  const columns = COLUMNS.replace(/\s+/g, ' ');
  let q = pageQueries.get(key);
  if (!q) {
    q = {
      name: `koji_es_page_${key}`,
      sql: `
SELECT h.head_xid, h.head_gp, h.pending, p.*
FROM ${HEAD} h
LEFT JOIN LATERAL (
  SELECT ${columns} FROM es_events e
  WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint) AND e.transaction_id < h.xmin
  ${clauses.join(' ')}
  ORDER BY e.transaction_id, e.global_position
  LIMIT $3
) p ON true
ORDER BY p.transaction_id, p.global_position`,
    };
    pageQueries.set(key, q);
  }
  return { ...q, extra };
}

/** The fence: the newest event below the oldest transaction still running, and that xmin. */
const HEAD = `(
  SELECT f.xmin, hd.transaction_id AS head_xid, hd.global_position AS head_gp,
         EXISTS (SELECT 1 FROM es_events WHERE transaction_id >= f.xmin) AS pending
  FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) f
  LEFT JOIN LATERAL (
    SELECT transaction_id, global_position FROM es_events WHERE transaction_id < f.xmin
    ORDER BY transaction_id DESC, global_position DESC LIMIT 1
  ) hd ON true
)`;

/** A page's WHERE beyond the fence: `until` ($4, $5) and the filter, whose values follow in `extra`. */
function pageClauses(
  filter: LogFilter | undefined,
  until: [xid: string, gp: number] | undefined,
): { clauses: string[]; extra: unknown[]; key: string } {
  const clauses: string[] = [];
  const extra: unknown[] = [];
  let key = 'all';
  if (until) {
    extra.push(...until);
    clauses.push(`AND (e.transaction_id, e.global_position) <= ($4::xid8, $5::bigint)`);
    key += '_until';
  }
  if (filter?.types) {
    extra.push(filter.types);
    clauses.push(`AND e.event_type = ANY($${3 + extra.length}::text[])`);
    key += '_types';
  }
  if (filter?.streamPrefixes) {
    extra.push(filter.streamPrefixes);
    clauses.push(
      `AND EXISTS (SELECT 1 FROM unnest($${3 + extra.length}::text[]) AS pf(prefix) WHERE starts_with(e.stream_id, pf.prefix))`,
    );
    key += '_prefixes';
  }
  return { clauses, extra, key };
}

/**
 * A page of the scan thread as one row: the fence's head, then each column of the page's events as
 * one JSON array text, in log order, built by the server. Decoding pages row by row (ten fields a row
 * through the driver's parser) took the scan thread 1.1 s of CPU for 300,000 events; now a rebuild
 * of those takes 3.6–3.9 s against 4.1–4.6 s, its client 2.0–2.5 s of CPU against 3.1–3.4 s. Run
 * with (after's xid, after's position, limit, ...extra); only `metadataOf`'s types carry metadata,
 * the others `null`, which the server then never turns into text.
 */
export function scanPageQuery(
  filter: LogFilter | undefined,
  until: [xid: string, gp: number] | undefined,
  metadataOf: readonly string[] | undefined,
): { sql: string; name: string; extra: unknown[] } {
  const { clauses, extra, key: base } = pageClauses(filter, until);
  let metadata = 'p.metadata::text';
  let key = `scan_${base}`;
  if (metadataOf) {
    extra.push(metadataOf);
    metadata = `COALESCE(CASE WHEN p.event_type = ANY($${3 + extra.length}::text[]) THEN p.metadata::text END, 'null')`;
    key += '_metadata';
  }
  let q = pageQueries.get(key);
  if (!q) {
    // Every aggregate in log order; PostgreSQL 16 and later see the input already sorted.
    const agg = (expr: string) => `json_agg(${expr} ORDER BY p.transaction_id, p.global_position)::text`;
    const joined = (expr: string) =>
      `'[' || string_agg(${expr}, ',' ORDER BY p.transaction_id, p.global_position) || ']'`;
    q = {
      name: `koji_es_page_${key}`,
      sql: `
SELECT h.head_xid, h.head_gp, a.*
FROM ${HEAD} h
LEFT JOIN LATERAL (
  SELECT count(*)::int AS n,
    ${agg('p.event_id')} AS ids,
    ${agg('p.event_type')} AS types,
    ${agg('p.schema_version')} AS schemas,
    ${agg('p.stream_id')} AS streams,
    ${agg('p.stream_position')} AS versions,
    ${agg('p.global_position')} AS positions,
    ${agg('p.transaction_id::text')} AS xids,
    ${agg(`p.created_at AT TIME ZONE 'UTC'`)} AS times,
    ${joined('p.data::text')} AS data,
    ${joined(metadata)} AS metadata
  FROM (
    SELECT * FROM es_events e
    WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint) AND e.transaction_id < h.xmin
    ${clauses.join(' ')}
    ORDER BY e.transaction_id, e.global_position
    LIMIT $3
  ) p
) a ON true`,
    };
    pageQueries.set(key, q);
  }
  return { ...q, extra };
}

/** scanPageQuery's row. */
export type ScanPageRow = [
  headXid: string | null,
  headGp: string | null,
  n: number,
  ids: string | null,
  types: string | null,
  schemas: string | null,
  streams: string | null,
  versions: string | null,
  positions: string | null,
  xids: string | null,
  times: string | null,
  data: string | null,
  metadata: string | null,
];

/**
 * Where a page leaves a reader. Full: at its last event. Not full: every transaction below the fence
 * has been scanned (filtered-out events too), and any event not yet visible belongs to a transaction
 * at or above it, so it sorts after the head.
 */
export function pageEnd(
  rows: number,
  last: Checkpoint | null,
  head: Checkpoint | null,
  after: Checkpoint | null,
  max: number,
): { checkpoint: Checkpoint | null; atEnd: boolean; full: boolean } {
  const full = rows >= max;
  const checkpoint = full ? last : head !== null && (after === null || head > after) ? head : after;
  return { checkpoint, atEnd: !full || last === head, full };
}
