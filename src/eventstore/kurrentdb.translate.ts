/**
 * The pure half of the KurrentDB adapter: how our port's numbers, checkpoints, events and errors map
 * onto `@kurrent/kurrentdb-client`'s, kept apart from the network so each rule is unit-tested
 * (kurrentdb.translate.test.ts) without a server, which cannot run on the project's machines.
 */
import { createHash } from 'node:crypto';
import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  jsonEvent,
  type AppendStreamState,
  type CurrentStreamState,
  type EventData,
  type JSONType,
  type Position,
} from '@kurrent/kurrentdb-client';
import { EventStoreInputError, EventStoreUnavailableError, WrongExpectedVersionError } from './errors.js';
import type { Checkpoint, EventMetadata, ExpectedVersion, NewEvent, RecordedEvent } from './port.js';
import { redact } from './store-url.js';

// ---------------------------------------------------------------------------------------------
// Versions and revisions. KurrentDB counts revisions from 0 (the first event is revision 0n);
// our versions count events (the first event is version 1, version 0 is "no stream").

/** The client's `streamState` for one of our expected versions. */
export function streamStateOf(expected: ExpectedVersion): AppendStreamState {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream' || expected === 0) return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return revisionOfVersion(expected);
}

/** The revision of the event at version `v` (v >= 1). */
export function revisionOfVersion(v: number): bigint {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`version ${v} has no revision`);
  return BigInt(v - 1);
}

/** The version of the event at revision `r` (also: a stream whose last revision is r has r + 1 events). */
export function versionOfRevision(r: bigint): number {
  const v = r + 1n;
  if (r < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`revision ${r} is out of range`);
  return Number(v);
}

/**
 * The number of events a stream has, from the state a conflict reports. A deleted or tombstoned
 * stream is reported with a negative revision (-5n, -6n) and holds no readable events.
 */
export function versionOfCurrentState(state: CurrentStreamState | AppendStreamState): number {
  if (typeof state !== 'bigint') return 0;
  return state < 0n ? 0 : versionOfRevision(state);
}

/** Our expected version for a state the client reports back (when the caller's is not known). */
export function expectedOfState(state: AppendStreamState): ExpectedVersion {
  if (state === ANY) return 'any';
  if (state === NO_STREAM) return 'no_stream';
  if (state === STREAM_EXISTS) return 'stream_exists';
  return state < 0n ? 'no_stream' : versionOfRevision(state);
}

// ---------------------------------------------------------------------------------------------
// Global positions and checkpoints.
//
// KurrentDB gives every event a log position: `{commit, prepare}`, and for everything a current
// server writes, single- and multi-stream appends alike, both are the event's own offset in the
// transaction log (its prepare record "commits itself"). One append's events lie next to each other
// in the log, in the order they were sent. Offsets are far apart, while Koji's event ids must be
// consecutive within one command, so a global position is built from the append instead.

/**
 * A global position is `start * POSITION_FACTOR + index`: `start` is the log position of the first
 * event of the event's append, `index` the event's place in that append (the adapter records it, and
 * the first event's id, in the event's metadata). An append's positions are consecutive, they grow
 * in log order (the next append starts further in the log), and a position leads straight back to
 * its event. They are exact JavaScript numbers while the log is below 2^53 / 1000 bytes (9 TB).
 */
export const POSITION_FACTOR = 1000;
/** The most events one append may carry, so that every index fits below POSITION_FACTOR. */
export const MAX_EVENTS_PER_APPEND = POSITION_FACTOR;
const MAX_START = BigInt(Math.floor((Number.MAX_SAFE_INTEGER - (POSITION_FACTOR - 1)) / POSITION_FACTOR));

export function globalPosition(start: bigint, index: number): number {
  if (start < 0n || start > MAX_START)
    throw new RangeError(`log position ${start} is beyond what a global position can express`);
  if (!Number.isInteger(index) || index < 0 || index >= POSITION_FACTOR)
    throw new RangeError(`index ${index} in an append is out of range`);
  return Number(start) * POSITION_FACTOR + index;
}

