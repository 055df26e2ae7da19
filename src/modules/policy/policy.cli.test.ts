import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../cli/runtime.js';
import { policyData } from './policy.cli.js';

test("test-policy data: Koji's scalars as before, lists and structs as JSON", () => {
  assert.deepEqual(policyData(['user_id=3', 'tag=f40-build', 'debuginfo=True', 'label=None', 'w=1.5']), {
    user_id: 3,
    tag: 'f40-build',
    debuginfo: true,
    label: null,
    w: 1.5,
  });
  assert.deepEqual(
    policyData(['mounts=["/mnt/koji/compose/x", "/mnt/b"]', 'packages=[]', 'extra={"a": 1}']),
    {
      mounts: ['/mnt/koji/compose/x', '/mnt/b'],
      packages: [],
      extra: { a: 1 },
    },
  );
  // Only the first '=' separates: the rest is the value.
  assert.deepEqual(policyData(['macro=a=b']), { macro: 'a=b' });
  assert.throws(
    () => policyData(['mounts=[/mnt/a]']),
    (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /^mounts: a value starting with \[ or \{ must be JSON/);
      return true;
    },
  );
  assert.throws(() => policyData(['=x']), /policy data must be key=value, not "=x"/);
});
