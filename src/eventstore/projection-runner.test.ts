import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openBackend, type StoreBackend } from './open.js';
import type { Projection } from './projection.js';
import { ProjectionRunner } from './projection-runner.js';

interface Counter {
  stream: string;
  n: number;
  last: number;
}

function counting(applied: string[], version = 1, fail?: () => boolean): Projection {
  return {
    name: 'counts',
    version,
    collections: [{ name: 'counts', indexes: ['n'] }],
    filter: { types: ['Hit'] },
    apply(e, tx) {
      // Reads first: an event whose document the buffer did not hold runs again once it is loaded.
      const c = tx.get<Counter>('counts', e.stream) ?? { stream: e.stream, n: 0, last: 0 };
      if (fail?.()) throw new Error('projection bug');
      applied.push(e.eventId);
      tx.put('counts', e.stream, { ...c, n: c.n + 1, last: (e.data as { v: number }).v });
    },
  };
}

const hit = (v: number) => ({ eventId: randomUUID(), type: 'Hit', data: { v } });
const quiet = { log: () => undefined, pollIntervalMs: 20 };

async function dump(b: StoreBackend) {
  return b.readModels.reader.find<Counter>('counts', { orderBy: [['stream', 'asc']] });
}

test('a projection follows the log, survives a restart without replaying, and rebuilds to the same model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'runner-'));
  const url = `sqlite:${join(dir, 's.sqlite')}`;
  try {
    let b = await openBackend(url);
    const applied: string[] = [];
    let runner = new ProjectionRunner(b, [counting(applied)], quiet);
    await runner.start();
    let last = null;
    for (let i = 1; i <= 20; i++) {
      last = await b.events.appendToStream(`s-${i % 3}`, [hit(i)], 'any');
      await b.events.appendToStream('noise-1', [{ eventId: randomUUID(), type: 'Noise', data: {} }], 'any');
    }
    assert.deepEqual(await runner.waitFor(last!.checkpoint, 5000), { reached: true, behind: [] });
    assert.equal(applied.length, 20, 'only the filtered types reach the projection');
    const before = await dump(b);
    assert.deepEqual(
      before.map((c) => [c.stream, c.n]),
      [
        ['s-0', 6],
        ['s-1', 7],
        ['s-2', 7],
      ],
    );
    await runner.stop();
    await b.close();

    // A restart: new connections, new runner; only the events appended meanwhile are applied.
    b = await openBackend(url);
    const more = await b.events.appendToStream('s-9', [hit(99)], 'any');
    const applied2: string[] = [];
    runner = new ProjectionRunner(b, [counting(applied2)], quiet);
    await runner.start();
    assert.equal((await runner.waitFor(more.checkpoint, 5000)).reached, true);
    assert.equal(applied2.length, 1, 'resumed from its checkpoint, no replay');
    const live = await dump(b);
    await runner.stop();

    // Rebuilding from zero gives an identical read model.
    await b.readModels.reset('counts', ['counts']);
    const applied3: string[] = [];
    runner = new ProjectionRunner(b, [counting(applied3)], quiet);
    await runner.start();
    assert.equal((await runner.waitFor(more.checkpoint, 5000)).reached, true);
    assert.equal(applied3.length, 21);
    assert.deepEqual(await dump(b), live);
    await runner.stop();

    // A new projection version rebuilds by itself.
    const applied4: string[] = [];
    runner = new ProjectionRunner(b, [counting(applied4, 2)], quiet);
    await runner.start();
    assert.equal((await runner.waitFor(more.checkpoint, 5000)).reached, true);
    assert.equal(applied4.length, 21);
    assert.deepEqual(await dump(b), live);
    await runner.stop();
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing projection leaves its read model untouched and read-your-writes times out with the culprit', async () => {
  const b = await openBackend('memory:');
  let broken = true;
  const applied: string[] = [];
  const runner = new ProjectionRunner(b, [counting(applied, 1, () => broken)], {
    ...quiet,
    log: () => undefined,
  });
  await runner.start();
  const r = await b.events.appendToStream('s-1', [hit(1)], 'any');
  assert.deepEqual(await runner.waitFor(r.checkpoint, 200), { reached: false, behind: ['counts'] });
  assert.equal(await b.readModels.reader.count('counts'), 0);
  broken = false;
  assert.equal(
    (await runner.waitFor(r.checkpoint, 5000)).reached,
    true,
    'it retries and catches up once fixed',
  );
  assert.equal(applied.length, 1);
  await runner.stop();
  await b.close();
});
