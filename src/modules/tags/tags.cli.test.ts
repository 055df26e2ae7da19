// The tags CLI's pure helpers: Koji's parse_NVR, parse_arches, -x key=value through arg_filter,
// pprint of extra values, inheritance flags, koji.util.duration and printList.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../cli/runtime.js';
import { KojiError } from '../../kernel/errors.js';
import {
  duration,
  inheritanceFlags,
  parseArches,
  parseExtra,
  parseNVR,
  pformat,
  printList,
} from './tags.cli.js';

describe('tags CLI helpers', () => {
  test('parseNVR: name-version-release with an optional epoch; "invalid format: x"', () => {
    assert.deepEqual(parseNVR('foo-bar-1.0-1.fc40'), {
      name: 'foo-bar',
      version: '1.0',
      release: '1.fc40',
      epoch: '',
    });
    assert.deepEqual(parseNVR('2:foo-1-1'), { name: 'foo', version: '1', release: '1', epoch: '2' });
    for (const bad of ['foo', 'foo-1', 'foo-1-', 'foo--1'])
      assert.throws(
        () => parseNVR(bad),
        (e: unknown) => e instanceof KojiError && e.message === `invalid format: ${bad}`,
        bad,
      );
  });

  test('parseArches: commas or spaces, joined by one space; bad characters refused', () => {
    assert.equal(parseArches('x86_64,aarch64  ppc64le'), 'x86_64 aarch64 ppc64le');
    assert.throws(() => parseArches('x86/64'), { message: 'Architecture can be only [a-zA-Z0-9_-]' });
  });

  test("parseExtra: values through arg_filter (ints, floats, True/False/None, JSON), Koji's duplicate check", () => {
    assert.deepEqual(parseExtra(['a=1', 'b=2.5', 'c=True', 'd=None', 'e=text', 'f={"x": [1]}', 'g=a=b']), {
      a: 1,
      b: 2.5,
      c: true,
      d: null,
      e: 'text',
      f: { x: [1] },
      g: 'a=b',
    });
    assert.throws(
      () => parseExtra(['a=1', 'a=2']),
      (e: unknown) => e instanceof UsageError && e.message === 'Duplicate extra key: a',
    );
    assert.throws(() => parseExtra(['novalue']), UsageError);
  });

  test("pformat: Python's repr with dict keys sorted", () => {
    assert.equal(
      pformat({ b: [1, 'x'], a: { d: null, c: true } }),
      "{'a': {'c': True, 'd': None}, 'b': [1, 'x']}",
    );
    // Python picks double quotes for a string with a ' and no ", and escapes the ' otherwise.
    assert.equal(pformat("it's"), '"it\'s"');
    assert.equal(pformat('it\'s "x"'), "'it\\'s \"x\"'");
  });

  test('inheritanceFlags: M F I N or dots', () => {
    const link = {
      parent_id: 1,
      name: 'p',
      priority: 0,
      maxdepth: null,
      intransitive: false,
      noconfig: false,
      pkg_filter: '',
    };
    assert.equal(inheritanceFlags(link), '....');
    assert.equal(
      inheritanceFlags({ ...link, maxdepth: 0, pkg_filter: 'foo.*', intransitive: true, noconfig: true }),
      'MFIN',
    );
  });

  test('duration and printList as koji.util', () => {
    assert.equal(duration(0, 96_500), '1:36');
    assert.equal(duration(0, 999), '0:00');
    assert.equal(printList([]), '');
    assert.equal(printList(['a']), 'a');
    assert.equal(printList(['a', 'b']), 'a and b');
    assert.equal(printList(['a', 'b', 'c']), 'a, b, and c');
  });
});
