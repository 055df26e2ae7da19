// The contract every ReadModelStore adapter passes: documents, queries, one transaction for a batch
// and its checkpoint, compare-and-set checkpoints, reset.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BufferedTx, writePending } from 'koji-es/eventstore/buffered-tx';
import type { Checkpoint } from 'koji-es/eventstore/port';
import type { ReadModelStore, ShadowFill } from 'koji-es/eventstore/read-model.port';

export interface ReadModelHarness {
  open(): Promise<{ store: ReadModelStore; close(): Promise<void> }>;
}

interface Doc {
  id: number;
  name: string;
  owner: { id: number; name: string } | null;
  state: string;
  size?: number;
  active: boolean;
}

const docs: Doc[] = [
  { id: 1, name: 'f40-build', owner: { id: 1, name: 'alice' }, state: 'ready', size: 10, active: true },
  { id: 2, name: 'f40-side-2', owner: { id: 2, name: 'bob' }, state: 'ready', size: 2.5, active: false },
  { id: 3, name: 'f41-side-3', owner: { id: 1, name: 'alice' }, state: 'expired', active: true },
  { id: 4, name: 'F41-upper', owner: null, state: 'init', size: 100, active: true },
  { id: 5, name: 'f41_x', owner: { id: 3, name: 'carol' }, state: 'ready', size: -1, active: false },
];

