import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { EventStoreInputError, EventStoreUnavailableError } from './errors.js';
import type { Checkpoint } from './port.js';
import { describeConnectError, LOCK_CLASS } from './postgres.store.js';
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

/**
 * Runs `fn` in a transaction on a pooled client of its own. It commits when `keep` accepts what `fn`
 * returned (anything, by default) and rolls back otherwise or when `fn` throws. A client whose
 * rollback failed leaves the pool rather than reach the next caller inside a transaction.
 */
async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  keep: (value: T) => boolean = () => true,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const value = await fn(client);
    await client.query(keep(value) ? 'COMMIT' : 'ROLLBACK');
    return value;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw e;
  } finally {
    client.release(broken);
  }
}

/** The schema lock of postgres.store.ts: all DDL of one database is serialized on it. */
const SCHEMA_LOCK = 0;

/**
 * A field as jsonb with JSON null folded into SQL NULL, so "missing" and "null" are one case for
 * isNull and never compare as a value (jsonb orders null below every number otherwise). Paths are
 * identifiers only (FIELD_PATH), so inlining them is safe. Indexes use the very same expression.
 */
const field = (path: string) => `nullif(doc #> '{${path.split('.').join(',')}}', 'null'::jsonb)`;

/** The field's string value, compared in code-point order whatever the database collation is. */
const text = (path: string) => `(${field(path)} #>> '{}') COLLATE "C"`;

const dialect: SqlDialect = {
  field,
  like: (p, pattern, params) => {
    params.push(pattern);
    // ESCAPE '' because a backslash is an ordinary character in the reference semantics.
    return `(jsonb_typeof(${field(p)}) = 'string' AND ${text(p)} LIKE $${params.length} ESCAPE '')`;
  },
  isNull: (p) => `${field(p)} IS NULL`,
  param: (v, params, forField) => {
    params.push(forField ? JSON.stringify(v) : v);
    return forField ? `$${params.length}::jsonb` : `$${params.length}`;
  },
  // Like types only: jsonb would order a string below any number and compare strings in the
  // database's collation.
  compare: (p, op, v, params) => {
    if (typeof v === 'string') {
      params.push(v);
      return `(jsonb_typeof(${field(p)}) = 'string' AND ${text(p)} ${op} $${params.length})`;
    }
    params.push(JSON.stringify(v));
    return `(jsonb_typeof(${field(p)}) = 'number' AND ${field(p)} ${op} $${params.length}::jsonb)`;
  },
};

/** ORDER BY with the reference order: missing/null, then booleans, numbers, strings (code points). */
function orderTerms(path: string, dir: 'asc' | 'desc'): string {
  assertFieldPath(path);
  const f = field(path);
  const d = dir === 'desc' ? 'DESC' : 'ASC';
  return [
    `CASE jsonb_typeof(${f}) WHEN 'boolean' THEN 1 WHEN 'number' THEN 2 WHEN 'string' THEN 3 ELSE 0 END ${d}`,
    `CASE WHEN jsonb_typeof(${f}) IN ('boolean', 'number') THEN ${f} END ${d}`,
    `CASE WHEN jsonb_typeof(${f}) = 'string' THEN ${text(path)} END ${d}`,
  ].join(', ');
}

const LIVE = 'rm_';
/** Fresh tables of a rebuild, renamed to the live names at the end. */
const SHADOW = 'rmnext_';

const table = (c: string, prefix = LIVE) => {
  if (typeof c !== 'string' || !COLLECTION_NAME.test(c))
    throw new EventStoreInputError(`invalid collection name ${c}`);
  return `${prefix}${c}`;
};

/** Identifiers longer than 63 bytes are truncated by PostgreSQL, so long index names get a hash. */
function indexName(t: string, path: string): string {
  const plain = `${t}__${path.replace(/\./g, '_')}`;
  if (plain.length <= 63) return plain;
  return `${t.slice(0, 40)}__${createHash('sha1').update(path).digest('hex').slice(0, 16)}`;
}

/**
 * The database read models use: the PostgreSQL event store's (read models beside the events), or
 * one of their own (PostgresReadModelStore.open).
 */
export interface PgConnection {
  readonly pool: pg.Pool;
  /** For the session that holds projection locks. */
  readonly url: string;
  /** Resolves once the checkpoint table exists. */
  ready(): Promise<void>;
}

