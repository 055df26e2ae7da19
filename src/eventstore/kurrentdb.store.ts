import {
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  START,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamSubscription,
  type EventData,
  type Filter,
  type Position,
  type ReadRevision,
} from '@kurrent/kurrentdb-client';
import { StreamsServiceService } from '@kurrent/kurrentdb-client/generated/kurrentdb/protocols/v2/streams/streams_grpc_pb.js';
import { EventStoreInputError, EventStoreUnavailableError, WrongExpectedVersionError } from './errors.js';
import {
  MAX_EVENTS_PER_APPEND,
  appendStartsIn,
  checkpointOfRaw,
  comparePositions,
  decodeCheckpoint,
  decodeEvent,
  encodeEvent,
  envelopeOf,
  eventUuid,
  isStreamNotFound,
  isSystemEvent,
  isUnavailable,
  logOffset,
  malformedUrlMessage,
  multiStreamUnsupportedMessage,
  positionOfCheckpoint,
  splitGlobalPosition,
  streamStateOf,
  translateError,
  versionOfRevision,
  type ClientRecordedEvent,
  type Envelope,
} from './kurrentdb.translate.js';
import { matchesFilter } from './log-filter.js';
import { idempotentReplay, resultOf } from './memory.store.js';
import {
  compareCheckpoints,
  type AppendResult,
  type Checkpoint,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllPage,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamWrite,
  type SubscribeOptions,
} from './port.js';
import { AppendNotifier, runSubscription } from './subscription.js';
import { assertStreamName, validateWrites } from './validation.js';

export interface KurrentDbStoreOptions {
  clock?: () => Date;
  /** Prepended to every stream name; the store sees only streams under it (see store-url.ts). */
  streamPrefix?: string;
  /** How many of the newest events `lookup` by event id looks through (KurrentDB has no id index). */
  lookupScanLimit?: number;
}

/** What start-up learned about the server. */
export interface KurrentDbServerInfo {
  /** As the server reports it ("25.1.0"); "unknown" for servers older than 21.10. */
  version: string;
  /** Whether the server has multi-stream appends (25.1 and later). */
  multiStreamAppend: boolean;
}

/**
 * The client keeps the server's features (`capabilities`) protected; this subclass exists only to
 * read them, so start-up can name the server's version and refuse what it lacks before the first
 * command does.
 */
class ServerFeaturesProbe extends KurrentDBClient {
  static async of(client: KurrentDBClient): Promise<KurrentDbServerInfo> {
    const features = await (client as ServerFeaturesProbe).capabilities;
    return {
      version: features.serverVersion,
      // The very check the client's multiStreamAppend makes before it throws UnsupportedError.
      multiStreamAppend: features.supports(StreamsServiceService.appendSession),
    };
  }
}

/** How many of a stream's newest events the idempotency check of an 'any' append looks at. */
const TAIL = 100;
/** The most events one readAll call looks at (a filter that keeps few would otherwise read all). */
const SCAN_LIMIT = 10_000;
/** How many append starts a store remembers (an entry is an event id and a bigint). */
const STARTS_REMEMBERED = 50_000;

type RawEvent = ClientRecordedEvent & { position: Position };

/**
 * The EventStore port on KurrentDB (EventStoreDB) through the official client. Streams are
 * KurrentDB streams (under an optional prefix); the global log is `$all` without system events.
 *
 * - Versions are revisions + 1 (kurrentdb.translate.ts keeps the mapping in one place).
 * - Global positions are `append start * 1000 + index` (see POSITION_FACTOR); checkpoints are
 *   `<commit>:<prepare>:<start>:<index>`, in log order as strings.
 * - Multi-stream appends use `multiStreamAppend` (KurrentDB 25.1+), which is atomic.
 * - Subscriptions page through `readAll` (the shared runSubscription), woken by one live
 *   `subscribeToAll` per store; positions are the caller's to keep, as for every adapter.
 */
export class KurrentDbEventStore implements EventStore {
  readonly kind = 'kurrentdb' as const;
  readonly client: KurrentDBClient;
  private readonly clock: () => Date;
  private readonly prefix: string;
  private readonly lookupScanLimit: number;
  private readonly notifier = new AppendNotifier();
  /** Append starts found so far, by the id of the append's first event. */
  private readonly starts = new Map<string, bigint>();
  private server: Promise<KurrentDbServerInfo> | null = null;
  private live: AllStreamSubscription | null = null;
  private closed = false;

