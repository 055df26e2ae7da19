// The one contract every EventStore adapter passes (DESIGN §4). Each adapter's test file calls
// eventStoreContract() with a harness that opens a fresh, empty store.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { EventStore, NewEvent, ReadAllPage, RecordedEvent, ScanOptions } from 'koji-es/eventstore/port';
import { EventStoreInputError, WrongExpectedVersionError } from 'koji-es/eventstore/errors';

export interface OpenedStore {
  store: EventStore;
  /** A URL another thread can open the same store with; absent for in-memory stores. */
  url?: string;
  close(): Promise<void>;
}

export interface ContractHarness {
  open(): Promise<OpenedStore>;
  /** The store reads long scans ahead on a thread of its own (EventStore.scan). */
  scans?: boolean;
}

export const ev = (type: string, data: unknown = {}, extra: Partial<NewEvent> = {}): NewEvent => ({
  eventId: randomUUID(),
  type,
  data,
  ...extra,
});

async function rejectsWith(
  p: Promise<unknown>,
  cls: new (...a: never[]) => Error,
  check?: (e: never) => void,
) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    check?.(e as never);
    return true;
  });
}

export function eventStoreContract(name: string, harness: ContractHarness): void {
  describe(`EventStore contract: ${name}`, () => {
    const opened: OpenedStore[] = [];
    const fresh = async () => {
      const o = await harness.open();
      opened.push(o);
      return o.store;
    };
    after(async () => {
      for (const o of opened) await o.close();
    });

    test('round trip: append and read back with versions, positions and metadata', async () => {
      const s = await fresh();
      const r = await s.appendToStream(
        'order-1',
        [
          ev(
            'OrderPlaced',
            { n: 1, nested: { a: [1, 'x', null, true] } },
            {
              metadata: { actor: { id: 7, name: 'alice' }, correlationId: 'c1', clientAddress: '192.0.2.7' },
            },
          ),
          ev('OrderPaid', { n: 2 }, { schemaVersion: 2 }),
          ev('OrderShipped', { n: 3 }),
        ],
        'no_stream',
      );
      assert.deepEqual(r.streams, [{ stream: 'order-1', nextExpectedVersion: 3 }]);
      assert.equal(r.lastPosition - r.firstPosition, 2);
      const all = await s.readStream('order-1');
      assert.deepEqual(
        all.map((e) => [e.type, e.streamVersion, e.schemaVersion]),
        [
          ['OrderPlaced', 1, 1],
          ['OrderPaid', 2, 2],
          ['OrderShipped', 3, 1],
        ],
      );
      assert.deepEqual(all[0].data, { n: 1, nested: { a: [1, 'x', null, true] } });
      assert.deepEqual(all[0].metadata, {
        actor: { id: 7, name: 'alice' },
        correlationId: 'c1',
        clientAddress: '192.0.2.7',
      });
      assert.deepEqual(all[1].metadata, {});
      assert.equal(all[0].position, r.firstPosition);
      assert.equal(all[2].checkpoint, r.checkpoint);
      assert.equal(s.positionOf(all[2].checkpoint), r.lastPosition);
      assert.ok(!Number.isNaN(Date.parse(all[0].recordedAt)));
      assert.equal(await s.streamVersion('order-1'), 3);
      assert.equal(await s.streamVersion('order-404'), 0);
      assert.deepEqual(await s.readStream('order-404'), []);
      const from2 = await s.readStream('order-1', { fromVersion: 2 });
      assert.deepEqual(
        from2.map((e) => e.streamVersion),
        [2, 3],
      );
      const back = await s.readStream('order-1', { direction: 'backward', maxCount: 2 });
      assert.deepEqual(
        back.map((e) => e.streamVersion),
        [3, 2],
      );
      const backFrom = await s.readStream('order-1', { direction: 'backward', fromVersion: 2 });
      assert.deepEqual(
        backFrom.map((e) => e.streamVersion),
        [2, 1],
      );
      const one = await s.readStream('order-1', { maxCount: 1 });
      assert.deepEqual(
        one.map((e) => e.streamVersion),
        [1],
      );
    });

    test('expected versions: any, no_stream, stream_exists and exact', async () => {
      const s = await fresh();
      await s.appendToStream('a-1', [ev('E')], 'no_stream');
      await rejectsWith(
        s.appendToStream('a-1', [ev('E')], 'no_stream'),
        WrongExpectedVersionError,
        (e: WrongExpectedVersionError) => {
          assert.equal(e.stream, 'a-1');
          assert.equal(e.expected, 'no_stream');
          assert.equal(e.actual, 1);
        },
      );
      await rejectsWith(
        s.appendToStream('a-2', [ev('E')], 'stream_exists'),
        WrongExpectedVersionError,
        (e: WrongExpectedVersionError) => {
          assert.equal(e.actual, 0);
        },
      );
      await s.appendToStream('a-1', [ev('E')], 'stream_exists');
      await s.appendToStream('a-1', [ev('E')], 2);
      await rejectsWith(
        s.appendToStream('a-1', [ev('E')], 2),
        WrongExpectedVersionError,
        (e: WrongExpectedVersionError) => {
          assert.equal(e.expected, 2);
          assert.equal(e.actual, 3);
        },
      );
      await rejectsWith(s.appendToStream('a-1', [ev('E')], 7), WrongExpectedVersionError);
      await s.appendToStream('a-3', [ev('E')], 0);
      await rejectsWith(s.appendToStream('a-3', [ev('E')], 0), WrongExpectedVersionError);
      await s.appendToStream('a-1', [ev('E'), ev('E')], 'any');
      await s.appendToStream('a-4', [ev('E')], 'any');
      assert.equal(await s.streamVersion('a-1'), 5);
      assert.equal(await s.streamVersion('a-4'), 1);
      assert.equal(await s.streamVersion('a-2'), 0);
    });

    test('multi-stream appends are atomic: one conflict and nothing is appended anywhere', async () => {
      const s = await fresh();
      await s.appendToStream('b-1', [ev('E')], 'no_stream');
      const head = await s.headCheckpoint();
      await rejectsWith(
        s.appendMulti([
          { stream: 'b-2', events: [ev('E'), ev('E')], expectedVersion: 'no_stream' },
          { stream: 'b-1', events: [ev('E')], expectedVersion: 5 },
          { stream: 'b-3', events: [ev('E')], expectedVersion: 'any' },
        ]),
        WrongExpectedVersionError,
        (e: WrongExpectedVersionError) => assert.equal(e.stream, 'b-1'),
      );
      assert.equal(await s.streamVersion('b-2'), 0);
      assert.equal(await s.streamVersion('b-3'), 0);
      assert.equal(await s.streamVersion('b-1'), 1);
      assert.equal(await s.headCheckpoint(), head);
      const r = await s.appendMulti([
        { stream: 'b-2', events: [ev('E'), ev('E')], expectedVersion: 'no_stream' },
        { stream: 'b-1', events: [ev('E')], expectedVersion: 1 },
      ]);
      assert.deepEqual(r.streams, [
        { stream: 'b-2', nextExpectedVersion: 2 },
        { stream: 'b-1', nextExpectedVersion: 2 },
      ]);
      assert.equal(r.lastPosition - r.firstPosition, 2);
      const page = await s.readAll({ after: head });
      assert.deepEqual(
        page.events.map((e) => [e.stream, e.streamVersion]),
        [
          ['b-2', 1],
          ['b-2', 2],
          ['b-1', 2],
        ],
      );
    });

    test('re-appending the same event ids is idempotent', async () => {
      const s = await fresh();
      const batch = [ev('E', { i: 1 }), ev('E', { i: 2 })];
      const first = await s.appendToStream('c-1', batch, 'no_stream');
      const again = await s.appendToStream('c-1', batch, 'no_stream');
      assert.deepEqual(again, first);
      const multi = [
        { stream: 'c-2', events: [ev('E')], expectedVersion: 'no_stream' as const },
        { stream: 'c-3', events: [ev('E')], expectedVersion: 'no_stream' as const },
      ];
      const m1 = await s.appendMulti(multi);
      const m2 = await s.appendMulti(multi);
      assert.deepEqual(m2, m1);
      assert.equal(await s.streamVersion('c-1'), 2);
      assert.equal(await s.streamVersion('c-2'), 1);
      const head = await s.headCheckpoint();
      await assert.rejects(s.appendToStream('c-1', [batch[0], ev('E')], 'any'), EventStoreInputError);
      assert.equal(await s.headCheckpoint(), head);
    });

    test('bad input is refused with a clear error and nothing is appended', async () => {
      const s = await fresh();
      await s.appendToStream('d-1', [ev('E')], 'no_stream');
      const head = await s.headCheckpoint();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const bad: [string, Promise<unknown>, RegExp][] = [
        ['empty stream', s.appendToStream('', [ev('E')], 'any'), /non-empty/],
        ['long stream', s.appendToStream('x'.repeat(201), [ev('E')], 'any'), /201 characters long/],
        ['bigint', s.appendToStream('d-2', [ev('E', { n: 1n })], 'any'), /data\.n is a bigint/],
        ['date', s.appendToStream('d-2', [ev('E', { when: new Date() })], 'any'), /data\.when is a Date/],
        ['NaN', s.appendToStream('d-2', [ev('E', { n: NaN })], 'any'), /NaN/],
        ['undefined', s.appendToStream('d-2', [ev('E', { n: undefined })], 'any'), /undefined/],
        ['function', s.appendToStream('d-2', [ev('E', { f: () => 1 })], 'any'), /function/],
        ['cycle', s.appendToStream('d-2', [ev('E', cyclic)], 'any'), /cycle/],
        ['expected', s.appendToStream('d-1', [ev('E')], 'latest' as never), /unknown expected version/],
        ['negative', s.appendToStream('d-1', [ev('E')], -1), /unknown expected version/],
        ['fraction', s.appendToStream('d-1', [ev('E')], 1.5), /unknown expected version/],
        ['no events', s.appendToStream('d-1', [], 'any'), /no events/],
        ['bad type', s.appendToStream('d-1', [ev('no spaces allowed')], 'any'), /not a valid event type/],
        [
          'second stream bad',
          s.appendMulti([
            { stream: 'd-3', events: [ev('E')], expectedVersion: 'any' },
            { stream: 'd-4', events: [ev('E', { n: 1n })], expectedVersion: 'any' },
          ]),
          /bigint/,
        ],
      ];
      for (const [what, p, msg] of bad) {
        await assert.rejects(p, (e: unknown) => {
          assert.ok(e instanceof EventStoreInputError, `${what}: ${String(e)}`);
          assert.match((e as Error).message, msg, what);
          return true;
        });
      }
      assert.equal(await s.headCheckpoint(), head);
      assert.equal(await s.streamVersion('d-3'), 0);
    });

    test('readAll pages the global log, filters, and moves the checkpoint past filtered events', async () => {
      const s = await fresh();
      assert.equal(await s.headCheckpoint(), null);
      const empty = await s.readAll();
      assert.deepEqual(empty.events, []);
      assert.equal(empty.atEnd, true);
      assert.equal(empty.checkpoint, null);
      for (let i = 0; i < 5; i++) {
        await s.appendToStream(`tag-${i}`, [ev('TagCreated', { i })], 'no_stream');
        await s.appendToStream(`user-${i}`, [ev('UserCreated', { i })], 'no_stream');
      }
      const p1 = await s.readAll({ maxCount: 4 });
      assert.equal(p1.events.length, 4);
      assert.equal(p1.atEnd, false);
      const p2 = await s.readAll({ after: p1.checkpoint, maxCount: 100 });
      assert.equal(p2.events.length, 6);
      assert.equal(p2.atEnd, true);
      assert.equal(p2.checkpoint, await s.headCheckpoint());
      const positions = [...p1.events, ...p2.events].map((e) => e.position);
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
      );
      const tags = await s.readAll({ filter: { types: ['TagCreated'] } });
      assert.deepEqual(
        tags.events.map((e) => (e.data as { i: number }).i),
        [0, 1, 2, 3, 4],
      );
      assert.equal(tags.checkpoint, await s.headCheckpoint());
      const users = await s.readAll({ filter: { streamPrefixes: ['user-'] }, maxCount: 2 });
      assert.deepEqual(
        users.events.map((e) => e.stream),
        ['user-0', 'user-1'],
      );
      const none = await s.readAll({ filter: { types: ['Nothing'] } });
      assert.deepEqual(none.events, []);
      assert.equal(none.checkpoint, await s.headCheckpoint(), 'a filtered scan still advances');
      const caught = await s.readAll({ after: await s.headCheckpoint() });
      assert.deepEqual(caught.events, []);
      assert.equal(caught.atEnd, true);
    });

    test('scan: what readAll reads, to the head or to `until`, with only the metadata asked for', async () => {
      const s = await fresh();
      assert.equal(typeof s.scan, harness.scans ? 'function' : 'undefined');
      if (!s.scan) return;
      const scan = async (o: ScanOptions) => {
        const pages: ReadAllPage[] = [];
        for await (const p of s.scan!(o)) pages.push(p);
        return pages;
      };
      const empty = await scan({});
      assert.deepEqual(
        empty.map((p) => [p.events.length, p.checkpoint, p.atEnd]),
        [[0, null, true]],
      );
      for (let i = 0; i < 25; i++)
        await s.appendMulti(
          [0, 1, 2, 3].map((k) => ({
            stream: `scan-${k}`,
            events: Array.from({ length: 25 }, (_, j) =>
              ev(
                k % 2 ? 'Odd' : 'Even',
                { i, j, s: `é "${k}"\n` },
                { metadata: { recordedTime: `t${i}`, k } },
              ),
            ),
            expectedVersion: 'any',
          })),
        );
      const all: RecordedEvent[] = [];
      for (let cp = null as string | null; ;) {
        const p = await s.readAll({ after: cp, maxCount: 700 });
        all.push(...p.events);
        cp = p.checkpoint;
        if (p.atEnd) break;
      }
      assert.equal(all.length, 2500);
      const pages = await scan({});
      assert.ok(pages.length > 1, 'a long scan comes in pages');
      assert.deepEqual(
        pages.flatMap((p) => p.events),
        all,
      );
      assert.equal(pages.at(-1)!.checkpoint, await s.headCheckpoint());
      assert.equal(pages.at(-1)!.atEnd, true);

      // Filtered, with metadata for one type only: the other type's fails when read.
      const odd = (await scan({ filter: { types: ['Odd', 'Even'] }, metadataOf: ['Odd'] })).flatMap(
        (p) => p.events,
      );
      assert.equal(odd.length, 2500);
      for (const e of odd.slice(0, 8))
        if (e.type === 'Odd')
          assert.equal(
            e.metadata.recordedTime,
            all.find((a) => a.eventId === e.eventId)!.metadata.recordedTime,
          );
        else assert.throws(() => e.metadata.recordedTime, /metadata of this event was not read/);
      const evens = (await scan({ filter: { types: ['Even'] }, metadataOf: [] })).flatMap((p) => p.events);
      assert.deepEqual(
        evens.map((e) => e.eventId),
        all.filter((e) => e.type === 'Even').map((e) => e.eventId),
      );

      // From `after` to `until`, both positions of the log.
      const from = all[99];
      const to = all[1999];
      const part = await scan({ after: from.checkpoint, until: to.checkpoint });
      assert.deepEqual(
        part.flatMap((p) => p.events).map((e) => e.position),
        all.slice(100, 2000).map((e) => e.position),
      );
      assert.equal(part.at(-1)!.checkpoint, to.checkpoint);
      assert.deepEqual(await scan({ after: to.checkpoint, until: from.checkpoint }), []);

      // A reader that stops early leaves nothing running behind (the test would not end).
      for await (const p of s.scan({})) {
        assert.ok(p.events.length > 0);
        break;
      }
    });

    test('lookup finds events by global position and by event id', async () => {
      const s = await fresh();
      const a = ev('A');
      const b = ev('B');
      const r = await s.appendToStream('l-1', [a, b, ev('C')], 'no_stream');
      const found = await s.lookup({
        positions: [r.firstPosition + 2, 999999],
        eventIds: [b.eventId, 'nope'],
      });
      assert.deepEqual(
        found.map((e) => [e.type, e.position]),
        [
          ['B', r.firstPosition + 1],
          ['C', r.firstPosition + 2],
        ],
      );
      assert.deepEqual(await s.lookup({}), []);
    });

    test('subscribe: catch-up, then live, then resume from a saved checkpoint with nothing missed or repeated', async () => {
      const s = await fresh();
      for (let i = 1; i <= 5; i++) await s.appendToStream('s-1', [ev('N', { i })], 'any');
      const seen: number[] = [];
      let saved: string | null = null;
      let caughtUp = 0;
      const ac = new AbortController();
      let wake: () => void = () => {};
      const progress = () => new Promise<void>((r) => (wake = r));
      let next = progress();
      const sub = s.subscribe({
        signal: ac.signal,
        batchSize: 2,
        pollIntervalMs: 50,
        onBatch: async (events: RecordedEvent[], cp) => {
          for (const e of events) seen.push((e.data as { i: number }).i);
          saved = cp;
          wake();
        },
        onCaughtUp: () => {
          caughtUp++;
          wake();
        },
      });
      while (seen.length < 5) {
        await next;
        next = progress();
      }
      assert.deepEqual(seen, [1, 2, 3, 4, 5]);
      for (let i = 6; i <= 8; i++) await s.appendToStream('s-1', [ev('N', { i })], 'any');
      while (seen.length < 8) {
        await next;
        next = progress();
      }
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.ok(caughtUp >= 1);
      ac.abort();
      await sub;
      for (let i = 9; i <= 10; i++) await s.appendToStream('s-1', [ev('N', { i })], 'any');
      const resumed: number[] = [];
      const ac2 = new AbortController();
      await s.subscribe({
        signal: ac2.signal,
        after: saved,
        pollIntervalMs: 50,
        onBatch: async (events) => {
          for (const e of events) resumed.push((e.data as { i: number }).i);
        },
        onCaughtUp: () => ac2.abort(),
      });
      assert.deepEqual(resumed, [9, 10]);
    });

    test('a rejecting subscriber ends the subscription with its error', async () => {
      const s = await fresh();
      await s.appendToStream('r-1', [ev('N')], 'any');
      const ac = new AbortController();
      await assert.rejects(
        s.subscribe({
          signal: ac.signal,
          onBatch: async () => {
            throw new Error('projection failed');
          },
        }),
        /projection failed/,
      );
    });

    test('8 concurrent writers on one hot stream leave it contiguous 1..n with every conflict reported', async (t) => {
      const first = await harness.open();
      opened.push(first);
      const stream = 'hot-1';
      let ids: string[] = [];
      let conflicts = 0;
      if (first.url) {
        const results = await Promise.all(
          Array.from(
            { length: 8 },
            (_, writer) =>
              new Promise<{ ids: string[]; conflicts: number }>((resolve, reject) => {
                const w = new Worker(join(__dirname, 'hot-stream.worker.js'), {
                  workerData: { url: first.url, stream, durationMs: 1500, writer },
                });
                w.once('message', (m: { ids: string[]; conflicts: number; error?: string }) =>
                  m.error ? reject(new Error(m.error)) : resolve(m),
                );
                w.once('error', reject);
              }),
          ),
        );
        ids = results.flatMap((r) => r.ids);
        conflicts = results.reduce((n, r) => n + r.conflicts, 0);
      } else {
        // In-memory: writers interleave at every await.
        await Promise.all(
          Array.from({ length: 8 }, async (_, writer) => {
            for (let k = 0; k < 50; k++) {
              const v = await first.store.streamVersion(stream);
              await new Promise((r) => setImmediate(r));
              const e = ev('Hit', { writer });
              try {
                await first.store.appendToStream(stream, [e], v);
                ids.push(e.eventId);
              } catch (err) {
                if (err instanceof WrongExpectedVersionError) conflicts++;
                else throw err;
              }
            }
          }),
        );
      }
      const events = await first.store.readStream(stream);
      t.diagnostic(`${events.length} appends, ${conflicts} conflicts`);
      assert.ok(events.length > 0);
      assert.deepEqual(
        events.map((e) => e.streamVersion),
        events.map((_, i) => i + 1),
        'contiguous 1..n',
      );
      assert.equal(new Set(events.map((e) => e.eventId)).size, events.length, 'no duplicates');
      assert.deepEqual(new Set(events.map((e) => e.eventId)), new Set(ids), 'exactly the reported successes');
      assert.ok(conflicts > 0, 'conflicts were reported');
    });
  });
}
