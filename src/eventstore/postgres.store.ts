import pg from 'pg';
import { EventStoreInputError, EventStoreUnavailableError } from './errors.js';
import { idempotentReplay } from './memory.store.js';
import type {
  AppendResult,
  Checkpoint,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  ScanOptions,
  RecordedEvent,
  StreamWrite,
  SubscribeOptions,
} from './port.js';
import { redact } from './store-url.js';
import { scanPostgres } from './postgres.scan.js';
import {
  checkpointOf,
  COLUMNS,
  isoFromUtcText,
  PAGE_GP,
  pageEnd,
  pageQuery,
  parseCheckpoint,
  type PageRow,
} from './postgres.page-query.js';
import { AppendNotifier, runSubscription } from './subscription.js';
import { assertStreamName, checkExpectedVersion, validateWrites } from './validation.js';

/** Advisory-lock class for koji-es (ASCII "koji"); the second key tells schema and projection locks apart. */
export const LOCK_CLASS = 0x6b6f6a69;
const SCHEMA_LOCK = 0;

/**
 * DESIGN §4 / eventstore-notes B.4. `transaction_id` orders the global log: a reader only reads
 * transactions older than the oldest one still running, so a transaction that commits late can never
 * be skipped (B.3). Constraints are named so a unique violation tells which rule was broken.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS es_events (
  global_position bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
  stream_id       text        NOT NULL,
  stream_position bigint      NOT NULL,
  event_id        text        NOT NULL,
  event_type      text        NOT NULL,
  schema_version  int         NOT NULL DEFAULT 1,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT es_events_event_id_key UNIQUE (event_id),
  CONSTRAINT es_events_stream_key UNIQUE (stream_id, stream_position)
);
CREATE INDEX IF NOT EXISTS es_events_tx_gp ON es_events (transaction_id, global_position);
CREATE TABLE IF NOT EXISTS es_checkpoints (
  projection text        PRIMARY KEY,
  position   text,
  version    int         NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);`;

/** The expected-version rule of checkExpectedVersion, in SQL ($8 = kind, $9 = an exact version). */
const CHECK = `CASE $8::text
    WHEN 'any' THEN true
    WHEN 'no_stream' THEN cur.v = 0
    WHEN 'stream_exists' THEN cur.v > 0
    ELSE cur.v = $9::bigint END`;

/**
 * One statement, one round trip: the expected-version check, the insert and the wake-up (NOTIFY is
 * delivered at commit). `cur` is read in the statement's snapshot, so two racing writers can both pass
 * the check; the loser then hits the unique (stream_id, stream_position) constraint instead of leaving
 * a gap or a duplicate. No row back means the check failed. One event, the common case, skips unnest.
 */
const APPEND_ONE_SQL = `
WITH cur AS (SELECT coalesce(max(stream_position), 0) AS v FROM es_events WHERE stream_id = $1)
INSERT INTO es_events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata, created_at)
SELECT $1, cur.v + 1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::timestamptz FROM cur
WHERE ${CHECK}
RETURNING global_position AS first_gp, global_position AS last_gp, stream_position AS last_v,
  transaction_id AS xid, pg_notify('es_events', '') AS notified`;

const APPEND_MANY_SQL = `
WITH cur AS (
  SELECT coalesce(max(stream_position), 0) AS v FROM es_events WHERE stream_id = $1
), ins AS (
  INSERT INTO es_events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata, created_at)
  SELECT $1, cur.v + u.ord, u.id, u.type, u.sv, u.data, u.meta, $7::timestamptz
  FROM cur, unnest($2::text[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[]) WITH ORDINALITY AS u(id, type, sv, data, meta, ord)
  WHERE ${CHECK}
  ORDER BY u.ord
  RETURNING global_position, stream_position
)
SELECT min(global_position) AS first_gp, max(global_position) AS last_gp, max(stream_position) AS last_v,
  pg_current_xact_id_if_assigned() AS xid,
  (SELECT pg_notify('es_events', '') FROM ins LIMIT 1) AS notified
FROM ins
HAVING count(*) > 0`;

interface AppendRow {
  first_gp: string;
  last_gp: string;
  last_v: string;
  xid: string;
}

interface EventRow {
  global_position: string;
  transaction_id: string;
  stream_id: string;
  stream_position: string;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  created_at: string;
}

