/**
 * The EventStore port (DESIGN §4). Adapters: memory (unit tests), SQLite (embedded default),
 * PostgreSQL (production). All of them pass test/eventstore/contract.ts.
 *
 * Versions are 1-based counts of events in a stream (0 = no stream). Checkpoints are opaque
 * strings that sort lexicographically in log order within one adapter; never do arithmetic on them.
 */

export type StreamName = string;
export type Checkpoint = string;
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export interface EventActor {
  id: number;
  name: string;
}

/** Who did it, why, and from where: enough for `audit log` and `audit explain` without lookups. */
export interface EventMetadata {
  actor?: EventActor | null;
  correlationId?: string;
  causationId?: string;
  requestId?: string;
  clientAddress?: string;
  /** ISO time the command was decided (the handler's clock, not the database's). */
  recordedTime?: string;
  [key: string]: unknown;
}

export interface NewEvent<T = unknown> {
  /** Idempotency key: re-appending the same ids is a no-op that returns the original result. */
  eventId: string;
  /** Explicit, stable, past tense: 'SideTagCreated'. Never a class name. */
  type: string;
  schemaVersion?: number;
  data: T;
  metadata?: EventMetadata;
}

export interface RecordedEvent<T = unknown> {
  eventId: string;
  type: string;
  schemaVersion: number;
  data: T;
  metadata: EventMetadata;
  stream: StreamName;
  /** 1-based position in its stream. */
  streamVersion: number;
  /** Integer position in the global log (Koji's "event id" of the command that appended it). */
  position: number;
  checkpoint: Checkpoint;
  /** When the store recorded it (ISO). */
  recordedAt: string;
}

export interface StreamWrite {
  stream: StreamName;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
}

export interface StreamAppendResult {
  stream: StreamName;
  nextExpectedVersion: number;
}

export interface AppendResult {
  streams: StreamAppendResult[];
  /** Global position of the first event appended (Koji's event id for the command). */
  firstPosition: number;
  lastPosition: number;
  /** Checkpoint of the last event appended: a projection at or past it has seen the whole append. */
  checkpoint: Checkpoint;
}

export interface ReadStreamOptions {
  /** First version to return when reading forward, last when reading backward. */
  fromVersion?: number;
  direction?: 'forward' | 'backward';
  maxCount?: number;
}

export interface LogFilter {
  types?: string[];
  streamPrefixes?: string[];
}

export interface ReadAllOptions {
  after?: Checkpoint | null;
  maxCount?: number;
  filter?: LogFilter;
}

/** A long forward read of the log: a replay's. */
export interface ScanOptions {
  after?: Checkpoint | null;
  /** The last checkpoint to read; without it the scan ends at the head it finds. */
  until?: Checkpoint | null;
  filter?: LogFilter;
  /**
   * The event types whose metadata the reader uses. The others carry METADATA_NOT_READ (parsing
   * metadata nobody reads was a tenth of a rebuild). Absent: every event's.
   */
  metadataOf?: readonly string[];
}

export interface ReadAllPage {
  events: RecordedEvent[];
  /**
   * How far the log was scanned (past filtered-out events too); resume from here. Equal to `after`
   * when nothing new is committed yet.
   */
  checkpoint: Checkpoint | null;
  /** True when the scan reached the committed head of the log. */
  atEnd: boolean;
}

export interface SubscribeOptions {
  after?: Checkpoint | null;
  filter?: LogFilter;
  batchSize?: number;
  signal: AbortSignal;
  /** Called in log order; the next batch waits for the returned promise. A rejection ends the subscription. */
  onBatch: (events: RecordedEvent[], checkpoint: Checkpoint) => Promise<void>;
  /** Called each time the subscription has delivered everything committed so far. */
  onCaughtUp?: (checkpoint: Checkpoint | null) => void;
  /** Safety-net polling interval when no wake-up arrives (ms). */
  pollIntervalMs?: number;
}

export interface EventStore {
  readonly kind: 'memory' | 'sqlite' | 'postgres' | 'kurrentdb';
  /** Atomic for the batch. Throws WrongExpectedVersionError on a conflict. */
  appendToStream(
    stream: StreamName,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult>;
  /** Atomic across streams: one conflicting stream and nothing is appended anywhere. */
  appendMulti(writes: StreamWrite[]): Promise<AppendResult>;
  /** Empty for a missing stream. */
  readStream(stream: StreamName, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** A page of the committed, gap-free prefix of the global log, in log order. */
  readAll(options?: ReadAllOptions): Promise<ReadAllPage>;
  /** Catch-up, then live, until the signal aborts. Resolves when aborted; rejects if onBatch rejects. */
  subscribe(options: SubscribeOptions): Promise<void>;
  /**
   * The pages of a long forward read, which the store may read ahead of the caller on a thread of
   * its own. Left out by stores that cannot: a replay then reads with readAll.
   */
  scan?(options: ScanOptions): AsyncIterable<ReadAllPage>;
  headCheckpoint(): Promise<Checkpoint | null>;
  /**
   * How many of the last `count` events of the log are of each type: the mix a parallel rebuild
   * splits its projections by. Left out by stores a rebuild thread cannot open again.
   */
  recentTypeCounts?(count: number): Promise<Record<string, number>>;
  /** Number of events in the stream (0 when it does not exist). */
  streamVersion(stream: StreamName): Promise<number>;
  /** Events by global position or by event id (for `audit explain`); missing ones are left out. */
  lookup(query: { positions?: number[]; eventIds?: string[] }): Promise<RecordedEvent[]>;
  /** Event ids are opaque to the store, but a checkpoint can be turned back into a global position. */
  positionOf(checkpoint: Checkpoint): number;
  close(): Promise<void>;
}

export function compareCheckpoints(
  a: Checkpoint | null | undefined,
  b: Checkpoint | null | undefined,
): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
