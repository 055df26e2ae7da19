// The Sidetag plugin end to end, over JSON-RPC against real hubs: every case of Koji's
// test_sidetag_hub.py (spec §6.1) restated against our API with Koji's messages and shapes, the
// sidetag policy's data, holds, removal reasons read back from the event log, remove_empty in the
// untag's own append (and a concurrently tagged build winning), the cleanup in test and real mode
// and on the hub's own schedule, and the race-free per-user limit — on SQLite, and on PostgreSQL
// with two hub processes sharing the database. §6.1 item 4 ("Unknown db error" when the count query
// returns nothing) has no counterpart: the count is folded from the user's quota stream. Items 24–25
// (no `tag` argument, a tag that is gone) cannot happen through the post-untag port.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RecordedEvent } from 'koji-es/eventstore/port';
import { startTestHub, TestClock, type Creds, type TestHub } from '../helpers/hub.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { startTestPostgres, type TestPostgres } from '../helpers/pg.js';
import {
  eventually,
  readEvents,
  RpcClient,
  sidetagConfigDir,
  type CreateResult,
  type RpcError,
  type SidetagRow,
  type TagRow,
} from '../helpers/sidetag.js';

interface User {
  id: number;
  name: string;
  creds: Creds;
}

interface TargetRow {
  id: number;
  name: string;
  build_tag: number;
  dest_tag: number;
}

interface CleanupRow {
  id: number;
  name: string;
  stage: 'empty' | 'old' | 'inactive';
  age: number;
  removed: boolean;
  error?: string;
}

const DAY_MS = 86_400_000;

/** One embedded PostgreSQL server for the file, started on first use; each url() is a fresh database. */
let postgres: Promise<TestPostgres> | null = null;
const sharedPostgres = () => (postgres ??= startTestPostgres());
after(async () => {
  if (postgres) await (await postgres).stop();
});

/** The SideTagRemoved events of a hub, by sidetag name. */
async function removals(hub: TestHub): Promise<Map<string, RecordedEvent[]>> {
  const m = new Map<string, RecordedEvent[]>();
  for (const e of await readEvents(hub.hub.backend, ['SideTagRemoved'])) {
    const name = (e.data as { name: string }).name;
    m.set(name, [...(m.get(name) ?? []), e]);
  }
  return m;
}

const removedData = (e: RecordedEvent) =>
  e.data as {
    id: number;
    name: string;
    reason: string;
    by: { name: string } | null;
    owner: { name: string } | null;
  };

