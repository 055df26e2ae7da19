// Koji's tests/test_hub/test_policy_tests.py (spec §6.9) for the hub tests this rebuild has, and the
// sidetag plugin's is_sidetag / is_sidetag_owner (spec §2.7). §6.9.6 (is_build_owner) and §6.9.7
// (policy data from task arguments) belong to builds and tasks, which these tests do not cover.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { KojiError } from '../kernel/errors.js';
import { evaluatePolicy } from './policy.evaluator.js';
import { PolicySyntaxError } from './policy.errors.js';
import { staticFacts } from './policy.facts.js';
import { SIDETAG_POLICY_TESTS, policyGetUser } from './policy.hub-tests.js';
import { parsePolicies, parsePolicy } from './policy.parser.js';
import { createPolicyRegistry } from './policy.registry.js';
import type { PolicyData, PolicyEvalContext, PolicyFacts } from './policy.types.js';

const registry = createPolicyRegistry(SIDETAG_POLICY_TESTS);

// users: root (admin), alice (packager), bob, tagger (tag perm, via group), carol (no rights)
const ROOT = 1;
const ALICE = 10;
const BOB = 11;
const TAGGER = 12;
const CAROL = 13;

const base = staticFacts({
  tags: [
    { id: 1, name: 'f40-build', extra: {} },
    { id: 2, name: 'f40', extra: {} },
    {
      id: 100,
      name: 'f40-build-side-100',
      extra: { sidetag: true, sidetag_user: 'alice', sidetag_user_id: ALICE },
    },
    {
      id: 101,
      name: 'f40-build-side-101',
      extra: { sidetag: true, sidetag_user: 'bob', sidetag_user_id: BOB },
    },
    // owner recorded but not (or no longer) a sidetag
    { id: 102, name: 'f40-build-side-102', extra: { sidetag: false, sidetag_user_id: ALICE } },
    // alice's, with carol as a co-owner (koji-es)
    {
      id: 103,
      name: 'f40-build-side-103',
      extra: { sidetag: true, sidetag_user: 'alice', sidetag_user_id: ALICE, sidetag_co_owners: [CAROL] },
    },
  ],
  users: [
    { id: ROOT, name: 'root' },
    { id: ALICE, name: 'alice' },
    { id: BOB, name: 'bob' },
    { id: TAGGER, name: 'tagger' },
    { id: CAROL, name: 'carol' },
  ],
  perms: { [ROOT]: ['admin'], [TAGGER]: ['tag', 'repo'] },
  groups: { [ALICE]: ['packagers', 'fedora-sig'], [TAGGER]: ['releng'] },
});

/** Facts that record every lookup, to check what Koji would (not) have looked up. */
function spying(facts: PolicyFacts) {
  const calls: string[] = [];
  const spy: PolicyFacts = {
    getTag: (ref) => (calls.push(`getTag(${JSON.stringify(ref)})`), facts.getTag(ref)),
    getUser: (ref) => (calls.push(`getUser(${JSON.stringify(ref)})`), facts.getUser(ref)),
    userPerms: (id) => (calls.push(`userPerms(${id})`), facts.userPerms(id)),
    userGroups: (id) => (calls.push(`userGroups(${id})`), facts.userGroups(id)),
  };
  return { spy, calls };
}

function holds(text: string, data: PolicyData, ctx: Partial<PolicyEvalContext> = {}): boolean {
  const policy = parsePolicy('t', `${text} :: yes`, registry);
  return evaluatePolicy(policy, data, { facts: base, ...ctx }).action === 'yes';
}

type Row = readonly [test: string, data: PolicyData, session: number | null, expected: boolean];

function table(title: string, rows: readonly Row[]) {
  describe(title, () => {
    for (const [text, data, session, expected] of rows) {
      test(`${text} on ${JSON.stringify(data)} as ${session ?? 'anonymous'} → ${expected}`, () => {
        assert.equal(holds(text, data, { sessionUserId: session }), expected);
      });
    }
  });
}

table('§6.9.1 operation: case-sensitive globs', [
  ['operation foo*', { operation: 'FOOBAR' }, null, false],
  ['operation foo*', { operation: 'foobar' }, null, true],
  ['operation tag move', { operation: 'move' }, null, true],
  ['operation tag move', { operation: 'untag' }, null, false],
  ['operation tag', {}, null, false],
]);

