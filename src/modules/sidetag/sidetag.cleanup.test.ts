// koji-sidetag-cleanup's selection (spec §2.9): the stages empty → old → inactive, each passing on only
// what it did not select, so a sidetag is reported at most once; held sidetags and --ignore-tags globs
// are never selected; and Python's str(timedelta) for the report lines.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  pyTimedelta,
  removalDue,
  selectForCleanup,
  type CleanupCandidate,
  type CleanupOptions,
} from './sidetag.cleanup.js';

const DAY = 86400;
const NOW = 1_780_000_000;
const ALL: CleanupOptions = { stages: { empty: 1, old: 30, inactive: 10 }, ignore: [] };

let nextId = 100;
function tag(over: Partial<CleanupCandidate> & { name: string }): CleanupCandidate {
  return {
    id: nextId++,
    create_ts: NOW - 2 * DAY,
    last_change_ts: null,
    builds: 0,
    hold: null,
    ...over,
  };
}

/** given(sidetags).when(options).then([stage, name]…) over the selection. */
function given(tags: CleanupCandidate[]) {
  return {
    when(o: CleanupOptions, now = NOW) {
      const r = selectForCleanup(tags, now, o);
      return {
        then(expected: [string, string][]) {
          assert.deepEqual(
            r.selected.map((s) => [s.stage, s.name]),
            expected,
          );
        },
        result: r,
      };
    },
  };
}

