// The KurrentDB adapter's pure translations, without a server (none can run on the project's
// machines). Errors are the client's own classes, built through their constructors; where a
// constructor wants a gRPC ServiceError, a plain object of that shape stands in for it. Nothing here
// stands in for the server: the adapter itself is tested by test/eventstore/kurrentdb.contract.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANY,
  AccessDeniedError,
  AppendConsistencyViolationError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  NotLeaderError,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  UnsupportedError,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  type Position,
} from '@kurrent/kurrentdb-client';
import { EventStoreInputError, EventStoreUnavailableError, WrongExpectedVersionError } from './errors.js';
import {
  ENVELOPE_KEY,
  MAX_EVENTS_PER_APPEND,
  appendStartsIn,
  checkpointOfRaw,
  envelopeOf,
  logPointOf,
  POSITION_FACTOR,
  comparePositions,
  decodeCheckpoint,
  decodeEvent,
  encodeCheckpoint,
  encodeEvent,
  eventUuid,
  expectedOfState,
  globalPosition,
  isStreamNotFound,
  isUnavailable,
  malformedUrlMessage,
  multiStreamUnsupportedMessage,
  positionOfCheckpoint,
  revisionOfVersion,
  splitGlobalPosition,
  streamStateOf,
  translateError,
  versionOfCurrentState,
  versionOfRevision,
  type ClientRecordedEvent,
  type LogPoint,
} from './kurrentdb.translate.js';
import type { NewEvent } from './port.js';

const URL_WITH_PASSWORD = 'kurrentdb://admin:s3cret-pw@db1:2113,db2:2113?tls=true';

describe('KurrentDB revisions and our versions', () => {
  test('expected versions map to stream states: n >= 1 is revision n-1, 0 is no stream', () => {
    assert.equal(streamStateOf('any'), ANY);
    assert.equal(streamStateOf('no_stream'), NO_STREAM);
    assert.equal(streamStateOf(0), NO_STREAM);
    assert.equal(streamStateOf('stream_exists'), STREAM_EXISTS);
    assert.equal(streamStateOf(1), 0n);
    assert.equal(streamStateOf(5), 4n);
    assert.equal(streamStateOf(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) - 1n);
  });

  test('a read event at revision r has version r+1, and back', () => {
    assert.equal(versionOfRevision(0n), 1);
    assert.equal(versionOfRevision(41n), 42);
    for (const v of [1, 2, 1000, 2 ** 40]) assert.equal(versionOfRevision(revisionOfVersion(v)), v);
    assert.throws(() => revisionOfVersion(0), RangeError);
    assert.throws(() => versionOfRevision(-1n), RangeError);
    assert.throws(() => versionOfRevision(BigInt(Number.MAX_SAFE_INTEGER)), RangeError);
  });

  test("a conflict's current state is a count of events; deleted streams count as empty", () => {
    assert.equal(versionOfCurrentState(NO_STREAM), 0);
    assert.equal(versionOfCurrentState(0n), 1);
    assert.equal(versionOfCurrentState(6n), 7);
    assert.equal(versionOfCurrentState(-5n), 0, 'deleted');
    assert.equal(versionOfCurrentState(-6n), 0, 'tombstoned');
    assert.equal(expectedOfState(ANY), 'any');
    assert.equal(expectedOfState(NO_STREAM), 'no_stream');
    assert.equal(expectedOfState(STREAM_EXISTS), 'stream_exists');
    assert.equal(expectedOfState(2n), 3);
  });
});