describe('sidetag API (spec §6.1) over JSON-RPC', () => {
  let cfg: { dir: string; cleanup: () => void };
  let hub: TestHub;
  let api: RpcClient;
  let A: Creds;
  let alice: User;
  let bob: User;
  let carol: User; // sidetag_admin
  let dave: User;
  let erin: User;
  const tagIds: Record<string, number> = {};

  const create = (user: User | Creds, ...args: unknown[]) =>
    api.ok<CreateResult>('createSideTag', args, 'creds' in user ? user.creds : user);
  const sidetagsOf = async (user: string) =>
    (await api.ok<SidetagRow[]>('listSideTags', { user })).map((r) => r.name);

  before(async () => {
    cfg = sidetagConfigDir({
      policies: {
        sidetag: [
          'has_perm sidetag_admin :: allow',
          'tag limited-build && compare number_of_tags < 2 :: allow',
          'tag limited-build :: deny Too many sidetags',
          'tag forbidden-build :: deny',
          'all :: allow',
        ],
      },
      // Koji does not strip the entries; koji-es does, so " another" allows "another".
      sidetag: { allowed_suffixes: 'suffix, another' },
    });
    hub = await startTestHub({ configDir: cfg.dir });
    api = new RpcClient(hub.url);
    A = hub.admin;
    const tag = async (name: string, arches: string | null, extra: Record<string, unknown> | null = null) =>
      (tagIds[name] = await api.ok<number>(
        'createTag',
        [name, null, arches, false, null, false, false, extra],
        A,
      ));
    await tag('base_tag', 'x86_64 aarch64');
    await tag('no-arches', null);
    await tag('f40-build', 'x86_64', {
      sidetag_debuginfo_allowed: true,
      sidetag_rpm_macros_allowed: ['macro_1_name', 'macro_2_name'],
    });
    await tag('limited-build', 'x86_64');
    await tag('forbidden-build', 'x86_64');
    alice = await api.user(A, 'alice');
    bob = await api.user(A, 'bob');
    carol = await api.user(A, 'carol', ['sidetag_admin']);
    dave = await api.user(A, 'dave');
    erin = await api.user(A, 'erin');
  });

  after(async () => {
    await hub?.close();
    cfg?.cleanup();
  });

  test('item 1: createSideTag(basetag) → {name, id, task_id: None, request: None}; tag, parent, arches, extra, target', async () => {
    const r = await create(alice, 'base_tag');
    assert.deepEqual(r, { name: `base_tag-side-${r.id}`, id: r.id, task_id: null, request: null });
    const t = await api.ok<TagRow>('getTag', [r.id]);
    assert.equal(t.name, r.name);
    assert.equal(t.arches, 'x86_64 aarch64', "the base tag's own arches");
    assert.equal(t.locked, false);
    assert.equal(t.perm_id, null);
    assert.deepEqual(t.extra, { sidetag: true, sidetag_user: 'alice', sidetag_user_id: alice.id });
    const parents = await api.ok<{ parent_id: number; priority: number }[]>('getInheritanceData', [r.id]);
    assert.deepEqual(
      parents.map((p) => [p.parent_id, p.priority]),
      [[tagIds.base_tag, 0]],
    );
    const target = await api.ok<TargetRow>('getBuildTarget', [r.name]);
    assert.deepEqual([target.name, target.build_tag, target.dest_tag], [r.name, r.id, r.id]);
    // The name carries the id really assigned (Koji predicts it from the sequence, T2).
    const again = await create(alice, tagIds.base_tag);
    assert.equal(again.name, `base_tag-side-${again.id}`);
    assert.ok(again.id > r.id);
    // Named parameters, and a base tag without arches of its own.
    const named = await api.ok<CreateResult>('createSideTag', { basetag: 'no-arches' }, alice.creds);
    assert.equal((await api.ok<TagRow>('getTag', [named.id])).arches, null);
  });

  test('item 2: debuginfo and an allowed suffix → <name>-<suffix>, with_debuginfo in extra', async () => {
    const r = await create(alice, 'base_tag', true, 'suffix');
    assert.deepEqual(r, { name: `base_tag-side-${r.id}-suffix`, id: r.id, task_id: null, request: null });
    assert.deepEqual((await api.ok<TagRow>('getTag', [r.name])).extra, {
      sidetag: true,
      sidetag_user: 'alice',
      sidetag_user_id: alice.id,
      with_debuginfo: true,
    });
    // debuginfo at creation ignores the parent's sidetag_debuginfo_allowed, as Koji (T8).
    const other = await api.ok<CreateResult>(
      'createSideTag',
      { basetag: 'base_tag', debuginfo: true, suffix: 'another' },
      alice.creds,
    );
    assert.equal(other.name, `base_tag-side-${other.id}-another`);
  });

  test('item 3: a suffix not allowed fails first — before the login check and the base tag lookup', async () => {
    const before = await api.ok<number>('listSideTags', { queryOpts: { countOnly: true } });
    await api.fault(
      'createSideTag',
      ['base_tag', false, 'forbidden_suffix'],
      undefined,
      'GenericError',
      'forbidden_suffix suffix is not allowed for sidetag',
    );
    await api.fault(
      'createSideTag',
      ['no-such-tag', false, 'forbidden_suffix'],
      alice.creds,
      'GenericError',
      'forbidden_suffix suffix is not allowed for sidetag',
    );
    await api.fault(
      'createSideTag',
      ['base_tag'],
      undefined,
      'ActionNotAllowed',
      'you must be logged in for this operation',
    );
    await api.fault(
      'createSideTag',
      ['no-such-tag'],
      alice.creds,
      'GenericError',
      "No such tagInfo: 'no-such-tag'",
    );
    assert.equal(await api.ok<number>('listSideTags', { queryOpts: { countOnly: true } }), before);
  });

  test('the sidetag policy gets {tag: <base tag id>, number_of_tags: <count across all base tags>} (§2.7, §3.7)', async () => {
    await create(dave, 'limited-build');
    await create(dave, 'limited-build');
    // Koji lower-cases the reason (check_policy: `reason = reason.lower()`).
    await api.fault(
      'createSideTag',
      ['limited-build'],
      dave.creds,
      'ActionNotAllowed',
      'policy violation (sidetag): too many sidetags',
    );
    // Other base tags fall through to `all :: allow`, and count towards number_of_tags too.
    const onBase = await create(dave, 'base_tag');
    await create(erin, 'base_tag');
    await create(erin, 'no-arches');
    await api.fault(
      'createSideTag',
      ['limited-build'],
      erin.creds,
      'ActionNotAllowed',
      'policy violation (sidetag): too many sidetags',
    );
    // A deny with no reason: the bare message.
    await api.fault(
      'createSideTag',
      ['forbidden-build'],
      erin.creds,
      'ActionNotAllowed',
      'policy violation (sidetag)',
    );
    // sidetag_admin matches the first rule: no limit.
    for (let i = 0; i < 3; i++) await create(carol, 'limited-build');
    // Removing one brings the count down: dave has 3 (2 limited + 1 base) → 2 is still not < 2.
    const limited = (
      await api.ok<SidetagRow[]>('listSideTags', { basetag: 'limited-build', user: 'dave' })
    )[0];
    await api.ok('removeSideTag', [limited.name], dave.creds);
    await api.fault('createSideTag', ['limited-build'], dave.creds, 'ActionNotAllowed');
    await api.ok('removeSideTag', [onBase.name], dave.creds);
    const again = await create(dave, 'limited-build');
    assert.match(again.name, /^limited-build-side-\d+$/);
    // The verdict is recorded with the creation: the policy's name and the rule that allowed it.
    const created = (await readEvents(hub.hub.backend, ['SideTagCreated'])).find(
      (e) => (e.data as { id: number }).id === again.id,
    );
    assert.ok(created?.metadata.policy, JSON.stringify(created?.metadata));
  });

  test("deleting a sidetag with deleteTag records the removal and frees the owner's quota", async () => {
    const hank = await api.user(A, 'hank');
    const first = await create(hank, 'limited-build');
    await create(hank, 'limited-build');
    await api.fault('createSideTag', ['limited-build'], hank.creds, 'ActionNotAllowed');
    await api.ok('deleteTag', [first.name], A);
    assert.equal(await api.ok('getTag', [first.name]), null);
    assert.equal(await api.ok('getBuildTarget', [first.name]), null, 'the target goes with the tag');
    const removed = (await removals(hub)).get(first.name)!.map(removedData);
    assert.deepEqual(
      removed.map((d) => [d.reason, d.by?.name, d.owner?.name]),
      [['requested', 'admin', 'hank']],
    );
    const released = (await readEvents(hub.hub.backend, ['SideTagQuotaReleased'])).filter(
      (e) => e.stream === `sidetag-user-${hank.id}`,
    );
    assert.equal(released.length, 1);
    await create(hank, 'limited-build');
  });

  test("the quota count rides on the stream's last event; older streams without it are folded whole", async () => {
    const legacy = await api.user(A, 'legacy');
    const stream = `sidetag-user-${legacy.id}`;
    // Events as written before they carried a count.
    const old = (type: string, id: number, extra: Record<string, unknown> = {}) => ({
      eventId: `legacy-${type}-${id}`,
      type,
      data: { userId: legacy.id, sidetag: { id: 900000 + id, name: `gone-${id}` }, ...extra },
      metadata: {},
    });
    await hub.hub.backend.events.appendToStream(
      stream,
      [old('SideTagQuotaTaken', 1), old('SideTagQuotaTaken', 2)],
      'no_stream',
    );
    await api.fault(
      'createSideTag',
      ['limited-build'],
      legacy.creds,
      'ActionNotAllowed',
      /too many sidetags/,
    );
    await hub.hub.backend.events.appendToStream(
      stream,
      [old('SideTagQuotaReleased', 1, { reason: 'requested' })],
      2,
    );
    const st = await create(legacy, 'limited-build');
    const quota = async () =>
      (await hub.hub.backend.events.readStream(stream)).map((e) => e.data as { count?: number });
    assert.deepEqual((await quota()).at(-1)?.count, 2, 'one legacy sidetag left, plus the new one');
    await api.fault('createSideTag', ['limited-build'], legacy.creds, 'ActionNotAllowed');
    await api.ok('removeSideTag', [st.name], legacy.creds);
    assert.equal((await quota()).at(-1)?.count, 1);
  });

  test('the quota goes back to the creator, even after an admin gave the sidetag to somebody else', async () => {
    const ken = await api.user(A, 'ken');
    const lea = await api.user(A, 'lea');
    const st = await create(ken, 'limited-build');
    await create(ken, 'limited-build');
    await api.ok(
      'editTag2',
      { tagInfo: st.name, extra: { sidetag_user_id: lea.id, sidetag_user: 'lea' } },
      A,
    );
    assert.deepEqual(await sidetagsOf('lea'), [st.name]);
    await api.ok('removeSideTag', [st.name], lea.creds);
    const last = (await hub.hub.backend.events.readStream(`sidetag-user-${ken.id}`)).at(-1)!;
    assert.deepEqual([last.type, (last.data as { count: number }).count], ['SideTagQuotaReleased', 1]);
    assert.equal(
      await hub.hub.backend.events.streamVersion(`sidetag-user-${lea.id}`),
      0,
      "lea's quota untouched",
    );
    await create(ken, 'limited-build');
  });

  test("removing a sidetag another one inherits from unlinks the child, and only it (Koji's _delete_tag)", async () => {
    const parent = await create(alice, 'base_tag');
    const child = await create(alice, parent.name);
    const other = await create(alice, 'base_tag');
    await api.ok('removeSideTag', [parent.name], alice.creds);
    assert.deepEqual(await api.ok('getInheritanceData', [child.name]), []);
    assert.deepEqual(
      (await api.ok<{ parent_id: number }[]>('getInheritanceData', [other.name])).map((l) => l.parent_id),
      [tagIds.base_tag],
    );
    const changed = (await readEvents(hub.hub.backend, ['TagInheritanceChanged'])).map(
      (e) => (e.data as { id: number }).id,
    );
    assert.deepEqual(
      changed.filter((id) => [child.id, other.id].includes(id)),
      [child.id],
    );
  });

  test('item 5: removeSideTag of a tag that is not a sidetag: "Not a sidetag: <name>"', async () => {
    await api.fault('removeSideTag', ['base_tag'], alice.creds, 'GenericError', 'Not a sidetag: base_tag');
    await api.fault('removeSideTag', [tagIds.base_tag], A, 'GenericError', 'Not a sidetag: base_tag');
    assert.ok(await api.ok('getTag', ['base_tag']));
  });

  test('item 6: somebody else\'s sidetag: "This is not your sidetag" — sidetag_admin included; admin may', async () => {
    const st = await create(alice, 'base_tag');
    await api.fault('removeSideTag', [st.name], bob.creds, 'ActionNotAllowed', 'This is not your sidetag');
    await api.fault('removeSideTag', [st.name], carol.creds, 'ActionNotAllowed', 'This is not your sidetag');
    await api.fault('removeSideTag', [st.name], undefined, 'ActionNotAllowed');
    assert.ok(await api.ok('getTag', [st.id]), 'still there');
    assert.equal(await api.ok('removeSideTag', [st.id], A), null);
    assert.equal(await api.ok('getTag', [st.id]), null);
    const [d] = (await removals(hub)).get(st.name)!.map(removedData);
    assert.deepEqual([d.reason, d.by?.name, d.owner?.name], ['requested', 'admin', 'alice']);
  });

  test('item 7: a sidetag without its target: "Target is missing for sidetag" (an admin-marked tag, or a deleted target)', async () => {
    // A tag an admin marks as a sidetag counts as one (§2.1), but has no target.
    const marked = await api.ok<number>(
      'createTag',
      [
        'hand-marked',
        'base_tag',
        null,
        false,
        null,
        false,
        false,
        { sidetag: true, sidetag_user: 'alice', sidetag_user_id: alice.id },
      ],
      A,
    );
    assert.ok((await sidetagsOf('alice')).includes('hand-marked'));
    await api.fault(
      'removeSideTag',
      ['hand-marked'],
      alice.creds,
      'GenericError',
      'Target is missing for sidetag',
    );
    assert.ok(await api.ok('getTag', [marked]));
    const st = await create(alice, 'base_tag');
    await api.ok('deleteBuildTarget', [st.name], A);
    await api.fault('removeSideTag', [st.name], alice.creds, 'GenericError', 'Target is missing for sidetag');
    assert.ok(await api.ok('getTag', [st.name]), 'nothing removed');
  });

  test('item 8: a target of the same name pointing elsewhere: "Target does not match sidetag"', async () => {
    const st = await create(alice, 'base_tag');
    await api.ok('editBuildTarget', [st.name, st.name, 'base_tag', 'base_tag'], A);
    await api.fault('removeSideTag', [st.name], alice.creds, 'GenericError', 'Target does not match sidetag');
    // Only the destination tag differing is enough.
    await api.ok('editBuildTarget', [st.name, st.name, st.name, 'base_tag'], A);
    await api.fault('removeSideTag', [st.name], alice.creds, 'GenericError', 'Target does not match sidetag');
    await api.ok('editBuildTarget', [st.name, st.name, st.name, st.name], A);
    assert.equal(await api.ok('removeSideTag', [st.name], alice.creds), null);
  });

  test('item 9: the owner removes a sidetag → None; the tag and its target are gone, the reason is recorded', async () => {
    const st = await create(alice, 'base_tag');
    assert.equal(await api.ok('removeSideTag', [st.name], alice.creds), null);
    assert.equal(await api.ok('getTag', [st.id]), null);
    assert.equal(await api.ok('getBuildTarget', [st.name]), null);
    assert.ok(!(await sidetagsOf('alice')).includes(st.name));
    const [d] = (await removals(hub)).get(st.name)!.map(removedData);
    assert.deepEqual([d.reason, d.by?.name, d.owner?.name], ['requested', 'alice', 'alice']);
    await api.fault('removeSideTag', [st.name], alice.creds, 'GenericError', `No such tagInfo: '${st.name}'`);
  });

  test('items 10–13: listSideTags — anonymous, filters, user_id as a string, only direct children of the base', async () => {
    const lb = await api.ok<number>('createTag', ['list-base'], A);
    await api.ok('createTag', ['list-base2'], A);
    const frank = await api.user(A, 'frank');
    const gina = await api.user(A, 'gina');
    const f1 = await create(frank, 'list-base');
    const g1 = await create(gina, 'list-base');
    const f2 = await create(frank, 'list-base');
    const f3 = await create(frank, 'list-base2');
    // A sidetag of a sidetag: its direct parent is f1, not list-base.
    const child = await create(gina, f1.name);
    const row = (r: CreateResult, u: User): SidetagRow => ({
      id: r.id,
      name: r.name,
      user_id: String(u.id),
      user_name: u.name,
    });

    // Item 11: basetag; anonymous access; exactly Koji's four fields.
    assert.deepEqual(await api.ok('listSideTags', ['list-base']), [
      row(f1, frank),
      row(g1, gina),
      row(f2, frank),
    ]);
    assert.deepEqual(await api.ok('listSideTags', { basetag: lb }), [
      row(f1, frank),
      row(g1, gina),
      row(f2, frank),
    ]);
    assert.deepEqual(await api.ok('listSideTags', { basetag: f1.name }), [row(child, gina)]);
    // Item 12: user by name or id; user_id is a string.
    assert.deepEqual(await api.ok('listSideTags', { user: 'frank' }), [
      row(f1, frank),
      row(f2, frank),
      row(f3, frank),
    ]);
    assert.deepEqual(await api.ok('listSideTags', [null, frank.id]), [
      row(f1, frank),
      row(f2, frank),
      row(f3, frank),
    ]);
    // Item 13: both.
    assert.deepEqual(await api.ok('listSideTags', ['list-base', 'gina']), [row(g1, gina)]);
    assert.deepEqual(await api.ok('listSideTags', ['list-base2', 'gina']), []);
    // Item 10: no filter lists every sidetag, these among them.
    const all = await api.ok<SidetagRow[]>('listSideTags', []);
    for (const r of [f1, g1, f2, f3, child]) assert.ok(all.some((x) => x.id === r.id));
    for (const r of all) assert.equal(typeof r.user_id, 'string');
    // Unknown filters: Koji's strict lookups.
    await api.fault('listSideTags', { user: 'nobody' }, undefined, 'GenericError', "No such user: 'nobody'");
    await api.fault(
      'listSideTags',
      { basetag: 'nope' },
      undefined,
      'GenericError',
      "No such tagInfo: 'nope'",
    );
  });

  test('listSideTags queryOpts: countOnly, order, offset, limit', async () => {
    const names = (rows: SidetagRow[]) => rows.map((r) => r.name);
    const q = (queryOpts: Record<string, unknown>) =>
      api.ok<SidetagRow[] | number>('listSideTags', { basetag: 'list-base', queryOpts });
    const all = (await api.ok<SidetagRow[]>('listSideTags', ['list-base'])).map((r) => r.name);
    assert.equal(all.length, 3);
    assert.equal(await q({ countOnly: true }), 3);
    assert.equal(await q({ countOnly: true, limit: 1 }), 3, 'countOnly counts the whole result');
    assert.deepEqual(names((await q({ order: '-id' })) as SidetagRow[]), [...all].reverse());
    assert.deepEqual(names((await q({ order: 'name' })) as SidetagRow[]), [...all].sort());
    assert.deepEqual(names((await q({ order: 'id', offset: 1, limit: 1 })) as SidetagRow[]), [all[1]]);
    assert.deepEqual(names((await q({ offset: 2 })) as SidetagRow[]), [all[2]]);
    assert.deepEqual(names((await q({ limit: 0 })) as SidetagRow[]), []);
    assert.equal(await api.ok('listSideTags', { user: 'gina', queryOpts: { countOnly: true } }), 2);
  });

  test('queryOpts give what ordering the whole list would: every order, offset and limit, with and without extra', async () => {
    // Koji's semantics, computed here from the whole list: a stable sort (ties stay in id order),
    // None first when ascending, then offset, then limit. user_id sorts as the text it is.
    const expected = (rows: SidetagRow[], order: string | undefined, offset?: number, limit?: number) => {
      let out = rows;
      if (order) {
        const desc = order.startsWith('-');
        const f = desc ? order.slice(1) : order;
        out = [...rows].sort((a, b) => {
          const x = a[f] as string | number | null | undefined;
          const y = b[f] as string | number | null | undefined;
          const c =
            x === y
              ? 0
              : x === null || x === undefined
                ? -1
                : y === null || y === undefined
                  ? 1
                  : x < y
                    ? -1
                    : 1;
          return desc ? -c : c;
        });
      }
      out = out.slice(offset ?? 0);
      return limit === undefined ? out : out.slice(0, limit);
    };
    const tagged = await create(alice, 'base_tag');
    await api.ok('createEmptyBuild', ['qopts', '1', '1', null], A);
    await api.ok('tagBuildBypass', [tagged.name, 'qopts-1-1'], A);
    for (const extra of [false, true]) {
      const all = await api.ok<SidetagRow[]>('listSideTags', extra ? { queryOpts: { extra } } : {});
      assert.ok(all.length > 20);
      const orders = [
        undefined,
        'id',
        '-id',
        'name',
        '-name',
        'user_name',
        '-user_name',
        'user_id',
        '-user_id',
        'nosuch',
      ];
      if (extra) orders.push('builds', '-builds', 'basetag_name', '-create_ts', 'basetag_id');
      else orders.push('builds', 'basetag_id'); // not in the reply: no effect on the order
      for (const order of orders)
        for (const [offset, limit] of [
          [undefined, undefined],
          [0, 5],
          [3, 4],
          [all.length - 2, 10],
          [undefined, 0],
        ]) {
          const queryOpts = { ...(extra ? { extra } : {}), ...(order ? { order } : {}), offset, limit };
          const got = await api.ok<SidetagRow[]>('listSideTags', { queryOpts });
          assert.deepEqual(got, expected(all, order, offset, limit), JSON.stringify(queryOpts));
        }
    }
  });

  describe('items 14–23: editSideTag', () => {
    let st: CreateResult; // alice's, on f40-build (debuginfo and macro_1_name, macro_2_name allowed)
    let plain: CreateResult; // alice's, on base_tag (nothing allowed)
    const parents: Record<string, CreateResult> = {};

    const extraOf = async (name: string) => (await api.ok<TagRow>('getTag', [name])).extra;
    const edit = (who: Creds | undefined, params: Record<string, unknown>) =>
      api.rpc('editSideTag', params, who);

    before(async () => {
      st = await create(alice, 'f40-build');
      plain = await create(alice, 'base_tag');
      for (const [name, allowed] of [
        ['macro-hash-build', ['#macro_1_name']],
        ['macro-str-build', 'macro_1_name macro_2_name'],
        ['macro-none-build', null],
        ['macro-dict-build', { name: 'test' }],
        ['macro-ints-build', [1, 2, 3]],
        ['macro-glob-build', ['dist*', '_with_*']],
      ] as const) {
        await api.ok(
          'createTag',
          [name, null, 'x86_64', false, null, false, false, { sidetag_rpm_macros_allowed: allowed }],
          A,
        );
        parents[name] = await create(alice, name);
      }
    });

    test('item 14: debuginfo with a parent that does not allow it', async () => {
      await api.fault(
        'editSideTag',
        { sidetag: plain.name, debuginfo: true },
        alice.creds,
        'GenericError',
        'Debuginfo setting is not allowed in parent tag.',
      );
      await api.fault(
        'editSideTag',
        [plain.name, false],
        alice.creds,
        'GenericError',
        'Debuginfo setting is not allowed in parent tag.',
      );
    });

    test('item 15: rpm macros with a parent that has no allow-list', async () => {
      await api.fault(
        'editSideTag',
        { sidetag: plain.name, rpm_macros: { macro_1_name: 'v' } },
        alice.creds,
        'GenericError',
        'RPM macros change is not allowed in parent tag.',
      );
    });

    test('item 16: debuginfo, a macro set and one removed → the extra changes exactly so', async () => {
      await api.ok('editSideTag', { sidetag: st.name, rpm_macros: { macro_2_name: 'old' } }, alice.creds);
      assert.equal((await extraOf(st.name))['rpm.macro.macro_2_name'], 'old');
      assert.equal(
        await api.ok(
          'editSideTag',
          {
            sidetag: st.name,
            debuginfo: true,
            rpm_macros: { macro_1_name: 'macro_1_value' },
            remove_rpm_macros: ['macro_2_name'],
          },
          alice.creds,
        ),
        null,
      );
      assert.deepEqual(await extraOf(st.name), {
        sidetag: true,
        sidetag_user: 'alice',
        sidetag_user_id: alice.id,
        with_debuginfo: true,
        'rpm.macro.macro_1_name': 'macro_1_value',
      });
      const edited = (await readEvents(hub.hub.backend, ['SideTagEdited'])).at(-1)!;
      assert.deepEqual(edited.data, {
        id: st.id,
        name: st.name,
        by: { id: alice.id, name: 'alice' },
        extraSet: { with_debuginfo: true, 'rpm.macro.macro_1_name': 'macro_1_value' },
        extraRemoved: ['rpm.macro.macro_2_name'],
      });
      // The builder sees the macro and the debuginfo flag through getBuildConfig.
      const bc = await api.ok<{ extra: Record<string, unknown> }>('getBuildConfig', [st.name]);
      assert.equal(bc.extra['rpm.macro.macro_1_name'], 'macro_1_value');
      assert.equal(bc.extra.with_debuginfo, true);
      // debuginfo=False is a setting too.
      await api.ok('editSideTag', [st.name, false], alice.creds);
      assert.equal((await extraOf(st.name)).with_debuginfo, false);
    });

    test('item 17: removing a macro the allow-list does not name', async () => {
      await api.fault(
        'editSideTag',
        { sidetag: st.name, remove_rpm_macros: ['macro_2_name2'] },
        alice.creds,
        'GenericError',
        'RPM macro macro_2_name2 editing is not allowed via parent tag',
      );
    });

    test('item 18: an invalid macro name, refused before the allow-list', async () => {
      await api.fault(
        'editSideTag',
        { sidetag: parents['macro-hash-build'].name, rpm_macros: { '#macro_1_name': 'v' } },
        alice.creds,
        'GenericError',
        "Invalid macro name '#macro_1_name'",
      );
      await api.fault(
        'editSideTag',
        { sidetag: st.name, rpm_macros: { m: 'v' } },
        alice.creds,
        'GenericError',
        "Invalid macro name 'm'",
      );
    });

    test('item 19: a string allow-list is split; matching is exact', async () => {
      const name = parents['macro-str-build'].name;
      await api.fault(
        'editSideTag',
        { sidetag: name, rpm_macros: { macro_1_name1: 'v' } },
        alice.creds,
        'GenericError',
        'RPM macro macro_1_name1 editing is not allowed via parent tag',
      );
      await api.ok('editSideTag', { sidetag: name, rpm_macros: { macro_2_name: 2 } }, alice.creds);
      assert.equal((await extraOf(name))['rpm.macro.macro_2_name'], 2);
    });

    test('item 20: an allow-list of None is no allow-list', async () => {
      await api.fault(
        'editSideTag',
        { sidetag: parents['macro-none-build'].name, rpm_macros: { macro_1_name: 'v' } },
        alice.creds,
        'GenericError',
        'RPM macros change is not allowed in parent tag.',
      );
    });

    test('item 21: a dict allow-list: "rpm_macros_allowed in <parent> has invalid type: <class \'dict\'>"', async () => {
      await api.fault(
        'editSideTag',
        { sidetag: parents['macro-dict-build'].name, rpm_macros: { macro_1_name: 'v' } },
        alice.creds,
        'GenericError',
        "rpm_macros_allowed in macro-dict-build has invalid type: <class 'dict'>",
      );
    });

    test('item 22: a list of non-strings: "Allowed rpm macro list [1, 2, 3] is invalid for <parent>."', async () => {
      await api.fault(
        'editSideTag',
        { sidetag: parents['macro-ints-build'].name, remove_rpm_macros: ['x'] },
        alice.creds,
        'GenericError',
        'Allowed rpm macro list [1, 2, 3] is invalid for macro-ints-build.',
      );
    });

    test('item 23: extra and remove_extra need sidetag_admin or admin, even for the owner', async () => {
      const message = 'Extra can be modified only with sidetag_admin or admin permissions.';
      await api.fault(
        'editSideTag',
        { sidetag: st.name, extra: { foo: 'bar' } },
        alice.creds,
        'GenericError',
        message,
      );
      await api.fault(
        'editSideTag',
        { sidetag: st.name, remove_extra: ['foo'] },
        alice.creds,
        'GenericError',
        message,
      );
      assert.equal((await extraOf(st.name)).foo, undefined);
      // sidetag_admin on a sidetag of their own may.
      const mine = await create(carol, 'base_tag');
      await api.ok('editSideTag', { sidetag: mine.name, extra: { foo: 'bar' } }, carol.creds);
      assert.equal((await extraOf(mine.name)).foo, 'bar');
      await api.ok('editSideTag', { sidetag: mine.name, remove_extra: ['foo'] }, carol.creds);
      assert.equal((await extraOf(mine.name)).foo, undefined);
      // admin may on anybody's.
      await api.ok('editSideTag', { sidetag: st.name, extra: { foo: 1 } }, A);
      assert.equal((await extraOf(st.name)).foo, 1);
    });

    test("ownership first: sidetag_admin cannot edit somebody else's sidetag; others cannot; not a sidetag", async () => {
      await api.fault(
        'editSideTag',
        { sidetag: st.name, extra: { x: 1 } },
        carol.creds,
        'ActionNotAllowed',
        'This is not your sidetag',
      );
      await api.fault(
        'editSideTag',
        [st.name, true],
        bob.creds,
        'ActionNotAllowed',
        'This is not your sidetag',
      );
      await api.fault('editSideTag', ['base_tag', true], A, 'GenericError', 'Not a sidetag: base_tag');
      await api.fault('editSideTag', [st.name, true], undefined, 'ActionNotAllowed');
    });

    test('remove_rpm_macros replaces the remove_extra the caller gave', async () => {
      await api.ok(
        'editSideTag',
        { sidetag: st.name, rpm_macros: { macro_2_name: 'x' }, extra: { keep: 1 } },
        A,
      );
      await api.ok(
        'editSideTag',
        { sidetag: st.name, remove_rpm_macros: ['macro_2_name'], remove_extra: ['keep'] },
        A,
      );
      const extra = await extraOf(st.name);
      assert.equal(extra.keep, 1, 'remove_extra was discarded');
      assert.equal(extra['rpm.macro.macro_2_name'], undefined);
    });

    test("globs in the allow-list; macro values of any JSON type; _edit_tag's own errors", async () => {
      const name = parents['macro-glob-build'].name;
      await api.ok(
        'editSideTag',
        { sidetag: name, rpm_macros: { dist: '.fc40', _with_tests: 1, distcore: ['a', 2] } },
        alice.creds,
      );
      const extra = await extraOf(name);
      assert.deepEqual(
        [extra['rpm.macro.dist'], extra['rpm.macro._with_tests'], extra['rpm.macro.distcore']],
        ['.fc40', 1, ['a', 2]],
      );
      await api.fault(
        'editSideTag',
        { sidetag: name, rpm_macros: { Dist: 'x' } },
        alice.creds,
        'GenericError',
        'RPM macro Dist editing is not allowed via parent tag',
      );
      await api.fault(
        'editSideTag',
        { sidetag: name, remove_rpm_macros: ['dist_never_set'] },
        alice.creds,
        'GenericError',
        `Tag: ${name} doesn't have extra: rpm.macro.dist_never_set`,
      );
      await api.fault(
        'editSideTag',
        { sidetag: name, extra: { k: 1 }, remove_extra: ['k'] },
        A,
        'GenericError',
        "Can not both add/update and remove tag-extra: 'k'",
      );
      await api.fault(
        'editSideTag',
        { sidetag: name, rpm_macros: ['dist'] },
        alice.creds,
        'ParameterError',
        "Invalid type for value '['dist']': <class 'list'>, expected type <class 'dict'>",
      );
    });

    test('nothing asked: None, nothing recorded', async () => {
      const before = (await readEvents(hub.hub.backend, ['SideTagEdited'])).length;
      assert.equal(await api.ok('editSideTag', [st.name], alice.creds), null);
      assert.equal((await readEvents(hub.hub.backend, ['SideTagEdited'])).length, before);
      const r = await edit(alice.creds, { sidetag: 'no-such-tag', debuginfo: true });
      assert.equal((r.body.error as RpcError).message, "No such tagInfo: 'no-such-tag'");
    });
  });

  test('holds: owner, sidetag_admin and admin may hold and release; others may not; listSideTags shows them when asked', async () => {
    const st = await create(alice, 'base_tag');
    assert.equal(await api.ok('holdSideTag', [st.name, 'bodhi update FEDORA-2026-1'], alice.creds), null);
    const listed = (
      await api.ok<SidetagRow[]>('listSideTags', { user: 'alice', queryOpts: { extra: true } })
    ).find((r) => r.id === st.id)!;
    assert.equal(listed.hold?.reason, 'bodhi update FEDORA-2026-1');
    assert.equal(listed.hold?.by, 'alice');
    assert.ok(!Number.isNaN(Date.parse(listed.hold!.time)));
    assert.deepEqual(
      Object.keys((await api.ok<SidetagRow[]>('listSideTags', { user: 'alice' }))[0]).sort(),
      ['id', 'name', 'user_id', 'user_name'],
      "without queryOpts extra, only Koji's fields",
    );
    await api.fault(
      'holdSideTag',
      [st.name, 'mine now'],
      bob.creds,
      'ActionNotAllowed',
      'This is not your sidetag',
    );
    await api.fault('releaseSideTag', [st.name], bob.creds, 'ActionNotAllowed', 'This is not your sidetag');
    await api.fault('holdSideTag', [st.name, 'x'], undefined, 'ActionNotAllowed');
    await api.fault('holdSideTag', ['base_tag', 'x'], A, 'GenericError', 'Not a sidetag: base_tag');
    // sidetag_admin may, on anybody's.
    await api.ok('releaseSideTag', [st.name], carol.creds);
    await api.fault(
      'releaseSideTag',
      [st.name],
      carol.creds,
      'GenericError',
      `sidetag ${st.name} is not held`,
    );
    await api.ok('holdSideTag', [st.id, 'release train'], carol.creds);
    const held = (
      await api.ok<SidetagRow[]>('listSideTags', { user: 'alice', queryOpts: { extra: true } })
    ).find((r) => r.id === st.id)!;
    assert.deepEqual([held.hold?.reason, held.hold?.by], ['release train', 'carol']);
    await api.ok('releaseSideTag', [st.name], A);
    await api.ok('holdSideTag', [st.name, 'again'], A);
    const types = (await readEvents(hub.hub.backend, ['SideTagHeld', 'SideTagReleased']))
      .filter((e) => e.stream === `sidetag-${st.id}`)
      .map((e) => `${e.type}:${(e.data as { by: { name: string } }).by.name}`);
    assert.deepEqual(types, [
      'SideTagHeld:alice',
      'SideTagReleased:carol',
      'SideTagHeld:carol',
      'SideTagReleased:admin',
      'SideTagHeld:admin',
    ]);
    // A hold keeps automatic removals away, not the owner's explicit one.
    await api.ok('removeSideTag', [st.name], alice.creds);
    assert.equal(await api.ok('getTag', [st.name]), null);
    assert.equal((await removals(hub)).get(st.name)!.map(removedData)[0].reason, 'requested');
  });
});