  /** Throws EventStoreUnavailableError (one line, password redacted) for a URL the client rejects. */
  constructor(
    readonly url: string,
    opts: KurrentDbStoreOptions = {},
  ) {
    this.clock = opts.clock ?? (() => new Date());
    this.prefix = opts.streamPrefix ?? '';
    this.lookupScanLimit = opts.lookupScanLimit ?? 100_000;
    try {
      this.client = KurrentDBClient.connectionString(url);
    } catch (e) {
      throw new EventStoreUnavailableError(malformedUrlMessage(url, (e as Error).message));
    }
  }

  /**
   * Connects and asks the server what it is. Throws EventStoreUnavailableError with one line when
   * it cannot be reached or refuses us.
   */
  open(): Promise<KurrentDbServerInfo> {
    if (this.closed) return Promise.reject(new EventStoreInputError('the event store is closed'));
    this.server ??= ServerFeaturesProbe.of(this.client).catch((e: unknown) => {
      this.server = null;
      throw this.translate(e);
    });
    return this.server;
  }

  appendToStream(
    stream: string,
    events: NewEvent[],
    expectedVersion: ExpectedVersion,
  ): Promise<AppendResult> {
    return this.appendMulti([{ stream, events, expectedVersion }]);
  }

  async appendMulti(writes: StreamWrite[]): Promise<AppendResult> {
    validateWrites(writes);
    const total = writes.reduce((n, w) => n + w.events.length, 0);
    if (total > MAX_EVENTS_PER_APPEND)
      throw new EventStoreInputError(
        `an append to KurrentDB may carry at most ${MAX_EVENTS_PER_APPEND} events; this one has ${total}`,
      );
    const server = await this.open();
    if (writes.length > 1 && !server.multiStreamAppend)
      throw new EventStoreUnavailableError(multiStreamUnsupportedMessage(server.version, this.url));
    // The server recognizes a retry at an exact expected version itself; under 'any' and
    // 'stream_exists' it only tries, so the reference semantics are checked here first.
    if (writes.some((w) => w.expectedVersion === 'any' || w.expectedVersion === 'stream_exists')) {
      const replay = await this.replayOf(writes);
      if (replay) return replay;
    }
    const recordedAt = this.clock().toISOString();
    const firstId = writes[0].events[0].eventId;
    let index = 0;
    const encoded = writes.map((w) => ({
      write: w,
      name: this.prefix + w.stream,
      events: w.events.map((e): EventData => encodeEvent(e, index++, firstId, recordedAt)),
    }));
    let lastRevisions: bigint[];
    try {
      lastRevisions = await this.send(encoded);
    } catch (e) {
      const err = this.translate(e, writes);
      if (err instanceof WrongExpectedVersionError) {
        // A retry of an append that did commit looks like a conflict: it is the original result.
        const replay = await this.replayOf(writes);
        if (replay) return replay;
      }
      throw err;
    }
    // Read back what was written, all streams together: the append's first event, in the first
    // stream, gives every event its global position.
    const last = lastRevisions.map(versionOfRevision);
    const raw = await Promise.all(
      writes.map((w, i) =>
        this.readStreamRaw(w.stream, {
          fromVersion: last[i] - w.events.length + 1,
          maxCount: w.events.length,
        }),
      ),
    );
    const back = await this.decodeAll(raw.flat());
    const appended: RecordedEvent[] = [];
    const streams = writes.map((w, i) => {
      const mine = back.filter((e) => e.stream === w.stream);
      if (mine.length !== w.events.length || mine.some((e, j) => e.eventId !== w.events[j].eventId))
        throw new EventStoreInputError(
          `KurrentDB acknowledged the append to ${w.stream} at version ${last[i]}, but other events are stored there; a retry must resend the same batch`,
        );
      appended.push(...mine);
      return { stream: w.stream, nextExpectedVersion: last[i] };
    });
    appended.sort((a, b) => compareCheckpoints(a.checkpoint, b.checkpoint));
    this.notifier.notify();
    return resultOf(streams, appended);
  }

