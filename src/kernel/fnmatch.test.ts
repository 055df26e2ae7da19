import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fnmatch, fnmatchAny, fnmatchTranslate, translateSource } from './fnmatch.js';

// spec platform-notes §6.3, the "fnmatch" column (Python 3.11 fnmatch.fnmatchcase).
const PLATFORM_TABLE: ReadonlyArray<readonly [string, string, boolean]> = [
  ['etc/keytabs.d/sub.keytab', '*/etc/*.keytab', false],
  ['x/etc/keytabs.d/sub.keytab', '*/etc/*.keytab', true],
  ['var/lib/mock/x/root/etc/keytabs.d/sub.keytab', '*/etc/*.keytab', true],
  ['var/lib/mock/x/root/etc/krb5.keytab', '*/etc/*.keytab', true],
  ['etc/krb5.keytab', '*/etc/*.keytab', false],
  ['x/etc/sub/deeper/y.keytab', '*/etc/*.keytab', true],
  ['x/ETC/krb5.keytab', '*/etc/*.keytab', false],
  ['x/etc/a.keytab', '*/etc/*.KEYTAB', false],
  ['var/lib/mock/x/root/tmp/krb5cc', '*/tmp/krb5cc', true],
  ['var/lib/mock/x/root/tmp/krb5cc_1000', '*/tmp/krb5cc', false],
  ['var/lib/mock/x/root/.cache/tmp/krb5cc', '*/tmp/krb5cc', true],
  ['.cache/tmp/krb5cc', '*/tmp/krb5cc', true],
  ['builddir/.cache/tmp/krb5cc_hidden', '**/tmp/krb5cc*', true],
  ['builddir/.cache/tmp/krb5cc_hidden', '*/tmp/krb5cc*', true],
  ['tmp/krb5cc_0', '**/tmp/krb5cc*', false],
  ['tmp/notkrb5cc', '*/tmp/krb5cc*', false],
  ['etc/krb5.keytab', '/etc/*.keytab', false],
  ['a/b/c.txt', '*.txt', true],
  ['a/.hidden/c.txt', '*.txt', true],
  ['.hidden.keytab', '*.keytab', true],
  ['a/b/c', 'a*c', true],
  ['a/.b/c', 'a*c', true],
  ['a/b', 'a?b', true],
  ['ab', 'a{b,c}', false],
  ['bar', '!foo', false],
  ['ab', '+(a|b)', false],
];

describe('fnmatch: platform-notes §6.3 truth table', () => {
  for (const [name, pattern, expected] of PLATFORM_TABLE) {
    test(`${JSON.stringify(name)} vs ${JSON.stringify(pattern)} → ${expected}`, () => {
      assert.equal(fnmatch(name, pattern), expected);
    });
  }
});

