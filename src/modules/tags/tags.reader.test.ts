// TagsReader over an in-memory read model: Koji's get_tag lookups and messages, readFullInheritance
// (priority order, maxdepth, intransitive), getBuildConfig (arches from the first ancestor that has
// them, extra merged nearest-first, a null value blocks the key, noconfig links skipped), listTagged
// with inherit (the nearest tag wins for a package) and tag_last_change_event.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreBackend } from '../../eventstore/open.js';
import type { DomainEvent } from '../../kernel/decider.js';
import { KojiError } from '../../kernel/errors.js';
import { project, recorded } from '../../kernel/given-when-then.js';
import { parentLink } from './tag.decider.js';
import type { InheritanceLink } from './tags.events.js';
import { tagsProjection } from './tags.projection.js';
import { TagsReader } from './tags.reader.js';

const T0 = '2026-01-01T00:00:00.000Z';
const ref = (id: number, name: string) => ({ id, name });
const GRAND = ref(1, 'grand');
const PARENT = ref(2, 'parent');
const CHILD = ref(3, 'child');
const OTHER = ref(4, 'other');

function tag(
  t: { id: number; name: string },
  arches: string | null,
  extra: Record<string, unknown>,
  inheritance: InheritanceLink[] = [],
): DomainEvent {
  return {
    type: 'TagCreated',
    data: {
      ...t,
      arches,
      locked: false,
      perm: null,
      mavenSupport: false,
      mavenIncludeAll: false,
      extra,
      inheritance,
    },
  };
}

function build(id: number, name: string, version: string): DomainEvent {
  return {
    type: 'BuildCreated',
    data: {
      id,
      packageName: name,
      version,
      release: '1',
      epoch: null,
      nvr: `${name}-${version}-1`,
      owner: ref(7, 'alice'),
      state: 1,
      taskId: null,
      time: T0,
    },
  };
}

function tagged(t: { id: number; name: string }, id: number, nvr: string): DomainEvent {
  return {
    type: 'PackageTagged',
    data: { tag: t, build: { id, nvr }, user: null, force: false, fromtag: null, time: T0 },
  };
}

async function reader(events: DomainEvent[]): Promise<{ r: TagsReader; positions: number[] }> {
  const rec = recorded('test', events);
  const rm = await project(tagsProjection, rec);
  const backend = { readModels: { reader: rm } } as unknown as StoreBackend;
  return { r: new TagsReader(backend), positions: rec.map((e) => e.position) };
}

const world = [
  tag(GRAND, 'x86_64 aarch64', { a: 'grand', b: 'grand', hidden: 'grand', deep: { x: 1 } }),
  tag(PARENT, null, { a: 'parent', hidden: null }, [parentLink(GRAND)]),
  tag(CHILD, null, { c: 'child' }, [parentLink(PARENT)]),
];

