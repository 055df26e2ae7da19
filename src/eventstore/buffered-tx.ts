import type { RecordedEvent } from './port.js';
import type { Projection, ProjectionTx } from './projection.js';
import { DELETED, type ReadModelReader, type ReadModelTx } from './read-model.port.js';

export interface BufferOptions {
  /**
   * The tables started empty (a rebuild's fresh tables): a document never written through this
   * buffer does not exist, so a miss needs no database read at all.
   */
  emptyBase?: boolean;
}

/** A get found a document that is only in the database: the buffer loads it and applies the event again. */
class NotLoaded {
  constructor(
    readonly collection: string,
    readonly key: string,
  ) {}
}

type Table = Map<string, object | typeof DELETED>;

/**
 * A write-back layer for projections: puts and deletes stay in memory (a document updated by three
 * events is written once) and go to the database in bulk at `flush`. Gets see the pending writes.
 * Per-event round trips are what make a projection batch, and above all a rebuild, slow.
 *
 * Projections apply events synchronously through it (`apply`). A get of a document this buffer has
 * not seen undoes the event's writes so far, loads the document, and applies the event again. An
 * async apply cost an async call and an await per read and write, which was a fifth of a rebuild's
 * replay thread; most events read only what the buffer holds.
 */
export class BufferedTx implements ProjectionTx {
  private pending: Writes = new Map();
  /**
   * With emptyBase: the documents of the last detached batch, which may still be on their way to
   * the database (write-behind), so a get must not look for them there.
   */
  private recent: Writes = new Map();
  /** With emptyBase: the keys already detached, per collection — the only ones a miss must look up. */
  private written = new Map<string, Set<string>>();
  /** Documents read from the database since the last detach (null: not there). */
  private loaded = new Map<string, Map<string, object | null>>();
  private count_ = 0;
  /** While an event applies: the previous value of each pending entry it set (flat triples). */
  private undo: (Table | string | object | typeof DELETED | undefined)[] = [];
  private recording = false;

  constructor(
    private readonly reader: ReadModelReader,
    private readonly opts: BufferOptions = {},
  ) {}

  /** Documents waiting to be flushed. */
  get size(): number {
    return this.count_;
  }

  private table(collection: string): Table {
    let t = this.pending.get(collection);
    if (!t) {
      t = new Map();
      this.pending.set(collection, t);
    }
    return t;
  }

  get<T>(collection: string, key: string): T | null {
    // Projections never change a document they got; they build a new one (spread) and put it.
    const v = this.pending.get(collection)?.get(key) ?? this.recent.get(collection)?.get(key);
    if (v !== undefined) return v === DELETED ? null : (v as T);
    if (this.opts.emptyBase && !this.written.get(collection)?.has(key)) return null;
    const l = this.loaded.get(collection);
    if (l?.has(key)) return l.get(key) as T | null;
    throw new NotLoaded(collection, key);
  }

  private set(collection: string, key: string, v: object | typeof DELETED) {
    const t = this.table(collection);
    const before = t.get(key);
    if (before === undefined) this.count_++;
    if (this.recording) this.undo.push(t, key, before);
    t.set(key, v);
  }

  put(collection: string, key: string, doc: object): void {
    this.set(collection, key, doc);
  }

  delete(collection: string, key: string): void {
    this.set(collection, key, DELETED);
  }

  /** Puts every pending entry the event set back as it was. */
  private rollback(): void {
    const u = this.undo;
    for (let i = u.length - 3; i >= 0; i -= 3) {
      const t = u[i] as Table;
      const before = u[i + 2] as object | typeof DELETED | undefined;
      if (before === undefined) {
        t.delete(u[i + 1] as string);
        this.count_--;
      } else t.set(u[i + 1] as string, before);
    }
  }

  /**
   * Applies one event: synchronously when the buffer holds every document it reads (the usual case
   * in a rebuild), else again after loading each one it missed.
   */
  apply(projection: Projection, event: RecordedEvent): void | Promise<void> {
    const missed = this.attempt(projection, event);
    if (missed) return this.applyLoading(projection, event, missed);
  }

  private async applyLoading(projection: Projection, event: RecordedEvent, first: NotLoaded): Promise<void> {
    for (let missed: NotLoaded | null = first; missed; missed = this.attempt(projection, event)) {
      let l = this.loaded.get(missed.collection);
      if (!l) this.loaded.set(missed.collection, (l = new Map()));
      l.set(missed.key, await this.reader.get<object>(missed.collection, missed.key));
    }
  }

  private attempt(projection: Projection, event: RecordedEvent): NotLoaded | null {
    this.recording = true;
    try {
      projection.apply(event, this);
      return null;
    } catch (e) {
      this.rollback();
      if (e instanceof NotLoaded) return e;
      throw e;
    } finally {
      this.recording = false;
      this.undo.length = 0;
    }
  }

  /**
   * Takes everything pending out, to be written by `writePending` — now or, for a rebuild's fresh
   * tables, behind the replay (the buffer keeps answering gets for them until the next detach, by
   * which time the caller has waited for that write). Over fresh tables it also names the keys an
   * earlier batch wrote: the tables hold no other, so the rest can be inserted.
   */
  detach(): Batch {
    const out = this.pending;
    const batch: Batch = { writes: out };
    if (this.opts.emptyBase) {
      batch.written = new Map();
      for (const [collection, t] of out) {
        let written = this.written.get(collection);
        if (!written) this.written.set(collection, (written = new Set()));
        const before = new Set<string>();
        for (const [k, v] of t) {
          if (written.has(k)) before.add(k);
          else if (v !== DELETED) written.add(k);
        }
        batch.written.set(collection, before);
      }
      this.recent = out;
    }
    this.pending = new Map();
    // What was read may be older than what is now written or on its way.
    this.loaded.clear();
    this.count_ = 0;
    return batch;
  }

  /** Writes everything pending through `tx`, in bulk where the adapter can. */
  flush(tx: ReadModelTx): Promise<void> {
    return writePending(tx, this.detach());
  }
}

/** A projection's batch inside `tx`: every event applied through one buffer, written at the end. */
export async function applyEvents(
  tx: ReadModelTx,
  projection: Projection,
  events: Iterable<RecordedEvent>,
): Promise<void> {
  const buffered = new BufferedTx(tx);
  for (const e of events) await buffered.apply(projection, e);
  await buffered.flush(tx);
}

/** Documents to write, per collection; DELETED marks a delete. */
export type Writes = Map<string, Map<string, object | typeof DELETED>>;

/** A detached batch. */
export interface Batch {
  writes: Writes;
  /**
   * Over fresh tables: per collection, the keys of `writes` that an earlier batch wrote. The table
   * holds no other key, so the others' documents can be inserted and their deletes skipped.
   */
  written?: Map<string, Set<string>>;
}

export async function writePending(tx: ReadModelTx, batch: Batch): Promise<void> {
  for (const [collection, t] of batch.writes) {
    const before = batch.written?.get(collection);
    if (!before || !tx.insertTable) {
      await writeTable(tx, collection, t);
      continue;
    }
    const inserts = new Map<string, object>();
    const rest: Table = new Map();
    for (const [k, v] of t) {
      if (before.has(k)) rest.set(k, v);
      else if (v !== DELETED) inserts.set(k, v);
    }
    if (inserts.size) await tx.insertTable(collection, inserts);
    if (rest.size) await writeTable(tx, collection, rest);
  }
}

async function writeTable(
  tx: ReadModelTx,
  collection: string,
  t: ReadonlyMap<string, object | typeof DELETED>,
): Promise<void> {
  if (tx.writeTable) return tx.writeTable(collection, t);
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
