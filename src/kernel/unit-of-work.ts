import { WrongExpectedVersionError } from '../eventstore/errors.js';
import type {
  AppendResult,
  EventActor,
  EventMetadata,
  EventStore,
  ExpectedVersion,
  RecordedEvent,
} from '../eventstore/port.js';
import type { DomainEvent } from './decider.js';
import { lockError } from './errors.js';
import { newEventId } from './event-id.js';
import { upcasters as defaultUpcasters, type UpcasterRegistry } from './upcasters.js';

/** Everything about the request a command runs for, resolved once, outside the deciders. */
export interface CommandMeta {
  actor: EventActor | null;
  requestId: string;
  correlationId?: string;
  clientAddress?: string;
  /** The command's time: the same for every event it appends and for every retry. */
  now: Date;
}

export interface EmitOptions {
  /** Defaults to the version this unit of work loaded, or 'no_stream' for a stream it never read. */
  expectedVersion?: ExpectedVersion;
  /** The event id this one was caused by (an untag causing a sidetag removal); default the request. */
  causationId?: string;
  /** Extra metadata, e.g. the policy rule that allowed the action. */
  metadata?: Record<string, unknown>;
}

interface PendingWrite {
  stream: string;
  expectedVersion: ExpectedVersion;
  events: { eventId: string; type: string; schemaVersion: number; data: unknown; metadata: EventMetadata }[];
}

/** Streams whose folded state `loadCached` keeps per store and fold (least recently used go first). */
const FOLD_CACHE_STREAMS = 2000;
const foldCaches = new WeakMap<EventStore, Map<unknown, Map<string, { version: number; state: unknown }>>>();

function foldCache(store: EventStore, evolve: unknown): Map<string, { version: number; state: unknown }> {
  let byFold = foldCaches.get(store);
  if (!byFold) foldCaches.set(store, (byFold = new Map()));
  let cache = byFold.get(evolve);
  if (!cache) byFold.set(evolve, (cache = new Map()));
  return cache;
}

/**
 * One attempt of a command: the streams it read (and at which versions) and the events it decided.
 * `commit` appends them all atomically with those versions as expectations.
 */
export class UnitOfWork {
  private versions = new Map<string, number>();
  private writes = new Map<string, PendingWrite>();

  constructor(
    readonly store: EventStore,
    readonly meta: CommandMeta,
    private readonly registry: UpcasterRegistry = defaultUpcasters,
  ) {}

  /**
   * Reads a stream (upcasting old event shapes) and remembers its version for the append. Events
   * this unit of work already decided for the stream follow the stored ones, so a later step of the
   * same command sees them (a task created and then closed by the hub in one append).
   */
  async read(stream: string): Promise<RecordedEvent[]> {
    const stored = (await this.store.readStream(stream)).map((e) => this.registry.upcast(e));
    const version = stored.length ? stored[stored.length - 1].streamVersion : 0;
    if (!this.writes.has(stream)) this.versions.set(stream, version);
    const pending = (this.writes.get(stream)?.events ?? []).map((e, i): RecordedEvent => ({
      ...e,
      stream,
      streamVersion: version + i + 1,
      position: 0,
      checkpoint: '',
      recordedAt: this.meta.now.toISOString(),
    }));
    return [...stored, ...pending];
  }

  /** Folds a stream into state: the inline projection a decision is checked against. */
  async load<S, E extends DomainEvent>(stream: string, evolve: (s: S, e: E) => S, initial: S): Promise<S> {
    const events = await this.read(stream);
    return events.reduce((s, e) => evolve(s, e as unknown as E), initial);
  }

  /**
   * `load` for streams that grow long (a base tag gains an event per build tagged into it): the
   * state folded from the stored events is kept per store, stream and fold, so the next load reads
   * only what was appended since. Streams are append-only, so a kept state is never wrong, only
   * behind; another hub's appends are read like any others. `evolve` must return new objects and
   * callers must not mutate the state they get (it is shared).
   */
  async loadCached<S, E extends DomainEvent>(
    stream: string,
    evolve: (s: S, e: E) => S,
    initial: S,
  ): Promise<S> {
    const cache = foldCache(this.store, evolve as (s: unknown, e: DomainEvent) => unknown);
    const hit = cache.get(stream) as { version: number; state: S } | undefined;
    const stored = (
      await this.store.readStream(stream, hit ? { fromVersion: hit.version + 1 } : undefined)
    ).map((e) => this.registry.upcast(e));
    const version = stored.length ? stored[stored.length - 1].streamVersion : (hit?.version ?? 0);
    if (!this.writes.has(stream)) this.versions.set(stream, version);
    let state = hit ? hit.state : initial;
    for (const e of stored) state = evolve(state, e as unknown as E);
    cache.delete(stream);
    cache.set(stream, { version, state });
    if (cache.size > FOLD_CACHE_STREAMS) cache.delete(cache.keys().next().value!);
    for (const e of this.writes.get(stream)?.events ?? []) state = evolve(state, e as unknown as E);
    return state;
  }

