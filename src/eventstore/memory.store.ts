import { EventStoreInputError } from './errors.js';
import type {
  AppendResult,
  Checkpoint,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadAllPage,
  ReadStreamOptions,
  RecordedEvent,
  StreamWrite,
  SubscribeOptions,
} from './port.js';
import { AppendNotifier, runSubscription } from './subscription.js';
import { assertStreamName, checkExpectedVersion, padPosition, validateWrites } from './validation.js';
import { matchesFilter, positionFromPadded } from './log-filter.js';

/** The reference semantics of the port, for unit tests. Single process, no durability. */
export class MemoryEventStore implements EventStore {
  readonly kind = 'memory' as const;
  private log: RecordedEvent[] = [];
  private streams = new Map<string, RecordedEvent[]>();
  private byId = new Map<string, RecordedEvent>();
  private notifier = new AppendNotifier();
  private closed = false;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  appendToStream(
    stream: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    return this.appendMulti([{ stream, events, expectedVersion }]);
  }

  async appendMulti(writes: StreamWrite[]): Promise<AppendResult> {
    this.assertOpen();
    validateWrites(writes);
    const replay = idempotentReplay(writes, (id) => this.byId.get(id));
    if (replay) return replay;
    for (const w of writes)
      checkExpectedVersion(w.stream, w.expectedVersion, this.streams.get(w.stream)?.length ?? 0);
    const recordedAt = this.clock().toISOString();
    const appended: RecordedEvent[] = [];
    const streams = writes.map((w) => {
      const list = this.streams.get(w.stream) ?? [];
      for (const e of w.events) {
        const position = this.log.length + 1;
        const rec: RecordedEvent = {
          eventId: e.eventId,
          type: e.type,
          schemaVersion: e.schemaVersion ?? 1,
          data: structuredClone(e.data),
          metadata: structuredClone(e.metadata ?? {}),
          stream: w.stream,
          streamVersion: list.length + 1,
          position,
          checkpoint: padPosition(position),
          recordedAt,
        };
        list.push(rec);
        this.log.push(rec);
        this.byId.set(rec.eventId, rec);
        appended.push(rec);
      }
      this.streams.set(w.stream, list);
      return { stream: w.stream, nextExpectedVersion: list.length };
    });
    this.notifier.notify();
    return resultOf(streams, appended);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    assertStreamName(stream);
    const list = this.streams.get(stream) ?? [];
    const max = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (options.direction === 'backward') {
      const from = options.fromVersion ?? list.length;
      return list
        .filter((e) => e.streamVersion <= from)
        .reverse()
        .slice(0, max)
        .map(clone);
    }
    const from = options.fromVersion ?? 1;
    return list
      .filter((e) => e.streamVersion >= from)
      .slice(0, max)
      .map(clone);
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    const after = options.after ? positionFromPadded(options.after) : 0;
    const max = options.maxCount ?? 1000;
    const events: RecordedEvent[] = [];
    let scanned = after;
    for (let i = after; i < this.log.length && events.length < max; i++) {
      const e = this.log[i];
      scanned = e.position;
      if (matchesFilter(e, options.filter)) events.push(clone(e));
    }
    return {
      events,
      checkpoint: scanned > 0 ? padPosition(scanned) : (options.after ?? null),
      atEnd: scanned >= this.log.length,
    };
  }

  subscribe(options: SubscribeOptions): Promise<void> {
    return runSubscription(
      (o) => this.readAll(o),
      (s, t, since) => this.notifier.wait(s, t, since),
      options,
      () => this.notifier.version,
    );
  }

  async lookup(q: { positions?: number[]; eventIds?: string[] }): Promise<RecordedEvent[]> {
    const out = new Map<number, RecordedEvent>();
    for (const p of q.positions ?? []) if (this.log[p - 1]) out.set(p, this.log[p - 1]);
    for (const id of q.eventIds ?? []) {
      const e = this.byId.get(id);
      if (e) out.set(e.position, e);
    }
    return [...out.values()].sort((a, b) => a.position - b.position).map(clone);
  }

  async headCheckpoint(): Promise<Checkpoint | null> {
    return this.log.length ? padPosition(this.log.length) : null;
  }

  async streamVersion(stream: string): Promise<number> {
    assertStreamName(stream);
    return this.streams.get(stream)?.length ?? 0;
  }

  positionOf(checkpoint: Checkpoint): number {
    return positionFromPadded(checkpoint);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notifier.notify();
  }

  private assertOpen() {
    if (this.closed) throw new EventStoreInputError('the event store is closed');
  }
}

const clone = (e: RecordedEvent): RecordedEvent => structuredClone(e);

export function resultOf(
  streams: { stream: string; nextExpectedVersion: number }[],
  appended: { position: number; checkpoint: Checkpoint }[],
): AppendResult {
  return {
    streams,
    firstPosition: appended[0].position,
    lastPosition: appended[appended.length - 1].position,
    checkpoint: appended[appended.length - 1].checkpoint,
  };
}

/**
 * Idempotent re-append: when every event of every write is already stored, at consecutive versions
 * of the same stream, return the original result instead of appending again. A partial overlap is
 * a caller bug (a retry must resend the same batch) and is refused.
 */
export function idempotentReplay(
  writes: StreamWrite[],
  lookup: (eventId: string) => RecordedEvent | undefined,
): AppendResult | null {
  const found = writes.map((w) => w.events.map((e) => lookup(e.eventId)));
  const all = found.flat();
  const present = all.filter((x) => x !== undefined);
  if (present.length === 0) return null;
  if (present.length !== all.length)
    throw new EventStoreInputError(
      `some events of this append are already stored (${present[0]!.eventId} in ${present[0]!.stream}) and others are not; a retry must resend the same batch`,
    );
  const streams = writes.map((w, i) => {
    const recs = found[i] as RecordedEvent[];
    recs.forEach((r, j) => {
      if (r.stream !== w.stream || (j > 0 && r.streamVersion !== recs[j - 1].streamVersion + 1))
        throw new EventStoreInputError(
          `event ${r.eventId} is already stored in stream ${r.stream} at version ${r.streamVersion}; it cannot be appended to ${w.stream}`,
        );
    });
    return { stream: w.stream, nextExpectedVersion: recs[recs.length - 1].streamVersion };
  });
  const sorted = (present as RecordedEvent[]).slice().sort((a, b) => a.position - b.position);
  return resultOf(streams, sorted);
}
