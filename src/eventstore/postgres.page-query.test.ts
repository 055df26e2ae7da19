import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointOf, isoFromUtcText } from './postgres.page-query.js';

test('a UTC timestamp of the server, in either of its forms, becomes ISO 8601 with milliseconds', () => {
  // readAll's rows (DateStyle ISO) and the scan's json_agg (to_json) write the same instant apart.
  for (const [text, iso] of [
    ['2026-11-24 23:42:20.999871', '2026-11-24T23:42:20.999Z'],
    ['2026-11-24T23:42:20.999871', '2026-11-24T23:42:20.999Z'],
    ['2026-11-24T23:42:20.5', '2026-11-24T23:42:20.500Z'],
    ['2026-11-24 23:42:20', '2026-11-24T23:42:20.000Z'],
    ['2026-11-24T23:42:20', '2026-11-24T23:42:20.000Z'],
  ])
    assert.equal(isoFromUtcText(text), iso, text);
});

test('a checkpoint pads the transaction id and the position to 20 digits each', () => {
  assert.equal(checkpointOf('757', 12), '00000000000000000757:00000000000000000012');
  assert.equal(checkpointOf('757', '12'), checkpointOf('757', 12));
});
