import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppendNotifier, runSubscription } from './subscription.js';
import type { ReadAllPage } from './port.js';

test('a wait after a notification it did not see yet returns at once', async () => {
  // Given a version taken, then a notification
  const n = new AppendNotifier();
  const seen = n.version;
  n.notify();
  // When waiting "since" that version, with a long timeout
  const t = performance.now();
  await n.wait(new AbortController().signal, 10_000, seen);
  // Then it does not wait
  assert.ok(performance.now() - t < 1_000);
  assert.equal(n.version, seen + 1);
});

test('an append between the read and the wait is not missed until the poll interval', async () => {
  // Given a log whose second event is appended (and announced) right after the first read
  const n = new AppendNotifier();
  const log = ['e1'];
  const reads: number[] = [];
  const ac = new AbortController();
  const started = performance.now();
  const delivered: string[] = [];
  const sub = runSubscription(
    async (o): Promise<ReadAllPage> => {
      reads.push(performance.now() - started);
      const from = o.after ? Number(o.after) : 0;
      const events = log.slice(from).map((id, i) => ({
        eventId: id,
        type: 'T',
        schemaVersion: 1,
        data: {},
        metadata: {},
        stream: 's',
        streamVersion: from + i + 1,
        position: from + i + 1,
        checkpoint: String(from + i + 1),
        recordedAt: '',
      }));
      if (reads.length === 1)
        queueMicrotask(() => {
          log.push('e2');
          n.notify();
        });
      return { events, checkpoint: String(log.length > from ? from + events.length : from), atEnd: true };
    },
    (signal, ms, since) => n.wait(signal, ms, since),
    {
      signal: ac.signal,
      pollIntervalMs: 30_000,
      onBatch: async (events) => {
        delivered.push(...events.map((e) => e.eventId));
        if (delivered.length === 2) ac.abort();
      },
    },
    () => n.version,
  );
  // When the subscription runs
  const timer = setTimeout(() => ac.abort(), 5_000);
  await sub;
  clearTimeout(timer);
  // Then the second event arrives at once, not after the 30 s poll interval (nor the 5 s guard)
  assert.deepEqual(delivered, ['e1', 'e2']);
  assert.ok(reads[1] < 1_000, `second read after ${reads[1]} ms`);
});
