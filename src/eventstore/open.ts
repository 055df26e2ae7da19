import { MemoryReadModelStore } from './memory.read-model.js';
import { MemoryEventStore } from './memory.store.js';
import type { WriteLock } from './mutex.js';
import type { EventStore } from './port.js';
import type { ReadModelStore } from './read-model.port.js';
import { SqliteReadModelStore } from './sqlite.read-model.js';
import { SqliteEventStore } from './sqlite.store.js';
import { parseStoreUrl, type StoreUrl } from './store-url.js';

/** An event store and its read-model store (in the same database, except beside KurrentDB). */
export interface StoreBackend {
  readonly url: StoreUrl;
  readonly events: EventStore;
  readonly readModels: ReadModelStore;
  close(): Promise<void>;
}

export interface OpenOptions {
  clock?: () => Date;
  /**
   * KurrentDB: refuse a server without multi-stream appends (before 25.1). Default true: the hub's
   * commands need them; a reader of the log alone may pass false.
   */
  requireMultiStreamAppends?: boolean;
  /** SQLite: the lock its writes take turns under (SqliteOptions.writeLock). */
  writeLock?: WriteLock;
}

export async function openBackend(url: string | StoreUrl, opts: OpenOptions = {}): Promise<StoreBackend> {
  const parsed = typeof url === 'string' ? parseStoreUrl(url) : url;
  switch (parsed.kind) {
    case 'memory': {
      const events = new MemoryEventStore(opts.clock);
      const readModels = new MemoryReadModelStore();
      return { url: parsed, events, readModels, close: () => events.close() };
    }
    case 'sqlite': {
      const events = new SqliteEventStore(parsed.path, { clock: opts.clock, writeLock: opts.writeLock });
      const readModels = new SqliteReadModelStore(events);
      return {
        url: parsed,
        events,
        readModels,
        close: async () => {
          await readModels.close();
          await events.close();
        },
      };
    }
    case 'postgres': {
      const { openPostgresBackend } = await import('./postgres.backend.js');
      return openPostgresBackend(parsed, opts);
    }
    case 'kurrentdb': {
      // Loaded only here: the gRPC client is not needed by the SQL stores.
      const { openKurrentDbBackend } = await import('./kurrentdb.backend.js');
      return openKurrentDbBackend(parsed, opts);
    }
  }
}
