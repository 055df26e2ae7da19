import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LogTail } from './tail.js';

const dir = mkdtempSync(join(tmpdir(), 'koji-es-tail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function drain(tail: LogTail): Promise<string> {
  let s = '';
  for await (const p of tail) s += p.toString('utf8');
  return s;
}

test('given a limit, when the file grows past it, then only the final bytes are read until the end', async () => {
  const path = join(dir, 'limited');
  writeFileSync(path, 'final-maybe');
  const tail = new LogTail(path, 10, 5);
  const read = drain(tail);
  await new Promise((r) => setTimeout(r, 30));
  tail.advance(3); // never backwards
  tail.advance(8);
  appendFileSync(path, '-more');
  tail.end();
  assert.equal(await read, 'final-maybe-more');
});

test('given a limit, when it advances, then the bytes up to it come before the end', async () => {
  const path = join(dir, 'advancing');
  writeFileSync(path, 'abcdef');
  const tail = new LogTail(path, 10, 0);
  const it = tail[Symbol.asyncIterator]();
  tail.advance(4);
  assert.equal((await it.next()).value?.toString(), 'abcd');
  tail.end();
  assert.equal((await it.next()).value?.toString(), 'ef');
  assert.equal((await it.next()).done, true);
});

test('given a writer that failed, when the reader waits, then it stops with that error', async () => {
  const path = join(dir, 'failed');
  writeFileSync(path, 'partial');
  const tail = new LogTail(path, 10, 0);
  const read = drain(tail);
  tail.fail(new Error('the archive failed'));
  await assert.rejects(read, /the archive failed/);
});
