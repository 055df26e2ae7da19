// The audit commands over a realistic store. The store is left at $KOJI_ES_E2E_STORE (default
// .ci/data/e2e.sqlite) so .ci/run can run `koji-es audit verify` over it after the tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startTestHub, ADMIN_PASSWORD, REPO_ROOT, type Creds, type TestHub } from '../helpers/hub.js';
import { Client, loginEnv, usage } from '../helpers/cli-client.js';
import { tempDir } from '../helpers/tmp.js';
import { upcasters } from 'koji-es/kernel/upcasters';
import 'koji-es/modules/tags/tags.upcasters';
import { MemoryEventStore } from 'koji-es/eventstore/memory.store';
import { applyEvents } from 'koji-es/eventstore/buffered-tx';
import { MemoryReadModelStore } from 'koji-es/eventstore/memory.read-model';
import { tagsProjection } from 'koji-es/modules/tags/tags.projection';
import type { RecordedEvent } from 'koji-es/eventstore/port';

const storePath = join(REPO_ROOT, process.env.KOJI_ES_E2E_STORE ?? '.ci/data/e2e.sqlite');
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'dist/cli/main.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

describe('audit', () => {
  let hub: TestHub;
  let alice: Creds;
  let removal = 0;
  const cfg = tempDir('koji-es-audit-cfg-');
  const home = tempDir('koji-es-audit-home-');

  before(async () => {
    mkdirSync(dirname(storePath), { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) rmSync(storePath + suffix, { force: true });
    mkdirSync(join(cfg.dir, 'hub', 'plugins'), { recursive: true });
    writeFileSync(
      join(cfg.dir, 'hub', 'hub.conf'),
      readFileSync(join(REPO_ROOT, 'config/hub/hub.conf'), 'utf8'),
    );
    writeFileSync(
      join(cfg.dir, 'hub', 'plugins', 'sidetag.conf'),
      '[sidetag]\nremove_empty = true\ntrigger_new_repo = true\n',
    );
    hub = await startTestHub({ store: `sqlite:${storePath}`, configDir: cfg.dir });
    const A = hub.admin;
    // A little of everything: users, groups, tokens, hosts, tasks, tags, targets, builds, repos, sidetags.
    await hub.call('createUser', ['alice'], A);
    await hub.call('setUserPassword', ['alice', 'alice-password'], A);
    await hub.call('newGroup', ['packagers'], A);
    await hub.call('addGroupMember', ['packagers', 'alice'], A);
    await hub.call('grantPermission', ['alice', 'runroot'], A);
    await hub.call('createAPIToken', ['alice', 'ci'], A);
    alice = await hub.login('alice', 'alice-password');
    await hub.call('addHost', ['builder-1', ['x86_64']], A);
    const tok = await hub.call<{ token: string }>('createAPIToken', ['builder-1'], A);
    const H = { token: tok.token };
    const task = await hub.call<number>('makeTask', ['sleep', [0]], A);
    await hub.call('host.openTask', [task], H);
    await hub.call('host.closeTask', [task, null], H);
    await hub.call(
      'createTag',
      ['f40-build', null, 'x86_64', { extra: { 'repo.auto': true }, __starstar: true }],
      A,
    );
    await hub.call('createTag', ['f40', { parent: 'f40-build', __starstar: true }], A);
    await hub.call('createBuildTarget', ['f40-candidate', 'f40-build', 'f40'], A);
    await hub.call('createEmptyBuild', ['foo', '1', '1', null], A);
    await hub.call('createEmptyBuild', ['bar', '1', '1', null], A);
    await hub.call('tagBuild', ['f40', 'foo-1-1'], A);
    await hub.call('newRepo', ['f40-build'], A);
    const st = await hub.call<{ name: string; id: number }>('createSideTag', ['f40-build'], alice);
    await hub.call('editSideTag', [st.name, { extra: { note: 1 }, __starstar: true }], A);
    await hub.call('tagBuildBypass', [st.name, 'bar-1-1'], A);
    await hub.call('untagBuild', [st.name, 'bar-1-1'], alice);
    const st2 = await hub.call<{ name: string }>('createSideTag', ['f40-build'], alice);
    await hub.call('holdSideTag', [st2.name, 'bodhi update'], alice);
    const removed = await hub.call<{ position: number }[]>(
      'auditLog',
      [{ type: 'SideTagRemoved', __starstar: true }],
      A,
    );
    removal = removed[0].position;
  });

  after(async () => {
    await hub.close();
    cfg.cleanup();
    home.cleanup();
  });

  test('log: who did what, from where, and the policy rule that allowed it', async () => {
    const entries = await hub.call<
      { type: string; user: string; address: string; rule: string | null; summary: string }[]
    >('auditLog', [{ user: 'alice', type: 'SideTagCreated', __starstar: true }], hub.admin);
    assert.equal(entries.length, 2);
    assert.equal(entries[0].user, 'alice');
    assert.equal(entries[0].address, '127.0.0.1');
    assert.match(entries[0].rule!, /^sidetag line \d+: all :: allow$/);
    const secrets = await hub.call<{ data: { hash?: string } }[]>(
      'auditLog',
      [{ type: 'UserPasswordSet', __starstar: true }],
      hub.admin,
    );
    assert.ok(secrets.length >= 2);
    for (const s of secrets) assert.equal(s.data.hash, '***', 'password hashes never leave the hub');
    const byTask = await hub.call<{ stream: string }[]>(
      'auditLog',
      [{ task: 1, __starstar: true }],
      hub.admin,
    );
    assert.ok(byTask.length >= 3 && byTask.every((e) => e.stream === 'task-1'));
    // A login is the user's own, though no one was logged in when it started.
    const logins = await hub.call<{ user: string; address: string }[]>(
      'auditLog',
      [{ user: 'alice', type: 'SessionStarted', __starstar: true }],
      hub.admin,
    );
    assert.ok(logins.length >= 1);
    for (const l of logins) assert.deepEqual([l.user, l.address], ['alice', '127.0.0.1']);
    const denied = await hub.rpc('auditLog', [], alice);
    assert.equal(denied.body.error?.data?.name, 'ActionNotAllowed');
  });

  test('explain: SideTagRemoved (empty) ← PackageUntagged ← the request by alice', async () => {
    const r = await hub.call<{
      chain: { type: string; user: string; data: { reason?: string } }[];
      request: { user: string; address: string };
    }>('auditExplain', [String(removal)], hub.admin);
    assert.deepEqual(
      r.chain.map((e) => e.type),
      ['SideTagRemoved', 'PackageUntagged'],
    );
    assert.equal(r.chain[0].data.reason, 'empty');
    assert.equal(r.request.user, 'alice');
    assert.equal(r.request.address, '127.0.0.1');
    const out = cli(['audit', 'explain', String(removal), '--store', `sqlite:${storePath}`], {
      HOME: home.dir,
    });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^SideTagRemoved \(empty\)/);
    assert.match(out.stdout, /← PackageUntagged/);
    assert.match(out.stdout, /← the request .* by alice from 127\.0\.0\.1 at /);
  });

  test('state: a sidetag as it was before it was removed', async () => {
    const before = await hub.call<{ state: { tag: { exists: boolean; builds: Record<string, unknown> } } }>(
      'auditState',
      ['sidetag', 3, String(removal - 3)],
      hub.admin,
    );
    assert.equal(before.state.tag.exists, true);
    const now = await hub.call<{ state: { tag: { exists: boolean }; sidetag: { removed: boolean } } }>(
      'auditState',
      ['sidetag', 3],
      hub.admin,
    );
    assert.equal(now.state.tag.exists, false);
    assert.equal(now.state.sidetag.removed, true);
    const task = await hub.call<{ state: { state: number } }>(
      'auditState',
      ['task', 1, new Date().toISOString()],
      hub.admin,
    );
    assert.equal(task.state.state, 2);
    const bad = await hub.rpc('auditState', ['tag', 1, 'yesterday'], hub.admin);
    assert.match(bad.body.error!.message, /neither a time/);
    // An id the log never had is an error, not a state that "does not exist".
    const none = await hub.rpc('auditState', ['tag', 999_999], hub.admin);
    assert.equal(none.body.error?.data?.name, 'GenericError');
    assert.equal(none.body.error?.message, 'the log has no tag 999999');
    const offline = cli(['audit', 'state', '--store', `sqlite:${storePath}`, 'task', '999999'], {
      HOME: home.dir,
    });
    assert.equal(offline.status, 1, offline.stdout);
    assert.match(offline.stderr, /the log has no task 999999/);
  });

  test('log: filters nothing matches (a misspelt type) say so on stderr; stdout stays empty, exit 0', () => {
    const store = ['--store', `sqlite:${storePath}`];
    const none = cli(['audit', 'log', '--type', 'SidetagRemoved', ...store], { HOME: home.dir });
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'koji-es audit log: no event matches these filters\n');
    const some = cli(['audit', 'log', '--type', 'SideTagRemoved', ...store], { HOME: home.dir });
    assert.equal(some.status, 0, some.stderr);
    assert.match(some.stdout, / {2}SideTagRemoved {2}sidetag-\d+ by alice/);
    assert.equal(some.stderr, '');
  });

  test('verify finds no difference online and offline, and finds a tampered read model', async () => {
    const v = await hub.call<{ differences: unknown[]; checked: number }>('auditVerify', [], hub.admin);
    assert.deepEqual(v.differences, []);
    assert.ok(v.checked > 20);
    const offline = cli(['audit', 'verify', '--store', `sqlite:${storePath}`], { HOME: home.dir });
    assert.equal(offline.status, 0, offline.stdout + offline.stderr);
    assert.match(offline.stdout, /documents checked, 0 differences/);
    // Tamper with a copy: verify must notice and exit 1.
    const copy = tempDir('koji-es-audit-copy-');
    try {
      const path = join(copy.dir, 'copy.sqlite');
      const backup = await import('better-sqlite3');
      const db = new backup.default(storePath, { readonly: true });
      await db.backup(path);
      db.close();
      const w = new backup.default(path);
      w.prepare("UPDATE rm_users SET doc = json_set(doc, '$.name', 'mallory') WHERE key = '2'").run();
      w.close();
      const r = cli(['audit', 'verify', '--store', `sqlite:${path}`], { HOME: home.dir });
      assert.equal(r.status, 1);
      assert.match(r.stdout, /different: users\/users 2/);
      assert.match(r.stdout, /1 difference$/m);
    } finally {
      copy.cleanup();
    }
  });

  test('rebuild swaps fresh tables in while the hub keeps answering', async () => {
    let answered = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const u = await hub.call<{ name: string } | null>('getUser', ['alice']);
        assert.equal(u?.name, 'alice');
        answered++;
      }
    })();
    const stats = await hub.call<{ projections: string[]; applied: Record<string, number>; events: number }>(
      'auditRebuild',
      [],
      hub.admin,
    );
    stop = true;
    await reader;
    assert.ok(answered > 0);
    assert.deepEqual(stats.projections, [
      'users',
      'session_locks',
      'tasks',
      'tags',
      'packages',
      'sidetags',
      'failed_trees',
    ]);
    assert.ok(stats.applied.users > 10);
    assert.ok(stats.events >= stats.applied.users);
    // Writes after the rebuild still reach the swapped-in read models.
    await hub.call('createUser', ['bob'], hub.admin);
    assert.equal((await hub.call<{ name: string }>('getUser', ['bob'])).name, 'bob');
    assert.deepEqual(
      (await hub.call<{ differences: unknown[] }>('auditVerify', [], hub.admin)).differences,
      [],
    );
  });

  test('the CLI rebuilds in threads, online and offline, and says how it split the projections', async () => {
    const c = new Client(hub.url);
    try {
      const env = { env: loginEnv('admin', ADMIN_PASSWORD) };
      const online = await c.run(['audit', 'rebuild', '--threads', '2'], env);
      assert.equal(online.code, 0, online.stderr);
      assert.match(online.stdout, /^tasks: \d+ events applied$/m);
      assert.match(online.stdout, /^in 2 threads: [a-z_, ]+ \| [a-z_, ]+$/m);
      const one = await c.run(['audit', 'rebuild', '--threads', '1', '--projection', 'users'], env);
      assert.equal(one.code, 0, one.stderr);
      assert.doesNotMatch(one.stdout, /threads/);
      usage(
        await c.run(['audit', 'rebuild', '--threads', '0'], env),
        'audit rebuild',
        /--threads must be a number from 1 to 64/,
      );
      // Offline, beside the running hub: the threads take turns with nobody in this process, and
      // SQLite's own lock with the hub.
      const offline = cli(['audit', 'rebuild', '--threads', '2', '--store', `sqlite:${storePath}`], {
        HOME: home.dir,
      });
      assert.equal(offline.status, 0, offline.stderr);
      assert.match(offline.stdout, /^in 2 threads: /m);
      assert.deepEqual(
        (await hub.call<{ differences: unknown[] }>('auditVerify', [], hub.admin)).differences,
        [],
      );
    } finally {
      c.cleanup();
    }
  });

  test('an event of an old schema version replays into the current shape through its upcaster', async () => {
    const raw = JSON.parse(
      readFileSync(join(REPO_ROOT, 'test/fixtures/events/package-tagged-v1.json'), 'utf8'),
    ) as Omit<RecordedEvent, 'stream' | 'streamVersion' | 'position' | 'checkpoint' | 'recordedAt'>;
    const stored: RecordedEvent = {
      ...raw,
      stream: 'tag-1',
      streamVersion: 2,
      position: 2,
      checkpoint: '2',
      recordedAt: '2025-01-01T00:00:00.000Z',
    };
    const up = upcasters.upcast(stored);
    assert.equal(up.schemaVersion, 2);
    assert.deepEqual(up.data, { ...(raw.data as object), force: false, fromtag: null });
    // Through a real store and the tags projection, as a replay would.
    const store = new MemoryEventStore();
    await store.appendToStream(
      'tag-1',
      [
        {
          eventId: 'c',
          type: 'TagCreated',
          data: {
            id: 1,
            name: 'f40-build',
            arches: null,
            locked: false,
            perm: null,
            mavenSupport: false,
            mavenIncludeAll: false,
            extra: {},
            inheritance: [],
          },
        },
      ],
      'no_stream',
    );
    await store.appendToStream(
      'tag-1',
      [{ eventId: raw.eventId, type: raw.type, schemaVersion: 1, data: raw.data, metadata: raw.metadata }],
      1,
    );
    const rm = new MemoryReadModelStore();
    await rm.ensureCollections(tagsProjection.collections);
    const events = (await store.readAll()).events.map((e) => upcasters.upcast(e));
    await rm.applyBatch('tags', null, 'x', 1, async (tx) => {
      await applyEvents(tx, tagsProjection, events);
    });
    assert.equal(await rm.reader.count('tagged_builds', { tag_id: 1 }), 1);
  });
});
