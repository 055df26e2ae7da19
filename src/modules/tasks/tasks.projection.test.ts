import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { project, recorded } from '../../kernel/given-when-then.js';
import { BR_STATES, TASK_STATES } from './tasks.events.js';
import {
  BUILDROOTS,
  CHANNELS,
  HOSTS,
  kojiTime,
  TASKS,
  tasksProjection,
  type BuildrootDoc,
  type ChannelDoc,
  type HostDoc,
  type TaskDoc,
} from './tasks.projection.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.250Z';
const T2 = '2026-01-01T00:02:00.500Z';
const b1 = { id: 1, name: 'builder1' };
const alice = { id: 7, name: 'alice' };
const fault = { faultCode: 1005, faultString: 'mock failed', name: 'BuildError' };

function createdTask(id: number, over: Record<string, unknown> = {}) {
  return {
    type: 'TaskCreated',
    data: {
      id,
      method: 'runroot',
      arch: 'x86_64',
      channel: { id: 2, name: 'runroot' },
      owner: alice,
      priority: 15,
      weight: 1,
      parent: null,
      label: null,
      request: ['f40-build', 'x86_64', ['ls'], { packages: [], __starstar: true }],
      assignedHost: null,
      createTime: T0,
      ...over,
    },
  };
}

describe('tasks projection', () => {
  test("kojiTime: Koji's text time with microseconds and the float seconds", () => {
    assert.deepEqual(kojiTime(T1), { time: '2026-01-01 00:01:00.250000+00:00', ts: Date.parse(T1) / 1000 });
  });

  test("a task's life: created, opened, weighted, closed — as getTaskInfo reads it", async () => {
    const rm = await project(
      tasksProjection,
      recorded('task-5', [
        createdTask(5),
        { type: 'TaskOpened', data: { id: 5, host: b1, startTime: T1 } },
        { type: 'TaskWeightSet', data: { id: 5, weight: 2 } },
        { type: 'TaskClosed', data: { id: 5, host: b1, result: 'done', completionTime: T2 } },
      ]),
    );
    const t = await rm.get<TaskDoc>(TASKS, '5');
    assert.deepEqual(t, {
      id: 5,
      state: TASK_STATES.CLOSED,
      create_time: '2026-01-01 00:00:00.000000+00:00',
      create_ts: Date.parse(T0) / 1000,
      start_time: '2026-01-01 00:01:00.250000+00:00',
      start_ts: Date.parse(T1) / 1000,
      completion_time: '2026-01-01 00:02:00.500000+00:00',
      completion_ts: Date.parse(T2) / 1000,
      channel_id: 2,
      channel_name: 'runroot',
      host_id: 1,
      host_name: 'builder1',
      parent: null,
      label: null,
      waiting: null,
      awaited: null,
      owner: 7,
      owner_name: 'alice',
      method: 'runroot',
      arch: 'x86_64',
      priority: 15,
      weight: 2,
      request: ['f40-build', 'x86_64', ['ls'], { packages: [], __starstar: true }],
      result: 'done',
      fault: null,
      assigned: false,
    });
  });

  test('failed keeps the fault; canceled gets a completion time; freed loses its host and start', async () => {
    const rm = await project(tasksProjection, [
      ...recorded('task-6', [
        createdTask(6),
        { type: 'TaskOpened', data: { id: 6, host: b1, startTime: T1 } },
        { type: 'TaskFailed', data: { id: 6, host: b1, fault, result: { logs: ['x'] }, completionTime: T2 } },
      ]),
      ...recorded('task-7', [
        createdTask(7, { parent: 6 }),
        { type: 'TaskCanceled', data: { id: 7, by: alice, completionTime: T2, parentCanceled: 6 } },
      ]),
      ...recorded('task-8', [
        createdTask(8),
        { type: 'TaskOpened', data: { id: 8, host: b1, startTime: T1 } },
        { type: 'TaskFreed', data: { id: 8, host: b1, reason: 'host builder1 stopped reporting' } },
      ]),
      ...recorded('task-9', [createdTask(9, { assignedHost: b1, method: 'saveFailedTree', arch: 'noarch' })]),
    ]);
    const failed = (await rm.get<TaskDoc>(TASKS, '6'))!;
    assert.equal(failed.state, TASK_STATES.FAILED);
    assert.deepEqual(failed.fault, fault);
    assert.deepEqual(failed.result, { logs: ['x'] });
    assert.equal(failed.completion_ts, Date.parse(T2) / 1000);
    const canceled = (await rm.get<TaskDoc>(TASKS, '7'))!;
    assert.equal(canceled.state, TASK_STATES.CANCELED);
    assert.equal(canceled.parent, 6);
    assert.equal(canceled.completion_time, '2026-01-01 00:02:00.500000+00:00');
    const freed = (await rm.get<TaskDoc>(TASKS, '8'))!;
    assert.equal(freed.state, TASK_STATES.FREE);
    assert.equal(freed.host_id, null);
    assert.equal(freed.host_name, null);
    assert.equal(freed.start_ts, null);
    const assigned = (await rm.get<TaskDoc>(TASKS, '9'))!;
    assert.equal(assigned.state, TASK_STATES.ASSIGNED);
    assert.equal(assigned.host_id, 1);
    assert.equal(assigned.assigned, true);
    // The indexes the queries use: children of a parent, tasks by state and host.
    assert.deepEqual(
      (await rm.find<TaskDoc>(TASKS, { where: { parent: 6 } })).map((t) => t.id),
      [7],
    );
    assert.equal(await rm.count(TASKS, { state: TASK_STATES.ASSIGNED, host_id: 1 }), 1);
  });

  test('hosts and channels, as getHost and listChannels read them', async () => {
    const rm = await project(tasksProjection, [
      ...recorded('channel-1', [
        { type: 'ChannelAdded', data: { id: 1, name: 'default', description: null } },
      ]),
      ...recorded('channel-2', [
        { type: 'ChannelAdded', data: { id: 2, name: 'runroot', description: 'runroot tasks' } },
        {
          type: 'ChannelEdited',
          data: { id: 2, name: 'runroot', changes: { enabled: false, comment: 'maintenance' } },
        },
      ]),
      ...recorded('host-1', [
        {
          type: 'HostAdded',
          data: { ...b1, userId: 4, arches: 'x86_64', capacity: 2, description: null, comment: null },
        },
        { type: 'HostChannelAdded', data: { ...b1, channel: { id: 2, name: 'runroot' } } },
        { type: 'HostChannelAdded', data: { ...b1, channel: { id: 1, name: 'default' } } },
        { type: 'HostEdited', data: { ...b1, changes: { capacity: 8, arches: 'x86_64 i686' } } },
        { type: 'HostEnabledChanged', data: { ...b1, enabled: false } },
        { type: 'HostCheckedIn', data: { ...b1, ready: true, taskLoad: 0, time: T1 } },
        { type: 'HostChannelRemoved', data: { ...b1, channel: { id: 2, name: 'runroot' } } },
      ]),
    ]);
    assert.deepEqual(await rm.get<HostDoc>(HOSTS, '1'), {
      id: 1,
      user_id: 4,
      name: 'builder1',
      update_ts: Date.parse(T1) / 1000,
      update_time: '2026-01-01 00:01:00.250000+00:00',
      ready: true,
      arches: 'x86_64 i686',
      capacity: 8,
      description: null,
      comment: null,
      enabled: false,
      channels: [1],
    });
    assert.deepEqual(await rm.get<ChannelDoc>(CHANNELS, '2'), {
      id: 2,
      name: 'runroot',
      description: 'runroot tasks',
      enabled: false,
      comment: 'maintenance',
    });
    assert.equal((await rm.find<HostDoc>(HOSTS, { where: { user_id: 4 } })).length, 1);
  });

  test('a host the scheduler marked not ready keeps its last check-in until the next one', async () => {
    const added = {
      type: 'HostAdded',
      data: { ...b1, userId: 4, arches: 'x86_64', capacity: 2, description: null, comment: null },
    };
    const checkIn = (time: string) => ({
      type: 'HostCheckedIn',
      data: { ...b1, ready: true, taskLoad: 0, time },
    });
    const marked = { type: 'HostMarkedNotReady', data: { ...b1, time: T2 } };
    let rm = await project(tasksProjection, recorded('host-1', [added, checkIn(T1), marked]));
    const silent = await rm.get<HostDoc>(HOSTS, '1');
    assert.deepEqual([silent?.ready, silent?.update_ts], [false, Date.parse(T1) / 1000]);
    rm = await project(tasksProjection, recorded('host-1', [added, checkIn(T0), marked, checkIn(T2)]));
    const back = await rm.get<HostDoc>(HOSTS, '1');
    assert.deepEqual([back?.ready, back?.update_ts], [true, Date.parse(T2) / 1000]);
  });

  test('buildroots: state, retire event on EXPIRED, retention and removal beside the state', async () => {
    const events = recorded('buildroot-3', [
      {
        type: 'BuildrootCreated',
        data: {
          id: 3,
          host: b1,
          taskId: 5,
          arch: 'x86_64',
          tag: { id: 10, name: 'f40-build' },
          repoId: 4,
          path: '/var/lib/mock/f40-build-3-4',
          createTime: T0,
        },
      },
      { type: 'BuildrootStateChanged', data: { id: 3, state: BR_STATES.BUILDING, time: T1 } },
      { type: 'BuildrootStateChanged', data: { id: 3, state: BR_STATES.EXPIRED, time: T2 } },
      { type: 'BuildrootRetained', data: { id: 3, keepUntil: '2026-01-01T04:00:00.000Z' } },
      {
        type: 'BuildrootRemoved',
        data: { id: 3, removedAt: '2026-01-01T04:00:01.000Z', reason: 'lifetime over' },
      },
    ]);
    const rm = await project(tasksProjection, events);
    assert.deepEqual(await rm.get<BuildrootDoc>(BUILDROOTS, '3'), {
      id: 3,
      br_type: 0,
      arch: 'x86_64',
      host_id: 1,
      host_name: 'builder1',
      task_id: 5,
      tag_id: 10,
      tag_name: 'f40-build',
      repo_id: 4,
      state: BR_STATES.EXPIRED,
      path: '/var/lib/mock/f40-build-3-4',
      create_event_id: events[0].position,
      create_ts: Date.parse(T0) / 1000,
      create_time: '2026-01-01 00:00:00.000000+00:00',
      retire_event_id: events[2].position,
      retire_ts: Date.parse(T2) / 1000,
      keep_until: '2026-01-01T04:00:00.000Z',
      removed_at: '2026-01-01T04:00:01.000Z',
      removed_reason: 'lifetime over',
    });
  });

  test('events for a document that does not exist change nothing', async () => {
    const rm = await project(
      tasksProjection,
      recorded('task-40', [
        { type: 'TaskOpened', data: { id: 40, host: b1, startTime: T1 } },
        { type: 'HostEnabledChanged', data: { ...b1, enabled: false } },
      ]),
    );
    assert.equal(await rm.get(TASKS, '40'), null);
    assert.equal(await rm.get(HOSTS, '1'), null);
  });
});
