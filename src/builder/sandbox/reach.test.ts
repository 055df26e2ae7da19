// The search-permission walk the builder does before running a sandbox as another host user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { searchable, unreachable } from './reach.js';

test('searchable: the owner, group or other bits, whichever applies first', () => {
  const ids = { uid: 1000, gid: 1000 };
  assert.equal(searchable({ uid: 1000, gid: 0, mode: 0o700 }, ids), true);
  assert.equal(
    searchable({ uid: 1000, gid: 1000, mode: 0o077 }, ids),
    false,
    'the owner bits apply to the owner',
  );
  assert.equal(searchable({ uid: 0, gid: 1000, mode: 0o750 }, ids), true);
  assert.equal(searchable({ uid: 0, gid: 0, mode: 0o750 }, ids), false);
  assert.equal(searchable({ uid: 0, gid: 0, mode: 0o751 }, ids), true);
});

test('unreachable: the first directory on the way that the user may not search, or null', () => {
  const top = mkdtempSync(join(tmpdir(), 'koji-es-reach-'));
  try {
    const deep = join(top, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    chmodSync(top, 0o755);
    chmodSync(join(top, 'a'), 0o700);
    const ids = { uid: 4242, gid: 4242 };
    assert.equal(unreachable(deep, ids), `${join(top, 'a')} (mode 0700, owner 0:0)`);
    chmodSync(join(top, 'a'), 0o711);
    assert.equal(unreachable(deep, ids), null);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