/** The append start and the index a global position names; null for a number no event can have. */
export function splitGlobalPosition(p: number): { start: bigint; index: number } | null {
  if (!Number.isSafeInteger(p) || p < 0) return null;
  return { start: BigInt(Math.floor(p / POSITION_FACTOR)), index: p % POSITION_FACTOR };
}

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Where an event sits: its log position, and its append's start and its index there. */
export interface LogPoint {
  position: Position;
  start: bigint;
  index: number;
}

// u64 positions have at most 20 digits; fixed widths make plain string order the log order.
const pad = (n: bigint, width: number) => n.toString().padStart(width, '0');
const CHECKPOINT = /^(\d{20}):(\d{20}):(\d{20}):(\d{3})$/;

/**
 * `<commit>:<prepare>:<start>:<index>`, zero-padded. The log position comes first and is unique per
 * event, so plain string order is log order; the rest makes positionOf() a pure function.
 */
export function encodeCheckpoint(p: LogPoint): Checkpoint {
  if (p.position.commit < 0n || p.position.prepare < 0n || p.start < 0n)
    throw new RangeError('negative log position');
  if (!Number.isInteger(p.index) || p.index < 0 || p.index >= POSITION_FACTOR)
    throw new RangeError(`index ${p.index} in an append is out of range`);
  return `${pad(p.position.commit, 20)}:${pad(p.position.prepare, 20)}:${pad(p.start, 20)}:${pad(BigInt(p.index), 3)}`;
}

export function decodeCheckpoint(cp: Checkpoint): LogPoint {
  const m = typeof cp === 'string' ? CHECKPOINT.exec(cp) : null;
  if (!m) throw new EventStoreInputError(`not a KurrentDB store checkpoint: ${String(cp)}`);
  return {
    position: { commit: BigInt(m[1]), prepare: BigInt(m[2]) },
    start: BigInt(m[3]),
    index: Number(m[4]),
  };
}

export function positionOfCheckpoint(cp: Checkpoint): number {
  const { start, index } = decodeCheckpoint(cp);
  return globalPosition(start, index);
}

// ---------------------------------------------------------------------------------------------
// Events. Everything of ours that KurrentDB has no field for travels in one metadata property,
// `koji-es`, as a JSON string: the multi-stream append accepts string-valued metadata only (the
// server hands such properties back as a JSON object), and one shape for both append paths keeps
// reading simple.

export const ENVELOPE_KEY = 'koji-es';

export interface Envelope {
  /** Our event id (KurrentDB's must be a UUID; see eventUuid). */
  id: string;
  sv: number;
  /** Index of the event in its append (see globalPosition). */
  i: number;
  /** The id of the append's first event, on the others: how a reader finds the append's start. */
  a?: string;
  /** The adapter clock's time (recordedAt), as the other adapters use theirs. */
  t: string;
  m: EventMetadata;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * KurrentDB's id for one of ours: the id itself when it is a UUID, else a name-based (version 5
 * layout) UUID of it. Deterministic, so a retried append carries the same ids and the server's own
 * idempotency check recognizes it.
 */
