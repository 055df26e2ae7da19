import type { ExpectedVersion, StreamName } from './port.js';

/** The one error every adapter raises for an optimistic-concurrency conflict. */
export class WrongExpectedVersionError extends Error {
  constructor(
    readonly stream: StreamName,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`wrong expected version for stream ${stream}: expected ${String(expected)}, actual ${actual}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/** Bad input to the store (stream name, event shape, payload): nothing was appended. */
export class EventStoreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStoreInputError';
  }
}

/** The store could not be opened or reached (start-up prints this as one line). */
export class EventStoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}
