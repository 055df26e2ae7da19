import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DELETED,
  type FindOptions,
  type ReadModelReader,
  type ReadModelTx,
  type Where,
} from './read-model.port.js';

/**
 * A table's writes for the worker: keys to delete, then the documents to upsert as one JSON object
 * text, key to document (SQLite's json_each splits it).
 */
interface TableWrites {
  table: string;
  deletes: string[];
  puts: string;
}

/** One write transaction for the worker. */
export interface BulkBatch {
  id: number;
  tables: TableWrites[];
}

export interface BulkReply {
  id: number;
  error?: string;
}

/** A table's pending writes; the last write of a key wins, so puts and deletes never share a key. */
interface Pending {
  table: string;
  /** No prototype: a key such as "__proto__" stays an ordinary property. */
  puts: Record<string, object>;
  deletes: Set<string>;
}

/**
 * A batch on its way to the writer thread. Its documents go as one JSON text per table, made by a
 * single JSON.stringify: a string per document (and before that a second write buffer) made the
 * replay thread serialize, copy and collect tens of thousands of short-lived strings a batch, and
 * the writer thread bind them one statement at a time. Queries wait for the batch to be written, as
 * with BufferedTx; gets see its writes.
 */
export class BulkTx implements ReadModelTx {
  private readonly tables = new Map<string, Pending>();
  private held = 0;

  constructor(
    private readonly reader: ReadModelReader,
    private readonly tableOf: (collection: string) => string,
  ) {}

  private pendingOf(collection: string): Pending {
    let t = this.tables.get(collection);
    if (!t) {
      const puts = Object.create(null) as Record<string, object>;
      this.tables.set(collection, (t = { table: this.tableOf(collection), puts, deletes: new Set() }));
    }
    return t;
  }

  put(collection: string, key: string, doc: object): Promise<void> {
    return this.writeTable(collection, new Map([[key, doc]]));
  }

  delete(collection: string, key: string): Promise<void> {
    return this.writeTable(collection, new Map([[key, DELETED]]));
  }

  /** BufferedTx's writes of a collection, whose keys are each written once. */
  async writeTable(collection: string, docs: ReadonlyMap<string, object | typeof DELETED>): Promise<void> {
    const t = this.pendingOf(collection);
    // The keys of `docs` differ, so only deletes held from before can name a key it puts.
    const hadDeletes = t.deletes.size > 0;
    for (const [k, v] of docs) {
      if (v === DELETED) {
        delete t.puts[k];
        t.deletes.add(k);
      } else {
        t.puts[k] = v;
        if (hadDeletes) t.deletes.delete(k);
      }
    }
    this.held += docs.size;
  }

  private readable(): ReadModelReader {
    if (this.held)
      throw new Error('a rebuild write batch can only get, put and delete; write it before querying');
    return this.reader;
  }

  async get<T>(collection: string, key: string): Promise<T | null> {
    const t = this.tables.get(collection);
    if (t && key in t.puts) return t.puts[key] as T;
    if (t?.deletes.has(key)) return null;
    return this.reader.get<T>(collection, key);
  }

  async find<T>(collection: string, options?: FindOptions): Promise<T[]> {
    return this.readable().find<T>(collection, options);
  }

  async count(collection: string, where?: Where): Promise<number> {
    return this.readable().count(collection, where);
  }

  async entries<T>(collection: string): Promise<[string, T][]> {
    return this.readable().entries<T>(collection);
  }

  /** The writer thread's message; the batch is empty afterwards. */
  take(id: number): BulkBatch {
    const batch: BulkBatch = { id, tables: [] };
    for (const t of this.tables.values())
      batch.tables.push({ table: t.table, deletes: [...t.deletes], puts: JSON.stringify(t.puts) });
    this.tables.clear();
    this.held = 0;
    return batch;
  }
}

/**
 * Writes a rebuild's fresh tables from a worker thread on its own connection to the same file. A
 * rebuild spent about a third of its time in SQLite inserting and committing; in the worker that
 * runs beside the replay instead of after it. The caller holds the store's write lock around each
 * `write`, so the hub's own writers wait for it as they would for any batch.
 */
export class SqliteBulkWriter {
  private worker: Worker;
  private next = 1;
  private waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(
    path: string,
    private readonly tableOf: (collection: string) => string,
  ) {
    this.worker = new Worker(join(__dirname, 'sqlite.bulk-writer.worker.js'), { workerData: { path } });
    this.worker.on('message', (r: BulkReply) => {
      const w = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      if (r.error) w?.reject(new Error(`rebuild write failed: ${r.error}`));
      else w?.resolve();
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`the rebuild writer thread stopped (exit ${code})`));
    });
  }

  /** A batch to fill and then `write`; `reader` reads the fresh tables. */
  batch(reader: ReadModelReader): BulkTx {
    return new BulkTx(reader, this.tableOf);
  }

  /** Writes the batch in one transaction; resolves once it is committed. */
  write(tx: BulkTx): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const batch = tx.take(this.next++);
    return new Promise((resolve, reject) => {
      this.waiting.set(batch.id, { resolve, reject });
      this.worker.postMessage(batch);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
