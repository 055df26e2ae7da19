// The tags projection: Koji's tag, tag_listing, build_target, build, repo and repo_queue rows as the
// queries return them, folded from the module's events.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { project, recorded } from '../../kernel/given-when-then.js';
import type { DomainEvent } from '../../kernel/decider.js';
import { parentLink } from './tag.decider.js';
import { REPO_STATES } from './tags.events.js';
import {
  BUILDS,
  REPO_REQUESTS,
  REPOS,
  TAGGED,
  TAGS,
  TARGETS,
  tagsProjection,
  type BuildDoc,
  type RepoDoc,
  type RepoRequestDoc,
  type TagDoc,
  type TaggedDoc,
  type TargetDoc,
} from './tags.projection.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.250Z';
const alice = { id: 7, name: 'alice' };
const base = { id: 1, name: 'base' };
const side = { id: 2, name: 'side' };
const foo = { id: 11, nvr: 'foo-1-1' };

const tagCreated = (
  t: { id: number; name: string },
  extra: Record<string, unknown> = {},
  parent?: typeof base,
) => ({
  type: 'TagCreated',
  data: {
    ...t,
    arches: 'x86_64',
    locked: false,
    perm: null,
    mavenSupport: false,
    mavenIncludeAll: false,
    extra,
    inheritance: parent ? [parentLink(parent)] : [],
  },
});

