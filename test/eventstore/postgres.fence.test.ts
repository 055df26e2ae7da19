// The out-of-order commit problem (eventstore-notes B.3): positions are taken at insert time but
// become visible at commit, in another order. The store's snapshot fence must never let a reader
// skip an event whose transaction commits late, and its checkpoints must never jump over one.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PostgresEventStore } from 'koji-es/eventstore/postgres.store';
import { compareCheckpoints, type RecordedEvent } from 'koji-es/eventstore/port';
import { startTestPostgres } from '../helpers/pg.js';
import { ev } from './contract.js';

const server = startTestPostgres();
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  await (await server).stop();
});

async function setup() {
  const url = await (await server).url();
  const store = new PostgresEventStore(url);
  await store.open();
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  closers.push(
    () => store.close(),
    () => raw.end(),
  );
  return { url, store, raw };
}

/** An append transaction as the store writes it, left open until `commit()`. */
async function openAppend(raw: pg.Client, stream: string, type: string) {
  await raw.query('BEGIN');
  return {
    /** Takes the transaction id now, before anything else happens. */
    takeXid: async () => (await raw.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0].x,
    insert: async () => {
      await raw.query(
        `INSERT INTO es_events (stream_id, stream_position, event_id, event_type, data, metadata, created_at)
         VALUES ($1, 1, $2, $3, '{}', '{}', now())`,
        [stream, randomUUID(), type],
      );
    },
    commit: async () => {
      await raw.query("SELECT pg_notify('es_events', '')");
      await raw.query('COMMIT');
    },
  };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function subscriber(store: PostgresEventStore, filter?: { types: string[] }) {
  const seen: RecordedEvent[] = [];
  const checkpoints: string[] = [];
  const ac = new AbortController();
  const done = store.subscribe({
    signal: ac.signal,
    batchSize: 1,
    pollIntervalMs: 50,
    filter,
    onBatch: async (events, cp) => {
      seen.push(...events);
      checkpoints.push(cp);
    },
  });
  return {
    seen,
    checkpoints,
    last: () => checkpoints[checkpoints.length - 1] ?? null,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

/** The B.3 reader: pages by global position alone. */
async function naiveRead(raw: pg.Client, afterGp: number) {
  const r = await raw.query<{ global_position: string }>(
    'SELECT global_position FROM es_events WHERE global_position > $1 ORDER BY global_position',
    [afterGp],
  );
  return r.rows.map((x) => Number(x.global_position));
}

describe('PostgreSQL snapshot fence', () => {
  test('an append held open while a later one commits: the subscriber gets both, in one consistent order', async () => {
    const { url, store, raw } = await setup();
    const naive = new pg.Client({ connectionString: url });
    await naive.connect();
    closers.push(() => naive.end());
    const sub = subscriber(store);
    const early = await openAppend(raw, 'late-1', 'Early');
    await early.insert(); // takes position 1 and stays open
    const later = await store.appendToStream('later-1', [ev('Later')], 'no_stream');
    assert.equal(later.firstPosition, 2);

    // The naive reader sees position 2 and moves past 1 while it is invisible.
    const naiveFirst = await naiveRead(naive, 0);
    assert.deepEqual(naiveFirst, [2]);
    // The fenced readers wait: nothing is delivered while an older transaction is running.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sub.seen.length, 0);
    assert.deepEqual((await store.readAll()).events, []);
    assert.equal(await store.headCheckpoint(), null);

    await early.commit();
    await waitFor('both events', () => sub.seen.length === 2);
    assert.deepEqual(
      sub.seen.map((e) => [e.type, e.position]),
      [
        ['Early', 1],
        ['Later', 2],
      ],
    );
    // …whereas the naive reader, resuming after 2, has lost position 1 for good.
    assert.deepEqual(await naiveRead(naive, Math.max(...naiveFirst)), []);
    // The append's checkpoint is comparable with the subscription's: at or past it, all was seen.
    assert.ok(compareCheckpoints(sub.last(), later.checkpoint) >= 0);
    assert.equal(sub.seen[1].checkpoint, later.checkpoint);
    await sub.stop();
  });

  test('transaction order differs from position order: a one-event batch size skips nothing', async () => {
    const { store, raw } = await setup();
    const sub = subscriber(store);
    const early = await openAppend(raw, 'late-2', 'Early');
    await early.takeXid(); // the older transaction id…
    const later = await store.appendToStream('later-2', [ev('Later')], 'no_stream'); // …the lower position
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(
      sub.seen.length,
      0,
      'held back by the older transaction, although it has written nothing yet',
    );
    await early.insert();
    await early.commit();
    await waitFor('both events', () => sub.seen.length === 2);
    // Log order is transaction order: the early transaction's event comes first although its position
    // is higher. A checkpoint of the position alone (Emmett 0.42) would now skip position 1.
    assert.deepEqual(
      sub.seen.map((e) => [e.type, e.position]),
      [
        ['Early', 2],
        ['Later', 1],
      ],
    );
    assert.equal(later.firstPosition, 1);
    for (let i = 1; i < sub.checkpoints.length; i++)
      assert.ok(
        compareCheckpoints(sub.checkpoints[i - 1], sub.checkpoints[i]) < 0,
        'checkpoints strictly increase',
      );
    const replay = await store.readAll();
    assert.deepEqual(
      replay.events.map((e) => e.eventId),
      sub.seen.map((e) => e.eventId),
      'readAll and subscribe agree on the order',
    );
    await sub.stop();
  });

  test('a filtered scan advances past filtered-out events but never past a transaction still running', async () => {
    const { store, raw } = await setup();
    for (let i = 0; i < 3; i++) await store.appendToStream(`noise-${i}`, [ev('Noise')], 'no_stream');
    const head0 = await store.headCheckpoint();
    const early = await openAppend(raw, 'wanted-1', 'Wanted');
    await early.insert(); // a matching event, committed late
    const later = await store.appendToStream('noise-9', [ev('Noise')], 'no_stream');

    // The page is not full, so the checkpoint moves to the fenced head: past the three filtered-out
    // events, but not to the later append, which sits beyond the running transaction.
    const p1 = await store.readAll({ filter: { types: ['Wanted'] }, maxCount: 10 });
    assert.deepEqual(p1.events, []);
    assert.equal(p1.checkpoint, head0);
    assert.equal(p1.atEnd, true);
    assert.ok(compareCheckpoints(p1.checkpoint, later.checkpoint) < 0);

    const sub = subscriber(store, { types: ['Wanted'] });
    await waitFor('the subscriber to skip the noise', () => sub.last() === head0);
    await early.commit();
    const p2 = await store.readAll({ after: p1.checkpoint, filter: { types: ['Wanted'] }, maxCount: 10 });
    assert.deepEqual(
      p2.events.map((e) => e.type),
      ['Wanted'],
    );
    // Both transactions are now below the fence: the checkpoint covers the later append too.
    assert.equal(p2.checkpoint, later.checkpoint);
    await waitFor('the late matching event', () => sub.seen.length === 1);
    await waitFor('the subscriber to pass the later append', () => sub.last() === later.checkpoint);
    assert.deepEqual(
      sub.seen.map((e) => e.type),
      ['Wanted'],
    );

    // A full filtered page stops at its last event, not at the head.
    const p3 = await store.readAll({ filter: { types: ['Noise'] }, maxCount: 2 });
    assert.equal(p3.events.length, 2);
    assert.equal(p3.checkpoint, p3.events[1].checkpoint);
    assert.equal(p3.atEnd, false);
    await sub.stop();
  });

  test('many concurrent appends through separate stores: the subscriber sees each exactly once, in checkpoint order', async () => {
    const { url, store } = await setup();
    const writers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const s = new PostgresEventStore(url, { poolSize: 4 });
        await s.open();
        closers.push(() => s.close());
        return s;
      }),
    );
    const sub = subscriber(store);
    const ids: string[] = [];
    await Promise.all(
      writers.flatMap((w, i) =>
        Array.from({ length: 4 }, async (_, j) => {
          for (let k = 0; k < 25; k++) {
            const e = ev('Hit', { i, j, k });
            ids.push(e.eventId);
            await w.appendToStream(`w-${i}-${j}`, [e], 'any');
          }
        }),
      ),
    );
    await waitFor('every event', () => sub.seen.length >= ids.length);
    assert.equal(sub.seen.length, ids.length);
    assert.deepEqual(new Set(sub.seen.map((e) => e.eventId)), new Set(ids));
    const cps = sub.seen.map((e) => e.checkpoint);
    assert.deepEqual(cps, [...cps].sort(), 'delivered in checkpoint order');
    await sub.stop();
  });
});
