// The grammar of Koji's SimpleRuleSet.parse_line / parse_rules (spec §3.2, §6.8.16–19, §7 P1).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy } from './policy.evaluator.js';
import { PolicySyntaxError } from './policy.errors.js';
import { KOJI_DEFAULT_POLICIES, parsePolicies, parsePolicy } from './policy.parser.js';
import { PolicyTestRegistry, createPolicyRegistry } from './policy.registry.js';
import { BUILTIN_POLICY_TESTS } from './policy.tests.js';
import type { PolicyRule } from './policy.types.js';

const registry = new PolicyTestRegistry(BUILTIN_POLICY_TESTS);

/** An assert.throws validator for a PolicySyntaxError with Koji's `detail` at `line`. */
function syntaxError(detail: string, line: number) {
  return (e: unknown) => {
    assert.ok(e instanceof PolicySyntaxError, `expected PolicySyntaxError, got ${String(e)}`);
    assert.equal(e.faultName, 'GenericError');
    assert.equal(e.faultCode, 1000);
    assert.equal(e.data.detail, detail);
    assert.equal(e.data.line, line);
    return true;
  };
}

const only = (text: string): PolicyRule => {
  const { rules } = parsePolicy('p', text, registry);
  assert.equal(rules.length, 1);
  return rules[0]!;
};

describe('a rule line', () => {
  test('tests joined by && before ::, the action after it, surrounding space stripped', () => {
    const rule = only('   has tag && compare number_of_tags <= 10 :: allow  ');
    assert.equal(rule.text, 'has tag && compare number_of_tags <= 10 :: allow');
    assert.equal(rule.testsText, 'has tag && compare number_of_tags <= 10 ');
    assert.deepEqual(
      rule.tests.map((t) => [t.name, t.text]),
      [
        ['has', 'has tag '],
        ['compare', ' compare number_of_tags <= 10 '],
      ],
    );
    assert.equal(rule.negate, false);
    assert.equal(rule.action, 'allow');
    assert.equal(rule.line, 1);
  });

  test('!! negates the whole conjunction', () => {
    const rule = only('has tag && true !! deny Sidetags only from build tags');
    assert.equal(rule.negate, true);
    assert.equal(rule.action, 'deny Sidetags only from build tags');
  });

  test('the last :: is the separator, and :: wins over !! wherever they are', () => {
    // §7 P1: a reason containing :: is mis-split
    const rule = only('all :: deny see docs::x');
    assert.equal(rule.action, 'x');
    assert.equal(rule.testsText, 'all :: deny see docs');
    assert.equal(
      evaluatePolicy(parsePolicy('p', 'all :: deny see docs::x', registry), {}).trace,
      'all :: deny see docs:: x',
    );
    const mixed = only('true !! x :: y');
    assert.equal(mixed.negate, false);
    assert.equal(mixed.action, 'y');
    const lastBang = only('none !! a !! b');
    assert.equal(lastBang.negate, true);
    assert.equal(lastBang.action, 'b');
  });

  test('the action may be empty, and it still counts as a match', () => {
    const policy = parsePolicy('p', 'all ::', registry);
    assert.equal(evaluatePolicy(policy, {}).action, '');
  });

  test('blank lines and comments are skipped; a # anywhere starts a comment', () => {
    const policy = parsePolicy(
      'p',
      '\n# comment\n   \n  # indented comment\nhas x :: allow # trailing\n',
      registry,
    );
    assert.equal(policy.rules.length, 1);
    assert.equal(policy.rules[0]!.action, 'allow');
    assert.equal(policy.rules[0]!.line, 5);
  });

  test('§7 P1: a # inside a glob truncates the line', () => {
    assert.throws(
      () => parsePolicy('p', 'match foo a#b :: allow', registry),
      syntaxError('bad policy line: match foo a', 1),
    );
    // and a # inside a reason silently shortens it
    assert.equal(only('all :: deny see #42').action, 'deny see');
  });

  test("lines split like Python's splitlines (\\r\\n, \\r, \\n)", () => {
    const policy = parsePolicy('p', 'none :: a\r\nnone :: b\rall :: c\n', registry);
    assert.deepEqual(
      policy.rules.map((r) => [r.line, r.action]),
      [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ],
    );
  });

  test('a list of lines is accepted as well', () => {
    assert.equal(parsePolicy('p', ['', 'true :: allow'], registry).rules[0]!.line, 2);
  });
});

describe('nested blocks', () => {
  test('tests :: { … } nests, and the block keeps its line', () => {
    const policy = parsePolicy(
      'p',
      'has a :: {\n  has b :: {\n    all :: deep\n  }\n  all :: mid\n}\nall :: top',
      registry,
    );
    assert.equal(policy.rules.length, 2);
    const outer = policy.rules[0]!;
    assert.equal(outer.line, 1);
    assert.equal(outer.text, 'has a :: {');
    assert.ok(Array.isArray(outer.action));
    const inner = outer.action as readonly PolicyRule[];
    assert.deepEqual(
      inner.map((r) => r.line),
      [2, 5],
    );
    assert.equal((inner[0]!.action as readonly PolicyRule[])[0]!.action, 'deep');
  });

  test('a negated block', () => {
    const policy = parsePolicy('p', 'has a !! {\n  all :: no-a\n}', registry);
    assert.equal(evaluatePolicy(policy, {}).action, 'no-a');
    assert.equal(evaluatePolicy(policy, { a: 1 }).action, null);
  });

  test('an action } after tests closes the block, like a lone }', () => {
    const policy = parsePolicy('p', 'all :: {\n  none :: inner\n  true :: }\nall :: outer', registry);
    assert.equal(policy.rules.length, 2);
    assert.equal(evaluatePolicy(policy, {}).action, 'outer');
  });

  test('§6.8.16 an unclosed { is a nesting error, reported at the opening line', () => {
    assert.throws(() => parsePolicy('p', 'true :: {', registry), syntaxError('nesting error in rule set', 1));
    assert.throws(
      () => parsePolicy('p', 'all :: allow\ntrue :: {\n  has a :: {\n  }\n  all :: x', registry),
      syntaxError('nesting error in rule set', 2),
    );
  });

  test('§6.8.17 a } with nothing open is a nesting error', () => {
    assert.throws(() => parsePolicy('p', 'true :: }', registry), syntaxError('nesting error in rule set', 1));
    assert.throws(
      () => parsePolicy('p', 'all :: x\n}', registry),
      syntaxError('nesting error in rule set', 2),
    );
  });

  test('the closing brace must be alone on its line: }} is a bad line', () => {
    assert.throws(
      () => parsePolicy('p', 'all :: {\n  all :: {\n  all :: x\n}}', registry),
      syntaxError('bad policy line: }}', 4),
    );
  });
});

