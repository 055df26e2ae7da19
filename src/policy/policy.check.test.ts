// check_policy / assert_policy (spec §3.5) and every worked example of spec §3.7.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { KojiError } from '../kernel/errors.js';
import { assertPolicy, checkPolicy, violationMessage } from './policy.check.js';
import type { PolicyCheckContext } from './policy.check.js';
import { evaluatePolicy } from './policy.evaluator.js';
import { PolicyViolation } from './policy.errors.js';
import { staticFacts } from './policy.facts.js';
import { SIDETAG_POLICY_TESTS } from './policy.hub-tests.js';
import { KOJI_DEFAULT_POLICIES, parsePolicies } from './policy.parser.js';
import { createPolicyRegistry } from './policy.registry.js';
import type { PolicyData } from './policy.types.js';

const registry = createPolicyRegistry(SIDETAG_POLICY_TESTS);

const ADMIN = 1;
const ALICE = 10; // a packager
const BOB = 11; // not a packager
const facts = staticFacts({
  tags: [
    { id: 30, name: 'f30-build', extra: {} },
    { id: 31, name: 'f31-build', extra: {} },
    { id: 40, name: 'f40-build', extra: {} },
    { id: 41, name: 'f41-build', extra: {} },
    { id: 4, name: 'f40', extra: {} },
    { id: 50, name: 'eln-build', extra: {} },
    { id: 100, name: 'f41-build-side-100', extra: { sidetag: true, sidetag_user_id: ALICE } },
    { id: 101, name: 'f41-build-side-101', extra: { sidetag: true, sidetag_user_id: BOB } },
  ],
  users: [
    { id: ADMIN, name: 'admin' },
    { id: ALICE, name: 'alice' },
    { id: BOB, name: 'bob' },
  ],
  perms: { [ADMIN]: ['admin'] },
  groups: { [ALICE]: ['packagers'] },
});

function context(
  policies: Record<string, string>,
  more: Partial<PolicyCheckContext> = {},
): PolicyCheckContext {
  return { facts, sessionUserId: ALICE, policies: parsePolicies(policies, registry), ...more };
}

/** The ActionNotAllowed message assertPolicy raises, or null when it allows. */
function denial(name: string, data: PolicyData, ctx: PolicyCheckContext): string | null {
  try {
    assertPolicy(name, data, ctx);
    return null;
  } catch (e) {
    assert.ok(e instanceof PolicyViolation);
    assert.equal(e.faultName, 'ActionNotAllowed');
    assert.equal(e.faultCode, 1004);
    return e.message;
  }
}

