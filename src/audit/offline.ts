// The audit commands against a store opened directly (`--store URL`, for a stopped hub). Plain
// code: the CLI loads this file lazily and it never pulls NestJS in.
import { statSync } from 'node:fs';
import { UsageError } from '../cli/runtime.js';
import { EventStoreUnavailableError } from '../eventstore/errors.js';
import { openBackend, type StoreBackend } from '../eventstore/open.js';
import { parseStoreUrl, redact } from '../eventstore/store-url.js';
import { ALL_PROJECTIONS } from '../projections.js';
import { explain } from './explain.js';
import { auditLog, type LogFilters } from './log.js';
import { rebuildProjections, selectProjections } from './rebuild.js';
import type { Progress } from './replay.js';
import { stateAt, type StateKind } from './state.js';
import { verifyProjections } from './verify.js';

const noStore = (where: string, why: string) =>
  new UsageError(`no event store at ${where}: ${why} (give --store the database of the stopped hub)`);

/**
 * The audit commands read a stopped hub's store, and opening a store the ordinary way creates it:
 * a typo in --store made a new empty database (and its directories) and reported "0 documents
 * checked". So the store must exist, with its event table, before it is opened.
 */
async function assertEventStore(url: string): Promise<void> {
  const u = parseStoreUrl(url);
  switch (u.kind) {
    case 'memory':
      throw noStore(url, "an in-memory store holds no stopped hub's events");
    case 'sqlite': {
      const where = `sqlite:${u.path}`;
      if (u.path === ':memory:') throw noStore(where, "an in-memory store holds no stopped hub's events");
      let isFile: boolean;
      try {
        isFile = statSync(u.path).isFile();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw noStore(where, 'there is no such file');
        throw noStore(where, (e as Error).message);
      }
      if (!isFile) throw noStore(where, 'it is not a file');
      const { default: Database } = await import('better-sqlite3');
      let db: InstanceType<typeof Database> | undefined;
      try {
        // fileMustExist: never creates the file; read-write, as a WAL database may need its -shm made.
        db = new Database(u.path, { fileMustExist: true });
        const table = db
          .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'es_events'`)
          .get();
        if (!table) throw noStore(where, 'the database has no koji-es event table');
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw noStore(where, (e as Error).message);
      } finally {
        db?.close();
      }
      return;
    }
    case 'postgres': {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: u.url, connectionTimeoutMillis: 10_000 });
      client.on('error', () => {});
      try {
        await client.connect();
      } catch (e) {
        await client.end().catch(() => {});
        const { describeConnectError } = await import('../eventstore/postgres.store.js');
        throw new EventStoreUnavailableError(describeConnectError(e, u.url));
      }
      try {
        const r = await client.query<{ t: string | null }>(`SELECT to_regclass('es_events')::text AS t`);
        if (!r.rows[0]?.t) throw noStore(redact(u.url), 'the database has no koji-es event table');
      } finally {
        await client.end().catch(() => {});
      }
      return;
    }
    case 'kurrentdb':
      // Reading a KurrentDB server's log creates nothing in it.
      return;
  }
}

async function withStore<T>(url: string, f: (b: StoreBackend) => Promise<T>): Promise<T> {
  await assertEventStore(url);
  const b = await openBackend(url);
  try {
    await b.readModels.ensureCollections(ALL_PROJECTIONS.flatMap((p) => p.collections));
    return await f(b);
  } finally {
    await b.close();
  }
}

export const offline = {
  log: (url: string, f: LogFilters) => withStore(url, (b) => auditLog(b, f)),
  state: (url: string, kind: StateKind, id: number, at: string | null) =>
    withStore(url, (b) => stateAt(b, kind, id, at)),
  explain: (url: string, ref: string) => withStore(url, (b) => explain(b, ref)),
  verify: (url: string, projection: string | null) =>
    withStore(url, (b) => verifyProjections(b, selectProjections(ALL_PROJECTIONS, projection))),
  rebuild: (url: string, projection: string | null, onProgress: (p: Progress) => void, threads?: number) =>
    withStore(url, (b) =>
      rebuildProjections(b, selectProjections(ALL_PROJECTIONS, projection), onProgress, { threads }),
    ),
};
