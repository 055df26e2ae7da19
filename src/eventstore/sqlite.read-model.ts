import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStoreInputError, EventStoreUnavailableError } from './errors.js';
import { Mutex, type WriteLock } from './mutex.js';
import { SqliteBulkWriter } from './sqlite.bulk-writer.js';
import { assertFieldPath, buildWhereSql, type SqlDialect } from './read-model.query.js';
import {
  COLLECTION_NAME,
  type CollectionDef,
  type FindOptions,
  type ProjectionCheckpoint,
  type ReadModelReader,
  type ReadModelStore,
  type ReadModelTx,
  type RebuildOptions,
  type ShadowFill,
  type Where,
} from './read-model.port.js';
import type { Checkpoint } from './port.js';

/**
 * The writer connection read models use: the SQLite event store's own (read models beside the
 * events), or one opened by SqliteReadModelStore.open when the events live elsewhere (KurrentDB).
 */
export interface SqliteConnection {
  readonly db: Database.Database;
  /** Every write transaction on `db` runs under this lock. */
  readonly writeLock: WriteLock;
  readonly path: string;
}

const CHECKPOINTS = `
CREATE TABLE IF NOT EXISTS es_checkpoints (
  projection TEXT PRIMARY KEY,
  position   TEXT,
  version    INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);`;

/**
 * Who is rebuilding this database's read models (SQLite has no advisory locks): a lease its holder
 * renews while it runs, so one that dies lets go within LEASE_MS.
 */
const REBUILD_LEASE = `
CREATE TABLE IF NOT EXISTS es_rebuild_lease (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  holder     TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
);`;
const LEASE_MS = 60_000;
const RENEW_MS = 5_000;
/** How often a rebuild waiting for another process's looks again. */
const LEASE_POLL_MS = 200;

const jsonPath = (path: string) => `'$.${path}'`;

const dialect: SqlDialect = {
  field: (p) => `json_extract(doc, ${jsonPath(p)})`,
  // SQLite's LIKE ignores ASCII case; GLOB does not, so LIKE patterns are translated to GLOB.
  like: (p, pattern, params) => {
    params.push(likeToGlob(pattern));
    return `json_extract(doc, ${jsonPath(p)}) GLOB ?`;
  },
  isNull: (p) => `json_extract(doc, ${jsonPath(p)}) IS NULL`,
  param: (v, params) => {
    params.push(typeof v === 'boolean' ? Number(v) : v);
    return '?';
  },
};

function likeToGlob(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}

/** A projection batch waiting for the next combined write transaction (applyBatch). */
interface QueuedBatch {
  projection: string;
  expected: Checkpoint | null;
  next: Checkpoint;
  version: number;
  fn: (tx: ReadModelTx) => Promise<void>;
  resolve: (applied: boolean) => void;
  reject: (e: unknown) => void;
}

const LIVE = 'rm_';
/** Fresh tables of a rebuild, swapped in under the live names at the end. */
const SHADOW = 'rmnext_';

const table = (c: string, prefix = LIVE) => {
  if (!COLLECTION_NAME.test(c)) throw new EventStoreInputError(`invalid collection name ${c}`);
  return `${prefix}${c}`;
};

type Bind = (string | number | null)[];

class SqliteReader implements ReadModelReader {
  private cache = new Map<string, Database.Statement<Bind>>();

  constructor(
    protected db: () => Database.Database,
    protected prefix = LIVE,
  ) {}

  protected stmt(sql: string): Database.Statement<Bind> {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db().prepare<Bind>(sql);
      if (this.cache.size < 500) this.cache.set(sql, st);
    }
    return st;
  }

  async get<T>(collection: string, key: string): Promise<T | null> {
    const row = this.stmt(`SELECT doc FROM ${table(collection, this.prefix)} WHERE key = ?`).get(key) as
      { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as T) : null;
  }

  async entries<T>(collection: string): Promise<[string, T][]> {
    const rows = this.stmt(`SELECT key, doc FROM ${table(collection, this.prefix)} ORDER BY key`).all() as {
      key: string;
      doc: string;
    }[];
    return rows.map((r) => [r.key, JSON.parse(r.doc) as T]);
  }

  async find<T>(collection: string, options: FindOptions = {}): Promise<T[]> {
    const params: unknown[] = [];
    // Unary + leaves a value as it is but keeps SQLite from using an index for the term.
    const hint = options.index;
    const d: SqlDialect = hint
      ? {
          ...dialect,
          field: (p) => (p === hint ? dialect.field(p) : `+${dialect.field(p)}`),
          isNull: (p) => (p === hint ? dialect.isNull(p) : `+${dialect.field(p)} IS NULL`),
        }
      : dialect;
    let sql = `SELECT doc FROM ${table(collection, this.prefix)} WHERE ${buildWhereSql(options.where, d, params)}`;
    if (options.orderBy?.length) {
      sql += ` ORDER BY ${options.orderBy
        .map(([f, dir]) => {
          assertFieldPath(f);
          return `${d.field(f)} ${dir === 'desc' ? 'DESC' : 'ASC'}`;
        })
        .join(', ')}`;
    }
    if (options.limit !== undefined || options.offset !== undefined) {
      sql += ' LIMIT ? OFFSET ?';
      params.push(options.limit ?? -1, options.offset ?? 0);
    }
    const rows = this.stmt(sql).all(...(params as Bind)) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as T);
  }

  async count(collection: string, where?: Where): Promise<number> {
    const params: unknown[] = [];
    const sql = `SELECT count(*) AS n FROM ${table(collection, this.prefix)} WHERE ${buildWhereSql(where, dialect, params)}`;
    return (this.stmt(sql).get(...(params as Bind)) as { n: number }).n;
  }
}

