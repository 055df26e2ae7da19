import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DELETED, type Writes } from './buffered-tx.js';

/** One write transaction for the worker: per table, keys to delete, then documents to upsert. */
export interface BulkBatch {
  id: number;
  tables: { table: string; deletes: string[]; keys: string[]; docs: string[] }[];
}

export interface BulkReply {
  id: number;
  error?: string;
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

  constructor(path: string, tableOf: (collection: string) => string) {
    this.tableOf = tableOf;
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

  private readonly tableOf: (collection: string) => string;

  /** Writes one batch in one transaction; resolves once it is committed. */
  write(writes: Writes): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const batch: BulkBatch = { id: this.next++, tables: [] };
    for (const [collection, docs] of writes) {
      const t = {
        table: this.tableOf(collection),
        deletes: [] as string[],
        keys: [] as string[],
        docs: [] as string[],
      };
      for (const [k, v] of docs) {
        if (v === DELETED) t.deletes.push(k);
        else {
          t.keys.push(k);
          t.docs.push(JSON.stringify(v));
        }
      }
      batch.tables.push(t);
    }
    return new Promise((resolve, reject) => {
      this.waiting.set(batch.id, { resolve, reject });
      this.worker.postMessage(batch);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
