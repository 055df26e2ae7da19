// End-to-end tests of the tags module (issue 6) over JSON-RPC against a real hub on a temporary
// SQLite store: every method of tagsContract with Koji's result shapes, errors and access rules; the
// reuse of a deleted tag's id; what deleting a tag takes with it; tagging as a hub-completed task with
// its events; moves in one append; the `tag` policy (a denial appends nothing, an allowance is recorded
// with the events); the post-untag port (a hook's events land in the untag's own append); repos,
// Koji 1.35's repo requests driven through the repo manager's pass(), repo.auto, debuginfo and
// tagLastChangeEvent.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RecordedEvent } from 'koji-es/eventstore/port';
import { PostUntagHooks } from 'koji-es/modules/tags/post-untag';
import { RepoManager } from 'koji-es/modules/tags/repo-manager';
import { tagsContract } from 'koji-es/modules/tags/tags.contract';
import { REPO_ROOT, startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
import { CheckedApi } from '../helpers/checked-api.js';
import { tempDir } from '../helpers/tmp.js';

const PASSWORD = 'tags-test-password';
const TAG_FIELDS = [
  'id',
  'name',
  'perm_id',
  'perm',
  'arches',
  'locked',
  'maven_support',
  'maven_include_all',
  'extra',
];
const TARGET_FIELDS = ['id', 'name', 'build_tag', 'build_tag_name', 'dest_tag', 'dest_tag_name'];
const BUILD_FIELDS = [
  'id',
  'build_id',
  'package_name',
  'name',
  'version',
  'release',
  'epoch',
  'nvr',
  'state',
  'state_name',
  'owner_id',
  'owner_name',
  'task_id',
  'creation_event_id',
  'creation_ts',
  'completion_ts',
];
const REPO_FIELDS = [
  'id',
  'tag_id',
  'tag_name',
  'create_event',
  'state',
  'dist',
  'task_id',
  'opts',
  'custom_opts',
];

interface TagInfo {
  id: number;
  name: string;
  perm_id: number | null;
  perm: string | null;
  arches: string | null;
  locked: boolean;
  extra: Record<string, unknown>;
}
interface TargetInfo {
  id: number;
  name: string;
  build_tag: number;
  build_tag_name: string;
  dest_tag: number;
  dest_tag_name: string;
}
interface BuildInfo {
  id: number;
  nvr: string;
  state: number;
  state_name: string;
  owner_name: string;
  package_name: string;
}
interface Tagged extends BuildInfo {
  tag_id: number;
  tag_name: string;
}
interface RepoInfo {
  id: number;
  tag_id: number;
  create_event: number;
  state: number;
  task_id: number;
  opts: Record<string, unknown>;
  builds?: { id: number; nvr: string; tag_id: number }[];
}
interface RepoRequest {
  id: number;
  tag_id: number;
  min_event: number | null;
  active: boolean;
  repo_id: number | null;
  task_id: number | null;
}
interface Check {
  repo: RepoInfo | null;
  request: RepoRequest | null;
  duplicate?: boolean;
}

const exercised = new Set<string>();
const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });

/** Calls as the admin unless told otherwise. */
class Api extends CheckedApi {
  constructor(h: TestHub) {
    super(h, exercised, () => h.admin);
  }
}

/** Every event of the log, in order. */
async function allEvents(h: TestHub): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await h.hub.backend.events.readAll({ after: cursor, maxCount: 500 });
    out.push(...page.events);
    if (page.atEnd) return out;
    cursor = page.checkpoint;
  }
}

async function head(h: TestHub): Promise<number> {
  const cp = await h.hub.backend.events.headCheckpoint();
  return cp ? h.hub.backend.events.positionOf(cp) : 0;
}

async function user(h: TestHub, name: string, perms: string[] = []): Promise<Creds> {
  await h.call('createUser', [name], h.admin);
  await h.call('setUserPassword', [name, PASSWORD], h.admin);
  for (const p of perms) await h.call('grantPermission', [name, p], h.admin);
  return h.login(name, PASSWORD);
}