describe('§6.9.2 policy_get_user', () => {
  test('{user_id: 42} looks up user 42', () => {
    const { spy, calls } = spying(base);
    assert.equal(policyGetUser({ user_id: ALICE }, { facts: spy }), base.getUser(ALICE));
    assert.deepEqual(calls, [`getUser(${ALICE})`]);
  });

  test('{} when not logged in: null, with no lookup', () => {
    const { spy, calls } = spying(base);
    assert.equal(policyGetUser({}, { facts: spy, sessionUserId: null }), null);
    assert.equal(policyGetUser({}, { facts: spy }), null);
    assert.deepEqual(calls, []);
  });

  test('{} when logged in: the session user', () => {
    const { spy, calls } = spying(base);
    assert.deepEqual(policyGetUser({}, { facts: spy, sessionUserId: BOB }), { id: BOB, name: 'bob' });
    assert.deepEqual(calls, [`getUser(${BOB})`]);
  });

  test('user_id beats the session', () => {
    const { spy, calls } = spying(base);
    assert.deepEqual(policyGetUser({ user_id: ALICE }, { facts: spy, sessionUserId: BOB }), {
      id: ALICE,
      name: 'alice',
    });
    assert.deepEqual(calls, [`getUser(${ALICE})`]);
  });

  test('user_id None means the session user (Koji: get_user(None)); an unknown id means nobody', () => {
    assert.deepEqual(policyGetUser({ user_id: null }, { facts: base, sessionUserId: BOB })?.name, 'bob');
    assert.equal(policyGetUser({ user_id: 999 }, { facts: base, sessionUserId: BOB }), null);
    assert.deepEqual(policyGetUser({ user_id: 'carol' }, { facts: base })?.id, CAROL);
  });
});

describe('§6.9.3 tag / §6.9.4 fromtag', () => {
  test('no tag in the data: false, and no lookup', () => {
    const { spy, calls } = spying(base);
    assert.equal(holds('tag *', {}, { facts: spy }), false);
    assert.equal(holds('tag *', { tag: null }, { facts: spy }), false);
    assert.equal(holds('fromtag *', { tag: 1 }, { facts: spy }), false);
    assert.deepEqual(calls, []);
  });

  test('a tag that does not exist: false, after one lookup', () => {
    const { spy, calls } = spying(base);
    assert.equal(holds('tag *', { tag: 999 }, { facts: spy }), false);
    assert.deepEqual(calls, ['getTag(999)']);
  });

  test('the tag name (looked up by id or name) is matched against the globs', () => {
    assert.equal(holds('tag f40-build', { tag: 1 }), true);
    assert.equal(holds('tag *-build', { tag: 'f40-build' }), true);
    assert.equal(holds('tag *-build', { tag: 2 }), false);
    assert.equal(holds('tag f39* f40', { tag: 2 }), true);
    assert.equal(holds('tag F40*', { tag: 2 }), false);
    assert.equal(holds('tag f40-build', { tag: { id: 1, name: 'f40-build' } }), true);
    assert.equal(holds('fromtag f40-build-side-*', { fromtag: 100, tag: null }), true);
    assert.equal(holds('fromtag f40-build-side-*', { fromtag: 1 }), false);
  });

  test('a value that is no tag reference is Koji’s ParameterError', () => {
    assert.throws(
      () => holds('tag *', { tag: true }),
      (e: unknown) =>
        e instanceof KojiError &&
        e.faultName === 'ParameterError' &&
        e.message === 'Invalid name or id value: True',
    );
  });
});

table('§6.9.5 user, has_perm, user_in_group', [
  ['user alice', {}, ALICE, true],
  ['user a*', {}, BOB, false],
  ['user alice', {}, null, false],
  ['user alice', { user_id: ALICE }, null, true],
  ['user alice', { user_id: BOB }, ALICE, false],
  ['has_perm admin', {}, ROOT, true],
  ['has_perm admin', {}, TAGGER, false],
  ['has_perm admin tag', {}, TAGGER, true],
  ['has_perm re*', {}, TAGGER, true],
  ['has_perm admin', {}, null, false],
  ['has_perm tag', { user_id: TAGGER }, ROOT, true],
  ['user_in_group packagers', {}, ALICE, true],
  ['user_in_group fedora-*', {}, ALICE, true],
  ['user_in_group packagers', {}, BOB, false],
  ['user_in_group packagers', {}, null, false],
]);

table('method and is_child_task', [
  ['method runroot', { method: 'runroot' }, null, true],
  ['method runroot', { method: 'saveFailedTree' }, null, false],
  ['method runroot', {}, null, false],
  ['is_child_task', { parent: 7 }, null, true],
  ['is_child_task', { parent: null }, null, false],
  ['is_child_task', {}, null, false],
]);

