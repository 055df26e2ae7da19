import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newEventId } from './event-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millis = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

test('an event id is a version 7 UUID carrying the time it was made', () => {
  const before = Date.now();
  const id = newEventId();
  const after = Date.now();
  assert.match(id, V7);
  assert.ok(millis(id) >= before && millis(id) <= after, `${millis(id)} not in [${before}, ${after}]`);
});

test('ids made one after the other sort in that order, within a millisecond too', () => {
  const now = Date.now() + 60_000;
  const ids = Array.from({ length: 5000 }, () => newEventId(now));
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} !< ${ids[i]}`);
  assert.equal(new Set(ids).size, ids.length);
  // 4,096 fit in one millisecond; the rest borrow the next one rather than wrap around.
  assert.equal(millis(ids[0]), now);
  assert.equal(millis(ids[4095]), now);
  assert.equal(millis(ids[4096]), now + 1);
  for (const id of ids) assert.match(id, V7);
});

test('a clock that goes back does not break the order', () => {
  const a = newEventId(Date.now() + 120_000);
  const b = newEventId(Date.now());
  assert.ok(a < b, `${a} !< ${b}`);
});

test('ids made at the same moment differ in their random bits', () => {
  const now = Date.now() + 180_000;
  const tails = new Set(Array.from({ length: 1000 }, () => newEventId(now).slice(19)));
  assert.ok(tails.size > 990, `${tails.size} distinct random parts of 1000`);
});
