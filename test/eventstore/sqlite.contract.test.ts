import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteEventStore } from 'koji-es/eventstore/sqlite.store';
import { eventStoreContract } from './contract.js';
import { tempDir } from '../helpers/tmp.js';

let n = 0;
const tmp = tempDir('koji-es-sqlite-');
process.on('exit', tmp.cleanup);

eventStoreContract('sqlite', {
  scans: true,
  async open() {
    const path = join(tmp.dir, `store-${++n}.sqlite`);
    const store = new SqliteEventStore(path);
    return { store, url: `sqlite:${path}`, close: () => store.close() };
  },
});

test('a store of an earlier version loses its unused index by type when opened', async () => {
  const path = join(tmp.dir, 'earlier.sqlite');
  const db = new Database(path);
  db.exec(`CREATE TABLE es_events (
    global_position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, stream_position INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, schema_version INTEGER NOT NULL DEFAULT 1,
    data TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL,
    UNIQUE (stream_id, stream_position));
    CREATE INDEX es_events_type ON es_events (event_type, global_position);`);
  db.close();
  const store = new SqliteEventStore(path);
  try {
    const indexes = store.db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'es_events'",
      )
      .all()
      .map((r) => r.name);
    assert.ok(!indexes.includes('es_events_type'), indexes.join(', '));
    await store.appendToStream('s-1', [{ eventId: 'e-1', type: 'T', data: {} }], 'no_stream');
    const page = await store.readAll({ filter: { types: ['T'] } });
    assert.deepEqual(
      page.events.map((e) => e.eventId),
      ['e-1'],
    );
  } finally {
    await store.close();
  }
});