describe('§2.7 is_sidetag', () => {
  const rows: ReadonlyArray<readonly [PolicyData, boolean]> = [
    [{ tag: 100 }, true],
    [{ tag: 'f40-build-side-101' }, true],
    [{ tag: 1 }, false],
    [{ tag: 102 }, false],
    // Koji: KeyError, ParameterError and TypeError respectively; here plain false
    [{}, false],
    [{ tag: null }, false],
    [{ tag: 999 }, false],
    [{ tag: [1] }, false],
  ];
  for (const [data, expected] of rows) {
    test(`is_sidetag on ${JSON.stringify(data)} → ${expected}`, () => {
      assert.equal(holds('is_sidetag', data), expected);
    });
  }

  test('arguments are ignored', () => {
    assert.equal(holds('is_sidetag whatever', { tag: 100 }), true);
    assert.equal(holds('is_sidetag tag', { tag: 100, fromtag: 1 }), true);
  });

  // koji-es extension: the field to look at, as is_sidetag_owner takes it (an untag has only fromtag)
  test('is_sidetag fromtag and is_sidetag both', () => {
    assert.equal(holds('is_sidetag fromtag', { tag: null, fromtag: 100 }), true);
    assert.equal(holds('is_sidetag fromtag', { tag: 100, fromtag: 1 }), false);
    assert.equal(holds('is_sidetag fromtag', { tag: 100 }), false);
    assert.equal(holds('is_sidetag both', { tag: 100, fromtag: 101 }), true);
    assert.equal(holds('is_sidetag both', { tag: 100, fromtag: 1 }), false);
    assert.equal(holds('is_sidetag', { tag: null, fromtag: 100 }), false);
  });
});

table('§2.7 is_sidetag_owner [tag|fromtag|both]', [
  // default field: tag
  ['is_sidetag_owner', { tag: 100 }, ALICE, true],
  ['is_sidetag_owner', { tag: 100 }, BOB, false],
  ['is_sidetag_owner tag', { tag: 101 }, BOB, true],
  // the policy user comes from user_id first
  ['is_sidetag_owner', { tag: 100, user_id: ALICE }, BOB, true],
  ['is_sidetag_owner', { tag: 100, user_id: BOB }, ALICE, false],
  // not a sidetag, even with an owner recorded
  ['is_sidetag_owner', { tag: 102 }, ALICE, false],
  ['is_sidetag_owner', { tag: 1 }, ALICE, false],
  // fromtag and both
  ['is_sidetag_owner fromtag', { tag: null, fromtag: 100 }, ALICE, true],
  ['is_sidetag_owner fromtag', { tag: 100 }, ALICE, false],
  ['is_sidetag_owner both', { tag: 100, fromtag: 100 }, ALICE, true],
  ['is_sidetag_owner both', { tag: 100, fromtag: 101 }, ALICE, false],
  ['is_sidetag_owner both', { tag: 100 }, ALICE, false],
  // admin through the *session* user, even when the policy user is someone else
  ['is_sidetag_owner', { tag: 101 }, ROOT, true],
  ['is_sidetag_owner', { tag: 101, user_id: CAROL }, ROOT, true],
  ['is_sidetag_owner', { tag: 1 }, ROOT, false],
  // an admin policy user does not count when the session user is not an admin
  ['is_sidetag_owner', { tag: 101, user_id: ROOT }, CAROL, false],
  // Koji crashes on these (spec §2.7, §7): here they are false
  ['is_sidetag_owner', { tag: null, fromtag: 100 }, ALICE, false],
  ['is_sidetag_owner', {}, ALICE, false],
  ['is_sidetag_owner', { tag: 999 }, ALICE, false],
  ['is_sidetag_owner', { tag: 100 }, null, false],
  // koji-es: a co-owner counts as an owner, for tag, fromtag and both
  ['is_sidetag_owner', { tag: 103 }, CAROL, true],
  ['is_sidetag_owner fromtag', { tag: null, fromtag: 103 }, CAROL, true],
  ['is_sidetag_owner both', { tag: 103, fromtag: 100 }, CAROL, false],
  ['is_sidetag_owner', { tag: 103 }, BOB, false],
  ['is_sidetag_owner', { tag: 103 }, ALICE, true],
  ['is_sidetag_owner', { tag: 100, user_id: 999 }, null, false],
  ['is_sidetag_owner both', { tag: 100, fromtag: null }, ALICE, false],
]);

