import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from './log.js';
import { parseAt } from './state.js';

test('audit times are ISO 8601 only: a date, a time with or without seconds, fraction and zone', () => {
  assert.equal(isoTime('2026-11-20', '--since'), Date.UTC(2026, 10, 20));
  assert.equal(isoTime('2026-11-20T10:00:00Z', '--since'), Date.UTC(2026, 10, 20, 10));
  assert.equal(isoTime('2026-11-20 10:00:00.5+01:00', '--since'), Date.UTC(2026, 10, 20, 9, 0, 0, 500));
  assert.equal(isoTime(' 2026-11-20T10:00:00+0100 ', '--until'), Date.UTC(2026, 10, 20, 9));
  // What Date.parse alone reads as a month of 2001, or in the machine's own zone.
  for (const bad of ['1', '12', '-5', '1.5', 'Nov 25 2026', 'yesterday', '2026-13-01', ''])
    assert.throws(
      () => isoTime(bad, '--since'),
      { message: `--since ${bad} is not an ISO 8601 time (such as 2026-11-20T10:00:00Z)` },
      bad,
    );
});

test('audit state --at: an event id, or an ISO time; anything else names both forms', () => {
  assert.deepEqual(parseAt('182'), { position: 182 });
  assert.deepEqual(parseAt('2026-11-20T10:00:00Z'), { time: Date.UTC(2026, 10, 20, 10) });
  for (const bad of [' 200', '-5', '1.5', 'Nov 25 2026'])
    assert.throws(() => parseAt(bad), {
      message: `--at ${bad} is neither a time (ISO 8601, such as 2026-11-20T10:00:00Z) nor an event id`,
    });
});