describe('remove_empty (sidetag.conf remove_empty = true)', () => {
  let cfg: { dir: string; cleanup: () => void };
  let hub: TestHub;
  let api: RpcClient;
  let A: Creds;
  let ivan: User;
  let nbuild = 0;

  const newBuild = async () => {
    const n = ++nbuild;
    await api.ok('createEmptyBuild', [`pkg${n}`, '1', '1', null], A);
    return `pkg${n}-1-1`;
  };
  const sidetag = (creds: Creds = ivan.creds) => api.ok<CreateResult>('createSideTag', ['base_tag'], creds);

  before(async () => {
    cfg = sidetagConfigDir({
      sidetag: {
        remove_empty: 'true',
        trigger_new_repo: 'true',
        name_template: '{basetag}-sidetag-{tag_id}',
        allowed_suffixes: 'suffix,another',
      },
    });
    hub = await startTestHub({ configDir: cfg.dir });
    api = new RpcClient(hub.url);
    A = hub.admin;
    await api.ok('createTag', ['base_tag', null, 'x86_64'], A);
    await api.ok('createTag', ['plain'], A);
    ivan = await api.user(A, 'ivan');
  });

  after(async () => {
    await hub?.close();
    cfg?.cleanup();
  });

  test('item 2 with name_template {basetag}-sidetag-{tag_id} and trigger_new_repo: the repo request is returned', async () => {
    const r = await api.ok<CreateResult>('createSideTag', ['base_tag', true, 'suffix'], ivan.creds);
    assert.equal(r.name, `base_tag-sidetag-${r.id}-suffix`);
    assert.equal(r.task_id, null);
    assert.ok(r.request, 'trigger_new_repo queues a repo request');
    assert.equal(r.request.tag_id, r.id);
    assert.equal(typeof r.request.id, 'number');
  });

  test('the last untag removes the sidetag in the same append, caused by the PackageUntagged; the reply comes after', async () => {
    const st = await sidetag();
    const b1 = await newBuild();
    await api.ok('tagBuildBypass', [st.name, b1], A);
    assert.equal(await api.ok('untagBuild', [st.name, b1], ivan.creds), null);
    // The untag's reply comes after the removal: the tag and its target are already gone.
    assert.equal(await api.ok('getTag', [st.name]), null);
    assert.equal(await api.ok('getBuildTarget', [st.name]), null);
    assert.ok(!(await api.ok<SidetagRow[]>('listSideTags', [])).some((r) => r.id === st.id));

    const log = await readEvents(hub.hub.backend);
    const untag = log.find(
      (e) => e.type === 'PackageUntagged' && (e.data as { tag: { id: number } }).tag.id === st.id,
    )!;
    const removed = log.find((e) => e.type === 'SideTagRemoved' && removedData(e).id === st.id)!;
    assert.ok(untag && removed);
    assert.equal(removedData(removed).reason, 'empty');
    assert.equal(removedData(removed).by?.name, 'ivan', 'under the untagging user');
    assert.equal(removed.metadata.causationId, untag.eventId, 'caused by the untag');
    // One append: the events from the untag to the removal are a contiguous run of global positions,
    // all of the same request, with nothing of any other command in between.
    const lo = Math.min(untag.position, removed.position);
    const hi = Math.max(untag.position, removed.position);
    const run = log.filter((e) => e.position >= lo && e.position <= hi);
    assert.equal(run.length, hi - lo + 1, 'no gap between them');
    for (const e of run)
      assert.equal(e.metadata.requestId, untag.metadata.requestId, `${e.type} is of the same append`);
    const sameAppend = log.filter((e) => e.metadata.requestId === untag.metadata.requestId);
    const positions = sameAppend.map((e) => e.position);
    assert.deepEqual(
      positions,
      positions.map((_, i) => positions[0] + i),
      'the whole append is contiguous',
    );
    assert.deepEqual(sameAppend.map((e) => e.type).sort(), [
      'BuildTargetDeleted',
      'PackageUntagged',
      'SideTagQuotaReleased',
      'SideTagRemoved',
      'TagDeleted',
    ]);
    const quota = sameAppend.find((e) => e.type === 'SideTagQuotaReleased')!;
    assert.equal(quota.metadata.causationId, untag.eventId);
    assert.equal((quota.data as { reason: string }).reason, 'empty');
  });

  test('an untag that untags nothing (strict=False) removes nothing — empty or not (Koji removes, T6)', async () => {
    const never = await sidetag();
    const b = await newBuild();
    assert.equal(await api.ok('untagBuild', [never.name, b, false], ivan.creds), null);
    assert.ok(await api.ok('getTag', [never.name]), 'a never-tagged sidetag stays');
    const full = await sidetag();
    const b1 = await newBuild();
    await api.ok('tagBuildBypass', [full.name, b1], A);
    await api.ok('untagBuild', [full.name, b, false], ivan.creds);
    await api.fault(
      'untagBuild',
      [full.name, b],
      ivan.creds,
      'TagError',
      `build ${b} not in tag ${full.name}`,
    );
    assert.ok(await api.ok('getTag', [full.name]));
    const r = await removals(hub);
    assert.ok(!r.has(never.name) && !r.has(full.name));
  });

  test('a held sidetag is not removed when emptied; untagBuildBypass and moves remove unheld ones', async () => {
    const held = await sidetag();
    const b1 = await newBuild();
    await api.ok('tagBuildBypass', [held.name, b1], A);
    await api.ok('holdSideTag', [held.name, 'keep me'], ivan.creds);
    await api.ok('untagBuild', [held.name, b1], ivan.creds);
    assert.ok(await api.ok('getTag', [held.name]), 'held: kept');
    await api.ok('releaseSideTag', [held.name], ivan.creds);
    assert.ok(await api.ok('getTag', [held.name]), 'a release removes nothing by itself');

    const bypass = await sidetag();
    const b2 = await newBuild();
    await api.ok('tagBuildBypass', [bypass.name, b2], A);
    await api.ok('untagBuildBypass', [bypass.name, b2], A);
    assert.equal(await api.ok('getTag', [bypass.name]), null);

    const moved = await sidetag();
    const b3 = await newBuild();
    await api.ok('tagBuildBypass', [moved.name, b3], A);
    await api.ok('tagBuild', ['plain', b3, false, moved.name], A);
    assert.equal(await api.ok('getTag', [moved.name]), null, 'moving the last build out empties it');

    const r = await removals(hub);
    assert.ok(!r.has(held.name));
    assert.equal(removedData(r.get(bypass.name)![0]).reason, 'empty');
    assert.equal(removedData(r.get(moved.name)![0]).reason, 'empty');
  });

  test('§6.1 item 28: a sidetag that cannot be removed (its target is gone) stays; the untag still happens', async () => {
    const st = await sidetag();
    const b = await newBuild();
    await api.ok('tagBuildBypass', [st.name, b], A);
    await api.ok('deleteBuildTarget', [st.name], A);
    // Koji swallows the GenericError of _remove_sidetag and keeps the untag.
    assert.equal(await api.ok('untagBuild', [st.name, b], ivan.creds), null);
    assert.deepEqual(await api.ok('listTagged', [st.name]), []);
    assert.ok(await api.ok('getTag', [st.name]), 'kept');
    assert.ok(!(await removals(hub)).has(st.name));
  });

  test('a tag that is not a sidetag stays when emptied', async () => {
    const b = await newBuild();
    await api.ok('tagBuildBypass', ['plain', b], A);
    await api.ok('untagBuild', ['plain', b], A);
    assert.ok(await api.ok('getTag', ['plain']));
  });

  test('a build tagged concurrently wins: never a removed sidetag that had a build (SQLite)', async (t) => {
    const o = await raceRounds(hub, api, ivan, 40);
    t.diagnostic(`${o.survived} rounds the tagging won, ${o.removed} the untag removed the sidetag first`);
  });

  test('a build tagged concurrently wins — on PostgreSQL, where the two commands really interleave', async (t) => {
    const pgHub = await startTestHub({ configDir: cfg.dir, store: await (await sharedPostgres()).url() });
    try {
      const pgApi = new RpcClient(pgHub.url);
      await pgApi.ok('createTag', ['base_tag', null, 'x86_64'], pgHub.admin);
      const o = await raceRounds(pgHub, pgApi, await pgApi.user(pgHub.admin, 'ivan'), 40);
      t.diagnostic(`${o.survived} rounds the tagging won, ${o.removed} the untag removed the sidetag first`);
    } finally {
      await pgHub.close();
    }
  });
});

