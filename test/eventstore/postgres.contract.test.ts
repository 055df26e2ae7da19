import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openBackend } from 'koji-es/eventstore/open';
import { EventStoreUnavailableError } from 'koji-es/eventstore/errors';
import { PostgresEventStore } from 'koji-es/eventstore/postgres.store';
import { eventStoreContract, ev } from './contract.js';
import { startTestPostgres } from '../helpers/pg.js';

const server = startTestPostgres();
after(async () => (await server).stop());

eventStoreContract('postgres', {
  scans: true,
  async open() {
    const url = await (await server).url();
    const store = new PostgresEventStore(url);
    await store.open();
    return { store, url, close: () => store.close() };
  },
});

describe('PostgreSQL store: opening', () => {
  const unavailable = async (url: string, reason: RegExp, secret: string) => {
    const started = Date.now();
    await assert.rejects(openBackend(url), (e: unknown) => {
      assert.ok(e instanceof EventStoreUnavailableError, String(e));
      const msg = (e as Error).message;
      assert.match(msg, reason);
      assert.ok(!msg.includes(secret), `the password leaked: ${msg}`);
      assert.ok(!msg.includes('\n'), `one line: ${msg}`);
      assert.match(msg, /\*\*\*@/, 'names the URL, password redacted');
      return true;
    });
    assert.ok(Date.now() - started < 8000, 'fails fast');
  };

  test('an unreachable server is one clear line without the password', async () => {
    await unavailable('postgres://nobody:secret@127.0.0.1:1/x', /connection refused/, 'secret');
  });

  test('bad credentials and a missing database are one clear line each', async () => {
    const good = new URL(await (await server).url());
    const badPassword = new URL(good);
    badPassword.password = 'wrong-s3cret';
    await unavailable(badPassword.toString(), /password authentication failed/, 'wrong-s3cret');
    const missing = new URL(good);
    missing.pathname = '/no_such_database';
    await unavailable(missing.toString(), /database does not exist/, good.password);
  });

  test('a log whose transaction ids are ahead of the cluster (restored elsewhere) is refused', async () => {
    const url = await (await server).url();
    const first = new PostgresEventStore(url);
    await first.open();
    await first.appendToStream('old-1', [ev('Old')], 'no_stream');
    await first.pool.query(`UPDATE es_events SET transaction_id = '900000000000'::xid8`);
    await first.close();
    await assert.rejects(openBackend(url), (e: unknown) => {
      assert.ok(e instanceof EventStoreUnavailableError, String(e));
      assert.match((e as Error).message, /next transaction id is \d+ \(restored from a dump/);
      return true;
    });
  });

  test('recordedAt is the injected clock, to the millisecond, whatever DateStyle the database has', async () => {
    const url = await (await server).url();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET DateStyle = 'SQL, DMY'`);
    await admin.end();
    for (const iso of ['2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05.120Z', '1999-12-31T23:59:59.999Z']) {
      const store = new PostgresEventStore(url, { clock: () => new Date(iso) });
      try {
        await store.open();
        await store.appendToStream(
          `clock-${iso.slice(0, 4)}-${iso.slice(-4, -1)}`,
          [ev('Ticked')],
          'no_stream',
        );
        const page = await store.readAll();
        assert.equal(page.events[page.events.length - 1].recordedAt, iso);
      } finally {
        await store.close();
      }
    }
  });

  test('stores opened at the same moment on an empty database all create the schema safely', async () => {
    const url = await (await server).url();
    const stores = Array.from({ length: 6 }, () => new PostgresEventStore(url, { poolSize: 2 }));
    try {
      await Promise.all(stores.map((s) => s.open()));
      await Promise.all(stores.map((s, i) => s.appendToStream(`open-${i}`, [ev('Opened')], 'no_stream')));
      const page = await stores[0].readAll();
      assert.equal(page.events.length, stores.length);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