  /** One write: appendToStream (every server). Several: multiStreamAppend, one atomic transaction. */
  private async send(
    encoded: { write: StreamWrite; name: string; events: EventData[] }[],
  ): Promise<bigint[]> {
    if (encoded.length === 1) {
      const [{ write, name, events }] = encoded;
      const r = await this.client.appendToStream(name, events, {
        streamState: streamStateOf(write.expectedVersion),
      });
      // Only with throwOnAppendFailure=false in the URL: the failure comes back instead of thrown.
      if (!r.success)
        throw new WrongExpectedVersionError(
          write.stream,
          write.expectedVersion,
          await this.streamVersion(write.stream),
        );
      return [r.nextExpectedRevision];
    }
    const r = await this.client.multiStreamAppend(
      encoded.map(({ write, name, events }) => ({
        streamName: name,
        events,
        expectedState: streamStateOf(write.expectedVersion),
      })),
    );
    return encoded.map(({ name }) => {
      const s = r.responses.find((x) => x.streamName === name);
      if (!s)
        throw new EventStoreUnavailableError(`KurrentDB's multi-stream append did not report stream ${name}`);
      return s.revision;
    });
  }

  /**
   * The original result when every event of `writes` is already stored where this append would have
   * put it (the reference semantics of idempotentReplay). KurrentDB has no index by event id, so
   * only those places are looked at: the versions after an exact expected version, else the
   * stream's newest events.
   */
  private async replayOf(writes: StreamWrite[]): Promise<AppendResult | null> {
    const raw = await Promise.all(
      writes.map((w) => {
        const ev = w.expectedVersion;
        return typeof ev === 'number' || ev === 'no_stream'
          ? this.readStreamRaw(w.stream, {
              fromVersion: (ev === 'no_stream' ? 0 : ev) + 1,
              maxCount: w.events.length,
            })
          : this.readStreamRaw(w.stream, {
              direction: 'backward',
              maxCount: Math.max(TAIL, w.events.length),
            });
      }),
    );
    // Only events of this append need decoding (and their append's start found).
    const ids = new Set(writes.flatMap((w) => w.events.map((e) => e.eventId)));
    const present = raw.flat().filter((r) => ids.has(envelopeOf(r.metadata)?.id ?? ''));
    if (!present.length) return null;
    const stored = new Map((await this.decodeAll(present)).map((e) => [e.eventId, e]));
    return idempotentReplay(writes, (id) => stored.get(id));
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.decodeAll(await this.readStreamRaw(stream, options));
  }

  private async readStreamRaw(stream: string, options: ReadStreamOptions): Promise<RawEvent[]> {
    assertStreamName(stream);
    const max = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (max <= 0) return [];
    let fromRevision: ReadRevision;
    if (options.direction === 'backward') {
      if (options.fromVersion !== undefined && options.fromVersion < 1) return [];
      fromRevision = options.fromVersion === undefined ? END : BigInt(options.fromVersion - 1);
    } else {
      const from = options.fromVersion ?? 1;
      fromRevision = from <= 1 ? START : BigInt(from - 1);
    }
    const out: RawEvent[] = [];
    try {
      for await (const r of this.client.readStream(this.prefix + stream, {
        fromRevision,
        direction: options.direction === 'backward' ? BACKWARDS : FORWARDS,
        maxCount: max,
      })) {
        if (r.event) out.push(withPosition(r.event));
      }
    } catch (e) {
      if (isStreamNotFound(e)) return [];
      throw this.translate(e);
    }
    return out;
  }

  /**
   * Up to `maxCount` events the filter keeps, reading the log a chunk at a time. The server filters
   * by the store's log only and the caller's filter is applied here: an append's first event, which
   * places all of them (see POSITION_FACTOR), is then read along with the rest. One call scans at
   * most SCAN_LIMIT events; its checkpoint says how far it got.
   */
  async readAll(options: ReadAllOptions = {}): Promise<ReadAllPage> {
    const max = Math.max(1, options.maxCount ?? 1000);
    const filter = options.filter;
    // The head is taken before the read: everything up to it is then certainly scanned, so a page
    // that reaches the end may claim it even when the filter kept nothing.
    const head = await this.headCheckpoint();
    const reach = (...cps: (Checkpoint | null | undefined)[]) =>
      cps.reduce<Checkpoint | null>((a, b) => (b && compareCheckpoints(b, a) > 0 ? b : a), null);
    if (filter?.types?.length === 0 || filter?.streamPrefixes?.length === 0)
      return { events: [], checkpoint: reach(options.after, head), atEnd: true };
    const events: RecordedEvent[] = [];
    let cursor = options.after ? decodeCheckpoint(options.after).position : null;
    let scanned: Checkpoint | null = null;
    let count = 0;
    for (;;) {
      const chunk = Math.min(max, SCAN_LIMIT - count);
      const { raw, ended } = await this.readAllChunk(cursor, chunk);
      const starts = await this.startsOf(raw);
      for (let k = 0; k < raw.length; k++) {
        scanned = checkpointOfRaw(raw[k], starts[k]);
        const e = decodeEvent(raw[k], starts[k], this.prefix);
        if (e && matchesFilter(e, filter)) events.push(e);
        if (events.length === max) {
          const atEnd = ended && k === raw.length - 1;
          return { events, checkpoint: atEnd ? reach(scanned, head) : scanned, atEnd };
        }
      }
      count += raw.length;
      if (ended) return { events, checkpoint: reach(options.after, head, scanned), atEnd: true };
      if (count >= SCAN_LIMIT) return { events, checkpoint: scanned, atEnd: false };
      cursor = raw[raw.length - 1].position;
    }
  }

