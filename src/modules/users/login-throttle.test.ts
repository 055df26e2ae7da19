import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from './login-throttle.js';

test('after 5 failures within 60 s each attempt waits, doubling up to 30 s; success and time forgive', () => {
  let now = 1_000_000;
  const clock = { now: () => new Date(now), sleep: async () => undefined };
  const t = new LoginThrottle(clock);
  const delays: number[] = [];
  for (let i = 0; i < 12; i++) {
    delays.push(t.delayFor('alice', '192.0.2.7'));
    t.failed('alice', '192.0.2.7');
    now += 1000;
  }
  assert.deepEqual(delays, [0, 0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(t.delayFor('bob', '192.0.2.7'), 30000, 'the address is throttled too');
  assert.equal(t.delayFor('alice', '198.51.100.1'), 30000, 'and the user from anywhere');
  assert.equal(t.delayFor('bob', '198.51.100.1'), 0);
  t.succeeded('alice');
  assert.equal(t.delayFor('alice', '198.51.100.1'), 0);
  now += 61_000;
  assert.equal(t.delayFor('carol', '192.0.2.7'), 0, 'failures older than 60 s are forgotten');
});
