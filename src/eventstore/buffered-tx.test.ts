import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferedTx, writePending } from './buffered-tx.js';
import type { RecordedEvent } from './port.js';
import type { Projection, ProjectionTx } from './projection.js';
import { DELETED, type ReadModelReader } from './read-model.port.js';

/** A database that records which documents were asked for. */
function database(docs: Record<string, object> = {}) {
  const asked: string[] = [];
  const reader: ReadModelReader = {
    async get<T>(_c: string, key: string) {
      asked.push(key);
      return (docs[key] as T) ?? null;
    },
    async find() {
      return [];
    },
    async count() {
      return 0;
    },
    async entries() {
      return [];
    },
  };
  return { reader, asked };
}

/** A projection whose events each read documents, then write one: `{ read: keys, write: [key, doc] }`. */
const counting: Projection & { runs: number } = {
  name: 'counting',
  version: 1,
  collections: [{ name: 'tasks' }],
  runs: 0,
  apply(e: RecordedEvent, tx: ProjectionTx) {
    counting.runs++;
    const d = e.data as { read: string[]; write: [string, object] | null; remove?: string };
    const seen = d.read.map((k) => tx.get<{ n: number }>('tasks', k)?.n ?? 0);
    if (d.write) tx.put('tasks', d.write[0], { ...d.write[1], seen });
    if (d.remove) tx.delete('tasks', d.remove);
  },
};
const event = (data: object) => ({ type: 'X', data }) as unknown as RecordedEvent;

test('a rebuild buffer answers for the documents of the last detach, which may still be on their way', () => {
  // Given a buffer over fresh (empty) tables with a document detached for writing
  const db = database();
  const b = new BufferedTx(db.reader, { emptyBase: true });
  b.put('tasks', '1', { id: 1, state: 'open' });
  const first = b.detach();
  // When the replay reads it back before that write has committed
  const doc = b.get('tasks', '1');
  // Then the buffer answers from memory and the database is not asked
  assert.deepEqual(doc, { id: 1, state: 'open' });
  assert.deepEqual(db.asked, []);
  assert.deepEqual([...first.writes.get('tasks')!], [['1', { id: 1, state: 'open' }]]);
  assert.equal(b.size, 0);
});

test('a rebuild buffer asks the database only for documents detached two batches ago, and applies the event again', async () => {
  // Given a document detached, then another batch detached after it (so the first was awaited)
  const db = database({ '1': { n: 10 } });
  const b = new BufferedTx(db.reader, { emptyBase: true });
  b.put('tasks', '1', { n: 1 });
  b.detach();
  b.put('tasks', '2', { n: 2 });
  b.detach();
  // When an event reads both, and one never written, and writes a document before the older read
  counting.runs = 0;
  const loading = b.apply(counting, event({ read: ['2', '3', '1'], write: ['4', { n: 4 }] }));
  // Then it waits for the older one alone, from the database, and runs again with it
  assert.ok(loading, 'the older document has to be loaded');
  await loading;
  assert.deepEqual(db.asked, ['1']);
  assert.equal(counting.runs, 2);
  assert.deepEqual(b.get('tasks', '4'), { n: 4, seen: [2, 0, 10] });
  assert.equal(b.size, 1, 'the first run’s write was undone, not counted twice');
  // And an event reading what the buffer holds applies at once
  assert.equal(b.apply(counting, event({ read: ['1', '4'], write: null })), undefined);
});

test('an event that fails leaves none of its writes behind', () => {
  const b = new BufferedTx(database().reader, { emptyBase: true });
  b.put('tasks', '1', { n: 1 });
  const failing: Projection = {
    ...counting,
    apply(_e, tx) {
      tx.put('tasks', '1', { n: 99 });
      tx.put('tasks', '2', { n: 2 });
      throw new Error('bad event');
    },
  };
  assert.throws(() => b.apply(failing, event({})), /bad event/);
  assert.deepEqual(b.get('tasks', '1'), { n: 1 });
  assert.equal(b.get('tasks', '2'), null);
  assert.equal(b.size, 1);
});

test('over fresh tables a new key is an insert, a key written before an upsert or delete, and one made and deleted in between nothing', async () => {
  // Given a rebuild buffer that detached two documents
  const db = database();
  const b = new BufferedTx(db.reader, { emptyBase: true });
  b.put('tasks', '1', { id: 1 });
  b.put('tasks', '2', { id: 2 });
  b.detach();
  // When the next batch changes one, deletes the other, adds one, and adds and deletes another
  b.put('tasks', '1', { id: 1, state: 'closed' });
  b.delete('tasks', '2');
  b.put('tasks', '3', { id: 3 });
  b.put('tasks', '4', { id: 4 });
  b.delete('tasks', '4');
  const calls: [string, [string, unknown][]][] = [];
  await writePending(
    {
      ...db.reader,
      put: () => Promise.reject(new Error('not used')),
      delete: () => Promise.reject(new Error('not used')),
      async insertTable(_c, docs) {
        calls.push(['insert', [...docs]]);
      },
      async writeTable(_c, docs) {
        calls.push(['write', [...docs]]);
      },
    },
    b.detach(),
  );
  // Then only the new document is inserted, and the one that never reached the table is not written
  assert.deepEqual(calls, [
    ['insert', [['3', { id: 3 }]]],
    [
      'write',
      [
        ['1', { id: 1, state: 'closed' }],
        ['2', DELETED],
      ],
    ],
  ]);
  // And each reads back as written, without asking the database
  assert.equal(b.get('tasks', '2'), null);
  assert.equal(b.get('tasks', '4'), null);
  assert.deepEqual(b.get('tasks', '3'), { id: 3 });
  assert.deepEqual(db.asked, []);
});

test('a live buffer keeps nothing once flushed: later reads go to the database', async () => {
  const db = database({ '1': { n: 5 } });
  const b = new BufferedTx(db.reader);
  await b.apply(counting, event({ read: ['1'], write: ['2', { n: 0 }] }));
  assert.deepEqual(b.get('tasks', '2'), { n: 0, seen: [5] });
  const written: [string, object][] = [];
  await b.flush({
    ...db.reader,
    async put(_c, k, d) {
      written.push([k, d]);
    },
    async delete() {},
  });
  assert.deepEqual(written, [['2', { n: 0, seen: [5] }]]);
  // What it had loaded is forgotten too: the next read asks again.
  await b.apply(counting, event({ read: ['1'], write: null }));
  assert.deepEqual(db.asked, ['1', '1']);
});
