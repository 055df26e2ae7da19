// A hub whose read models are of another version (or missing) on a long log catches them up with one
// rebuild (fresh tables, read ahead, swapped in) instead of replaying each subscription from zero,
// then follows the log; stopping the hub stops that rebuild and leaves nothing half-written.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { rebuildProjections } from 'koji-es/audit/rebuild';
import { verifyProjections } from 'koji-es/audit/verify';
import { openBackend, type StoreBackend } from 'koji-es/eventstore/open';
import { ProjectionRunner, REBUILD_FROM, type RunnerOptions } from 'koji-es/eventstore/projection-runner';
import type { Projection } from 'koji-es/eventstore/projection';
import { ALL_PROJECTIONS } from 'koji-es/projections';
import { startTestPostgres } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { appends, eventCount, openFilled } from '../helpers/generated-log.js';

const dir = tempDir('koji-es-catch-up-');
const server = startTestPostgres();
after(async () => {
  await (await server).stop();
  dir.cleanup();
});

const LOG = appends(REBUILD_FROM + 5_000);

/** A runner wired as the hub wires it, recording its log and what it rebuilt. */
function runner(b: StoreBackend, projections: Projection[], o: { onProgress?: () => void } = {}) {
  const lines: string[] = [];
  const rebuilt: string[][] = [];
  const rebuild: RunnerOptions['rebuild'] = async (ps, { signal, onProgress }) => {
    rebuilt.push(ps.map((p) => p.name));
    await rebuildProjections(b, ps, (p) => (onProgress(p.position, p.head), o.onProgress?.()), { signal });
  };
  const r = new ProjectionRunner(b, projections, { rebuild, log: (l) => lines.push(l), pollIntervalMs: 10 });
  return { r, lines, rebuilt };
}

const bump = (name: string): Projection[] =>
  ALL_PROJECTIONS.map((p) => (p.name === name ? { ...p, version: p.version + 1 } : p));

const shadowTables = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rmnext_%'").all();
  } finally {
    db.close();
  }
};

describe('catching up a long log at start', () => {
  test('no read models, then one of another version: one rebuild each time, then the log is followed', async () => {
    assert.ok(eventCount(LOG) >= REBUILD_FROM);
    const b = await openFilled(`sqlite:${join(dir.dir, 'bump.sqlite')}`, LOG.slice(0, -1));
    try {
      const first = runner(b, ALL_PROJECTIONS);
      await first.r.start();
      assert.equal((await first.r.waitFor((await b.events.headCheckpoint())!, 60_000)).reached, true);
      await first.r.stop();
      assert.deepEqual(first.rebuilt, [ALL_PROJECTIONS.map((p) => p.name)]);
      assert.ok(first.lines.some((l) => /no read model of this version, rebuilding from the log/.test(l)));
      assert.ok(
        first.lines.some((l) => /: [1-9]0% \(\d+ of \d+ events\)/.test(l)),
        first.lines.join('\n'),
      );
      assert.ok(first.lines.some((l) => /rebuilt in [\d.]+ s/.test(l)));
      assert.deepEqual((await verifyProjections(b, ALL_PROJECTIONS)).differences, []);

      const projections = bump('tasks');
      const second = runner(b, projections);
      await second.r.start();
      assert.equal((await second.r.waitFor((await b.events.headCheckpoint())!, 60_000)).reached, true);
      assert.deepEqual(second.rebuilt, [['tasks']]);
      // Then it follows the log.
      const last = await b.events.appendMulti(LOG.at(-1)!);
      assert.equal((await second.r.waitFor(last.checkpoint, 60_000)).reached, true);
      await second.r.stop();
      assert.deepEqual((await verifyProjections(b, projections)).differences, []);
    } finally {
      await b.close();
    }
  });

  test('a short log is caught up by the subscriptions, with no rebuild', async () => {
    const b = await openFilled(`sqlite:${join(dir.dir, 'short.sqlite')}`, LOG.slice(0, 4));
    try {
      assert.ok(eventCount(LOG.slice(0, 4)) < REBUILD_FROM);
      const { r, rebuilt } = runner(b, ALL_PROJECTIONS);
      await r.start();
      assert.equal((await r.waitFor((await b.events.headCheckpoint())!, 60_000)).reached, true);
      await r.stop();
      assert.deepEqual(rebuilt, []);
      assert.deepEqual((await verifyProjections(b, ALL_PROJECTIONS)).differences, []);
    } finally {
      await b.close();
    }
  });

  test('stopping the hub stops the rebuild: no fresh table is left, and the next start rebuilds', async () => {
    const path = join(dir.dir, 'stopped.sqlite');
    const b = await openFilled(`sqlite:${path}`, LOG);
    try {
      let stopping: Promise<void> | null = null;
      const first = runner(b, ALL_PROJECTIONS, { onProgress: () => void (stopping ??= first.r.stop()) });
      await first.r.start();
      await new Promise<void>((resolve) => {
        const t = setInterval(() => stopping && (clearInterval(t), resolve()), 5);
      });
      await stopping;
      assert.equal(first.rebuilt.length, 1);
      assert.ok(!first.lines.some((l) => /rebuilt in/.test(l)), first.lines.join('\n'));
      assert.deepEqual(shadowTables(path), []);
      const again = runner(b, ALL_PROJECTIONS);
      await again.r.start();
      assert.equal((await again.r.waitFor((await b.events.headCheckpoint())!, 60_000)).reached, true);
      await again.r.stop();
      assert.equal(again.rebuilt.length, 1);
      assert.deepEqual((await verifyProjections(b, ALL_PROJECTIONS)).differences, []);
    } finally {
      await b.close();
    }
  });

  test('PostgreSQL, two hubs starting at once: each projection is rebuilt once, by the hub that runs it', async () => {
    const url = await (await server).url();
    const one = await openFilled(url, LOG);
    const two = await openBackend(url);
    try {
      const hubs = [runner(one, ALL_PROJECTIONS), runner(two, ALL_PROJECTIONS)];
      await Promise.all(hubs.map((h) => h.r.start()));
      const head = (await one.events.headCheckpoint())!;
      for (const h of hubs) assert.equal((await h.r.waitFor(head, 60_000)).reached, true);
      await Promise.all(hubs.map((h) => h.r.stop()));
      const rebuilt = hubs.flatMap((h) => h.rebuilt.flat());
      assert.deepEqual(rebuilt.sort(), ALL_PROJECTIONS.map((p) => p.name).sort());
      assert.deepEqual((await verifyProjections(one, ALL_PROJECTIONS)).differences, []);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
