import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameJson } from './verify.js';

test('documents are the same whatever the order of their keys, at any depth', () => {
  assert.equal(
    sameJson(
      { id: 1, owner: { id: 2, name: 'alice' }, extra: { b: [1, { y: 2, x: 1 }], a: null } },
      { extra: { a: null, b: [1, { x: 1, y: 2 }] }, owner: { name: 'alice', id: 2 }, id: 1 },
    ),
    true,
  );
});

test('a different value, a missing or an extra key, or another array order is a difference', () => {
  const doc = { id: 1, tags: ['a', 'b'], owner: { id: 2 } };
  assert.equal(sameJson(doc, { id: 1, tags: ['a', 'b'], owner: { id: 3 } }), false);
  assert.equal(sameJson(doc, { id: 1, tags: ['a', 'b'] }), false);
  assert.equal(sameJson(doc, { ...doc, state: 0 }), false);
  assert.equal(sameJson(doc, { ...doc, tags: ['b', 'a'] }), false);
  assert.equal(sameJson(doc, { ...doc, tags: ['a', 'b', 'c'] }), false);
});

test('types are not mixed up: null, objects, arrays, numbers and strings', () => {
  assert.equal(sameJson({ a: null }, { a: {} }), false);
  assert.equal(sameJson({ a: [] }, { a: {} }), false);
  assert.equal(sameJson({ a: {} }, { a: [] }), false);
  assert.equal(sameJson({ a: 1 }, { a: '1' }), false);
  assert.equal(sameJson([], []), true);
  assert.equal(sameJson(null, null), true);
  assert.equal(sameJson({ a: undefined }, {}), false);
});