/** es_checkpoints as postgres.store.ts's schema creates it, for a database without the event table. */
const CHECKPOINTS = `CREATE TABLE IF NOT EXISTS es_checkpoints (
  projection text        PRIMARY KEY,
  position   text,
  version    int         NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

class OwnPgConnection implements PgConnection {
  readonly pool: pg.Pool;
  private schema: Promise<void> | null = null;

  constructor(readonly url: string) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      application_name: 'koji-es-read-models',
    });
    // A broken idle connection is dropped by the pool; unheard, its 'error' would end the process.
    this.pool.on('error', () => {});
  }

  ready(): Promise<void> {
    this.schema ??= (async () => {
      const client = await this.pool.connect();
      try {
        await client.query(
          `BEGIN; SET LOCAL client_min_messages = warning; SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${SCHEMA_LOCK}); ${CHECKPOINTS}; COMMIT;`,
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
}

type Exec = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<pg.QueryResult<R>>;

class PgReader implements ReadModelReader {
  constructor(
    protected exec: Exec,
    protected prefix = LIVE,
  ) {}

  async get<T>(collection: string, key: string): Promise<T | null> {
    const r = await this.exec<{ doc: T }>(
      `SELECT doc FROM ${table(collection, this.prefix)} WHERE key = $1`,
      [key],
    );
    return r.rows.length ? r.rows[0].doc : null;
  }

  async entries<T>(collection: string): Promise<[string, T][]> {
    const r = await this.exec<{ key: string; doc: T }>(
      `SELECT key, doc FROM ${table(collection, this.prefix)} ORDER BY key COLLATE "C"`,
      [],
    );
    return r.rows.map((row) => [row.key, row.doc]);
  }

  async find<T>(collection: string, options: FindOptions = {}): Promise<T[]> {
    const params: unknown[] = [];
    let sql = `SELECT doc FROM ${table(collection, this.prefix)} WHERE ${buildWhereSql(options.where, dialect, params)}`;
    if (options.orderBy?.length)
      sql += ` ORDER BY ${options.orderBy.map(([f, d]) => orderTerms(f, d)).join(', ')}`;
    if (options.limit !== undefined || options.offset !== undefined) {
      params.push(options.limit ?? null, options.offset ?? 0);
      sql += ` LIMIT $${params.length - 1} OFFSET $${params.length}`;
    }
    const r = await this.exec<{ doc: T }>(sql, params);
    return r.rows.map((row) => row.doc);
  }

  async count(collection: string, where?: Where): Promise<number> {
    const params: unknown[] = [];
    const sql = `SELECT count(*)::int AS n FROM ${table(collection, this.prefix)} WHERE ${buildWhereSql(where, dialect, params)}`;
    return (await this.exec<{ n: number }>(sql, params)).rows[0].n;
  }
}

/** COPY's text format escapes backslash, tab, newline and carriage return. */
const COPY_SPECIAL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyKey = (k: string) => k.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]);
/** JSON text holds no raw control character, so of those only the backslash. */
const copyJson = (json: string) => (json.includes('\\') ? json.replaceAll('\\', '\\\\') : json);

/** Characters of COPY text handed to the stream at a time. */
const COPY_CHUNK = 1 << 18;

class PgTx extends PgReader implements ReadModelTx {
  constructor(
    private readonly client: pg.ClientBase,
    prefix = LIVE,
  ) {
    super((sql, values) => client.query(sql, values), prefix);
  }

  async put(collection: string, key: string, doc: object): Promise<void> {
    await this.exec(
      `INSERT INTO ${table(collection, this.prefix)} (key, doc) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET doc = excluded.doc`,
      [key, JSON.stringify(doc)],
    );
  }

  async delete(collection: string, key: string): Promise<void> {
    await this.exec(`DELETE FROM ${table(collection, this.prefix)} WHERE key = $1`, [key]);
  }

  async putMany(collection: string, entries: [string, object][]): Promise<void> {
    // One statement per 5,000 documents (a round trip per document is what makes a rebuild slow),
    // sent as one JSON object: the server parses it once, where a jsonb[] parameter costs an array
    // literal parse plus a cast per element (2.3× slower on task documents).
    for (let i = 0; i < entries.length; i += 5000) {
      // No prototype: a key such as "__proto__" stays an ordinary property.
      const part: Record<string, object> = Object.create(null) as Record<string, object>;
      for (const [k, d] of entries.slice(i, i + 5000)) part[k] = d;
      await this.exec(
        `INSERT INTO ${table(collection, this.prefix)} (key, doc) SELECT key, value FROM jsonb_each($1::jsonb)
         ON CONFLICT (key) DO UPDATE SET doc = excluded.doc`,
        [JSON.stringify(part)],
      );
    }
  }

  async deleteMany(collection: string, keys: string[]): Promise<void> {
    if (keys.length)
      await this.exec(`DELETE FROM ${table(collection, this.prefix)} WHERE key = ANY($1::text[])`, [keys]);
  }

  /**
   * COPY: on 148,000 documents of the replay bench's read models it took the server 0.9 s of CPU
   * against 1.5 s for putMany's upsert, which parses each part into one jsonb object and then
   * copies every document out of it again.
   */
  async insertTable(collection: string, docs: ReadonlyMap<string, object>): Promise<void> {
    if (!docs.size) return;
    const copy = this.client.query(copyFrom(`COPY ${table(collection, this.prefix)} (key, doc) FROM STDIN`));
    const done = finished(copy);
    // Seen below; not an unhandled rejection while a drain is awaited.
    done.catch(() => {});
    try {
      let chunk = '';
      for (const [k, d] of docs) {
        chunk += `${copyKey(k)}\t${copyJson(JSON.stringify(d))}\n`;
        if (chunk.length < COPY_CHUNK) continue;
        if (!copy.write(chunk)) await once(copy, 'drain');
        chunk = '';
      }
      copy.end(chunk);
    } catch (e) {
      // A document JSON cannot write: the server is told to fail the COPY, and the batch rolls back.
      copy.destroy(e as Error);
      await done.catch(() => {});
      throw e;
    }
    await done;
  }
}

/** How often a rebuild waiting for another process's looks again. */
const REBUILD_POLL_MS = 200;

/**
 * Read models beside the events in PostgreSQL (DESIGN §4). A batch and its compare-and-set checkpoint
 * commit in one transaction on a client of their own; queries use other pooled connections, so they
 * see committed read models only. With several hubs on one database, each projection runs in the one
 * holding its session advisory lock.
 */
export class PostgresReadModelStore implements ReadModelStore {
  readonly reader: ReadModelReader;
  /** The session holding this store's projection locks; the locks live exactly as long as it does. */
  private lockSession: pg.Client | null = null;
  private held = new Set<string>();
  private lockQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly events: PgConnection,
    private readonly ownsConnection = false,
  ) {
    this.reader = new PgReader(async (sql, values) => {
      await events.ready();
      return events.pool.query(sql, values);
    });
  }

  async ensureCollections(defs: CollectionDef[]): Promise<void> {
    const ddl: string[] = [];
    const declared = new Set<string>();
    for (const d of defs) {
      const t = table(d.name);
      ddl.push(`CREATE TABLE IF NOT EXISTS ${t} (key text PRIMARY KEY, doc jsonb NOT NULL)`);
      for (const f of d.indexes ?? []) {
        assertFieldPath(f);
        // Unquoted, PostgreSQL folds the name to lower case.
        declared.add(indexName(t, f).toLowerCase());
        ddl.push(`CREATE INDEX IF NOT EXISTS ${indexName(t, f)} ON ${t} ((${field(f)}))`);
      }
    }
    await this.events.ready();
    const client = await this.events.pool.connect();
    try {
      // Two hubs starting at once would otherwise race on the catalog (duplicate key on pg_type).
      await client.query(
        `BEGIN; SET LOCAL client_min_messages = warning; SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${SCHEMA_LOCK}); ${ddl.join('; ')}`,
      );
      // Indexes of fields no longer declared go: every write paid for them. Ours are named
      // <table>__<field> (or a hash after the table's first 40 characters); the primary key is not.
      const tables = defs.map((d) => table(d.name));
      const held = await client.query<{ tablename: string; indexname: string }>(
        'SELECT tablename, indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY($1::text[])',
        [tables],
      );
      for (const r of held.rows) {
        const ours = [`${r.tablename}__`, `${r.tablename.slice(0, 40)}__`].some((p) =>
          r.indexname.startsWith(p),
        );
        if (ours && !declared.has(r.indexname))
          await client.query(`DROP INDEX ${client.escapeIdentifier(r.indexname)}`);
      }
      await client.query('COMMIT');
      client.release();
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      throw e;
    }
  }

  async loadCheckpoint(projection: string): Promise<ProjectionCheckpoint | null> {
    await this.events.ready();
    const r = await this.events.pool.query<{ position: string | null; version: number }>(
      'SELECT position, version FROM es_checkpoints WHERE projection = $1',
      [projection],
    );
    return r.rows.length ? { checkpoint: r.rows[0].position, version: r.rows[0].version } : null;
  }

  async applyBatch(
    projection: string,
    expected: Checkpoint | null,
    next: Checkpoint,
    version: number,
    fn: (tx: ReadModelTx) => Promise<void>,
  ): Promise<boolean> {
    await this.events.ready();
    return inTransaction(
      this.events.pool,
      async (client) => {
        // The row lock makes a second runner of the same projection wait here, then see our checkpoint.
        const cur = await client.query<{ position: string | null }>(
          'SELECT position FROM es_checkpoints WHERE projection = $1 FOR UPDATE',
          [projection],
        );
        if ((cur.rows[0]?.position ?? null) !== expected) return false;
        await fn(new PgTx(client));
        // Compare-and-set again in the write itself: with no row yet there was nothing to lock, and
        // two runners may both have seen "no checkpoint".
        const w =
          expected === null
            ? await client.query(
                `INSERT INTO es_checkpoints (projection, position, version, updated_at) VALUES ($1, $2, $3, now())
               ON CONFLICT (projection) DO UPDATE SET position = excluded.position, version = excluded.version,
                 updated_at = excluded.updated_at
               WHERE es_checkpoints.position IS NULL`,
                [projection, next, version],
              )
            : await client.query(
                `UPDATE es_checkpoints SET position = $2, version = $3, updated_at = now()
               WHERE projection = $1 AND position = $4`,
                [projection, next, version, expected],
              );
        return w.rowCount === 1;
      },
      (written) => written,
    );
  }

  /**
   * Fills `rmnext_*` tables a transaction per batch, then in one transaction — holding the
   * projection's checkpoint row, so a runner in any hub waits and then sees its compare-and-set fail —
   * catches up, drops the live tables, renames the fresh ones (and their indexes, built just before)
   * in and moves the checkpoint. Readers keep the old tables until that commit.
   */
  async rebuild(o: RebuildOptions): Promise<Checkpoint | null> {
    await this.events.ready();
    const ddl = o.collections
      .map(
        (c) =>
          `DROP TABLE IF EXISTS ${table(c.name, SHADOW)}; CREATE TABLE ${table(c.name, SHADOW)} (key text PRIMARY KEY, doc jsonb NOT NULL)`,
      )
      .join('; ');
    await this.events.pool.query(`SET client_min_messages = warning; ${ddl}`);
    try {
      return await this.fillAndSwap(o);
    } catch (e) {
      // Nothing half-written stays behind (a crash leaves them to the next rebuild, which drops them).
      await this.events.pool
        .query(
          `SET client_min_messages = warning; ${o.collections.map((c) => `DROP TABLE IF EXISTS ${table(c.name, SHADOW)}`).join('; ')}`,
        )
        .catch(() => {});
      throw e;
    }
  }

  async fillShadow<T>(fill: ShadowFill<T>): Promise<T> {
    await this.events.ready();
    return fill(
      (fn) => inTransaction(this.events.pool, (client) => fn(new PgTx(client, SHADOW))),
      new PgReader(async (sql, values) => this.events.pool.query(sql, values), SHADOW),
    );
  }

  private async fillAndSwap(o: RebuildOptions): Promise<Checkpoint | null> {
    const cp = await this.fillShadow(o.fill);
    await this.indexShadow(o.collections);
    return inTransaction(this.events.pool, async (client) => {
      for (const p of o.projections)
        await client.query(
          `INSERT INTO es_checkpoints (projection, position, version, updated_at) VALUES ($1, NULL, $2, now()) ON CONFLICT (projection) DO NOTHING`,
          [p.name, p.version],
        );
      await client.query(
        'SELECT position FROM es_checkpoints WHERE projection = ANY($1::text[]) ORDER BY projection FOR UPDATE',
        [o.projections.map((p) => p.name)],
      );
      const next = await o.finish(new PgTx(client, SHADOW), cp);
      for (const c of o.collections) {
        const t = table(c.name);
        await client.query(`DROP TABLE IF EXISTS ${t}`);
        await client.query(`ALTER TABLE ${table(c.name, SHADOW)} RENAME TO ${t}`);
        await client.query(`ALTER INDEX ${table(c.name, SHADOW)}_pkey RENAME TO ${t}_pkey`);
        for (const f of c.indexes ?? [])
          await client.query(
            `ALTER INDEX ${indexName(table(c.name, SHADOW), f)} RENAME TO ${indexName(t, f)}`,
          );
      }
      for (const p of o.projections)
        await client.query(
          'UPDATE es_checkpoints SET position = $2, version = $3, updated_at = now() WHERE projection = $1',
          [p.name, next, p.version],
        );
      return next;
    });
  }

  /**
   * Indexes the filled rebuild tables before the swap, two builds at a time on pooled connections:
   * built inside the swap they held the checkpoint rows (and every runner) for as long, one by one.
   * Building them from the start instead made every insert of the fill slower than the builds.
   */
  private async indexShadow(collections: CollectionDef[]): Promise<void> {
    const builds = collections.flatMap((c) =>
      (c.indexes ?? []).map((f) => {
        assertFieldPath(f);
        const t = table(c.name, SHADOW);
        return `CREATE INDEX ${indexName(t, f)} ON ${t} ((${field(f)}))`;
      }),
    );
    const next = async (): Promise<void> => {
      const sql = builds.shift();
      if (sql === undefined) return;
      await this.events.pool.query(sql);
      return next();
    };
    await Promise.all([next(), next()]);
  }

  async reset(projection: string, collections: string[]): Promise<void> {
    const tables = collections.map((c) => table(c));
    await this.events.ready();
    await inTransaction(this.events.pool, async (client) => {
      for (const t of tables) await client.query(`DELETE FROM ${t}`);
      await client.query('DELETE FROM es_checkpoints WHERE projection = $1', [projection]);
    });
  }

  tryLockProjection(projection: string): Promise<boolean> {
    return this.serialized(async () => {
      if (this.held.has(projection)) return true;
      const session = await this.session();
      const r = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
        LOCK_CLASS,
        `projection:${projection}`,
      ]);
      if (r.rows[0].ok) this.held.add(projection);
      return r.rows[0].ok;
    });
  }

  async lockRebuilds(signal?: AbortSignal): Promise<() => Promise<void>> {
    const key = [LOCK_CLASS, 'rebuild'];
    for (;;) {
      const ok = await this.serialized(async () => {
        const r = await (
          await this.session()
        ).query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', key);
        return r.rows[0].ok;
      });
      if (ok) break;
      // Polled rather than waited for in the server, so that stopping the hub stops the wait.
      await sleep(REBUILD_POLL_MS, undefined, { signal });
    }
    return () =>
      this.serialized(async () => {
        await this.lockSession?.query('SELECT pg_advisory_unlock($1, hashtext($2))', key);
      });
  }

  unlockProjection(projection: string): Promise<void> {
    return this.serialized(async () => {
      if (!this.held.delete(projection) || !this.lockSession) return;
      await this.lockSession.query('SELECT pg_advisory_unlock($1, hashtext($2))', [
        LOCK_CLASS,
        `projection:${projection}`,
      ]);
    });
  }

  async close(): Promise<void> {
    await this.serialized(async () => {
      const s = this.lockSession;
      this.lockSession = null;
      this.held.clear();
      // Ending the session releases every lock it holds.
      await s?.end().catch(() => {});
    });
    if (this.ownsConnection) await this.events.pool.end().catch(() => {});
  }

  /**
   * Read models in a database of their own (the events live elsewhere, e.g. KurrentDB): only the
   * checkpoint table and the `rm_` tables. Fails fast with one line when the database cannot be
   * reached.
   */
  static async open(url: string): Promise<PostgresReadModelStore> {
    const connection = new OwnPgConnection(url);
    try {
      await connection.ready();
    } catch (e) {
      await connection.pool.end().catch(() => {});
      throw new EventStoreUnavailableError(`read-model store: ${describeConnectError(e, url)}`);
    }
    return new PostgresReadModelStore(connection, true);
  }

  /** Lock calls run one at a time: a lock taken and an unlock racing on one session would misorder. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lockQueue.then(fn, fn);
    this.lockQueue = run.catch(() => {});
    return run;
  }

  private async session(): Promise<pg.Client> {
    if (this.lockSession) return this.lockSession;
    const c = new pg.Client({
      connectionString: this.events.url,
      connectionTimeoutMillis: 5000,
      application_name: 'koji-es-locks',
    });
    c.on('error', () => {
      // The server ended the session, and with it our locks: forget them, so the next tryLock asks
      // again instead of trusting a lock nobody holds any more.
      if (this.lockSession === c) {
        this.lockSession = null;
        this.held.clear();
      }
    });
    await c.connect();
    this.lockSession = c;
    return c;
  }
}
