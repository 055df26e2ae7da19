import { EventStoreUnavailableError } from './errors.js';
import { KurrentDbEventStore } from './kurrentdb.store.js';
import { multiStreamUnsupportedMessage } from './kurrentdb.translate.js';
import { MemoryReadModelStore } from './memory.read-model.js';
import type { OpenOptions, StoreBackend } from './open.js';
import type { ReadModelStore } from './read-model.port.js';
import { parseReadStoreUrl, StoreUrlError, type KurrentDbStoreUrl, type ReadStoreUrl } from './store-url.js';

/** Where read models go when the URL does not say (`openBackend('kurrentdb://…')` outside the hub). */
export const READ_STORE_ENV = 'KOJI_ES_READ_STORE';

/**
 * Opens the KurrentDB backend and fails fast, one line each: a URL the client rejects, a server that
 * cannot be reached or refuses us, a server without multi-stream appends (before 25.1, unless the
 * caller asks for reading only), a read-model database that cannot be opened.
 */
export async function openKurrentDbBackend(url: KurrentDbStoreUrl, opts: OpenOptions): Promise<StoreBackend> {
  const readStore = url.readStore ?? readStoreFromEnv();
  const events = new KurrentDbEventStore(url.url, { clock: opts.clock, streamPrefix: url.streamPrefix });
  try {
    const server = await events.open();
    if (!server.multiStreamAppend && opts.requireMultiStreamAppends !== false)
      throw new EventStoreUnavailableError(multiStreamUnsupportedMessage(server.version, url.url));
  } catch (e) {
    await events.close();
    throw e;
  }
  let readModels: ReadModelStore;
  try {
    readModels = await openReadStore(readStore);
  } catch (e) {
    await events.close();
    throw e;
  }
  return {
    url: { ...url, readStore },
    events,
    readModels,
    close: async () => {
      await readModels.close();
      await events.close();
    },
  };
}

function readStoreFromEnv(): ReadStoreUrl {
  const text = process.env[READ_STORE_ENV];
  if (!text)
    throw new EventStoreUnavailableError(
      `a KurrentDB event store keeps read models and checkpoints in a SQL database: name it with --read-store sqlite:PATH or postgres://… (or ${READ_STORE_ENV})`,
    );
  try {
    return parseReadStoreUrl(text);
  } catch (e) {
    if (e instanceof StoreUrlError) throw new EventStoreUnavailableError(`${READ_STORE_ENV}: ${e.message}`);
    throw e;
  }
}

/** Read models on a connection of their own: there is no event table in that database. */
export async function openReadStore(u: ReadStoreUrl): Promise<ReadModelStore> {
  switch (u.kind) {
    case 'memory':
      return new MemoryReadModelStore();
    case 'sqlite': {
      const { SqliteReadModelStore } = await import('./sqlite.read-model.js');
      return SqliteReadModelStore.open(u.path);
    }
    case 'postgres': {
      const { PostgresReadModelStore } = await import('./postgres.read-model.js');
      return PostgresReadModelStore.open(u.url);
    }
  }
}