class SqliteTx extends SqliteReader implements ReadModelTx {
  async put(collection: string, key: string, doc: object): Promise<void> {
    this.stmt(
      `INSERT INTO ${table(collection, this.prefix)} (key, doc) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET doc = excluded.doc`,
    ).run(key, JSON.stringify(doc));
  }

  async delete(collection: string, key: string): Promise<void> {
    this.stmt(`DELETE FROM ${table(collection, this.prefix)} WHERE key = ?`).run(key);
  }
}

/**
 * Read models beside the events in the SQLite file. Writes share the event store's writer connection
 * and lock (one writer per process); queries use a second connection, so they only ever see
 * committed read models, never a batch half-applied.
 */
export class SqliteReadModelStore implements ReadModelStore {
  private readDb: Database.Database;
  readonly reader: ReadModelReader;
  private tx: SqliteTx;

  constructor(
    private readonly events: SqliteConnection,
    private readonly ownsConnection = false,
  ) {
    const db = events.db;
    db.exec(CHECKPOINTS);
    this.readDb = events.path === ':memory:' ? db : new Database(events.path, { fileMustExist: true });
    this.readDb.pragma('busy_timeout = 5000');
    this.reader = new SqliteReader(() => this.readDb);
    this.tx = new SqliteTx(() => db);
    // Prepared once: every projection batch runs them (preparing them each time cost 3% of a busy hub).
    this.checkpointAt = db.prepare<[string], { position: string | null }>(
      'SELECT position FROM es_checkpoints WHERE projection = ?',
    );
    this.saveCheckpoint = db.prepare<[string, string, number, string]>(
      `INSERT INTO es_checkpoints (projection, position, version, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(projection) DO UPDATE SET position = excluded.position, version = excluded.version, updated_at = excluded.updated_at`,
    );
  }

  private readonly checkpointAt: Database.Statement<[string], { position: string | null }>;
  private readonly saveCheckpoint: Database.Statement<[string, string, number, string]>;

