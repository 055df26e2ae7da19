// The `--read-store` side of a KurrentDB backend: read models and checkpoints in a SQL database of
// their own, with no event table. Needs no KurrentDB server, so it runs everywhere; the contract
// suite against a server is kurrentdb.contract.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openReadStore } from 'koji-es/eventstore/kurrentdb.backend';
import { EventStoreUnavailableError } from 'koji-es/eventstore/errors';
import { readModelContract } from './read-model.contract.js';
import { startTestPostgres } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('koji-es-kdb-rm-');
process.on('exit', tmp.cleanup);
let n = 0;

readModelContract('sqlite, a connection of its own (--read-store beside KurrentDB)', {
  async open() {
    const store = await openReadStore({ kind: 'sqlite', path: join(tmp.dir, 'nested', `rm-${++n}.sqlite`) });
    return { store, close: () => store.close() };
  },
});

const server = startTestPostgres();
after(async () => (await server).stop());

readModelContract('postgres, a database of its own (--read-store beside KurrentDB)', {
  async open() {
    const store = await openReadStore({ kind: 'postgres', url: await (await server).url() });
    return { store, close: () => store.close() };
  },
});

describe('read stores of their own', () => {
  test('hold read models and checkpoints only, no event table', async () => {
    const path = join(tmp.dir, 'only-rm.sqlite');
    const store = await openReadStore({ kind: 'sqlite', path });
    await store.ensureCollections([{ name: 'things' }]);
    assert.equal(await store.applyBatch('p', null, 'cp-1', 1, (tx) => tx.put('things', 'a', { a: 1 })), true);
    await store.close();
    const db = new Database(path, { readonly: true });
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => r.name);
    db.close();
    assert.deepEqual(tables, ['es_checkpoints', 'rm_things']);

    const url = await (await server).url();
    const pgStore = await openReadStore({ kind: 'postgres', url });
    await pgStore.ensureCollections([{ name: 'things' }]);
    assert.equal(
      await pgStore.applyBatch('p', null, 'cp-1', 1, (tx) => tx.put('things', 'a', { a: 1 })),
      true,
    );
    assert.deepEqual(await pgStore.loadCheckpoint('p'), { checkpoint: 'cp-1', version: 1 });
    await pgStore.close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const r = await c.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    await c.end();
    assert.deepEqual(
      r.rows.map((x) => x.t),
      ['es_checkpoints', 'rm_things'],
    );
  });

  test('an unreachable PostgreSQL read store is one line without the password', async () => {
    await assert.rejects(
      openReadStore({ kind: 'postgres', url: 'postgres://u:s3cret@127.0.0.1:1/rm' }),
      (e: unknown) => {
        assert.ok(e instanceof EventStoreUnavailableError, String(e));
        assert.match(
          e.message,
          /^read-model store: cannot connect to PostgreSQL store postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/rm: connection refused/,
        );
        assert.ok(!e.message.includes('s3cret') && !e.message.includes('\n'));
        return true;
      },
    );
  });

  test('an SQLite read store that cannot be created is one line', async () => {
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(openReadStore({ kind: 'sqlite', path: join(file, 'rm.sqlite') }), (e: unknown) => {
      assert.ok(e instanceof EventStoreUnavailableError, String(e));
      assert.match(e.message, /^cannot open the read-model store .*a-file\/rm\.sqlite: /);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });
});