describe('tags module over JSON-RPC', () => {
  let h: TestHub;
  let api: Api;
  let bob: Creds;
  let tagger: Creds;

  before(async () => {
    h = await startTestHub({ tweak: (c) => (c.hub.repoManager = false) });
    api = new Api(h);
    bob = await user(h, 'bob');
    tagger = await user(h, 'tagger', ['tag', 'target', 'repo']);
  });
  after(async () => {
    await h?.close();
  });

  describe('tags', () => {
    test("createTag: the id; getTag: Koji's fields with the tag's own extra; a parent link", async () => {
      const id = await api.ok<number>('createTag', [
        'base',
        kw({ arches: 'x86_64 aarch64', extra: { a: 1 } }),
      ]);
      const base = await api.ok<TagInfo>('getTag', ['base']);
      assert.deepEqual(Object.keys(base).sort(), [...TAG_FIELDS].sort());
      assert.deepEqual(base, {
        id,
        name: 'base',
        perm_id: null,
        perm: null,
        arches: 'x86_64 aarch64',
        locked: false,
        maven_support: false,
        maven_include_all: false,
        extra: { a: 1 },
      });
      const child = await api.ok<number>('createTag', ['child', 'base', null, true, 'admin'], tagger);
      const c = await api.ok<TagInfo>('getTag', [child, kw({ strict: true })], undefined);
      assert.equal(c.locked, true);
      assert.equal(c.perm, 'admin');
      assert.equal(typeof c.perm_id, 'number');
      assert.deepEqual(c.extra, {}, 'nothing inherited in getTag');
      const links = [
        {
          parent_id: id,
          name: 'base',
          priority: 0,
          maxdepth: null,
          intransitive: false,
          noconfig: false,
          pkg_filter: '',
          child_id: child,
        },
      ];
      assert.deepEqual(await api.ok('getInheritanceData', ['child'], undefined), links);
      assert.deepEqual(await api.ok('readInheritanceData', [child], undefined), links);
      assert.deepEqual(await api.ok('getTag', [{ name: 'child' }], undefined), c);
    });

    test("createTag: Koji's checks and messages", async () => {
      await api.fault(
        'createTag',
        ['base'],
        h.admin,
        'GenericError',
        "A tag with the name 'base' already exists",
      );
      await api.fault(
        'createTag',
        ['orphan', 'nope'],
        h.admin,
        'GenericError',
        "Parent tag 'nope' could not be found",
      );
      await api.fault(
        'createTag',
        ['bad name!'],
        h.admin,
        'GenericError',
        'Name bad name! does not match RegexNameInternal value',
      );
      const long = 'x'.repeat(257);
      await api.fault(
        'createTag',
        [long],
        h.admin,
        'GenericError',
        `Name ${long} is too long. Max length is 256 characters`,
      );
      await api.fault('createTag', [5], h.admin, 'GenericError', 'Name should be string');
      await api.fault(
        'createTag',
        ['t', kw({ arches: 'x86_64,aarch64' })],
        h.admin,
        'GenericError',
        'Architecture can be only [a-zA-Z0-9_-]',
      );
      await api.fault(
        'createTag',
        ['t', kw({ perm: 'nope' })],
        h.admin,
        'GenericError',
        "No such permission: 'nope'",
      );
      await api.fault(
        'createTag',
        ['t'],
        bob,
        'ActionNotAllowed',
        'tag permission required (logged in as bob)',
      );
      await api.fault(
        'createTag',
        ['t'],
        undefined,
        'ActionNotAllowed',
        'tag permission required (user not logged in)',
      );
    });

    test('getTag: None, strict, blocked keys; listTags: all, by pattern, by build, queryOpts', async () => {
      await api.fault('getTag', [null], undefined, 'ParameterError', 'Invalid name or id value: None');
      await api.fault(
        'getTag',
        ['nope', kw({ strict: true })],
        undefined,
        'GenericError',
        "No such tagInfo: 'nope'",
      );
      await api.fault(
        'getTag',
        [999, kw({ strict: true })],
        undefined,
        'GenericError',
        'No such tagInfo: 999',
      );
      assert.equal(await api.ok('getTag', ['nope'], undefined), null);
      await api.ok('createTag', ['blocker', kw({ parent: 'base', extra: { b: 2 } })]);
      await api.ok('editTag2', ['blocker', kw({ block_extra: ['a'] })]);
      assert.deepEqual((await api.ok<TagInfo>('getTag', ['blocker'], undefined)).extra, { b: 2 });
      assert.deepEqual(
        (await api.ok<TagInfo>('getTag', ['blocker', kw({ blocked: true })], undefined)).extra,
        {
          b: 2,
          a: null,
        },
      );
      const all = await api.ok<TagInfo[]>('listTags', [], undefined);
      assert.deepEqual(
        all.map((t) => t.name),
        ['base', 'child', 'blocker'],
      );
      for (const t of all) assert.deepEqual(Object.keys(t).sort(), [...TAG_FIELDS].sort());
      assert.deepEqual(
        (await api.ok<TagInfo[]>('listTags', [kw({ pattern: 'b*' })], undefined)).map((t) => t.name),
        ['base', 'blocker'],
      );
      assert.equal(await api.ok('listTags', [kw({ queryOpts: { countOnly: true } })], undefined), 3);
      await api.ok('createEmptyBuild', ['lt', '1', '1', null]);
      await api.ok('tagBuildBypass', ['blocker', 'lt-1-1']);
      assert.deepEqual(
        (await api.ok<TagInfo[]>('listTags', [kw({ build: 'lt-1-1' })], undefined)).map((t) => t.name),
        ['blocker'],
      );
      await api.fault(
        'listTags',
        [kw({ build: 'nope-1-1' })],
        undefined,
        'GenericError',
        "No such build: 'nope-1-1'",
      );
    });

    test('getBuildConfig: arches from the first ancestor, extra merged, blocked keys dropped', async () => {
      const cfg = await api.ok<TagInfo>('getBuildConfig', ['blocker'], undefined);
      assert.equal(cfg.arches, 'x86_64 aarch64');
      assert.deepEqual(cfg.extra, { b: 2 }, 'a is blocked');
      assert.deepEqual((await api.ok<TagInfo>('getBuildConfig', ['child'], undefined)).extra, { a: 1 });
      const full = await api.ok<{ name: string; currdepth: number }[]>(
        'getFullInheritance',
        ['child'],
        undefined,
      );
      assert.deepEqual(
        full.map((e) => [e.name, e.currdepth]),
        [['base', 1]],
      );
      const rev = await api.ok<{ name: string; tag_id: number }[]>(
        'getFullInheritance',
        ['base', kw({ reverse: true })],
        undefined,
      );
      assert.deepEqual(rev.map((e) => e.name).sort(), ['blocker', 'child']);
      // A grandchild inherits base through child: its link is child's, at depth 2.
      await api.ok('createTag', ['grandchild', kw({ parent: 'child' })]);
      const rev2 = await api.ok<{ name: string; tag_id: number; child_id: number; currdepth: number }[]>(
        'getFullInheritance',
        ['base', kw({ reverse: true })],
        undefined,
      );
      const grand = rev2.find((e) => e.name === 'grandchild')!;
      assert.equal(grand.currdepth, 2);
      assert.equal(grand.child_id, (await api.ok<TagInfo>('getTag', ['child'], undefined)).id);
      assert.deepEqual(rev2.map((e) => e.name).sort(), ['blocker', 'child', 'grandchild']);
      assert.deepEqual(
        (
          await api.ok<{ name: string }[]>('getFullInheritance', ['child', kw({ reverse: true })], undefined)
        ).map((e) => e.name),
        ['grandchild'],
      );
      await api.fault('getBuildConfig', ['nope'], undefined, 'GenericError', "No such tagInfo: 'nope'");
    });

    test("editTag2: config, extra set/removed/blocked, rename, parent; Koji's messages", async () => {
      const id = await api.ok<number>('createTag', ['ed', kw({ extra: { k: 1, keep: true } })], tagger);
      await api.ok(
        'editTag2',
        ['ed', kw({ arches: 'ppc64le', locked: true, perm: 'admin', extra: { n: 'x' } })],
        tagger,
      );
      let t = await api.ok<TagInfo>('getTag', [id], undefined);
      assert.equal(t.arches, 'ppc64le');
      assert.equal(t.locked, true);
      assert.equal(t.perm, 'admin');
      assert.deepEqual(t.extra, { k: 1, keep: true, n: 'x' });
      await api.ok(
        'editTag2',
        ['ed', kw({ perm: null, locked: false, remove_extra: ['k'], name: 'ed2' })],
        tagger,
      );
      t = await api.ok<TagInfo>('getTag', [id], undefined);
      assert.equal(t.name, 'ed2');
      assert.equal(t.perm, null);
      assert.deepEqual(t.extra, { keep: true, n: 'x' });
      assert.equal(await api.ok('getTag', ['ed'], undefined), null, 'the old name is free');
      await api.fault(
        'editTag2',
        ['ed2', kw({ extra: { keep: false }, remove_extra: ['keep'] })],
        tagger,
        'GenericError',
        "Can not both add/update and remove tag-extra: 'keep'",
      );
      await api.fault(
        'editTag2',
        ['ed2', kw({ remove_extra: ['k', 'zz'] })],
        tagger,
        'GenericError',
        "Tag: ed2 doesn't have extra: k, zz",
      );
      await api.fault(
        'editTag2',
        ['ed2', kw({ remove_extra: 'keep' })],
        tagger,
        'ParameterError',
        "Invalid type for value 'keep': <class 'str'>, expected type <class 'list'>",
      );
      await api.fault(
        'editTag2',
        ['ed2', kw({ bogus: 1 })],
        tagger,
        'ParameterError',
        "editTag2() got an unexpected keyword argument 'bogus'",
      );
      await api.fault(
        'editTag2',
        ['nope', kw({ locked: true })],
        tagger,
        'GenericError',
        "No such tagInfo: 'nope'",
      );
      await api.fault(
        'editTag2',
        ['ed2', kw({ name: 'base' })],
        tagger,
        'GenericError',
        /^Name base already taken by tag \d+$/,
      );
      await api.fault(
        'editTag2',
        ['ed2', kw({ parent: 'nope' })],
        tagger,
        'GenericError',
        "Parent tag 'nope' could not be found",
      );
      await api.fault(
        'editTag2',
        ['ed2', kw({ locked: true })],
        bob,
        'ActionNotAllowed',
        'tag permission required (logged in as bob)',
      );
      await api.ok('editTag2', ['ed2', kw({ parent: 'base' })], tagger);
      assert.deepEqual(
        (await api.ok<{ name: string }[]>('getInheritanceData', ['ed2'], undefined)).map((l) => l.name),
        ['base'],
      );
      await api.ok('editTag2', ['ed2', kw({ parent: null })], tagger);
      assert.deepEqual(await api.ok('getInheritanceData', ['ed2'], undefined), []);
    });

    test("deleteTag: the tag, its targets and its children's links go; its name reuses its id", async () => {
      const parent = await api.ok<number>('createTag', ['doomed', kw({ arches: 'x86_64' })], tagger);
      await api.ok('createTag', ['orphaned', 'doomed'], tagger);
      await api.ok('createBuildTarget', ['doomed-t', 'doomed', 'base']);
      await api.ok('createBuildTarget', ['doomed-d', 'base', 'doomed']);
      await api.ok('createEmptyBuild', ['dm', '1', '1', null]);
      await api.ok('tagBuildBypass', ['doomed', 'dm-1-1']);
      await api.fault(
        'deleteTag',
        ['doomed'],
        bob,
        'ActionNotAllowed',
        'tag permission required (logged in as bob)',
      );
      await api.ok('deleteTag', ['doomed'], tagger);
      assert.equal(await api.ok('getTag', ['doomed'], undefined), null);
      assert.equal(await api.ok('getBuildTarget', ['doomed-t'], undefined), null);
      assert.equal(await api.ok('getBuildTarget', ['doomed-d'], undefined), null);
      assert.deepEqual(await api.ok('getInheritanceData', ['orphaned'], undefined), []);
      assert.deepEqual(await api.ok('listTags', [kw({ build: 'dm-1-1' })], undefined), []);
      await api.fault('deleteTag', ['doomed'], tagger, 'GenericError', "No such tagInfo: 'doomed'");
      const again = await api.ok<number>('createTag', ['doomed'], tagger);
      assert.equal(again, parent, "a deleted tag's name reuses its old id");
      assert.deepEqual(await api.ok('listTagged', ['doomed'], undefined), [], 'nothing comes back with it');
    });
  });

  describe('build targets', () => {
    test("create, get, list, edit, delete with Koji's shapes and messages", async () => {
      await api.ok('createTag', ['tb', kw({ arches: 'x86_64' })]);
      await api.ok('createTag', ['td']);
      assert.equal(await api.ok('createBuildTarget', ['tgt', 'tb', 'td'], tagger), null);
      const t = await api.ok<TargetInfo>('getBuildTarget', ['tgt'], undefined);
      assert.deepEqual(Object.keys(t).sort(), [...TARGET_FIELDS].sort());
      assert.equal(t.build_tag_name, 'tb');
      assert.equal(t.dest_tag_name, 'td');
      assert.deepEqual(await api.ok('getBuildTarget', [t.id], undefined), t);
      assert.deepEqual(await api.ok('getBuildTargets', ['tgt'], undefined), [t]);
      assert.deepEqual(await api.ok('getBuildTargets', [kw({ buildTagID: 'tb' })], undefined), [t]);
      assert.deepEqual(await api.ok('getBuildTargets', [kw({ destTagID: 'td' })], undefined), [t]);
      assert.deepEqual(await api.ok('getBuildTargets', [kw({ destTagID: 'tb' })], undefined), []);
      await api.fault(
        'createBuildTarget',
        ['tgt', 'tb', 'td'],
        tagger,
        'GenericError',
        "A build target with the name 'tgt' already exists",
      );
      await api.fault(
        'createBuildTarget',
        ['t2', 'x', 'td'],
        tagger,
        'GenericError',
        "build tag 'x' does not exist",
      );
      await api.fault(
        'createBuildTarget',
        ['t2', 'tb', 'y'],
        tagger,
        'GenericError',
        "destination tag 'y' does not exist",
      );
      await api.fault(
        'createBuildTarget',
        ['bad name', 'tb', 'td'],
        tagger,
        'GenericError',
        'Name bad name does not match RegexNameInternal value',
      );
      await api.fault(
        'createBuildTarget',
        ['t2', 'tb', 'td'],
        bob,
        'ActionNotAllowed',
        'target permission required (logged in as bob)',
      );
      await api.fault(
        'getBuildTarget',
        ['nope', kw({ strict: true })],
        undefined,
        'GenericError',
        'No such build target: nope',
      );
      await api.fault(
        'getBuildTarget',
        [null],
        undefined,
        'ParameterError',
        'Invalid name or id value: None',
      );
      assert.equal(await api.ok('getBuildTarget', ['nope'], undefined), null);
      await api.ok('editBuildTarget', ['tgt', 'tgt2', 'tb', 'tb'], tagger);
      const e = await api.ok<TargetInfo>('getBuildTarget', ['tgt2'], undefined);
      assert.equal(e.id, t.id);
      assert.equal(e.dest_tag_name, 'tb');
      assert.equal(await api.ok('getBuildTarget', ['tgt'], undefined), null);
      await api.fault(
        'editBuildTarget',
        ['nope', 'n', 'tb', 'tb'],
        tagger,
        'GenericError',
        'No such build target: nope',
      );
      await api.fault(
        'editBuildTarget',
        ['tgt2', 'tgt2', 'x', 'tb'],
        tagger,
        'GenericError',
        "build tag 'x' does not exist",
      );
      await api.fault(
        'deleteBuildTarget',
        ['tgt2'],
        bob,
        'ActionNotAllowed',
        'target permission required (logged in as bob)',
      );
      await api.ok('deleteBuildTarget', ['tgt2'], tagger);
      assert.equal(await api.ok('getBuildTarget', ['tgt2'], undefined), null);
      await api.fault('deleteBuildTarget', ['tgt2'], tagger, 'GenericError', 'No such build target: tgt2');
      await api.ok('createBuildTarget', ['tgt2', 'tb', 'td'], tagger);
      assert.equal(
        (await api.ok<TargetInfo>('getBuildTarget', ['tgt2'], undefined)).id,
        t.id,
        'the old id again',
      );
    });
  });

  describe('builds and tagging', () => {
    let pkgBuild: number;

    test("createEmptyBuild (admin), getBuild, listBuilds: Koji's build dict", async () => {
      pkgBuild = await api.ok<number>('createEmptyBuild', ['pkg', '1.0', '1', null]);
      await api.ok('createEmptyBuild', ['pkg', '2.0', '1', null]);
      await api.ok('createEmptyBuild', ['other', '1', '1', 3, 'bob']);
      const b = await api.ok<BuildInfo>('getBuild', ['pkg-1.0-1'], undefined);
      for (const f of BUILD_FIELDS) assert.ok(f in b, `getBuild has ${f}`);
      assert.equal(b.id, pkgBuild);
      assert.equal(b.state_name, 'COMPLETE');
      assert.equal(b.owner_name, 'admin');
      assert.deepEqual(await api.ok('getBuild', [pkgBuild], undefined), b);
      assert.deepEqual(
        await api.ok('getBuild', [{ name: 'pkg', version: '1.0', release: '1' }], undefined),
        b,
      );
      assert.equal(await api.ok('getBuild', ['nope-1-1'], undefined), null);
      await api.fault('getBuild', ['nope-1-1', true], undefined, 'GenericError', "No such build: 'nope-1-1'");
      await api.fault(
        'createEmptyBuild',
        ['x', '1', '1', null],
        bob,
        'ActionNotAllowed',
        'admin permission required (logged in as bob)',
      );
      await api.fault(
        'createEmptyBuild',
        ['pkg', '1.0', '1', null],
        h.admin,
        'GenericError',
        /^Build already exists \(id=\d+, state=COMPLETE\): 'pkg-1.0-1'$/,
      );
      const nvrs = async (o: Record<string, unknown>) =>
        (await api.ok<BuildInfo[]>('listBuilds', [kw(o)], undefined)).map((x) => x.nvr);
      assert.deepEqual(await nvrs({ packageID: 'pkg' }), ['pkg-1.0-1', 'pkg-2.0-1']);
      // Koji's packageID is the id; one that names no package lists nothing.
      const pkgId = await api.ok<number>('getPackageID', ['pkg']);
      assert.deepEqual(await nvrs({ packageID: pkgId }), ['pkg-1.0-1', 'pkg-2.0-1']);
      assert.deepEqual(await nvrs({ packageID: 999_999 }), []);
      assert.deepEqual(await nvrs({ userID: 'bob' }), ['other-1-1']);
      assert.deepEqual(await nvrs({ prefix: 'pkg-2' }), ['pkg-2.0-1']);
      assert.deepEqual(await nvrs({ pattern: 'o*-1-1', state: 1 }), ['other-1-1']);
      assert.deepEqual(await nvrs({ pattern: 'o*-1-1', state: 3 }), []);
    });

    test('tagBuild: a task the hub completes at once; PackageTagged carries build, tag and user', async () => {
      await api.ok('createTag', ['dest', kw({ arches: 'x86_64' })]);
      const taskId = await api.ok<number>('tagBuild', ['dest', 'pkg-1.0-1'], tagger);
      const task = await api.ok<{ state: number; method: string; owner: number }>(
        'getTaskInfo',
        [taskId],
        undefined,
      );
      assert.equal(task.method, 'tagBuild');
      assert.equal(task.state, 2, 'CLOSED');
      const ev = (await allEvents(h)).filter((e) => e.type === 'PackageTagged').pop()!;
      const d = ev.data as Record<string, unknown>;
      const tagId = (await api.ok<TagInfo>('getTag', ['dest'], undefined)).id;
      assert.deepEqual(d.build, { id: pkgBuild, nvr: 'pkg-1.0-1' });
      assert.deepEqual(d.tag, { id: tagId, name: 'dest' });
      assert.deepEqual((d.user as { name: string }).name, 'tagger');
      const listed = await api.ok<Tagged[]>('listTagged', ['dest'], undefined);
      assert.deepEqual(
        listed.map((b) => [b.nvr, b.tag_name]),
        [['pkg-1.0-1', 'dest']],
      );
      for (const f of [...BUILD_FIELDS, 'tag_id', 'tag_name'])
        assert.ok(f in listed[0], `listTagged has ${f}`);
    });

    test("tagBuild: Koji's refusals", async () => {
      await api.fault(
        'tagBuild',
        ['dest', 'pkg-1.0-1'],
        tagger,
        'TagError',
        'build pkg-1.0-1 already tagged (dest)',
      );
      await api.fault('tagBuild', ['nope', 'pkg-1.0-1'], tagger, 'GenericError', "No such tagInfo: 'nope'");
      await api.fault('tagBuild', ['dest', 'nope-1-1'], tagger, 'GenericError', "No such build: 'nope-1-1'");
      await api.fault(
        'tagBuild',
        ['dest', 'pkg-2.0-1'],
        undefined,
        'ActionNotAllowed',
        'you must be logged in for this operation',
      );
      await api.ok('createTag', ['locked-t', kw({ locked: true })]);
      await api.fault(
        'tagBuild',
        ['locked-t', 'pkg-2.0-1'],
        tagger,
        'ActionNotAllowed',
        'tag locked-t is locked',
      );
      await api.fault(
        'tagBuild',
        ['locked-t', 'pkg-2.0-1', true],
        tagger,
        'ActionNotAllowed',
        'tag locked-t is locked',
      );
      await api.ok('tagBuild', ['locked-t', 'pkg-2.0-1', true], h.admin); // admin with force overrides
      await api.ok('createTag', ['perm-t', kw({ perm: 'admin' })]);
      await api.fault(
        'tagBuild',
        ['perm-t', 'pkg-2.0-1'],
        tagger,
        'ActionNotAllowed',
        'tag perm-t requires admin permission',
      );
      await api.fault(
        'untagBuild',
        ['locked-t', 'pkg-2.0-1'],
        tagger,
        'ActionNotAllowed',
        'tag locked-t is locked',
      );
    });

    test('a move (fromtag): the untag and the tag in one append', async () => {
      await api.ok('createTag', ['moved-to']);
      const before = await head(h);
      await api.ok('tagBuild', ['moved-to', 'pkg-1.0-1', false, 'dest'], tagger);
      const evs = (await allEvents(h)).filter((e) => e.position > before);
      const untag = evs.find((e) => e.type === 'PackageUntagged')!;
      const tag = evs.find((e) => e.type === 'PackageTagged')!;
      assert.equal(untag.metadata.requestId, tag.metadata.requestId, 'one command');
      const req = evs.filter((e) => e.metadata.requestId === tag.metadata.requestId).map((e) => e.position);
      assert.deepEqual(
        req,
        Array.from({ length: req.length }, (_, i) => req[0] + i),
        'one contiguous append',
      );
      assert.deepEqual((untag.data as { movedTo: unknown }).movedTo, (tag.data as { tag: unknown }).tag);
      assert.deepEqual(await api.ok('listTagged', ['dest'], undefined), []);
      assert.equal((await api.ok<Tagged[]>('listTagged', ['moved-to'], undefined))[0].nvr, 'pkg-1.0-1');
      await api.fault(
        'tagBuild',
        ['dest', 'pkg-1.0-1', false, 'dest'],
        tagger,
        'TagError',
        'build pkg-1.0-1 not in tag dest',
      );
    });

    test('untagBuild: direct; strict by default; not strict, nothing happens', async () => {
      await api.ok('tagBuild', ['dest', 'pkg-2.0-1'], tagger);
      assert.equal(await api.ok('untagBuild', ['dest', 'pkg-2.0-1'], tagger), null);
      assert.deepEqual(await api.ok('listTagged', ['dest'], undefined), []);
      await api.fault(
        'untagBuild',
        ['dest', 'pkg-2.0-1'],
        tagger,
        'TagError',
        'build pkg-2.0-1 not in tag dest',
      );
      const before = await head(h);
      await api.ok('untagBuild', ['dest', 'pkg-2.0-1', false], tagger);
      assert.equal(await head(h), before, 'nothing appended');
      await api.fault(
        'untagBuild',
        ['dest', 'pkg-2.0-1'],
        undefined,
        'ActionNotAllowed',
        'you must be logged in for this operation',
      );
    });

    test('tagBuildBypass and untagBuildBypass: admin only, no task', async () => {
      await api.fault(
        'tagBuildBypass',
        ['dest', 'pkg-2.0-1'],
        tagger,
        'ActionNotAllowed',
        'admin permission required (logged in as tagger)',
      );
      assert.equal(await api.ok('tagBuildBypass', ['locked-t', 'other-1-1']), null, 'no access check');
      await api.fault(
        'tagBuildBypass',
        ['locked-t', 'other-1-1'],
        h.admin,
        'TagError',
        'build other-1-1 already tagged (locked-t)',
      );
      await api.fault(
        'untagBuildBypass',
        ['locked-t', 'other-1-1'],
        tagger,
        'ActionNotAllowed',
        'admin permission required (logged in as tagger)',
      );
      assert.equal(await api.ok('untagBuildBypass', ['locked-t', 'other-1-1']), null);
      await api.fault(
        'untagBuildBypass',
        ['locked-t', 'other-1-1'],
        h.admin,
        'TagError',
        'build other-1-1 not in tag locked-t',
      );
      await api.ok('untagBuildBypass', ['locked-t', 'other-1-1', false]);
    });

    test('listTagged: inherit (nearest wins), latest, package, prefix, owner; a missing tag', async () => {
      await api.ok('createTag', ['lt-parent']);
      await api.ok('createTag', ['lt-child', 'lt-parent']);
      await api.ok('tagBuildBypass', ['lt-parent', 'pkg-1.0-1']);
      await api.ok('tagBuildBypass', ['lt-parent', 'other-1-1']);
      await api.ok('tagBuildBypass', ['lt-child', 'pkg-2.0-1']);
      const rows = async (tag: string, o: Record<string, unknown> = {}) =>
        (await api.ok<Tagged[]>('listTagged', [tag, kw(o)], undefined))
          .map((b) => `${b.nvr}@${b.tag_name}`)
          .sort();
      assert.deepEqual(await rows('lt-child'), ['pkg-2.0-1@lt-child']);
      assert.deepEqual(await rows('lt-child', { inherit: true }), [
        'other-1-1@lt-parent',
        'pkg-2.0-1@lt-child',
      ]);
      assert.deepEqual(await rows('lt-parent', { latest: true, package: 'pkg' }), ['pkg-1.0-1@lt-parent']);
      assert.deepEqual(await rows('lt-parent', { prefix: 'oth' }), ['other-1-1@lt-parent']);
      assert.deepEqual(await rows('lt-parent', { owner: 'bob' }), ['other-1-1@lt-parent']);
      await api.fault('listTagged', ['nope'], undefined, 'GenericError', "No such tagInfo: 'nope'");
      assert.deepEqual(await api.ok('listTagged', ['nope', kw({ strict: false })], undefined), []);
    });
  });

  describe('the post-untag port', () => {
    test("a hook's events land in the untag's own atomic append; no untag, no hook", async () => {
      const seen: string[] = [];
      h.hub.app.get(PostUntagHooks).register('e2e-test', async (uow, facts) => {
        seen.push(facts.build.nvr);
        await uow.read(`hook-${facts.tagAfter.id}`);
        uow.emit(
          `hook-${facts.tagAfter.id}`,
          [
            {
              type: 'TestHookRan',
              data: { build: facts.build, left: Object.keys(facts.tagAfter.builds).length },
            },
          ],
          { causationId: facts.untagEventId },
        );
      });
      await api.ok('createTag', ['hooked']);
      await api.ok('tagBuildBypass', ['hooked', 'pkg-1.0-1']);
      await api.ok('tagBuildBypass', ['hooked', 'pkg-2.0-1']);
      const before = await head(h);
      await api.ok('untagBuild', ['hooked', 'pkg-1.0-1'], tagger);
      const evs = (await allEvents(h)).filter((e) => e.position > before);
      const untag = evs.find((e) => e.type === 'PackageUntagged')!;
      const hook = evs.find((e) => e.type === 'TestHookRan')!;
      assert.ok(untag && hook, evs.map((e) => e.type).join(', '));
      assert.equal(hook.position, untag.position + 1, 'the next position of the same append');
      assert.equal(hook.metadata.requestId, untag.metadata.requestId);
      assert.equal(hook.metadata.causationId, untag.eventId);
      const pkg = await api.ok<BuildInfo>('getBuild', ['pkg-1.0-1'], undefined);
      assert.deepEqual(hook.data, { build: { id: pkg.id, nvr: 'pkg-1.0-1' }, left: 1 });
      assert.deepEqual(seen, ['pkg-1.0-1']);
      // an untag of a build that is not in the tag runs no hook and appends nothing
      const mark = await head(h);
      await api.ok('untagBuild', ['hooked', 'pkg-1.0-1', false], tagger);
      assert.equal(await head(h), mark);
      assert.deepEqual(seen, ['pkg-1.0-1']);
      // a move out of the tag is an untag too
      await api.ok('createTag', ['hook-dest']);
      await api.ok('tagBuild', ['hook-dest', 'pkg-2.0-1', false, 'hooked'], tagger);
      assert.deepEqual(seen, ['pkg-1.0-1', 'pkg-2.0-1']);
      // deleting a tag untags silently, without hooks (as Koji's _delete_tag)
      await api.ok('tagBuildBypass', ['hooked', 'other-1-1']);
      await api.ok('deleteTag', ['hooked']);
      assert.deepEqual(seen, ['pkg-1.0-1', 'pkg-2.0-1']);
    });
  });

  describe('repos', () => {
    const pass = () => h.hub.app.get(RepoManager).pass();

    test('newRepo: a CLOSED task with [repo_id, event_id]; the repo READY, older ones EXPIRED', async () => {
      await api.ok('createTag', ['r', kw({ arches: 'x86_64' })]);
      await api.ok('tagBuildBypass', ['r', 'pkg-1.0-1']);
      await api.fault(
        'newRepo',
        ['r'],
        bob,
        'ActionNotAllowed',
        'repo permission required (logged in as bob)',
      );
      const t1 = await api.ok<number>('newRepo', ['r'], tagger);
      const task = await api.ok<{ state: number; method: string }>('getTaskInfo', [t1], undefined);
      assert.equal(task.method, 'newRepo');
      assert.equal(task.state, 2);
      const [repoId, event] = await api.ok<[number, number]>('getTaskResult', [t1], undefined);
      const repo = await api.ok<RepoInfo & { state_name: string }>('repoInfo', [repoId], undefined);
      for (const f of REPO_FIELDS) assert.ok(f in repo, `repoInfo has ${f}`);
      assert.equal(repo.state, 1);
      assert.equal(repo.state_name, 'READY');
      assert.equal(repo.create_event, event);
      assert.equal(repo.task_id, t1);
      assert.deepEqual(
        repo.builds!.map((b) => b.nvr),
        ['pkg-1.0-1'],
      );
      assert.deepEqual(repo.opts, { src: false, debuginfo: false, separate_src: false });
      assert.equal((await api.ok<RepoInfo>('getRepo', ['r'], undefined)).id, repoId);
      const t2 = await api.ok<number>('newRepo', ['r', kw({ debuginfo: true })], tagger);
      const [repo2] = await api.ok<[number, number]>('getTaskResult', [t2], undefined);
      assert.equal((await api.ok<RepoInfo>('repoInfo', [repoId], undefined)).state, 2, 'EXPIRED');
      const r2 = await api.ok<RepoInfo>('repoInfo', [repo2], undefined);
      assert.equal(r2.state, 1);
      assert.equal(r2.opts.debuginfo, true);
      assert.equal((await api.ok<RepoInfo>('getRepo', ['r'], undefined)).id, repo2);
      assert.equal(await api.ok('repoInfo', [999], undefined), null);
      await api.fault('repoInfo', [999, true], undefined, 'GenericError', 'No such repo: 999');
      await api.fault('newRepo', ['nope'], tagger, 'GenericError', "No such tagInfo: 'nope'");
    });

    test("with_debuginfo in the tag's extra shows as debuginfo: true in the repo's opts", async () => {
      await api.ok('createTag', ['dbg', kw({ extra: { with_debuginfo: true } })]);
      const t = await api.ok<number>('newRepo', ['dbg'], tagger);
      const [id] = await api.ok<[number, number]>('getTaskResult', [t], undefined);
      assert.deepEqual((await api.ok<RepoInfo>('repoInfo', [id], undefined)).opts, {
        src: false,
        debuginfo: true,
        separate_src: false,
      });
    });

    test("tagLastChangeEvent moves with tagging and with a parent's change", async () => {
      await api.ok('createTag', ['lc-parent']);
      await api.ok('createTag', ['lc-child', 'lc-parent']);
      const e0 = await api.ok<number>('tagLastChangeEvent', ['lc-child'], undefined);
      await api.ok('tagBuildBypass', ['lc-child', 'pkg-1.0-1']);
      const e1 = await api.ok<number>('tagLastChangeEvent', ['lc-child'], undefined);
      assert.ok(e1 > e0);
      await api.ok('editTag2', ['lc-parent', kw({ extra: { x: 1 } })]);
      const e2 = await api.ok<number>('tagLastChangeEvent', ['lc-child'], undefined);
      assert.ok(e2 > e1, "a parent's change counts");
      assert.equal(
        await api.ok('tagLastChangeEvent', ['lc-child', null, false], undefined),
        e1,
        'not without inherit',
      );
      await api.fault('tagLastChangeEvent', ['nope'], undefined, 'GenericError', "No such tagInfo: 'nope'");
    });

    test("repo.get, repo.request and repo.checkRequest as Koji 1.35, answered by the repo manager's pass", async () => {
      await api.ok('createTag', ['rq', kw({ arches: 'x86_64' })]);
      const rq = (await api.ok<TagInfo>('getTag', ['rq'], undefined)).id;
      assert.equal(await api.ok('repo.get', ['rq'], undefined), null);
      await api.fault(
        'repo.request',
        ['rq'],
        undefined,
        'ActionNotAllowed',
        'you must be logged in for this operation',
      );
      const first = await api.ok<Check>('repo.request', ['rq'], bob);
      assert.equal(first.repo, null);
      assert.equal(first.duplicate, false);
      const req = first.request!;
      assert.equal(req.tag_id, rq);
      assert.equal(req.active, true);
      assert.equal(req.min_event, await api.ok<number>('tagLastChangeEvent', ['rq'], undefined));
      const dup = await api.ok<Check>('repo.request', ['rq'], bob);
      assert.equal(dup.duplicate, true);
      assert.equal(dup.request!.id, req.id);
      assert.deepEqual(await api.ok<Check>('repo.checkRequest', [req.id], undefined), {
        repo: null,
        request: req,
      });
      await pass();
      const done = await api.ok<Check>('repo.checkRequest', [req.id], undefined);
      assert.ok(done.repo, 'the pass made a repo');
      assert.equal(done.request!.active, false);
      assert.equal(done.request!.repo_id, done.repo.id);
      assert.equal(done.repo.state, 1);
      const got = await api.ok<RepoInfo>('repo.get', ['rq', kw({ min_event: req.min_event })], undefined);
      assert.equal(got.id, done.repo.id);
      assert.equal(
        await api.ok('repo.get', ['rq', kw({ min_event: done.repo.create_event + 1000 })], undefined),
        null,
      );
      // a READY repo new enough answers at once, without a request
      assert.deepEqual(await api.ok<Check>('repo.request', ['rq'], bob), {
        repo: got,
        request: null,
        duplicate: false,
      });
      // the tag changes: a new request, answered by the next pass
      await api.ok('tagBuildBypass', ['rq', 'pkg-1.0-1']);
      const second = await api.ok<Check>('repo.request', ['rq'], bob);
      assert.equal(second.repo, null);
      await pass();
      const after2 = await api.ok<Check>('repo.checkRequest', [second.request!.id], undefined);
      assert.deepEqual(
        (await api.ok<RepoInfo>('repoInfo', [after2.repo!.id], undefined)).builds!.map((b) => b.nvr),
        ['pkg-1.0-1'],
      );
      assert.equal(
        (await api.ok<RepoInfo>('repoInfo', [done.repo.id], undefined)).state,
        2,
        'the older one EXPIRED',
      );
      await api.fault('repo.checkRequest', [999], undefined, 'GenericError', 'No such repo request: 999');
      await api.fault('repo.get', ['nope'], undefined, 'GenericError', "No such tagInfo: 'nope'");
    });

    test('repo.auto: tags regenerate when their content changes, and only then', async () => {
      await api.ok('createTag', ['auto', kw({ extra: { 'repo.auto': true } })]);
      await pass();
      const r1 = await api.ok<RepoInfo>('getRepo', ['auto'], undefined);
      assert.ok(r1, 'a first repo');
      await pass();
      assert.equal(
        (await api.ok<RepoInfo>('getRepo', ['auto'], undefined)).id,
        r1.id,
        'no change, no new repo',
      );
      await api.ok('tagBuildBypass', ['auto', 'other-1-1']);
      await pass();
      const r2 = await api.ok<RepoInfo>('getRepo', ['auto'], undefined);
      assert.notEqual(r2.id, r1.id);
      assert.ok(r2.create_event >= (await api.ok<number>('tagLastChangeEvent', ['auto'], undefined)));
    });
  });

  test('every method of tagsContract was exercised', () => {
    const missing = tagsContract.map((m) => m.name).filter((n) => !exercised.has(n));
    assert.deepEqual(missing, []);
  });
});