describe('KurrentDB checkpoints and global positions', () => {
  const at = (n: bigint): Position => ({ commit: n, prepare: n });
  // Log points as a current server reports them: each event at its own offset (commit = prepare),
  // an append's events next to each other; plus an explicitly committed (old) transaction, where
  // the events share their commit position.
  const points: LogPoint[] = [
    { position: at(0n), start: 0n, index: 0 },
    { position: at(128n), start: 128n, index: 0 },
    { position: at(301n), start: 128n, index: 1 },
    { position: at(9_999n), start: 128n, index: 2 },
    { position: at(10_000n), start: 10_000n, index: 0 },
    { position: { commit: 20_500n, prepare: 20_000n }, start: 20_000n, index: 0 },
    { position: { commit: 20_500n, prepare: 20_200n }, start: 20_000n, index: 1 },
    { position: at(99_999_999n), start: 99_999_999n, index: 0 },
    { position: at(100_000_000n), start: 100_000_000n, index: 0 },
    { position: at(100_000_007n), start: 100_000_000n, index: 1 },
    { position: at(2n ** 40n + 5n), start: 2n ** 40n, index: 999 },
    { position: at(18_446_744_073_709_551_615n), start: 18_446_744_073_709_551_615n, index: 0 },
  ];

  test('plain string order of checkpoints is log order', () => {
    const shuffled = [...points].reverse();
    shuffled.push(shuffled.shift()!);
    const byString = shuffled
      .map((p) => ({ p, cp: encodeCheckpoint(p) }))
      .sort((a, b) => (a.cp < b.cp ? -1 : a.cp > b.cp ? 1 : 0))
      .map((x) => x.p);
    assert.deepEqual(byString, points);
    assert.deepEqual(
      shuffled.map((p) => p.position).sort(comparePositions),
      points.map((p) => p.position),
    );
    for (let i = 0; i < 500; i++) {
      const rnd = () => BigInt(Math.floor(Math.random() * 1e12));
      const a = { commit: rnd(), prepare: rnd() };
      const b = { commit: rnd(), prepare: rnd() };
      const ca = encodeCheckpoint({ position: a, start: 0n, index: 999 });
      const cb = encodeCheckpoint({ position: b, start: 2n ** 60n, index: 0 });
      assert.equal(
        Math.sign(comparePositions(a, b)),
        Math.sign(ca < cb ? -1 : ca > cb ? 1 : 0),
        `${ca} vs ${cb}`,
      );
    }
  });

  test('a checkpoint decodes to its log point and names its global position', () => {
    const cp = encodeCheckpoint({ position: at(4_310n), start: 4_096n, index: 2 });
    assert.equal(cp, '00000000000000004310:00000000000000004310:00000000000000004096:002');
    assert.deepEqual(decodeCheckpoint(cp), { position: at(4_310n), start: 4_096n, index: 2 });
    assert.equal(positionOfCheckpoint(cp), 4_096 * POSITION_FACTOR + 2);
    for (const bad of ['', '12:34', '00000000000000004096:00000000000000004310:002', '0000000042', 'x:y:z:w'])
      assert.throws(() => decodeCheckpoint(bad), EventStoreInputError, bad);
  });

  test('global positions: consecutive within an append, growing across appends', () => {
    const first = [0, 1, 2].map((i) => globalPosition(4_096n, i));
    assert.deepEqual(first, [4_096_000, 4_096_001, 4_096_002]);
    // The next append starts further in the log: its first event follows the last of this one.
    assert.ok(globalPosition(4_500n, 0) > globalPosition(4_096n, MAX_EVENTS_PER_APPEND - 1));
    const global = points.slice(0, -1).map((p) => globalPosition(p.start, p.index));
    assert.deepEqual(
      global,
      [...global].sort((a, b) => a - b),
      'log order',
    );
    assert.equal(new Set(global).size, global.length, 'unique');
    assert.deepEqual(splitGlobalPosition(4_096_002), { start: 4_096n, index: 2 });
    assert.equal(splitGlobalPosition(-1), null);
    assert.equal(splitGlobalPosition(1.5), null);
    assert.throws(() => globalPosition(0n, POSITION_FACTOR), RangeError);
    assert.throws(() => globalPosition(2n ** 60n, 0), RangeError, 'beyond a safe integer');
    // The largest start still gives safe integers for every index; one more is refused.
    const big = BigInt(Math.floor(Number.MAX_SAFE_INTEGER / POSITION_FACTOR)) - 1n;
    assert.ok(Number.isSafeInteger(globalPosition(big, POSITION_FACTOR - 1)));
    assert.throws(() => globalPosition(big + 1n, 0), RangeError);
  });
});

