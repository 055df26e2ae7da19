// [hub] MaxNameLengthInternal = 0 turns the name length check off, as Koji documents ("When length is
// set up to 0, length verifying is disabled"), for user names as for tag names; any other value is the
// longest name allowed.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

const dirs: { cleanup: () => void }[] = [];
const hubs: TestHub[] = [];
after(async () => {
  for (const h of hubs) await h.close();
  for (const d of dirs) d.cleanup();
});

async function hubWith(maxNameLength: string): Promise<TestHub> {
  const t = tempDir('koji-es-namelen-');
  dirs.push(t);
  mkdirSync(join(t.dir, 'hub'));
  writeFileSync(join(t.dir, 'hub', 'hub.conf'), `[hub]\nMaxNameLengthInternal = ${maxNameLength}\n`);
  const h = await startTestHub({ configDir: t.dir, flags: { '--no-builder': 'false' } });
  hubs.push(h);
  return h;
}

test('MaxNameLengthInternal = 0: user and tag names are not length-checked', async () => {
  const h = await hubWith('0');
  // Before, 0 refused every new user name (a length above 0).
  assert.equal(typeof (await h.call<number>('createUser', ['alice'], h.admin)), 'number');
  assert.equal(typeof (await h.call<number>('createTag', ['t'.repeat(150)], h.admin)), 'number');
});

test("MaxNameLengthInternal = 5: a longer user name is refused with Koji's message", async () => {
  const h = await hubWith('5');
  const r = await h.rpc('createUser', ['abcdef'], h.admin);
  assert.match(r.body.error?.message ?? '', /Name abcdef is too long\. Max length is 5 characters/);
  assert.equal(typeof (await h.call<number>('createUser', ['abcde'], h.admin)), 'number');
});