export function readModelContract(name: string, harness: ReadModelHarness): void {
  describe(`ReadModelStore contract: ${name}`, () => {
    const closers: (() => Promise<void>)[] = [];
    const fresh = async () => {
      const o = await harness.open();
      closers.push(o.close);
      await o.store.ensureCollections([
        { name: 'things', indexes: ['name', 'owner.id', 'state'] },
        { name: 'others' },
      ]);
      return o.store;
    };
    after(async () => {
      for (const c of closers) await c();
    });

    const seed = async (s: ReadModelStore) => {
      const ok = await s.applyBatch('p', null, 'cp-1', 1, async (tx) => {
        for (const d of docs) await tx.put('things', String(d.id), d);
      });
      assert.equal(ok, true);
    };

    /** A rebuild of `things` by projection p, version 2, that finishes where its fill left off. */
    const rebuildThings = (s: ReadModelStore, fill: ShadowFill<Checkpoint | null>) =>
      s.rebuild({
        projections: [{ name: 'p', version: 2 }],
        collections: [{ name: 'things', indexes: ['name', 'owner.id', 'state'] }],
        fill,
        finish: async (_tx, from) => from,
      });

    test('put, get, find and count with every operator', async () => {
      const s = await fresh();
      await seed(s);
      const r = s.reader;
      assert.deepEqual(await r.get('things', '2'), docs[1]);
      assert.equal(await r.get('things', '99'), null);
      const ids = async (o: Parameters<typeof r.find>[1]) =>
        (await r.find<Doc>('things', o)).map((d) => d.id);
      assert.deepEqual(await ids({ orderBy: [['id', 'asc']] }), [1, 2, 3, 4, 5]);
      assert.deepEqual(await ids({ where: { state: 'ready' }, orderBy: [['id', 'asc']] }), [1, 2, 5]);
      assert.deepEqual(await ids({ where: { 'owner.id': 1 }, orderBy: [['id', 'desc']] }), [3, 1]);
      assert.deepEqual(await ids({ where: { owner: null } }), [4]);
      assert.deepEqual(await ids({ where: { size: null } }), [3]);
      assert.deepEqual(await ids({ where: { active: true }, orderBy: [['id', 'asc']] }), [1, 3, 4]);
      assert.deepEqual(await ids({ where: { active: false }, orderBy: [['id', 'asc']] }), [2, 5]);
      assert.deepEqual(
        await ids({ where: { state: { $in: ['init', 'expired'] } }, orderBy: [['id', 'asc']] }),
        [3, 4],
      );
      assert.deepEqual(
        await ids({ where: { 'owner.id': { $in: [2, null] } }, orderBy: [['id', 'asc']] }),
        [2, 4],
      );
      assert.deepEqual(await ids({ where: { state: { $ne: 'ready' } }, orderBy: [['id', 'asc']] }), [3, 4]);
      assert.deepEqual(await ids({ where: { 'owner.id': { $ne: 1 } }, orderBy: [['id', 'asc']] }), [2, 4, 5]);
      assert.deepEqual(await ids({ where: { size: { $gt: 2.5 } }, orderBy: [['id', 'asc']] }), [1, 4]);
      assert.deepEqual(await ids({ where: { size: { $gte: 2.5 } }, orderBy: [['id', 'asc']] }), [1, 2, 4]);
      assert.deepEqual(await ids({ where: { size: { $lt: 10 } }, orderBy: [['id', 'asc']] }), [2, 5]);
      assert.deepEqual(await ids({ where: { size: { $lte: 10 } }, orderBy: [['id', 'asc']] }), [1, 2, 5]);
      assert.deepEqual(await ids({ where: { name: { $like: 'f41%' } }, orderBy: [['id', 'asc']] }), [3, 5]);
      assert.deepEqual(await ids({ where: { name: { $like: 'f41_s%' } } }), [3]);
      assert.deepEqual(await ids({ where: { size: { $exists: false } } }), [3]);
      assert.deepEqual(await ids({ where: { state: 'ready', 'owner.id': 3 } }), [5]);
      assert.deepEqual(await ids({ orderBy: [['name', 'asc']] }), [4, 1, 2, 3, 5]);
      assert.deepEqual(
        await ids({
          orderBy: [
            ['state', 'asc'],
            ['id', 'desc'],
          ],
        }),
        [3, 4, 5, 2, 1],
      );
      assert.deepEqual(await ids({ orderBy: [['id', 'asc']], limit: 2, offset: 1 }), [2, 3]);
      assert.deepEqual(await ids({ orderBy: [['id', 'asc']], offset: 3 }), [4, 5]);
      assert.equal(await r.count('things'), 5);
      assert.equal(await r.count('things', { state: 'ready' }), 3);
      assert.equal(await r.count('others'), 0);
      await assert.rejects(r.find('things', { where: { 'bad field!': 1 } }), /invalid field path/);
      await assert.rejects(r.get('no_such_collection', '1'));
    });

    test('a batch and its checkpoint commit together; a throwing batch leaves nothing half-written', async () => {
      const s = await fresh();
      await seed(s);
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-1', version: 1 });
      await assert.rejects(
        s.applyBatch('p', 'cp-1', 'cp-2', 1, async (tx) => {
          await tx.put('things', '1', { ...docs[0], name: 'changed' });
          await tx.delete('things', '2');
          await tx.put('others', 'x', { a: 1 });
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await s.reader.get('things', '1'), docs[0]);
      assert.deepEqual(await s.reader.get('things', '2'), docs[1]);
      assert.equal(await s.reader.count('others'), 0);
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-1', version: 1 });
      const ok = await s.applyBatch('p', 'cp-1', 'cp-2', 1, async (tx) => {
        await tx.delete('things', '2');
        assert.equal(await tx.get('things', '2'), null, 'the batch sees its own writes');
        assert.equal(await tx.count('things'), 4);
      });
      assert.equal(ok, true);
      assert.equal(await s.reader.get('things', '2'), null);
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-2', version: 1 });
    });

    test('checkpoints are compare-and-set: a stale runner changes nothing', async () => {
      const s = await fresh();
      await seed(s);
      const ok = await s.applyBatch('p', null, 'cp-9', 1, async (tx) => {
        await tx.put('things', '1', { ...docs[0], name: 'stale' });
      });
      assert.equal(ok, false);
      assert.deepEqual(await s.reader.get('things', '1'), docs[0]);
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-1', version: 1 });
      assert.equal(await s.loadCheckpoint('other'), null);
    });

    test('an index hint never changes what a query returns', async () => {
      const s = await fresh();
      await seed(s);
      const queries: Parameters<typeof s.reader.find>[1][] = [
        { where: { state: 'ready', 'owner.id': 1 } },
        { where: { 'owner.id': null, state: 'init' } },
        {
          where: { state: { $in: ['ready', 'expired'] }, name: { $like: 'f4%' } },
          orderBy: [['id', 'desc']],
        },
        { where: { state: 'ready' }, orderBy: [['name', 'asc']], limit: 2 },
      ];
      for (const q of queries)
        for (const index of ['state', 'owner.id', 'name'])
          assert.deepEqual(
            await s.reader.find('things', { ...q, index }),
            await s.reader.find('things', q),
            `${JSON.stringify(q)} with index ${index}`,
          );
    });

    test('batches of several projections at once stand or fall alone: a stale checkpoint, a failure', async () => {
      const s = await fresh();
      await seed(s);
      assert.equal(await s.applyBatch('q', null, 'cp-1', 1, async () => {}), true);
      // Four projections' batches arrive together (as they do after one append).
      const results = await Promise.allSettled([
        s.applyBatch('p', 'cp-1', 'cp-2', 1, async (tx) => {
          await tx.put('things', '1', { ...docs[0], name: 'from-p' });
        }),
        s.applyBatch('q', 'cp-0', 'cp-2', 1, async (tx) => {
          await tx.put('things', '2', { ...docs[1], name: 'from-stale-q' });
        }),
        s.applyBatch('r', null, 'cp-2', 1, async (tx) => {
          await tx.put('things', '3', { ...docs[2], name: 'from-failing-r' });
          throw new Error('projection bug');
        }),
        s.applyBatch('t', null, 'cp-2', 1, async (tx) => {
          await tx.put('others', 'a', { id: 1, name: 'from-t' });
        }),
      ]);
      assert.deepEqual(
        results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
        [true, false, 'projection bug', true],
      );
      assert.equal((await s.reader.get<Doc>('things', '1'))!.name, 'from-p');
      assert.equal((await s.reader.get<Doc>('things', '2'))!.name, 'f40-side-2');
      assert.equal((await s.reader.get<Doc>('things', '3'))!.name, 'f41-side-3');
      assert.deepEqual(await s.reader.get('others', 'a'), { id: 1, name: 'from-t' });
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-2', version: 1 });
      assert.deepEqual(await s.loadCheckpoint('q'), { checkpoint: 'cp-1', version: 1 });
      assert.equal(await s.loadCheckpoint('r'), null);
      assert.deepEqual(await s.loadCheckpoint('t'), { checkpoint: 'cp-2', version: 1 });
    });

    test('readers see committed documents only, never a batch in progress', async () => {
      const s = await fresh();
      await seed(s);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let inside!: () => void;
      const entered = new Promise<void>((r) => (inside = r));
      const batch = s.applyBatch('p', 'cp-1', 'cp-2', 1, async (tx) => {
        await tx.put('things', '1', { ...docs[0], name: 'in-progress' });
        inside();
        await gate;
      });
      await entered;
      assert.equal((await s.reader.get<Doc>('things', '1'))!.name, 'f40-build');
      release();
      assert.equal(await batch, true);
      assert.equal((await s.reader.get<Doc>('things', '1'))!.name, 'in-progress');
    });

    test('rebuild fills fresh tables while the live ones answer, then swaps them in with the checkpoint', async () => {
      const s = await fresh();
      await seed(s);
      let duringFill: Doc | null = null;
      const next = await s.rebuild({
        projections: [{ name: 'p', version: 2 }],
        collections: [{ name: 'things', indexes: ['name', 'owner.id', 'state'] }],
        fill: async (batch) => {
          await batch(async (tx) => {
            await tx.put('things', '1', { ...docs[0], name: 'rebuilt' });
            await tx.put('things', '7', { ...docs[1], id: 7 });
          });
          await batch(async (tx) => {
            assert.equal((await tx.get<Doc>('things', '1'))!.name, 'rebuilt', 'the fill sees its own writes');
            await tx.put('things', '8', { ...docs[2], id: 8 });
            await tx.put('things', '9', { ...docs[2], id: 9 });
            assert.equal((await tx.get<Doc>('things', '9'))!.id, 9, 'a batch sees its own puts');
            await tx.delete('things', '9');
            assert.equal(await tx.get<Doc>('things', '9'), null, 'and its own deletes');
          });
          duringFill = await s.reader.get<Doc>('things', '1');
          return 'cp-5';
        },
        finish: async (tx, from) => {
          assert.equal(from, 'cp-5');
          await tx.delete('things', '8');
          return 'cp-6';
        },
      });
      assert.equal(next, 'cp-6');
      assert.equal(duringFill!.name, 'f40-build', 'readers see the live tables until the swap');
      assert.deepEqual(
        (await s.reader.find<Doc>('things', { orderBy: [['id', 'asc']] })).map((d) => [d.id, d.name]),
        [
          [1, 'rebuilt'],
          [7, 'f40-side-2'],
        ],
      );
      assert.deepEqual(
        await s.reader.find<Doc>('things', { where: { name: 'rebuilt' } }).then((d) => d.length),
        1,
      );
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-6', version: 2 });
      assert.equal(
        await s.applyBatch('p', 'cp-1', 'cp-9', 2, async () => {}),
        false,
        'a runner behind the swap fails its compare-and-set',
      );
      // A second rebuild works on the swapped tables (the indexes were recreated under their names).
      await s.rebuild({
        projections: [{ name: 'p', version: 2 }],
        collections: [{ name: 'things', indexes: ['name', 'owner.id', 'state'] }],
        fill: async () => 'cp-6',
        finish: async () => 'cp-6',
      });
      assert.equal(await s.reader.count('things'), 0);
      await s.ensureCollections([{ name: 'things', indexes: ['name', 'owner.id', 'state'] }]);
    });

    test('bulk writes keep awkward keys as they are: __proto__, quotes, non-ASCII', async () => {
      const s = await fresh();
      const keys = ['__proto__', 'constructor', 'say "hi"', 'back\\slash', 'ünïcode-✓', '10', '9'];
      const ok = await s.applyBatch('p', null, 'cp-1', 1, async (tx) => {
        const entries: [string, object][] = keys.map((k, i) => [k, { ...docs[0], id: i, name: k }]);
        if (tx.putMany) await tx.putMany('things', entries);
        else for (const [k, d] of entries) await tx.put('things', k, d);
      });
      assert.equal(ok, true);
      for (const [i, k] of keys.entries())
        assert.deepEqual(await s.reader.get('things', k), { ...docs[0], id: i, name: k });
      assert.deepEqual((await s.reader.entries<Doc>('things')).map(([k]) => k).sort(), [...keys].sort());
    });

    test('a rebuild keeps awkward keys and the last write of a key in a batch', async () => {
      const s = await fresh();
      const keys = ['__proto__', 'constructor', 'say "hi"', 'back\\slash', 'ünïcode-✓', '10', '9', 'a\nb'];
      await s.rebuild({
        projections: [{ name: 'p', version: 1 }],
        collections: [{ name: 'things', indexes: ['name'] }],
        fill: async (batch) => {
          await batch(async (tx) => {
            for (const [i, k] of keys.entries()) await tx.put('things', k, { ...docs[0], id: i, name: k });
            await tx.put('things', 'gone', docs[1]);
            await tx.delete('things', 'gone');
            await tx.delete('things', 'back');
            await tx.put('things', 'back', { ...docs[1], name: 'back again' });
          });
          return 'cp-1';
        },
        finish: async (_tx, from) => from,
      });
      for (const [i, k] of keys.entries())
        assert.deepEqual(await s.reader.get('things', k), { ...docs[0], id: i, name: k });
      assert.equal(await s.reader.get('things', 'gone'), null);
      assert.equal((await s.reader.get<Doc>('things', 'back'))!.name, 'back again');
      assert.equal(await s.reader.count('things'), keys.length + 1);
      assert.deepEqual(
        (await s.reader.find<Doc>('things', { where: { name: 'say "hi"' } })).map((d) => d.id),
        [2],
      );
    });

    test('a rebuild buffer inserts new keys and updates and deletes them in later batches; awkward keys and texts survive', async () => {
      const s = await fresh();
      // Every character COPY's text format escapes, and its NULL and end-of-data markers.
      const keys = [
        '__proto__',
        'say "hi"',
        'back\\slash',
        'tab\there',
        'a\nb',
        'cr\rlf',
        'ünïcode-✓',
        '\\N',
        '\\.',
      ];
      const note = 'tab\t newline\n cr\r backslash\\ quote" \\N \\. ✓';
      await s.rebuild({
        projections: [{ name: 'p', version: 1 }],
        collections: [{ name: 'things', indexes: ['name'] }],
        fill: async (batch, shadow) => {
          const b = new BufferedTx(shadow, { emptyBase: true });
          for (const [i, k] of keys.entries()) b.put('things', k, { ...docs[0], id: i, name: k, note });
          b.put('things', 'gone', docs[1]);
          const first = b.detach();
          await batch((tx) => writePending(tx, first));
          b.put('things', keys[0], { ...docs[0], id: 0, name: 'updated', note });
          b.delete('things', 'gone');
          b.put('things', 'new', docs[2]);
          b.put('things', 'brief', docs[3]);
          b.delete('things', 'brief');
          const second = b.detach();
          await batch((tx) => writePending(tx, second));
          return 'cp-1';
        },
        finish: async (_tx, from) => from,
      });
      assert.deepEqual(await s.reader.get('things', keys[0]), { ...docs[0], id: 0, name: 'updated', note });
      for (const [i, k] of keys.entries())
        if (i > 0) assert.deepEqual(await s.reader.get('things', k), { ...docs[0], id: i, name: k, note });
      assert.equal(await s.reader.get('things', 'gone'), null);
      assert.equal(await s.reader.get('things', 'brief'), null);
      assert.deepEqual(await s.reader.get('things', 'new'), docs[2]);
      assert.deepEqual(
        (await s.reader.entries<Doc>('things')).map(([k]) => k).sort(),
        [...keys, 'new'].sort(),
      );
      assert.deepEqual(
        (await s.reader.find<Doc>('things', { where: { name: 'tab\there' } })).map((d) => d.id),
        [3],
      );
    });

    test('a rebuild batch with a document JSON cannot write fails, and the live tables stay', async () => {
      const s = await fresh();
      await seed(s);
      await assert.rejects(
        rebuildThings(s, async (batch, shadow) => {
          const b = new BufferedTx(shadow, { emptyBase: true });
          for (let i = 0; i < 100; i++) b.put('things', String(i), { ...docs[0], id: i });
          b.put('things', 'big', { ...docs[0], size: 10n });
          const w = b.detach();
          await batch((tx) => writePending(tx, w));
          return 'cp-5';
        }),
        /BigInt/,
      );
      assert.equal(await s.reader.count('things'), docs.length);
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-1', version: 1 });
    });

    test('a rebuild whose fill fails swaps nothing: live tables and checkpoint stay as they were', async () => {
      const s = await fresh();
      await seed(s);
      await assert.rejects(
        s.rebuild({
          projections: [{ name: 'p', version: 2 }],
          collections: [{ name: 'things', indexes: ['name', 'owner.id', 'state'] }],
          fill: async (batch) => {
            await batch(async (tx) => {
              await tx.put('things', '1', { ...docs[0], name: 'rebuilt' });
            });
            // A collection the rebuild did not create: the write fails in the store.
            await batch(async (tx) => {
              await tx.put('not_rebuilt', '1', docs[0]);
            });
            return 'cp-5';
          },
          finish: async () => 'cp-6',
        }),
      );
      assert.equal((await s.reader.get<Doc>('things', '1'))!.name, 'f40-build');
      assert.equal(await s.reader.count('things'), docs.length);
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-1', version: 1 });
      // And the next rebuild starts clean.
      const next = await rebuildThings(s, async (batch) => {
        await batch(async (tx) => tx.put('things', '1', { ...docs[0], name: 'rebuilt' }));
        return 'cp-5';
      });
      assert.equal(next, 'cp-5');
      assert.deepEqual(
        (await s.reader.find<Doc>('things', { where: { name: 'rebuilt' } })).map((d) => d.id),
        [1],
      );
    });

    test('reset empties the collections and forgets the checkpoint', async () => {
      const s = await fresh();
      await seed(s);
      await s.reset('p', ['things']);
      assert.equal(await s.reader.count('things'), 0);
      assert.equal(await s.loadCheckpoint('p'), null);
      assert.equal(await s.applyBatch('p', null, 'cp-1', 2, async () => {}), true);
      assert.deepEqual(await s.loadCheckpoint('p'), { checkpoint: 'cp-1', version: 2 });
    });
  });
}
