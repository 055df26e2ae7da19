// A snapshot of `_listapi` (sorted by name): every change to the API — a method added or removed, an
// argument renamed, a default or a summary changed — shows up as a diff of the fixture in review.
// After a deliberate change: UPDATE_SNAPSHOTS=1 node --test dist/test/e2e/api-snapshot.test.js
// (it rewrites test/fixtures/listapi.snapshot.json in the source tree), then commit the fixture.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as prettier from 'prettier';
import { REPO_ROOT, startTestHub, type TestHub } from '../helpers/hub.js';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'listapi.snapshot.json');
const UPDATE_HINT =
  'If the change is intended, run `UPDATE_SNAPSHOTS=1 node --test dist/test/e2e/api-snapshot.test.js` and commit test/fixtures/listapi.snapshot.json.';

interface Entry {
  name: string;
  [key: string]: unknown;
}

/** What changed, method by method: the assertion's own diff follows this summary. */
function summary(expected: Entry[], actual: Entry[]): string {
  const before = new Map(expected.map((e) => [e.name, JSON.stringify(e)]));
  const now = new Map(actual.map((e) => [e.name, JSON.stringify(e)]));
  const lines: string[] = [];
  for (const name of now.keys()) if (!before.has(name)) lines.push(`  added:   ${name}`);
  for (const name of before.keys()) if (!now.has(name)) lines.push(`  removed: ${name}`);
  for (const [name, text] of now)
    if (before.has(name) && before.get(name) !== text) lines.push(`  changed: ${name}`);
  return lines.join('\n');
}

let h: TestHub;
before(async () => {
  h = await startTestHub();
});
after(async () => {
  await h?.close();
});

test('_listapi matches test/fixtures/listapi.snapshot.json', async () => {
  const actual = (await h.call<Entry[]>('_listapi')).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  assert.ok(actual.length > 0);
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    const options = (await prettier.resolveConfig(FIXTURE)) ?? {};
    writeFileSync(FIXTURE, await prettier.format(JSON.stringify(actual), { ...options, parser: 'json' }));
    return;
  }
  assert.ok(existsSync(FIXTURE), `${FIXTURE} does not exist. ${UPDATE_HINT}`);
  const expected = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Entry[];
  assert.deepEqual(
    actual,
    expected,
    `The API differs from the snapshot:\n${summary(expected, actual)}\n${UPDATE_HINT}`,
  );
});
