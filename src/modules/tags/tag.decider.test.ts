// given/when/then for every rule of the tag decider (Koji's _create_tag, _edit_tag, _delete_tag,
// _tag_build and _direct_untag_build), with Koji's messages.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { given } from '../../kernel/given-when-then.js';
import { parentLink, tagDecider, type TagCommand } from './tag.decider.js';
import type { TagConfig, TagEvent } from './tags.events.js';
import { PACKAGE_TAGGED_VERSION } from './tags.upcasters.js';

const NOW = '2026-01-01T00:00:00.000Z';
const alice = { id: 7, name: 'alice' };
const base = { id: 1, name: 'base' };
const foo = { id: 11, nvr: 'foo-1-1' };
const bar = { id: 12, nvr: 'bar-2-1' };
const config: TagConfig = {
  arches: 'x86_64',
  locked: false,
  perm: null,
  mavenSupport: false,
  mavenIncludeAll: false,
};

const created = (extra: Record<string, unknown> = {}, inheritance = [parentLink(base)]): TagEvent => ({
  type: 'TagCreated',
  data: { id: 5, name: 'f40-build', ...config, extra, inheritance },
});
const tagged = (build = foo): TagEvent => ({
  type: 'PackageTagged',
  data: { tag: { id: 5, name: 'f40-build' }, build, user: alice, force: false, fromtag: null, time: NOW },
});
const who = { id: 5, name: 'f40-build' };