describe('§3.5 check_policy', () => {
  test('1. a missing policy: allow with MissingPolicyOk (the default), deny without', () => {
    const open = checkPolicy('sidetag', {}, context({}));
    assert.deepEqual(
      {
        allowed: open.allowed,
        result: open.result,
        reason: open.reason,
        trace: open.trace,
        missing: open.missing,
      },
      { allowed: true, result: 'allow', reason: 'missing policy', trace: '', missing: true },
    );
    const closed = checkPolicy('sidetag', {}, context({}, { missingPolicyOk: false }));
    assert.equal(closed.allowed, false);
    assert.equal(closed.reason, 'missing policy');
    assert.equal(
      denial('sidetag', {}, context({}, { missingPolicyOk: false })),
      'policy violation (sidetag): missing policy',
    );
    assert.equal(
      denial('sidetag', {}, context({}, { missingPolicyOk: false, verbosePolicy: true })),
      'policy violation (sidetag): missing policy [rule: ]',
    );
  });

  test('2. no match: the default (deny) with "not covered by policy"', () => {
    const ctx = context({ p: 'none :: allow' });
    const c = checkPolicy('p', {}, ctx);
    assert.equal(c.allowed, false);
    assert.equal(c.result, 'deny');
    assert.equal(c.reason, 'not covered by policy');
    assert.equal(c.action, null);
    const allowByDefault = checkPolicy('p', {}, ctx, { default: 'allow' });
    assert.equal(allowByDefault.allowed, true);
    assert.equal(allowByDefault.reason, 'not covered by policy');
  });

  test('2. a match: first word is the result, the rest the reason, lower-cased as Koji does', () => {
    const c = checkPolicy('p', {}, context({ p: 'all :: deny Only The Owner' }));
    assert.equal(c.result, 'deny');
    assert.equal(c.reason, 'only the owner');
    assert.equal(c.action, 'deny Only The Owner');
    assert.deepEqual(c.trail, [{ line: 1, rule: 'all :: deny Only The Owner' }]);
  });

  test('3. allow → allowed, with its reason', () => {
    const c = checkPolicy('p', {}, context({ p: 'all :: allow Because' }));
    assert.equal(c.allowed, true);
    assert.equal(c.reason, 'because');
    assert.equal(assertPolicy('p', {}, context({ p: 'all :: allow' })).trace, 'all :: allow');
  });

  test('4. any other verb is a denial with "error in policy" (the verb is compared as written)', () => {
    for (const action of ['use default', 'stay', 'Allow', 'DENY now', '']) {
      const c = checkPolicy('p', {}, context({ p: `all :: ${action}` }));
      assert.equal(c.allowed, false, action);
      assert.equal(c.reason, 'error in policy', action);
    }
    assert.equal(
      denial('p', {}, context({ p: 'all :: use default' }, { verbosePolicy: true })),
      'policy violation (p): error in policy [rule: all :: use default]',
    );
  });

  test('5. force lets a policy user with admin through, and nobody else', () => {
    const ctx = context({ p: 'all :: deny no' });
    const forced = checkPolicy('p', { user_id: ADMIN }, ctx, { force: true });
    assert.deepEqual([forced.allowed, forced.reason, forced.forced], [true, 'overriden by force', true]);
    assert.equal(checkPolicy('p', {}, { ...ctx, sessionUserId: ADMIN }, { force: true }).allowed, true);
    assert.equal(checkPolicy('p', {}, ctx, { force: true }).allowed, false);
    assert.equal(checkPolicy('p', { user_id: ADMIN }, ctx).allowed, false);
    assert.equal(checkPolicy('p', {}, { ...ctx, sessionUserId: null }, { force: true }).allowed, false);
    assert.equal(assertPolicy('p', { user_id: ADMIN }, ctx, { force: true }).forced, true);
  });

  test('6–7. strict raises ActionNotAllowed; the rule only with VerbosePolicy or KojiDebug', () => {
    const policies = { p: 'has x :: allow\nall :: deny' };
    assert.equal(denial('p', {}, context(policies)), 'policy violation (p)');
    assert.equal(
      denial('p', {}, context(policies, { verbosePolicy: true })),
      'policy violation (p) [rule: all :: deny]',
    );
    assert.equal(
      denial('p', {}, context(policies, { kojiDebug: true })),
      'policy violation (p) [rule: all :: deny]',
    );
    assert.equal(denial('p', { x: 1 }, context(policies)), null);
  });

  test('the trail always travels in the error, verbose or not', () => {
    try {
      assertPolicy('p', {}, context({ p: 'has x :: allow\nall :: {\n  all :: deny Nope\n}' }));
      assert.fail('expected a PolicyViolation');
    } catch (e) {
      assert.ok(e instanceof PolicyViolation && e instanceof KojiError);
      assert.equal(e.message, 'policy violation (p): nope');
      assert.deepEqual(e.data, {
        policy: 'p',
        result: 'deny',
        reason: 'nope',
        trail: [
          { line: 2, rule: 'all :: {' },
          { line: 3, rule: 'all :: deny Nope' },
        ],
        trace: 'all :: ... all :: deny Nope',
      });
    }
  });

  test('§6.9.8 an exception inside a test propagates from check and assert', () => {
    const ctx = context({ p: 'compare n < 3 :: allow' });
    assert.throws(() => checkPolicy('p', { n: 'x' }, ctx), /not supported between/);
    assert.throws(() => assertPolicy('p', { n: 'x' }, ctx), /not supported between/);
  });

  test('violationMessage builds the message alone', () => {
    assert.equal(violationMessage({ policy: 'x', reason: '', trace: 't' }), 'policy violation (x)');
    assert.equal(
      violationMessage({ policy: 'x', reason: 'r', trace: 't' }, { verbosePolicy: true }),
      'policy violation (x): r [rule: t]',
    );
  });
});

