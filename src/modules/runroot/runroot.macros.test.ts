import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tagMacros } from './runroot.macros.js';

test("given a tag's extra, when its macros are taken, then each rpm.macro.NAME is `%NAME str(value)`", () => {
  assert.deepEqual(
    tagMacros({
      'rpm.macro.dist': '.fc40~bootstrap',
      'rpm.macro._with_bootstrap': 1,
      'rpm.macro.flag': true,
      with_debuginfo: true,
      'repo.auto': true,
    }),
    { lines: ['%_with_bootstrap 1', '%dist .fc40~bootstrap', '%flag True'], skipped: [] },
  );
});

test('given a value over several lines, when written, then the lines continue the macro', () => {
  assert.deepEqual(tagMacros({ 'rpm.macro.script': 'a\nb' }).lines, ['%script a\\\nb']);
});

test('given keys that are no macro names, when taken, then they are left out and named', () => {
  const m = tagMacros({ 'rpm.macro.x': 1, 'rpm.macro.has space': 2, 'rpm.macro.': 3, 'rpm.macro.ok_1': 4 });
  assert.deepEqual(m.lines, ['%ok_1 4']);
  assert.equal(m.skipped.length, 3);
  assert.match(m.skipped.join('\n'), /rpm\.macro\.has space: "has space" is not an rpm macro name/);
});

test('given no rpm.macro keys, when taken, then there is nothing to write', () => {
  assert.deepEqual(tagMacros({ sidetag: true }), { lines: [], skipped: [] });
});