type Encoded = {
  write: StreamWrite;
  query: { name: string; text: string; values: unknown[] };
};

/** Why an append attempt did not commit: the version check failed, a lost race, or retry as is. */
type Failure = { kind: 'check'; index: number } | { kind: 'race'; index: number } | { kind: 'retry' };

export interface PostgresStoreOptions {
  clock?: () => Date;
  /** Connections in the pool (appends, reads, read-model batches). */
  poolSize?: number;
  /** Give up connecting after this long (start-up fails fast on an unreachable server). */
  connectTimeoutMs?: number;
}

const MAX_RETRIES = 100;

/**
 * The production event store (DESIGN §4): PostgreSQL 13+ through `pg`, the B.4 schema created on
 * first use, a snapshot-fenced global log, LISTEN/NOTIFY wake-ups plus polling.
 */
export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly clock: () => Date;
  private readonly notifier = new AppendNotifier();
  private schema: Promise<void> | null = null;
  private listener: pg.Client | null = null;
  private listenerStarting: Promise<void> | null = null;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly opts: PostgresStoreOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'koji-es',
      types: { getTypeParser: typeParser },
      // isoFromUtcText reads the ISO date style; a server configured otherwise must not change it.
      // A startup option rather than a query on 'connect', which pg-pool would overlap with the
      // pooled client's first query (deprecated; refused from pg 9).
      options: '-c DateStyle=ISO',
    });
    // An idle pooled connection that breaks (server restart) is discarded by the pool; without a
    // listener the 'error' event would crash the process.
    this.pool.on('error', () => {});
  }

  /**
   * Connects and creates the schema (idempotent). Throws EventStoreUnavailableError with one line
   * naming the problem when the database cannot be reached.
   */
  async open(): Promise<void> {
    try {
      await this.ready();
    } catch (e) {
      throw new EventStoreUnavailableError(describeConnectError(e, this.url));
    }
  }

  /** Creates the schema once per store; two processes starting at once serialize on an advisory lock. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new EventStoreInputError('the event store is closed'));
    this.schema ??= (async () => {
      const client = await this.pool.connect();
      try {
        const v = await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
        if (Number(v.rows[0].v) < 130000)
          throw new Error(
            `PostgreSQL 13 or later is needed (xid8, pg_current_xact_id); the server is ${v.rows[0].v}`,
          );
        await client.query(
          `BEGIN; SET LOCAL client_min_messages = warning; SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${SCHEMA_LOCK}); ${SCHEMA} COMMIT;`,
        );
        // The log is ordered by transaction id. A database restored from a dump into another cluster
        // keeps the old ids while new transactions may get lower ones, which would sort new events
        // before checkpoints already saved, and subscribers would never see them.
        const ids = await client.query<{ newest: string | null; next: string }>(
          `SELECT (SELECT transaction_id FROM es_events ORDER BY transaction_id DESC LIMIT 1) AS newest,
                  pg_snapshot_xmax(pg_current_snapshot()) AS next`,
        );
        const { newest, next } = ids.rows[0];
        if (newest !== null && BigInt(newest) >= BigInt(next))
          throw new Error(
            `the newest event was written by transaction ${newest}, but this cluster's next transaction id is ${next} ` +
              `(restored from a dump into another cluster?); new events would sort before old ones`,
          );
        client.release();
      } catch (e) {
        client.release(true);
        throw e;
      }
    })().catch((e: unknown) => {
      this.schema = null;
      throw e;
    });
    return this.schema;
  }

  appendToStream(
    stream: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    return this.appendMulti([{ stream, events, expectedVersion }]);
  }

  async appendMulti(writes: StreamWrite[]): Promise<AppendResult> {
    validateWrites(writes);
    const createdAt = this.clock().toISOString();
    const encoded = writes.map((w) => encode(w, createdAt));
    await this.ready();
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.tryAppend(encoded);
      if (!('kind' in outcome)) {
        this.notifier.notify();
        return outcome;
      }
      // Nothing was committed. A retry of an append that did commit looks like a conflict here, so
      // the idempotency check comes first, as in the reference semantics.
      const replay = await this.replayOf(writes);
      if (replay) return replay;
      if (outcome.kind !== 'retry') {
        // The version now decides: a lost race under 'any' or 'stream_exists', or a check against a
        // version that has since become the expected one, is tried again; anything else is a conflict.
        const w = writes[outcome.index];
        checkExpectedVersion(w.stream, w.expectedVersion, await this.streamVersion(w.stream));
      }
      if (attempt >= MAX_RETRIES) throw new Error(`append gave up after ${MAX_RETRIES} lost races`);
    }
  }

  /** One attempt: a single statement for one stream, a transaction for several. */
  private async tryAppend(encoded: Encoded[]): Promise<AppendResult | Failure> {
    if (encoded.length === 1) {
      try {
        const r = await this.pool.query<AppendRow>(encoded[0].query);
        if (r.rows.length === 0) return { kind: 'check', index: 0 };
        return appendResult(r.rows, encoded);
      } catch (e) {
        return classify(e, 0);
      }
    }
    const client = await this.pool.connect();
    let index = 0;
    try {
      await client.query('BEGIN');
      const rows: AppendRow[] = [];
      for (; index < encoded.length; index++) {
        const r = await client.query<AppendRow>(encoded[index].query);
        if (r.rows.length === 0) {
          await client.query('ROLLBACK');
          client.release();
          return { kind: 'check', index };
        }
        rows.push(r.rows[0]);
      }
      await client.query('COMMIT');
      client.release();
      return appendResult(rows, encoded);
    } catch (e) {
      await client.query('ROLLBACK').then(
        () => client.release(),
        () => client.release(true),
      );
      return classify(e, index);
    }
  }

  private async replayOf(writes: StreamWrite[]): Promise<AppendResult | null> {
    const ids = writes.flatMap((w) => w.events.map((e) => e.eventId));
    const r = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM es_events WHERE event_id = ANY($1::text[])`,
      [ids],
    );
    const byId = new Map(r.rows.map((row) => [row.event_id, toRecorded(row)]));
    return idempotentReplay(writes, (id) => byId.get(id));
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertStreamName(stream);
    await this.ready();
    const backward = options.direction === 'backward';
    const r = await this.pool.query<EventRow>({
      name: backward ? 'koji_es_read_stream_back' : 'koji_es_read_stream',
      text: backward
        ? `SELECT ${COLUMNS} FROM es_events WHERE stream_id = $1 AND stream_position <= $2
           ORDER BY stream_position DESC LIMIT $3`
        : `SELECT ${COLUMNS} FROM es_events WHERE stream_id = $1 AND stream_position >= $2
           ORDER BY stream_position LIMIT $3`,
      values: [
        stream,
        options.fromVersion ?? (backward ? Number.MAX_SAFE_INTEGER : 1),
        options.maxCount ?? null,
      ],
    });
    return r.rows.map(toRecorded);
  }

  async lookup(q: { positions?: number[]; eventIds?: string[] }): Promise<RecordedEvent[]> {
    await this.ready();
    const r = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM es_events WHERE global_position = ANY($1::bigint[]) OR event_id = ANY($2::text[])
       ORDER BY global_position`,
      [q.positions ?? [], q.eventIds ?? []],
    );
    return r.rows.map(toRecorded);
  }

  async *scan(options: ScanOptions): AsyncGenerator<ReadAllPage, void, undefined> {
    await this.ready();
    yield* scanPostgres(this.url, options);
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    return (await this.readPage(options)).page;
  }

  /**
   * A page of the fenced log plus, from the same snapshot, the fenced head (the last event a reader
   * may see now) and whether committed events wait beyond the fence. Same snapshot matters: with a
   * later one, events committed in between below the new fence would be jumped over.
   */
  private async readPage(options: ReadAllOptions): Promise<{ page: ReadAllPage; pending: boolean }> {
    await this.ready();
    const after = options.after ?? null;
    const [afterXid, afterGp] = after === null ? ['0', 0] : parseCheckpoint(after);
    const max = options.maxCount ?? 1000;
    if (!Number.isSafeInteger(max) || max < 1)
      throw new EventStoreInputError('maxCount must be a positive integer');
    const { sql, name, extra } = pageQuery(options.filter);
    // Rows as arrays: building an object of 13 named fields per row was a fifth of a replay's reading.
    const r = await this.pool.query<PageRow>({
      name,
      text: sql,
      values: [afterXid, afterGp, max, ...extra],
      rowMode: 'array',
    });
    const first = r.rows[0];
    const rows = first[PAGE_GP] === null ? [] : r.rows;
    const head = first[0] === null ? null : checkpointOf(first[0], first[1]!);
    const events = rows.map(fromPageRow);
    const { checkpoint, atEnd } = pageEnd(rows.length, events.at(-1)?.checkpoint ?? null, head, after, max);
    return { page: { events, checkpoint, atEnd }, pending: first[2] };
  }

  subscribe(options: SubscribeOptions): Promise<void> {
    let backoff = 0;
    const pollMs = options.pollIntervalMs ?? 500;
    return (async () => {
      await this.ready();
      await this.startListener();
      return runSubscription(
        async (o) => {
          const { page, pending } = await this.readPage(o);
          // Committed events wait behind an older transaction still running: no NOTIFY will come
          // when that one ends unless it is an append, so look again soon, backing off.
          backoff = pending ? Math.min(backoff ? backoff * 2 : 10, pollMs) : 0;
          return page;
        },
        async (signal, timeoutMs, since) => {
          if (!this.listener) void this.startListener();
          await this.notifier.wait(signal, backoff || timeoutMs, since);
        },
        { ...options, pollIntervalMs: pollMs },
        () => this.notifier.version,
      );
    })();
  }

  /** One LISTEN connection per store, shared by its subscriptions; polling covers its absence. */
  private startListener(): Promise<void> {
    if (this.closed || this.listener) return Promise.resolve();
    this.listenerStarting ??= (async () => {
      const c = new pg.Client({
        connectionString: this.url,
        connectionTimeoutMillis: this.opts.connectTimeoutMs ?? 5000,
        application_name: 'koji-es-listen',
      });
      const drop = () => {
        if (this.listener === c) this.listener = null;
        c.end().catch(() => {});
      };
      c.on('error', drop);
      c.on('end', drop);
      c.on('notification', () => this.notifier.notify());
      try {
        await c.connect();
        await c.query('LISTEN es_events');
        if (this.closed) await c.end();
        else this.listener = c;
      } catch {
        drop();
      }
    })().finally(() => {
      this.listenerStarting = null;
    });
    return this.listenerStarting;
  }

  async recentTypeCounts(count: number): Promise<Record<string, number>> {
    await this.ready();
    const r = await this.pool.query<{ type: string; n: number }>(
      `SELECT event_type AS type, count(*)::int AS n FROM
         (SELECT event_type FROM es_events ORDER BY global_position DESC LIMIT $1) AS recent GROUP BY event_type`,
      [count],
    );
    return Object.fromEntries(r.rows.map((row) => [row.type, row.n]));
  }

  async headCheckpoint(): Promise<Checkpoint | null> {
    await this.ready();
    const r = await this.pool.query<{ transaction_id: string; global_position: string }>({
      name: 'koji_es_head',
      text: `SELECT transaction_id, global_position FROM es_events
             WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
             ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    });
    const row = r.rows[0];
    return row ? checkpointOf(row.transaction_id, row.global_position) : null;
  }

  async streamVersion(stream: string): Promise<number> {
    assertStreamName(stream);
    await this.ready();
    const r = await this.pool.query<{ v: string }>({
      name: 'koji_es_stream_version',
      text: 'SELECT coalesce(max(stream_position), 0) AS v FROM es_events WHERE stream_id = $1',
      values: [stream],
    });
    return Number(r.rows[0].v);
  }

  positionOf(checkpoint: Checkpoint): number {
    return parseCheckpoint(checkpoint)[1];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifier.notify();
    await this.listenerStarting;
    const l = this.listener;
    this.listener = null;
    await l?.end().catch(() => {});
    await this.pool.end();
  }
}

function encode(w: StreamWrite, createdAt: string): Encoded {
  const ev = w.expectedVersion;
  const check = [typeof ev === 'number' ? 'exact' : ev, typeof ev === 'number' ? ev : null];
  if (w.events.length === 1) {
    const e = w.events[0];
    const values = [
      w.stream,
      e.eventId,
      e.type,
      e.schemaVersion ?? 1,
      JSON.stringify(e.data),
      JSON.stringify(e.metadata ?? {}),
      createdAt,
      ...check,
    ];
    return { write: w, query: { name: 'koji_es_append_one', text: APPEND_ONE_SQL, values } };
  }
  const ids: string[] = [];
  const types: string[] = [];
  const versions: number[] = [];
  const data: string[] = [];
  const meta: string[] = [];
  for (const e of w.events) {
    ids.push(e.eventId);
    types.push(e.type);
    versions.push(e.schemaVersion ?? 1);
    data.push(JSON.stringify(e.data));
    meta.push(JSON.stringify(e.metadata ?? {}));
  }
  const values = [w.stream, ids, types, versions, data, meta, createdAt, ...check];
  return { write: w, query: { name: 'koji_es_append_many', text: APPEND_MANY_SQL, values } };
}

function appendResult(rows: AppendRow[], encoded: Encoded[]): AppendResult {
  const xid = rows[rows.length - 1].xid;
  const lastPosition = Number(rows[rows.length - 1].last_gp);
  return {
    streams: rows.map((row, i) => ({
      stream: encoded[i].write.stream,
      nextExpectedVersion: Number(row.last_v),
    })),
    firstPosition: Number(rows[0].first_gp),
    lastPosition,
    checkpoint: checkpointOf(xid, lastPosition),
  };
}

function sqlState(e: unknown): { code?: string; constraint?: string; message: string } {
  const x = e as { code?: unknown; constraint?: unknown; message?: unknown };
  return {
    code: typeof x?.code === 'string' ? x.code : undefined,
    constraint: typeof x?.constraint === 'string' ? x.constraint : undefined,
    message: typeof x?.message === 'string' ? x.message : String(e),
  };
}

function classify(e: unknown, index: number): Failure {
  const { code, constraint, message } = sqlState(e);
  if (code === '23505' && constraint === 'es_events_stream_key') return { kind: 'race', index };
  // A duplicate event id (decided by the idempotency check), a deadlock between two multi-stream
  // appends, a serialization failure: nothing was written, so the caller looks again.
  if (code === '23505' || code === '40P01' || code === '40001') return { kind: 'retry' };
  // Data exceptions: text PostgreSQL refuses to store (a NUL character, a lone surrogate in JSON).
  if (code?.startsWith('22')) throw new EventStoreInputError(`PostgreSQL refused the events: ${message}`);
  throw e;
}

/** OID of `timestamp without time zone`, which this pool's clients leave as text (isoFromUtcText). */
const TIMESTAMP_TEXT = 1114;

const typeParser = ((oid: number, format?: string) =>
  oid === TIMESTAMP_TEXT
    ? (v: string) => v
    : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser;

function toRecorded(r: EventRow): RecordedEvent {
  return {
    eventId: r.event_id,
    type: r.event_type,
    schemaVersion: r.schema_version,
    data: r.data,
    metadata: r.metadata,
    stream: r.stream_id,
    streamVersion: Number(r.stream_position),
    position: Number(r.global_position),
    checkpoint: checkpointOf(r.transaction_id, r.global_position),
    recordedAt: isoFromUtcText(r.created_at),
  };
}

function fromPageRow(r: PageRow): RecordedEvent {
  return {
    eventId: r[7],
    type: r[8],
    schemaVersion: r[9],
    data: r[10],
    metadata: r[11],
    stream: r[5],
    streamVersion: Number(r[6]),
    position: Number(r[3]),
    checkpoint: checkpointOf(r[4], r[3]),
    recordedAt: isoFromUtcText(r[12]),
  };
}

/** One line, no stack, no password: what went wrong connecting and to which database. */
export function describeConnectError(e: unknown, url: string): string {
  const { code, message } = sqlState(e);
  const where = `PostgreSQL store ${redact(url)}`;
  const first = message.split('\n')[0];
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${where}: connection refused (is the server running and listening there?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${where}: host not found`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot connect to ${where}: host unreachable (${code})`;
    case 'ENOENT':
      return `cannot connect to ${where}: no server socket at that path`;
    case '28P01':
      return `cannot log in to ${where}: password authentication failed`;
    case '28000':
      return `cannot log in to ${where}: ${first}`;
    case '3D000':
      return `cannot open ${where}: the database does not exist (${first})`;
    case '42501':
      return `cannot create the event tables in ${where}: permission denied (${first})`;
  }
  if (/timeout/i.test(first)) return `cannot connect to ${where}: no answer within the connect timeout`;
  return `cannot open ${where}: ${first}`;
}
