// Koji's tests/test_lib/test_policy.py (spec §6.8) for the built-in tests, as tables.
// §6.8.1 (BaseSimpleTest.run, abstract in Koji, raises when called) has no counterpart: a test is a definition
// with a compile function, there is no abstract base class to instantiate.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { KojiError } from '../kernel/errors.js';
import { evaluatePolicy } from './policy.evaluator.js';
import { PolicySyntaxError } from './policy.errors.js';
import { parsePolicy } from './policy.parser.js';
import { PolicyTestRegistry, createPolicyRegistry } from './policy.registry.js';
import { BUILTIN_POLICY_TESTS, boolTest, compareTest, matchTest } from './policy.tests.js';
import type { PolicyData } from './policy.types.js';

const registry = new PolicyTestRegistry(BUILTIN_POLICY_TESTS);

/** Whether the test segment `text` holds for `data`. */
function holds(text: string, data: PolicyData, reg = registry): boolean {
  return evaluatePolicy(parsePolicy('t', `${text} :: yes`, reg), data).action === 'yes';
}

type Row = readonly [test: string, data: PolicyData, expected: boolean];

function table(title: string, rows: readonly Row[]) {
  describe(title, () => {
    for (const [text, data, expected] of rows) {
      test(`${text} on ${JSON.stringify(data)} → ${expected}`, () => {
        assert.equal(holds(text, data), expected);
      });
    }
  });
}

table('§6.8.2 true/all/false/none (arguments ignored)', [
  ['true', {}, true],
  ['all', {}, true],
  ['false', {}, false],
  ['none', {}, false],
  ['true whatever args', {}, true],
  ['none whatever args', { x: 1 }, false],
]);

table('§6.8.3 has: the key is present, even with None', [
  ['has thing', {}, false],
  ['has thing', { blah: 'blah' }, false],
  ['has thing', { thing: 'blah' }, true],
  ['has thing', { thing: null }, true],
  ['has thing', { thing: false }, true],
]);

test('§6.8.3 has without a field is a GenericError at parse time', () => {
  assert.throws(
    () => parsePolicy('t', 'has :: allow', registry),
    (e: unknown) =>
      e instanceof PolicySyntaxError &&
      e.faultName === 'GenericError' &&
      e.message.endsWith('Invalid or missing field in policy test'),
  );
});

table("§6.8.4 bool: missing → F, otherwise Python's truthiness", [
  ['bool thing', { thing: null }, false],
  ['bool thing', { thing: [] }, false],
  ['bool thing', {}, false],
  ['bool thing', { thing: 'yes' }, true],
  ['bool thing', { thing: '' }, false],
  ['bool thing', { thing: 0 }, false],
  ['bool thing', { thing: 0.5 }, true],
  ['bool thing', { thing: {} }, false],
  ['bool thing', { thing: { a: 1 } }, true],
  ['bool thing', { thing: [0] }, true],
  ['bool thing', { thing: true }, true],
]);

table('§6.8.5 match: globs, case-sensitive, missing or None → F', [
  ['match thing else', { thing: 'elseplus' }, false],
  ['match thing else*', { thing: 'elseplus' }, true],
  ['match thing else*', {}, false],
  ['match thing else*', { thing: null }, false],
  ['match thing ELSE*', { thing: 'elseplus' }, false],
  ['match thing foo bar*', { thing: 'barx' }, true],
  ['match thing */x', { thing: 'a/b/x' }, true],
  ['match thing', { thing: 'anything' }, false],
]);

test('§6.8.5 / §7 P2 match on a non-string raises (Python TypeError) instead of matching', () => {
  assert.throws(
    () => holds('match thing 4*', { thing: 42 }),
    (e: unknown) =>
      e instanceof KojiError && e.message === 'expected str, bytes or os.PathLike object, not int',
  );
});

table('§6.8.6 target', [
  ['target valid', { target: 'valid' }, true],
  ['target valid', { target: 'else' }, false],
  ['target valid else*', { target: 'valid' }, true],
  ['target valid else*', { target: 'elseplus' }, true],
  ['target valid', {}, false],
]);

table('§6.8.7 compare: six operators on ints and floats, missing → F', [
  ['compare thing > 2', { thing: 1 }, false],
  ['compare thing > 2', { thing: 2 }, false],
  ['compare thing > 2', { thing: 3 }, true],
  ['compare thing > 2', {}, false],
  ['compare thing < 1.5', { thing: 3.2 }, false],
  ['compare thing < 1.5', { thing: 1.0 }, true],
  ['compare thing < 1.5', {}, false],
  ['compare thing = 42', { thing: 54 }, false],
  ['compare thing = 42', { thing: 42 }, true],
  ['compare thing = 42', {}, false],
  ['compare thing != 99', { thing: 99 }, false],
  ['compare thing != 99', { thing: 100 }, true],
  ['compare thing != 99', {}, false],
  ['compare thing >= 2', { thing: 1 }, false],
  ['compare thing >= 2', { thing: 2 }, true],
  ['compare thing >= 2', { thing: 3 }, true],
  ['compare thing >= 2', {}, false],
  ['compare thing <= 5', { thing: 23 }, false],
  ['compare thing <= 5', { thing: 5 }, true],
  ['compare thing <= 5', { thing: 0 }, true],
  ['compare thing <= 5', {}, false],
  // Python's number literals and comparisons
  ['compare thing = 1e3', { thing: 1000 }, true],
  ['compare thing < 1_000', { thing: 999 }, true],
  ['compare thing > -inf', { thing: -1e308 }, true],
  ['compare thing = 1', { thing: true }, true],
  ['compare thing = 42', { thing: '42' }, false],
  ['compare thing != 42', { thing: '42' }, true],
  ['compare thing = 0', { thing: null }, false],
  ['compare thing != 0', { thing: null }, true],
]);