  /**
   * Up to `n` events of the store's log after `cursor`; `ended` when the log had no more. A read
   * from a position includes the event there, so one more is asked for and that one dropped.
   */
  private async readAllChunk(
    cursor: Position | null,
    n: number,
  ): Promise<{ raw: RawEvent[]; ended: boolean }> {
    const raw: RawEvent[] = [];
    let got = 0;
    try {
      for await (const r of this.client.readAll({
        fromPosition: cursor ?? START,
        maxCount: n + 1,
        filter: this.logFilter(),
      })) {
        got++;
        if (!r.event?.position) continue;
        if (cursor && comparePositions(r.event.position, cursor) <= 0) continue;
        if (raw.length < n) raw.push(withPosition(r.event));
      }
    } catch (e) {
      throw this.translate(e);
    }
    return { raw, ended: got < n + 1 || raw.length === 0 };
  }

  /** The store's log: the streams under its prefix, or every stream that is not a system stream. */
  private logFilter(): Filter {
    return this.prefix ? streamNameFilter({ prefixes: [this.prefix] }) : excludeSystemEvents();
  }

  private async decodeAll(raw: RawEvent[]): Promise<RecordedEvent[]> {
    const starts = await this.startsOf(raw);
    const out: RecordedEvent[] = [];
    raw.forEach((r, k) => {
      const e = decodeEvent(r, starts[k], this.prefix);
      if (e) out.push(e);
    });
    return out;
  }

  /**
   * Each event's append start: from the events at hand, from what earlier reads found, else by
   * reading the log backwards from the event to its append's first event (an append's events lie
   * next to each other in the log). Undefined for events that are not koji-es's.
   */
  private async startsOf(raw: RawEvent[]): Promise<(bigint | undefined)[]> {
    const inHand = appendStartsIn(raw);
    const out: (bigint | undefined)[] = [];
    for (const ev of raw) {
      const env = envelopeOf(ev.metadata);
      if (!env || isSystemEvent(ev) || !ev.streamId.startsWith(this.prefix)) out.push(undefined);
      else if (env.i === 0 || env.a === undefined) out.push(logOffset(ev.position));
      else {
        let start = inHand.get(env.a) ?? this.starts.get(env.a);
        start ??= await this.findStart(ev.position, env);
        if (start !== undefined) {
          inHand.set(env.a, start);
          this.remember(env.a, start);
        }
        out.push(start);
      }
    }
    return out;
  }

  private async findStart(position: Position, env: Envelope): Promise<bigint | undefined> {
    try {
      for await (const r of this.client.readAll({
        fromPosition: position,
        direction: BACKWARDS,
        maxCount: env.i + 1,
      })) {
        const first = r.event?.position ? envelopeOf(r.event.metadata) : null;
        if (r.event?.position && first?.i === 0 && first.id === env.a) return logOffset(r.event.position);
      }
    } catch (e) {
      if (isUnavailable(e)) throw this.translate(e);
    }
    return undefined;
  }

  private remember(firstEventId: string, start: bigint): void {
    if (this.starts.has(firstEventId)) return;
    if (this.starts.size >= STARTS_REMEMBERED) {
      const oldest = this.starts.keys().next();
      if (!oldest.done) this.starts.delete(oldest.value);
    }
    this.starts.set(firstEventId, start);
  }

  subscribe(options: SubscribeOptions): Promise<void> {
    return runSubscription(
      (o) => this.readAll(o),
      (signal, ms, since) => {
        this.ensureLive();
        return this.notifier.wait(signal, ms, since);
      },
      { pollIntervalMs: 500, ...options },
      () => this.notifier.version,
    );
  }

