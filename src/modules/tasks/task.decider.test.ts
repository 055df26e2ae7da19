import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { given } from '../../kernel/given-when-then.js';
import { isFinished, taskDecider } from './task.decider.js';
import { TASK_STATES, type StoredFault, type TaskCreated, type TaskEvent } from './tasks.events.js';

const NOW = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-01T00:05:00.000Z';
const b1 = { id: 1, name: 'builder1' };
const b2 = { id: 2, name: 'builder2' };
const alice = { id: 7, name: 'alice' };
const boom: StoredFault = { faultCode: 1005, faultString: 'mock failed', name: 'BuildError' };

function spec(over: Partial<TaskCreated['data']> = {}): TaskCreated['data'] {
  return {
    id: 5,
    method: 'sleep',
    arch: 'noarch',
    channel: { id: 1, name: 'default' },
    owner: alice,
    priority: 20,
    weight: 1,
    parent: null,
    label: null,
    request: [1],
    assignedHost: null,
    createTime: NOW,
    ...over,
  };
}

const created = (over: Partial<TaskCreated['data']> = {}): TaskEvent => ({
  type: 'TaskCreated',
  data: spec(over),
});
const assigned = created({ assignedHost: b1, method: 'saveFailedTree' });
const opened = (host = b1): TaskEvent => ({ type: 'TaskOpened', data: { id: 5, host, startTime: NOW } });
const closed: TaskEvent = {
  type: 'TaskClosed',
  data: { id: 5, host: b1, result: 'ok', completionTime: LATER },
};
const failed: TaskEvent = {
  type: 'TaskFailed',
  data: { id: 5, host: b1, fault: boom, completionTime: LATER },
};
const canceled: TaskEvent = { type: 'TaskCanceled', data: { id: 5, by: alice, completionTime: LATER } };
const freed: TaskEvent = {
  type: 'TaskFreed',
  data: { id: 5, host: b1, reason: 'host builder1 stopped reporting' },
};

/** Every way a task can be reached, named by its state. */
const HISTORIES: Record<string, TaskEvent[]> = {
  FREE: [created()],
  ASSIGNED: [assigned],
  OPEN: [created(), opened()],
  CLOSED: [created(), opened(), closed],
  FAILED: [created(), opened(), failed],
  CANCELED: [created(), canceled],
};

describe('task decider: creation', () => {
  test('a new task is FREE, or ASSIGNED when given to a host on purpose', () => {
    given(taskDecider).when({ kind: 'create', task: spec() }).then([created()]);
    assert.equal(given(taskDecider, [created()]).state().state, TASK_STATES.FREE);
    const s = given(taskDecider, [assigned]).state();
    assert.equal(s.state, TASK_STATES.ASSIGNED);
    assert.deepEqual(s.host, b1);
    assert.deepEqual(s.assignedHost, b1);
  });

  test('a task is created once', () => {
    given(taskDecider, [created()])
      .when({ kind: 'create', task: spec() })
      .thenFails('GenericError', 'task 5 already exists');
  });

  test('every transition of a task that does not exist: No such task', () => {
    for (const c of [
      { kind: 'open', host: b1, now: NOW },
      { kind: 'setWeight', host: b1, weight: 2 },
      { kind: 'close', host: b1, result: null, now: NOW },
      { kind: 'fail', host: null, fault: boom, now: NOW },
      { kind: 'cancel', by: alice, now: NOW },
      { kind: 'free', host: b1, reason: 'x' },
    ] as const)
      given(taskDecider).when(c).thenFails('GenericError', 'No such task');
  });
});

describe('task decider: opening', () => {
  test('FREE → OPEN by any host', () => {
    given(taskDecider, HISTORIES.FREE)
      .when({ kind: 'open', host: b2, now: NOW })
      .then([opened(b2)]);
    const s = given(taskDecider, [...HISTORIES.FREE, opened(b2)]).state();
    assert.equal(s.state, TASK_STATES.OPEN);
    assert.deepEqual(s.host, b2);
  });

  test('ASSIGNED → OPEN only by the host it was assigned to', () => {
    given(taskDecider, [assigned])
      .when({ kind: 'open', host: b1, now: NOW })
      .then([opened(b1)]);
    given(taskDecider, [assigned])
      .when({ kind: 'open', host: b2, now: NOW })
      .thenFails('ActionNotAllowed', 'task 5 is assigned to host builder1');
  });

  test('a task that is OPEN or finished cannot be opened again (two hosts never run one task)', () => {
    for (const state of ['OPEN', 'CLOSED', 'FAILED', 'CANCELED'])
      for (const host of [b1, b2])
        given(taskDecider, HISTORIES[state])
          .when({ kind: 'open', host, now: NOW })
          .thenFails('GenericError', `task 5 is not free: it is ${state}`);
  });

  test('a task freed after its host stopped reporting can be opened by another host', () => {
    given(taskDecider, [created(), opened(b1), freed])
      .when({ kind: 'open', host: b2, now: LATER })
      .then([{ type: 'TaskOpened', data: { id: 5, host: b2, startTime: LATER } }]);
  });
});