describe("fnmatch: CPython's test_fnmatch cases", () => {
  // test_fnmatch: the basic cases, the `\` in sets, and names with newlines
  const basic: ReadonlyArray<readonly [string, string, boolean]> = [
    ['abc', 'abc', true],
    ['abc', '?*?', true],
    ['abc', '???*', true],
    ['abc', '*???', true],
    ['abc', '???', true],
    ['abc', '*', true],
    ['abc', 'ab[cd]', true],
    ['abc', 'ab[!de]', true],
    ['abc', 'ab[de]', false],
    ['a', '??', false],
    ['a', 'b', false],
    ['\\', '[\\]', true],
    ['a', '[!\\]', true],
    ['\\', '[!\\]', false],
    ['foo\nbar', 'foo*', true],
    ['foo\nbar\n', 'foo*', true],
    ['\nfoo', 'foo*', false],
    ['\n', '*', true],
    // test_fnmatchcase: no case folding, `/` and `\` are ordinary characters
    ['abc', 'abc', true],
    ['AbC', 'abc', false],
    ['abc', 'AbC', false],
    ['AbC', 'AbC', true],
    ['usr/bin', 'usr/bin', true],
    ['usr\\bin', 'usr/bin', false],
    ['usr/bin', 'usr\\bin', false],
    ['usr\\bin', 'usr\\bin', true],
  ];
  for (const [name, pattern, expected] of basic) {
    test(`${JSON.stringify(name)} vs ${JSON.stringify(pattern)} → ${expected}`, () => {
      assert.equal(fnmatch(name, pattern), expected);
    });
  }

  const ascii = 'abcdefghijklmnopqrstuvwxyz0123456789' + '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
  const inSet = (c: string, set: string) => set.includes(c);

  test('test_char_set: [az] and [!az] over letters, digits and punctuation', () => {
    for (const c of ascii) {
      assert.equal(fnmatch(c, '[az]'), inSet(c, 'az'), c);
      assert.equal(fnmatch(c, '[!az]'), !inSet(c, 'az'), c);
      assert.equal(fnmatch(c, '[AZ]'), false, c);
      assert.equal(fnmatch(c, '[!AZ]'), true, c);
    }
    // escapes are not supported: `\` is a member of the set
    for (const c of ascii) {
      assert.equal(fnmatch(c, '[\\]'), c === '\\', c);
      assert.equal(fnmatch(c, '[!\\]'), c !== '\\', c);
    }
  });

  test('test_range: ranges, single-character ranges and special cases', () => {
    for (const c of ascii) {
      assert.equal(fnmatch(c, '[b-d]'), inSet(c, 'bcd'), c);
      assert.equal(fnmatch(c, '[!b-d]'), !inSet(c, 'bcd'), c);
      assert.equal(fnmatch(c, '[b-dx-z]'), inSet(c, 'bcdxyz'), c);
      assert.equal(fnmatch(c, '[!b-dx-z]'), !inSet(c, 'bcdxyz'), c);
      assert.equal(fnmatch(c, '[B-D]'), false, c);
      assert.equal(fnmatch(c, '[b-b]'), c === 'b', c);
      assert.equal(fnmatch(c, '[!-#]'), !inSet(c, '-#'), c);
      assert.equal(fnmatch(c, '[!--.]'), !inSet(c, '-.'), c);
      assert.equal(fnmatch(c, '[^-`]'), inSet(c, '^_`'), c);
      assert.equal(fnmatch(c, '[[-^]'), inSet(c, '[\\]^'), c);
      assert.equal(fnmatch(c, '[\\-^]'), inSet(c, '\\]^'), c);
      assert.equal(fnmatch(c, '[b-]'), inSet(c, '-b'), c);
      assert.equal(fnmatch(c, '[!b-]'), !inSet(c, '-b'), c);
      assert.equal(fnmatch(c, '[-b]'), inSet(c, '-b'), c);
      assert.equal(fnmatch(c, '[!-b]'), !inSet(c, '-b'), c);
      assert.equal(fnmatch(c, '[-]'), c === '-', c);
      assert.equal(fnmatch(c, '[!-]'), c !== '-', c);
    }
  });

  test('test_range: a reversed range is empty (never matches; negated, matches anything)', () => {
    for (const c of ascii) {
      assert.equal(fnmatch(c, '[d-b]'), false, c);
      assert.equal(fnmatch(c, '[!d-b]'), true, c);
      assert.equal(fnmatch(c, '[d-bx-z]'), inSet(c, 'xyz'), c);
      assert.equal(fnmatch(c, '[!d-bx-z]'), !inSet(c, 'xyz'), c);
      assert.equal(fnmatch(c, '[d-b^-`]'), inSet(c, '^_`'), c);
      assert.equal(fnmatch(c, '[d-b[-^]'), inSet(c, '[\\]^'), c);
    }
  });

  test('test_sep_in_char_set / test_sep_in_range: `/` is an ordinary set member', () => {
    assert.equal(fnmatch('/', '[/]'), true);
    assert.equal(fnmatch('\\', '[/]'), false);
    assert.equal(fnmatch('/', '[!/]'), false);
    assert.equal(fnmatch('a', '[!/]'), true);
    assert.equal(fnmatch('/', '[.-0]'), true);
    assert.equal(fnmatch('.', '[.-0]'), true);
    assert.equal(fnmatch('0', '[.-0]'), true);
    assert.equal(fnmatch('/', '[!.-0]'), false);
  });

  test('test_slow_fnmatch: many stars do not backtrack exponentially', () => {
    const start = Date.now();
    assert.equal(fnmatch('a'.repeat(50), '*a*a*a*a*a*a*a*a*a*a'), true);
    assert.equal(fnmatch('a'.repeat(50) + 'b', '*a*a*a*a*a*a*a*a*a*a'), false);
    assert.equal(fnmatch('a'.repeat(5000) + 'b', '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a'), false);
    assert.ok(Date.now() - start < 1000);
  });
});

