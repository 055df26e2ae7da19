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
