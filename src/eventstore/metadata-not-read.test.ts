import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { METADATA_NOT_READ } from './metadata-not-read.js';

test('metadata a scan did not read fails whichever way it is read, and can still be printed', () => {
  const refused =
    /the metadata of this event was not read .*: a projection that reads event metadata must say so \(readsMetadata\)/;
  assert.throws(() => METADATA_NOT_READ.recordedTime, refused);
  assert.throws(() => METADATA_NOT_READ.actor?.name, refused);
  assert.throws(() => ({ ...METADATA_NOT_READ }), refused);
  assert.throws(() => 'actor' in METADATA_NOT_READ, refused);
  assert.throws(() => JSON.stringify({ metadata: METADATA_NOT_READ }), refused);
  assert.throws(() => {
    (METADATA_NOT_READ as Record<string, unknown>).actor = null;
  }, TypeError);
  assert.equal(typeof inspect({ metadata: METADATA_NOT_READ }), 'string');
});
