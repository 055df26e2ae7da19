// The hub's own jobs (the sidetag cleanup of `cleanup_interval`, the failed-tree collector of
// `gc_interval`): their first pass comes soon after start-up, not a whole interval later (a hub
// restarted more often than hourly never collected), and what they remove is in the hub's log,
// which still carries none of Nest's start-up lines.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startTestHub } from '../helpers/hub.js';
import { startHubProcess } from '../helpers/hub-process.js';
import { eventually, RpcClient, sidetagConfigDir } from '../helpers/sidetag.js';
import { addHost } from '../helpers/tasks.js';
import { tempDir } from '../helpers/tmp.js';
import { failedTaskWithBuildroot, saveTree, type SavedTree } from '../helpers/web.js';

const PASSWORD = 'hub-jobs-admin-password';
/** Nest's own `log` lines at start-up, hidden from the hub log (and to stay hidden). */
const NEST_CHATTER = /InstanceLoader|RoutesResolver|RouterExplorer|NestFactory|NestApplication/;

describe("the hub's own jobs", () => {
  test('with cleanup_interval an hour, a restarted hub removes an empty sidetag at once and logs it', async () => {
    const EMPTY_DELAY_S = 1.5;
    const cfg = sidetagConfigDir({
      sidetag: {
        cleanup_interval: '3600',
        cleanup_stages: 'empty',
        cleanup_empty_delay: String(EMPTY_DELAY_S / 86400),
      },
    });
    const data = tempDir('koji-es-hub-jobs-');
    const store = `sqlite:${join(data.dir, 'koji-es.sqlite')}`;
    const start = () =>
      startHubProcess({
        store,
        configDir: cfg.dir,
        adminPassword: PASSWORD,
        dataDir: data.dir,
        args: ['--no-builder'],
      });
    let first = await start();
    try {
      const api = new RpcClient(first.url);
      const admin = await api.login('admin', PASSWORD);
      await api.ok('createTag', ['jobs-base'], admin);
      const side = await api.ok<{ name: string }>('createSideTag', ['jobs-base'], admin);
      // Old enough for the empty stage, but the first hub's first pass came before it existed and
      // its next one is an hour away.
      await new Promise((r) => setTimeout(r, (EMPTY_DELAY_S + 1.5) * 1000));
      assert.ok(await api.ok('getTag', [side.name]), 'no pass before the restart');
      assert.doesNotMatch(first.stdout(), /removed sidetag/);
      await first.kill('SIGTERM');

      const second = await start();
      first = second;
      const api2 = new RpcClient(second.url);
      const removedAt = await eventually(
        'the first pass after start-up',
        async () => ((await api2.ok('getTag', [side.name])) === null ? Date.now() : undefined),
        10_000,
      );
      assert.ok(removedAt > 0);
      const line = await eventually('the log line', async () =>
        second
          .stdout()
          .split('\n')
          .find((l) => l.includes(`removed sidetag ${side.name}`)),
      );
      assert.match(
        line,
        new RegExp(`\\bLOG \\[sidetag-cleanup\\] removed sidetag ${side.name} \\(empty\\)$`),
      );
      for (const out of [second.stdout(), second.stderr()]) assert.doesNotMatch(out, NEST_CHATTER);
      // Start-up says what it said before: where the hub listens, and nothing from Nest.
      assert.equal(second.stdout().split('\n').filter(Boolean).length, 1, second.stdout());
    } finally {
      await first.kill('SIGTERM');
      data.cleanup();
      cfg.cleanup();
    }
  });

  test('with gc_interval an hour, a restarted hub collects the trees over the limit soon after start-up', async () => {
    const data = tempDir('koji-es-hub-jobs-gc-');
    const flags = { '--data-dir': data.dir };
    const h1 = await startTestHub({ flags, tweak: (c) => (c.failedTree.gcIntervalMs = 0) });
    const trees: SavedTree[] = [];
    try {
      const host = await addHost(h1, 'jobs-gc-1');
      for (let i = 0; i < 2; i++) {
        const { buildrootId } = await failedTaskWithBuildroot(h1, host);
        trees.push(await saveTree(h1, host, buildrootId));
      }
    } finally {
      await h1.close();
    }
    const started = Date.now();
    const h2 = await startTestHub({
      flags,
      tweak: (c) => {
        c.failedTree.gcIntervalMs = 3_600_000;
        c.failedTree.maxTotalBytes = 1;
      },
    });
    try {
      await eventually(
        'the first collection after start-up',
        async () => {
          for (const t of trees) {
            const out = await h2.call<Record<string, string[]>>('listTaskOutput', [t.taskId, false, true]);
            if (out[t.file]) return undefined;
          }
          return true;
        },
        10_000,
      );
      assert.ok(Date.now() - started < 10_000);
      const rows = await h2.call<{ task_id: number; expired: unknown }[]>('listFailedTrees', [], h2.admin);
      for (const t of trees)
        assert.ok(rows.find((r) => r.task_id === t.taskId)?.expired, `${t.file} expired`);
    } finally {
      await h2.close();
      data.cleanup();
    }
  });
});