describe('cleanup selection', () => {
  test('empty: no build and created before now - empty_delay; age from creation', () => {
    const fresh = tag({ name: 'fresh', create_ts: NOW - 3600 });
    const stale = tag({ name: 'stale', create_ts: NOW - 2 * DAY });
    const busy = tag({ name: 'busy', create_ts: NOW - 2 * DAY, builds: 1, last_change_ts: NOW - 60 });
    const w = given([fresh, stale, busy]).when(ALL);
    w.then([['empty', 'stale']]);
    assert.equal(w.result.selected[0].age, 2 * DAY);
    assert.equal(w.result.selected[0].id, stale.id);
  });

  test('the delay boundary is strict (create_ts < now - delay), as Koji', () => {
    given([tag({ name: 'exactly', create_ts: NOW - DAY })])
      .when(ALL)
      .then([]);
    given([tag({ name: 'just-over', create_ts: NOW - DAY - 1 })])
      .when(ALL)
      .then([['empty', 'just-over']]);
  });

  test('old: any sidetag created before now - old_delay, after empty had its pick', () => {
    const oldEmpty = tag({ name: 'old-empty', create_ts: NOW - 40 * DAY });
    const oldFull = tag({ name: 'old-full', create_ts: NOW - 40 * DAY, builds: 3, last_change_ts: NOW - 60 });
    // old-empty is both empty and old: reported once, by the first stage that selects it.
    given([oldEmpty, oldFull])
      .when(ALL)
      .then([
        ['empty', 'old-empty'],
        ['old', 'old-full'],
      ]);
  });

  test('inactive: the last un/tagging before now - inactive_delay; never-tagged sidetags are skipped', () => {
    const idle = tag({ name: 'idle', create_ts: NOW - 20 * DAY, builds: 1, last_change_ts: NOW - 11 * DAY });
    const active = tag({
      name: 'active',
      create_ts: NOW - 20 * DAY,
      builds: 1,
      last_change_ts: NOW - 9 * DAY,
    });
    // Emptied by an untag long ago: it is empty and older than a day, so the empty stage takes it first.
    const emptied = tag({
      name: 'emptied',
      create_ts: NOW - 20 * DAY,
      builds: 0,
      last_change_ts: NOW - 15 * DAY,
    });
    const w = given([idle, active, emptied]).when(ALL);
    w.then([
      ['empty', 'emptied'],
      ['inactive', 'idle'],
    ]);
    assert.equal(w.result.selected[1].age, 11 * DAY);
    // With the empty stage off, the emptied one is inactive instead.
    given([idle, active, emptied])
      .when({ stages: { old: 30, inactive: 10 }, ignore: [] })
      .then([
        ['inactive', 'idle'],
        ['inactive', 'emptied'],
      ]);
    // A never-tagged sidetag (last_change_ts null, or 0) is never inactive.
    given([
      tag({ name: 'never', create_ts: NOW - 20 * DAY, builds: 1, last_change_ts: null }),
      tag({ name: 'zero', create_ts: NOW - 20 * DAY, builds: 1, last_change_ts: 0 }),
    ])
      .when({ stages: { inactive: 10 }, ignore: [] })
      .then([]);
  });

  test('each stage passes on only what it did not select: a sidetag is reported at most once', () => {
    const all = tag({
      name: 'all-three',
      create_ts: NOW - 100 * DAY,
      builds: 0,
      last_change_ts: NOW - 50 * DAY,
    });
    given([all])
      .when(ALL)
      .then([['empty', 'all-three']]);
    given([all])
      .when({ stages: { old: 30, inactive: 10 }, ignore: [] })
      .then([['old', 'all-three']]);
    given([all])
      .when({ stages: { inactive: 10 }, ignore: [] })
      .then([['inactive', 'all-three']]);
    given([all]).when({ stages: {}, ignore: [] }).then([]);
  });

  test('stages run in the order empty, old, inactive, whatever the order of the options', () => {
    const e = tag({ name: 'e', create_ts: NOW - 2 * DAY });
    const o = tag({ name: 'o', create_ts: NOW - 31 * DAY, builds: 1, last_change_ts: NOW });
    const i = tag({ name: 'i', create_ts: NOW - 20 * DAY, builds: 1, last_change_ts: NOW - 12 * DAY });
    given([i, o, e])
      .when({ stages: { inactive: 10, old: 30, empty: 1 }, ignore: [] })
      .then([
        ['empty', 'e'],
        ['old', 'o'],
        ['inactive', 'i'],
      ]);
  });

  test('held sidetags are never selected by any stage, and are returned apart', () => {
    const held = tag({
      name: 'held',
      create_ts: NOW - 100 * DAY,
      builds: 0,
      last_change_ts: NOW - 50 * DAY,
      hold: { reason: 'bodhi update in testing' },
    });
    const w = given([held]).when(ALL);
    w.then([]);
    assert.deepEqual(
      w.result.held.map((t) => t.name),
      ['held'],
    );
    for (const stages of [{ empty: 0 }, { old: 0 }, { inactive: 0 }])
      given([held]).when({ stages, ignore: [] }).then([]);
  });

  test('--ignore-tags globs (fnmatch) keep matching sidetags out of every stage', () => {
    const a = tag({ name: 'f40-build-side-1-stack-gate', create_ts: NOW - 100 * DAY });
    const b = tag({ name: 'f40-build-side-2', create_ts: NOW - 100 * DAY });
    const c = tag({
      name: 'F40-build-side-3-stack-gate',
      create_ts: NOW - 100 * DAY,
      builds: 1,
      last_change_ts: NOW,
    });
    given([a, b, c])
      .when({ ...ALL, ignore: ['*-stack-gate'] })
      .then([['empty', 'f40-build-side-2']]);
    given([a, b, c])
      .when({ ...ALL, ignore: ['f40-*', 'nothing'] })
      .then([['old', 'F40-build-side-3-stack-gate']]);
    given([a, b, c])
      .when({ ...ALL, ignore: ['*'] })
      .then([]);
  });

  test('a delay of 0 days selects everything older than now', () => {
    given([tag({ name: 'new', create_ts: NOW - 1 })])
      .when({ stages: { empty: 0 }, ignore: [] })
      .then([['empty', 'new']]);
    given([tag({ name: 'now', create_ts: NOW })])
      .when({ stages: { empty: 0 }, ignore: [] })
      .then([]);
  });

  test('fractional delays and timestamps', () => {
    const t = tag({ name: 'half', create_ts: NOW - 0.75 * DAY });
    given([t])
      .when({ stages: { empty: 0.5 }, ignore: [] })
      .then([['empty', 'half']]);
    const w = given([tag({ name: 'frac', create_ts: NOW - 1.5 - 2 * DAY })]).when(ALL);
    assert.equal(w.result.selected[0].age, 2 * DAY + 1.5);
  });
});