  async version(stream: string): Promise<number> {
    const v = await this.store.streamVersion(stream);
    this.versions.set(stream, v);
    return v;
  }

  /**
   * A new integer id of a kind (users, tags, tasks…), allocated in the same atomic append as the
   * entity's first event: stream `ids-<kind>` counts allocations, so its version is the last id.
   */
  async allocateId(kind: string): Promise<number> {
    const stream = `ids-${kind}`;
    const pending = this.writes.get(stream);
    const base = pending
      ? (pending.expectedVersion as number) + pending.events.length
      : this.versions.has(stream)
        ? this.versions.get(stream)!
        : await this.version(stream);
    const id = base + 1;
    this.emit(stream, [{ type: 'IdAllocated', data: { kind, id } }], {
      expectedVersion: this.versions.get(stream)!,
    });
    return id;
  }

  emit(stream: string, events: DomainEvent[], opts: EmitOptions = {}): string[] {
    const expected =
      opts.expectedVersion ?? (this.versions.has(stream) ? this.versions.get(stream)! : 'no_stream');
    let w = this.writes.get(stream);
    if (!w) {
      w = { stream, expectedVersion: expected, events: [] };
      this.writes.set(stream, w);
    }
    const ids: string[] = [];
    for (const e of events) {
      const eventId = newEventId();
      ids.push(eventId);
      w.events.push({
        eventId,
        type: e.type,
        schemaVersion: e.schemaVersion ?? 1,
        data: e.data,
        metadata: {
          actor: this.meta.actor,
          requestId: this.meta.requestId,
          correlationId: this.meta.correlationId ?? this.meta.requestId,
          causationId: opts.causationId ?? this.meta.requestId,
          ...(this.meta.clientAddress ? { clientAddress: this.meta.clientAddress } : {}),
          recordedTime: this.meta.now.toISOString(),
          ...opts.metadata,
        },
      });
    }
    return ids;
  }

  get hasWrites(): boolean {
    return this.writes.size > 0;
  }

  async commit(): Promise<AppendResult | null> {
    if (!this.writes.size) return null;
    return this.store.appendMulti([...this.writes.values()]);
  }
}

export interface ExecuteOptions {
  /** How long optimistic retries may go on before the command fails with LockError. */
  retryForMs?: number;
  registry?: UpcasterRegistry;
}

export interface Executed<R> {
  result: R;
  append: AppendResult | null;
}

/**
 * Load → decide → append, retried from the start on a version conflict until `retryForMs`
 * (default 5 s), then `LockError`. `fn` must be free of side effects other than on the unit of work.
 */
export async function decideAndAppend<R>(
  store: EventStore,
  meta: CommandMeta,
  fn: (uow: UnitOfWork) => Promise<R>,
  opts: ExecuteOptions = {},
): Promise<Executed<R>> {
  const deadline = Date.now() + (opts.retryForMs ?? 5000);
  for (let attempt = 1; ; attempt++) {
    const uow = new UnitOfWork(store, meta, opts.registry);
    try {
      // A decision may itself find that what it read has moved on (another hub took the id it
      // allocated): that is a conflict like one found by the append, and is retried the same way.
      const result = await fn(uow);
      const append = await uow.commit();
      return { result, append };
    } catch (e) {
      if (!(e instanceof WrongExpectedVersionError)) throw e;
      if (Date.now() >= deadline)
        throw lockError(
          `gave up after ${attempt} attempts: stream ${e.stream} kept changing (expected version ${String(e.expected)}, found ${e.actual})`,
        );
      // A little jitter so two writers that collided do not collide again in lockstep.
      await new Promise((r) => setTimeout(r, Math.min(50, attempt * 2) * Math.random()));
    }
  }
}
