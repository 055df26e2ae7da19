// The audit commands against a store opened directly (`--store URL`, for a stopped hub). Plain
// code: the CLI loads this file lazily and it never pulls NestJS in.
import { openBackend, type StoreBackend } from '../eventstore/open.js';
import { ALL_PROJECTIONS } from '../projections.js';
import { explain } from './explain.js';
import { auditLog, type LogFilters } from './log.js';
import { rebuildProjections, selectProjections } from './rebuild.js';
import type { Progress } from './replay.js';
import { stateAt, type StateKind } from './state.js';
import { verifyProjections } from './verify.js';

async function withStore<T>(url: string, f: (b: StoreBackend) => Promise<T>): Promise<T> {
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
