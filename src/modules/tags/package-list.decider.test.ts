// given/when/then for every rule of the package-list decider (Koji's pkglist_add, pkglist_block,
// pkglist_unblock, pkglist_remove, pkglist_setowner/setarches), with Koji's messages.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { given } from '../../kernel/given-when-then.js';
import {
  packageListDecider,
  policyAction,
  type InheritedEntry,
  type PackageListCommand,
} from './package-list.decider.js';
import type { PackageEntry } from './packages.events.js';
import { tagDecider } from './tag.decider.js';
import type { TagEvent } from './tags.events.js';

const tag = { id: 5, name: 'f40-build' };
const base = { id: 1, name: 'f40' };
const alice = { id: 7, name: 'alice' };
const bob = { id: 8, name: 'bob' };
const bash = { id: 3, name: 'bash' };

const created: TagEvent = {
  type: 'TagCreated',
  data: {
    ...tag,
    arches: null,
    locked: false,
    perm: null,
    mavenSupport: false,
    mavenIncludeAll: false,
    extra: {},
    inheritance: [],
  },
};
const entry = (o: Partial<PackageEntry> = {}): PackageEntry => ({
  package: bash,
  owner: alice,
  blocked: false,
  extraArches: null,
  ...o,
});
const changed = (
  action: 'add' | 'update' | 'block' | 'unblock',
  e: PackageEntry,
  user = alice,
  force = false,
): TagEvent => ({
  type: 'PackageListChanged',
  data: { tag, action, entry: e, user, force },
});
const removed = (action: 'remove' | 'unblock', user = alice): TagEvent => ({
  type: 'PackageListEntryRemoved',
  data: { tag, action, package: bash, user, force: false },
});
const above = (o: Partial<PackageEntry> = {}): InheritedEntry => ({ ...entry(o), tag: base });
const common = { package: bash, force: false, user: alice, inherited: null } as const;
const add = (o: Partial<Extract<PackageListCommand, { kind: 'add' }>> = {}): PackageListCommand => ({
  ...common,
  kind: 'add',
  owner: alice,
  block: null,
  extraArches: undefined,
  update: false,
  ...o,
});

