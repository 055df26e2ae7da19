import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decider } from '../../kernel/decider.js';
import { given } from '../../kernel/given-when-then.js';
import {
  decideBuildrootState,
  decideHost,
  evolveBuildroot,
  evolveChannel,
  evolveHost,
  initialBuildrootState,
  initialChannelState,
  initialHostState,
  type BuildrootState,
  type HostCommand,
  type HostState,
} from './host.decider.js';
import {
  BR_STATES,
  type BuildrootEvent,
  type ChannelEvent,
  type HostAdded,
  type HostEvent,
} from './tasks.events.js';

const hostDecider: Decider<HostCommand, HostState, HostEvent> = {
  initialState: initialHostState,
  decide: decideHost,
  evolve: evolveHost,
};

/** Koji's BuildRoot.setState as a decider: the command is the new state. */
const buildrootDecider: Decider<{ state: number; now: string }, BuildrootState, BuildrootEvent> = {
  initialState: initialBuildrootState,
  decide: (c, s) => decideBuildrootState(s, c.state, c.now),
  evolve: evolveBuildroot,
};

const NOW = '2026-01-01T00:00:00.000Z';
const who = { id: 3, name: 'builder1' };
const hostData: HostAdded['data'] = {
  ...who,
  userId: 9,
  arches: 'x86_64 i686',
  capacity: 2,
  description: null,
  comment: null,
};
const added: HostEvent = { type: 'HostAdded', data: hostData };
const runroot = { id: 2, name: 'runroot' };
const subscribed: HostEvent = { type: 'HostChannelAdded', data: { ...who, channel: runroot } };

