// Koji's SimpleRuleSet.apply / last_rule / all_actions (spec §3.3, §6.8.12, 13, 15, 20).
// §6.8.15's "last_rule() is None before apply" has no counterpart: evaluation keeps no state.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { allActions, evalPolicy, evaluatePolicy } from './policy.evaluator.js';
import { parsePolicy } from './policy.parser.js';
import { PolicyTestRegistry } from './policy.registry.js';
import { BUILTIN_POLICY_TESTS } from './policy.tests.js';
import { NO_FACTS } from './policy.facts.js';
import type { PolicyData, PolicyTestDefinition } from './policy.types.js';

const registry = new PolicyTestRegistry(BUILTIN_POLICY_TESTS);
const compile = (text: string) => parsePolicy('p', text, registry);
const apply = (text: string, data: PolicyData = {}) => evaluatePolicy(compile(text), data);

test('§6.8.12 a one-rule policy compiles; all_actions gives its verbs', () => {
  assert.deepEqual(allActions(compile('true :: allow')), ['allow']);
});

test('§6.8.13 apply: a match returns the action, no match returns null', () => {
  assert.equal(apply('true :: allow').action, 'allow');
  assert.equal(apply('false :: allow').action, null);
});

describe('§6.8.15 last_rule (the trace)', () => {
  const rows: ReadonlyArray<readonly [string, string]> = [
    ['none :: allow', '(no match)'],
    ['all :: allow', 'all :: allow'],
    ['none !! allow', 'none !! allow'],
    ['all :: {\n    all :: {\n        all :: allow\n    }\n}', 'all :: ... all :: ... all :: allow'],
    ['', '(no match)'],
    // the segments' own spacing is kept, as Koji joins str(test) with &&
    ['true  &&   all   :: allow', 'true  &&   all   :: allow'],
  ];
  for (const [policy, trace] of rows) {
    test(`${JSON.stringify(policy)} → ${JSON.stringify(trace)}`, () => {
      assert.equal(apply(policy).trace, trace);
    });
  }
});

test('§6.8.20 the complex policy: comments, blanks, never-matching rules, nested has DEPTH', () => {
  const policy = compile(`
# A comment at the top

#^ a blank line above
# commented test && true :: some result

# rules that never match
false :: ERROR
none :: ERROR

true !! ERROR
all !! ERROR

false && true && true :: ERROR
none && true && true :: ERROR

has NOSUCHFIELD :: ERROR

# nesting
has DEPTH :: {
    match DEPTH 1 :: 1
    all :: {
        match DEPTH 2 :: 2
        all :: {
            match DEPTH 3 :: 3
            all :: {
                match DEPTH 4 :: 4
                all :: END
            }
        }
    }
}
`);
  for (const depth of ['1', '2', '3', '4']) {
    assert.equal(evaluatePolicy(policy, { DEPTH: depth }).action, depth);
  }
  assert.equal(evaluatePolicy(policy, { DEPTH: '99' }).action, 'END');
  assert.deepEqual(new Set(allActions(policy)), new Set(['1', '2', '3', '4', 'ERROR', 'END']));
});

describe('evaluation order', () => {
  /** A test that records that it ran. */
  function spy(log: string[]): PolicyTestDefinition {
    return { name: 'spy', compile: (args) => () => (log.push(args[0]!), args[1] === 'T') };
  }

  test('tests run left to right and stop at the first false', () => {
    const log: string[] = [];
    const reg = new PolicyTestRegistry(BUILTIN_POLICY_TESTS, [spy(log)]);
    const policy = parsePolicy('p', 'spy a T && spy b F && spy c T :: x\nspy d T :: y', reg);
    assert.equal(evaluatePolicy(policy, {}).action, 'y');
    assert.deepEqual(log, ['a', 'b', 'd']);
  });

  test('the first matching rule wins', () => {
    assert.equal(apply('has a :: first\nhas a :: second\nall :: third', { a: 1 }).action, 'first');
  });

  test('a nested block that matches nothing falls through to the next rule', () => {
    const text = 'has a :: {\n  has b :: inner\n}\nall :: after';
    assert.equal(apply(text, { a: 1, b: 1 }).action, 'inner');
    const fell = apply(text, { a: 1 });
    assert.equal(fell.action, 'after');
    assert.equal(fell.trace, 'all :: after');
    assert.deepEqual(fell.trail, [{ line: 4, rule: 'all :: after' }]);
  });

  test('no match in a policy whose last rule is a block that matched keeps that block in the trace', () => {
    const r = apply('none :: x\nall :: {\n  none :: y\n}', {});
    assert.equal(r.action, null);
    assert.equal(r.trace, 'all :: (no match)');
    assert.deepEqual(r.trail, []);
  });

  test("inside a block, Koji's trace keeps a dead-end block; the trail does not", () => {
    const r = apply('all :: {\n  all :: {\n    none :: x\n  }\n  all :: y\n}', {});
    assert.equal(r.action, 'y');
    assert.equal(r.trace, 'all :: ... all :: ... all :: y');
    assert.deepEqual(r.trail, [
      { line: 1, rule: 'all :: {' },
      { line: 5, rule: 'all :: y' },
    ]);
  });
});

describe('the result', () => {
  test('verb and reason split the action on the first whitespace, as written', () => {
    const r = apply('all :: deny  Too many   sidetags');
    assert.equal(r.action, 'deny  Too many   sidetags');
    assert.equal(r.verb, 'deny');
    assert.equal(r.reason, 'Too many   sidetags');
    assert.equal(r.policy, 'p');
  });

  test('the trail lists each matched rule with its line, down to the action', () => {
    const r = apply('none :: a\nhas x :: {\n  # comment\n  has y && has x :: deny because\n}', {
      x: 1,
      y: 2,
    });
    assert.deepEqual(r.trail, [
      { line: 2, rule: 'has x :: {' },
      { line: 4, rule: 'has y && has x :: deny because' },
    ]);
    assert.equal(r.trace, 'has x :: ... has y && has x :: deny because');
  });

  test('no match: null action and verb, empty reason and trail', () => {
    const r = apply('none :: allow');
    assert.equal(r.action, null);
    assert.equal(r.verb, null);
    assert.equal(r.reason, '');
    assert.deepEqual(r.trail, []);
  });

  test('evaluations are independent: one policy object, interleaved data', () => {
    const policy = compile('has a :: A\nall :: B');
    const first = evaluatePolicy(policy, { a: 1 });
    const second = evaluatePolicy(policy, {});
    assert.equal(first.trace, 'has a :: A');
    assert.equal(second.trace, 'all :: B');
  });

  test('an exception inside a test propagates', () => {
    assert.throws(() => apply('compare n < 3 :: x', { n: 'abc' }), /not supported between/);
  });
});

test('evalPolicy: the raw action of a named policy; a missing one is an error', () => {
  const policies = new Map([['p', compile('all :: use runroot-x86')]]);
  assert.equal(evalPolicy('p', {}, { facts: NO_FACTS, policies }), 'use runroot-x86');
  assert.throws(
    () => evalPolicy('nope', {}, { facts: NO_FACTS, policies }),
    /^GenericError: no such policy: nope$/,
  );
});