describe('KurrentDB events', () => {
  const newEvent: NewEvent = {
    eventId: '6F1C3B1E-2A2B-4C4D-8E8F-0123456789AB',
    type: 'SideTagCreated',
    schemaVersion: 2,
    data: { id: 7, name: 'f40-build-side-7', extra: [1, null, 'x'] },
    metadata: { actor: { id: 1, name: 'alice' }, correlationId: 'req-1', causationId: 'req-1' },
  };
  const T = '2026-03-04T05:06:07.089Z';

  /** What the client hands back for an event it read: the shape of its RecordedEvent. */
  function asRead(
    e: ReturnType<typeof encodeEvent>,
    over: Partial<ClientRecordedEvent> = {},
  ): ClientRecordedEvent {
    return {
      streamId: 'hub1-sidetag-7',
      id: e.id,
      revision: 2n,
      type: e.type,
      created: new Date('2030-01-01T00:00:00Z'),
      isJson: true,
      data: JSON.parse(JSON.stringify(e.data)) as unknown,
      metadata: JSON.parse(JSON.stringify(e.metadata)) as unknown,
      position: { commit: 5_200n, prepare: 5_200n },
      ...over,
    };
  }

  test('an encoded event reads back as the event appended, with version, position and checkpoint', () => {
    const data = encodeEvent(newEvent, 1, 'first-of-the-append', T);
    assert.equal(data.contentType, 'application/json');
    assert.equal(data.id, newEvent.eventId.toLowerCase());
    const meta = data.metadata as Record<string, unknown>;
    assert.equal(typeof meta[ENVELOPE_KEY], 'string', 'string-valued, as multiStreamAppend requires');
    for (const v of Object.values(meta)) assert.equal(typeof v, 'string');
    assert.equal(meta.$correlationId, 'req-1');
    assert.equal(envelopeOf(meta)?.a, 'first-of-the-append');
    const rec = decodeEvent(asRead(data), 5_000n, 'hub1-');
    assert.deepEqual(rec, {
      eventId: newEvent.eventId,
      type: 'SideTagCreated',
      schemaVersion: 2,
      data: newEvent.data,
      metadata: newEvent.metadata,
      stream: 'sidetag-7',
      streamVersion: 3,
      position: 5_000_001,
      checkpoint: '00000000000000005200:00000000000000005200:00000000000000005000:001',
      recordedAt: T,
    });
  });

  test("one append read back: consecutive positions from the first event's log offset", () => {
    // Three events of one multi-stream append, each at its own offset, as a current server writes.
    const events = ['IdAllocated', 'TagCreated', 'TagLocked'].map((type, i) =>
      asRead(encodeEvent({ eventId: `e-${i}`, type, data: { i } }, i, 'e-0', T), {
        streamId: i === 0 ? 'ids-tag' : 'tag-9',
        revision: BigInt(i === 0 ? 8 : i - 1),
        position: { commit: 7_000n + 150n * BigInt(i), prepare: 7_000n + 150n * BigInt(i) },
      }),
    );
    const starts = appendStartsIn(events);
    assert.deepEqual([...starts], [['e-0', 7_000n]]);
    const recs = events.map((e) => decodeEvent(e, starts.get('e-0')));
    assert.deepEqual(
      recs.map((r) => [r?.stream, r?.streamVersion, r?.position]),
      [
        ['ids-tag', 9, 7_000_000],
        ['tag-9', 1, 7_000_001],
        ['tag-9', 2, 7_000_002],
      ],
    );
    const cps = recs.map((r) => r!.checkpoint);
    assert.deepEqual([...cps].sort(), cps, 'checkpoints in log order');
    assert.deepEqual(cps.map(positionOfCheckpoint), [7_000_000, 7_000_001, 7_000_002]);
    // An event whose append start is not known counts as an append of its own: still unique, still
    // between its neighbours in log order.
    const alone = logPointOf(events[2]);
    assert.deepEqual(alone, { position: events[2].position, start: 7_300n, index: 0 });
    const p = globalPosition(alone.start, alone.index);
    assert.ok(p > globalPosition(7_000n, 1) && p < globalPosition(7_301n, 0));
    assert.equal(checkpointOfRaw(events[2], 7_000n), cps[2]);
  });

  test('scalar data and binary metadata decode too', () => {
    for (const value of [0, 42.5, true, false, null, 'text', []]) {
      const data = encodeEvent({ eventId: 'e-1', type: 'T', data: value }, 0, 'e-1', T);
      const rec = decodeEvent(asRead(data, { streamId: 'x-1' }), undefined);
      assert.deepEqual(rec?.data, value);
      assert.deepEqual(rec?.metadata, {});
      assert.equal(rec?.position, 5_200_000, 'the first event of its append starts it');
    }
    const data = encodeEvent(newEvent, 0, newEvent.eventId, T);
    const binary = asRead(data, {
      metadata: new Uint8Array(Buffer.from(JSON.stringify(data.metadata))),
      isJson: false,
      data: new Uint8Array(Buffer.from(JSON.stringify(newEvent.data))),
    });
    assert.deepEqual(decodeEvent(binary, undefined, 'hub1-')?.data, newEvent.data);
    // What the server gives back for a multi-stream append's properties: string values plus its own.
    const props = asRead(data, {
      metadata: {
        ...(data.metadata as Record<string, string>),
        '$schema.name': 'SideTagCreated',
        '$schema.format': 'Json',
      },
    });
    assert.equal(decodeEvent(props, undefined, 'hub1-')?.eventId, newEvent.eventId);
  });

  test("system events, other applications' events and other prefixes are not ours", () => {
    const data = encodeEvent(newEvent, 0, newEvent.eventId, T);
    assert.equal(decodeEvent(asRead(data, { type: '$metadata' }), undefined, 'hub1-'), null);
    assert.equal(decodeEvent(asRead(data, { streamId: '$$hub1-sidetag-7' }), undefined), null);
    assert.equal(decodeEvent(asRead(data), undefined, 'hub2-'), null);
    assert.equal(decodeEvent(asRead(data, { metadata: { $correlationId: 'x' } }), undefined, 'hub1-'), null);
    assert.equal(decodeEvent(asRead(data, { metadata: undefined }), undefined, 'hub1-'), null);
    assert.equal(
      decodeEvent(asRead(data, { metadata: { [ENVELOPE_KEY]: '{"id":1}' } }), undefined, 'hub1-'),
      null,
    );
    const second = encodeEvent(newEvent, 1, 'x', T);
    const noFirst = JSON.parse((second.metadata as Record<string, string>)[ENVELOPE_KEY]) as Record<
      string,
      unknown
    >;
    delete noFirst.a;
    assert.equal(
      envelopeOf({ [ENVELOPE_KEY]: JSON.stringify(noFirst) }),
      null,
      'index > 0 names its first event',
    );
    assert.throws(
      () => decodeEvent(asRead(data, { position: undefined }), undefined, 'hub1-'),
      EventStoreUnavailableError,
    );
  });

  test('event ids that are not UUIDs get a stable UUID of their own', () => {
    const a = eventUuid('alloc-tag-17');
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(eventUuid('alloc-tag-17'), a, 'deterministic, so a retry is recognized');
    assert.notEqual(eventUuid('alloc-tag-18'), a);
    assert.equal(eventUuid('0F1C3B1E-2A2B-4C4D-8E8F-0123456789AB'), '0f1c3b1e-2a2b-4c4d-8e8f-0123456789ab');
  });
});