describe('task decider: the host that owns an OPEN task', () => {
  test('closes it: OPEN → CLOSED with its result', () => {
    given(taskDecider, HISTORIES.OPEN)
      .when({ kind: 'close', host: b1, result: 'ok', now: LATER })
      .then([closed]);
    assert.equal(given(taskDecider, HISTORIES.CLOSED).state().state, TASK_STATES.CLOSED);
  });

  test('fails it: OPEN → FAILED with its fault (and a result when there is one)', () => {
    given(taskDecider, HISTORIES.OPEN)
      .when({ kind: 'fail', host: b1, fault: boom, now: LATER })
      .then([failed]);
    given(taskDecider, HISTORIES.OPEN)
      .when({ kind: 'fail', host: b1, fault: boom, result: { log: 'x' }, now: LATER })
      .then([
        {
          type: 'TaskFailed',
          data: { id: 5, host: b1, fault: boom, result: { log: 'x' }, completionTime: LATER },
        },
      ]);
    assert.equal(given(taskDecider, HISTORIES.FAILED).state().state, TASK_STATES.FAILED);
  });

  test('sets its weight; the same weight appends nothing; a negative weight is refused', () => {
    given(taskDecider, HISTORIES.OPEN)
      .when({ kind: 'setWeight', host: b1, weight: 2.5 })
      .then([{ type: 'TaskWeightSet', data: { id: 5, weight: 2.5 } }]);
    assert.equal(
      given(taskDecider, [...HISTORIES.OPEN, { type: 'TaskWeightSet', data: { id: 5, weight: 2.5 } }]).state()
        .weight,
      2.5,
    );
    given(taskDecider, HISTORIES.OPEN).when({ kind: 'setWeight', host: b1, weight: 1 }).then([]);
    given(taskDecider, HISTORIES.OPEN)
      .when({ kind: 'setWeight', host: b1, weight: -1 })
      .thenFails('GenericError', 'invalid weight for task 5: -1');
    given(taskDecider, HISTORIES.OPEN)
      .when({ kind: 'setWeight', host: b1, weight: Number.NaN })
      .thenFails('GenericError', 'invalid weight for task 5: NaN');
  });

  test('another host, or a task that is not OPEN: Koji\'s "host %d does not own task %d"', () => {
    const commands = (host: typeof b1) =>
      [
        { kind: 'close', host, result: null, now: NOW },
        { kind: 'fail', host, fault: boom, now: NOW },
        { kind: 'setWeight', host, weight: 3 },
      ] as const;
    for (const c of commands(b2))
      given(taskDecider, HISTORIES.OPEN).when(c).thenFails('ActionNotAllowed', 'host 2 does not own task 5');
    for (const state of ['FREE', 'ASSIGNED', 'CLOSED', 'FAILED', 'CANCELED'])
      for (const c of commands(b1))
        given(taskDecider, HISTORIES[state])
          .when(c)
          .thenFails('ActionNotAllowed', 'host 1 does not own task 5');
  });
});

describe('task decider: the hub failing a task (no host)', () => {
  test('FREE, ASSIGNED and OPEN tasks fail; a finished one is refused', () => {
    for (const state of ['FREE', 'ASSIGNED', 'OPEN'])
      given(taskDecider, HISTORIES[state])
        .when({ kind: 'fail', host: null, fault: boom, now: LATER })
        .then([{ type: 'TaskFailed', data: { id: 5, host: null, fault: boom, completionTime: LATER } }]);
    for (const state of ['CLOSED', 'FAILED', 'CANCELED'])
      given(taskDecider, HISTORIES[state])
        .when({ kind: 'fail', host: null, fault: boom, now: LATER })
        .thenFails('GenericError', `task 5 is already finished: it is ${state}`);
  });
});

describe('task decider: cancelling', () => {
  test('FREE, ASSIGNED and OPEN → CANCELED, with who did it and the parent that caused it', () => {
    for (const state of ['FREE', 'ASSIGNED', 'OPEN']) {
      given(taskDecider, HISTORIES[state]).when({ kind: 'cancel', by: alice, now: LATER }).then([canceled]);
      given(taskDecider, HISTORIES[state])
        .when({ kind: 'cancel', by: alice, now: LATER, parentCanceled: 4 })
        .then([
          { type: 'TaskCanceled', data: { id: 5, by: alice, completionTime: LATER, parentCanceled: 4 } },
        ]);
    }
    assert.equal(given(taskDecider, HISTORIES.CANCELED).state().state, TASK_STATES.CANCELED);
  });

  test('cancelling a finished task appends nothing', () => {
    for (const state of ['CLOSED', 'FAILED', 'CANCELED'])
      given(taskDecider, HISTORIES[state]).when({ kind: 'cancel', by: alice, now: LATER }).then([]);
  });
});

describe('task decider: freeing the tasks of a host that stopped reporting', () => {
  const free = { kind: 'free', host: b1, reason: 'host builder1 stopped reporting' } as const;

  test('an OPEN task of that host → FREE, without a host', () => {
    given(taskDecider, HISTORIES.OPEN).when(free).then([freed]);
    const s = given(taskDecider, [...HISTORIES.OPEN, freed]).state();
    assert.equal(s.state, TASK_STATES.FREE);
    assert.equal(s.host, null);
  });

  test('a task of another host, or one that is not OPEN, is left alone', () => {
    given(taskDecider, [created(), opened(b2)])
      .when(free)
      .then([]);
    for (const state of ['FREE', 'ASSIGNED', 'CLOSED', 'FAILED', 'CANCELED'])
      given(taskDecider, HISTORIES[state]).when(free).then([]);
  });

  test('a task assigned to that host on purpose is never freed (the scanner fails it instead)', () => {
    given(taskDecider, [assigned, opened(b1)])
      .when(free)
      .thenFails('GenericError', 'task 5 was assigned to host builder1 on purpose');
  });
});

test("isFinished: Koji's finished states are CLOSED, CANCELED and FAILED", () => {
  assert.deepEqual(
    Object.entries(TASK_STATES)
      .filter(([, v]) => isFinished(v))
      .map(([k]) => k)
      .sort(),
    ['CANCELED', 'CLOSED', 'FAILED'],
  );
});
