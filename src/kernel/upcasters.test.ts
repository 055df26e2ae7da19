import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpcasterRegistry } from './upcasters.js';

test('an upcaster chain converts old shapes read back from serialised JSON', () => {
  const r = new UpcasterRegistry()
    .register('SideTagCreated', 1, (d) => {
      const { owner, ...rest } = d as { owner: string };
      return { ...rest, user: { name: owner } };
    })
    .register('SideTagCreated', 2, (d) => ({ ...(d as object), debuginfo: false }));
  const stored = JSON.parse(
    '{"type":"SideTagCreated","schemaVersion":1,"data":{"name":"f40-build-side-1","owner":"alice"}}',
  );
  const up = r.upcast(stored);
  assert.equal(up.schemaVersion, 3);
  assert.deepEqual(up.data, { name: 'f40-build-side-1', user: { name: 'alice' }, debuginfo: false });
  assert.equal(r.latestVersion('SideTagCreated'), 3);
  const v2 = { type: 'SideTagCreated', schemaVersion: 2, data: { name: 'x', user: { name: 'bob' } } };
  assert.deepEqual(r.upcast(v2).data, { name: 'x', user: { name: 'bob' }, debuginfo: false });
  const current = { type: 'SideTagCreated', schemaVersion: 3, data: { a: 1 } };
  assert.equal(r.upcast(current), current, 'the latest shape is returned untouched');
  const other = { type: 'Other', schemaVersion: 1, data: {} };
  assert.equal(r.upcast(other), other);
  assert.throws(() => r.register('SideTagCreated', 1, (d) => d), /duplicate upcaster/);
});