describe("pyTimedelta: Python's str(timedelta)", () => {
  test('days, hours, minutes, seconds and microseconds', () => {
    assert.equal(pyTimedelta(12 * DAY + 3 * 3600 + 4 * 60 + 5.123456), '12 days, 3:04:05.123456');
    assert.equal(pyTimedelta(DAY + 1), '1 day, 0:00:01');
    assert.equal(pyTimedelta(0.5), '0:00:00.500000');
  });

  test('no days part under a day; singular "day"; microseconds only when non-zero', () => {
    assert.equal(pyTimedelta(0), '0:00:00');
    assert.equal(pyTimedelta(59), '0:00:59');
    assert.equal(pyTimedelta(3600), '1:00:00');
    assert.equal(pyTimedelta(DAY - 1), '23:59:59');
    assert.equal(pyTimedelta(DAY), '1 day, 0:00:00');
    assert.equal(pyTimedelta(2 * DAY), '2 days, 0:00:00');
    assert.equal(pyTimedelta(0.000001), '0:00:00.000001');
    assert.equal(pyTimedelta(10 * 3600 + 0.1), '10:00:00.100000');
    assert.equal(pyTimedelta(400 * DAY + 45296.25), '400 days, 12:34:56.250000');
  });

  test('rounds to the microsecond, as timedelta(seconds=x) does', () => {
    assert.equal(pyTimedelta(1.0000004), '0:00:01');
    assert.equal(pyTimedelta(1.0000006), '0:00:01.000001');
    assert.equal(pyTimedelta(59.9999996), '0:01:00');
  });
});

describe('expired (koji-es): past the expiry its owner set, before every other stage', () => {
  test('a sidetag past its expiry is expired whatever else it is; one not yet or never set is left to the others', () => {
    const past = tag({ name: 'past', expires_ts: NOW - 60, create_ts: NOW - 40 * DAY });
    const soon = tag({ name: 'soon', expires_ts: NOW + 60, builds: 1, create_ts: NOW - 2 * DAY });
    const never = tag({ name: 'never', expires_ts: null, create_ts: NOW - 40 * DAY });
    const held = tag({ name: 'held', expires_ts: NOW - 60, hold: { reason: 'in use' } });
    const r = selectForCleanup([past, soon, never, held], NOW, {
      stages: { expired: 0, empty: 1, old: 30, inactive: 10 },
      ignore: [],
    });
    assert.deepEqual(
      r.selected.map((s) => [s.stage, s.name, s.age]),
      [
        ['expired', 'past', 60],
        ['empty', 'never', 40 * DAY],
      ],
    );
    assert.deepEqual(
      r.held.map((t) => t.name),
      ['held'],
    );
  });
});

describe('removalDue: when the cleanup would remove a sidetag if nothing changes', () => {
  const WITH_EXPIRED: CleanupOptions = { stages: { expired: 0, ...ALL.stages }, ignore: ['keep-*'] };

  test('the earliest enabled stage: empty one day after creation, inactive ten after the last change', () => {
    assert.deepEqual(removalDue(tag({ name: 'e' }), ALL), { stage: 'empty', ts: NOW - 2 * DAY + DAY });
    const used = tag({ name: 'u', builds: 3, last_change_ts: NOW - DAY });
    assert.deepEqual(removalDue(used, ALL), { stage: 'inactive', ts: NOW + 9 * DAY });
    const oldOne = tag({ name: 'o', builds: 3, create_ts: NOW - 25 * DAY, last_change_ts: NOW });
    assert.deepEqual(removalDue(oldOne, ALL), { stage: 'old', ts: NOW + 5 * DAY });
  });

  test("an owner's expiry, when the expired stage runs", () => {
    const t = tag({ name: 'x', builds: 1, last_change_ts: NOW, expires_ts: NOW + DAY });
    assert.deepEqual(removalDue(t, WITH_EXPIRED), { stage: 'expired', ts: NOW + DAY });
    assert.deepEqual(removalDue(t, ALL), { stage: 'inactive', ts: NOW + 10 * DAY }, 'no expired stage');
  });

  test('never: held, ignored, or no stage applies', () => {
    assert.equal(removalDue(tag({ name: 'h', hold: { reason: 'bodhi' } }), WITH_EXPIRED), null);
    assert.equal(removalDue(tag({ name: 'keep-me' }), WITH_EXPIRED), null);
    assert.equal(removalDue(tag({ name: 'n', builds: 2 }), { stages: { empty: 1 }, ignore: [] }), null);
  });

  test('agrees with the selection: due in the past is selected by that stage, due ahead is not', () => {
    const tags = [
      tag({ name: 'a' }),
      tag({ name: 'b', builds: 1, last_change_ts: NOW - 11 * DAY }),
      tag({ name: 'c', builds: 1, last_change_ts: NOW - 9 * DAY }),
    ];
    const selected = selectForCleanup(tags, NOW, ALL).selected.map((s) => [s.stage, s.name]);
    const due = tags
      .map((t) => [removalDue(t, ALL)!, t.name] as const)
      .filter(([d]) => d.ts < NOW)
      .map(([d, name]) => [d.stage, name]);
    assert.deepEqual(due, selected);
  });
});
