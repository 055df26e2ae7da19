// A long replay reads the log ahead on a thread of its own (EventStore.scan) and parses event
// metadata only for the projections that read it: the read models are those of a replay that reads
// page by page, and a projection that reads metadata without saying so fails loudly.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { rebuildProjections } from 'koji-es/audit/rebuild';
import { metadataTypes, SCAN_FROM } from 'koji-es/audit/replay';
import { verifyProjections } from 'koji-es/audit/verify';
import type { StoreBackend } from 'koji-es/eventstore/open';
import type { ScanOptions } from 'koji-es/eventstore/port';
import type { Projection } from 'koji-es/eventstore/projection';
import { ALL_PROJECTIONS } from 'koji-es/projections';
import { sidetagProjection } from 'koji-es/modules/sidetag/sidetag.projection';
import { startTestPostgres } from '../helpers/pg.js';
import { CLI } from '../helpers/cli-client.js';
import { tempDir } from '../helpers/tmp.js';
import { appends, eventCount, openFilled, snapshot } from '../helpers/generated-log.js';

const dir = tempDir('koji-es-rebuild-scan-');
const server = startTestPostgres();
after(async () => {
  await (await server).stop();
  dir.cleanup();
});

const LOG = appends(SCAN_FROM + 5_000);
const execFileAsync = promisify(execFile);

/** The scans a store is asked for, and what for. */
function spyOnScans(b: StoreBackend): ScanOptions[] {
  const seen: ScanOptions[] = [];
  const events = b.events as { scan?: (o: ScanOptions) => AsyncIterable<unknown> };
  const scan = events.scan!.bind(events);
  events.scan = (o) => {
    seen.push(o);
    return scan(o);
  };
  return seen;
}

const peek = (readsMetadata: boolean): Projection => ({
  name: 'peek',
  version: 1,
  collections: [{ name: 'peek' }],
  filter: { types: ['TaskCreated'] },
  readsMetadata,
  apply(ev, tx) {
    tx.put('peek', String(ev.position), { by: ev.metadata.actor?.name ?? null });
  },
});

describe('a long replay reads ahead', () => {
  test('the metadata a replay parses: the types of the projections that read it', () => {
    assert.deepEqual(metadataTypes(ALL_PROJECTIONS), sidetagProjection.filter!.types);
    assert.deepEqual(metadataTypes([peek(false)]), []);
    assert.deepEqual(metadataTypes([peek(true), peek(false)]), ['TaskCreated']);
    assert.equal(metadataTypes([{ ...peek(true), filter: undefined }]), undefined, 'no filter: every type');
    assert.equal(
      metadataTypes([{ ...peek(true), filter: { streamPrefixes: ['task-'] } }]),
      undefined,
      'a stream filter: every type',
    );
  });

  /** A rebuild of `url` reads ahead and gives the read models of one page by page (SQLite in memory). */
  async function sameAsPaged(url: string) {
    assert.ok(eventCount(LOG) >= SCAN_FROM);
    const ahead = await openFilled(url, LOG);
    const paged = await openFilled('sqlite::memory:', LOG);
    try {
      assert.equal(paged.events.scan, undefined, 'an in-memory database cannot be opened from a thread');
      const scans = spyOnScans(ahead);
      const a = await rebuildProjections(ahead, ALL_PROJECTIONS, undefined, { threads: 1 });
      const b = await rebuildProjections(paged, ALL_PROJECTIONS, undefined, { threads: 1 });
      assert.equal(scans.length, 1);
      assert.deepEqual(scans[0].metadataOf, sidetagProjection.filter!.types);
      assert.equal(a.events, b.events);
      assert.deepEqual(a.applied, b.applied);
      assert.deepEqual(await snapshot(ahead), await snapshot(paged));
      assert.deepEqual((await verifyProjections(ahead, ALL_PROJECTIONS)).differences, []);
      assert.equal(scans.length, 2, 'verify read ahead too');
    } finally {
      await ahead.close();
      await paged.close();
    }
  }

  test('SQLite: the read models of a replay page by page, with metadata read only for sidetags', async () => {
    await sameAsPaged(`sqlite:${join(dir.dir, 'scan.sqlite')}`);
  });

  test('PostgreSQL: the read models of a replay page by page, with metadata read only for sidetags', async () => {
    await sameAsPaged(await (await server).url());
  });

  test('SQLite: a projection that reads metadata without saying so fails the rebuild, and says why', async () => {
    const b = await openFilled(`sqlite:${join(dir.dir, 'undeclared.sqlite')}`, LOG);
    try {
      await b.readModels.ensureCollections(peek(false).collections);
      await assert.rejects(
        rebuildProjections(b, [peek(false)]),
        /metadata of this event was not read \(\.actor\): a projection that reads event metadata must say so \(readsMetadata\)/,
      );
      const ok = await rebuildProjections(b, [peek(true)]);
      assert.equal(ok.applied.peek, await b.readModels.reader.count('peek'));
      const [, doc] = (await b.readModels.reader.entries<{ by: string | null }>('peek'))[0];
      assert.equal(typeof doc.by, 'string');
    } finally {
      await b.close();
    }
  });

  test('SQLite: an event whose stored data is not one JSON value fails the rebuild and names its page', async () => {
    const path = join(dir.dir, 'corrupt.sqlite');
    const b = await openFilled(`sqlite:${path}`, LOG);
    const db = new Database(path);
    try {
      const victim = db
        .prepare<[], { global_position: number; data: string }>(
          "SELECT global_position, data FROM es_events WHERE event_type = 'TaskCreated' LIMIT 1 OFFSET 3000",
        )
        .get()!;
      const set = db.prepare('UPDATE es_events SET data = ? WHERE global_position = ?');
      const page = /unreadable event data between log positions (\d+) and (\d+): /;
      for (const [text, why] of [
        ['{"id":', /JSON/],
        // Valid JSON once joined with its neighbours: it would shift them if it were not counted.
        ['{"id":1},{"id":2}', /not one JSON value per event/],
      ] as const) {
        set.run(text, victim.global_position);
        const e = await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 1 }).then(
          () => assert.fail('the rebuild went through'),
          (e: Error) => e,
        );
        const m = page.exec(e.message);
        assert.ok(m, e.message);
        assert.match(e.message, why);
        assert.ok(
          Number(m[1]) <= victim.global_position && victim.global_position <= Number(m[2]),
          e.message,
        );
      }
      set.run(victim.data, victim.global_position);
      await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 1 });
    } finally {
      db.close();
      await b.close();
    }
  });
});

