import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferedTx, DELETED } from './buffered-tx.js';
import type { ReadModelReader } from './read-model.port.js';

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

test('a rebuild buffer answers for the documents of the last detach, which may still be on their way', async () => {
  // Given a buffer over fresh (empty) tables with a document detached for writing
  const db = database();
  const b = new BufferedTx(db.reader, { emptyBase: true });
  await b.put('tasks', '1', { id: 1, state: 'open' });
  const first = b.detach();
  // When the replay reads it back before that write has committed
  const doc = await b.get('tasks', '1');
  // Then the buffer answers from memory and the database is not asked
  assert.deepEqual(doc, { id: 1, state: 'open' });
  assert.deepEqual(db.asked, []);
  assert.deepEqual([...first.get('tasks')!], [['1', { id: 1, state: 'open' }]]);
  assert.equal(b.size, 0);
});

test('a rebuild buffer asks the database only for documents detached two batches ago', async () => {
  // Given a document detached, then another batch detached after it (so the first was awaited)
  const db = database({ '1': { id: 1, state: 'closed' } });
  const b = new BufferedTx(db.reader, { emptyBase: true });
  await b.put('tasks', '1', { id: 1, state: 'open' });
  b.detach();
  await b.put('tasks', '2', { id: 2 });
  b.detach();
  // When both are read, and one never written
  const one = await b.get('tasks', '1');
  const two = await b.get('tasks', '2');
  const three = await b.get('tasks', '3');
  // Then only the older one comes from the database; one never written is known to be absent
  assert.deepEqual(one, { id: 1, state: 'closed' });
  assert.deepEqual(two, { id: 2 });
  assert.equal(three, null);
  assert.deepEqual(db.asked, ['1']);
});

test('a delete is detached as a delete and read back as absent', async () => {
  const db = database({ '1': { id: 1 } });
  const b = new BufferedTx(db.reader, { emptyBase: true });
  await b.put('tasks', '1', { id: 1 });
  await b.delete('tasks', '1');
  const w = b.detach();
  assert.equal(w.get('tasks')!.get('1'), DELETED);
  assert.equal(await b.get('tasks', '1'), null);
  assert.deepEqual(db.asked, []);
});

test('a live buffer keeps nothing once flushed: later reads go to the database', async () => {
  const db = database({ '1': { id: 1, state: 'stored' } });
  const b = new BufferedTx(db.reader);
  await b.put('tasks', '1', { id: 1, state: 'pending' });
  assert.deepEqual(await b.get('tasks', '1'), { id: 1, state: 'pending' });
  const written: [string, object][] = [];
  await b.flush({
    ...db.reader,
    async put(_c, k, d) {
      written.push([k, d]);
    },
    async delete() {},
  });
  assert.deepEqual(written, [['1', { id: 1, state: 'pending' }]]);
  assert.deepEqual(await b.get('tasks', '1'), { id: 1, state: 'stored' });
  assert.deepEqual(db.asked, ['1']);
});