describe('host decider', () => {
  test('add a host once; it starts enabled, not ready, in no channel', () => {
    given(hostDecider).when({ kind: 'add', host: hostData }).then([added]);
    given(hostDecider, [added])
      .when({ kind: 'add', host: hostData })
      .thenFails('GenericError', 'host already exists: builder1');
    const s = given(hostDecider, [added]).state();
    assert.equal(s.enabled, true);
    assert.equal(s.ready, false);
    assert.deepEqual(s.channels, {});
    assert.equal(s.arches, 'x86_64 i686');
  });

  test('every change of a host that does not exist: No such host', () => {
    for (const c of [
      { kind: 'edit', changes: { capacity: 4 } },
      { kind: 'setEnabled', enabled: false },
      { kind: 'addChannel', channel: runroot },
      { kind: 'removeChannel', channel: runroot },
      { kind: 'checkIn', ready: true, taskLoad: 0, now: NOW, everyMs: 60_000 },
    ] as const)
      given(hostDecider).when(c).thenFails('GenericError', 'No such host');
  });

  test('edit records only what changes; no change appends nothing', () => {
    given(hostDecider, [added])
      .when({
        kind: 'edit',
        changes: { arches: 'x86_64 i686', capacity: 4, description: 'fast', comment: undefined },
      })
      .then([{ type: 'HostEdited', data: { ...who, changes: { capacity: 4, description: 'fast' } } }]);
    given(hostDecider, [added])
      .when({ kind: 'edit', changes: { arches: 'x86_64 i686', capacity: 2 } })
      .then([]);
    given(hostDecider, [added]).when({ kind: 'edit', changes: {} }).then([]);
    const edited: HostEvent = { type: 'HostEdited', data: { ...who, changes: { comment: 'disk swap' } } };
    assert.equal(given(hostDecider, [added, edited]).state().comment, 'disk swap');
    given(hostDecider, [added, edited])
      .when({ kind: 'edit', changes: { comment: 'disk swap' } })
      .then([]);
    given(hostDecider, [added, edited])
      .when({ kind: 'edit', changes: { comment: null } })
      .then([{ type: 'HostEdited', data: { ...who, changes: { comment: null } } }]);
  });

  test('enable and disable are no-ops when the host is already so', () => {
    given(hostDecider, [added]).when({ kind: 'setEnabled', enabled: true }).then([]);
    const disabled: HostEvent = { type: 'HostEnabledChanged', data: { ...who, enabled: false } };
    given(hostDecider, [added]).when({ kind: 'setEnabled', enabled: false }).then([disabled]);
    given(hostDecider, [added, disabled]).when({ kind: 'setEnabled', enabled: false }).then([]);
    assert.equal(given(hostDecider, [added, disabled]).state().enabled, false);
    given(hostDecider, [added, disabled])
      .when({ kind: 'setEnabled', enabled: true })
      .then([{ type: 'HostEnabledChanged', data: { ...who, enabled: true } }]);
  });

  test("channel subscriptions, with Koji's messages for a second subscribe and a missing one", () => {
    given(hostDecider, [added]).when({ kind: 'addChannel', channel: runroot }).then([subscribed]);
    assert.deepEqual(given(hostDecider, [added, subscribed]).state().channels, { '2': 'runroot' });
    given(hostDecider, [added, subscribed])
      .when({ kind: 'addChannel', channel: runroot })
      .thenFails('GenericError', 'Host builder1 is already subscribed to the runroot channel');
    given(hostDecider, [added])
      .when({ kind: 'removeChannel', channel: runroot })
      .thenFails('GenericError', 'Host builder1 is not subscribed to the runroot channel');
    const removed: HostEvent = { type: 'HostChannelRemoved', data: { ...who, channel: runroot } };
    given(hostDecider, [added, subscribed]).when({ kind: 'removeChannel', channel: runroot }).then([removed]);
    assert.deepEqual(given(hostDecider, [added, subscribed, removed]).state().channels, {});
    given(hostDecider, [added, subscribed, removed])
      .when({ kind: 'addChannel', channel: runroot })
      .then([subscribed]);
  });

  test('the scheduler marks a ready host not ready; its next heartbeat makes it ready again', () => {
    const checkedIn: HostEvent = {
      type: 'HostCheckedIn',
      data: { ...who, ready: true, taskLoad: 0, time: NOW },
    };
    const later = '2026-01-01T00:10:00.000Z';
    const marked: HostEvent = { type: 'HostMarkedNotReady', data: { ...who, time: later } };
    given(hostDecider, [added, checkedIn]).when({ kind: 'markNotReady', now: later }).then([marked]);
    // Not ready already (never checked in, or marked before): nothing to record.
    given(hostDecider, [added]).when({ kind: 'markNotReady', now: later }).then([]);
    given(hostDecider, [added, checkedIn, marked]).when({ kind: 'markNotReady', now: later }).then([]);
    const s = given(hostDecider, [added, checkedIn, marked]).state();
    assert.deepEqual([s.ready, s.lastCheckIn], [false, NOW]);
    // Within the check-in interval, yet recorded: readiness changed.
    given(hostDecider, [added, checkedIn, marked])
      .when({ kind: 'checkIn', ready: true, taskLoad: 0, now: later, everyMs: 3_600_000 })
      .then([{ type: 'HostCheckedIn', data: { ...who, ready: true, taskLoad: 0, time: later } }]);
    given(hostDecider).when({ kind: 'markNotReady', now: later }).thenFails('GenericError', 'No such host');
  });

  test('check-ins are throttled: the first, a change of readiness, or one per interval', () => {
    const checkIn = (ready: boolean, now: string) =>
      ({ kind: 'checkIn', ready, taskLoad: 1.5, now, everyMs: 60_000 }) as const;
    const first: HostEvent = {
      type: 'HostCheckedIn',
      data: { ...who, ready: true, taskLoad: 1.5, time: NOW },
    };
    given(hostDecider, [added]).when(checkIn(true, NOW)).then([first]);
    // The first report, even of not being ready, is recorded: it is when the host was last seen.
    given(hostDecider, [added])
      .when(checkIn(false, NOW))
      .then([{ type: 'HostCheckedIn', data: { ...who, ready: false, taskLoad: 1.5, time: NOW } }]);
    const s = given(hostDecider, [added, first]).state();
    assert.equal(s.ready, true);
    assert.equal(s.lastCheckIn, NOW);
    given(hostDecider, [added, first]).when(checkIn(true, '2026-01-01T00:00:59.999Z')).then([]);
    given(hostDecider, [added, first])
      .when(checkIn(false, '2026-01-01T00:00:05.000Z'))
      .then([
        {
          type: 'HostCheckedIn',
          data: { ...who, ready: false, taskLoad: 1.5, time: '2026-01-01T00:00:05.000Z' },
        },
      ]);
    given(hostDecider, [added, first])
      .when(checkIn(true, '2026-01-01T00:01:00.000Z'))
      .then([
        {
          type: 'HostCheckedIn',
          data: { ...who, ready: true, taskLoad: 1.5, time: '2026-01-01T00:01:00.000Z' },
        },
      ]);
  });
});

