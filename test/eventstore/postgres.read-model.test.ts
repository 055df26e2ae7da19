import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresEventStore } from 'koji-es/eventstore/postgres.store';
import { PostgresReadModelStore } from 'koji-es/eventstore/postgres.read-model';
import { MemoryReadModelStore } from 'koji-es/eventstore/memory.read-model';
import { BufferedTx, writePending } from 'koji-es/eventstore/buffered-tx';
import type { FindOptions, ReadModelStore, ShadowFill } from 'koji-es/eventstore/read-model.port';
import { readModelContract } from './read-model.contract.js';
import { startTestPostgres } from '../helpers/pg.js';

const server = startTestPostgres();
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  await (await server).stop();
});

async function openOn(url: string) {
  const events = new PostgresEventStore(url);
  await events.open();
  const store = new PostgresReadModelStore(events);
  const close = async () => {
    await store.close();
    await events.close();
  };
  return { store, close, events };
}

readModelContract('postgres', {
  async open() {
    return openOn(await (await server).url());
  },
});

describe('PostgreSQL read models', () => {
  test('two stores on one database: only one holds a projection lock until it lets go', async () => {
    const url = await (await server).url();
    const a = await openOn(url);
    const b = await openOn(url);
    closers.push(a.close, b.close);
    assert.equal(await a.store.tryLockProjection('x'), true);
    assert.equal(await a.store.tryLockProjection('x'), true, 'asking again keeps it');
    assert.equal(await b.store.tryLockProjection('x'), false);
    assert.equal(await b.store.tryLockProjection('y'), true, 'locks are per projection');
    await a.store.unlockProjection('x');
    assert.equal(await b.store.tryLockProjection('x'), true);
    assert.equal(await a.store.tryLockProjection('x'), false);
    assert.equal(await a.store.tryLockProjection('y'), false);
    await b.close();
    assert.equal(await a.store.tryLockProjection('x'), true, 'closing releases the locks');
    assert.equal(await a.store.tryLockProjection('y'), true);
  });

  test('queries agree with the reference semantics on JSON null, mixed types and byte-order strings', async () => {
    const url = await (await server).url();
    const pg = await openOn(url);
    closers.push(pg.close);
    const mem = new MemoryReadModelStore();
    const docs: Record<string, unknown>[] = [
      { id: 1, v: 10, s: 'apple', n: null },
      { id: 2, v: '9', s: 'Banana', n: 1 },
      { id: 3, v: null, s: 'banana', t: true },
      { id: 4, s: 'a\\b', v: 2.5, t: false },
      { id: 5, v: true, s: 'Ä-umlaut', n: 'x' },
      { id: 6, v: -3, s: 'a_b%c', t: 0 },
      { id: 7, s: '' },
    ];
    const fill = async (s: ReadModelStore) => {
      await s.ensureCollections([{ name: 'mixed', indexes: ['v', 's'] }]);
      await s.applyBatch('m', null, 'cp', 1, async (tx) => {
        for (const d of docs) await tx.put('mixed', String(d.id), d);
      });
    };
    await fill(pg.store);
    await fill(mem);
    const cases: FindOptions[] = [
      { where: { v: { $lt: 10 } } },
      { where: { v: { $gte: '9' } } },
      { where: { s: { $gt: 'a' } } },
      { where: { s: { $lt: 'b' } } },
      { where: { s: { $like: 'a\\b' } } },
      { where: { s: { $like: 'a_b\\%c' } } },
      { where: { s: { $like: '%an%' } } },
      { where: { v: { $like: '1%' } } },
      { where: { n: null } },
      { where: { n: { $ne: null } } },
      { where: { n: { $exists: false } } },
      { where: { v: { $in: [10, '9', null] } } },
      { where: { t: false } },
      { where: { t: 0 } },
      { where: { v: { $ne: 10 } } },
      { orderBy: [['s', 'asc']] },
      { orderBy: [['s', 'desc']] },
      {
        orderBy: [
          ['n', 'asc'],
          ['id', 'desc'],
        ],
      },
      {
        orderBy: [
          ['t', 'desc'],
          ['id', 'asc'],
        ],
      },
      { where: { v: { $ne: null } }, orderBy: [['v', 'asc']] },
    ];
    for (const c of cases) {
      const ids = async (s: ReadModelStore) =>
        (await s.reader.find<{ id: number }>('mixed', { orderBy: [['id', 'asc']], ...c })).map((d) => d.id);
      const expected = await ids(mem);
      assert.deepEqual(await ids(pg.store), expected, JSON.stringify(c));
      assert.equal(
        await pg.store.reader.count('mixed', c.where),
        expected.length,
        `count ${JSON.stringify(c)}`,
      );
    }
  });

  test('indexes no longer declared go from the live table; the declared ones and a hand-made one stay', async () => {
    const a = await openOn(await (await server).url());
    closers.push(a.close);
    const indexes = async () =>
      (
        await a.events.pool.query<{ indexname: string }>(
          "SELECT indexname FROM pg_indexes WHERE tablename = 'rm_pruned' ORDER BY indexname",
        )
      ).rows.map((r) => r.indexname);
    await a.store.ensureCollections([{ name: 'pruned', indexes: ['name', 'state', 'ownerId'] }]);
    assert.deepEqual(await indexes(), [
      'rm_pruned__name',
      'rm_pruned__ownerid',
      'rm_pruned__state',
      'rm_pruned_pkey',
    ]);
    await a.store.ensureCollections([{ name: 'pruned', indexes: ['name', 'ownerId'] }]);
    assert.deepEqual(await indexes(), ['rm_pruned__name', 'rm_pruned__ownerid', 'rm_pruned_pkey']);
    await a.events.pool.query("CREATE INDEX by_hand ON rm_pruned ((doc->>'state'))");
    await a.store.ensureCollections([{ name: 'pruned', indexes: [] }]);
    assert.deepEqual(await indexes(), ['by_hand', 'rm_pruned_pkey']);
  });

  test('a COPY the server refuses fails the rebuild, leaves the live table, and the next rebuild works', async () => {
    const a = await openOn(await (await server).url());
    closers.push(a.close);
    await a.store.ensureCollections([{ name: 'copied', indexes: ['name'] }]);
    const fill =
      (docs: Record<string, object>): ShadowFill<string> =>
      async (batch, shadow) => {
        const b = new BufferedTx(shadow, { emptyBase: true });
        for (const [k, d] of Object.entries(docs)) b.put('copied', k, d);
        // Several of COPY's chunks after it, so a refusal comes while the client is still sending.
        for (let i = 0; i < 5000; i++)
          b.put('copied', `pad-${i}`, { name: `pad ${i}`, text: 'x'.repeat(100) });
        const w = b.detach();
        await batch((tx) => writePending(tx, w));
        return 'cp-1';
      };
    const rebuild = (docs: Record<string, object>) =>
      a.store.rebuild({
        projections: [{ name: 'p', version: 1 }],
        collections: [{ name: 'copied', indexes: ['name'] }],
        fill: fill(docs),
        finish: async (_tx, from) => from,
      });
    await rebuild({ kept: { name: 'kept' } });
    // jsonb has no place for U+0000, which JSON and SQLite have.
    await assert.rejects(rebuild({ nul: { name: 'a\u0000b' } }), /unsupported Unicode escape sequence/);
    assert.deepEqual(await a.store.reader.get('copied', 'kept'), { name: 'kept' });
    assert.equal(await a.store.reader.get('copied', 'nul'), null);
    await rebuild({ again: { name: 'again' } });
    assert.deepEqual(await a.store.reader.get('copied', 'again'), { name: 'again' });
    assert.equal(await a.store.reader.count('copied'), 5001);
  });
});
