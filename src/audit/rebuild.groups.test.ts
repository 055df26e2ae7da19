import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Projection } from '../eventstore/projection.js';
import { splitProjections } from './rebuild.groups.js';

const projection = (name: string, types?: string[]): Projection => ({
  name,
  version: 1,
  collections: [],
  filter: types ? { types } : undefined,
  apply: async () => {},
});

const names = (groups: Projection[][]) => groups.map((g) => g.map((p) => p.name));

test('given a log mostly of task events, when split in two, then tasks replay alone beside the rest', () => {
  const groups = splitProjections(
    [
      projection('users', ['UserCreated']),
      projection('tasks', ['TaskCreated', 'TaskClosed']),
      projection('tags', ['TagCreated', 'BuildTagged']),
      projection('sidetags', ['TagCreated']),
    ],
    { TaskCreated: 400, TaskClosed: 400, UserCreated: 100, TagCreated: 200, BuildTagged: 300 },
    2,
  );
  assert.deepEqual(names(groups), [['tasks'], ['tags', 'sidetags', 'users']]);
});

test('given more threads than projections, when split, then each projection with work has its own', () => {
  const groups = splitProjections([projection('a', ['A']), projection('b', ['B'])], { A: 10, B: 20 }, 8);
  assert.deepEqual(names(groups), [['b'], ['a']]);
});

test('given projections with nothing in the sample, when split, then they ride along with a busy group', () => {
  const groups = splitProjections(
    [projection('a', ['A']), projection('b', ['B']), projection('idle', ['Z'])],
    { A: 10, B: 10 },
    3,
  );
  assert.deepEqual(names(groups), [['a'], ['b', 'idle']]);
  // Every projection is rebuilt, whatever the sample said.
  assert.equal(groups.flat().length, 3);
});

test('given a log of one kind, when split, then there is one group and no thread is worth starting', () => {
  const groups = splitProjections([projection('a', ['A']), projection('b', ['B'])], { A: 50 }, 2);
  assert.deepEqual(names(groups), [['a', 'b']]);
});

test('given an empty sample, when split, then every projection is in one group', () => {
  assert.deepEqual(names(splitProjections([projection('a', ['A']), projection('b')], {}, 2)), [['a', 'b']]);
});

test('given a projection without a type filter, when split, then it weighs the whole sample', () => {
  const groups = splitProjections(
    [projection('everything'), projection('a', ['A']), projection('b', ['B'])],
    { A: 30, B: 30 },
    2,
  );
  assert.deepEqual(names(groups), [['everything'], ['a', 'b']]);
});