describe('tags projection', () => {
  test("a tag: Koji's get_tag fields, its inheritance and the event of its last change", async () => {
    const evs = recorded('tag-1', [tagCreated(base, { a: 1 })]);
    const rm = await project(tagsProjection, evs);
    assert.deepEqual(await rm.get<TagDoc>(TAGS, '1'), {
      id: 1,
      name: 'base',
      arches: 'x86_64',
      locked: false,
      perm_id: null,
      perm: null,
      maven_support: false,
      maven_include_all: false,
      extra: { a: 1 },
      inheritance: [],
      last_event: evs[0].position,
      sidetag_user_id: null,
      repo_auto: false,
    });
  });

  test('repo.auto in the own extra marks the tag for the repo manager, set and removed by edits', async () => {
    const evs = recorded('tag-1', [
      tagCreated(base, { 'repo.auto': true }),
      { type: 'TagEdited', data: { ...base, changes: {}, extraSet: {}, extraRemoved: ['repo.auto'] } },
      { type: 'TagEdited', data: { ...base, changes: {}, extraSet: { 'repo.auto': 1 }, extraRemoved: [] } },
    ]);
    const seen: boolean[] = [];
    for (let n = 1; n <= evs.length; n++)
      seen.push((await (await project(tagsProjection, evs.slice(0, n))).get<TagDoc>(TAGS, '1'))!.repo_auto);
    assert.deepEqual(seen, [true, false, true]);
    const rm = await project(tagsProjection, evs);
    assert.deepEqual(
      (await rm.find<TagDoc>(TAGS, { where: { repo_auto: true } })).map((t) => t.id),
      [1],
    );
  });

  test('edits: name, permission, lock, extra set/blocked/removed; a sidetag owner from the extra', async () => {
    const evs = recorded('tag-2', [
      tagCreated(side, { a: 1, b: 2 }, base),
      {
        type: 'TagEdited',
        data: {
          ...side,
          changes: { name: 'side2', perm: { id: 3, name: 'build' }, locked: true, arches: null },
          extraSet: { c: 3, b: null, sidetag: true, sidetag_user_id: '7' },
          extraRemoved: ['a'],
        },
      },
    ]);
    const t = (await (await project(tagsProjection, evs)).get<TagDoc>(TAGS, '2'))!;
    assert.equal(t.name, 'side2');
    assert.equal(t.perm_id, 3);
    assert.equal(t.perm, 'build');
    assert.equal(t.locked, true);
    assert.equal(t.arches, null);
    assert.deepEqual(t.extra, { b: null, c: 3, sidetag: true, sidetag_user_id: '7' });
    assert.equal(t.sidetag_user_id, 7);
    assert.equal(t.last_event, evs[1].position);
    assert.deepEqual(t.inheritance, [parentLink(base)]);
  });

  test('inheritance changes move the last change', async () => {
    const evs = recorded('tag-2', [
      tagCreated(side, {}, base),
      { type: 'TagInheritanceChanged', data: { ...side, inheritance: [] } },
    ]);
    const t = (await (await project(tagsProjection, evs)).get<TagDoc>(TAGS, '2'))!;
    assert.deepEqual(t.inheritance, []);
    assert.equal(t.last_event, evs[1].position);
  });

  test('tagging: a tag_listing row (who, when, the event); untagging removes it; both touch the tag', async () => {
    const tagged = recorded('tag-1', [
      tagCreated(base),
      {
        type: 'PackageTagged',
        data: { tag: base, build: foo, user: alice, force: false, fromtag: null, time: T1 },
      },
    ]);
    let rm = await project(tagsProjection, tagged);
    assert.deepEqual(await rm.get<TaggedDoc>(TAGGED, '1:11'), {
      tag_id: 1,
      tag_name: 'base',
      build_id: 11,
      nvr: 'foo-1-1',
      create_event: tagged[1].position,
      create_ts: Date.parse(T1) / 1000,
      tagged_by: 'alice',
    });
    assert.equal((await rm.get<TagDoc>(TAGS, '1'))!.last_event, tagged[1].position);
    const untagged = recorded('tag-1', [
      {
        type: 'PackageUntagged',
        data: { tag: base, build: foo, user: alice, force: false, strict: true, time: T1 },
      },
    ]);
    rm = await project(tagsProjection, [...tagged, ...untagged]);
    assert.equal(await rm.get(TAGGED, '1:11'), null);
    assert.equal((await rm.get<TagDoc>(TAGS, '1'))!.last_event, untagged[0].position);
  });

  test('a deleted tag disappears with its listing', async () => {
    const rm = await project(
      tagsProjection,
      recorded('tag-1', [
        tagCreated(base),
        {
          type: 'PackageTagged',
          data: { tag: base, build: foo, user: null, force: false, fromtag: null, time: T1 },
        },
        { type: 'TagDeleted', data: { ...base, untagged: [foo] } },
      ]),
    );
    assert.equal(await rm.get(TAGS, '1'), null);
    assert.deepEqual(await rm.find(TAGGED), []);
  });

  test("build targets: Koji's get_build_target row; edits and deletion", async () => {
    const created = recorded('target-4', [
      { type: 'BuildTargetCreated', data: { id: 4, name: 't', buildTag: base, destTag: side } },
    ]);
    let rm = await project(tagsProjection, created);
    assert.deepEqual(await rm.get<TargetDoc>(TARGETS, '4'), {
      id: 4,
      name: 't',
      build_tag: 1,
      build_tag_name: 'base',
      dest_tag: 2,
      dest_tag_name: 'side',
    });
    const edited = recorded('target-4', [
      { type: 'BuildTargetEdited', data: { id: 4, name: 't', changes: { name: 't2', destTag: base } } },
    ]);
    rm = await project(tagsProjection, [...created, ...edited]);
    assert.deepEqual(await rm.get<TargetDoc>(TARGETS, '4'), {
      id: 4,
      name: 't2',
      build_tag: 1,
      build_tag_name: 'base',
      dest_tag: 1,
      dest_tag_name: 'base',
    });
    rm = await project(tagsProjection, [
      ...created,
      ...recorded('target-4', [{ type: 'BuildTargetDeleted', data: { id: 4, name: 't' } }]),
    ]);
    assert.equal(await rm.get(TARGETS, '4'), null);
  });

  test("a build: Koji's build dict fields", async () => {
    const evs = recorded('build-11', [
      {
        type: 'BuildCreated',
        data: {
          id: 11,
          packageName: 'foo',
          version: '1',
          release: '1',
          epoch: null,
          nvr: 'foo-1-1',
          owner: alice,
          state: 1,
          taskId: null,
          time: T0,
        },
      },
    ]);
    const b = await (await project(tagsProjection, evs)).get<BuildDoc>(BUILDS, '11');
    assert.deepEqual(b, {
      build_id: 11,
      id: 11,
      package_name: 'foo',
      name: 'foo',
      version: '1',
      release: '1',
      epoch: null,
      nvr: 'foo-1-1',
      state: 1,
      owner_id: 7,
      owner_name: 'alice',
      task_id: null,
      creation_event_id: evs[0].position,
      creation_time: '2026-01-01 00:00:00.000000+00:00',
      creation_ts: Date.parse(T0) / 1000,
      completion_time: '2026-01-01 00:00:00.000000+00:00',
      completion_ts: Date.parse(T0) / 1000,
    });
  });

  test('a repo: INIT when created, then its states; its content and options kept', async () => {
    const created: DomainEvent = {
      type: 'RepoCreated',
      data: {
        id: 3,
        tag: base,
        createEvent: 42,
        taskId: 9,
        opts: { src: false, debuginfo: true, separate_src: false },
        builds: [{ ...foo, tag_id: 1 }],
        time: T0,
      },
    };
    let rm = await project(tagsProjection, recorded('repo-3', [created]));
    assert.deepEqual(await rm.get<RepoDoc>(REPOS, '3'), {
      id: 3,
      tag_id: 1,
      tag_name: 'base',
      create_event: 42,
      creation_time: '2026-01-01 00:00:00.000000+00:00',
      create_ts: Date.parse(T0) / 1000,
      state: REPO_STATES.INIT,
      dist: false,
      task_id: 9,
      opts: { src: false, debuginfo: true, separate_src: false },
      custom_opts: null,
      builds: [{ id: 11, nvr: 'foo-1-1', tag_id: 1 }],
    });
    rm = await project(
      tagsProjection,
      recorded('repo-3', [
        created,
        { type: 'RepoStateChanged', data: { id: 3, tagId: 1, state: REPO_STATES.READY, time: T0 } },
        { type: 'RepoStateChanged', data: { id: 3, tagId: 1, state: REPO_STATES.EXPIRED, time: T1 } },
      ]),
    );
    assert.equal((await rm.get<RepoDoc>(REPOS, '3'))!.state, REPO_STATES.EXPIRED);
  });

  test("repo requests: Koji 1.35's repo_queue row, active until a repo answers it", async () => {
    const requested: DomainEvent = {
      type: 'RepoRequested',
      data: {
        id: 5,
        tag: base,
        minEvent: 40,
        atEvent: null,
        opts: null,
        priority: 0,
        owner: alice,
        time: T0,
      },
    };
    let rm = await project(tagsProjection, recorded('repoqueue-5', [requested]));
    assert.deepEqual(await rm.get<RepoRequestDoc>(REPO_REQUESTS, '5'), {
      id: 5,
      tag_id: 1,
      tag_name: 'base',
      min_event: 40,
      at_event: null,
      opts: null,
      priority: 0,
      owner: 7,
      owner_name: 'alice',
      create_time: '2026-01-01 00:00:00.000000+00:00',
      create_ts: Date.parse(T0) / 1000,
      active: true,
      repo_id: null,
      task_id: null,
      tries: 0,
    });
    rm = await project(
      tagsProjection,
      recorded('repoqueue-5', [
        requested,
        { type: 'RepoRequestFulfilled', data: { id: 5, repoId: 3, taskId: 9 } },
      ]),
    );
    const r = (await rm.get<RepoRequestDoc>(REPO_REQUESTS, '5'))!;
    assert.equal(r.active, false);
    assert.equal(r.repo_id, 3);
    assert.equal(r.task_id, 9);
    assert.equal(r.tries, 1);
  });
});