describe('rebuilds at once', () => {
  test('two rebuilds in one process take turns: both succeed and the read models are right', async () => {
    const b = await openFilled(`sqlite:${join(dir.dir, 'twice.sqlite')}`, LOG);
    try {
      const [a, c] = await Promise.all([
        rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 1 }),
        rebuildProjections(
          b,
          ALL_PROJECTIONS.filter((p) => p.name !== 'users'),
          undefined,
          { threads: 1 },
        ),
      ]);
      assert.ok(a.events > 0);
      assert.ok(c.events > 0);
      assert.deepEqual((await verifyProjections(b, ALL_PROJECTIONS)).differences, []);
    } finally {
      await b.close();
    }
  });

  /** An offline `audit rebuild` in another process beside one in this process: both succeed. */
  async function besideAnotherProcess(url: string) {
    const b = await openFilled(url, LOG);
    try {
      const here = rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 1 });
      // As an admin might start one beside a running hub.
      const there = execFileAsync(
        process.execPath,
        [CLI, 'audit', 'rebuild', '--threads', '1', '--store', url],
        { env: { ...process.env, HOME: dir.dir } },
      );
      const [, other] = await Promise.all([here, there]);
      assert.match(other.stdout, /events in [\d.]+ s/);
      assert.deepEqual((await verifyProjections(b, ALL_PROJECTIONS)).differences, []);
    } finally {
      await b.close();
    }
  }

  test('PostgreSQL: a rebuild from another process waits for the one under way, and both succeed', async () => {
    await besideAnotherProcess(await (await server).url());
  });

  test('SQLite: a rebuild from another process waits for the one under way, and both succeed', async () => {
    await besideAnotherProcess(`sqlite:${join(dir.dir, 'two-processes.sqlite')}`);
  });

  test("SQLite: another holder's lease is waited for until it runs out, then taken", async () => {
    const path = join(dir.dir, 'lease.sqlite');
    const b = await openFilled(`sqlite:${path}`, LOG.slice(0, 4));
    const db = new Database(path);
    try {
      await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 1 });
      // A holder that died a moment before its lease ran out.
      db.prepare("INSERT INTO es_rebuild_lease (id, holder, expires_at) VALUES (1, 'gone', ?)").run(
        Date.now() + 1_200,
      );
      const started = performance.now();
      await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: 1 });
      assert.ok(performance.now() - started >= 1_000, 'it waited for the lease');
      assert.deepEqual(db.prepare('SELECT * FROM es_rebuild_lease').all(), [], 'and gave it back');
    } finally {
      db.close();
      await b.close();
    }
  });
});