/**
 * Rounds of a sidetag holding B1, then tagBuildBypass(B2) and untagBuild(B1) sent at once: either the
 * sidetag survives with B2 in it, or it was removed and the tagging failed — never a removed sidetag
 * that had a build. The log is checked too.
 */
async function raceRounds(hub: TestHub, api: RpcClient, owner: User, rounds: number) {
  const A = hub.admin;
  const outcomes = { survived: 0, removed: 0 };
  for (let round = 0; round < rounds; round++) {
    const st = await api.ok<CreateResult>('createSideTag', ['base_tag'], owner.creds);
    const [b1, b2] = [`race${round}a-1-1`, `race${round}b-1-1`];
    await api.ok('createEmptyBuild', [`race${round}a`, '1', '1', null], A);
    await api.ok('createEmptyBuild', [`race${round}b`, '1', '1', null], A);
    await api.ok('tagBuildBypass', [st.name, b1], A);
    // Sent in both orders, so each side gets to arrive first.
    const tag = () => api.rpc('tagBuildBypass', [st.name, b2], A);
    const untag = () => api.rpc('untagBuild', [st.name, b1], owner.creds);
    const [tagged, untagged] =
      round % 2 ? await Promise.all([tag(), untag()]) : (await Promise.all([untag(), tag()])).reverse();
    assert.equal(untagged.body.error, undefined, `round ${round}: the untag always succeeds`);
    if (await api.ok<TagRow | null>('getTag', [st.id])) {
      outcomes.survived++;
      assert.equal(tagged.body.error, undefined, `round ${round}: survived, so the tagging succeeded`);
      const inTag = (await api.ok<{ nvr: string }[]>('listTagged', [st.id])).map((b) => b.nvr);
      assert.deepEqual(inTag, [b2], `round ${round}: the sidetag holds B2`);
    } else {
      outcomes.removed++;
      const e = tagged.body.error as RpcError | undefined;
      assert.ok(e, `round ${round}: the sidetag was removed, so the tagging must have failed`);
      assert.equal(e.data?.name, 'GenericError');
      assert.match(e.message, /No such tagInfo/);
    }
  }
  // The log agrees: no empty-removal of a sidetag whose stream shows a build at that point.
  const builds = new Map<number, number>();
  for (const e of await readEvents(hub.hub.backend)) {
    const d = e.data as { tag?: { id: number }; id?: number };
    if (e.type === 'PackageTagged') builds.set(d.tag!.id, (builds.get(d.tag!.id) ?? 0) + 1);
    if (e.type === 'PackageUntagged') builds.set(d.tag!.id, (builds.get(d.tag!.id) ?? 0) - 1);
    if (e.type === 'SideTagRemoved' && removedData(e).reason === 'empty')
      assert.equal(builds.get(d.id!) ?? 0, 0, `${removedData(e).name} was removed with builds in it`);
  }
  assert.equal(outcomes.survived + outcomes.removed, rounds);
  return outcomes;
}

