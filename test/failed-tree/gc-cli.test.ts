// `koji-es failed-tree-gc` (the built CLI against a hub with saved trees): a dry run lists the trees
// the collector would delete without a "deleted" column that reads "no" for every one of them, and
// deletes nothing; the real run then deletes exactly those rows.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, ok } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.js';
import { addHost, type Host } from '../helpers/tasks.js';
import { failedTaskWithBuildroot, saveTree, type SavedTree } from '../helpers/web.js';

const ADMIN = { KOJI_ES_USER: 'admin', KOJI_ES_PASSWORD: ADMIN_PASSWORD };

describe('koji-es failed-tree-gc', () => {
  let h: TestHub;
  let host: Host;
  let cli: Client;
  const trees: SavedTree[] = [];

  before(async () => {
    // The hub's own collector off: its first pass, soon after start-up, would race the limits set below.
    h = await startTestHub({ tweak: (c) => void (c.failedTree.gcIntervalMs = 0) });
    host = await addHost(h, 'gc-cli-1');
    cli = new Client(h.url);
    for (let i = 0; i < 3; i++) {
      const { buildrootId } = await failedTaskWithBuildroot(h, host);
      trees.push(await saveTree(h, host, buildrootId));
    }
  });
  after(async () => {
    cli?.cleanup();
    await h?.close();
  });

  const listed = async (t: SavedTree) =>
    (await h.call<Record<string, string[]>>('listTaskOutput', [t.taskId, false, true], h.admin))[t.file];

  test('--dry-run prints what would go, with no yes/no column, and deletes nothing; the run deletes those', async () => {
    // The total limit keeps the newest tree only: the two oldest are over it.
    const keep = trees[2].size;
    h.config.failedTree.maxTotalBytes = keep;
    try {
      const dry = await cli.run(['failed-tree-gc', '--dry-run'], { env: ADMIN });
      ok(dry);
      const gone = trees.slice(0, 2);
      const row = (t: SavedTree) =>
        new RegExp(`^${t.taskId}\\s+${t.file}\\s+failed-tree\\s+${t.size}\\s+admin\\s+max_total_bytes$`, 'm');
      const lines = dry.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^Task\s+File\s+Volume\s+Size\s+Owner\s+Reason$/);
      for (const t of gone) assert.match(dry.stdout, row(t));
      assert.equal(lines.length, 1 + gone.length + 1, dry.stdout);
      assert.equal(
        lines.at(-1),
        `Dry run: 2 trees (${gone[0].size + gone[1].size} bytes) would be deleted; nothing was deleted.`,
      );
      assert.doesNotMatch(dry.stdout, /\b(yes|no)$/m);
      for (const t of trees) assert.deepEqual(await listed(t), ['failed-tree'], 'nothing deleted');

      const run = await cli.run(['failed-tree-gc'], { env: ADMIN });
      ok(run);
      assert.match(run.stdout.split('\n')[0], /^Task\s+File\s+Volume\s+Size\s+Owner\s+Reason\s+Deleted$/);
      for (const t of gone)
        assert.match(run.stdout, new RegExp(`^${t.taskId}\\s.*max_total_bytes\\s+yes$`, 'm'));
      for (const t of gone) assert.equal(await listed(t), undefined, `${t.file} deleted`);
      assert.deepEqual(await listed(trees[2]), ['failed-tree']);

      ok(await cli.run(['failed-tree-gc', '--dry-run'], { env: ADMIN }), 'Nothing to delete.\n');
    } finally {
      h.config.failedTree.maxTotalBytes = 0;
    }
  });
});
