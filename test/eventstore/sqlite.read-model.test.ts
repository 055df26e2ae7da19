import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SqliteEventStore } from 'koji-es/eventstore/sqlite.store';
import { SqliteReadModelStore } from 'koji-es/eventstore/sqlite.read-model';
import { readModelContract } from './read-model.contract.js';
import { tempDir } from '../helpers/tmp.js';

let n = 0;
const tmp = tempDir('koji-es-sqlite-rm-');
process.on('exit', tmp.cleanup);

function openStore() {
  const events = new SqliteEventStore(join(tmp.dir, `rm-${++n}.sqlite`));
  const store = new SqliteReadModelStore(events);
  return {
    events,
    store,
    close: async () => {
      await store.close();
      await events.close();
    },
  };
}

/** The names of the indexes SQLite holds for a table (its primary-key index left out). */
const indexesOf = (events: SqliteEventStore, table: string) =>
  events.db
    .prepare<[string], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
    )
    .all(table)
    .map((r) => r.name);

readModelContract('sqlite', { open: async () => openStore() });

describe('SQLite read models: indexes across rebuilds', () => {
  test('each field keeps exactly one index through rebuilds, alternating between its two names', async () => {
    const { events, store, close } = openStore();
    try {
      const def = { name: 'things', indexes: ['name', 'owner.id'] };
      await store.ensureCollections([def]);
      const indexes = () => indexesOf(events, 'rm_things');
      const plan = () =>
        events.db
          .prepare("EXPLAIN QUERY PLAN SELECT doc FROM rm_things WHERE json_extract(doc, '$.name') = 'x'")
          .all()
          .map((r) => (r as { detail: string }).detail)
          .join(' ');
      assert.deepEqual(indexes(), ['rm_things__name', 'rm_things__owner_id']);
      const seen: string[][] = [];
      for (let i = 0; i < 3; i++) {
        await store.rebuild({
          projections: [{ name: 'p', version: 1 }],
          collections: [def],
          fill: async (batch) => {
            await batch((tx) => tx.put('things', String(i), { name: `t${i}`, owner: { id: i } }));
            return `cp-${i}`;
          },
          finish: async (_tx, from) => from,
        });
        await store.ensureCollections([def]);
        seen.push(indexes());
        assert.match(plan(), /USING INDEX/);
      }
      assert.deepEqual(seen, [
        ['rmnext_things__name', 'rmnext_things__owner_id'],
        ['rm_things__name', 'rm_things__owner_id'],
        ['rmnext_things__name', 'rmnext_things__owner_id'],
      ]);
      assert.deepEqual(await store.reader.find('things', { where: { name: 't2' } }), [
        { name: 't2', owner: { id: 2 } },
      ]);
    } finally {
      await close();
    }
  });
});

describe('SQLite read models: indexes no longer declared', () => {
  test('go from the live table under either name; the declared ones and the documents stay', async () => {
    const { events, store, close } = openStore();
    try {
      await store.ensureCollections([{ name: 'things', indexes: ['name', 'state', 'owner.id'] }]);
      await store.applyBatch('p', null, 'cp-1', 1, (tx) => tx.put('things', '1', { name: 'a', state: 1 }));
      // After a rebuild the live table holds the other names.
      events.db.exec('DROP INDEX rm_things__state; CREATE INDEX rmnext_things__state ON rm_things (1)');
      await store.ensureCollections([{ name: 'things', indexes: ['name'] }]);
      assert.deepEqual(indexesOf(events, 'rm_things'), ['rm_things__name']);
      assert.deepEqual(await store.reader.find('things', { where: { name: 'a' } }), [
        { name: 'a', state: 1 },
      ]);
      // An index someone made by hand, outside the naming, is left alone.
      events.db.exec("CREATE INDEX by_hand ON rm_things (json_extract(doc, '$.state'))");
      await store.ensureCollections([{ name: 'things', indexes: ['name'] }]);
      assert.deepEqual(indexesOf(events, 'rm_things'), ['by_hand', 'rm_things__name']);
    } finally {
      await close();
    }
  });
});

describe('SQLite read models: a rebuild that stopped halfway', () => {
  test('a failed one drops its tables; a killed one leaves them holding index names, and the hub and the next rebuild cope', async () => {
    const { events, store, close } = openStore();
    try {
      await store.ensureCollections([{ name: 'things', indexes: ['name'] }]);
      // A newer version indexes `state` too. A rebuild that fails drops its fresh tables…
      const newer = { name: 'things', indexes: ['name', 'state'] };
      await assert.rejects(
        store.rebuild({
          projections: [{ name: 'p', version: 2 }],
          collections: [newer],
          fill: async () => {
            throw new Error('stopped');
          },
          finish: async (_tx, from) => from,
        }),
        /stopped/,
      );
      assert.deepEqual(indexesOf(events, 'rmnext_things'), []);
      // …but one whose process was killed leaves them, holding index names, as it had created them.
      events.db.exec(`CREATE TABLE rmnext_things (key TEXT PRIMARY KEY, doc TEXT NOT NULL);
        CREATE INDEX rmnext_things__name ON rmnext_things (json_extract(doc, '$.name'));
        CREATE INDEX rm_things__state ON rmnext_things (json_extract(doc, '$.state'));`);
      // The hub starts with the newer version: the live table gets its `state` index under the free name.
      await store.ensureCollections([newer]);
      assert.deepEqual(indexesOf(events, 'rm_things'), ['rm_things__name', 'rmnext_things__state']);
      await store.rebuild({
        projections: [{ name: 'p', version: 2 }],
        collections: [newer],
        fill: async (batch) => {
          await batch((tx) => tx.put('things', '1', { name: 'a', state: 'ready' }));
          return 'cp-1';
        },
        finish: async (_tx, from) => from,
      });
      assert.deepEqual(indexesOf(events, 'rm_things'), ['rm_things__state', 'rmnext_things__name']);
      assert.deepEqual(indexesOf(events, 'rmnext_things'), []);
      assert.deepEqual(await store.reader.find('things', { where: { state: 'ready' } }), [
        { name: 'a', state: 'ready' },
      ]);
    } finally {
      await close();
    }
  });
});

describe('SQLite read models: the index hint', () => {
  test('the query is driven by the hinted index alone', async () => {
    const { events, store, close } = openStore();
    try {
      await store.ensureCollections([{ name: 'tasks', indexes: ['state', 'host_id'] }]);
      const prepared: string[] = [];
      const prepare = events.db.prepare.bind(events.db);
      events.db.prepare = ((sql: string) => {
        prepared.push(sql);
        return prepare(sql);
      }) as typeof events.db.prepare;
      let found: unknown[] = [];
      await store.applyBatch('p', null, 'cp-1', 1, async (tx) => {
        for (let i = 1; i <= 20; i++)
          await tx.put('tasks', String(i), { id: i, host_id: 1, state: i === 7 ? 1 : 2 });
        found = await tx.find('tasks', { where: { host_id: 1, state: 1 }, index: 'state' });
      });
      events.db.prepare = prepare;
      assert.deepEqual(found, [{ id: 7, host_id: 1, state: 1 }]);
      const sql = prepared.find((q) => q.startsWith('SELECT doc FROM rm_tasks'))!;
      const plan = events.db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(1, 1)
        .map((r) => (r as { detail: string }).detail)
        .join(' ');
      assert.match(plan, /USING INDEX rm_tasks__state /);
      assert.doesNotMatch(plan, /host_id/);
    } finally {
      await close();
    }
  });
});