describe('cleanupSideTags: test mode and real mode (TestClock)', () => {
  let cfg: { dir: string; cleanup: () => void };
  let hub: TestHub;
  let api: RpcClient;
  let A: Creds;
  let clock: TestClock;
  let judy: User;
  const st: Record<string, CreateResult> = {};
  let nbuild = 0;

  const tagNew = async (tag: string) => {
    const nvr = `cpkg${++nbuild}-1-1`;
    await api.ok('createEmptyBuild', [`cpkg${nbuild}`, '1', '1', null], A);
    await api.ok('tagBuildBypass', [tag, nvr], A);
  };

  before(async () => {
    clock = new TestClock(Date.parse('2026-03-01T00:00:00Z'));
    cfg = sidetagConfigDir({ sidetag: { allowed_suffixes: 'another' } });
    hub = await startTestHub({ configDir: cfg.dir, clock });
    api = new RpcClient(hub.url);
    A = hub.admin;
    await api.ok('createTag', ['cleanup-base', null, 'x86_64'], A);
    judy = await api.user(A, 'judy');
    const make = async (key: string, suffix?: string) =>
      (st[key] = await api.ok<CreateResult>(
        'createSideTag',
        suffix ? ['cleanup-base', false, suffix] : ['cleanup-base'],
        judy.creds,
      ));
    // Day 0: an empty one, an old one with a build, a held empty one, an ignored empty one.
    await make('empty');
    await make('old');
    await tagNew(st.old.name);
    await make('held');
    await api.ok('holdSideTag', [st.held.name, 'bodhi update in testing'], judy.creds);
    await make('ignored', 'another');
    // Day 15: one tagged then, one tagged again on day 25.
    clock.advance(15 * DAY_MS);
    await make('inactive');
    await tagNew(st.inactive.name);
    await make('active');
    await tagNew(st.active.name);
    clock.advance(10 * DAY_MS);
    await tagNew(st.active.name);
    // Day 31, minus an hour: a fresh empty one.
    clock.advance(6 * DAY_MS - 3_600_000);
    await make('fresh');
    clock.advance(3_600_000);
  });

  after(async () => {
    await hub?.close();
    cfg?.cleanup();
  });

  const report = (rows: CleanupRow[]) => rows.map((r) => [r.stage, r.name, r.removed]);

  test('needs sidetag_admin', async () => {
    await api.fault('cleanupSideTags', { test: true }, judy.creds, 'ActionNotAllowed');
  });

  test('test mode reports empty → old → inactive, each once, and removes nothing; holds and ignore globs are never selected', async () => {
    const rows = await api.ok<CleanupRow[]>('cleanupSideTags', { test: true, ignore_tags: ['*-another'] }, A);
    assert.deepEqual(report(rows), [
      ['empty', st.empty.name, false],
      ['old', st.old.name, false],
      ['inactive', st.inactive.name, false],
    ]);
    const age = Object.fromEntries(rows.map((r) => [r.name, r.age]));
    assert.equal(age[st.empty.name], 31 * 86400, 'since creation');
    assert.equal(age[st.inactive.name], 16 * 86400, 'since the last tagging');
    for (const s of Object.values(st)) assert.ok(await api.ok('getTag', [s.name]), `${s.name} still there`);
    // Without the ignore glob the ignored one is empty and old enough.
    const all = await api.ok<CleanupRow[]>('cleanupSideTags', { test: true }, A);
    assert.ok(all.some((r) => r.name === st.ignored.name && r.stage === 'empty'));
    // A stage switched off passes everything on: the empty one is then old.
    const noEmpty = await api.ok<CleanupRow[]>(
      'cleanupSideTags',
      { test: true, empty: false, ignore_tags: ['*-another'] },
      A,
    );
    assert.deepEqual(report(noEmpty), [
      ['old', st.empty.name, false],
      ['old', st.old.name, false],
      ['inactive', st.inactive.name, false],
    ]);
    // Delays: with old_delay 40 nothing is old; with inactive_delay 20 only the one last tagged on day 0 is
    // inactive.
    const delays = await api.ok<CleanupRow[]>(
      'cleanupSideTags',
      { test: true, old_delay: 40, inactive_delay: 20, ignore_tags: ['*-another'] },
      A,
    );
    assert.deepEqual(report(delays), [
      ['empty', st.empty.name, false],
      ['inactive', st.old.name, false],
    ]);
    assert.deepEqual(await removals(hub), new Map());
  });

  test('real mode removes what it reports, each with its reason; the held, ignored, active and fresh stay', async () => {
    const rows = await api.ok<CleanupRow[]>('cleanupSideTags', { ignore_tags: ['*-another'] }, A);
    assert.deepEqual(report(rows), [
      ['empty', st.empty.name, true],
      ['old', st.old.name, true],
      ['inactive', st.inactive.name, true],
    ]);
    for (const k of ['empty', 'old', 'inactive']) assert.equal(await api.ok('getTag', [st[k].name]), null, k);
    for (const k of ['held', 'ignored', 'active', 'fresh'])
      assert.ok(await api.ok('getTag', [st[k].name]), k);
    const r = await removals(hub);
    assert.deepEqual(
      [st.empty, st.old, st.inactive].map((s) => {
        const d = removedData(r.get(s.name)![0]);
        return [d.reason, d.by?.name, d.owner?.name];
      }),
      [
        ['cleanup-empty', 'admin', 'judy'],
        ['cleanup-old', 'admin', 'judy'],
        ['cleanup-inactive', 'admin', 'judy'],
      ],
    );
    // The owner's quota followed: judy now has the four left.
    assert.equal(await api.ok('listSideTags', { user: 'judy', queryOpts: { countOnly: true } }), 4);
    const released = (await readEvents(hub.hub.backend, ['SideTagQuotaReleased'])).map(
      (e) => (e.data as { reason: string }).reason,
    );
    assert.deepEqual(released, ['cleanup-empty', 'cleanup-old', 'cleanup-inactive']);
  });

  test('released, the held one goes at the next cleanup', async () => {
    await api.ok('releaseSideTag', [st.held.name], judy.creds);
    const rows = await api.ok<CleanupRow[]>('cleanupSideTags', { ignore_tags: ['*-another'] }, A);
    assert.deepEqual(report(rows), [['empty', st.held.name, true]]);
  });
});

