import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulkTx } from './sqlite.bulk-writer.js';
import { DELETED, type ReadModelReader } from './read-model.port.js';

const nothing: ReadModelReader = {
  get: async () => null,
  entries: async () => [],
  find: async () => [],
  count: async () => 0,
};

test('a writer batch takes a buffer’s table whole: deletes apart, the documents as one JSON object', async () => {
  const tx = new BulkTx(nothing, (c) => `rmnext_${c}`);
  await tx.delete('tasks', '1');
  await tx.delete('tasks', '2');
  await tx.writeTable(
    'tasks',
    new Map<string, object | typeof DELETED>([
      ['1', { id: 1 }],
      ['__proto__', { id: 0 }],
      ['3', DELETED],
    ]),
  );
  assert.deepEqual(await tx.get('tasks', '1'), { id: 1 }, 'a get sees the batch’s puts');
  assert.equal(await tx.get('tasks', '2'), null, 'and its deletes');
  await assert.rejects(tx.find('tasks'), /write it before querying/);
  const batch = tx.take(7);
  assert.equal(batch.id, 7);
  assert.deepEqual(
    batch.tables.map((t) => ({ ...t, puts: JSON.parse(t.puts) as unknown })),
    [{ table: 'rmnext_tasks', deletes: ['2', '3'], puts: JSON.parse('{"1":{"id":1},"__proto__":{"id":0}}') }],
  );
  assert.deepEqual(tx.take(8).tables, [], 'a batch is empty once taken');
});
