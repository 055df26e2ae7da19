// checkSave: Koji's saveFailedTree checks (spec §5.1) with the owner first (§7 S8) and a worded
// refusal for a buildroot no task made (§7 S5).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KojiError } from '../../kernel/errors.js';
import { castBuildrootId, checkSave, sameTree, type SaveFacts } from './failed-tree.rules.js';

const ALICE = { id: 7, perms: [] };
const BOB = { id: 8, perms: [] };
const ROOT = { id: 1, perms: ['admin'] };

/** A FAILED buildArch task of alice's, its buildroot on an enabled host, still on disk. */
function facts(change: Partial<SaveFacts> = {}): SaveFacts {
  return {
    buildroot: { id: 3, task_id: 40, host_id: 2, removed_at: null },
    task: { id: 40, state: 5, method: 'buildArch', owner: ALICE.id, host_id: 2 },
    hostEnabled: true,
    caller: ALICE,
    allowedMethods: ['buildArch'],
    ...change,
  };
}

function refused(f: SaveFacts, fault: string, message: string | RegExp) {
  assert.throws(
    () => checkSave(3, f),
    (e: unknown) => {
      assert.ok(e instanceof KojiError, String(e));
      assert.equal(e.faultName, fault);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    },
  );
}

describe('checkSave', () => {
  test('the owner of a failed task of an allowed method may save it; so may an admin', () => {
    checkSave(3, facts());
    checkSave(3, facts({ caller: ROOT }));
    checkSave(3, facts({ allowedMethods: null, task: { ...facts().task!, method: 'runroot' } }));
  });

  test('no such buildroot', () => {
    refused(facts({ buildroot: null }), 'GenericError', 'No such buildroot: 3');
  });

  test("a buildroot no task made: a GenericError that says so, not Koji's ParameterError (S5)", () => {
    const external = facts({ buildroot: { id: 3, task_id: null, host_id: 2, removed_at: null }, task: null });
    refused(
      external,
      'GenericError',
      'Buildroot 3 was not made by a task (an external or content generator buildroot): there is no failed task to save it for',
    );
  });

  test('another user learns nothing of the task: the owner check comes before its state and method (S8)', () => {
    const owner = "Only owner of failed task or 'admin' can run this task.";
    const open = { ...facts().task!, state: 1, method: 'runroot' };
    refused(facts({ caller: BOB, task: open }), 'ActionNotAllowed', owner);
    refused(facts({ caller: null }), 'ActionNotAllowed', owner);
    // the owner does learn them
    refused(
      facts({ task: { ...open, method: 'buildArch' } }),
      'PreBuildError',
      'Task 40 has not failed. Only failed tasks can upload their buildroots.',
    );
    refused(
      facts({
        task: { ...facts().task!, method: 'runroot' },
        allowedMethods: ['buildArch', 'buildSRPMFromSCM'],
      }),
      'PreBuildError',
      'Only buildArch, buildSRPMFromSCM tasks can upload their buildroots (Task 40 is runroot).',
    );
  });

  test('then the host, then the directory', () => {
    refused(facts({ hostEnabled: false }), 'PreBuildError', 'Host is disabled.');
    refused(
      facts({ buildroot: { id: 3, task_id: 40, host_id: 2, removed_at: '2026-11-24T10:00:00Z' } }),
      'GenericError',
      /^Buildroot 3 was removed from its builder at 2026-11-24T10:00:00Z/,
    );
  });

  test("castBuildrootId: Koji's convert_value(cast=int)", () => {
    assert.equal(castBuildrootId(5), 5);
    assert.equal(castBuildrootId(' 12 '), 12);
    assert.throws(
      () => castBuildrootId('x'),
      /Invalid type for value 'x': <class 'str'>, expected type <class 'int'>/,
    );
    assert.throws(() => castBuildrootId(1.5), /<class 'float'>/);
    assert.throws(() => castBuildrootId(null), /<class 'NoneType'>/);
    assert.throws(() => castBuildrootId({ id: 3 }), /<class 'dict'>/);
  });

  test('castBuildrootId: an int beyond any id (an XML-RPC i8 past 2^53) is no buildroot, named exactly', () => {
    assert.throws(() => castBuildrootId(2n ** 62n), /^GenericError: No such buildroot: 4611686018427387904$/);
    assert.throws(
      () => castBuildrootId('123456789012345678901'),
      /No such buildroot: 123456789012345678901$/,
    );
  });
});

describe('sameTree: the same buildroot asked again (S6)', () => {
  const saved = (task_id: number, full: boolean, expired: unknown = null) => ({
    task_id,
    full,
    file: 'broot-3.tar.gz',
    expired,
  });

  test('nothing at work and nothing saved: a new task', () => {
    assert.equal(sameTree(3, false, [], []), null);
  });

  test('a task at work on the same mode is reused; one on the other mode is not', () => {
    assert.equal(sameTree(3, false, [{ id: 50, full: false }], []), 50);
    assert.equal(sameTree(3, true, [{ id: 50, full: false }], []), null);
    assert.equal(
      sameTree(
        3,
        true,
        [
          { id: 50, full: false },
          { id: 51, full: true },
        ],
        [],
      ),
      51,
    );
  });

  test('a saved tree of the same mode is refused with its task; an expired one or the other mode is not', () => {
    assert.throws(
      () => sameTree(3, true, [], [saved(44, true)]),
      (e: unknown) =>
        e instanceof KojiError &&
        e.faultName === 'GenericError' &&
        e.message ===
          'The whole tree of buildroot 3 is already saved by task 44 (broot-3.tar.gz): koji-es download-task 44',
    );
    assert.equal(sameTree(3, true, [], [saved(44, true, { reason: 'max_age_days', time: 'x' })]), null);
    assert.equal(sameTree(3, false, [], [saved(44, true)]), null);
  });
});