describe('§3.7 A: the seed example', () => {
  const seed = 'sidetag =\n    tag f30-build && compare number_of_tags <= 10 :: allow\n    all :: deny'.split(
    '\n',
  );
  const policyText = seed.slice(1).join('\n');
  const ctx = context({ sidetag: policyText });
  const verbose = context({ sidetag: policyText }, { verbosePolicy: true });

  test('case 1: f30-build, 3 tags → allow, through rule 1', () => {
    const c = assertPolicy('sidetag', { tag: 30, number_of_tags: 3 }, ctx);
    assert.equal(c.allowed, true);
    assert.deepEqual(c.trail, [{ line: 1, rule: 'tag f30-build && compare number_of_tags <= 10 :: allow' }]);
    assert.equal(c.trace, 'tag f30-build && compare number_of_tags <= 10 :: allow');
  });

  test('case 2: 10 tags is still allowed (the 11th sidetag: <= counts before creation)', () => {
    assert.equal(denial('sidetag', { tag: 30, number_of_tags: 10 }, ctx), null);
    const strict = context({ sidetag: 'tag f30-build && compare number_of_tags < 10 :: allow\nall :: deny' });
    assert.equal(denial('sidetag', { tag: 30, number_of_tags: 10 }, strict), 'policy violation (sidetag)');
  });

  test('case 3: 11 tags → rule 2 → policy violation (sidetag), verbose with the rule', () => {
    assert.equal(denial('sidetag', { tag: 30, number_of_tags: 11 }, ctx), 'policy violation (sidetag)');
    assert.equal(
      denial('sidetag', { tag: 30, number_of_tags: 11 }, verbose),
      'policy violation (sidetag) [rule: all :: deny]',
    );
  });

  test('case 4: another base tag short-circuits at `tag`', () => {
    assert.equal(denial('sidetag', { tag: 31, number_of_tags: 0 }, ctx), 'policy violation (sidetag)');
    assert.equal(
      denial('sidetag', { tag: 31, number_of_tags: 'not a number' }, ctx),
      'policy violation (sidetag)',
    );
  });

  test('case 5: a reason after deny (lower-cased, as in Koji’s check_policy)', () => {
    const withReason = context({ sidetag: `${seed[1]}\n    all :: deny Too many sidetags` });
    assert.equal(
      denial('sidetag', { tag: 30, number_of_tags: 11 }, withReason),
      'policy violation (sidetag): too many sidetags',
    );
    assert.equal(
      checkPolicy('sidetag', { tag: 30, number_of_tags: 11 }, withReason).action,
      'deny Too many sidetags',
    );
  });

  test('case 6: without `all :: deny`, no match → default deny, not covered by policy', () => {
    const noCatchAll = context({ sidetag: seed[1]! });
    assert.equal(
      denial('sidetag', { tag: 31, number_of_tags: 1 }, noCatchAll),
      'policy violation (sidetag): not covered by policy',
    );
    assert.equal(
      denial('sidetag', { tag: 31, number_of_tags: 1 }, { ...noCatchAll, verbosePolicy: true }),
      'policy violation (sidetag): not covered by policy [rule: (no match)]',
    );
  });

  test('case 7: no sidetag policy and MissingPolicyOk → allowed, any number', () => {
    const c = assertPolicy('sidetag', { tag: 31, number_of_tags: 1000 }, context({}));
    assert.equal(c.allowed, true);
    assert.equal(c.missing, true);
  });
});

test('§3.7 B: negation — `tag *-build !! deny …`', () => {
  const ctx = context({ sidetag: 'tag *-build !! deny Sidetags only from build tags\nall :: allow' });
  const fromBuildTag = assertPolicy('sidetag', { tag: 40 }, ctx);
  assert.equal(fromBuildTag.trace, 'all :: allow');
  assert.equal(
    denial('sidetag', { tag: 4 }, ctx),
    'policy violation (sidetag): sidetags only from build tags',
  );
  assert.equal(
    denial('sidetag', { tag: 4 }, { ...ctx, verbosePolicy: true }),
    'policy violation (sidetag): sidetags only from build tags [rule: tag *-build !! deny Sidetags only from build tags]',
  );
});

describe('§3.7 C: nested blocks and fall-through', () => {
  const ctx = context({
    sidetag: [
      'has_perm admin :: allow',
      'user_in_group packagers :: {',
      '    tag f4*-build && compare number_of_tags < 10 :: allow',
      '    tag eln-build :: deny ELN sidetags are disabled',
      '}',
      'all :: deny Not allowed',
    ].join('\n'),
  });

  test('an admin matches rule 1', () => {
    const c = assertPolicy('sidetag', { tag: 41, number_of_tags: 50 }, { ...ctx, sessionUserId: ADMIN });
    assert.equal(c.trace, 'has_perm admin :: allow');
  });

  test('a packager on f41-build with 4 tags: allowed inside the block', () => {
    const c = assertPolicy('sidetag', { tag: 41, number_of_tags: 4 }, ctx);
    assert.equal(
      c.trace,
      'user_in_group packagers :: ... tag f4*-build && compare number_of_tags < 10 :: allow',
    );
    assert.deepEqual(c.trail, [
      { line: 2, rule: 'user_in_group packagers :: {' },
      { line: 3, rule: 'tag f4*-build && compare number_of_tags < 10 :: allow' },
    ]);
  });

  test('a packager on f41-build with 12 tags falls through to Not allowed', () => {
    assert.equal(
      denial('sidetag', { tag: 41, number_of_tags: 12 }, ctx),
      'policy violation (sidetag): not allowed',
    );
    assert.equal(
      checkPolicy('sidetag', { tag: 41, number_of_tags: 12 }, ctx).trace,
      'all :: deny Not allowed',
    );
  });

  test('a packager on eln-build: ELN sidetags are disabled', () => {
    assert.equal(
      denial('sidetag', { tag: 50, number_of_tags: 0 }, ctx),
      'policy violation (sidetag): eln sidetags are disabled',
    );
  });

  test('a non-packager: Not allowed', () => {
    assert.equal(
      denial('sidetag', { tag: 41, number_of_tags: 0 }, { ...ctx, sessionUserId: BOB }),
      'policy violation (sidetag): not allowed',
    );
  });
});

