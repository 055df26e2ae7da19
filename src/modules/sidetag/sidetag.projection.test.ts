// The sidetags read model (listSideTags and the cleanup read it): every tag whose own extra marks it a
// sidetag — an admin-marked tag counts — with owner, base tag, holds, build count and activity.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DomainEvent } from '../../kernel/decider.js';
import { project, recorded } from '../../kernel/given-when-then.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import type { InheritanceLink, TagEvent } from '../tags/tags.events.js';
import type { SideTagEvent } from './sidetag.events.js';
import { SIDETAGS, sidetagProjection, type SidetagDoc } from './sidetag.projection.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T10:00:00.250Z';
const T2 = '2026-01-03T12:30:00.500Z';
const ts = (iso: string) => Date.parse(iso) / 1000;
const alice = { id: 23, name: 'alice' };
const base = { id: 32, name: 'f40-build' };
const other = { id: 33, name: 'f41-build' };

const link = (p: { id: number; name: string }, priority = 0): InheritanceLink => ({
  parent_id: p.id,
  name: p.name,
  priority,
  maxdepth: null,
  intransitive: false,
  noconfig: false,
  pkg_filter: '',
});

function tagCreated(
  id: number,
  name: string,
  extra: Record<string, unknown>,
  parents: { id: number; name: string }[] = [base],
): TagEvent {
  return {
    type: 'TagCreated',
    data: {
      id,
      name,
      extra,
      inheritance: parents.map((p, i) => link(p, i * 10)),
      arches: 'x86_64',
      locked: false,
      perm: null,
      mavenSupport: false,
      mavenIncludeAll: false,
    },
  };
}
const sidetagExtra = { sidetag: true, sidetag_user: 'alice', sidetag_user_id: 23 };
const build = (id: number) => ({ id, nvr: `pkg-${id}-1-1` });
const tagged = (tagId: number, b: number): TagEvent => ({
  type: 'PackageTagged',
  data: {
    tag: { id: tagId, name: 't' },
    build: build(b),
    user: alice,
    force: false,
    fromtag: null,
    time: T1,
  },
});
const untagged = (tagId: number, b: number): TagEvent => ({
  type: 'PackageUntagged',
  data: { tag: { id: tagId, name: 't' }, build: build(b), user: alice, force: false, strict: true, time: T2 },
});

/** given(events at their times).then: the documents of the read model, by id. */
async function given(...batches: [string, string, DomainEvent[]][]) {
  const events: RecordedEvent[] = batches.flatMap(([stream, time, evs]) =>
    recorded(stream, evs, { recordedTime: time }),
  );
  const rm = await project(sidetagProjection, events);
  const docs = await rm.find<SidetagDoc>(SIDETAGS, { orderBy: [['id', 'asc']] });
  return { docs, byId: (id: number) => docs.find((d) => d.id === id) };
}