describe('setSideTagExpiry and the expired stage (koji-es, spec §8.2)', () => {
  test('the owner sets an expiry; once past it the cleanup removes the sidetag unless it is held; None clears it', async () => {
    const clock = new TestClock(Date.parse('2026-05-01T00:00:00Z'));
    const cfg = sidetagConfigDir({});
    const hub = await startTestHub({ configDir: cfg.dir, clock });
    try {
      const api = new RpcClient(hub.url);
      await api.ok('createTag', ['exp-base'], hub.admin);
      const judy = await api.user(hub.admin, 'judy');
      const bob = await api.user(hub.admin, 'bob');
      const make = () => api.ok<CreateResult>('createSideTag', ['exp-base'], judy.creds);
      const [a, b, c] = [await make(), await make(), await make()];
      assert.equal(await api.ok('setSideTagExpiry', [a.name, 2], judy.creds), null);
      await api.ok('setSideTagExpiry', [b.name, 2], judy.creds);
      await api.ok('holdSideTag', [b.name, 'bodhi update in testing'], judy.creds);
      await api.ok('setSideTagExpiry', [c.name, 1], judy.creds);
      await api.ok('setSideTagExpiry', [c.name, null], judy.creds);
      await api.fault(
        'setSideTagExpiry',
        [a.name, 1],
        bob.creds,
        'ActionNotAllowed',
        'This is not your sidetag',
      );
      const rows = await api.ok<(SidetagRow & { expires_ts: number | null })[]>('listSideTags', {
        user: 'judy',
        queryOpts: { extra: true },
      });
      const expiry = Object.fromEntries(rows.map((r) => [r.name, r.expires_ts]));
      assert.deepEqual(expiry, {
        [a.name]: Date.parse('2026-05-03T00:00:00Z') / 1000,
        [b.name]: Date.parse('2026-05-03T00:00:00Z') / 1000,
        [c.name]: null,
      });
      const only = { empty: false, old: false, inactive: false };
      assert.deepEqual(await api.ok<CleanupRow[]>('cleanupSideTags', { ...only, test: true }, hub.admin), []);
      clock.advance(3 * DAY_MS);
      const report = await api.ok<CleanupRow[]>('cleanupSideTags', only, hub.admin);
      assert.deepEqual(
        report.map((r) => [r.stage, r.name, r.removed, r.age]),
        [['expired', a.name, true, 86400]],
      );
      assert.equal(await api.ok('getTag', [a.name]), null);
      for (const kept of [b, c]) assert.ok(await api.ok('getTag', [kept.name]));
      const removed = (await readEvents(hub.hub.backend, ['SideTagRemoved'])).map(removedData);
      assert.deepEqual(
        removed.map((d) => [d.name, d.reason]),
        [[a.name, 'cleanup-expired']],
      );
      // expired=False leaves it to the other stages, as koji-sidetag-cleanup's own
      await api.ok('releaseSideTag', [b.name], judy.creds);
      assert.deepEqual(
        await api.ok('cleanupSideTags', { ...only, expired: false, test: true }, hub.admin),
        [],
      );
    } finally {
      await hub.close();
      cfg.cleanup();
    }
  });
});

