import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Checksums, HASH_LIMIT } from './checksums.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

test('hashes once per path, mtime and size; a changed file is hashed again; big files are not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'koji-es-checksums-'));
  try {
    const p = join(dir, 'f');
    writeFileSync(p, 'one');
    const c = new Checksums();
    let st = statSync(p);
    assert.equal(await c.of(p, st.size, st.mtimeMs), hex('one'));
    // Same key: the cached value, even though the bytes changed behind its back.
    writeFileSync(p, 'two');
    utimesSync(p, st.atime, st.mtime);
    assert.equal(await c.of(p, st.size, st.mtimeMs), hex('one'));
    assert.equal(c.size, 1);
    utimesSync(p, st.atime, new Date(st.mtimeMs + 5000));
    st = statSync(p);
    assert.equal(await c.of(p, st.size, st.mtimeMs), hex('two'));
    assert.equal(await c.of(p, HASH_LIMIT, st.mtimeMs), null);
    await assert.rejects(c.of(join(dir, 'missing'), 1, 1));
    assert.equal(c.size, 2, 'a failed computation is not cached');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
