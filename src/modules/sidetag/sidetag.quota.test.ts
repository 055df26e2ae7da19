// quotaCount over a real (memory) event store: the counts come from the quota stream's last event,
// and a stream written before they were recorded is folded, the base of each sidetag looked up.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryEventStore } from '../../eventstore/memory.store.js';
import type { NewEvent } from '../../eventstore/port.js';
import { UnitOfWork } from '../../kernel/unit-of-work.js';
import { quotaCount } from './sidetag.commands.js';

const ev = (type: string, data: unknown): NewEvent => ({ eventId: crypto.randomUUID(), type, data });
const uowOn = (store: MemoryEventStore) =>
  new UnitOfWork(store, { actor: null, requestId: 'r', now: new Date('2026-01-01T00:00:00Z') });
const st = (id: number) => ({ id, name: `b-side-${id}` });

describe('quotaCount', () => {
  test('a user without a quota stream has none', async () => {
    assert.deepEqual(await quotaCount(uowOn(new MemoryEventStore()), 23), { count: 0, perBasetag: {} });
  });

  test('the last event carries both counts: nothing else is read', async () => {
    const store = new MemoryEventStore();
    await store.appendToStream(
      'sidetag-user-23',
      [
        ev('SideTagQuotaTaken', {
          userId: 23,
          sidetag: st(1),
          count: 1,
          basetag: { id: 32, name: 'b' },
          perBasetag: { 32: 1 },
        }),
        ev('SideTagQuotaTaken', {
          userId: 23,
          sidetag: st(2),
          count: 2,
          basetag: { id: 33, name: 'c' },
          perBasetag: { 32: 1, 33: 1 },
        }),
      ],
      'no_stream',
    );
    assert.deepEqual(await quotaCount(uowOn(store), 23), { count: 2, perBasetag: { 32: 1, 33: 1 } });
  });

  test("a stream from before the counts: folded, each base found in the sidetag's own stream", async () => {
    const store = new MemoryEventStore();
    for (const [id, base] of [
      [1, 32],
      [2, 32],
      [3, 33],
    ])
      await store.appendToStream(
        `sidetag-${id}`,
        [
          ev('SideTagCreated', {
            id,
            name: `b-side-${id}`,
            user: { id: 23, name: 'u' },
            basetag: { id: base, name: 'b' },
          }),
        ],
        'no_stream',
      );
    await store.appendToStream(
      'sidetag-user-23',
      [
        ev('SideTagQuotaTaken', { userId: 23, sidetag: st(1) }),
        ev('SideTagQuotaTaken', { userId: 23, sidetag: st(2), count: 2 }),
        ev('SideTagQuotaTaken', { userId: 23, sidetag: st(3), count: 3 }),
        ev('SideTagQuotaReleased', { userId: 23, sidetag: st(1), reason: 'requested', count: 2 }),
      ],
      'no_stream',
    );
    const uow = uowOn(store);
    assert.deepEqual(await quotaCount(uow, 23), { count: 2, perBasetag: { 32: 1, 33: 1 } });
  });
});