describe('fnmatch: bracket edge cases (checked against CPython 3.11)', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    // a `[` without a closing `]` is literal, and scanning resumes right after it
    ['[', '[', true],
    ['a[', 'a[', true],
    ['[a', '[a', true],
    ['[ab', '*[a*', true],
    [']', ']', true],
    // `[]` and `[!]` have no closing bracket of their own: both are literal text
    ['[]', '[]', true],
    ['[!]', '[!]', true],
    ['!', '[!]', false],
    // a `]` right after `[` or `[!` is a member
    [']', '[]]', true],
    ['a', '[]]', false],
    [']', '[!]]', false],
    ['a', '[!]]', true],
    ['x]', '[]a]]', false],
    ['a]', '[]a]]', true],
    // `^` is not negation in fnmatch
    ['x', '[^x]', true],
    ['^', '[^x]', true],
    ['y', '[^x]', false],
    // `a-b-c` is the range a-b plus `-` and `c`
    ['a', '[a-b-c]', true],
    ['-', '[a-b-c]', true],
    ['c', '[a-b-c]', true],
    ['d', '[a-b-c]', false],
    // `&`, `~`, `|` are plain members (Python escapes them against future set operations)
    ['&', '[&&]', true],
    ['~', '[~~x]', true],
    ['|', '[|]', true],
    // `?` and classes match exactly one code point, including astral ones and `/`
    ['😀', '?', true],
    ['😀x', '??', true],
    ['é', '[é]', true],
    ['/', '?', true],
    // everything else is literal, including regex syntax
    ['a.b', 'a.b', true],
    ['axb', 'a.b', false],
    ['(a|b)', '(a|b)', true],
    ['a{1}', 'a{1}', true],
    ['a+', 'a+', true],
    ['aa', 'a+', false],
    ['$^', '$^', true],
    ['', '', true],
    ['a', '', false],
    ['', '*', true],
    ['', '?', false],
  ];
  for (const [name, pattern, expected] of cases) {
    test(`${JSON.stringify(name)} vs ${JSON.stringify(pattern)} → ${expected}`, () => {
      assert.equal(fnmatch(name, pattern), expected);
    });
  }
});

describe('fnmatchTranslate', () => {
  test('translates like Python (test_translate shapes)', () => {
    assert.equal(translateSource('*'), '.*');
    assert.equal(translateSource('?'), '.');
    assert.equal(translateSource('a?b*'), 'a.b.*');
    assert.equal(translateSource('[abc]'), '[abc]');
    assert.equal(translateSource('[]]'), '[\\]]');
    assert.equal(translateSource('[!x]'), '[^x]');
    assert.equal(translateSource('[^x]'), '[\\^x]');
    assert.equal(translateSource('[x'), '\\[x');
    assert.equal(translateSource('*.txt'), '.*\\.txt');
    assert.equal(translateSource('*********'), '.*');
    assert.equal(translateSource('A*********'), 'A.*');
    assert.equal(translateSource('*********A'), '.*A');
    assert.equal(translateSource('A*********?[?]?'), 'A.*.[?].');
    assert.equal(translateSource('**a*a****a'), '(?=(.*?a))\\1(?=(.*?a))\\2.*a');
    assert.equal(translateSource('[z-a]'), '(?!)');
    assert.equal(translateSource('[!z-a]'), '.');
  });

  test('anchors at both ends and is case-sensitive', () => {
    const re = fnmatchTranslate('f4*-build');
    assert.equal(re.test('f41-build'), true);
    assert.equal(re.test('xf41-build'), false);
    assert.equal(re.test('f41-build-x'), false);
    assert.equal(re.test('F41-build'), false);
  });

  test('compiles each pattern once', () => {
    assert.equal(fnmatchTranslate('*-candidate'), fnmatchTranslate('*-candidate'));
  });
});

test('fnmatchAny is true when any pattern matches (multi_fnmatch)', () => {
  assert.equal(fnmatchAny('f40-build', ['f39*', 'f40*']), true);
  assert.equal(fnmatchAny('f40-build', ['f39*', 'eln*']), false);
  assert.equal(fnmatchAny('f40-build', []), false);
});