describe('§3.7 D: owner-only tagging through the tag policy', () => {
  const tagPolicy = [
    'has_perm admin :: allow',
    'operation tag move && is_sidetag :: {',
    '    operation move && is_sidetag_owner both :: allow',
    '    operation tag && is_sidetag_owner :: allow',
    '    all :: deny Only the sidetag owner may tag into it',
    '}',
    'operation untag && is_sidetag_owner fromtag :: allow',
    'all :: deny',
  ].join('\n');
  const ctx = context({ tag: tagPolicy });

  const rows: ReadonlyArray<readonly [string, PolicyData, number, string | null]> = [
    ['the owner tags into their sidetag', { operation: 'tag', tag: 100, fromtag: null }, ALICE, null],
    [
      'someone else tags into it',
      { operation: 'tag', tag: 100, fromtag: null },
      BOB,
      'policy violation (tag): only the sidetag owner may tag into it',
    ],
    ['the owner moves between their sidetags', { operation: 'move', tag: 100, fromtag: 100 }, ALICE, null],
    [
      'a move from someone else’s sidetag',
      { operation: 'move', tag: 100, fromtag: 101 },
      ALICE,
      'policy violation (tag): only the sidetag owner may tag into it',
    ],
    ['the owner untags from their sidetag', { operation: 'untag', tag: null, fromtag: 100 }, ALICE, null],
    ['someone else untags', { operation: 'untag', tag: null, fromtag: 100 }, BOB, 'policy violation (tag)'],
    ['an admin does anything', { operation: 'untag', tag: null, fromtag: 101 }, ADMIN, null],
    [
      'tagging into a normal tag',
      { operation: 'tag', tag: 40, fromtag: null },
      ALICE,
      'policy violation (tag)',
    ],
  ];
  for (const [title, data, user, expected] of rows) {
    test(`${title} → ${expected ?? 'allowed'}`, () => {
      assert.equal(denial('tag', data, { ...ctx, sessionUserId: user }), expected);
    });
  }

  test('a bare is_sidetag_owner reached by an untag denies instead of failing the untag (Koji crashes)', () => {
    const bare = context({ tag: 'is_sidetag_owner :: allow\nall :: deny' }, { sessionUserId: BOB });
    assert.equal(
      denial('tag', { operation: 'untag', tag: null, fromtag: 101 }, bare),
      'policy violation (tag)',
    );
    const bareIs = context({ tag: 'is_sidetag :: allow\nall :: deny' });
    assert.equal(
      denial('tag', { operation: 'untag', tag: null, fromtag: 101 }, bareIs),
      'policy violation (tag)',
    );
  });
});

test('§3.7 E: package_list — match action block && is_sidetag_owner :: allow', () => {
  const ctx = context({ package_list: 'match action block && is_sidetag_owner :: allow\nall :: deny' });
  const data = (action: string, tag: number) => ({ tag, action, package: 'foo', force: false });
  assert.equal(denial('package_list', data('block', 100), ctx), null);
  assert.equal(denial('package_list', data('block', 101), ctx), 'policy violation (package_list)');
  assert.equal(denial('package_list', data('add', 100), ctx), 'policy violation (package_list)');
});

test('§3.7 F: runroot channel — method runroot :: use runroot-x86, else the default channel policy', () => {
  const fixed = parsePolicies({ channel: 'method runroot :: use runroot-x86' }, registry);
  assert.equal(
    evaluatePolicy(fixed.get('channel')!, { method: 'runroot', req_channel: 'override' }).action,
    'use runroot-x86',
  );
  const defaults = parsePolicies({}, registry, { withKojiDefaults: true });
  const channel = defaults.get('channel')!;
  assert.equal(
    KOJI_DEFAULT_POLICIES['channel'],
    'has req_channel :: req\nis_child_task :: parent\nall :: use default',
  );
  assert.equal(evaluatePolicy(channel, { method: 'runroot', req_channel: 'runroot' }).action, 'req');
  assert.equal(evaluatePolicy(channel, { method: 'runroot' }).action, 'use default');
});