  /**
   * One live `$all` subscription per store, from the end, only to wake subscribers when another
   * process appends; the events themselves are read by readAll. If it breaks, polling covers the
   * gap and the next wait opens it again.
   */
  private ensureLive(): void {
    if (this.live || this.closed) return;
    const sub = this.client.subscribeToAll({ fromPosition: END, filter: this.logFilter() });
    const drop = () => {
      if (this.live === sub) this.live = null;
    };
    sub.on('data', () => this.notifier.notify());
    sub.on('error', drop);
    sub.on('close', drop);
    sub.on('end', drop);
    this.live = sub;
  }

  async lookup(q: { positions?: number[]; eventIds?: string[] }): Promise<RecordedEvent[]> {
    const out = new Map<number, RecordedEvent>();
    for (const p of q.positions ?? []) {
      const e = await this.atPosition(p);
      if (e) out.set(e.position, e);
    }
    const wanted = new Map((q.eventIds ?? []).map((id) => [eventUuid(id), id]));
    if (wanted.size) {
      const found: RawEvent[] = [];
      try {
        let seen = 0;
        for await (const r of this.client.readAll({
          fromPosition: END,
          direction: BACKWARDS,
          maxCount: this.lookupScanLimit,
          filter: this.logFilter(),
        })) {
          seen++;
          const ev = r.event;
          const id = ev?.position ? wanted.get(ev.id) : undefined;
          if (ev && id !== undefined && envelopeOf(ev.metadata)?.id === id) {
            found.push(withPosition(ev));
            wanted.delete(ev.id);
            if (!wanted.size) break;
          }
          if (seen >= this.lookupScanLimit) break;
        }
      } catch (e) {
        throw this.translate(e);
      }
      for (const e of await this.decodeAll(found)) out.set(e.position, e);
    }
    return [...out.values()].sort((a, b) => a.position - b.position);
  }

  /**
   * The event at a global position: its append's first event is at log position `start`, and the
   * others follow it. A number that names no append is simply not found.
   */
  private async atPosition(p: number): Promise<RecordedEvent | null> {
    const at = splitGlobalPosition(p);
    if (!at) return null;
    const raw: RawEvent[] = [];
    try {
      for await (const r of this.client.readAll({
        fromPosition: { commit: at.start, prepare: at.start },
        maxCount: at.index + 1,
      })) {
        if (r.event?.position) raw.push(withPosition(r.event));
      }
    } catch (e) {
      if (isUnavailable(e)) throw this.translate(e);
      return null;
    }
    const first = raw.length ? envelopeOf(raw[0].metadata) : null;
    if (!first || first.i !== 0 || logOffset(raw[0].position) !== at.start) return null;
    const ev = raw.find((r) => {
      const env = envelopeOf(r.metadata);
      return env?.i === at.index && (at.index === 0 || env.a === first.id);
    });
    return ev ? decodeEvent(ev, at.start, this.prefix) : null;
  }

  async headCheckpoint(): Promise<Checkpoint | null> {
    let head: RawEvent | undefined;
    try {
      for await (const r of this.client.readAll({
        fromPosition: END,
        direction: BACKWARDS,
        maxCount: 1,
        filter: this.logFilter(),
      })) {
        if (r.event?.position) head = withPosition(r.event);
      }
    } catch (e) {
      throw this.translate(e);
    }
    if (!head) return null;
    const [start] = await this.startsOf([head]);
    return checkpointOfRaw(head, start);
  }

  async streamVersion(stream: string): Promise<number> {
    assertStreamName(stream);
    try {
      for await (const r of this.client.readStream(this.prefix + stream, {
        fromRevision: END,
        direction: BACKWARDS,
        maxCount: 1,
      })) {
        if (r.event) return versionOfRevision(r.event.revision);
      }
    } catch (e) {
      if (isStreamNotFound(e)) return 0;
      throw this.translate(e);
    }
    return 0;
  }

  positionOf(checkpoint: Checkpoint): number {
    return positionOfCheckpoint(checkpoint);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notifier.notify();
    const live = this.live;
    this.live = null;
    await live?.unsubscribe().catch(() => {});
    await this.client.dispose().catch(() => {});
  }

  private translate(e: unknown, writes?: StreamWrite[]): Error {
    return translateError(e, {
      url: this.url,
      streamPrefix: this.prefix,
      expected: writes && new Map(writes.map((w) => [w.stream, w.expectedVersion])),
    });
  }
}

/** Every event koji-es reads has a log position; one without is a server koji-es cannot use. */
function withPosition(ev: ClientRecordedEvent): RawEvent {
  if (!ev.position)
    throw new EventStoreUnavailableError(
      `KurrentDB returned event ${ev.id} of ${ev.streamId} without its log position; koji-es needs a server that reports positions`,
    );
  return ev as RawEvent;
}
