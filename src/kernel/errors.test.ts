import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULT_TABLE } from './faults.generated.js';
import { errorFromFault, faultIsA, KojiError } from './errors.js';

const root = join(__dirname, '..', '..');

function parseTable(md: string) {
  const rows: { name: string; faultCode: number; parent: string | null }[] = [];
  for (const line of md.split('\n')) {
    const m = /^\|\s*([A-Za-z]+)\s*\|\s*(\d+)\s*\|\s*([A-Za-z]+)\s*\|\s*$/.exec(line);
    if (m) rows.push({ name: m[1], faultCode: Number(m[2]), parent: m[3] === 'Exception' ? null : m[3] });
  }
  return rows;
}

test('the error catalog equals the fault table of spec §1.11, code by code', () => {
  const vendored = parseTable(readFileSync(join(root, 'test/fixtures/koji-faults-table.md'), 'utf8'));
  assert.equal(vendored.length, 25);
  assert.deepEqual([...FAULT_TABLE], vendored);
  // When the shared spec sits beside the checkout, it must agree too.
  const shared = join(root, '..', 'shared', 'spec', 'koji-plugins.md');
  if (existsSync(shared)) {
    const md = readFileSync(shared, 'utf8');
    const section = md.slice(md.indexOf('### 1.11'), md.indexOf('### 1.12'));
    assert.deepEqual(parseTable(section), vendored);
  }
});

test('KojiError carries Koji class names and codes, with the class hierarchy', () => {
  const e = new KojiError('AuthExpired', 'session 5 has expired');
  assert.equal(e.faultCode, 1007);
  assert.equal(e.name, 'AuthExpired');
  assert.ok(e.isA('AuthError'));
  assert.ok(e.isA('GenericError'));
  assert.ok(!e.isA('ActionNotAllowed'));
  assert.ok(faultIsA('CallbackError', 'PluginError'));
  assert.equal(new KojiError('ParameterError', 'x').faultCode, 1019);
  assert.equal(new KojiError('PreBuildError', 'x').faultCode, 1010);
  const back = errorFromFault(1004, 'nope');
  assert.equal(back.faultName, 'ActionNotAllowed');
  assert.equal(errorFromFault(4242, 'odd').faultName, 'GenericError');
});
