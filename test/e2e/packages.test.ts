// End-to-end tests of package lists (Koji's packageList* methods, listPackages, the package-list
// check of tagBuild, the shipped package_list policy for sidetags; spec §8.1 #1998) over JSON-RPC
// against a real hub on a temporary SQLite store.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RecordedEvent } from 'koji-es/eventstore/port';
import type { PackageRow } from 'koji-es/modules/tags/packages.reader';
// The hub first: it loads the decorator metadata the contract's classes need.
import { REPO_ROOT, startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';
import { packagesContract } from 'koji-es/modules/tags/packages.contract';

const PASSWORD = 'packages-test-password';
const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });
const ROW_FIELDS = [
  'blocked',
  'extra_arches',
  'owner_id',
  'owner_name',
  'package_id',
  'package_name',
  'tag_id',
  'tag_name',
];

/** listPackages' rows, as the hub declares them. */
type Row = PackageRow;

describe('package lists over JSON-RPC', () => {
  let h: TestHub;
  let alice: Creds;
  let bob: Creds;
  let packager: Creds;
  const exercised = new Set<string>();

  const ok = async <T = unknown>(m: string, params: unknown[] = [], creds: Creds | undefined = h.admin) => {
    const r = await h.rpc<T>(m, params, creds);
    assert.equal(r.body.error, undefined, `${m} failed: ${JSON.stringify(r.body.error)}`);
    exercised.add(m);
    return r.body.result as T;
  };
  /** A refusal with Koji's fault name and message, and nothing appended. */
  const fault = async (
    m: string,
    params: unknown[],
    creds: Creds | undefined,
    name: string,
    message: string | RegExp,
  ) => {
    const before = await head();
    const r = await h.rpc(m, params, creds);
    const e = r.body.error;
    assert.ok(e, `${m} should have failed with ${name}, got ${JSON.stringify(r.body.result)}`);
    assert.equal(e.data?.name, name, JSON.stringify(e));
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal(await head(), before, `${m}: nothing appended`);
  };
  const head = async () => {
    const cp = await h.hub.backend.events.headCheckpoint();
    return cp ? h.hub.backend.events.positionOf(cp) : 0;
  };
  const eventsSince = async (pos: number): Promise<RecordedEvent[]> => {
    const out: RecordedEvent[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await h.hub.backend.events.readAll({ after: cursor, maxCount: 500 });
      out.push(...page.events.filter((e) => e.position > pos));
      if (page.atEnd) return out;
      cursor = page.checkpoint;
    }
  };
  const user = async (name: string, perms: string[] = []) => {
    await h.call('createUser', [name], h.admin);
    await h.call('setUserPassword', [name, PASSWORD], h.admin);
    for (const p of perms) await h.call('grantPermission', [name, p], h.admin);
    return h.login(name, PASSWORD);
  };
  const names = (rows: Row[]) => rows.map((r) => `${r.package_name}@${r.tag_name}${r.blocked ? '!' : ''}`);

  before(async () => {
    h = await startTestHub({ tweak: (c) => (c.hub.repoManager = false) });
    alice = await user('alice');
    bob = await user('bob');
    packager = await user('packager', ['tag']);
    await ok('createTag', ['dist']);
    await ok('createTag', ['dist-build', 'dist', 'x86_64']);
    await ok('createTag', ['lonely']);
  });
  after(async () => {
    await h?.close();
  });

  test("packageListAdd: an owner is needed; a new name becomes a package; the entry has Koji's fields", async () => {
    await fault('packageListAdd', ['dist', 'bash'], h.admin, 'GenericError', 'owner not specified');
    await fault(
      'packageListAdd',
      ['dist', 'bash', 'nobody'],
      h.admin,
      'GenericError',
      "No such user: 'nobody'",
    );
    await fault(
      'packageListAdd',
      ['nosuch', 'bash', 'alice'],
      h.admin,
      'GenericError',
      "No such tagInfo: 'nosuch'",
    );
    await fault(
      'packageListAdd',
      ['dist', 99999, 'alice'],
      h.admin,
      'GenericError',
      'No such package: 99999',
    );
    const before = await head();
    assert.equal(await ok('packageListAdd', ['dist', 'bash', 'alice'], packager), null);
    const evs = await eventsSince(before);
    assert.deepEqual(
      evs.map((e) => e.type).filter((t) => t !== 'IdAllocated'),
      ['PackageCreated', 'PackageListChanged'],
    );
    const changed = evs.find((e) => e.type === 'PackageListChanged')!;
    assert.equal((changed.metadata.policy as { name: string }).name, 'package_list');
    await ok('packageListAdd', ['dist', 'coreutils', 'bob', kw({ extra_arches: 'i686 s390x' })]);
    await ok('packageListAdd', ['dist', 'zsh', 'alice']);
    const pkg = await ok<{ id: number; name: string }>('getPackage', ['bash'], undefined);
    assert.deepEqual(Object.keys(pkg).sort(), ['id', 'name']);
    assert.equal(await ok('getPackageID', ['bash'], undefined), pkg.id);
    assert.equal(await ok('getPackageID', ['nope'], undefined), null);
    assert.deepEqual(await ok('getPackage', [{ id: pkg.id }], undefined), pkg);
    await fault('getPackageID', ['nope', true], undefined, 'GenericError', 'No such package name: nope');
    await fault(
      'getPackage',
      ['nope', true],
      undefined,
      'GenericError',
      'No such entry in table package: nope',
    );
    await fault('getPackage', [[1]], undefined, 'ParameterError', /Invalid name or id value/);
    const rows = await ok<Row[]>('listPackages', [kw({ tagID: 'dist' })], undefined);
    assert.deepEqual(names(rows), ['bash@dist', 'coreutils@dist', 'zsh@dist']);
    assert.deepEqual(Object.keys(rows[0]).sort(), ROW_FIELDS);
    assert.equal(rows[1].extra_arches, 'i686 s390x');
    assert.equal(rows[1].owner_name, 'bob');
    // adding what is there changes nothing and appends nothing
    const again = await head();
    await ok('packageListAdd', ['dist', 'bash', 'alice']);
    assert.equal(await head(), again);
  });

  test('listPackages: inherited entries, the nearest wins; by owner, by package, prefix', async () => {
    await ok('packageListAdd', ['dist-build', 'zsh', 'bob']);
    assert.deepEqual(names(await ok<Row[]>('listPackages', [kw({ tagID: 'dist-build' })], undefined)), [
      'zsh@dist-build',
    ]);
    const inherited = await ok<Row[]>(
      'listPackages',
      [kw({ tagID: 'dist-build', inherited: true })],
      undefined,
    );
    assert.deepEqual(names(inherited), ['zsh@dist-build', 'bash@dist', 'coreutils@dist']);
    const dups = await ok<Row[]>(
      'listPackages',
      [kw({ tagID: 'dist-build', inherited: true, with_dups: true })],
      undefined,
    );
    assert.deepEqual(names(dups), ['zsh@dist-build', 'bash@dist', 'coreutils@dist', 'zsh@dist']);
    const byOwner = await ok<Row[]>('listPackages', [kw({ userID: 'bob' })], undefined);
    assert.deepEqual(names(byOwner), ['coreutils@dist', 'zsh@dist-build']);
    assert.deepEqual(names(await ok<Row[]>('listPackages', [kw({ pkgID: 'zsh' })], undefined)), [
      'zsh@dist',
      'zsh@dist-build',
    ]);
    assert.deepEqual(
      (await ok<{ package_name: string }[]>('listPackages', [kw({ prefix: 'C' })], undefined)).map(
        (p) => p.package_name,
      ),
      ['coreutils'],
    );
    assert.deepEqual(await ok('listPackagesSimple', ['b'], undefined), [
      { package_id: (await ok<{ id: number }>('getPackage', ['bash'], undefined)).id, package_name: 'bash' },
    ]);
    assert.equal(
      await ok('listPackages', [kw({ tagID: 'dist', queryOpts: { countOnly: true } })], undefined),
      3,
    );
    const noOwners = await ok<Record<string, unknown>[]>(
      'listPackages',
      [kw({ tagID: 'dist', with_owners: false })],
      undefined,
    );
    assert.ok(!('owner_id' in noOwners[0]));
    await fault(
      'listPackages',
      [kw({ tagID: 'nosuch' })],
      undefined,
      'GenericError',
      'No such entry in table tag: nosuch',
    );
    await fault(
      'listPackages',
      [kw({ userID: 'bob', with_owners: false })],
      undefined,
      'GenericError',
      "userID and with_owners=False can't be used together",
    );
  });

  test('checkTagPackage and getPackageConfig follow inheritance and blocks', async () => {
    assert.equal(await ok('checkTagPackage', ['dist-build', 'bash'], undefined), true);
    assert.equal(await ok('checkTagPackage', ['dist-build', 'nope'], undefined), false);
    assert.equal(await ok('checkTagPackage', ['nosuch', 'bash'], undefined), false);
    const cfg = await ok<Row>('getPackageConfig', ['dist-build', 'coreutils'], undefined);
    assert.equal(cfg.tag_name, 'dist');
    assert.equal(await ok('getPackageConfig', ['lonely', 'bash'], undefined), null);
  });

  test("block and unblock: inherited and own blocks, Koji's messages, blocked entries stay listed", async () => {
    await fault(
      'packageListBlock',
      ['dist-build', 'nope-such'],
      h.admin,
      'GenericError',
      'No such entry in table package: nope-such',
    );
    await ok('packageListAdd', ['lonely', 'only-here', 'alice']);
    await fault(
      'packageListBlock',
      ['dist', 'only-here'],
      h.admin,
      'GenericError',
      'Package only-here is not in tag listing for dist',
    );
    await ok('packageListBlock', ['dist', 'coreutils'], packager);
    assert.equal(await ok('checkTagPackage', ['dist-build', 'coreutils'], undefined), false);
    const blocked = await ok<Row[]>(
      'listPackages',
      [kw({ tagID: 'dist-build', inherited: true })],
      undefined,
    );
    assert.ok(names(blocked).includes('coreutils@dist!'));
    const shown = await ok<Row[]>(
      'listPackages',
      [kw({ tagID: 'dist-build', inherited: true, with_blocked: false })],
      undefined,
    );
    assert.ok(!names(shown).some((n) => n.startsWith('coreutils')));
    // the owner and arches stay as they were
    const cfg = await ok<Row>('getPackageConfig', ['dist', 'coreutils'], undefined);
    assert.deepEqual([cfg.owner_name, cfg.extra_arches, cfg.blocked], ['bob', 'i686 s390x', true]);
    await fault(
      'packageListAdd',
      ['dist', 'coreutils', 'bob', kw({ block: false })],
      h.admin,
      'GenericError',
      'package coreutils is blocked in tag dist',
    );
    // unblocking an inherited block gives the child an unblocked entry of its own
    await ok('packageListUnblock', ['dist-build', 'coreutils']);
    const own = await ok<Row>('getPackageConfig', ['dist-build', 'coreutils'], undefined);
    assert.deepEqual([own.tag_name, own.blocked, own.owner_name], ['dist-build', false, 'bob']);
    // unblocking a tag's own block where nothing unblocked is above: the entry stays, unblocked
    const before = await head();
    await ok('packageListUnblock', ['dist', 'coreutils']);
    assert.deepEqual(
      (await eventsSince(before)).map((e) => e.type),
      ['PackageListChanged'],
    );
    await fault(
      'packageListUnblock',
      ['dist', 'coreutils'],
      h.admin,
      'GenericError',
      'package coreutils NOT blocked in tag dist',
    );
    await fault(
      'packageListUnblock',
      ['dist', 'only-here'],
      h.admin,
      'GenericError',
      'no data (blocked or otherwise) for package only-here in tag dist',
    );
    // a child's own block over an unblocked parent entry: unblocking removes it
    await ok('packageListBlock', ['dist-build', 'bash']);
    const b2 = await head();
    await ok('packageListUnblock', ['dist-build', 'bash']);
    assert.deepEqual(
      (await eventsSince(b2)).map((e) => e.type),
      ['PackageListEntryRemoved'],
    );
    assert.equal((await ok<Row>('getPackageConfig', ['dist-build', 'bash'], undefined)).tag_name, 'dist');
  });

  test('setOwner, setArches, update without an entry, remove', async () => {
    await ok('packageListSetOwner', ['dist', 'zsh', 'bob']);
    assert.equal((await ok<Row>('getPackageConfig', ['dist', 'zsh'], undefined)).owner_name, 'bob');
    await ok('packageListSetArches', ['dist', 'zsh', 'ppc64le aarch64']);
    assert.equal(
      (await ok<Row>('getPackageConfig', ['dist', 'zsh'], undefined)).extra_arches,
      'ppc64le aarch64',
    );
    await fault(
      'packageListSetArches',
      ['dist', 'zsh', 'a,b'],
      h.admin,
      'GenericError',
      'Architecture can be only [a-zA-Z0-9_-]',
    );
    await fault(
      'packageListSetOwner',
      ['lonely', 'zsh', 'bob'],
      h.admin,
      'GenericError',
      'cannot update: tag lonely has no data for package zsh',
    );
    await ok('packageListRemove', ['dist-build', 'zsh']);
    assert.equal((await ok<Row>('getPackageConfig', ['dist-build', 'zsh'], undefined)).tag_name, 'dist');
    // removing what the tag does not list appends nothing, as Koji
    const before = await head();
    await ok('packageListRemove', ['dist-build', 'zsh']);
    assert.equal(await head(), before);
    await fault(
      'packageListRemove',
      ['dist', 'nope-such'],
      h.admin,
      'GenericError',
      'No such entry in table package: nope-such',
    );
  });

  test('the package_list policy: a user without the tag permission changes nothing', async () => {
    const reason =
      /^policy violation \(package_list\): only admins and the tag permission change package lists/;
    await fault('packageListAdd', ['dist', 'vim', 'bob'], bob, 'ActionNotAllowed', reason);
    await fault('packageListBlock', ['dist', 'bash'], bob, 'ActionNotAllowed', reason);
    await fault('packageListRemove', ['dist', 'bash'], bob, 'ActionNotAllowed', reason);
    await fault(
      'packageListAdd',
      ['dist', 'vim', 'bob'],
      undefined,
      'ActionNotAllowed',
      'you must be logged in for this operation',
    );
    assert.equal(await ok('getPackageID', ['vim'], undefined), null, 'a refused add creates no package');
    await fault(
      'getPackage',
      ['vim', false, true],
      undefined,
      'ActionNotAllowed',
      'you must be logged in for this operation',
    );
    const made = await ok<{ id: number; name: string }>('getPackage', ['vim', false, true], bob);
    assert.equal(made.name, 'vim');
    assert.deepEqual(await ok('getPackage', ['vim', false, true], bob), made, 'made once');
  });

  test('tagBuild: a listed tree refuses unlisted and blocked packages; a tree without a list takes all; admin force lists it', async () => {
    await ok('createEmptyBuild', ['bash', '5.2', '1', null]);
    await ok('createEmptyBuild', ['vim', '9.1', '1', null]);
    await ok('createEmptyBuild', ['free', '1', '1', null]);
    assert.equal(
      typeof (await ok('getPackageID', ['free'], undefined)),
      'number',
      'createEmptyBuild made the package',
    );
    await ok('createTag', ['nolist']);
    await ok('tagBuild', ['nolist', 'free-1-1'], alice);
    await fault(
      'tagBuild',
      ['dist-build', 'vim-9.1-1'],
      alice,
      'TagError',
      'Package vim not in list for dist-build',
    );
    await ok('packageListBlock', ['dist-build', 'bash']);
    await fault(
      'tagBuild',
      ['dist-build', 'bash-5.2-1'],
      alice,
      'TagError',
      'Package bash blocked in dist-build',
    );
    await fault(
      'tagBuild',
      ['dist-build', 'bash-5.2-1', true],
      alice,
      'TagError',
      'Package bash blocked in dist-build',
    );
    // an admin's force lists (unblocks) the package in the same append as the tagging
    const before = await head();
    await ok('tagBuild', ['dist-build', 'bash-5.2-1', true]);
    const evs = (await eventsSince(before)).filter(
      (e) => e.type !== 'IdAllocated' && !e.type.startsWith('Task'),
    );
    assert.deepEqual(
      evs.map((e) => e.type),
      ['PackageListChanged', 'PackageTagged'],
    );
    assert.equal(evs[0].metadata.requestId, evs[1].metadata.requestId);
    assert.equal(await ok('checkTagPackage', ['dist-build', 'bash'], undefined), true);
    await ok('tagBuild', ['dist-build', 'vim-9.1-1', true]);
    const vim = await ok<Row>('getPackageConfig', ['dist-build', 'vim'], undefined);
    assert.equal(vim.owner_name, 'admin', 'the forcing admin owns the new entry, as Koji');
  });

  test("a sidetag's owner may block and unblock packages in it (shipped policy), nobody else; a blocked package cannot be tagged in", async () => {
    const side = (await ok<{ name: string }>('createSideTag', ['dist-build'], alice)).name;
    const reason = /^policy violation \(package_list\)/;
    await fault('packageListBlock', [side, 'bash'], bob, 'ActionNotAllowed', reason);
    await fault('packageListAdd', [side, 'newpkg', 'alice'], alice, 'ActionNotAllowed', reason);
    await ok('packageListBlock', [side, 'bash'], alice);
    assert.equal(await ok('checkTagPackage', [side, 'bash'], undefined), false);
    assert.equal(
      await ok('checkTagPackage', ['dist-build', 'bash'], undefined),
      true,
      'the base tag is untouched',
    );
    await ok('createEmptyBuild', ['bash', '5.3', '1', null]);
    await fault('tagBuild', [side, 'bash-5.3-1'], alice, 'TagError', `Package bash blocked in ${side}`);
    await ok('packageListUnblock', [side, 'bash'], alice);
    await ok('tagBuild', [side, 'bash-5.3-1'], alice);
    // removing the sidetag takes its package list with it
    await ok('packageListBlock', [side, 'zsh'], alice);
    await ok('removeSideTag', [side], alice);
    const left = await ok<Row[]>('listPackages', [kw({ pkgID: 'zsh' })], undefined);
    assert.ok(!left.some((r) => r.tag_name === side), JSON.stringify(left));
  });

  test('audit log tells each change in words with the policy rule; audit verify finds the read models right', async () => {
    const log = await h.call<{ summary: string; rule: string | null }[]>(
      'auditLog',
      [kw({ tag: 'dist', type: 'PackageListChanged' })],
      h.admin,
    );
    const first = log[0];
    assert.equal(first.summary, 'listed package bash in dist (owner alice)');
    assert.match(first.rule ?? '', /^package_list line \d+: has_perm admin tag :: allow$/);
    const summaries = log.map((e) => e.summary);
    assert.ok(
      summaries.includes('blocked package coreutils in dist (owner bob, blocked, extra arches i686 s390x)'),
      summaries.join('\n'),
    );
    const removed = await h.call<{ summary: string }[]>(
      'auditLog',
      [kw({ type: 'PackageListEntryRemoved' })],
      h.admin,
    );
    assert.ok(
      removed.some((e) => e.summary === 'unblocked package bash in dist-build (its own entry removed)'),
    );
    const verify = await h.call<{ differences: unknown[] }>('auditVerify', [], h.admin);
    assert.deepEqual(verify.differences, []);
  });

  test('at an event: getTag, the inheritance, listPackages, getPackageConfig and listTagged answer as the tags were then', async () => {
    await ok('createTag', ['ev-base']);
    await ok('createTag', ['ev-child', 'ev-base']);
    await ok('createTag', ['ev-grand', 'ev-child']);
    await ok('packageListAdd', ['ev-base', 'evpkg', 'alice']);
    await ok('createEmptyBuild', ['evpkg', '1', '1', null]);
    await ok('tagBuild', ['ev-child', 'evpkg-1-1']);
    const listing = await ok<Row[]>('listPackages', [kw({ tagID: 'ev-child', inherited: true })], undefined);
    const tagged = await ok<{ nvr: string; create_event: number }[]>('listTagged', ['ev-child'], undefined);
    const event = await head();
    // then: a block, another package, the build untagged, a new parent with its own list
    await ok('packageListBlock', ['ev-child', 'evpkg']);
    await ok('packageListAdd', ['ev-base', 'laterpkg', 'bob']);
    await ok('untagBuild', ['ev-child', 'evpkg-1-1']);
    await ok('createTag', ['ev-other']);
    await ok('packageListAdd', ['ev-other', 'otherpkg', 'bob']);
    await ok('editTag2', ['ev-child', kw({ parent: 'ev-other' })]);
    await ok('editTag2', ['ev-base', kw({ arches: 'aarch64', extra: { note: 'later' } })]);
    const baseThen = await ok<{ arches: string | null; extra: Record<string, unknown> }>(
      'getTag',
      ['ev-base', kw({ event })],
      undefined,
    );
    assert.deepEqual([baseThen.arches, baseThen.extra], [null, {}], 'getTag at the event');
    assert.equal(await ok('getTag', ['ev-other', kw({ event })], undefined), null, 'not made yet');
    await fault(
      'getTag',
      ['ev-other', kw({ event, strict: true })],
      undefined,
      'GenericError',
      "No such tagInfo: 'ev-other'",
    );
    assert.deepEqual(
      await ok<Row[]>('listPackages', [kw({ tagID: 'ev-child', inherited: true, event })], undefined),
      listing,
    );
    assert.deepEqual(
      names(await ok<Row[]>('listPackages', [kw({ tagID: 'ev-child', inherited: true })], undefined)),
      ['evpkg@ev-child!', 'otherpkg@ev-other'],
    );
    assert.equal((await ok<Row>('getPackageConfig', ['ev-child', 'evpkg', event], undefined)).blocked, false);
    assert.equal((await ok<Row>('getPackageConfig', ['ev-child', 'evpkg'], undefined)).blocked, true);
    const then = await ok<{ nvr: string; create_event: number }[]>(
      'listTagged',
      ['ev-child', kw({ event })],
      undefined,
    );
    assert.deepEqual(
      then.map((b) => [b.nvr, b.create_event]),
      tagged.map((b) => [b.nvr, b.create_event]),
    );
    assert.deepEqual(await ok('listTagged', ['ev-child'], undefined), [], 'untagged since');
    // the inheritance then: ev-base, not ev-other
    const parentsThen = await ok<{ name: string }[]>('getInheritanceData', ['ev-child', event], undefined);
    assert.deepEqual(
      parentsThen.map((l) => l.name),
      ['ev-base'],
    );
    assert.deepEqual(
      (await ok<{ name: string }[]>('getInheritanceData', ['ev-child'], undefined)).map((l) => l.name),
      ['ev-other'],
    );
    const fullThen = await ok<{ name: string }[]>('getFullInheritance', ['ev-child', event], undefined);
    assert.deepEqual(
      fullThen.map((l) => l.name),
      ['ev-base'],
    );
    assert.deepEqual(
      await ok('readInheritanceData', [(await ok<{ id: number }>('getTag', ['ev-child'])).id, event]),
      parentsThen,
    );
    // reverse at the event: ev-base's descendants then, found though ev-child has left it since
    type Descendant = { name: string; tag_id: number; child_id: number; currdepth: number };
    const below = (rows: Descendant[]) => rows.map((r) => [r.name, r.currdepth]);
    const reverseThen = await ok<Descendant[]>('getFullInheritance', ['ev-base', event, true], undefined);
    assert.deepEqual(below(reverseThen), [
      ['ev-child', 1],
      ['ev-grand', 2],
    ]);
    assert.deepEqual(
      below(await ok<Descendant[]>('getFullInheritance', ['ev-base', null, true], undefined)),
      [],
    );
    assert.deepEqual(
      below(await ok<Descendant[]>('getFullInheritance', ['ev-other', event, true], undefined)),
      [],
    );
    assert.deepEqual(
      below(await ok<Descendant[]>('getFullInheritance', ['ev-other', null, true], undefined)),
      [
        ['ev-child', 1],
        ['ev-grand', 2],
      ],
    );
    await fault(
      'listPackages',
      [kw({ userID: 'bob', event })],
      undefined,
      'GenericError',
      'listPackages at an event needs a tag (tagID)',
    );
  });

  test('every method of packagesContract was exercised', () => {
    const missing = packagesContract.map((m) => m.name).filter((n) => !exercised.has(n));
    assert.deepEqual(missing, []);
  });
});