describe('package-list decider', () => {
  describe('add (pkglist_add)', () => {
    test('a new entry: the owner, unblocked, no extra arches', () => {
      given(packageListDecider, [created])
        .when(add())
        .then([changed('add', entry())]);
    });

    test('no owner and no entry to take it from: "owner not specified"; with force the caller owns it', () => {
      given(packageListDecider, [created])
        .when(add({ owner: null }))
        .thenFails('GenericError', 'owner not specified');
      given(packageListDecider, [created])
        .when(add({ owner: null, force: true, user: bob }))
        .then([changed('add', entry({ owner: bob }), bob, true)]);
    });

    test('the same data again appends nothing, forced or not', () => {
      given(packageListDecider, [created, changed('add', entry())])
        .when(add())
        .then([]);
      given(packageListDecider, [created, changed('add', entry())])
        .when(add({ force: true }))
        .then([]);
      // an inherited entry with the same data: nothing to add here either
      given(packageListDecider, [created])
        .when(add({ inherited: above() }))
        .then([]);
    });

    test('missing values come from the previous entry, own or inherited', () => {
      given(packageListDecider, [created, changed('add', entry({ extraArches: 'i686' }))])
        .when(add({ owner: bob }))
        .then([changed('add', entry({ owner: bob, extraArches: 'i686' }))]);
      given(packageListDecider, [created])
        .when(add({ owner: null, extraArches: 's390x', inherited: above({ owner: bob }) }))
        .then([changed('add', entry({ owner: bob, extraArches: 's390x' }))]);
    });

    test('an empty extra_arches clears them', () => {
      given(packageListDecider, [created, changed('add', entry({ extraArches: 'i686' }))])
        .when(add({ extraArches: '' }))
        .then([changed('add', entry())]);
    });

    test('a blocked entry is not unblocked by an add: "package X is blocked in tag T"; force does it', () => {
      const past = [created, changed('block', entry({ blocked: true }))];
      given(packageListDecider, past)
        .when(add({ block: false }))
        .thenFails('GenericError', 'package bash is blocked in tag f40-build');
      given(packageListDecider, [created])
        .when(add({ block: false, owner: bob, inherited: above({ blocked: true }) }))
        .thenFails('GenericError', 'package bash is blocked in tag f40-build');
      given(packageListDecider, past)
        .when(add({ block: false, force: true }))
        .then([changed('add', entry(), alice, true)]);
    });

    test('update needs an entry: "cannot update: tag T has no data for package P"', () => {
      given(packageListDecider, [created])
        .when(add({ update: true, owner: bob }))
        .thenFails('GenericError', 'cannot update: tag f40-build has no data for package bash');
      given(packageListDecider, [created, changed('add', entry())])
        .when(add({ update: true, owner: bob }))
        .then([changed('update', entry({ owner: bob }))]);
    });

    test('a tag that does not exist', () => {
      given(packageListDecider, []).when(add()).thenFails('GenericError', 'No such tagInfo: 0');
    });
  });

  describe('block (pkglist_block)', () => {
    test('only a listed package, here or above: "Package P is not in tag listing for T"', () => {
      given(packageListDecider, [created])
        .when({ ...common, kind: 'block' })
        .thenFails('GenericError', 'Package bash is not in tag listing for f40-build');
    });

    test('an inherited entry is blocked here, keeping its owner and arches', () => {
      given(packageListDecider, [created])
        .when({ ...common, kind: 'block', inherited: above({ owner: bob, extraArches: 'i686' }) })
        .then([changed('block', entry({ owner: bob, extraArches: 'i686', blocked: true }))]);
    });

    test('blocking a blocked package appends nothing', () => {
      given(packageListDecider, [created, changed('block', entry({ blocked: true }))])
        .when({ ...common, kind: 'block' })
        .then([]);
    });
  });

  describe('unblock (pkglist_unblock)', () => {
    test('no entry: "no data (blocked or otherwise) …"; not blocked: "package P NOT blocked in tag T"', () => {
      given(packageListDecider, [created])
        .when({ ...common, kind: 'unblock' })
        .thenFails('GenericError', 'no data (blocked or otherwise) for package bash in tag f40-build');
      given(packageListDecider, [created, changed('add', entry())])
        .when({ ...common, kind: 'unblock' })
        .thenFails('GenericError', 'package bash NOT blocked in tag f40-build');
    });

    test('a block inherited from above: an unblocked entry of its own here', () => {
      given(packageListDecider, [created])
        .when({ ...common, kind: 'unblock', inherited: above({ blocked: true, owner: bob }) })
        .then([changed('unblock', entry({ owner: bob }))]);
    });

    test('an own block over an unblocked entry above: the own entry goes', () => {
      given(packageListDecider, [created, changed('block', entry({ blocked: true }))])
        .when({ ...common, kind: 'unblock', inherited: above() })
        .then([removed('unblock')]);
    });

    test('an own block with nothing above, or a block above too: the entry stays, unblocked', () => {
      const past = [created, changed('block', entry({ blocked: true, extraArches: 'i686' }))];
      const after = [changed('unblock', entry({ extraArches: 'i686' }))];
      given(packageListDecider, past)
        .when({ ...common, kind: 'unblock' })
        .then(after);
      given(packageListDecider, past)
        .when({ ...common, kind: 'unblock', inherited: above({ blocked: true }) })
        .then(after);
    });
  });

  describe('remove (pkglist_remove)', () => {
    test('the own entry goes; none here appends nothing, as Koji', () => {
      given(packageListDecider, [created, changed('add', entry())])
        .when({ ...common, kind: 'remove' })
        .then([removed('remove')]);
      given(packageListDecider, [created])
        .when({ ...common, kind: 'remove', inherited: above() })
        .then([]);
    });
  });

  test('evolve: the own entries, and a deleted tag takes them with it', () => {
    const past = [
      created,
      changed('add', entry()),
      changed('add', entry({ package: { id: 4, name: 'zsh' } })),
    ];
    assert.deepEqual(Object.keys(given(packageListDecider, past).state().packages), ['bash', 'zsh']);
    const gone = given(packageListDecider, [...past, removed('remove')]).state();
    assert.deepEqual(Object.keys(gone.packages), ['zsh']);
    given(tagDecider, past)
      .when({ kind: 'delete' })
      .then([
        { type: 'TagDeleted', data: { ...tag, untagged: [], packages: [bash, { id: 4, name: 'zsh' }] } },
      ]);
  });

  test("policyAction: Koji's action names for the package_list policy", () => {
    assert.equal(policyAction({ kind: 'add' }), 'add');
    assert.equal(policyAction({ kind: 'add', block: true }), 'block');
    assert.equal(policyAction({ kind: 'add', update: true, block: true }), 'update');
    assert.equal(policyAction({ kind: 'unblock' }), 'unblock');
  });
});