describe('tag decider', () => {
  describe('create (_create_tag)', () => {
    test('a new tag: its config, extra and one default link to the parent', () => {
      given(tagDecider)
        .when({ kind: 'create', id: 5, name: 'f40-build', config, extra: { a: 1 }, parent: base })
        .then([created({ a: 1 })]);
    });

    test("no parent: no inheritance; Koji's default link is priority 0, no maxdepth, transitive, with config", () => {
      given(tagDecider)
        .when({ kind: 'create', id: 5, name: 'f40-build', config, extra: {}, parent: null })
        .then([created({}, [])]);
      assert.deepEqual(parentLink(base), {
        parent_id: 1,
        name: 'base',
        priority: 0,
        maxdepth: null,
        intransitive: false,
        noconfig: false,
        pkg_filter: '',
      });
    });

    test('a live tag of that name: "A tag with the name \'x\' already exists"', () => {
      given(tagDecider, [created()])
        .when({ kind: 'create', id: 5, name: 'f40-build', config, extra: {}, parent: null })
        .thenFails('GenericError', "A tag with the name 'f40-build' already exists");
    });

    test('a deleted tag can be created again (under its old id)', () => {
      given(tagDecider, [created(), { type: 'TagDeleted', data: { ...who, untagged: [] } }])
        .when({ kind: 'create', id: 5, name: 'f40-build', config, extra: { a: 1 }, parent: base })
        .then([created({ a: 1 })]);
    });
  });

  test('every other command on a tag that does not exist: "No such tagInfo"', () => {
    const deleted = [created(), { type: 'TagDeleted', data: { ...who, untagged: [] } } as TagEvent];
    for (const c of [
      { kind: 'edit', changes: { locked: true }, extra: {}, removeExtra: [] },
      { kind: 'setParent', parent: null },
      { kind: 'delete' },
      { kind: 'tag', build: foo, user: alice, force: false, fromtag: null, now: NOW },
      { kind: 'untag', build: foo, user: alice, force: false, strict: false, now: NOW },
    ] as TagCommand[]) {
      given(tagDecider).when(c).thenFails('GenericError', 'No such tagInfo: 0');
      given(tagDecider, deleted).when(c).thenFails('GenericError', 'No such tagInfo: 5');
    }
  });

  describe('edit (_edit_tag)', () => {
    test('config changes: only what differs is recorded', () => {
      given(tagDecider, [created()])
        .when({
          kind: 'edit',
          changes: { arches: 'x86_64', locked: true, name: 'f40-build-new' },
          extra: {},
          removeExtra: [],
        })
        .then([
          {
            type: 'TagEdited',
            data: {
              ...who,
              changes: { locked: true, name: 'f40-build-new' },
              extraSet: {},
              extraRemoved: [],
            },
          },
        ]);
    });

    test('a permission set and dropped', () => {
      const perm = { id: 3, name: 'build' };
      given(tagDecider, [created()])
        .when({ kind: 'edit', changes: { perm }, extra: {}, removeExtra: [] })
        .then([{ type: 'TagEdited', data: { ...who, changes: { perm }, extraSet: {}, extraRemoved: [] } }]);
      given(tagDecider, [
        created(),
        { type: 'TagEdited', data: { ...who, changes: { perm }, extraSet: {}, extraRemoved: [] } },
      ])
        .when({ kind: 'edit', changes: { perm: null }, extra: {}, removeExtra: [] })
        .then([
          { type: 'TagEdited', data: { ...who, changes: { perm: null }, extraSet: {}, extraRemoved: [] } },
        ]);
    });

    test('an extra key is rewritten only when it is new or its value changed', () => {
      given(tagDecider, [created({ a: 1, b: { x: [1, 2] } })])
        .when({
          kind: 'edit',
          changes: {},
          extra: { a: 1, b: { x: [1, 2] }, c: 'new', d: null },
          removeExtra: [],
        })
        .then([
          {
            type: 'TagEdited',
            data: { ...who, changes: {}, extraSet: { c: 'new', d: null }, extraRemoved: [] },
          },
        ]);
      given(tagDecider, [created({ a: 1 })])
        .when({ kind: 'edit', changes: {}, extra: { a: 2 }, removeExtra: [] })
        .then([{ type: 'TagEdited', data: { ...who, changes: {}, extraSet: { a: 2 }, extraRemoved: [] } }]);
    });

    test('nothing changes: no event', () => {
      given(tagDecider, [created({ a: 1 })])
        .when({
          kind: 'edit',
          changes: { locked: false, arches: 'x86_64' },
          extra: { a: 1 },
          removeExtra: [],
        })
        .then([]);
    });

    test('remove_extra: every key must exist; "Tag: t doesn\'t have extra: k1, k2"', () => {
      given(tagDecider, [created({ a: 1, b: 2 })])
        .when({ kind: 'edit', changes: {}, extra: {}, removeExtra: ['a'] })
        .then([{ type: 'TagEdited', data: { ...who, changes: {}, extraSet: {}, extraRemoved: ['a'] } }]);
      given(tagDecider, [created({ a: 1 })])
        .when({ kind: 'edit', changes: {}, extra: {}, removeExtra: ['a', 'k1', 'k2'] })
        .thenFails('GenericError', "Tag: f40-build doesn't have extra: k1, k2");
    });

    test('a key both set and removed: "Can not both add/update and remove tag-extra: \'k\'"', () => {
      given(tagDecider, [created({ k: 1 })])
        .when({ kind: 'edit', changes: {}, extra: { k: 2 }, removeExtra: ['k'] })
        .thenFails('GenericError', "Can not both add/update and remove tag-extra: 'k'");
    });

    test('evolve: set, blocked (null) and removed keys', () => {
      const s = given(tagDecider, [
        created({ a: 1, b: 2 }),
        {
          type: 'TagEdited',
          data: { ...who, changes: { locked: true }, extraSet: { c: 3, d: null }, extraRemoved: ['a'] },
        },
      ]).state();
      assert.deepEqual(s.extra, { b: 2, c: 3, d: null });
      assert.equal(s.locked, true);
    });
  });

  describe('setParent (editTag2 parent=)', () => {
    const other = { id: 2, name: 'other' };
    test('a new parent replaces the inheritance; dropping it empties it', () => {
      given(tagDecider, [created()])
        .when({ kind: 'setParent', parent: other })
        .then([{ type: 'TagInheritanceChanged', data: { ...who, inheritance: [parentLink(other)] } }]);
      given(tagDecider, [created()])
        .when({ kind: 'setParent', parent: null })
        .then([{ type: 'TagInheritanceChanged', data: { ...who, inheritance: [] } }]);
    });

    test('the same parent, or none again: no event', () => {
      given(tagDecider, [created()]).when({ kind: 'setParent', parent: base }).then([]);
      given(tagDecider, [created({}, [])])
        .when({ kind: 'setParent', parent: null })
        .then([]);
    });

    test('itself: "tag t cannot inherit from itself"', () => {
      given(tagDecider, [created()])
        .when({ kind: 'setParent', parent: who })
        .thenFails('GenericError', 'tag f40-build cannot inherit from itself');
    });
  });

  describe('delete (_delete_tag)', () => {
    test('the tag goes, with every build it held (untagged silently)', () => {
      given(tagDecider, [created(), tagged(foo), tagged(bar)])
        .when({ kind: 'delete' })
        .then([{ type: 'TagDeleted', data: { ...who, untagged: [foo, bar] } }]);
    });

    test('evolve: a deleted tag keeps its id and name (for the reuse of its id), nothing else', () => {
      const s = given(tagDecider, [
        created({ a: 1 }),
        tagged(),
        { type: 'TagDeleted', data: { ...who, untagged: [foo] } },
      ]).state();
      assert.equal(s.exists, false);
      assert.equal(s.id, 5);
      assert.equal(s.name, 'f40-build');
      assert.deepEqual(s.builds, {});
      assert.deepEqual(s.extra, {});
    });
  });

  describe('tag (_tag_build)', () => {
    test('a build goes in: who, when, force and fromtag recorded', () => {
      given(tagDecider, [created()])
        .when({ kind: 'tag', build: foo, user: alice, force: true, fromtag: base, now: NOW })
        .then([
          {
            type: 'PackageTagged',
            schemaVersion: PACKAGE_TAGGED_VERSION,
            data: { tag: who, build: foo, user: alice, force: true, fromtag: base, time: NOW },
          },
        ]);
    });

    test('already in the tag: TagError "build X already tagged (t)"', () => {
      given(tagDecider, [created(), tagged()])
        .when({ kind: 'tag', build: foo, user: alice, force: false, fromtag: null, now: NOW })
        .thenFails('TagError', 'build foo-1-1 already tagged (f40-build)');
    });

    test('tagged again after an untag', () => {
      given(tagDecider, [
        created(),
        tagged(),
        {
          type: 'PackageUntagged',
          data: { tag: who, build: foo, user: alice, force: false, strict: true, time: NOW },
        },
      ])
        .when({ kind: 'tag', build: foo, user: null, force: false, fromtag: null, now: NOW })
        .then([
          {
            type: 'PackageTagged',
            schemaVersion: PACKAGE_TAGGED_VERSION,
            data: { tag: who, build: foo, user: null, force: false, fromtag: null, time: NOW },
          },
        ]);
    });
  });

  describe('untag (_direct_untag_build)', () => {
    test('a tagged build comes out', () => {
      given(tagDecider, [created(), tagged()])
        .when({ kind: 'untag', build: foo, user: alice, force: false, strict: true, now: NOW })
        .then([
          {
            type: 'PackageUntagged',
            data: { tag: who, build: foo, user: alice, force: false, strict: true, time: NOW },
          },
        ]);
    });

    test('a move records where the build went', () => {
      const dest = { id: 9, name: 'dest' };
      given(tagDecider, [created(), tagged()])
        .when({ kind: 'untag', build: foo, user: alice, force: false, strict: true, now: NOW, movedTo: dest })
        .then([
          {
            type: 'PackageUntagged',
            data: { tag: who, build: foo, user: alice, force: false, strict: true, time: NOW, movedTo: dest },
          },
        ]);
    });

    test('not in the tag, strict: TagError "build X not in tag t"', () => {
      given(tagDecider, [created(), tagged(bar)])
        .when({ kind: 'untag', build: foo, user: alice, force: false, strict: true, now: NOW })
        .thenFails('TagError', 'build foo-1-1 not in tag f40-build');
    });

    test('not in the tag, not strict: nothing at all (no event, so no post-untag hook)', () => {
      given(tagDecider, [created()])
        .when({ kind: 'untag', build: foo, user: alice, force: false, strict: false, now: NOW })
        .then([]);
    });

    test('evolve: the builds held follow tag and untag', () => {
      const s = given(tagDecider, [
        created(),
        tagged(foo),
        tagged(bar),
        {
          type: 'PackageUntagged',
          data: { tag: who, build: foo, user: null, force: false, strict: true, time: NOW },
        },
      ]).state();
      assert.deepEqual(s.builds, { '12': bar });
    });
  });
});
