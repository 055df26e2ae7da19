import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iniGet, parseIni } from './ini.js';

test("INI files are read with configparser's meaning, remembering every value line", () => {
  const text = [
    '# a comment',
    '[hub]',
    'MissingPolicyOk = false',
    'VerbosePolicy: yes',
    '',
    '[policy]',
    'sidetag =',
    '    # comments inside a value are dropped',
    '    has_perm admin :: allow',
    '',
    '    all :: deny',
    '',
    'tag = all :: allow',
    '  more :: deny',
    '; trailing comment',
  ].join('\n');
  const ini = parseIni(text, 'hub.conf');
  assert.equal(iniGet(ini, 'hub', 'missingpolicyok')?.value, 'false', 'keys are case-insensitive');
  assert.equal(iniGet(ini, 'hub', 'VerbosePolicy')?.value, 'yes');
  const st = iniGet(ini, 'policy', 'sidetag')!;
  assert.equal(st.value, '\nhas_perm admin :: allow\n\nall :: deny');
  assert.deepEqual(st.lines, [7, 9, 10, 11]);
  assert.equal(st.line, 7);
  const tag = iniGet(ini, 'policy', 'tag')!;
  assert.equal(tag.value, 'all :: allow\nmore :: deny');
  assert.deepEqual(tag.lines, [13, 14]);
});

test('INI syntax errors name the file and the line', () => {
  assert.throws(() => parseIni('key = 1', 'a.conf'), /a\.conf:1: a key outside any \[section\]/);
  assert.throws(() => parseIni('[s]\nnot a pair', 'b.conf'), /b\.conf:2: expected "key = value" in \[s\]/);
  assert.throws(() => parseIni('[s]\na = 1\nA = 2', 'c.conf'), /c\.conf:3: key A appears twice in \[s\]/);
  assert.throws(() => parseIni('[s]\n[s]', 'd.conf'), /d\.conf:2: section \[s\] appears twice/);
});
