import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MemoryEventStore } from '../eventstore/memory.store.js';
import { SqliteEventStore } from '../eventstore/sqlite.store.js';
import type { EventStore } from '../eventstore/port.js';
import { decideAndAppend, type CommandMeta } from './unit-of-work.js';
import { KojiError } from './errors.js';

const meta = (): CommandMeta => ({
  actor: { id: 1, name: 'alice' },
  requestId: 'req-1',
  clientAddress: '192.0.2.7',
  now: new Date('2026-11-24T10:02:03Z'),
});

async function withStores(fn: (s: EventStore) => Promise<void>) {
  await fn(new MemoryEventStore());
  const dir = mkdtempSync(join(tmpdir(), 'uow-'));
  const s = new SqliteEventStore(join(dir, 'x.sqlite'));
  try {
    await fn(s);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('ids are allocated in the same atomic append as the first event, with metadata on every event', async () => {
  await withStores(async (store) => {
    const { result, append } = await decideAndAppend(store, meta(), async (uow) => {
      const a = await uow.allocateId('tag');
      const b = await uow.allocateId('tag');
      uow.emit(`tag-${a}`, [{ type: 'TagCreated', data: { id: a } }]);
      uow.emit(`tag-${b}`, [{ type: 'TagCreated', data: { id: b } }]);
      return [a, b];
    });
    assert.deepEqual(result, [1, 2]);
    assert.ok(append);
    const events = await store.readStream('tag-2');
    assert.deepEqual(events[0].metadata, {
      actor: { id: 1, name: 'alice' },
      requestId: 'req-1',
      correlationId: 'req-1',
      causationId: 'req-1',
      clientAddress: '192.0.2.7',
      recordedTime: '2026-11-24T10:02:03.000Z',
    });
    assert.equal(await store.streamVersion('ids-tag'), 2);
    assert.equal(
      append!.firstPosition,
      (await store.readStream('ids-tag'))[0].position,
      "Koji's event id is the first position",
    );
  });
});

test('concurrent commands allocate distinct, gap-free ids (conflicts retried)', async () => {
  await withStores(async (store) => {
    const ids = await Promise.all(
      Array.from({ length: 40 }, () =>
        decideAndAppend(store, meta(), async (uow) => {
          const id = await uow.allocateId('task');
          await new Promise((r) => setImmediate(r));
          uow.emit(`task-${id}`, [{ type: 'TaskCreated', data: { id } }]);
          return id;
        }).then((r) => r.result),
      ),
    );
    assert.deepEqual(
      [...ids].sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    for (const id of ids) assert.equal(await store.streamVersion(`task-${id}`), 1);
  });
});

test('a decision that throws appends nothing; endless conflicts end in LockError', async () => {
  await withStores(async (store) => {
    await assert.rejects(
      decideAndAppend(store, meta(), async (uow) => {
        uow.emit('x-1', [{ type: 'E', data: {} }]);
        throw new KojiError('GenericError', 'refused');
      }),
      /refused/,
    );
    assert.equal(await store.headCheckpoint(), null);
    let n = 0;
    await assert.rejects(
      decideAndAppend(
        store,
        meta(),
        async (uow) => {
          await uow.version('hot-1');
          // Someone else appends between our read and our append, every time.
          await store.appendToStream('hot-1', [{ eventId: `other-${++n}`, type: 'E', data: {} }], 'any');
          uow.emit('hot-1', [{ type: 'E', data: {} }]);
        },
        { retryForMs: 100 },
      ),
      (e: unknown) =>
        e instanceof KojiError && e.faultName === 'LockError' && /kept changing/.test(e.message),
    );
  });
});

test('loadCached folds like load, reads only what was appended since, and keeps append expectations', async () => {
  await withStores(async (store) => {
    type S = { count: number; seen: number[] };
    const evolve = (s: S, e: { type: string; data: unknown }): S => ({
      count: s.count + 1,
      seen: [...s.seen, (e.data as { n: number }).n],
    });
    const initial: S = { count: 0, seen: [] };
    const reads: (number | undefined)[] = [];
    const spy: EventStore = Object.create(store) as EventStore;
    spy.readStream = (stream, o) => {
      reads.push(o?.fromVersion);
      return store.readStream(stream, o);
    };
    const add = (n: number) =>
      decideAndAppend(spy, meta(), async (uow) => {
        const s = await uow.loadCached('big-1', evolve, initial);
        assert.deepEqual(s, await uow.load('big-1', evolve, initial), 'the same state as a full fold');
        uow.emit('big-1', [{ type: 'Counted', data: { n } }]);
        // The command's own pending event is folded in, but never kept in the cache.
        assert.equal((await uow.loadCached('big-1', evolve, initial)).count, s.count + 1);
      });
    for (let n = 1; n <= 4; n++) await add(n);
    // Each command: one cached read from the version after the last one kept, then a full read by load.
    const cached = reads.filter((_, i) => i % 3 === 0);
    assert.deepEqual(cached, [undefined, 1, 2, 3]);

    // Another writer appends behind the cache's back: the next load reads it, and a command that
    // decided on a stale state conflicts and is decided again on the fresh one.
    await store.appendToStream('big-1', [{ eventId: 'x5', type: 'Counted', data: { n: 5 } }], 'any');
    await decideAndAppend(spy, meta(), async (uow) => {
      assert.deepEqual((await uow.loadCached('big-1', evolve, initial)).seen, [1, 2, 3, 4, 5]);
    });
    const attempts: number[][] = [];
    await decideAndAppend(spy, meta(), async (uow) => {
      attempts.push((await uow.loadCached('big-1', evolve, initial)).seen);
      if (attempts.length === 1)
        await store.appendToStream('big-1', [{ eventId: 'x6', type: 'Counted', data: { n: 6 } }], 'any');
      uow.emit('big-1', [{ type: 'Counted', data: { n: 7 } }]);
    });
    assert.deepEqual(attempts, [
      [1, 2, 3, 4, 5],
      [1, 2, 3, 4, 5, 6],
    ]);
    const all = await store.readStream('big-1');
    assert.deepEqual(
      all.map((e) => (e.data as { n: number }).n),
      [1, 2, 3, 4, 5, 6, 7],
    );
  });
});
