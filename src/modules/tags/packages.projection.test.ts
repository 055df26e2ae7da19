// The packages projection: Koji's package rows and each tag's own tag_packages rows with owners,
// folded from PackageCreated, the package-list events and TagDeleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { project, recorded } from '../../kernel/given-when-then.js';
import { PACKAGES, packagesProjection, TAG_PACKAGES, type TagPackageDoc } from './packages.projection.js';

const tag = { id: 5, name: 'f40-build' };
const alice = { id: 7, name: 'alice' };
const bash = { id: 3, name: 'bash' };
const zsh = { id: 4, name: 'zsh' };
const entry = (pkg = bash, blocked = false) => ({ package: pkg, owner: alice, blocked, extraArches: 'i686' });

test('given packages and entries, when one is blocked and one removed, then the rows show it', async () => {
  const rm = await project(packagesProjection, [
    ...recorded('package-bash', [{ type: 'PackageCreated', data: bash }]),
    ...recorded('package-zsh', [{ type: 'PackageCreated', data: zsh }]),
    ...recorded('tag-5', [
      { type: 'PackageListChanged', data: { tag, action: 'add', entry: entry(), user: alice, force: false } },
      {
        type: 'PackageListChanged',
        data: { tag, action: 'add', entry: entry(zsh), user: alice, force: false },
      },
      {
        type: 'PackageListChanged',
        data: { tag, action: 'block', entry: entry(bash, true), user: alice, force: false },
      },
      {
        type: 'PackageListEntryRemoved',
        data: { tag, action: 'remove', package: zsh, user: alice, force: false },
      },
    ]),
  ]);
  assert.deepEqual(await rm.find(PACKAGES, { orderBy: [['id', 'asc']] }), [bash, zsh]);
  assert.deepEqual(await rm.entries<TagPackageDoc>(TAG_PACKAGES), [
    [
      '5:bash',
      {
        tag_id: 5,
        package_id: 3,
        package_name: 'bash',
        owner_id: 7,
        owner_name: 'alice',
        blocked: true,
        extra_arches: 'i686',
      },
    ],
  ]);
});

test('given a tag with entries, when it is deleted, then its rows go and the packages stay', async () => {
  const rm = await project(packagesProjection, [
    ...recorded('package-bash', [{ type: 'PackageCreated', data: bash }]),
    ...recorded('tag-5', [
      { type: 'PackageListChanged', data: { tag, action: 'add', entry: entry(), user: alice, force: false } },
      { type: 'TagDeleted', data: { ...tag, untagged: [], packages: [bash] } },
    ]),
    // a tag deleted before package lists existed names none
    ...recorded('tag-6', [{ type: 'TagDeleted', data: { id: 6, name: 'old', untagged: [] } }]),
  ]);
  assert.equal(await rm.count(TAG_PACKAGES), 0);
  assert.equal(await rm.count(PACKAGES), 1);
});