describe("the hub's own cleanup schedule (cleanup_interval)", () => {
  let cfg: { dir: string; cleanup: () => void };
  let hub: TestHub;
  let api: RpcClient;
  let clock: TestClock;

  before(async () => {
    clock = new TestClock(Date.parse('2026-03-01T00:00:00Z'));
    cfg = sidetagConfigDir({
      sidetag: {
        cleanup_interval: '0.05',
        cleanup_stages: 'empty old',
        cleanup_empty_delay: '1',
        cleanup_old_delay: '30',
        cleanup_ignore_tags: '*-keep',
        allowed_suffixes: 'keep',
      },
    });
    hub = await startTestHub({ configDir: cfg.dir, clock });
    api = new RpcClient(hub.url);
    await api.ok('createTag', ['sched-base'], hub.admin);
  });

  after(async () => {
    await hub?.close();
    cfg?.cleanup();
  });

  test('removes empty sidetags once they are older than the delay; held and ignored ones stay', async () => {
    const A = hub.admin;
    const empty = await api.ok<CreateResult>('createSideTag', ['sched-base'], A);
    const held = await api.ok<CreateResult>('createSideTag', ['sched-base'], A);
    const ignored = await api.ok<CreateResult>('createSideTag', ['sched-base', false, 'keep'], A);
    await api.ok('holdSideTag', [held.name, 'in use'], A);
    // Young: the schedule runs but selects nothing.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(await api.ok('getTag', [empty.name]));
    clock.advance(2 * DAY_MS);
    await eventually('the scheduled cleanup', async () =>
      (await api.ok('getTag', [empty.name])) === null ? true : undefined,
    );
    const [d] = (await removals(hub)).get(empty.name)!.map(removedData);
    assert.deepEqual([d.reason, d.by], ['cleanup-empty', null], 'the hub itself, no user');
    assert.ok(await api.ok('getTag', [held.name]));
    assert.ok(await api.ok('getTag', [ignored.name]));
    // inactive is not among cleanup_stages; old needs 30 days.
    assert.deepEqual([...(await removals(hub)).keys()], [empty.name]);
  });
});

/** 50 parallel createSideTag calls by one user under a limit of 10: exactly 10 made, 40 refused. */
async function fiftyAgainstTen(clients: RpcClient[], creds: Creds[]): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      clients[i % clients.length].rpc<CreateResult>('createSideTag', ['race-base'], creds[i % creds.length]),
    ),
  );
  const made = replies.filter((r) => r.body.result).map((r) => r.body.result!.name);
  const refused = replies.filter((r) => r.body.error).map((r) => r.body.error!);
  assert.equal(made.length, 10, `made: ${made.length}; errors: ${JSON.stringify(refused.slice(0, 3))}`);
  assert.equal(new Set(made).size, 10);
  assert.equal(refused.length, 40);
  for (const e of refused) {
    assert.equal(e.data?.name, 'ActionNotAllowed', JSON.stringify(e));
    assert.equal(e.message, 'policy violation (sidetag)');
  }
  for (const c of clients) {
    const listed = await c.ok<SidetagRow[]>('listSideTags', { user: 'racer' });
    assert.deepEqual(listed.map((r) => r.name).sort(), [...made].sort());
  }
}

const LIMIT_10 = { sidetag: ['compare number_of_tags < 10 :: allow', 'all :: deny'] };

describe('the race-free per-user limit (DESIGN §5): 50 parallel createSideTag over HTTP, limit 10', () => {
  test('SQLite, one hub', async () => {
    const cfg = sidetagConfigDir({ policies: LIMIT_10 });
    const hub = await startTestHub({ configDir: cfg.dir });
    try {
      const api = new RpcClient(hub.url);
      await api.ok('createTag', ['race-base'], hub.admin);
      const racer = await api.user(hub.admin, 'racer');
      await fiftyAgainstTen([api], [racer.creds]);
      const taken = (await readEvents(hub.hub.backend, ['SideTagQuotaTaken'])).filter(
        (e) => e.stream === `sidetag-user-${racer.id}`,
      );
      assert.equal(taken.length, 10);
      assert.deepEqual(
        taken.map((e) => [e.streamVersion, (e.data as { count: number }).count]),
        Array.from({ length: 10 }, (_, i) => [i + 1, i + 1]),
      );
    } finally {
      await hub.close();
      cfg.cleanup();
    }
  });

  describe('PostgreSQL, two hub processes sharing the database', () => {
    let pg: TestPostgres;
    const procs: HubProcess[] = [];
    let cfg: { dir: string; cleanup: () => void };

    before(async () => {
      pg = await sharedPostgres();
      cfg = sidetagConfigDir({ policies: LIMIT_10 });
    });

    after(async () => {
      for (const p of procs) await p.kill('SIGTERM');
      cfg?.cleanup();
    });

    test('50 calls spread over both hubs leave exactly 10 sidetags and 40 ActionNotAllowed', async () => {
      const store = await pg.url();
      const password = 'two-hubs-admin-password';
      // The first one seeds the empty store; the second joins it.
      procs.push(await startHubProcess({ store, configDir: cfg.dir, adminPassword: password }));
      procs.push(await startHubProcess({ store, configDir: cfg.dir, adminPassword: password }));
      const [h1, h2] = procs.map((p) => p.client);
      const admin = await h1.login('admin', password);
      await h1.ok('createTag', ['race-base'], admin);
      const racer = await h1.user(admin, 'racer');
      const racer2 = await h2.login('racer', 'racer-password-123');
      try {
        await fiftyAgainstTen([h1, h2], [racer.creds, racer2]);
      } catch (e) {
        throw new Error(
          `${(e as Error).message}\n--- hub 1:\n${procs[0].stderr()}\n--- hub 2:\n${procs[1].stderr()}`,
          {
            cause: e,
          },
        );
      }
      assert.equal(await h2.ok('listSideTags', { user: 'racer', queryOpts: { countOnly: true } }), 10);
    });

    test('20 get-or-create calls with one label over both hubs make one sidetag, which every call returns', async () => {
      const [h1, h2] = procs.map((p) => p.client);
      const admin = await h1.login('admin', 'two-hubs-admin-password');
      const packit = await h1.user(admin, 'packit');
      const packit2 = await h2.login('packit', 'packit-password-123');
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? h2 : h1).ok<CreateResult & { created: boolean }>(
            'createSideTag',
            { basetag: 'race-base', label: 'pr-2554' },
            i % 2 ? packit2 : packit.creds,
          ),
        ),
      );
      assert.equal(new Set(replies.map((r) => r.id)).size, 1, JSON.stringify(replies));
      assert.equal(replies.filter((r) => r.created).length, 1);
      for (const c of [h1, h2])
        assert.deepEqual(
          (await c.ok<SidetagRow[]>('listSideTags', { user: 'packit' })).map((r) => r.id),
          [replies[0].id],
        );
    });
  });
});

describe('a quota per base tag: number_of_tags_on_basetag (koji-es, spec §7 T3, §8.2)', () => {
  test('at most 2 per base tag, 3 in all: each base counts its own, removals give back to their base', async () => {
    const cfg = sidetagConfigDir({
      policies: {
        sidetag: [
          'compare number_of_tags >= 3 :: deny you have 3 sidetags',
          'compare number_of_tags_on_basetag >= 2 :: deny you have 2 sidetags of this base tag',
          'all :: allow',
        ],
      },
    });
    const hub = await startTestHub({ configDir: cfg.dir });
    try {
      const api = new RpcClient(hub.url);
      const f40 = await api.ok<number>('createTag', ['f40-build'], hub.admin);
      const f41 = await api.ok<number>('createTag', ['f41-build'], hub.admin);
      const u = await api.user(hub.admin, 'quota-user');
      const make = (base: string) => api.ok<CreateResult>('createSideTag', [base], u.creds);
      const a1 = await make('f40-build');
      await make('f40-build');
      await api.fault(
        'createSideTag',
        ['f40-build'],
        u.creds,
        'ActionNotAllowed',
        'policy violation (sidetag): you have 2 sidetags of this base tag',
      );
      await make('f41-build');
      await api.fault(
        'createSideTag',
        ['f41-build'],
        u.creds,
        'ActionNotAllowed',
        'policy violation (sidetag): you have 3 sidetags',
      );
      await api.ok('removeSideTag', [a1.name], u.creds);
      await make('f40-build');
      // both counts ride on the quota stream's last event
      const quota = (await readEvents(hub.hub.backend)).filter((e) => e.stream === `sidetag-user-${u.id}`);
      assert.deepEqual(
        quota.map((e) => [e.type, (e.data as { perBasetag: unknown }).perBasetag]),
        [
          ['SideTagQuotaTaken', { [f40]: 1 }],
          ['SideTagQuotaTaken', { [f40]: 2 }],
          ['SideTagQuotaTaken', { [f40]: 2, [f41]: 1 }],
          ['SideTagQuotaReleased', { [f40]: 1, [f41]: 1 }],
          ['SideTagQuotaTaken', { [f40]: 2, [f41]: 1 }],
        ],
      );
    } finally {
      await hub.close();
      cfg.cleanup();
    }
  });
});