describe('KurrentDB errors', () => {
  const ctx = { url: URL_WITH_PASSWORD, streamPrefix: 'hub1-' };
  /** A gRPC ServiceError's shape, for the constructors that read one. */
  const serviceError = (message: string, map: Record<string, string>) =>
    ({
      message,
      code: 9,
      details: message,
      metadata: { getMap: () => map },
    }) as unknown as ConstructorParameters<typeof NotLeaderError>[0];

  const oneLineWithoutPassword = (e: Error) => {
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.ok(!e.message.includes('s3cret-pw'), `no password: ${e.message}`);
  };

  test("WrongExpectedVersionError becomes ours: stream without the prefix, the caller's expected, actual count", () => {
    const client = new ClientWrongExpectedVersionError(undefined, {
      streamName: 'hub1-sidetag-7',
      expected: 1n,
      current: 3n,
    });
    const withCaller = translateError(client, { ...ctx, expected: new Map([['sidetag-7', 2]]) });
    assert.ok(withCaller instanceof WrongExpectedVersionError);
    assert.equal(withCaller.stream, 'sidetag-7');
    assert.equal(withCaller.expected, 2);
    assert.equal(withCaller.actual, 4);
    const fromState = translateError(client, ctx) as WrongExpectedVersionError;
    assert.equal(fromState.expected, 2, 'revision 1 expected = version 2');
    const missing = translateError(
      new ClientWrongExpectedVersionError(undefined, {
        streamName: 'hub1-a-2',
        expected: STREAM_EXISTS,
        current: NO_STREAM,
      }),
      { ...ctx, expected: new Map([['a-2', 'stream_exists']]) },
    ) as WrongExpectedVersionError;
    assert.deepEqual([missing.stream, missing.expected, missing.actual], ['a-2', 'stream_exists', 0]);
    const zero = translateError(
      new ClientWrongExpectedVersionError(undefined, {
        streamName: 'hub1-a-3',
        expected: NO_STREAM,
        current: 0n,
      }),
      { ...ctx, expected: new Map([['a-3', 0]]) },
    ) as WrongExpectedVersionError;
    assert.deepEqual([zero.expected, zero.actual], [0, 1], 'expected 0 stays 0, as the caller wrote it');
  });

  test('a multi-stream consistency violation is a conflict on its first stream', () => {
    const client = new AppendConsistencyViolationError(serviceError('violated', {}), {
      violationsList: [
        { checkIndex: 0, streamState: { stream: 'hub1-user-alice', expectedState: '4', actualState: '6' } },
        { checkIndex: 1, streamState: { stream: 'hub1-sidetag-9', expectedState: '-1', actualState: '0' } },
      ],
    } as unknown as ConstructorParameters<typeof AppendConsistencyViolationError>[1]);
    const e = translateError(client, ctx);
    assert.ok(e instanceof WrongExpectedVersionError, String(e));
    assert.deepEqual([e.stream, e.expected, e.actual], ['user-alice', 5, 7]);
  });

  test('an unreachable server is one line naming the URL without its password', () => {
    // appendToStream's failure with no server listening: a plain gRPC error, not a client class.
    const plain = Object.assign(
      new Error(
        '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ',
      ),
      { code: 14, details: 'No connection established' },
    );
    for (const err of [plain, new UnavailableError(undefined, 'UnavailableError')]) {
      const e = translateError(err, ctx);
      assert.ok(e instanceof EventStoreUnavailableError, String(e));
      assert.match(
        e.message,
        /^cannot reach KurrentDB at kurrentdb:\/\/admin:\*\*\*@db1:2113,db2:2113\?tls=true: /,
      );
      oneLineWithoutPassword(e);
      assert.ok(isUnavailable(err));
    }
    assert.match(translateError(plain, ctx).message, /connection refused/);
    const dns = Object.assign(new Error('14 UNAVAILABLE: getaddrinfo ENOTFOUND db1'), { code: 14 });
    assert.match(translateError(dns, ctx).message, /host not found/);
  });

  test('deadline, not leader, access denied and unsupported are unavailability, one line each', () => {
    const cases: [Error, RegExp][] = [
      [new DeadlineExceededError(undefined, 'deadline'), /did not answer in time/],
      [
        new NotLeaderError(
          serviceError('not leader', { 'leader-endpoint-host': 'db2', 'leader-endpoint-port': '2113' }),
        ),
        /not the cluster's leader \(the leader is db2:2113\).*nodePreference=leader/,
      ],
      [new AccessDeniedError(undefined, 'Access denied'), /refused access: check the user and password/],
      [
        new UnsupportedError('multiStreamAppend', '25.1'),
        /too old for multiStreamAppend: it needs KurrentDB 25\.1 or later/,
      ],
      [
        Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 10s'), { code: 4 }),
        /did not answer in time/,
      ],
    ];
    for (const [err, re] of cases) {
      const e = translateError(err, ctx);
      assert.ok(e instanceof EventStoreUnavailableError, `${err.constructor.name}: ${String(e)}`);
      assert.match(e.message, re);
      oneLineWithoutPassword(e);
    }
  });

  test('deleted streams and oversize appends are refused input, one line each', () => {
    const deleted = translateError(StreamDeletedError.fromStreamName('hub1-tag-3'), ctx);
    assert.ok(deleted instanceof EventStoreInputError);
    assert.match(deleted.message, /^stream tag-3 was deleted in KurrentDB/);
    const big = translateError(MaxAppendSizeExceededError.fromMaxAppendSize(1_048_576), ctx);
    assert.ok(big instanceof EventStoreInputError);
    assert.match(big.message, /MaxAppendSize 1048576 bytes\); nothing was appended/);
    oneLineWithoutPassword(deleted);
    oneLineWithoutPassword(big);
  });

  test('ours pass through, a missing stream is recognized, and anything else is left as it is', () => {
    const ours = new WrongExpectedVersionError('a-1', 1, 2);
    assert.equal(translateError(ours, ctx), ours);
    assert.ok(isStreamNotFound(new StreamNotFoundError(undefined, 'hub1-x')));
    assert.ok(!isStreamNotFound(new UnavailableError()));
    const other = new TypeError('a bug');
    assert.equal(translateError(other, ctx), other);
    assert.ok(!isUnavailable(other));
  });

  test('start-up messages name the server version and what to upgrade, without the password', () => {
    const m = multiStreamUnsupportedMessage('24.10.4', URL_WITH_PASSWORD);
    assert.match(
      m,
      /is version 24\.10\.4, which has no multi-stream appends; .* needs KurrentDB 25\.1 or later: upgrade the server$/,
    );
    assert.ok(!m.includes('s3cret-pw'));
    assert.match(
      multiStreamUnsupportedMessage('unknown', URL_WITH_PASSWORD),
      /of an unknown version \(older than 21\.10\)/,
    );
    const bad = malformedUrlMessage(
      'kurrentdb://u:s3cret-pw@h:abc',
      'Unexpected "abc" at position 22,\n expected port number.',
    );
    assert.equal(
      bad,
      'malformed store URL "kurrentdb://u:***@h:abc": Unexpected "abc" at position 22, expected port number.',
    );
  });
});
