// given/when/then for every rule of the build-target decider (Koji's _create_build_target,
// _edit_build_target, _delete_build_target), with Koji's messages.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { given } from '../../kernel/given-when-then.js';
import type { Decider } from '../../kernel/decider.js';
import {
  decideTarget,
  evolveTarget,
  initialTargetState,
  type TargetCommand,
  type TargetState,
} from './target.decider.js';
import type { TargetEvent } from './tags.events.js';

const targetDecider: Decider<TargetCommand, TargetState, TargetEvent> = {
  initialState: initialTargetState,
  decide: decideTarget,
  evolve: evolveTarget,
};

const build = { id: 1, name: 'f40-build' };
const dest = { id: 2, name: 'f40' };
const other = { id: 3, name: 'other' };

const created: TargetEvent = {
  type: 'BuildTargetCreated',
  data: { id: 4, name: 'f40-candidate', buildTag: build, destTag: dest },
};
const deleted: TargetEvent = { type: 'BuildTargetDeleted', data: { id: 4, name: 'f40-candidate' } };

describe('build target decider', () => {
  test('create: the name with its build and destination tags', () => {
    given(targetDecider)
      .when({ kind: 'create', id: 4, name: 'f40-candidate', buildTag: build, destTag: dest })
      .then([created]);
  });

  test('create over a live target: "A build target with the name \'x\' already exists"', () => {
    given(targetDecider, [created])
      .when({ kind: 'create', id: 4, name: 'f40-candidate', buildTag: build, destTag: dest })
      .thenFails('GenericError', "A build target with the name 'f40-candidate' already exists");
  });

  test('create over a deleted target of that name (its old id is reused)', () => {
    given(targetDecider, [created, deleted])
      .when({ kind: 'create', id: 4, name: 'f40-candidate', buildTag: other, destTag: other })
      .then([
        {
          type: 'BuildTargetCreated',
          data: { id: 4, name: 'f40-candidate', buildTag: other, destTag: other },
        },
      ]);
  });

  test('edit or delete a target that does not exist: "No such build target: x"', () => {
    for (const c of [{ kind: 'delete' }, { kind: 'edit', name: 'x' }] as const) {
      given(targetDecider, [created, deleted])
        .when(c)
        .thenFails('GenericError', 'No such build target: f40-candidate');
      given(targetDecider).when(c).thenFails('GenericError', 'No such build target: 0');
    }
  });

  test('delete', () => {
    given(targetDecider, [created]).when({ kind: 'delete' }).then([deleted]);
  });

  test('edit: only what differs is recorded', () => {
    given(targetDecider, [created])
      .when({ kind: 'edit', name: 'f40-candidate', buildTag: build, destTag: other })
      .then([
        { type: 'BuildTargetEdited', data: { id: 4, name: 'f40-candidate', changes: { destTag: other } } },
      ]);
    given(targetDecider, [created])
      .when({ kind: 'edit', name: 'renamed', buildTag: other, destTag: dest })
      .then([
        {
          type: 'BuildTargetEdited',
          data: { id: 4, name: 'f40-candidate', changes: { name: 'renamed', buildTag: other } },
        },
      ]);
  });

  test('edit with nothing new: no event', () => {
    given(targetDecider, [created])
      .when({ kind: 'edit', name: 'f40-candidate', buildTag: build, destTag: dest })
      .then([]);
    given(targetDecider, [created]).when({ kind: 'edit' }).then([]);
  });

  test('evolve: edits apply, a delete keeps only the id and name', () => {
    const d = targetDecider;
    const edited = given(d, [
      created,
      {
        type: 'BuildTargetEdited',
        data: { id: 4, name: 'f40-candidate', changes: { name: 'renamed', destTag: other } },
      },
    ]).state();
    assert.deepEqual(edited, { exists: true, id: 4, name: 'renamed', buildTag: build, destTag: other });
    assert.deepEqual(given(d, [created, deleted]).state(), {
      exists: false,
      id: 4,
      name: 'f40-candidate',
      buildTag: null,
      destTag: null,
    });
  });
});