describe('the tag policy', () => {
  let h: TestHub;
  let api: Api;
  let carol: Creds;
  const tmp = tempDir('koji-es-tags-policy-');

  before(async () => {
    const dir = join(tmp.dir, 'config');
    cpSync(join(REPO_ROOT, 'config'), dir, { recursive: true });
    const conf = join(dir, 'hub', 'hub.conf');
    // This test's tag policy in place of the shipped one.
    const shipped = readFileSync(conf, 'utf8').replace(/^tag =\n(?:[ \t]+.*\n)+/m, '');
    writeFileSync(conf, `${shipped}tag =\n    operation untag :: deny no untagging here\n    all :: allow\n`);
    h = await startTestHub({ configDir: dir, tweak: (c) => (c.hub.repoManager = false) });
    api = new Api(h);
    carol = await user(h, 'carol');
    await api.ok('createTag', ['pt']);
    await api.ok('createEmptyBuild', ['pol', '1', '1', null]);
  });
  after(async () => {
    await h?.close();
    tmp.cleanup();
  });

  test("an allowed tag records the policy's verdict and trail with the event", async () => {
    await api.ok('tagBuild', ['pt', 'pol-1-1'], carol);
    const ev = (await allEvents(h)).filter((e) => e.type === 'PackageTagged').pop()!;
    const policy = ev.metadata.policy as { name: string; result: string; trail: unknown[] };
    assert.equal(policy.name, 'tag');
    assert.equal(policy.result, 'allow');
    assert.ok(Array.isArray(policy.trail) && policy.trail.length > 0, JSON.stringify(policy));
  });

  test('a denied untag: Koji\'s "policy violation (tag): …", and nothing appended', async () => {
    const before = await head(h);
    await api.fault(
      'untagBuild',
      ['pt', 'pol-1-1'],
      carol,
      'ActionNotAllowed',
      'policy violation (tag): no untagging here',
    );
    assert.equal(await head(h), before);
    assert.equal((await api.ok<Tagged[]>('listTagged', ['pt'], undefined)).length, 1);
    // admin with force overrides the policy (Koji's check_policy force)
    await api.ok('untagBuild', ['pt', 'pol-1-1', true, true], h.admin);
    const ev = (await allEvents(h)).filter((e) => e.type === 'PackageUntagged').pop()!;
    assert.equal((ev.metadata.policy as { forced: boolean }).forced, true);
  });
});

