// `audit rebuild` with its projections split over threads: the same read models as a rebuild in one
// thread, on SQLite and PostgreSQL, with the hub appending meanwhile, and nothing left behind when a
// thread fails. The log is bench/replay's generated mix, which every projection consumes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { rebuildProjections } from 'koji-es/audit/rebuild';
import { THREADS_FROM_EVENTS } from 'koji-es/audit/rebuild.threads';
import { verifyProjections } from 'koji-es/audit/verify';
import { ALL_PROJECTIONS } from 'koji-es/projections';
import { startTestPostgres } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { appends, eventCount, openFilled, snapshot } from '../helpers/generated-log.js';

const dir = tempDir('koji-es-rebuild-threads-');
const server = startTestPostgres();
after(async () => {
  await (await server).stop();
  dir.cleanup();
});

const LOG = appends(12_000);

async function sameAsOneThread(url: string) {
  const b = await openFilled(url, LOG);
  try {
    const one = await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 1 });
    assert.equal(one.groups.length, 1);
    const expected = await snapshot(b);
    const progress: number[] = [];
    const two = await rebuildProjections(b, ALL_PROJECTIONS, (p) => progress.push(p.position), {
      threads: 2,
    });
    assert.equal(two.groups.length, 2, 'the generated mix splits in two');
    assert.deepEqual(two.groups.flat().sort(), ALL_PROJECTIONS.map((p) => p.name).sort());
    // The same events, counted once each, applied by the same projections.
    assert.equal(two.events, one.events);
    assert.deepEqual(two.applied, one.applied);
    assert.ok(progress.length > 0 && progress.every((p, i) => i === 0 || p >= progress[i - 1]));
    assert.deepEqual(await snapshot(b), expected);
    assert.deepEqual((await verifyProjections(b, ALL_PROJECTIONS)).differences, []);
  } finally {
    await b.close();
  }
}

describe('a rebuild in threads', () => {
  test('SQLite: the same read models as in one thread', async () => {
    await sameAsOneThread(`sqlite:${join(dir.dir, 'same.sqlite')}`);
  });

  test('PostgreSQL: the same read models as in one thread', async () => {
    await sameAsOneThread(await (await server).url());
  });

  test('SQLite: appends go on during the rebuild, taking turns with its writes, and are in the result', async () => {
    const cut = Math.floor(LOG.length * 0.6);
    const b = await openFilled(`sqlite:${join(dir.dir, 'busy.sqlite')}`, LOG.slice(0, cut));
    try {
      let appended = 0;
      const rebuilding = rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 2 });
      let done = false;
      void rebuilding.finally(() => (done = true)).catch(() => {});
      // The rest of the log while the threads write: every append must get its turn.
      for (const w of LOG.slice(cut)) {
        await b.events.appendMulti(w);
        appended++;
        if (done) break;
      }
      const stats = await rebuilding;
      assert.equal(stats.groups.length, 2);
      assert.ok(appended > 0);
      for (const w of LOG.slice(cut + appended)) await b.events.appendMulti(w);
      // The runner is not started here, so the swapped-in models stand where the rebuild stopped:
      // verify replays the log up to that checkpoint and compares.
      assert.deepEqual((await verifyProjections(b, ALL_PROJECTIONS)).differences, []);
    } finally {
      await b.close();
    }
  });

  test('SQLite: a thread that fails leaves the live read models and no fresh table behind', async () => {
    const path = join(dir.dir, 'broken.sqlite');
    const b = await openFilled(`sqlite:${path}`, LOG);
    try {
      await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 1 });
      const before = await snapshot(b);
      // An event only the tasks projection reads, made unreadable on disk.
      const db = new Database(path);
      const broken = db
        .prepare<[], { global_position: number; data: string }>(
          "SELECT global_position, data FROM es_events WHERE event_type = 'TaskOpened' ORDER BY global_position DESC LIMIT 1",
        )
        .get()!;
      db.prepare('UPDATE es_events SET data = ? WHERE global_position = ?').run(
        '{"id":',
        broken.global_position,
      );
      await assert.rejects(
        rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 2 }),
        /rebuilding [a-z_, ]*tasks[a-z_, ]*: .*JSON/,
      );
      const left = db
        .prepare<[], { name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rmnext_%'",
        )
        .all();
      assert.deepEqual(left, []);
      assert.deepEqual(await snapshot(b), before);
      // The write lock was given back: the store still takes appends.
      await b.events.appendToStream(
        'user-9999',
        [{ eventId: 'noted-1', type: 'Noted', data: {}, metadata: {} }],
        'any',
      );
      db.prepare('UPDATE es_events SET data = ? WHERE global_position = ?').run(
        broken.data,
        broken.global_position,
      );
      db.close();
      const again = await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 2 });
      assert.equal(again.groups.length, 2);
      assert.deepEqual((await verifyProjections(b, ALL_PROJECTIONS)).differences, []);
    } finally {
      await b.close();
    }
  });

  test('unless threads are asked for, a log shorter than THREADS_FROM_EVENTS is rebuilt in the calling thread', async () => {
    assert.ok(eventCount(LOG) < THREADS_FROM_EVENTS);
    const b = await openFilled(`sqlite:${join(dir.dir, 'short.sqlite')}`, LOG);
    try {
      assert.equal((await rebuildProjections(b, ALL_PROJECTIONS)).groups.length, 1);
      assert.equal(
        (await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 2 })).groups.length,
        2,
      );
    } finally {
      await b.close();
    }
  });

  test('a store a thread cannot open again is rebuilt in the calling thread', async () => {
    for (const url of ['memory:', 'sqlite::memory:']) {
      const b = await openFilled(url, LOG.slice(0, 4));
      try {
        const stats = await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 4 });
        assert.equal(stats.groups.length, 1, url);
      } finally {
        await b.close();
      }
    }
  });
});
