import type { Checkpoint } from './port.js';

/**
 * Read models live in the same database as the events (DESIGN §4): collections of JSON documents
 * keyed by a string, with declared fields indexed. A projection changes its documents and its
 * checkpoint in one transaction, so a restart resumes without replaying.
 */

export interface CollectionDef {
  /** Lower-case letters, digits and underscores; the table is `rm_<name>`. */
  name: string;
  /**
   * Dotted field paths that queries filter on, one index each. Every write keeps each of them up to
   * date (most of a rebuild's writing), so a field only sorted by, or always narrowed by another
   * index first, gets none; the stores drop the index of a field taken off this list.
   */
  indexes?: string[];
}

export type Scalar = string | number | boolean | null;

export type FieldCondition =
  | Scalar
  | { $in: Scalar[] }
  | { $ne: Scalar }
  | { $gt: number | string }
  | { $gte: number | string }
  | { $lt: number | string }
  | { $lte: number | string }
  | { $like: string }
  | { $exists: boolean };

export type Where = Record<string, FieldCondition>;

export interface FindOptions {
  where?: Where;
  orderBy?: [field: string, direction: 'asc' | 'desc'][];
  limit?: number;
  offset?: number;
  /**
   * The indexed field that narrows this query most (for example `state` for a host's OPEN tasks,
   * `tag_id` for a tag's repos). SQLite keeps no statistics and may drive the query by another
   * indexed field of the where, reading every row that field matches (every task the host ever
   * ran); given this, it uses no other index. PostgreSQL's planner has statistics and ignores it.
   */
  index?: string;
}

export interface ReadModelReader {
  get<T>(collection: string, key: string): Promise<T | null>;
  /** Every document with its key, in key order (audit verify compares collections with it). */
  entries<T>(collection: string): Promise<[string, T][]>;
  find<T>(collection: string, options?: FindOptions): Promise<T[]>;
  count(collection: string, where?: Where): Promise<number>;
}

/** Marks a key to delete among the documents of ReadModelTx.writeTable. */
export const DELETED = Symbol('deleted');

export interface ReadModelTx extends ReadModelReader {
  put(collection: string, key: string, doc: object): Promise<void>;
  delete(collection: string, key: string): Promise<void>;
  /**
   * Many writes in as few statements as the database allows (BufferedTx flushes through these
   * where the adapter has no writeTable).
   */
  putMany?(collection: string, entries: [string, object][]): Promise<void>;
  deleteMany?(collection: string, keys: string[]): Promise<void>;
  /** A collection's writes as BufferedTx holds them (a rebuild's writer takes them whole). */
  writeTable?(collection: string, docs: ReadonlyMap<string, object | typeof DELETED>): Promise<void>;
  /**
   * Documents whose keys the table is known not to hold (a rebuild's fresh tables): inserted with no
   * conflict handling, which PostgreSQL does with COPY. A key it does hold is an error.
   */
  insertTable?(collection: string, docs: ReadonlyMap<string, object>): Promise<void>;
}

export interface ProjectionCheckpoint {
  checkpoint: Checkpoint | null;
  /** The projection's version when the checkpoint was written; a different version forces a rebuild. */
  version: number;
}

export interface ReadModelStore {
  readonly reader: ReadModelReader;
  ensureCollections(defs: CollectionDef[]): Promise<void>;
  loadCheckpoint(projection: string): Promise<ProjectionCheckpoint | null>;
  /**
   * Runs `fn` and then moves the projection's checkpoint from `expected` to `next`, all in one
   * transaction. Returns false (and changes nothing) when another runner moved the checkpoint first.
   */
  applyBatch(
    projection: string,
    expected: Checkpoint | null,
    next: Checkpoint,
    version: number,
    fn: (tx: ReadModelTx) => Promise<void>,
  ): Promise<boolean>;
  /**
   * Rebuilds projections into fresh tables while the live ones keep answering, then swaps them all
   * in atomically, each projection's checkpoint set to the one `finish` reached. Returns it.
   */
  rebuild(o: RebuildOptions): Promise<Checkpoint | null>;
  /**
   * Writes into the fresh tables of a rebuild under way on this database, begun by `rebuild` on
   * another store object — another thread's, which fills some of the collections beside it.
   */
  fillShadow<T>(fill: ShadowFill<T>): Promise<T>;
  /** Empties the collections and forgets the checkpoint (a rebuild from zero). */
  reset(projection: string, collections: string[]): Promise<void>;
  /**
   * True when this process may run the projection. PostgreSQL: a session advisory lock, so with
   * many hubs each projection runs in one of them; SQLite and memory: always true.
   */
  tryLockProjection(projection: string): Promise<boolean>;
  unlockProjection(projection: string): Promise<void>;
  /**
   * Holds off rebuilds of this database begun by other processes (they share the fresh tables)
   * until the returned release; waits, or stops with the signal, while one runs elsewhere.
   * PostgreSQL: a session advisory lock; SQLite: a lease its holder renews while it runs, so one that
   * dies lets go within a minute. Left out by the in-memory store, which no other process reaches.
   */
  lockRebuilds?(signal?: AbortSignal): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,50}$/;
export const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export interface RebuildOptions {
  /** The projections rebuilt together (one log scan feeds them all), with their versions. */
  projections: { name: string; version: number }[];
  /** Every collection of those projections. */
  collections: CollectionDef[];
  /** Replays the log into the fresh tables; returns how far it got. */
  fill: ShadowFill<Checkpoint | null>;
  /** Inside the swap's own transaction: applies what was appended since `from`; returns the new checkpoint. */
  finish(tx: ReadModelTx, from: Checkpoint | null): Promise<Checkpoint | null>;
}

/**
 * Replays the log into a rebuild's fresh tables, a transaction per `batch`; `shadow` reads them
 * outside a batch.
 */
export type ShadowFill<T> = (
  batch: (fn: (tx: ReadModelTx) => Promise<void>) => Promise<void>,
  shadow: ReadModelReader,
) => Promise<T>;