describe('errors', () => {
  test('§6.8.18 a line without :: or !! is a bad policy line', () => {
    assert.throws(
      () => parsePolicy('p', 'true && true', registry),
      syntaxError('bad policy line: true && true', 1),
    );
  });

  test('§6.8.19 an unknown test is a missing test handler', () => {
    assert.throws(
      () => parsePolicy('p', 'true :: allow\nNOSUCHHANDLER && true :: allow', registry),
      syntaxError('missing test handler: NOSUCHHANDLER', 2),
    );
  });

  test('an empty test segment is a bad policy line (Koji: IndexError)', () => {
    assert.throws(() => parsePolicy('p', ':: allow', registry), syntaxError('bad policy line: :: allow', 1));
    assert.throws(
      () => parsePolicy('p', 'true && && true :: allow', registry),
      syntaxError('bad policy line: true && && true :: allow', 1),
    );
  });

  test('there is no ||: it is just an argument of the test before it', () => {
    const policy = parsePolicy('p', 'has a || has b :: allow', registry);
    assert.equal(policy.rules[0]!.tests.length, 1);
    assert.equal(evaluatePolicy(policy, { b: 1 }).action, null);
    assert.equal(evaluatePolicy(policy, { a: 1 }).action, 'allow');
  });

  test('the message names the policy and the line, then gives Koji’s wording', () => {
    assert.throws(
      () => parsePolicy('sidetag', 'all :: allow\n\nnosuch :: deny', registry),
      (e: unknown) =>
        e instanceof PolicySyntaxError &&
        e.message === 'policy sidetag, line 3: missing test handler: nosuch',
    );
  });

  test('a line offset and a file turn the line into a file line', () => {
    assert.throws(
      () =>
        parsePolicy('sidetag', 'all :: allow\nnosuch :: deny', registry, {
          file: 'config/hub/hub.conf',
          lineOffset: 40,
        }),
      (e: unknown) =>
        e instanceof PolicySyntaxError &&
        e.data.line === 42 &&
        e.data.file === 'config/hub/hub.conf' &&
        e.data.policy === 'sidetag' &&
        e.message === 'config/hub/hub.conf: policy sidetag, line 42: missing test handler: nosuch',
    );
  });

  test('rules keep the offset line numbers too', () => {
    const policy = parsePolicy('p', '\nall :: allow', registry, { lineOffset: 9 });
    assert.equal(policy.rules[0]!.line, 11);
  });
});

describe('parsePolicies', () => {
  const hub = createPolicyRegistry();

  test('compiles every policy of a [policy] section into a set', () => {
    const set = parsePolicies({ sidetag: 'all :: deny', channel: 'method runroot :: use runroot-x86' }, hub);
    assert.deepEqual([...set.keys()], ['sidetag', 'channel']);
    assert.equal(set.get('sidetag')!.rules[0]!.action, 'deny');
  });

  test('per-policy line offsets and the file name reach the errors', () => {
    assert.throws(
      () =>
        parsePolicies({ ok: 'all :: allow', sidetag: '\n    all :: allow\n    all :: {' }, hub, {
          file: 'hub.conf',
          lineOffsets: { sidetag: 20 },
        }),
      (e: unknown) =>
        e instanceof PolicySyntaxError &&
        e.message === 'hub.conf: policy sidetag, line 23: nesting error in rule set',
    );
  });

  test("withKojiDefaults adds Koji's default policies that are not configured", () => {
    const set = parsePolicies({ build_rpm: 'all :: deny' }, hub, { withKojiDefaults: true });
    assert.deepEqual([...set.keys()].sort(), Object.keys(KOJI_DEFAULT_POLICIES).sort());
    assert.equal(evaluatePolicy(set.get('build_rpm')!, {}).action, 'deny');
    assert.equal(evaluatePolicy(set.get('channel')!, { req_channel: 'runroot' }).action, 'req');
    assert.equal(evaluatePolicy(set.get('channel')!, { parent: 7 }).action, 'parent');
    assert.equal(evaluatePolicy(set.get('channel')!, {}).action, 'use default');
    assert.equal(set.has('sidetag'), false);
    assert.equal(set.has('tag'), false);
  });

  test('a test limited to some policies is a missing handler elsewhere (Koji’s `policy` attribute)', () => {
    const limited = createPolicyRegistry([
      { name: 'only_here', policies: ['sidetag'], compile: () => () => true },
    ]);
    assert.equal(parsePolicies({ sidetag: 'only_here :: allow' }, limited).get('sidetag')!.rules.length, 1);
    assert.throws(
      () => parsePolicies({ tag: 'only_here :: allow' }, limited),
      syntaxError('missing test handler: only_here', 1),
    );
  });
});