describe('channel evolve', () => {
  test('a channel starts enabled; edits change only what they name', () => {
    const events: ChannelEvent[] = [
      { type: 'ChannelAdded', data: { id: 4, name: 'image', description: 'images' } },
      { type: 'ChannelEdited', data: { id: 4, name: 'image', changes: { enabled: false } } },
      { type: 'ChannelEdited', data: { id: 4, name: 'image', changes: { name: 'images' } } },
    ];
    assert.deepEqual(events.reduce(evolveChannel, initialChannelState), {
      exists: true,
      id: 4,
      name: 'images',
      enabled: false,
      description: 'images',
    });
  });
});

describe('buildroot states', () => {
  const created: BuildrootEvent = {
    type: 'BuildrootCreated',
    data: {
      id: 8,
      host: who,
      taskId: 5,
      arch: 'x86_64',
      tag: { id: 1, name: 'f40-build' },
      repoId: 2,
      path: '/var/lib/mock/f40-build-8-2',
      createTime: NOW,
    },
  };
  const to = (state: number): BuildrootEvent => ({
    type: 'BuildrootStateChanged',
    data: { id: 8, state, time: NOW },
  });

  test('a new buildroot is INIT and belongs to its host and task', () => {
    const s = given(buildrootDecider, [created]).state();
    assert.equal(s.state, BR_STATES.INIT);
    assert.equal(s.hostId, 3);
    assert.equal(s.taskId, 5);
  });

  test('INIT → WAITING → BUILDING → EXPIRED; the same state appends nothing', () => {
    given(buildrootDecider, [created])
      .when({ state: BR_STATES.WAITING, now: NOW })
      .then([to(BR_STATES.WAITING)]);
    given(buildrootDecider, [created])
      .when({ state: BR_STATES.BUILDING, now: NOW })
      .then([to(BR_STATES.BUILDING)]);
    given(buildrootDecider, [created, to(BR_STATES.BUILDING)])
      .when({ state: BR_STATES.EXPIRED, now: NOW })
      .then([to(BR_STATES.EXPIRED)]);
    given(buildrootDecider, [created, to(BR_STATES.BUILDING)])
      .when({ state: BR_STATES.BUILDING, now: NOW })
      .then([]);
    // BUILDING back to WAITING is allowed by Koji, as any move that is not to INIT or out of EXPIRED.
    given(buildrootDecider, [created, to(BR_STATES.BUILDING)])
      .when({ state: BR_STATES.WAITING, now: NOW })
      .then([to(BR_STATES.WAITING)]);
  });

  test("Koji's refusals: back to INIT, out of EXPIRED, an unknown state, a missing buildroot", () => {
    for (const past of [[created], [created, to(BR_STATES.BUILDING)], [created, to(BR_STATES.EXPIRED)]])
      given(buildrootDecider, past)
        .when({ state: BR_STATES.INIT, now: NOW })
        .thenFails('GenericError', 'Cannot change buildroot state to INIT');
    for (const state of [BR_STATES.WAITING, BR_STATES.BUILDING])
      given(buildrootDecider, [created, to(BR_STATES.EXPIRED)])
        .when({ state, now: NOW })
        .thenFails('GenericError', 'buildroot 8 is EXPIRED');
    given(buildrootDecider, [created, to(BR_STATES.EXPIRED)])
      .when({ state: BR_STATES.EXPIRED, now: NOW })
      .then([]);
    given(buildrootDecider, [created])
      .when({ state: 7, now: NOW })
      .thenFails('GenericError', 'Invalid buildroot state: 7');
    given(buildrootDecider)
      .when({ state: BR_STATES.BUILDING, now: NOW })
      .thenFails('GenericError', 'No such buildroot');
  });

  test('retention is recorded beside the state, not as a state', () => {
    const s = given(buildrootDecider, [
      created,
      to(BR_STATES.EXPIRED),
      { type: 'BuildrootRetained', data: { id: 8, keepUntil: '2026-01-01T04:00:00.000Z' } },
      {
        type: 'BuildrootRemoved',
        data: { id: 8, removedAt: '2026-01-01T04:00:01.000Z', reason: 'lifetime' },
      },
    ]).state();
    assert.equal(s.state, BR_STATES.EXPIRED);
    assert.equal(s.keepUntil, '2026-01-01T04:00:00.000Z');
    assert.equal(s.removedAt, '2026-01-01T04:00:01.000Z');
  });
});
