import type { FindOptions, ReadModelReader, ReadModelTx, Where } from './read-model.port.js';

export const DELETED = Symbol('deleted');

export interface BufferOptions {
  /**
   * The tables started empty (a rebuild's fresh tables): a document never written through this
   * buffer does not exist, so a miss needs no database read at all.
   */
  emptyBase?: boolean;
}

/**
 * A write-back layer for projections: puts and deletes stay in memory (a document updated by three
 * events is written once) and go to the database in bulk at `flush`. Gets see the pending writes; a
 * query (find, count, entries) flushes first so it sees them too. Per-event round trips are what
 * make a projection batch, and above all a rebuild, slow.
 */
export class BufferedTx implements ReadModelTx {
  private pending: Writes = new Map();
  /**
   * With emptyBase: the documents of the last detached batch, which may still be on their way to
   * the database (write-behind), so a get must not look for them there.
   */
  private recent: Writes = new Map();
  /** With emptyBase: the keys already detached, per collection — the only ones a miss must look up. */
  private written = new Map<string, Set<string>>();
  private count_ = 0;

  constructor(
    private readonly reader: ReadModelReader,
    private readonly opts: BufferOptions = {},
  ) {}

  /** Documents waiting to be flushed. */
  get size(): number {
    return this.count_;
  }

  private table(collection: string) {
    let t = this.pending.get(collection);
    if (!t) {
      t = new Map();
      this.pending.set(collection, t);
    }
    return t;
  }

  async get<T>(collection: string, key: string): Promise<T | null> {
    // Projections never change a document they got; they build a new one (spread) and put it.
    const v = this.pending.get(collection)?.get(key) ?? this.recent.get(collection)?.get(key);
    if (v !== undefined) return v === DELETED ? null : (v as T);
    if (this.opts.emptyBase && !this.written.get(collection)?.has(key)) return null;
    return this.reader.get<T>(collection, key);
  }

  private set(collection: string, key: string, v: object | typeof DELETED) {
    const t = this.table(collection);
    if (!t.has(key)) this.count_++;
    t.set(key, v);
  }

  async put(collection: string, key: string, doc: object): Promise<void> {
    this.set(collection, key, doc);
  }

  async delete(collection: string, key: string): Promise<void> {
    this.set(collection, key, DELETED);
  }

  private unsupported(): never {
    throw new Error('a buffered projection batch can only get, put and delete; flush before querying');
  }

  async find<T>(collection: string, options?: FindOptions): Promise<T[]> {
    if (this.count_) this.unsupported();
    return this.reader.find<T>(collection, options);
  }

  async count(collection: string, where?: Where): Promise<number> {
    if (this.count_) this.unsupported();
    return this.reader.count(collection, where);
  }

  async entries<T>(collection: string): Promise<[string, T][]> {
    if (this.count_) this.unsupported();
    return this.reader.entries<T>(collection);
  }

  /**
   * Takes everything pending out, to be written by `writePending` — now or, for a rebuild's fresh
   * tables, behind the replay (the buffer keeps answering gets for them until the next detach, by
   * which time the caller has waited for that write).
   */
  detach(): Writes {
    const out = this.pending;
    if (this.opts.emptyBase) {
      for (const [collection, t] of out) {
        let written = this.written.get(collection);
        if (!written) this.written.set(collection, (written = new Set()));
        for (const k of t.keys()) written.add(k);
      }
      this.recent = out;
    }
    this.pending = new Map();
    this.count_ = 0;
    return out;
  }

  /** Writes everything pending through `tx`, in bulk where the adapter can. */
  flush(tx: ReadModelTx): Promise<void> {
    return writePending(tx, this.detach());
  }
}

/** Documents to write, per collection; DELETED marks a delete. */
export type Writes = Map<string, Map<string, object | typeof DELETED>>;

export async function writePending(tx: ReadModelTx, writes: Writes): Promise<void> {
  for (const [collection, t] of writes) {
    const puts: [string, object][] = [];
    const deletes: string[] = [];
    for (const [k, v] of t) {
      if (v === DELETED) deletes.push(k);
      else puts.push([k, v]);
    }
    if (deletes.length) {
      if (tx.deleteMany) await tx.deleteMany(collection, deletes);
      else for (const k of deletes) await tx.delete(collection, k);
    }
    if (puts.length) {
      if (tx.putMany) await tx.putMany(collection, puts);
      else for (const [k, d] of puts) await tx.put(collection, k, d);
    }
  }
}
