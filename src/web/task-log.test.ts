import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completeUtf8 } from './task-log.js';

test('completeUtf8 never ends a chunk inside a character', () => {
  const s = Buffer.from('aé✓😀');
  // a(1) é(2) ✓(3) 😀(4)
  const cuts = [...Array(s.length + 1).keys()].map((n) => completeUtf8(s.subarray(0, n)));
  assert.deepEqual(cuts, [0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10]);
  assert.equal(completeUtf8(Buffer.from([0x80, 0x80])), 2, 'stray continuation bytes are passed on');
});
