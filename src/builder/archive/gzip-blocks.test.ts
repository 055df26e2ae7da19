import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { GzipBlockWriter } from './gzip-blocks.js';

const dir = mkdtempSync(join(tmpdir(), 'koji-es-gzip-blocks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function withFile(
  fn: (gz: GzipBlockWriter) => Promise<void>,
  block = 1000,
  window = 3,
): Promise<Buffer> {
  const path = join(dir, `out-${n++}.gz`);
  const fd = openSync(path, 'w');
  try {
    await fn(new GzipBlockWriter(fd, { level: 6, blockSize: block, window }));
  } finally {
    closeSync(fd);
  }
  return readFileSync(path);
}

/** Counts gzip members by their 10-byte header (zlib at level 6: no name, mtime 0, OS unix). */
function members(gz: Buffer): number {
  const header = Buffer.from('1f8b0800000000000003', 'hex');
  let count = 0;
  for (let at = gz.indexOf(header); at >= 0; at = gz.indexOf(header, at + 1)) count++;
  assert.equal(gz.indexOf(header), 0);
  return count;
}

test('members in block order make one valid gzip stream; writes of any size', async () => {
  const data = Buffer.concat([randomBytes(5000), Buffer.alloc(7777, 0x41), randomBytes(1234)]);
  const out = await withFile(async (gz) => {
    for (let off = 0; off < data.length;) {
      const len = Math.min(data.length - off, 1 + ((off * 7) % 2500));
      gz.write(data.subarray(off, off + len));
      off += len;
      await gz.ready();
    }
    const end = await gz.end();
    assert.equal(end.bytesIn, data.length);
  });
  assert.deepEqual(gunzipSync(out), data);
  assert.equal(members(out), Math.ceil(data.length / 1000));
});

test('an empty stream is still a valid gzip file', async () => {
  const out = await withFile(async (gz) => void (await gz.end()));
  assert.equal(gunzipSync(out).length, 0);
});

test('rollback takes back everything since the mark, whether or not blocks were written since', async () => {
  const a = randomBytes(2500);
  const b = randomBytes(4321);
  const c = randomBytes(1800);
  for (const window of [1, 2, 8]) {
    const out = await withFile(
      async (gz) => {
        gz.write(a);
        await gz.ready();
        const m = gz.mark();
        gz.write(b);
        await gz.ready();
        await gz.rollback(m);
        assert.equal(gz.bytesIn, a.length);
        gz.write(c);
        const small = gz.mark();
        gz.write(Buffer.from('x'));
        await gz.rollback(small);
        await gz.end();
      },
      1000,
      window,
    );
    assert.deepEqual(gunzipSync(out), Buffer.concat([a, c]), `window ${window}`);
  }
});

test('committed: the bytes written before the latest mark, which no rollback can cut', async () => {
  await withFile(async (gz) => {
    gz.write(randomBytes(2500));
    await gz.ready();
    const m = gz.mark();
    gz.write(randomBytes(4321));
    await gz.ready();
    // Members of the marked part may be in the file, but they are not final yet.
    const before = gz.committed;
    assert.ok(before <= gz.bytesOut);
    await gz.rollback(m);
    assert.equal(gz.bytesOut, before, 'the rollback cut exactly where committed stood');
    gz.write(randomBytes(10));
    gz.mark();
    await gz.end();
    assert.equal(gz.committed, gz.bytesOut, 'with the latest mark behind, all of it is final');
  });
});