describe('sidetags projection', () => {
  test('a sidetag is listed with owner, base tag, creation time and no builds; a plain tag is not', async () => {
    const r = await given(
      ['tag-32', T0, [tagCreated(32, 'f40-build', {}, [])]],
      ['tag-40', T1, [tagCreated(40, 'f40-build-side-40', sidetagExtra)]],
    );
    assert.deepEqual(r.docs, [
      {
        id: 40,
        name: 'f40-build-side-40',
        user_id: 23,
        user_name: 'alice',
        basetag_id: 32,
        basetag_name: 'f40-build',
        label: null,
        hold: null,
        expires_ts: null,
        create_ts: ts(T1),
        last_change_ts: null,
        builds: 0,
      },
    ]);
  });

  test('an admin-marked tag counts: marking a plain tag lists it with its history; unmarking unlists it', async () => {
    const mark: TagEvent = {
      type: 'TagEdited',
      data: { id: 50, name: 'hand-made', changes: {}, extraSet: { sidetag: true }, extraRemoved: [] },
    };
    const r = await given(
      ['tag-50', T0, [tagCreated(50, 'hand-made', {}), tagged(50, 1), tagged(50, 2)]],
      ['tag-50', T2, [mark]],
    );
    const doc = r.byId(50)!;
    assert.ok(doc, 'listed once marked');
    assert.equal(doc.create_ts, ts(T0), 'created when the tag was, not when marked');
    assert.equal(doc.builds, 2, 'builds tagged before the mark count');
    assert.equal(doc.user_id, null, 'no owner extra: no owner');
    assert.equal(doc.user_name, null);
    assert.equal(doc.basetag_name, 'f40-build');

    const unmark: TagEvent = {
      type: 'TagEdited',
      data: { id: 50, name: 'hand-made', changes: {}, extraSet: {}, extraRemoved: ['sidetag'] },
    };
    const r2 = await given(['tag-50', T0, [tagCreated(50, 'hand-made', {}), mark, unmark]]);
    assert.deepEqual(r2.docs, []);
    // A falsy mark is no mark.
    const falsy: TagEvent = {
      type: 'TagEdited',
      data: { id: 50, name: 'hand-made', changes: {}, extraSet: { sidetag: false }, extraRemoved: [] },
    };
    const r3 = await given(['tag-50', T0, [tagCreated(50, 'hand-made', {}), mark, falsy]]);
    assert.deepEqual(r3.docs, []);
  });

  test('owner extra edited by an admin: user_id and user_name follow; a text user id is read as a number', async () => {
    const edit: TagEvent = {
      type: 'TagEdited',
      data: {
        id: 40,
        name: 'st',
        changes: {},
        extraSet: { sidetag_user_id: '24', sidetag_user: 'bob' },
        extraRemoved: [],
      },
    };
    const r = await given(['tag-40', T0, [tagCreated(40, 'st', sidetagExtra), edit]]);
    assert.equal(r.byId(40)!.user_id, 24);
    assert.equal(r.byId(40)!.user_name, 'bob');
  });

  test('holds: held with reason, who and when; released; an edit keeps the hold', async () => {
    const held: SideTagEvent = {
      type: 'SideTagHeld',
      data: { id: 40, name: 'st', by: alice, reason: 'bodhi update FEDORA-1', time: T1 },
    };
    const released: SideTagEvent = {
      type: 'SideTagReleased',
      data: { id: 40, name: 'st', by: alice, time: T2 },
    };
    const edit: TagEvent = {
      type: 'TagEdited',
      data: { id: 40, name: 'st', changes: {}, extraSet: { 'rpm.macro.x': 1 }, extraRemoved: [] },
    };
    const r = await given(
      ['tag-40', T0, [tagCreated(40, 'st', sidetagExtra)]],
      ['sidetag-40', T1, [held]],
      ['tag-40', T1, [edit]],
    );
    assert.deepEqual(r.byId(40)!.hold, { reason: 'bodhi update FEDORA-1', by: 'alice', time: T1 });
    const r2 = await given(
      ['tag-40', T0, [tagCreated(40, 'st', sidetagExtra)]],
      ['sidetag-40', T1, [held, released]],
    );
    assert.equal(r2.byId(40)!.hold, null);
    // A hold of a tag the projection never saw is ignored.
    const r3 = await given(['sidetag-41', T1, [{ ...held, data: { ...held.data, id: 41 } }]]);
    assert.deepEqual(r3.docs, []);
  });

  test('builds count up with tagging and down with untagging; activity is the last un/tag time', async () => {
    const r = await given(
      ['tag-40', T0, [tagCreated(40, 'st', sidetagExtra)]],
      ['tag-40', T1, [tagged(40, 1), tagged(40, 2)]],
    );
    assert.equal(r.byId(40)!.builds, 2);
    assert.equal(r.byId(40)!.last_change_ts, ts(T1));
    const r2 = await given(
      ['tag-40', T0, [tagCreated(40, 'st', sidetagExtra)]],
      ['tag-40', T1, [tagged(40, 1), tagged(40, 2)]],
      ['tag-40', T2, [untagged(40, 1), untagged(40, 2)]],
    );
    assert.equal(r2.byId(40)!.builds, 0);
    assert.equal(r2.byId(40)!.last_change_ts, ts(T2), 'an untag is activity too');
    // Tagging in another tag does not count here.
    const r3 = await given(
      ['tag-40', T0, [tagCreated(40, 'st', sidetagExtra), tagCreated(41, 'plain', {})]],
      ['tag-41', T1, [tagged(41, 1)]],
    );
    assert.equal(r3.byId(40)!.builds, 0);
    assert.equal(r3.byId(40)!.last_change_ts, null);
  });

  test('basetag: the first direct parent by priority; an inheritance change follows; no parent → null', async () => {
    const r = await given(['tag-40', T0, [tagCreated(40, 'st', sidetagExtra, [base, other])]]);
    assert.equal(r.byId(40)!.basetag_id, 32);
    const change: TagEvent = {
      type: 'TagInheritanceChanged',
      data: { id: 40, name: 'st', inheritance: [link(base, 20), link(other, 5)] },
    };
    const r2 = await given(['tag-40', T0, [tagCreated(40, 'st', sidetagExtra), change]]);
    assert.deepEqual([r2.byId(40)!.basetag_id, r2.byId(40)!.basetag_name], [33, 'f41-build']);
    const orphan: TagEvent = { type: 'TagInheritanceChanged', data: { id: 40, name: 'st', inheritance: [] } };
    const r3 = await given(['tag-40', T0, [tagCreated(40, 'st', sidetagExtra), orphan]]);
    assert.deepEqual([r3.byId(40)!.basetag_id, r3.byId(40)!.basetag_name], [null, null]);
    const r4 = await given(['tag-40', T0, [tagCreated(40, 'st', sidetagExtra, [])]]);
    assert.equal(r4.byId(40)!.basetag_id, null);
  });

  test('a renamed sidetag is listed under its new name', async () => {
    const rename: TagEvent = {
      type: 'TagEdited',
      data: { id: 40, name: 'st', changes: { name: 'st-renamed' }, extraSet: {}, extraRemoved: [] },
    };
    const r = await given(['tag-40', T0, [tagCreated(40, 'st', sidetagExtra), rename]]);
    assert.equal(r.byId(40)!.name, 'st-renamed');
  });

  test('a deleted tag leaves the list; a new tag of the same name starts afresh', async () => {
    const deleted: TagEvent = { type: 'TagDeleted', data: { id: 40, name: 'st', untagged: [build(1)] } };
    const r = await given(['tag-40', T0, [tagCreated(40, 'st', sidetagExtra), tagged(40, 1), deleted]]);
    assert.deepEqual(r.docs, []);
    const r2 = await given(
      ['tag-40', T0, [tagCreated(40, 'st', sidetagExtra), tagged(40, 1), deleted]],
      ['tag-40', T2, [tagCreated(40, 'st', sidetagExtra)]],
    );
    assert.equal(r2.byId(40)!.builds, 0);
    assert.equal(r2.byId(40)!.create_ts, ts(T2));
  });

  test('listSideTags can filter on indexed fields: owner and base tag', async () => {
    const rm = await project(
      sidetagProjection,
      recorded('tags', [
        tagCreated(40, 'a', sidetagExtra, [base]),
        tagCreated(41, 'b', { ...sidetagExtra, sidetag_user_id: 24, sidetag_user: 'bob' }, [base]),
        tagCreated(42, 'c', sidetagExtra, [other]),
      ]),
    );
    const ids = async (where: Record<string, number>) =>
      (await rm.find<SidetagDoc>(SIDETAGS, { where, orderBy: [['id', 'asc']] })).map((d) => d.id);
    assert.deepEqual(await ids({ user_id: 23 }), [40, 42]);
    assert.deepEqual(await ids({ basetag_id: 32 }), [40, 41]);
    assert.deepEqual(await ids({ user_id: 23, basetag_id: 33 }), [42]);
  });
});