describe('TagsReader', () => {
  test('get_tag: by id, name or dict; None → ParameterError; strict → "No such tagInfo: \'x\'"', async () => {
    const { r } = await reader(world);
    assert.equal((await r.tag(3))!.name, 'child');
    assert.equal((await r.tag('child'))!.id, 3);
    assert.equal((await r.tag({ name: 'grand' }))!.id, 1);
    assert.equal((await r.tag({ id: 2 }))!.name, 'parent');
    assert.equal(await r.tag('nope'), null);
    await assert.rejects(r.tag(null), (e: unknown) => {
      assert.ok(e instanceof KojiError);
      assert.equal(e.faultName, 'ParameterError');
      assert.equal(e.message, 'Invalid name or id value: None');
      return true;
    });
    await assert.rejects(r.strictTag('nope'), { message: "No such tagInfo: 'nope'" });
    await assert.rejects(r.strictTag(99), { message: 'No such tagInfo: 99' });
  });

  test('getBuildConfig: arches from the first ancestor that has them', async () => {
    const { r } = await reader(world);
    assert.equal((await r.buildConfig('child')).arches, 'x86_64 aarch64');
    assert.equal((await r.buildConfig('parent')).arches, 'x86_64 aarch64');
    const own = await reader([...world.slice(0, 2), tag(CHILD, 'ppc64le', {}, [parentLink(PARENT)])]);
    assert.equal((await own.r.buildConfig('child')).arches, 'ppc64le');
  });

  test('getBuildConfig: extra merged nearest-first; a null value blocks an inherited key', async () => {
    const { r } = await reader(world);
    const cfg = await r.buildConfig('child');
    assert.deepEqual(cfg.extra, { a: 'parent', b: 'grand', deep: { x: 1 }, c: 'child' });
    assert.equal('hidden' in cfg.extra, false);
    assert.equal(cfg.id, 3);
    assert.equal(cfg.name, 'child');
    // getTag's extra holds only the tag's own keys
    assert.deepEqual((await r.tag('child'))!.extra, { c: 'child' });
  });

  test("getBuildConfig: a noconfig link skips that parent's config (its own parents still count, as Koji)", async () => {
    const link = { ...parentLink(PARENT), noconfig: true };
    const { r } = await reader([...world.slice(0, 2), tag(CHILD, null, { c: 'child' }, [link])]);
    const cfg = await r.buildConfig('child');
    assert.deepEqual(cfg.extra, { a: 'grand', b: 'grand', hidden: 'grand', deep: { x: 1 }, c: 'child' });
    assert.equal(cfg.arches, 'x86_64 aarch64');
    const full = await r.fullInheritance(3);
    assert.deepEqual(
      full.map((e) => [e.name, e.noconfig]),
      [
        ['parent', true],
        ['grand', false],
      ],
    );
  });

  test('readFullInheritance: depth first by priority, each ancestor once, with currdepth', async () => {
    const { r } = await reader([
      ...world,
      tag(OTHER, 'x86_64', {}, [
        { ...parentLink(CHILD), priority: 10 },
        { ...parentLink(GRAND), priority: 5 },
      ]),
    ]);
    assert.deepEqual(
      (await r.fullInheritance(4)).map((e) => [e.name, e.child_id, e.currdepth, e.priority, e.nextdepth]),
      [
        ['grand', 4, 1, 5, null],
        ['child', 4, 1, 10, null],
        ['parent', 3, 2, 0, null],
      ],
    );
  });

  test("readFullInheritance: maxdepth as Koji's (0: the parent only; 1: and its parents), propagated", async () => {
    const at = async (maxdepth: number) => {
      const { r } = await reader([...world, tag(OTHER, 'x86_64', {}, [{ ...parentLink(CHILD), maxdepth }])]);
      return (await r.fullInheritance(4)).map((e) => [e.name, e.currdepth, e.nextdepth]);
    };
    assert.deepEqual(await at(0), [['child', 1, 0]]);
    assert.deepEqual(await at(1), [
      ['child', 1, 1],
      ['parent', 2, 0],
    ]);
    assert.deepEqual(await at(5), [
      ['child', 1, 5],
      ['parent', 2, 4],
      ['grand', 3, 3],
    ]);
  });

  test('readFullInheritance: an intransitive link counts from the tag asked about only', async () => {
    const X = ref(5, 'x');
    const { r } = await reader([
      ...world,
      tag(OTHER, 'x86_64', {}, [
        { ...parentLink(GRAND), priority: 5, intransitive: true },
        { ...parentLink(CHILD), priority: 10 },
      ]),
      tag(X, null, {}, [parentLink(OTHER)]),
    ]);
    assert.deepEqual(
      (await r.fullInheritance(4)).map((e) => [e.name, e.currdepth]),
      [
        ['grand', 1],
        ['child', 1],
        ['parent', 2],
      ],
    );
    // from x, other's intransitive link to grand is ignored: grand comes through parent
    assert.deepEqual(
      (await r.fullInheritance(5)).map((e) => [e.name, e.currdepth]),
      [
        ['other', 1],
        ['child', 2],
        ['parent', 3],
        ['grand', 4],
      ],
    );
  });

  test('listTagged with inherit: the nearest tag wins for a package', async () => {
    const { r } = await reader([
      ...world,
      build(11, 'foo', '1'),
      build(12, 'foo', '2'),
      build(13, 'bar', '1'),
      tagged(GRAND, 11, 'foo-1-1'),
      tagged(GRAND, 13, 'bar-1-1'),
      tagged(CHILD, 12, 'foo-2-1'),
    ]);
    assert.deepEqual(
      (await r.tagged(3, false)).map((t) => t.nvr),
      ['foo-2-1'],
    );
    assert.deepEqual((await r.tagged(3, true)).map((t) => [t.nvr, t.tag_name]).sort(), [
      ['bar-1-1', 'grand'],
      ['foo-2-1', 'child'],
    ]);
  });

  test("tag_last_change_event: the tag's own change, or with inherit its ancestors' too", async () => {
    const { r, positions } = await reader([...world, build(11, 'foo', '1'), tagged(GRAND, 11, 'foo-1-1')]);
    assert.equal(await r.lastChangeEvent(3, false), positions[2]);
    assert.equal(await r.lastChangeEvent(3), positions[4]);
    assert.equal(await r.lastChangeEvent(2, true), positions[4]);
  });

  test("builds and targets: lookups and Koji's messages", async () => {
    const { r } = await reader([
      ...world,
      build(11, 'foo', '1'),
      { type: 'BuildTargetCreated', data: { id: 1, name: 't', buildTag: CHILD, destTag: PARENT } },
    ]);
    assert.equal((await r.build('foo-1-1'))!.id, 11);
    assert.equal((await r.build(11))!.nvr, 'foo-1-1');
    assert.equal((await r.build({ name: 'foo', version: '1', release: '1' }))!.id, 11);
    await assert.rejects(r.strictBuild('nope-1-1'), { message: "No such build: 'nope-1-1'" });
    assert.equal((await r.target('t'))!.build_tag_name, 'child');
    await assert.rejects(r.strictTarget('x'), { message: 'No such build target: x' });
  });
});
