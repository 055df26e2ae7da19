import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EventStoreInputError, EventStoreUnavailableError } from './errors.js';
import { positionFromPadded } from './log-filter.js';
import { idempotentReplay, resultOf } from './memory.store.js';
import { Mutex, type WriteLock } from './mutex.js';
import { COLUMNS, HEAD_SQL, pageQuery, type Row } from './sqlite.page-query.js';
import { scanSqlite } from './sqlite.scan.js';
import type {
  AppendResult,
  Checkpoint,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  RecordedEvent,
  ScanOptions,
  StreamWrite,
  SubscribeOptions,
} from './port.js';
import { AppendNotifier, runSubscription } from './subscription.js';
import { assertStreamName, checkExpectedVersion, padPosition, validateWrites } from './validation.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS es_events (
  global_position INTEGER PRIMARY KEY AUTOINCREMENT,
  stream_id       TEXT    NOT NULL,
  stream_position INTEGER NOT NULL,
  event_id        TEXT    NOT NULL UNIQUE,
  event_type      TEXT    NOT NULL,
  schema_version  INTEGER NOT NULL DEFAULT 1,
  data            TEXT    NOT NULL,
  metadata        TEXT    NOT NULL DEFAULT '{}',
  created_at      TEXT    NOT NULL,
  UNIQUE (stream_id, stream_position)
);
-- Stores made by earlier versions have an index by type. No query used it (pages by type stay on
-- the primary key), and every event paid for it: an append of 8 events to 8 streams took 10–15% longer.
DROP INDEX IF EXISTS es_events_type;
`;

export interface SqliteOptions {
  busyTimeoutMs?: number;
  /**
   * The lock write transactions take turns under, when another connection of this process writes
   * too: a rebuild thread borrows the one of the thread that opened the store, so the hub's appends
   * and the rebuild's writes queue fairly instead of racing for SQLite's lock.
   */
  writeLock?: WriteLock;
  clock?: () => Date;
  readonly?: boolean;
}

/**
 * The embedded default (DESIGN §4): WAL, synchronous=FULL, one writer connection per process,
 * BEGIN IMMEDIATE for appends, busy_timeout for other processes. SQLite has one writer at a time,
 * so commit order equals global_position order and the rowid is a gap-safe checkpoint.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  /** Every write transaction on `db` (appends, read-model batches) runs under this lock. */
  readonly writeLock: WriteLock;
  private notifier = new AppendNotifier();
  private clock: () => Date;
  private stmts!: ReturnType<SqliteEventStore['prepare']>;
  /** A file can be opened again from the read-ahead thread; an in-memory database cannot. */
  readonly scan?: (options: ScanOptions) => AsyncIterable<ReadAllPage>;

  constructor(
    readonly path: string,
    opts: SqliteOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.writeLock = opts.writeLock ?? new Mutex();
    try {
      if (path !== ':memory:' && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, {
        readonly: opts.readonly ?? false,
        fileMustExist: opts.readonly ?? false,
      });
      this.db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
      if (!opts.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        this.db.exec(SCHEMA);
      }
    } catch (e) {
      throw new EventStoreUnavailableError(`cannot open SQLite store ${path}: ${(e as Error).message}`);
    }
    this.stmts = this.prepare();
    if (path !== ':memory:') this.scan = (o) => scanSqlite(path, o);
  }

  private prepare() {
    const db = this.db;
    return {
      version: db.prepare<[string], { v: number | null }>(
        'SELECT max(stream_position) AS v FROM es_events WHERE stream_id = ?',
      ),
      insert: db.prepare(
        `INSERT INTO es_events (stream_id, stream_position, event_id, event_type, schema_version, data, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      byId: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM es_events WHERE event_id = ?`).raw(true),
      head: db.prepare<[], { h: number | null }>(HEAD_SQL),
      // Prepared once: every command reads several streams, and preparing cost as much as reading.
      forward: db
        .prepare<[string, number, number], Row>(
          `SELECT ${COLUMNS} FROM es_events WHERE stream_id = ? AND stream_position >= ? ORDER BY stream_position LIMIT ?`,
        )
        .raw(true),
      backward: db
        .prepare<[string, number, number], Row>(
          `SELECT ${COLUMNS} FROM es_events WHERE stream_id = ? AND stream_position <= ? ORDER BY stream_position DESC LIMIT ?`,
        )
        .raw(true),
    };
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
    const encoded = writes.map((w) => ({
      ...w,
      rows: w.events.map(
        (e) =>
          [
            e.eventId,
            e.type,
            e.schemaVersion ?? 1,
            JSON.stringify(e.data),
            JSON.stringify(e.metadata ?? {}),
          ] as const,
      ),
    }));
    const result = await this.writeLock.run(() =>
      this.db
        .transaction(() => {
          const replay = idempotentReplay(writes, (id) => {
            const r = this.stmts.byId.get(id);
            return r ? toRecorded(r) : undefined;
          });
          if (replay) return replay;
          const createdAt = this.clock().toISOString();
          const appended: { position: number; checkpoint: string }[] = [];
          const streams = encoded.map((w) => {
            let v = this.stmts.version.get(w.stream)?.v ?? 0;
            checkExpectedVersion(w.stream, w.expectedVersion, v);
            for (const [id, type, sv, data, meta] of w.rows) {
              v += 1;
              const info = this.stmts.insert.run(w.stream, v, id, type, sv, data, meta, createdAt);
              const position = Number(info.lastInsertRowid);
              appended.push({ position, checkpoint: padPosition(position) });
            }
            return { stream: w.stream, nextExpectedVersion: v };
          });
          return resultOf(streams, appended);
        })
        .immediate(),
    );
    this.notifier.notify();
    return result;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertStreamName(stream);
    const max = options.maxCount ?? -1;
    const rows =
      options.direction === 'backward'
        ? this.stmts.backward.all(stream, options.fromVersion ?? Number.MAX_SAFE_INTEGER, max)
        : this.stmts.forward.all(stream, options.fromVersion ?? 1, max);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    const after = options.after ? positionFromPadded(options.after) : 0;
    const max = options.maxCount ?? 1000;
    const { sql, params } = pageQuery(options.filter);
    // One read transaction: the head and the page come from the same snapshot.
    const { rows, head } = this.db.transaction(() => ({
      rows: this.cached(sql).all(after, ...params, max),
      head: this.stmts.head.get()?.h ?? 0,
    }))();
    const events = rows.map(toRecorded);
    const full = rows.length >= max;
    const scanned = full ? rows[rows.length - 1][0] : Math.max(head, after);
    return {
      events,
      checkpoint: scanned > 0 ? padPosition(scanned) : (options.after ?? null),
      atEnd: scanned >= head,
    };
  }

  subscribe(options: SubscribeOptions): Promise<void> {
    return runSubscription(
      (o) => this.readAll(o),
      (s, t, since) => this.notifier.wait(s, t, since),
      { pollIntervalMs: 250, ...options },
      () => this.notifier.version,
    );
  }

  private statementCache = new Map<string, Database.Statement<(string | number)[], Row>>();
  private cached(sql: string): Database.Statement<(string | number)[], Row> {
    let st = this.statementCache.get(sql);
    if (!st) {
      st = this.db.prepare<(string | number)[], Row>(sql).raw(true);
      if (this.statementCache.size < 200) this.statementCache.set(sql, st);
    }
    return st;
  }

  async lookup(q: { positions?: number[]; eventIds?: string[] }): Promise<RecordedEvent[]> {
    const out = new Map<number, RecordedEvent>();
    const byPos = this.db
      .prepare<[number], Row>(`SELECT ${COLUMNS} FROM es_events WHERE global_position = ?`)
      .raw(true);
    for (const p of q.positions ?? []) {
      const r = byPos.get(p);
      if (r) out.set(r[0], toRecorded(r));
    }
    for (const id of q.eventIds ?? []) {
      const r = this.stmts.byId.get(id);
      if (r) out.set(r[0], toRecorded(r));
    }
    return [...out.values()].sort((a, b) => a.position - b.position);
  }

  async headCheckpoint(): Promise<Checkpoint | null> {
    const h = this.stmts.head.get()?.h ?? 0;
    return h > 0 ? padPosition(h) : null;
  }

  async recentTypeCounts(count: number): Promise<Record<string, number>> {
    const rows = this.db
      .prepare<[number], { type: string; n: number }>(
        `SELECT event_type AS type, count(*) AS n FROM
           (SELECT event_type FROM es_events ORDER BY global_position DESC LIMIT ?) GROUP BY event_type`,
      )
      .all(count);
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  }

  async streamVersion(stream: string): Promise<number> {
    assertStreamName(stream);
    return this.stmts.version.get(stream)?.v ?? 0;
  }

  positionOf(checkpoint: Checkpoint): number {
    return positionFromPadded(checkpoint);
  }

  /** Wakes this process's subscribers (used after a read-model write that others wait on). */
  notifyAppended(): void {
    this.notifier.notify();
  }

  async close(): Promise<void> {
    this.notifier.notify();
    if (this.db.open) await this.writeLock.run(() => this.db.close());
  }
}

function toRecorded(r: Row): RecordedEvent {
  return {
    eventId: r[3],
    type: r[4],
    schemaVersion: r[5],
    data: JSON.parse(r[6]) as unknown,
    metadata: JSON.parse(r[7]) as RecordedEvent['metadata'],
    stream: r[1],
    streamVersion: r[2],
    position: r[0],
    checkpoint: padPosition(r[0]),
    recordedAt: r[8],
  };
}

export { EventStoreInputError };