describe('the package and is_new_package policy tests in a hub', () => {
  let h: TestHub;
  const tmp = tempDir('koji-es-packages-policy-');

  before(async () => {
    const dir = join(tmp.dir, 'config');
    cpSync(join(REPO_ROOT, 'config'), dir, { recursive: true });
    const conf = join(dir, 'hub', 'hub.conf');
    const shipped = readFileSync(conf, 'utf8')
      .replace(/^package_list =\n(?:[ \t]+.*\n)+/m, '')
      .replace(/^tag =\n(?:[ \t]+.*\n)+/m, '');
    writeFileSync(
      conf,
      `${shipped}package_list =\n    package kernel* :: deny kernel packages are releng's\n    is_new_package :: deny new packages need a review ticket\n    all :: allow\n` +
        `tag =\n    package secret* :: deny that package does not go into tags\n    all :: allow\n`,
    );
    h = await startTestHub({ configDir: dir, tweak: (c) => (c.hub.repoManager = false) });
    await h.call('createTag', ['t'], h.admin);
    await h.call('createEmptyBuild', ['kernel', '6.1', '1', null], h.admin);
    await h.call('createEmptyBuild', ['secret', '1', '1', null], h.admin);
  });
  after(async () => {
    await h?.close();
    tmp.cleanup();
  });

  const refusal = async (m: string, params: unknown[], message: string) => {
    const r = await h.rpc(m, params, h.admin);
    assert.equal(r.body.error?.message, message, JSON.stringify(r.body));
  };

  test('package_list: by the package named, and a name no build has made yet is a new package', async () => {
    await refusal(
      'packageListAdd',
      ['t', 'kernel', 'admin'],
      "policy violation (package_list): kernel packages are releng's",
    );
    await refusal(
      'packageListAdd',
      ['t', 'brand-new', 'admin'],
      'policy violation (package_list): new packages need a review ticket',
    );
    await h.call('packageListAdd', ['t', 'secret', 'admin'], h.admin);
  });

  test("tag: the build's package", async () => {
    await refusal(
      'tagBuild',
      ['t', 'secret-1-1'],
      'policy violation (tag): that package does not go into tags',
    );
  });
});