describe('transferSideTag (koji-es, spec §8.2): a sidetag given to another user', () => {
  let cfg: { dir: string; cleanup: () => void };
  let hub: TestHub;
  let api: RpcClient;
  let alice: User;
  let bob: User;
  let carol: User;
  let dave: User;
  type Labelled = CreateResult & { created?: boolean };
  const make = (who: User, label?: string) =>
    api.ok<Labelled>('createSideTag', { basetag: 'f40-build', ...(label ? { label } : {}) }, who.creds);
  const owner = async (name: string) =>
    (await api.ok<{ extra: Record<string, unknown> }>('getTag', [name])).extra;
  const count = async (u: User) => {
    const q = (await readEvents(hub.hub.backend)).filter((e) => e.stream === `sidetag-user-${u.id}`);
    return q.length ? (q[q.length - 1].data as { count: number }).count : 0;
  };

  before(async () => {
    cfg = sidetagConfigDir({
      policies: { sidetag: ['compare number_of_tags >= 2 :: deny you have 2 sidetags', 'all :: allow'] },
    });
    hub = await startTestHub({ configDir: cfg.dir });
    api = new RpcClient(hub.url);
    await api.ok('createTag', ['f40-build'], hub.admin);
    alice = await api.user(hub.admin, 'alice');
    bob = await api.user(hub.admin, 'bob');
    carol = await api.user(hub.admin, 'carol');
    dave = await api.user(hub.admin, 'dave');
  });
  after(async () => {
    await hub?.close();
    cfg?.cleanup();
  });

  test('the quota and the label move with it; the new owner is judged by the sidetag policy; the old one loses it', async () => {
    const s1 = await make(alice, 'gate');
    await make(bob);
    await make(bob);
    // bob has 2: he could not have created it, so he cannot be given it
    await api.fault(
      'transferSideTag',
      [s1.name, 'bob'],
      alice.creds,
      'ActionNotAllowed',
      'policy violation (sidetag): you have 2 sidetags',
    );
    assert.equal((await owner(s1.name)).sidetag_user, 'alice', 'a refused transfer changes nothing');
    assert.equal(await api.ok('transferSideTag', [s1.name, 'carol'], alice.creds), null);
    const extra = await owner(s1.name);
    assert.equal(extra.sidetag_user, 'carol');
    assert.equal(extra.sidetag_user_id, carol.id);
    assert.deepEqual(
      (await api.ok<SidetagRow[]>('listSideTags', { user: 'carol' })).map((r) => r.id),
      [s1.id],
    );
    assert.deepEqual([await count(alice), await count(carol)], [0, 1]);
    // the label is carol's now: her get finds it, alice's makes a new one
    const got = await make(carol, 'gate');
    assert.deepEqual([got.id, got.created], [s1.id, false]);
    const fresh = await make(alice, 'gate');
    assert.equal(fresh.created, true);
    // alice no longer owns it; carol does
    await api.fault('removeSideTag', [s1.name], alice.creds, 'ActionNotAllowed', 'This is not your sidetag');
    await api.fault(
      'transferSideTag',
      [s1.name, 'alice'],
      bob.creds,
      'ActionNotAllowed',
      'This is not your sidetag',
    );
    // carol holds "gate" already: alice's new "gate" cannot go to her
    await api.fault(
      'transferSideTag',
      [fresh.name, 'carol'],
      alice.creds,
      'GenericError',
      `carol has a sidetag labelled gate on f40-build already (${s1.name}): remove or transfer one of them first`,
    );
    assert.equal((await owner(fresh.name)).sidetag_user, 'alice');
    await api.fault(
      'transferSideTag',
      [s1.name, 'carol'],
      carol.creds,
      'GenericError',
      `carol owns ${s1.name} already`,
    );
  });

  test('a co-owner who receives it is its owner and no longer a co-owner; removing it gives the quota back to the new owner', async () => {
    const s = await make(dave);
    await api.ok('addSideTagOwner', [s.name, 'alice'], dave.creds);
    await api.ok('transferSideTag', [s.name, 'alice'], hub.admin);
    const extra = await owner(s.name);
    assert.equal(extra.sidetag_user, 'alice');
    assert.equal(extra.sidetag_co_owners, undefined);
    const before = await count(alice);
    await api.ok('removeSideTag', [s.name], alice.creds);
    assert.equal(await count(alice), before - 1);
    assert.equal(await count(dave), 0);
    const log = (await readEvents(hub.hub.backend, ['SideTagTransferred'])).map((e) => e.data);
    assert.deepEqual(log[log.length - 1], {
      id: s.id,
      name: s.name,
      from: { id: dave.id, name: 'dave' },
      to: { id: alice.id, name: 'alice' },
      by: { id: (await api.ok<{ id: number }>('getUser', ['admin'])).id, name: 'admin' },
    });
  });
});

describe("labelled sidetags (koji-es, spec §8.2): get-or-create by the owner's key", () => {
  let cfg: { dir: string; cleanup: () => void };
  let hub: TestHub;
  let api: RpcClient;
  let packit: User;
  let bob: User;
  let f40: number;
  let f41: number;
  type Labelled = CreateResult & { created?: boolean; label?: string };
  const create = (who: User, params: Record<string, unknown>) =>
    api.ok<Labelled>('createSideTag', params, who.creds);

  before(async () => {
    cfg = sidetagConfigDir({ sidetag: { remove_empty: 'true' } });
    hub = await startTestHub({ configDir: cfg.dir });
    api = new RpcClient(hub.url);
    f40 = await api.ok<number>('createTag', ['f40-build', null, 'x86_64'], hub.admin);
    f41 = await api.ok<number>('createTag', ['f41-build', null, 'x86_64'], hub.admin);
    packit = await api.user(hub.admin, 'packit');
    bob = await api.user(hub.admin, 'bob');
  });
  after(async () => {
    await hub?.close();
    cfg?.cleanup();
  });

  test('the first call creates it, the next ones return it and append nothing; other bases, owners and calls without a label are others', async () => {
    const first = await create(packit, { basetag: 'f40-build', label: 'pr-7' });
    assert.equal(first.created, true);
    assert.equal(first.label, 'pr-7');
    assert.equal(first.name, `f40-build-side-${first.id}`);
    const head = (await readEvents(hub.hub.backend)).length;
    const again = await create(packit, { basetag: 'f40-build', label: 'pr-7', debuginfo: true });
    assert.deepEqual(again, {
      name: first.name,
      id: first.id,
      task_id: null,
      request: null,
      created: false,
      label: 'pr-7',
    });
    assert.equal((await readEvents(hub.hub.backend)).length, head, 'a get appends nothing');
    const otherBase = await create(packit, { basetag: 'f41-build', label: 'pr-7' });
    const otherOwner = await create(bob, { basetag: 'f40-build', label: 'pr-7' });
    const plain = await create(packit, { basetag: 'f40-build' });
    assert.equal(new Set([first.id, otherBase.id, otherOwner.id, plain.id]).size, 4);
    assert.equal('created' in plain, false, "without a label the reply is Koji's");
    // listSideTags by label (with the owner); the verbose rows carry it
    const rows = await api.ok<(SidetagRow & { label: string | null })[]>('listSideTags', {
      user: 'packit',
      label: 'pr-7',
      queryOpts: { extra: true },
    });
    assert.deepEqual(
      rows.map((r) => [r.id, r.label]),
      [
        [first.id, 'pr-7'],
        [otherBase.id, 'pr-7'],
      ],
    );
    const claimed = (await readEvents(hub.hub.backend, ['SideTagLabelClaimed'])).map((e) => e.stream);
    assert.deepEqual(claimed, [
      `sidetag-label-${packit.id}-${f40}-pr-7`,
      `sidetag-label-${packit.id}-${f41}-pr-7`,
      `sidetag-label-${bob.id}-${f40}-pr-7`,
    ]);
  });

  test('removing the sidetag (by request or when emptied) frees its label for a new one', async () => {
    const a = await create(packit, { basetag: 'f40-build', label: 'gate' });
    await api.ok('removeSideTag', [a.name], packit.creds);
    const b = await create(packit, { basetag: 'f40-build', label: 'gate' });
    assert.equal(b.created, true);
    assert.notEqual(b.id, a.id);
    // remove_empty: the last untag removes it, and the label goes with it
    await api.ok('createEmptyBuild', ['lbl', '1', '1', null], hub.admin);
    await api.ok('tagBuildBypass', [b.name, 'lbl-1-1'], hub.admin);
    await api.ok('untagBuild', [b.name, 'lbl-1-1'], packit.creds);
    assert.equal(await api.ok('getTag', [b.name]), null);
    const c = await create(packit, { basetag: 'f40-build', label: 'gate' });
    assert.equal(c.created, true);
    assert.ok(c.id > b.id);
    const released = await readEvents(hub.hub.backend, ['SideTagLabelReleased']);
    assert.deepEqual(
      released
        .map((e) => (e.data as { sidetag: { id: number } }).sidetag.id)
        .filter((id) => id === a.id || id === b.id),
      [a.id, b.id],
    );
  });

  test('a bad label is a GenericError that says what a label is; nothing is made', async () => {
    const before = (await api.ok<SidetagRow[]>('listSideTags', { user: 'bob' })).length;
    for (const bad of ['', 'two words', '-dash', 7]) {
      const e = await api.fault(
        'createSideTag',
        { basetag: 'f40-build', label: bad },
        bob.creds,
        'GenericError',
      );
      assert.ok(
        e.message.startsWith(`Invalid sidetag label ${JSON.stringify(bad)}: 1 to 64 letters`),
        e.message,
      );
    }
    assert.equal((await api.ok<SidetagRow[]>('listSideTags', { user: 'bob' })).length, before);
  });

  test("basetag None and a target: the base is the target's build tag, and follows the target when it moves", async () => {
    await api.ok('createTag', ['f42-build', null, 'x86_64'], hub.admin);
    await api.ok('createBuildTarget', ['rawhide', 'f41-build', 'f41-build'], hub.admin);
    const a = await create(packit, { basetag: null, target: 'rawhide' });
    assert.equal(a.name, `f41-build-side-${a.id}`);
    // branching: rawhide now builds in f42-build
    await api.ok('editBuildTarget', ['rawhide', 'rawhide', 'f42-build', 'f42-build'], hub.admin);
    const b = await create(packit, { basetag: null, target: 'rawhide' });
    assert.equal(b.name, `f42-build-side-${b.id}`);
    await api.fault(
      'createSideTag',
      { basetag: 'f40-build', target: 'rawhide' },
      packit.creds,
      'GenericError',
      'give a base tag or a target to take the build tag of, not both',
    );
    await api.fault(
      'createSideTag',
      { basetag: null, target: 'nope' },
      packit.creds,
      'GenericError',
      'No such build target: nope',
    );
  });

  test('in one hub, 10 parallel calls with one label make one sidetag', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => create(bob, { basetag: 'f41-build', label: 'burst' })),
    );
    assert.equal(new Set(replies.map((r) => r.id)).size, 1);
    assert.equal(replies.filter((r) => r.created).length, 1);
  });
});