describe('is_sidetag_owner arguments', () => {
  test("more than one argument: Koji's GenericError, at parse time", () => {
    assert.throws(
      () => parsePolicy('tag', 'is_sidetag_owner tag fromtag :: allow', registry),
      (e: unknown) =>
        e instanceof PolicySyntaxError && e.data.detail === 'Just one argument is allowed for this test.',
    );
  });

  test("an unknown keyword: Koji's GenericError, at parse time", () => {
    assert.throws(
      () => parsePolicy('tag', 'is_sidetag_owner dest :: allow', registry),
      (e: unknown) =>
        e instanceof PolicySyntaxError &&
        e.data.detail === 'Policy test is_sidetag_owner has only /tag/fromtag/both options (got dest)',
    );
  });
});

describe('policy <name>', () => {
  const policies = parsePolicies(
    {
      yes: 'all :: allow',
      yes_but: 'all :: allow because',
      upper: 'all :: YES',
      none: 'none :: allow',
      loop: 'policy loop :: allow',
      outer: 'policy yes && policy upper :: allow',
    },
    registry,
  );
  const ctx = { facts: base, policies };

  test('true when the whole action, lower-cased, is yes/true/allow (§7 P3: a reason makes it false)', () => {
    assert.equal(holds('policy yes', {}, ctx), true);
    assert.equal(holds('policy upper', {}, ctx), true);
    assert.equal(holds('policy yes_but', {}, ctx), false);
    assert.equal(holds('policy none', {}, ctx), false);
    assert.equal(holds('policy outer', {}, ctx), true);
  });

  test('a missing policy is an error', () => {
    assert.throws(() => holds('policy nope', {}, ctx), /^GenericError: no such policy: nope$/);
  });

  test('a loop is detected', () => {
    assert.throws(
      () => evaluatePolicy(policies.get('loop')!, {}, ctx),
      /^GenericError: encountered policy loop at policy loop $/,
    );
  });

  test('without a name the test is refused at parse time', () => {
    assert.throws(() => parsePolicy('t', 'policy :: allow', registry), PolicySyntaxError);
  });
});

test('the registry refuses a second test of the same name', () => {
  assert.throws(
    () => createPolicyRegistry(SIDETAG_POLICY_TESTS, SIDETAG_POLICY_TESTS),
    /duplicate policy test: is_sidetag/,
  );
  assert.throws(
    () => createPolicyRegistry([{ name: 'tag', compile: () => () => true }]),
    (e: unknown) => e instanceof KojiError && e.message === 'duplicate policy test: tag',
  );
});

test('without the sidetag contribution, is_sidetag is a missing handler', () => {
  assert.throws(
    () => parsePolicy('tag', 'is_sidetag :: allow', createPolicyRegistry()),
    (e: unknown) => e instanceof PolicySyntaxError && e.data.detail === 'missing test handler: is_sidetag',
  );
});

describe('package / is_new_package (policy_get_pkg)', () => {
  const facts = staticFacts({
    packages: [{ id: 3, name: 'kernel' }],
    builds: [{ id: 9, nvr: 'kernel-6.1-1', package: { id: 3, name: 'kernel' } }],
  });
  const run = (text: string, data: PolicyData) => holds(text, data, { facts });

  test('the package named in the data, by name or id; a name not created yet is a new package', () => {
    assert.equal(run('package kernel*', { package: 'kernel' }), true);
    assert.equal(run('package kernel*', { package: 3 }), true);
    assert.equal(run('package bash', { package: 'kernel' }), false);
    assert.equal(run('package new*', { package: 'newpkg' }), true);
    assert.equal(run('is_new_package', { package: 'newpkg' }), true);
    assert.equal(run('is_new_package', { package: 'kernel' }), false);
  });

  test("without a package, the build's package (tag policy data)", () => {
    assert.equal(run('package kernel', { build: 9, tag: 1 }), true);
    assert.equal(run('package kernel', { build: 'kernel-6.1-1' }), true);
  });

  test("Koji's errors: an unknown package id, an unknown build, no package data", () => {
    const fails = (data: PolicyData, message: string) =>
      assert.throws(
        () => run('package *', data),
        (e: unknown) => e instanceof KojiError && e.faultName === 'GenericError' && e.message === message,
      );
    fails({ package: 99 }, 'No such package: 99');
    fails({ build: 99 }, 'No such build: 99');
    fails({ tag: 1 }, 'policy requires package data');
  });
});

test('the registry lists its tests', () => {
  assert.deepEqual(registry.names(), [
    'all',
    'bool',
    'compare',
    'false',
    'fromtag',
    'has',
    'has_perm',
    'is_child_task',
    'is_new_package',
    'is_sidetag',
    'is_sidetag_owner',
    'match',
    'match_all',
    'match_any',
    'method',
    'none',
    'operation',
    'package',
    'policy',
    'tag',
    'target',
    'true',
    'user',
    'user_in_group',
  ]);
});