  async ensureCollections(defs: CollectionDef[]): Promise<void> {
    await this.events.writeLock.run(() => {
      const db = this.events.db;
      db.transaction(() => {
        for (const d of defs) {
          db.exec(`CREATE TABLE IF NOT EXISTS ${table(d.name)} (key TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
          this.createIndexes(d);
        }
      }).immediate();
    });
  }

  /**
   * Creates the indexes of a collection's live table, or of its rebuild table with `prefix` SHADOW.
   * Index names are global in SQLite and stay with a table when it is renamed, so each index has
   * two names, `rm_<c>__<field>` and `rmnext_<c>__<field>`: the rebuild table takes the one the
   * live table does not hold, and after the swap the live table holds that one. The live table
   * loses the indexes of fields no longer declared: every write paid for them.
   */
  private createIndexes(d: CollectionDef, prefix = LIVE) {
    const db = this.events.db;
    const live = table(d.name);
    const rows = db
      .prepare<[], { name: string; tbl_name: string }>(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'",
      )
      .all();
    const taken = new Set(rows.map((r) => r.name));
    const held = new Set(rows.filter((r) => r.tbl_name === live).map((r) => r.name));
    const declared = new Set<string>();
    for (const f of d.indexes ?? []) {
      assertFieldPath(f);
      const [a, b] = [LIVE, SHADOW].map((p) => `${table(d.name, p)}__${f.replace(/\./g, '_')}`);
      declared.add(a).add(b);
      if (prefix === LIVE && (held.has(a) || held.has(b))) continue;
      // A rebuild table left by a crash may still hold a name: take the free one.
      const name = taken.has(a) ? b : a;
      db.exec(`CREATE INDEX ${name} ON ${table(d.name, prefix)} (json_extract(doc, ${jsonPath(f)}))`);
      taken.add(name);
    }
    if (prefix !== LIVE) return;
    const ours = [LIVE, SHADOW].map((p) => `${table(d.name, p)}__`);
    for (const name of held)
      if (!declared.has(name) && ours.some((o) => name.startsWith(o)))
        db.exec(`DROP INDEX "${name.replace(/"/g, '""')}"`);
  }

  /**
   * Fills `rmnext_*` tables, indexed from the start, a batch per transaction — from a worker thread
   * when the database is a file (SqliteBulkWriter) — then in one write transaction catches up, drops
   * the live tables, renames the fresh ones in and moves the checkpoint. Readers on the other
   * connection see the old tables until that commit.
   */
  async rebuild(o: RebuildOptions): Promise<Checkpoint | null> {
    const db = this.events.db;
    await this.events.writeLock.run(() =>
      db
        .transaction(() => {
          for (const c of o.collections) {
            db.exec(`DROP TABLE IF EXISTS ${table(c.name, SHADOW)}`);
            db.exec(`CREATE TABLE ${table(c.name, SHADOW)} (key TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
            // Indexed from the start: the writer thread keeps them up to date beside the replay,
            // where building them at the swap held every writer of the hub for as long.
            this.createIndexes(c, SHADOW);
          }
        })
        .immediate(),
    );
    let cp: Checkpoint | null;
    try {
      cp = await this.fillShadow(o.fill);
    } catch (e) {
      // Nothing half-written stays behind (a crash leaves them to the next rebuild, which drops them).
      await this.dropShadow(o.collections).catch(() => {});
      throw e;
    }
    const shadow = new SqliteTx(() => db, SHADOW);
    return this.events.writeLock.run(async () => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const next = await o.finish(shadow, cp);
        for (const c of o.collections) {
          db.exec(`DROP TABLE IF EXISTS ${table(c.name)}`);
          db.exec(`ALTER TABLE ${table(c.name, SHADOW)} RENAME TO ${table(c.name)}`);
        }
        for (const p of o.projections) {
          if (next === null) db.prepare('DELETE FROM es_checkpoints WHERE projection = ?').run(p.name);
          else
            db.prepare(
              `INSERT INTO es_checkpoints (projection, position, version, updated_at) VALUES (?, ?, ?, ?)
               ON CONFLICT(projection) DO UPDATE SET position = excluded.position, version = excluded.version, updated_at = excluded.updated_at`,
            ).run(p.name, next, p.version, new Date().toISOString());
        }
        db.exec('COMMIT');
        return next;
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        try {
          this.dropShadowHeld(o.collections);
        } catch {
          // The next rebuild drops them.
        }
        throw e;
      }
    });
  }

  async fillShadow<T>(fill: ShadowFill<T>): Promise<T> {
    const db = this.events.db;
    const shadow = new SqliteTx(() => db, SHADOW);
    const shadowReader = new SqliteReader(() => db, SHADOW);
    // A file can be opened again from a worker thread; an in-memory database cannot.
    const writer =
      this.events.path === ':memory:'
        ? null
        : new SqliteBulkWriter(this.events.path, (c) => table(c, SHADOW));
    try {
      return await fill(
        (fn) =>
          this.events.writeLock.run(async () => {
            if (writer) {
              // The batch's writes go to the thread in one message.
              const tx = writer.batch(shadowReader);
              await fn(tx);
              await writer.write(tx);
              return;
            }
            db.exec('BEGIN IMMEDIATE');
            try {
              await fn(shadow);
              db.exec('COMMIT');
            } catch (e) {
              if (db.inTransaction) db.exec('ROLLBACK');
              throw e;
            }
          }),
        shadowReader,
      );
    } finally {
      await writer?.close();
    }
  }

  private dropShadow(collections: CollectionDef[]): Promise<void> {
    return this.events.writeLock.run(() => this.dropShadowHeld(collections));
  }

  /** dropShadow for a caller already holding the write lock. */
  private dropShadowHeld(collections: CollectionDef[]): void {
    const db = this.events.db;
    db.transaction(() => {
      for (const c of collections) db.exec(`DROP TABLE IF EXISTS ${table(c.name, SHADOW)}`);
    }).immediate();
  }

  async loadCheckpoint(projection: string): Promise<ProjectionCheckpoint | null> {
    const row = this.readDb
      .prepare<[string], { position: string | null; version: number }>(
        'SELECT position, version FROM es_checkpoints WHERE projection = ?',
      )
      .get(projection);
    return row ? { checkpoint: row.position, version: row.version } : null;
  }

  applyBatch(
    projection: string,
    expected: Checkpoint | null,
    next: Checkpoint,
    version: number,
    fn: (tx: ReadModelTx) => Promise<void>,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queued.push({ projection, expected, next, version, fn, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // After this turn's other wake-ups: every projection wakes on the same append.
        setImmediate(() => void this.drain());
      }
    });
  }

  private queued: QueuedBatch[] = [];
  private draining = false;

  /**
   * Projection batches that arrive together commit in one write transaction, each inside a savepoint
   * of its own, so one batch's failure or stale checkpoint undoes only that batch. Every projection
   * wakes on the same append; one transaction each cost a commit apiece (a sixth of a
   * createSideTag's CPU).
   */
  private async drain(): Promise<void> {
    const db = this.events.db;
    try {
      while (this.queued.length) {
        await this.events.writeLock.run(async () => {
          const round = this.queued.splice(0);
          const settle: (() => void)[] = [];
          // A read model and its checkpoint are derived and commit together, so this commit need not
          // wait for the disk: after a power loss both roll back to an earlier, consistent point and
          // the projection re-applies from the (FULL-synced) log. The next event append syncs the
          // WAL, and every read-model commit before it with it. Events keep synchronous=FULL.
          db.pragma('synchronous = NORMAL');
          try {
            db.exec('BEGIN IMMEDIATE');
            for (const b of round) {
              db.exec('SAVEPOINT batch');
              try {
                const cur = this.checkpointAt.get(b.projection);
                if ((cur?.position ?? null) !== b.expected) {
                  db.exec('ROLLBACK TO batch; RELEASE batch');
                  settle.push(() => b.resolve(false));
                  continue;
                }
                await b.fn(this.tx);
                this.saveCheckpoint.run(b.projection, b.next, b.version, new Date().toISOString());
                db.exec('RELEASE batch');
                settle.push(() => b.resolve(true));
              } catch (e) {
                // SQLite may have rolled the whole transaction back (disk full, I/O error): then
                // nothing of this round stays, and the batches before this one fail with it.
                if (!db.inTransaction) throw e;
                db.exec('ROLLBACK TO batch; RELEASE batch');
                settle.push(() => b.reject(e));
              }
            }
            db.exec('COMMIT');
          } catch (e) {
            if (db.inTransaction) db.exec('ROLLBACK');
            for (const b of round) b.reject(e);
            return;
          } finally {
            db.pragma('synchronous = FULL');
          }
          for (const s of settle) s();
        });
      }
    } finally {
      this.draining = false;
      if (this.queued.length) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    }
  }

  async reset(projection: string, collections: string[]): Promise<void> {
    const db = this.events.db;
    await this.events.writeLock.run(() =>
      db
        .transaction(() => {
          for (const c of collections) db.exec(`DELETE FROM ${table(c)}`);
          db.prepare('DELETE FROM es_checkpoints WHERE projection = ?').run(projection);
        })
        .immediate(),
    );
  }

  async tryLockProjection(): Promise<boolean> {
    return true;
  }

  async lockRebuilds(signal?: AbortSignal): Promise<() => Promise<void>> {
    const db = this.events.db;
    const holder = randomUUID();
    // Made by the first rebuild: a store that is never rebuilt has no such table.
    await this.events.writeLock.run(() => db.exec(REBUILD_LEASE));
    const take = () =>
      this.events.writeLock.run(() =>
        db
          .transaction(() => {
            const now = Date.now();
            const lease = db
              .prepare<[], { holder: string; expires_at: number }>(
                'SELECT holder, expires_at FROM es_rebuild_lease WHERE id = 1',
              )
              .get();
            if (lease && lease.holder !== holder && lease.expires_at > now) return false;
            db.prepare(
              `INSERT INTO es_rebuild_lease (id, holder, expires_at) VALUES (1, ?, ?)
               ON CONFLICT(id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
            ).run(holder, now + LEASE_MS);
            return true;
          })
          .immediate(),
      );
    while (!(await take())) await sleep(LEASE_POLL_MS, undefined, { signal });
    const renew = setInterval(() => void take().catch(() => {}), RENEW_MS);
    renew.unref();
    return async () => {
      clearInterval(renew);
      await this.events.writeLock.run(() =>
        db.prepare('DELETE FROM es_rebuild_lease WHERE id = 1 AND holder = ?').run(holder),
      );
    };
  }

  async unlockProjection(): Promise<void> {}

  async close(): Promise<void> {
    if (this.readDb !== this.events.db && this.readDb.open) this.readDb.close();
    const db = this.events.db;
    if (this.ownsConnection && db.open) await this.events.writeLock.run(() => db.close());
  }

  /** Read models in a SQLite file of their own, with the settings of the SQLite event store. */
  static open(path: string): SqliteReadModelStore {
    let db: Database.Database | undefined;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      return new SqliteReadModelStore({ db, writeLock: new Mutex(), path }, true);
    } catch (e) {
      db?.close();
      throw new EventStoreUnavailableError(
        `cannot open the read-model store ${path}: ${(e as Error).message}`,
      );
    }
  }
}