describe("the shipped tag policy: a sidetag is its owner's (spec §7 T5)", () => {
  let h: TestHub;
  let api: Api;
  let alice: Creds;
  let bob: Creds;
  let mine: string;
  let bobs: string;
  const fault = (who: Creds, params: unknown[], method: string, reason: string) =>
    api.fault(method, params, who, 'ActionNotAllowed', `policy violation (tag): ${reason}`);
  const INTO = 'only the owner of a sidetag may tag builds into it';
  const FROM = 'only the owner of a sidetag may untag builds from it';

  before(async () => {
    h = await startTestHub({ tweak: (c) => (c.hub.repoManager = false) });
    api = new Api(h);
    alice = await user(h, 'alice');
    bob = await user(h, 'bob');
    await api.ok('createTag', ['f40-build', null, 'x86_64']);
    await api.ok('createTag', ['plain']);
    mine = (await api.ok<{ name: string }>('createSideTag', ['f40-build'], alice)).name;
    bobs = (await api.ok<{ name: string }>('createSideTag', ['f40-build'], bob)).name;
    for (const n of [1, 2, 3, 4]) await api.ok('createEmptyBuild', ['own', String(n), '1', null]);
    for (const n of [1, 2, 3]) await api.ok('tagBuildBypass', [mine, `own-${n}-1`]);
  });
  after(async () => {
    await h?.close();
  });

  test('another user may not tag into, untag from or move out of a sidetag; nothing is appended', async () => {
    const before = await head(h);
    await fault(bob, [mine, 'own-4-1'], 'tagBuild', INTO);
    await fault(bob, [mine, 'own-1-1'], 'untagBuild', FROM);
    await fault(bob, [bobs, 'own-1-1', false, mine], 'tagBuild', FROM);
    // an owner moving into someone else's sidetag is tagging into it
    await fault(alice, [bobs, 'own-1-1', false, mine], 'tagBuild', INTO);
    assert.equal(await head(h), before);
    assert.equal((await api.ok<Tagged[]>('listTagged', [mine], undefined)).length, 3);
  });

  test('a co-owner the owner adds may tag into and untag from the sidetag, and nothing more; removed, not even that', async () => {
    const carol = await user(h, 'carol');
    await api.ok('createEmptyBuild', ['co', '1', '1', null]);
    await fault(carol, [mine, 'co-1-1'], 'tagBuild', INTO);
    await api.fault('addSideTagOwner', [mine, 'carol'], bob, 'ActionNotAllowed', 'This is not your sidetag');
    assert.equal(await api.ok('addSideTagOwner', [mine, 'carol'], alice), null);
    assert.equal(await api.ok('addSideTagOwner', [mine, 'carol'], alice), null, 'twice changes nothing');
    const extra = (await api.ok<{ extra: Record<string, unknown> }>('getTag', [mine])).extra;
    const carolId = (await api.ok<{ id: number }>('getUser', ['carol'])).id;
    assert.deepEqual(extra.sidetag_co_owners, [carolId]);
    assert.equal(typeof (await api.ok<number>('tagBuild', [mine, 'co-1-1'], carol)), 'number');
    assert.equal(await api.ok('untagBuild', [mine, 'co-1-1'], carol), null);
    // a co-owner does not manage the sidetag
    await api.fault('addSideTagOwner', [mine, 'bob'], carol, 'ActionNotAllowed', 'This is not your sidetag');
    await api.fault('removeSideTag', [mine], carol, 'ActionNotAllowed', 'This is not your sidetag');
    await api.fault(
      'addSideTagOwner',
      [mine, 'alice'],
      alice,
      'GenericError',
      `alice owns ${mine}: a co-owner is somebody else`,
    );
    assert.equal(await api.ok('removeSideTagOwner', [mine, 'carol'], alice), null);
    assert.equal(
      (await api.ok<{ extra: Record<string, unknown> }>('getTag', [mine])).extra.sidetag_co_owners,
      undefined,
    );
    await fault(carol, [mine, 'co-1-1'], 'tagBuild', INTO);
    const events = (await allEvents(h)).filter((e) => e.type.startsWith('SideTagCoOwner')).map((e) => e.type);
    assert.deepEqual(events, ['SideTagCoOwnerAdded', 'SideTagCoOwnerRemoved']);
  });

  test('the owner tags, untags and moves; admins may too; other tags are not affected', async () => {
    assert.equal(typeof (await api.ok<number>('tagBuild', [mine, 'own-4-1'], alice)), 'number');
    assert.equal(await api.ok('untagBuild', [mine, 'own-1-1'], alice), null);
    assert.equal(
      typeof (await api.ok<number>('tagBuild', ['plain', 'own-2-1', false, mine], alice)),
      'number',
    );
    assert.equal(await api.ok('untagBuild', [mine, 'own-3-1'], h.admin), null);
    assert.equal(typeof (await api.ok<number>('tagBuild', ['plain', 'own-4-1'], bob)), 'number');
    const verdict = await api.ok<{ allowed: boolean; trail: { rule: string }[] }>(
      'checkPolicy',
      ['tag', { tag: null, fromtag: mine, build: 'own-1-1', operation: 'untag', user_id: 'bob' }],
      h.admin,
    );
    assert.equal(verdict.allowed, false);
    assert.deepEqual(
      verdict.trail.map((s) => s.rule),
      ['is_sidetag fromtag :: {', `is_sidetag_owner fromtag !! deny ${FROM}`],
    );
  });
});