export function eventUuid(eventId: string): string {
  if (UUID.test(eventId)) return eventId.toLowerCase();
  const h = createHash('sha1').update('koji-es:event:').update(eventId).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The event as the client appends it; `firstEventId` is the id of the append's event at index 0. */
export function encodeEvent(e: NewEvent, index: number, firstEventId: string, recordedAt: string): EventData {
  const m = e.metadata ?? {};
  const envelope: Envelope = { id: e.eventId, sv: e.schemaVersion ?? 1, i: index, t: recordedAt, m };
  if (index > 0) envelope.a = firstEventId;
  const metadata: Record<string, string> = { [ENVELOPE_KEY]: JSON.stringify(envelope) };
  // KurrentDB's own correlation projection ($by_correlation_id) reads these two keys.
  if (typeof m.correlationId === 'string') metadata.$correlationId = m.correlationId;
  if (typeof m.causationId === 'string') metadata.$causationId = m.causationId;
  return jsonEvent({
    id: eventUuid(e.eventId),
    type: e.type,
    // The client JSON.stringify()s any value; its type admits only objects, arrays and strings,
    // while our data may also be a number, a boolean or null (validated as plain JSON already).
    data: e.data as JSONType,
    metadata,
  });
}

/** The fields of the client's RecordedEvent the adapter reads. */
export interface ClientRecordedEvent {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  isJson: boolean;
  data: unknown;
  metadata?: unknown;
  position?: Position;
}

function parseJsonText(v: unknown): unknown {
  const t = typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : undefined;
  if (t === undefined) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Our envelope from an event's metadata; null when the event was not written by koji-es. */
export function envelopeOf(metadata: unknown): Envelope | null {
  const meta = isRecord(metadata) ? metadata : parseJsonText(metadata);
  if (!isRecord(meta)) return null;
  const raw = meta[ENVELOPE_KEY];
  const env = typeof raw === 'string' ? parseJsonText(raw) : raw;
  if (!isRecord(env)) return null;
  const { id, sv, i, a, t, m } = env;
  if (typeof id !== 'string' || typeof sv !== 'number' || typeof i !== 'number' || typeof t !== 'string')
    return null;
  if (!Number.isInteger(i) || i < 0 || i >= POSITION_FACTOR || (i > 0 && typeof a !== 'string')) return null;
  return { id, sv, i, ...(i > 0 ? { a: a as string } : {}), t, m: isRecord(m) ? (m as EventMetadata) : {} };
}

/** A system event (`$metadata`, `$>` links, statistics…): never part of koji-es's log. */
export const isSystemEvent = (e: { type: string; streamId: string }): boolean =>
  e.type.startsWith('$') || e.streamId.startsWith('$');

/** The log offset of an event: its prepare position (its commit position too, on current servers). */
export const logOffset = (position: Position): bigint => position.prepare;

/**
 * Where each event's append starts, as far as `events` tell: an append's first event (index 0)
 * starts it; the others name it (`a`). Returns a map from first-event id to start.
 */
export function appendStartsIn(events: ClientRecordedEvent[]): Map<string, bigint> {
  const starts = new Map<string, bigint>();
  for (const ev of events) {
    const env = envelopeOf(ev.metadata);
    if (env && env.i === 0 && ev.position) starts.set(env.id, logOffset(ev.position));
  }
  return starts;
}

/**
 * The event's place for its checkpoint and global position. `start` is its append's start when the
 * reader found it; without it (an event koji-es did not write, or an append whose first event is
 * gone) the event counts as an append of its own, which keeps positions unique and in log order.
 */
export function logPointOf(ev: ClientRecordedEvent, start?: bigint): LogPoint {
  if (!ev.position)
    throw new EventStoreUnavailableError(
      `KurrentDB returned event ${ev.id} of ${ev.streamId} without its log position; koji-es needs a server that reports positions (KurrentDB 20 or later)`,
    );
  const env = envelopeOf(ev.metadata);
  if (env && start !== undefined) return { position: ev.position, start, index: env.i };
  return { position: ev.position, start: logOffset(ev.position), index: 0 };
}

export function checkpointOfRaw(ev: ClientRecordedEvent, start?: bigint): Checkpoint {
  return encodeCheckpoint(logPointOf(ev, start));
}

/**
 * Our RecordedEvent for one read from KurrentDB, given its append's start (see logPointOf); null
 * for an event koji-es did not write (a system event, another application's, or outside this store's
 * stream prefix), which readers skip.
 */
export function decodeEvent(
  ev: ClientRecordedEvent,
  start: bigint | undefined,
  streamPrefix = '',
): RecordedEvent | null {
  if (isSystemEvent(ev) || !ev.streamId.startsWith(streamPrefix)) return null;
  const env = envelopeOf(ev.metadata);
  if (!env) return null;
  const point = logPointOf(ev, env.i === 0 && ev.position ? logOffset(ev.position) : start);
  return {
    eventId: env.id,
    type: ev.type,
    schemaVersion: env.sv,
    data: ev.isJson ? ev.data : parseJsonText(ev.data),
    metadata: env.m,
    stream: ev.streamId.slice(streamPrefix.length),
    streamVersion: versionOfRevision(ev.revision),
    position: globalPosition(point.start, point.index),
    checkpoint: encodeCheckpoint(point),
    recordedAt: env.t,
  };
}

// ---------------------------------------------------------------------------------------------
// Errors. The client raises classes of its own (told apart by their `type`, which survives two
// copies of the package where instanceof would not) and, for an append with no server listening,
// a plain gRPC error with `code: 14` that is none of them.

export interface ErrorContext {
  /** The connection string, for the message (the password is redacted here). */
  url: string;
  /** What the caller expected of each stream, so a conflict reports the caller's own value. */
  expected?: ReadonlyMap<string, ExpectedVersion>;
  /** The store's stream prefix, taken off stream names in messages. */
  streamPrefix?: string;
}

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAUTHENTICATED = 16;
const GRPC_PERMISSION_DENIED = 7;

function field(e: unknown, key: string): unknown {
  return typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[key] : undefined;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** One line, no password: what the server or the network said. */
function oneLine(message: string, url: string): string {
  let out = message.replace(/\s+/g, ' ').trim();
  const password = passwordOf(url);
  if (password) out = out.split(password).join('***');
  return out.length > 300 ? `${out.slice(0, 297)}...` : out;
}

function passwordOf(url: string): string | null {
  const m = /\/\/[^:/@]*:([^@/]*)@/.exec(url);
  return m && m[1] ? m[1] : null;
}

function unavailableReason(message: string): string {
  if (/ECONNREFUSED/.test(message)) return 'connection refused (is the server running and listening there?)';
  if (/ENOTFOUND|EAI_AGAIN|Name resolution failed|DNS resolution failed/i.test(message))
    return 'host not found';
  if (/EHOSTUNREACH|ENETUNREACH/.test(message)) return 'host unreachable';
  if (/ETIMEDOUT|timed? ?out/i.test(message)) return 'no answer (timed out)';
  if (/tls|ssl|certificate|handshake|wrong version number/i.test(message))
    return 'TLS handshake failed (does the tls= setting of the URL match the server? a dev server started with --insecure needs tls=false)';
  return 'unavailable';
}

/**
 * Our error for one the client raised (or the original when it is none the port knows): conflicts
 * become WrongExpectedVersionError with the stream, the caller's expected version and the actual
 * one; an unreachable, unwilling or too old server becomes EventStoreUnavailableError; an append
 * the server refuses for its content becomes EventStoreInputError. Messages are one line.
 */
export function translateError(e: unknown, ctx: ErrorContext): Error {
  if (
    e instanceof WrongExpectedVersionError ||
    e instanceof EventStoreInputError ||
    e instanceof EventStoreUnavailableError
  )
    return e;
  const where = `KurrentDB at ${redact(ctx.url)}`;
  const prefix = ctx.streamPrefix ?? '';
  const stream = (name: unknown) => {
    const s = text(name);
    return prefix && s.startsWith(prefix) ? s.slice(prefix.length) : s;
  };
  const message = oneLine(text(field(e, 'message')), ctx.url);
  const conflict = (name: unknown, expected: unknown, actual: unknown) => {
    const s = stream(name);
    const exp =
      ctx.expected?.get(s) ??
      (typeof expected === 'bigint' || typeof expected === 'string'
        ? expectedOfState(expected as AppendStreamState)
        : 'any');
    const act =
      typeof actual === 'bigint' || actual === NO_STREAM
        ? versionOfCurrentState(actual as CurrentStreamState)
        : 0;
    return new WrongExpectedVersionError(s, exp, act);
  };
  switch (field(e, 'type')) {
    case 'wrong-expected-version':
      return conflict(field(e, 'streamName'), field(e, 'expectedState'), field(e, 'actualState'));
    case 'append-consistency-violation': {
      const violations = field(e, 'violations');
      const v = Array.isArray(violations) ? (violations[0] as unknown) : undefined;
      return conflict(field(v, 'streamName'), field(v, 'expectedState'), field(v, 'actualState'));
    }
    case 'unavailable':
      return new EventStoreUnavailableError(
        `cannot reach ${where}: ${unavailableReason(message)}${message && message !== 'UnavailableError' ? ` (${message})` : ''}`,
      );
    case 'deadline-exceeded':
    case 'timeout':
      return new EventStoreUnavailableError(
        `${where} did not answer in time (the URL's defaultDeadline, 10000 ms unless set): is the cluster overloaded or partitioned?`,
      );
    case 'not-leader': {
      const leader = field(e, 'leader');
      const addr = text(field(leader, 'address'));
      const port = field(leader, 'port');
      return new EventStoreUnavailableError(
        `${where} is not the cluster's leader${addr ? ` (the leader is ${addr}:${String(port)})` : ''}: list the cluster's nodes with kurrentdb+discover:// and nodePreference=leader`,
      );
    }
    case 'access-denied':
      return new EventStoreUnavailableError(
        `${where} refused access: check the user and password in the URL; koji-es reads $all, which needs a member of $admins or an ACL granting it`,
      );
    case 'unsupported':
      return new EventStoreUnavailableError(
        `${where} is too old for ${text(field(e, 'feature')) || 'this operation'}: it needs KurrentDB ${text(field(e, 'minimumVersion')) || '(newer)'} or later; upgrade the server`,
      );
    case 'stream-deleted':
      return new EventStoreInputError(
        `stream ${stream(field(e, 'streamName')) || '(unknown)'} was deleted in ${where}; koji-es never deletes streams and cannot write to it again`,
      );
    case 'stream-tombstoned':
      return new EventStoreInputError(
        `stream ${stream(field(e, 'stream')) || '(unknown)'} was tombstoned (hard-deleted) in ${where}; it can never be written again`,
      );
    case 'maximum-append-size-exceeded': {
      const max = field(e, 'maxAppendSize');
      return new EventStoreInputError(
        `the append is larger than ${where} accepts in one append${typeof max === 'number' && max > 0 ? ` (MaxAppendSize ${max} bytes)` : ''}; nothing was appended`,
      );
    }
    case 'transaction-max-size-exceeded': {
      const max = field(e, 'maxSize');
      return new EventStoreInputError(
        `the multi-stream append is larger than ${where} accepts in one transaction${typeof max === 'number' && max > 0 ? ` (${max} bytes)` : ''}; nothing was appended`,
      );
    }
    case 'append-record-size-exceeded': {
      const max = field(e, 'maxSize');
      return new EventStoreInputError(
        `an event for stream ${stream(field(e, 'stream'))} is larger than ${where} accepts${typeof max === 'number' && max > 0 ? ` (${max} bytes)` : ''}; nothing was appended`,
      );
    }
  }
  // A plain gRPC error: what the client does not wrap (an append with no server listening).
  switch (field(e, 'code')) {
    case GRPC_UNAVAILABLE:
      return new EventStoreUnavailableError(`cannot reach ${where}: ${unavailableReason(message)}`);
    case GRPC_DEADLINE_EXCEEDED:
      return new EventStoreUnavailableError(`${where} did not answer in time (the URL's defaultDeadline)`);
    case GRPC_UNAUTHENTICATED:
    case GRPC_PERMISSION_DENIED:
      return new EventStoreUnavailableError(
        `${where} refused access: check the user and password in the URL (${message})`,
      );
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** A missing stream: reading it is an empty result, not an error. */
export function isStreamNotFound(e: unknown): boolean {
  return field(e, 'type') === 'stream-not-found';
}

/** Errors that mean the server (not one request) is out of reach: a lookup must not hide them. */
export function isUnavailable(e: unknown): boolean {
  return translateError(e, { url: '' }) instanceof EventStoreUnavailableError;
}

// ---------------------------------------------------------------------------------------------
// The server's version.

/** KurrentDB's first release with multi-stream appends (the client's `multiStreamAppend`). */
export const MULTI_STREAM_APPEND_VERSION = '25.1';

/**
 * Why start-up stops on a server without multi-stream appends: koji-es allocates ids and keeps
 * quotas in streams of their own, appended atomically with the entity's stream.
 */
export function multiStreamUnsupportedMessage(serverVersion: string, url: string): string {
  const version =
    serverVersion && serverVersion !== 'unknown' ? serverVersion : 'of an unknown version (older than 21.10)';
  return (
    `KurrentDB at ${redact(url)} is ${/^\d/.test(version) ? 'version ' : ''}${version}, which has no multi-stream appends; ` +
    `koji-es writes several streams atomically (ids, sidetag quotas) and needs KurrentDB ${MULTI_STREAM_APPEND_VERSION} or later: upgrade the server`
  );
}

/** One line for a connection string the client cannot parse; the password never appears. */
export function malformedUrlMessage(url: string, parserMessage: string): string {
  return `malformed store URL "${redact(url)}": ${oneLine(parserMessage, url)}`;
}
