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

readModelContract('sqlite', {
  async open() {
    const events = new SqliteEventStore(join(tmp.dir, `rm-${++n}.sqlite`));
    const store = new SqliteReadModelStore(events);
    return {
      store,
      close: async () => {
        await store.close();
        await events.close();
      },
    };
  },
});

describe('SQLite read models: indexes across rebuilds', () => {
  test('each field keeps exactly one index through rebuilds, alternating between its two names', async () => {
    const events = new SqliteEventStore(join(tmp.dir, `rm-idx-${++n}.sqlite`));
    const store = new SqliteReadModelStore(events);
    try {
      const def = { name: 'things', indexes: ['name', 'owner.id'] };
      await store.ensureCollections([def]);
      const indexes = () =>
        events.db
          .prepare<[], { name: string }>(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_things' AND sql IS NOT NULL ORDER BY name",
          )
          .all()
          .map((r) => r.name);
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
      await store.close();
      await events.close();
    }
  });
});
