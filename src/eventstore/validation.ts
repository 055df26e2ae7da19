import { EventStoreInputError, WrongExpectedVersionError } from './errors.js';
import type { ExpectedVersion, NewEvent, StreamWrite } from './port.js';

export const MAX_STREAM_NAME_LENGTH = 200;
export const STREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@+=/-]*$/;
const EVENT_TYPE = /^[A-Za-z][A-Za-z0-9_.]*$/;

export function assertStreamName(stream: unknown): asserts stream is string {
  if (typeof stream !== 'string' || stream.length === 0)
    throw new EventStoreInputError('stream name must be a non-empty string');
  if (stream.length > MAX_STREAM_NAME_LENGTH)
    throw new EventStoreInputError(
      `stream name is ${stream.length} characters long; the limit is ${MAX_STREAM_NAME_LENGTH}`,
    );
  if (!STREAM_NAME.test(stream))
    throw new EventStoreInputError(
      `stream name ${JSON.stringify(stream)} may contain only letters, digits and _ . : @ + = / -`,
    );
}

export function assertExpectedVersion(v: unknown): asserts v is ExpectedVersion {
  if (v === 'any' || v === 'no_stream' || v === 'stream_exists') return;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return;
  throw new EventStoreInputError(
    `unknown expected version ${JSON.stringify(v)}: use 'any', 'no_stream', 'stream_exists' or a version >= 0`,
  );
}

/** Rejects anything JSON would silently change: undefined, functions, NaN, Dates, Maps, class instances, cycles. */
export function assertPlainJson(value: unknown, path: string, seen: Set<object> = new Set()): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new EventStoreInputError(`${path} is ${value}, which JSON cannot hold`);
      return;
    case 'object': {
      if (value === null) return;
      if (seen.has(value)) throw new EventStoreInputError(`${path} refers to itself (a cycle)`);
      seen.add(value);
      if (Array.isArray(value)) {
        value.forEach((v, i) => assertPlainJson(v, `${path}[${i}]`, seen));
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          throw new EventStoreInputError(`${path} is a ${name}, not plain JSON`);
        }
        for (const [k, v] of Object.entries(value)) assertPlainJson(v, `${path}.${k}`, seen);
      }
      seen.delete(value);
      return;
    }
    default:
      throw new EventStoreInputError(`${path} is a ${typeof value}, which JSON cannot hold`);
  }
}

/**
 * A fast yes for the common case: plain JSON, built without the path strings the error messages
 * need. It never says yes where assertPlainJson would throw (a cycle runs into the depth limit), so
 * a no just hands over to assertPlainJson, which decides and words the error.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth > 100) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in value) if (!isPlainJson((value as Record<string, unknown>)[k], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

export function assertNewEvent(e: NewEvent, where: string): void {
  if (typeof e !== 'object' || e === null) throw new EventStoreInputError(`${where} is not an event object`);
  if (typeof e.eventId !== 'string' || e.eventId.length === 0 || e.eventId.length > 100)
    throw new EventStoreInputError(`${where}.eventId must be a non-empty string of at most 100 characters`);
  if (typeof e.type !== 'string' || !EVENT_TYPE.test(e.type) || e.type.length > 100)
    throw new EventStoreInputError(`${where}.type ${JSON.stringify(e.type)} is not a valid event type name`);
  if (e.schemaVersion !== undefined && !(Number.isSafeInteger(e.schemaVersion) && e.schemaVersion >= 1))
    throw new EventStoreInputError(`${where}.schemaVersion must be an integer >= 1`);
  if (e.data === undefined) throw new EventStoreInputError(`${where}.data is missing`);
  if (!isPlainJson(e.data, 0)) assertPlainJson(e.data, `${where}.data`);
  if (e.metadata !== undefined && !isPlainJson(e.metadata, 0))
    assertPlainJson(e.metadata, `${where}.metadata`);
}

/** Validates a whole multi-stream write before anything touches the database. */
export function validateWrites(writes: StreamWrite[]): void {
  if (!Array.isArray(writes) || writes.length === 0) throw new EventStoreInputError('nothing to append');
  const streams = new Set<string>();
  const ids = new Set<string>();
  writes.forEach((w, i) => {
    assertStreamName(w.stream);
    assertExpectedVersion(w.expectedVersion);
    if (streams.has(w.stream))
      throw new EventStoreInputError(`stream ${w.stream} appears twice in one append; merge its events`);
    streams.add(w.stream);
    if (!Array.isArray(w.events) || w.events.length === 0)
      throw new EventStoreInputError(`the write to stream ${w.stream} has no events`);
    w.events.forEach((e, j) => {
      assertNewEvent(e, `writes[${i}].events[${j}]`);
      if (ids.has(e.eventId))
        throw new EventStoreInputError(`event id ${e.eventId} appears twice in one append`);
      ids.add(e.eventId);
    });
  });
}

/** The expected-version rule every adapter applies inside its transaction. */
export function checkExpectedVersion(stream: string, expected: ExpectedVersion, actual: number): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && actual === 0) ||
    (expected === 'stream_exists' && actual > 0) ||
    expected === actual;
  if (!ok) throw new WrongExpectedVersionError(stream, expected, actual);
}

export function padPosition(n: number): string {
  return String(n).padStart(20, '0');
}
