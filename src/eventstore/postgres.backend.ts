import type { OpenOptions, StoreBackend } from './open.js';
import { PostgresReadModelStore } from './postgres.read-model.js';
import { PostgresEventStore } from './postgres.store.js';

/**
 * Opens the PostgreSQL backend and fails fast: an unreachable server, bad credentials or a missing
 * database reject with an EventStoreUnavailableError of one line, the password redacted.
 */
export async function openPostgresBackend(
  url: { kind: 'postgres'; url: string },
  opts: OpenOptions,
): Promise<StoreBackend> {
  const events = new PostgresEventStore(url.url, { clock: opts.clock });
  try {
    await events.open();
  } catch (e) {
    await events.close().catch(() => {});
    throw e;
  }
  const readModels = new PostgresReadModelStore(events);
  return {
    url,
    events,
    readModels,
    close: async () => {
      await readModels.close();
      await events.close();
    },
  };
}