describe('compare errors', () => {
  test('§6.8.8 an unknown operator (including ==) is a GenericError at parse time', () => {
    for (const op of ['LOL', '==', '=<']) {
      assert.throws(
        () => parsePolicy('t', `compare thing ${op} 2 :: allow`, registry),
        (e: unknown) => e instanceof PolicySyntaxError && e.data.detail === 'Invalid comparison in test.',
      );
    }
  });

  // the segment keeps the space before `::`, and so does Python's message
  test('extra words end up in the number and fail like ValueError', () => {
    assert.throws(
      () => parsePolicy('t', 'compare thing < 10 extra :: allow', registry),
      (e: unknown) =>
        e instanceof PolicySyntaxError && e.data.detail === "could not convert string to float: '10 extra '",
    );
  });

  test('too few words fail at parse time', () => {
    assert.throws(
      () => parsePolicy('t', 'compare thing < :: allow', registry),
      (e: unknown) =>
        e instanceof PolicySyntaxError && e.data.detail === 'not enough values to unpack (expected 3, got 2)',
    );
  });

  test('§7 P2 ordering a non-number raises (Python TypeError)', () => {
    assert.throws(
      () => holds('compare thing < 10', { thing: 'abc' }),
      (e: unknown) =>
        e instanceof KojiError && e.message === "'<' not supported between instances of 'str' and 'int'",
    );
    assert.throws(
      () => holds('compare thing >= 1.5', { thing: null }),
      (e: unknown) =>
        e instanceof KojiError &&
        e.message === "'>=' not supported between instances of 'NoneType' and 'float'",
    );
  });
});

table('§6.8.9 match_any foo *bar* ext', [
  ['match_any foo *bar* ext', { foo: ['barrrr', 'any'] }, true],
  ['match_any foo *bar* ext', { foo: [null, 'bbbbbarrr', null] }, true],
  ['match_any foo *bar* ext', { foo: ['nah....'] }, false],
  ['match_any foo *bar* ext', { foo: 'barrrr' }, false],
  ['match_any foo *bar* ext', {}, false],
  ['match_any foo *bar* ext', { foo: [] }, false],
  ['match_any foo *bar* ext', { foo: ['ext'] }, true],
  ['match_any foo 4*', { foo: [42] }, true],
]);

table('§6.8.10 match_all foo *bar* ext', [
  ['match_all foo *bar* ext', { foo: ['barrrr', 'bbbarrr'] }, true],
  ['match_all foo *bar* ext', { foo: ['barrrr', 'nah'] }, false],
  ['match_all foo *bar* ext', { foo: ['barrrr', null] }, false],
  ['match_all foo *bar* ext', { foo: 'barrrr' }, false],
  ['match_all foo *bar* ext', {}, false],
  ['match_all foo *bar* ext', { foo: [] }, false],
  ['match_all foo *bar* ext', { foo: ['ext', 'xbarx'] }, true],
]);

test('match_any / match_all accept a Set (Python set)', () => {
  assert.equal(holds('match_any foo a*', { foo: new Set(['x', 'ab']) }), true);
  assert.equal(holds('match_all foo a*', { foo: new Set(['x', 'ab']) }), false);
});

test('§6.8.11 the built-in tests are exactly those of koji.policy', () => {
  assert.deepEqual(BUILTIN_POLICY_TESTS.map((t) => t.name).sort(), [
    'all',
    'bool',
    'compare',
    'false',
    'has',
    'match',
    'match_all',
    'match_any',
    'none',
    'target',
    'true',
  ]);
});

describe('§6.8.14 custom tests, like Koji subclasses', () => {
  const custom = createPolicyRegistry([
    boolTest('bool_check', 'boolfield'),
    matchTest('match_check', 'matchfield'),
    compareTest('myvar', { field: 'some_field', allowFloat: false }),
  ]);

  test('a BoolTest subclass: bool_check :: True, all :: False', () => {
    const policy = parsePolicy('t', 'bool_check :: True\nall :: False', custom);
    assert.equal(evaluatePolicy(policy, { boolfield: true }).action, 'True');
    assert.equal(evaluatePolicy(policy, { boolfield: 0 }).action, 'False');
    assert.equal(evaluatePolicy(policy, {}).action, 'False');
  });

  test('a MatchTest subclass: every argument is a pattern', () => {
    const policy = parsePolicy('t', 'match_check foo* :: foo\nmatch_check * :: bar', custom);
    assert.equal(evaluatePolicy(policy, { matchfield: 'foo1234' }).action, 'foo');
    assert.equal(evaluatePolicy(policy, { matchfield: 'not foo' }).action, 'bar');
  });

  test('an int-only CompareTest subclass', () => {
    const policy = parsePolicy('t', 'myvar = 37 :: get back here', custom);
    assert.equal(evaluatePolicy(policy, { some_field: 37 }).action, 'get back here');
    assert.equal(evaluatePolicy(policy, { some_field: 38 }).action, null);
  });

  test('an int-only CompareTest refuses a float at parse time (ValueError)', () => {
    assert.throws(
      () => parsePolicy('t', 'myvar = 2.718281828 :: get back here', custom),
      (e: unknown) =>
        e instanceof PolicySyntaxError &&
        e.data.detail === "invalid literal for int() with base 10: '2.718281828 '",
    );
  });
});

test('deliberate: bool/match/match_any/match_all without a field fail at parse time', () => {
  for (const name of ['bool', 'match', 'match_any', 'match_all']) {
    assert.throws(
      () => parsePolicy('t', `${name} :: allow`, registry),
      (e: unknown) =>
        e instanceof PolicySyntaxError && e.data.detail === 'Invalid or missing field in policy test',
    );
  }
});
