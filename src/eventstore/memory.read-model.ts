import { EventStoreInputError } from './errors.js';
import { applyFind, matchesWhere } from './read-model.query.js';
import {
  COLLECTION_NAME,
  type CollectionDef,
  type FindOptions,
  type ProjectionCheckpoint,
  type ReadModelReader,
  type ReadModelStore,
  type ReadModelTx,
  type RebuildOptions,
  type ShadowFill,
  type Where,
} from './read-model.port.js';
import type { Checkpoint } from './port.js';
import { Mutex } from './mutex.js';

type Tables = Map<string, Map<string, string>>;

class MemoryReader implements ReadModelReader {
  constructor(protected tables: () => Tables) {}

  protected table(name: string): Map<string, string> {
    const t = this.tables().get(name);
    if (!t) throw new EventStoreInputError(`no read-model collection ${name}`);
    return t;
  }

  async get<T>(collection: string, key: string): Promise<T | null> {
    const raw = this.table(collection).get(key);
    return raw === undefined ? null : (JSON.parse(raw) as T);
  }

  async entries<T>(collection: string): Promise<[string, T][]> {
    return [...this.table(collection)]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, raw]) => [k, JSON.parse(raw) as T]);
  }

  async find<T>(collection: string, options?: FindOptions): Promise<T[]> {
    const docs = [...this.table(collection).values()].map((r) => JSON.parse(r) as T);
    return applyFind(docs, options);
  }

  async count(collection: string, where?: Where): Promise<number> {
    let n = 0;
    for (const raw of this.table(collection).values()) if (matchesWhere(JSON.parse(raw), where)) n++;
    return n;
  }
}

class MemoryTx extends MemoryReader implements ReadModelTx {
  async put(collection: string, key: string, doc: object): Promise<void> {
    this.table(collection).set(key, JSON.stringify(doc));
  }

  async delete(collection: string, key: string): Promise<void> {
    this.table(collection).delete(key);
  }
}

function cloneTables(t: Tables): Tables {
  return new Map([...t].map(([k, v]) => [k, new Map(v)]));
}

/** Read models in memory, with the same transaction and checkpoint semantics as the SQL adapters. */
export class MemoryReadModelStore implements ReadModelStore {
  private tables: Tables = new Map();
  private checkpoints = new Map<string, ProjectionCheckpoint>();
  private lock = new Mutex();
  readonly reader: ReadModelReader = new MemoryReader(() => this.tables);

  async ensureCollections(defs: CollectionDef[]): Promise<void> {
    for (const d of defs) {
      if (!COLLECTION_NAME.test(d.name)) throw new EventStoreInputError(`invalid collection name ${d.name}`);
      if (!this.tables.has(d.name)) this.tables.set(d.name, new Map());
    }
  }

  async loadCheckpoint(projection: string): Promise<ProjectionCheckpoint | null> {
    return this.checkpoints.get(projection) ?? null;
  }

  applyBatch(
    projection: string,
    expected: Checkpoint | null,
    next: Checkpoint,
    version: number,
    fn: (tx: ReadModelTx) => Promise<void>,
  ): Promise<boolean> {
    return this.lock.run(async () => {
      if ((this.checkpoints.get(projection)?.checkpoint ?? null) !== expected) return false;
      // Work on a copy and swap it in at the end: a throwing projection leaves nothing half-written.
      const draft = cloneTables(this.tables);
      await fn(new MemoryTx(() => draft));
      this.tables = draft;
      this.checkpoints.set(projection, { checkpoint: next, version });
      return true;
    });
  }

  async rebuild(o: RebuildOptions): Promise<Checkpoint | null> {
    const shadow: Tables = new Map(o.collections.map((c) => [c.name, new Map<string, string>()]));
    this.shadow = shadow;
    let cp: Checkpoint | null;
    try {
      cp = await this.fillShadow(o.fill);
    } finally {
      this.shadow = null;
    }
    return this.lock.run(async () => {
      const next = await o.finish(new MemoryTx(() => shadow), cp);
      const tables = cloneTables(this.tables);
      for (const [name, t] of shadow) tables.set(name, t);
      this.tables = tables;
      for (const p of o.projections) {
        if (next === null) this.checkpoints.delete(p.name);
        else this.checkpoints.set(p.name, { checkpoint: next, version: p.version });
      }
      return next;
    });
  }

  /** The fresh tables of the rebuild under way; another thread cannot reach them, this object can. */
  private shadow: Tables | null = null;

  async fillShadow<T>(fill: ShadowFill<T>): Promise<T> {
    const shadow = this.shadow;
    if (!shadow) throw new Error('no rebuild is under way in this in-memory store');
    return fill(async (fn) => fn(new MemoryTx(() => shadow)), new MemoryReader(() => shadow));
  }

  async reset(projection: string, collections: string[]): Promise<void> {
    await this.lock.run(() => {
      for (const c of collections) this.tables.set(c, new Map());
      this.checkpoints.delete(projection);
    });
  }

  async tryLockProjection(): Promise<boolean> {
    return true;
  }

  async unlockProjection(): Promise<void> {}

  async close(): Promise<void> {}
}
