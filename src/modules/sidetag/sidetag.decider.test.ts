// Given/when/then for every rule of the sidetag decider (spec §2.1–§2.6, §6.1 items 1–23): the suffix
// allow-list, the name template, the extra of a new sidetag, ownership, the target checks of
// _remove_sidetag, editSideTag's checks in Koji's order with Koji's words, holds and the quota fold.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Decider, DomainEvent } from '../../kernel/decider.js';
import { KojiError } from '../../kernel/errors.js';
import { given } from '../../kernel/given-when-then.js';
import {
  assertMayHold,
  assertOwnSidetag,
  checkLabel,
  checkSuffix,
  checkTarget,
  coOwners,
  decideCoOwner,
  decideEdit,
  decideTransfer,
  evolveLabel,
  evolveQuota,
  evolveSideTag,
  initialLabel,
  initialQuota,
  initialSideTag,
  isOwner,
  isSidetag,
  labelStream,
  movePerBasetag,
  numberOfTags,
  perBasetag,
  sidetagExtra,
  sidetagName,
  validMacroName,
  type EditInput,
  type LabelState,
  type QuotaState,
  type SideTagState,
  type TagFacts,
} from './sidetag.decider.js';
import type { LabelEvent, QuotaEvent, SideTagEvent } from './sidetag.events.js';

type User = { id: number; perms: string[] };
const owner: User = { id: 23, perms: [] };
const stranger: User = { id: 2, perms: [] };
const admin: User = { id: 1, perms: ['admin'] };
const sidetagAdmin: User = { id: 5, perms: ['sidetag_admin'] };

const sidetag: TagFacts = {
  id: 96,
  name: 'base_tag-side-96',
  extra: { sidetag: true, sidetag_user: 'username', sidetag_user_id: 23 },
};
const plainTag: TagFacts = { id: 32, name: 'base_tag', extra: {} };
const parentWith = (extra: Record<string, unknown>): TagFacts => ({ id: 999, name: 'tag', extra });

/**
 * The rules are pure functions, so each is wrapped as a decider whose one event is the decision; the
 * kernel's given/when/then then reads as Koji's unit tests do.
 */
type Decided<T> = DomainEvent<'Decided', T>;
function rule<C, T>(fn: (c: C) => T): Decider<C, null, Decided<T>> {
  return {
    initialState: null,
    decide: (c) => [{ type: 'Decided', data: fn(c) }],
    evolve: (s) => s,
  };
}
const decided = <T>(data: T): Decided<T>[] => [{ type: 'Decided', data }];

const editRule = rule((c: Partial<EditInput>) =>
  decideEdit({
    sidetag,
    parent: parentWith({}),
    user: owner,
    debuginfo: null,
    rpmMacros: null,
    removeRpmMacros: null,
    extra: null,
    removeExtra: null,
    ...c,
  }),
);
const whenEdit = (c: Partial<EditInput>) => given(editRule).when(c);

const MACROS_1_2 = parentWith({
  sidetag_debuginfo_allowed: true,
  sidetag_rpm_macros_allowed: ['macro_1_name', 'macro_2_name'],
});

describe('createSideTag rules', () => {
  const suffix = rule((c: { suffix: string | null | undefined; allowed: string[] }) =>
    checkSuffix(c.suffix, c.allowed),
  );

  test('a suffix not in the allow-list: "<suffix> suffix is not allowed for sidetag" (§6.1 item 3)', () => {
    given(suffix)
      .when({ suffix: 'forbidden_suffix', allowed: ['suffix', 'another'] })
      .thenFails('GenericError', 'forbidden_suffix suffix is not allowed for sidetag');
    given(suffix)
      .when({ suffix: 'anything', allowed: [] })
      .thenFails('GenericError', 'anything suffix is not allowed for sidetag');
  });

  test('an allowed suffix, no suffix, or an empty one pass', () => {
    for (const s of ['suffix', 'another', null, undefined, ''])
      given(suffix)
        .when({ suffix: s, allowed: ['suffix', 'another'] })
        .then(decided(undefined));
  });

  test('the name: the template with the base tag and the id really assigned, then -<suffix>', () => {
    const name = rule((c: { template: string; base: string; id: number; suffix: string | null }) =>
      sidetagName(c.template, c.base, c.id, c.suffix),
    );
    given(name)
      .when({ template: '{basetag}-side-{tag_id}', base: 'base_tag', id: 12346, suffix: null })
      .then(decided('base_tag-side-12346'));
    // §6.1 item 2: template {basetag}-sidetag-{tag_id} and suffix "suffix".
    given(name)
      .when({ template: '{basetag}-sidetag-{tag_id}', base: 'base_tag', id: 12346, suffix: 'suffix' })
      .then(decided('base_tag-sidetag-12346-suffix'));
    // Both placeholders may appear more than once and in any order.
    given(name)
      .when({ template: '{tag_id}.{basetag}.{tag_id}', base: 'f40-build', id: 7, suffix: 'private' })
      .then(decided('7.f40-build.7-private'));
  });

  test('the extra: sidetag, sidetag_user and sidetag_user_id; with_debuginfo only when asked (§6.1 item 1)', () => {
    const extra = rule((c: { debuginfo: boolean }) =>
      sidetagExtra({ id: 23, name: 'username' }, c.debuginfo),
    );
    given(extra)
      .when({ debuginfo: false })
      .then(decided({ sidetag: true, sidetag_user: 'username', sidetag_user_id: 23 }));
    given(extra)
      .when({ debuginfo: true })
      .then(decided({ sidetag: true, sidetag_user: 'username', sidetag_user_id: 23, with_debuginfo: true }));
  });
});

describe('what a sidetag is, and who owns it (§2.1)', () => {
  test('"is sidetag" is only a truthy own extra `sidetag`: an admin-marked tag counts', () => {
    assert.equal(isSidetag(sidetag), true);
    assert.equal(isSidetag(plainTag), false);
    assert.equal(isSidetag({ ...plainTag, extra: { sidetag: true } }), true);
    assert.equal(isSidetag({ ...plainTag, extra: { sidetag: 1 } }), true);
    for (const v of [false, 0, '', null, [], {}])
      assert.equal(isSidetag({ ...plainTag, extra: { sidetag: v } }), false, JSON.stringify(v));
  });

  test('the owner is sidetag_user_id (number or text); admin owns every sidetag; sidetag_admin does not', () => {
    assert.equal(isOwner(sidetag, owner), true);
    assert.equal(isOwner({ ...sidetag, extra: { ...sidetag.extra, sidetag_user_id: '23' } }, owner), true);
    assert.equal(isOwner(sidetag, stranger), false);
    assert.equal(isOwner(sidetag, admin), true);
    assert.equal(isOwner(sidetag, sidetagAdmin), false);
    // Not a sidetag: nobody owns it, not even an admin.
    assert.equal(isOwner(plainTag, admin), false);
  });

  const own = rule((c: { tag: TagFacts; user: User }) => assertOwnSidetag(c.tag, c.user));

  test('not a sidetag: "Not a sidetag: <name>", before the owner check (§6.1 item 5)', () => {
    given(own).when({ tag: plainTag, user: stranger }).thenFails('GenericError', 'Not a sidetag: base_tag');
    given(own).when({ tag: plainTag, user: admin }).thenFails('GenericError', 'Not a sidetag: base_tag');
  });

  test('somebody else\'s sidetag: ActionNotAllowed "This is not your sidetag" (§6.1 item 6)', () => {
    given(own)
      .when({ tag: sidetag, user: stranger })
      .thenFails('ActionNotAllowed', 'This is not your sidetag');
    // sidetag_admin alone does not make a user the owner (Koji checks the owner first, T8).
    given(own)
      .when({ tag: sidetag, user: sidetagAdmin })
      .thenFails('ActionNotAllowed', 'This is not your sidetag');
  });

  test('the owner and an admin pass', () => {
    given(own).when({ tag: sidetag, user: owner }).then(decided(undefined));
    given(own).when({ tag: sidetag, user: admin }).then(decided(undefined));
  });
});

describe("_remove_sidetag's target checks (§6.1 items 7–9)", () => {
  const target = rule((t: { build_tag: number; dest_tag: number } | null) => checkTarget(sidetag, t));

  test('no target of the same name: "Target is missing for sidetag"', () => {
    given(target).when(null).thenFails('GenericError', 'Target is missing for sidetag');
  });

  test('a target whose build or destination tag is another tag: "Target does not match sidetag"', () => {
    for (const t of [
      { build_tag: 85, dest_tag: 85 },
      { build_tag: 96, dest_tag: 85 },
      { build_tag: 85, dest_tag: 96 },
    ])
      given(target).when(t).thenFails('GenericError', 'Target does not match sidetag');
  });

  test('build tag = dest tag = the sidetag: removable', () => {
    given(target).when({ build_tag: 96, dest_tag: 96 }).then(decided(undefined));
  });
});

describe("editSideTag's rules, in Koji's order and words (§2.6, §6.1 items 14–23)", () => {
  test('item 14: debuginfo with a parent that does not allow it', () => {
    whenEdit({ debuginfo: true }).thenFails(
      'GenericError',
      'Debuginfo setting is not allowed in parent tag.',
    );
    // False is a setting too: only None skips the check.
    whenEdit({ debuginfo: false }).thenFails(
      'GenericError',
      'Debuginfo setting is not allowed in parent tag.',
    );
    whenEdit({ debuginfo: true, parent: parentWith({ sidetag_debuginfo_allowed: false }) }).thenFails(
      'GenericError',
      'Debuginfo setting is not allowed in parent tag.',
    );
  });

  test('item 15: rpm macros with a parent that has no allow-list', () => {
    whenEdit({ rpmMacros: { macro_1_name: 'macro_1_value' } }).thenFails(
      'GenericError',
      'RPM macros change is not allowed in parent tag.',
    );
    whenEdit({ removeRpmMacros: ['macro_1_name'] }).thenFails(
      'GenericError',
      'RPM macros change is not allowed in parent tag.',
    );
  });

  test('item 16: debuginfo, a macro set and a macro removed, all allowed → what _edit_tag gets', () => {
    whenEdit({
      parent: MACROS_1_2,
      debuginfo: true,
      rpmMacros: { macro_1_name: 'macro_1_value' },
      removeRpmMacros: ['macro_2_name'],
    }).then(
      decided({
        extra: { with_debuginfo: true, 'rpm.macro.macro_1_name': 'macro_1_value' },
        removeExtra: ['rpm.macro.macro_2_name'],
      }),
    );
  });

  test('item 17: removing a macro the allow-list does not name', () => {
    whenEdit({ parent: MACROS_1_2, removeRpmMacros: ['macro_2_name2'] }).thenFails(
      'GenericError',
      'RPM macro macro_2_name2 editing is not allowed via parent tag',
    );
  });

  test('item 18: an invalid macro name is refused before the allow-list is consulted', () => {
    const parent = parentWith({ sidetag_rpm_macros_allowed: ['#macro_1_name'] });
    whenEdit({ parent, rpmMacros: { '#macro_1_name': 'v' } }).thenFails(
      'GenericError',
      "Invalid macro name '#macro_1_name'",
    );
    // Even a name the allow-list does not match at all gets the name error first.
    whenEdit({ parent: MACROS_1_2, rpmMacros: { '9lives': 'v' } }).thenFails(
      'GenericError',
      "Invalid macro name '9lives'",
    );
  });

  test('item 19: a string allow-list is split on whitespace; matching is exact unless globbed', () => {
    const parent = parentWith({ sidetag_rpm_macros_allowed: 'macro_1_name  macro_2_name\n' });
    whenEdit({ parent, rpmMacros: { macro_1_name1: 'v' } }).thenFails(
      'GenericError',
      'RPM macro macro_1_name1 editing is not allowed via parent tag',
    );
    whenEdit({ parent, rpmMacros: { macro_2_name: 'v' } }).then(
      decided({ extra: { 'rpm.macro.macro_2_name': 'v' }, removeExtra: [] }),
    );
  });

  test('item 20: an allow-list of None is no allow-list', () => {
    whenEdit({
      parent: parentWith({ sidetag_rpm_macros_allowed: null }),
      rpmMacros: { macro_1_name: 'v' },
    }).thenFails('GenericError', 'RPM macros change is not allowed in parent tag.');
    whenEdit({
      parent: parentWith({ sidetag_rpm_macros_allowed: [] }),
      rpmMacros: { macro_1_name: 'v' },
    }).thenFails('GenericError', 'RPM macros change is not allowed in parent tag.');
  });

  test('item 21: an allow-list of another type: "rpm_macros_allowed in <parent> has invalid type: <class \'dict\'>"', () => {
    whenEdit({
      parent: parentWith({ sidetag_rpm_macros_allowed: { name: 'test' } }),
      rpmMacros: { macro_1_name: 'v' },
    }).thenFails('GenericError', "rpm_macros_allowed in tag has invalid type: <class 'dict'>");
    whenEdit({
      parent: parentWith({ sidetag_rpm_macros_allowed: 5 }),
      rpmMacros: { macro_1_name: 'v' },
    }).thenFails('GenericError', "rpm_macros_allowed in tag has invalid type: <class 'int'>");
  });

  test('item 22: a list with an element that is not a string, in its Python repr', () => {
    whenEdit({
      parent: parentWith({ sidetag_rpm_macros_allowed: [1, 2, 3] }),
      rpmMacros: { macro_1_name: 'v' },
    }).thenFails('GenericError', 'Allowed rpm macro list [1, 2, 3] is invalid for tag.');
    whenEdit({
      parent: parentWith({ sidetag_rpm_macros_allowed: ['a', 1] }),
      removeRpmMacros: ['a'],
    }).thenFails('GenericError', "Allowed rpm macro list ['a', 1] is invalid for tag.");
  });

  test('item 23: the owner without sidetag_admin or admin may not touch extra or remove_extra', () => {
    const message = 'Extra can be modified only with sidetag_admin or admin permissions.';
    whenEdit({ extra: { foo: 'bar' } }).thenFails('GenericError', message);
    whenEdit({ removeExtra: ['foo'] }).thenFails('GenericError', message);
    // An empty dict is "not None" too.
    whenEdit({ extra: {} }).thenFails('GenericError', message);
    // The check runs before the parent is looked at.
    whenEdit({ extra: { foo: 'bar' }, parent: null }).thenFails('GenericError', message);
  });

  test('no extra key that makes the sidetag or its owners: each has its method (koji-es, §7 T8)', () => {
    whenEdit({ user: admin, extra: { sidetag_user_id: 99 } }).thenFails(
      'GenericError',
      'sidetag_user_id is not edited through extra: transferSideTag gives a sidetag to another owner',
    );
    whenEdit({ user: admin, extra: { sidetag_user: 'x' } }).thenFails('GenericError', /^sidetag_user is not/);
    whenEdit({ user: admin, removeExtra: ['sidetag'] }).thenFails(
      'GenericError',
      'sidetag is not edited through extra: removeSideTag ends a sidetag',
    );
    whenEdit({ user: admin, extra: { sidetag_co_owners: [1] } }).thenFails(
      'GenericError',
      'sidetag_co_owners is not edited through extra: use addSideTagOwner and removeSideTagOwner',
    );
  });

  test('sidetag_admin on its own sidetag, and admin on any, may set and remove extra', () => {
    const mine = { ...sidetag, extra: { ...sidetag.extra, sidetag_user_id: sidetagAdmin.id } };
    whenEdit({ sidetag: mine, user: sidetagAdmin, extra: { foo: 'bar' }, removeExtra: ['baz'] }).then(
      decided({ extra: { foo: 'bar' }, removeExtra: ['baz'] }),
    );
    whenEdit({ user: admin, extra: { foo: 1 } }).then(decided({ extra: { foo: 1 }, removeExtra: [] }));
  });

  test("ownership comes first: sidetag_admin cannot edit somebody else's sidetag", () => {
    whenEdit({ user: sidetagAdmin, extra: { foo: 'bar' } }).thenFails(
      'ActionNotAllowed',
      'This is not your sidetag',
    );
    whenEdit({ user: stranger, debuginfo: true }).thenFails('ActionNotAllowed', 'This is not your sidetag');
    whenEdit({ sidetag: plainTag, user: admin, debuginfo: true }).thenFails(
      'GenericError',
      'Not a sidetag: base_tag',
    );
  });

  test('the debuginfo check comes before the rpm macro checks', () => {
    whenEdit({
      parent: parentWith({ sidetag_rpm_macros_allowed: { bad: 1 } }),
      debuginfo: true,
      rpmMacros: { macro_1_name: 'v' },
    }).thenFails('GenericError', 'Debuginfo setting is not allowed in parent tag.');
  });

  test('debuginfo overrides an admin-supplied with_debuginfo, as bool', () => {
    whenEdit({
      user: admin,
      parent: MACROS_1_2,
      debuginfo: false,
      extra: { with_debuginfo: true, other: 'x' },
    }).then(decided({ extra: { with_debuginfo: false, other: 'x' }, removeExtra: [] }));
  });

  test('the macro-name rule: longer than one character, first a letter or _, nothing else checked', () => {
    for (const ok of ['ab', '_x', 'A1', 'a b', 'a%{x}', 'x\n', '__'])
      assert.equal(validMacroName(ok), true, JSON.stringify(ok));
    for (const bad of ['', 'a', '_', '1ab', '#macro', '%x', ' ab', '{x}'])
      assert.equal(validMacroName(bad), false, JSON.stringify(bad));
    const anything = parentWith({ sidetag_rpm_macros_allowed: ['*'] });
    whenEdit({ parent: anything, rpmMacros: { a: 'v' } }).thenFails('GenericError', "Invalid macro name 'a'");
    whenEdit({ parent: anything, rpmMacros: { 'a b': 'v' } }).then(
      decided({ extra: { 'rpm.macro.a b': 'v' }, removeExtra: [] }),
    );
  });

  test('macros are checked in insertion order; the first failure is reported', () => {
    whenEdit({
      parent: MACROS_1_2,
      rpmMacros: { macro_1_name: 'ok', not_allowed: 'x', '#bad': 'y' },
    }).thenFails('GenericError', 'RPM macro not_allowed editing is not allowed via parent tag');
  });

  test('removal names are not name-checked, only matched against the allow-list', () => {
    whenEdit({ parent: parentWith({ sidetag_rpm_macros_allowed: ['*'] }), removeRpmMacros: ['#x'] }).then(
      decided({ extra: {}, removeExtra: ['rpm.macro.#x'] }),
    );
  });

  test('globs in the allow-list match fnmatch-style and case-sensitively', () => {
    const parent = parentWith({ sidetag_rpm_macros_allowed: ['dist*', 'py?_ver'] });
    whenEdit({ parent, rpmMacros: { dist_suffix: '.x', py3_ver: 3 } }).then(
      decided({ extra: { 'rpm.macro.dist_suffix': '.x', 'rpm.macro.py3_ver': 3 }, removeExtra: [] }),
    );
    whenEdit({ parent, rpmMacros: { DIST: 'x' } }).thenFails(
      'GenericError',
      'RPM macro DIST editing is not allowed via parent tag',
    );
  });

  test('macro values are any JSON and go through unvalidated', () => {
    const parent = parentWith({ sidetag_rpm_macros_allowed: ['*'] });
    whenEdit({ parent, rpmMacros: { n_none: null, n_list: [1, 'a'], n_obj: { a: 1 }, n_bool: false } }).then(
      decided({
        extra: {
          'rpm.macro.n_none': null,
          'rpm.macro.n_list': [1, 'a'],
          'rpm.macro.n_obj': { a: 1 },
          'rpm.macro.n_bool': false,
        },
        removeExtra: [],
      }),
    );
  });

  test('remove_rpm_macros replaces any remove_extra the caller gave', () => {
    whenEdit({
      user: admin,
      parent: MACROS_1_2,
      removeExtra: ['keep_me_out', 'other'],
      removeRpmMacros: ['macro_2_name'],
    }).then(decided({ extra: {}, removeExtra: ['rpm.macro.macro_2_name'] }));
    // Without remove_rpm_macros the caller's remove_extra stays.
    whenEdit({ user: admin, parent: MACROS_1_2, removeExtra: ['other'] }).then(
      decided({ extra: {}, removeExtra: ['other'] }),
    );
  });

  test('rpm_macros must be a dict and remove_rpm_macros a list (ParameterError in Python words)', () => {
    whenEdit({ parent: MACROS_1_2, rpmMacros: 'macro_1_name' }).thenFails(
      'ParameterError',
      "Invalid type for value 'macro_1_name': <class 'str'>, expected type <class 'dict'>",
    );
    whenEdit({ parent: MACROS_1_2, rpmMacros: ['macro_1_name'] }).thenFails(
      'ParameterError',
      "Invalid type for value '['macro_1_name']': <class 'list'>, expected type <class 'dict'>",
    );
    whenEdit({ parent: MACROS_1_2, removeRpmMacros: 'macro_1_name' }).thenFails(
      'ParameterError',
      "Invalid type for value 'macro_1_name': <class 'str'>, expected type <class 'list'>",
    );
    whenEdit({ parent: MACROS_1_2, removeRpmMacros: { macro_1_name: 1 } }).thenFails(
      'ParameterError',
      "Invalid type for value '{'macro_1_name': 1}': <class 'dict'>, expected type <class 'list'>",
    );
  });

  test('extra must be a dict: a string or list is refused, not spread into a key per character', () => {
    whenEdit({ user: admin, extra: '{"a": 1}' }).thenFails(
      'ParameterError',
      "Invalid type for value '{\"a\": 1}': <class 'str'>, expected type <class 'dict'>",
    );
    whenEdit({ user: admin, extra: [1, 2] }).thenFails(
      'ParameterError',
      "Invalid type for value '[1, 2]': <class 'list'>, expected type <class 'dict'>",
    );
    // The permission is checked first, as before.
    whenEdit({ extra: 'abc' }).thenFails(
      'GenericError',
      'Extra can be modified only with sidetag_admin or admin permissions.',
    );
    whenEdit({ user: admin, extra: { a: 1 } }).then(decided({ extra: { a: 1 }, removeExtra: [] }));
  });

  test('empty rpm_macros and remove_rpm_macros are falsy: no allow-list needed, nothing changes', () => {
    whenEdit({ rpmMacros: {}, removeRpmMacros: [] }).then(decided({ extra: {}, removeExtra: [] }));
  });

  test('a sidetag without a parent is a GenericError, not a crash (Koji: IndexError)', () => {
    whenEdit({ parent: null, debuginfo: true }).thenFails(
      'GenericError',
      'Sidetag base_tag-side-96 has no parent tag',
    );
  });

  test('nothing asked, nothing changed', () => {
    whenEdit({}).then(decided({ extra: {}, removeExtra: [] }));
  });
});

describe('holds (koji-es): owner, sidetag_admin or admin', () => {
  const hold = rule((c: { tag: TagFacts; user: User }) => assertMayHold(c.tag, c.user));

  test("the owner, sidetag_admin (on anybody's) and admin may hold and release", () => {
    for (const user of [owner, sidetagAdmin, admin])
      given(hold).when({ tag: sidetag, user }).then(decided(undefined));
  });

  test('anybody else may not; a tag that is not a sidetag cannot be held', () => {
    given(hold)
      .when({ tag: sidetag, user: stranger })
      .thenFails('ActionNotAllowed', 'This is not your sidetag');
    given(hold).when({ tag: plainTag, user: admin }).thenFails('GenericError', 'Not a sidetag: base_tag');
  });

  const sidetagStream: Decider<null, SideTagState, SideTagEvent> = {
    initialState: initialSideTag,
    decide: () => [],
    evolve: evolveSideTag,
  };
  const by = { id: 23, name: 'username' };
  const T = '2026-01-01T00:00:00.000Z';
  const created: SideTagEvent = {
    type: 'SideTagCreated',
    data: {
      id: 96,
      name: 'st',
      user: by,
      basetag: { id: 32, name: 'base_tag' },
      debuginfo: false,
      suffix: null,
      time: T,
    },
  };
  const held: SideTagEvent = {
    type: 'SideTagHeld',
    data: { id: 96, name: 'st', by, reason: 'bodhi update', time: T },
  };

  test('the sidetag stream folds holds: held, released, and a removal ends the hold', () => {
    assert.deepEqual(given(sidetagStream, [created]).state(), {
      exists: true,
      removed: false,
      hold: null,
      quotaUser: by,
      label: null,
      basetag: { id: 32, name: 'base_tag' },
      expires: null,
    });
    assert.deepEqual(given(sidetagStream, [created, held]).state().hold, {
      reason: 'bodhi update',
      by: 'username',
      time: T,
    });
    const released: SideTagEvent = { type: 'SideTagReleased', data: { id: 96, name: 'st', by, time: T } };
    assert.equal(given(sidetagStream, [created, held, released]).state().hold, null);
    const edited: SideTagEvent = {
      type: 'SideTagEdited',
      data: { id: 96, name: 'st', by, extraSet: { a: 1 }, extraRemoved: [] },
    };
    assert.deepEqual(given(sidetagStream, [created, held, edited]).state().hold?.reason, 'bodhi update');
    const removed: SideTagEvent = {
      type: 'SideTagRemoved',
      data: { id: 96, name: 'st', owner: by, reason: 'requested', by, time: T },
    };
    assert.deepEqual(given(sidetagStream, [created, held, removed]).state(), {
      exists: true,
      removed: true,
      hold: null,
      quotaUser: by,
      label: null,
      basetag: { id: 32, name: 'base_tag' },
      expires: null,
    });
    const expiry: SideTagEvent = {
      type: 'SideTagExpirySet',
      data: { id: 96, name: 'st', expires: '2026-12-01T00:00:00.000Z', by },
    };
    assert.equal(given(sidetagStream, [created, expiry]).state().expires, '2026-12-01T00:00:00.000Z');
    // No SideTagCreated (a tag an admin marked): nobody's quota was taken.
    assert.deepEqual(given(sidetagStream, [held]).state().quotaUser, null);
  });
});

describe("the user's quota stream: number_of_tags folded at the append's version (DESIGN §5)", () => {
  const quota: Decider<null, QuotaState, QuotaEvent> = {
    initialState: initialQuota,
    decide: () => [],
    evolve: evolveQuota,
  };
  const taken = (id: number): QuotaEvent => ({
    type: 'SideTagQuotaTaken',
    data: { userId: 23, sidetag: { id, name: `b-side-${id}` } },
  });
  const released = (id: number, reason: 'requested' | 'empty' = 'requested'): QuotaEvent => ({
    type: 'SideTagQuotaReleased',
    data: { userId: 23, sidetag: { id, name: `b-side-${id}` }, reason },
  });

  test('a new user has 0; every creation adds one, every removal path takes one away', () => {
    assert.equal(numberOfTags(given(quota).state()), 0);
    assert.equal(numberOfTags(given(quota, [taken(1), taken(2), taken(3)]).state()), 3);
    assert.equal(numberOfTags(given(quota, [taken(1), taken(2), released(1)]).state()), 1);
    assert.equal(numberOfTags(given(quota, [taken(1), released(1, 'empty'), taken(4)]).state()), 1);
    assert.deepEqual(given(quota, [taken(1), taken(2), released(1)]).state().active, { '2': 'b-side-2' });
  });

  test('releasing a sidetag that was never counted changes nothing', () => {
    assert.equal(numberOfTags(given(quota, [taken(1), released(9)]).state()), 1);
  });

  test('per base tag (koji-es, §7 T3): events that name the base are counted on it; old ones are not', () => {
    const on = (id: number, base: number): QuotaEvent => ({
      type: 'SideTagQuotaTaken',
      data: { userId: 23, sidetag: { id, name: `b-side-${id}` }, basetag: { id: base, name: `b${base}` } },
    });
    const s = given(quota, [on(1, 32), on(2, 32), on(3, 33), taken(4), released(2)]).state();
    assert.equal(numberOfTags(s), 3);
    assert.deepEqual(s.bases, { '1': 32, '3': 33 });
    assert.deepEqual(perBasetag(s.bases), { '32': 1, '33': 1 });
    assert.deepEqual(movePerBasetag({ '32': 1 }, 32, 1), { '32': 2 });
    assert.deepEqual(movePerBasetag({ '32': 1, '33': 4 }, 32, -1), { '33': 4 });
    assert.deepEqual(movePerBasetag({}, 40, -1), {});
  });

  test('the rules return KojiErrors, never plain Errors', () => {
    assert.throws(
      () => checkSuffix('x', []),
      (e: unknown) => e instanceof KojiError && e.faultCode === 1000,
    );
  });
});

describe("labels (koji-es, spec §8.2): get-or-create by the owner's key", () => {
  const labels: Decider<null, LabelState, LabelEvent> = {
    initialState: initialLabel,
    decide: () => [],
    evolve: evolveLabel,
  };
  const base = { id: 32, name: 'f40-build' };
  const claim = (id: number): LabelEvent => ({
    type: 'SideTagLabelClaimed',
    data: { label: 'pr-12', userId: 23, basetag: base, sidetag: { id, name: `f40-build-side-${id}` } },
  });
  const release = (id: number): LabelEvent => ({
    type: 'SideTagLabelReleased',
    data: { label: 'pr-12', userId: 23, basetag: base, sidetag: { id, name: `f40-build-side-${id}` } },
  });

  test('a label is free, held by the sidetag that claimed it, free again once it is removed, then held anew', () => {
    assert.deepEqual(given(labels, []).state(), { sidetag: null });
    assert.deepEqual(given(labels, [claim(40)]).state(), { sidetag: { id: 40, name: 'f40-build-side-40' } });
    assert.deepEqual(given(labels, [claim(40), release(40)]).state(), { sidetag: null });
    assert.deepEqual(given(labels, [claim(40), release(40), claim(41)]).state().sidetag?.id, 41);
  });

  test('one stream per owner, base tag and label', () => {
    assert.equal(labelStream(23, 32, 'pr-12'), 'sidetag-label-23-32-pr-12');
    assert.notEqual(labelStream(23, 32, 'pr-12'), labelStream(24, 32, 'pr-12'));
    assert.notEqual(labelStream(23, 32, 'pr-12'), labelStream(23, 33, 'pr-12'));
  });

  test('the sidetag remembers its label and base tag, to release the claim when it goes', () => {
    const sidetagStream: Decider<null, SideTagState, SideTagEvent> = {
      initialState: initialSideTag,
      decide: () => [],
      evolve: evolveSideTag,
    };
    const created: SideTagEvent = {
      type: 'SideTagCreated',
      data: {
        id: 40,
        name: 'f40-build-side-40',
        user: { id: 23, name: 'packit' },
        basetag: base,
        debuginfo: false,
        suffix: null,
        time: '2026-01-01T00:00:00.000Z',
        label: 'pr-12',
      },
    };
    assert.deepEqual(given(sidetagStream, [created]).state().label, { label: 'pr-12', basetag: base });
  });

  test('a label: 1 to 64 of letters, digits, . _ + -, the first a letter or digit; none is null', () => {
    for (const ok of ['pr-12', 'a', 'fedora-rawhide_gcc+15.1', 'X'.repeat(64)])
      assert.equal(checkLabel(ok), ok);
    assert.equal(checkLabel(null), null);
    assert.equal(checkLabel(undefined), null);
    for (const bad of ['', '-x', '.x', 'a b', 'a/b', 'X'.repeat(65), 12, ['a']])
      assert.throws(
        () => checkLabel(bad),
        (e: unknown) =>
          e instanceof KojiError &&
          e.faultName === 'GenericError' &&
          e.message.startsWith(`Invalid sidetag label ${JSON.stringify(bad)}: 1 to 64 letters`),
        JSON.stringify(bad),
      );
  });
});

/** alice's sidetag f40-build-side-96, with more extra; alice and bob for the koji-es owner rules. */
const st = (extra: Record<string, unknown> = {}): TagFacts => ({
  id: 96,
  name: 'f40-build-side-96',
  extra: { sidetag: true, sidetag_user: 'alice', sidetag_user_id: 23, ...extra },
});
const alice = { id: 23, perms: [] };
const bob = { id: 24, name: 'bob' };

describe('co-owners (koji-es, spec §8.2): who else may tag builds into and out of a sidetag', () => {
  const carol = { id: 25, name: 'carol' };

  test('the owner or an admin adds and removes them; adding twice or removing one not there changes nothing', () => {
    assert.deepEqual(decideCoOwner(st(), alice, { add: bob }), [24]);
    assert.deepEqual(decideCoOwner(st({ sidetag_co_owners: [24] }), alice, { add: carol }), [24, 25]);
    assert.equal(decideCoOwner(st({ sidetag_co_owners: [24] }), alice, { add: bob }), null);
    assert.deepEqual(decideCoOwner(st({ sidetag_co_owners: [24, 25] }), alice, { remove: bob }), [25]);
    assert.equal(decideCoOwner(st({ sidetag_co_owners: [25] }), alice, { remove: bob }), null);
    assert.deepEqual(decideCoOwner(st(), { id: 1, perms: ['admin'] }, { add: bob }), [24]);
  });

  test('nobody else, not even a co-owner, changes the list', () => {
    for (const who of [
      { id: 24, perms: [] },
      { id: 26, perms: ['sidetag_admin'] },
    ])
      assert.throws(
        () => decideCoOwner(st({ sidetag_co_owners: [24] }), who, { add: carol }),
        (e: unknown) => e instanceof KojiError && e.faultName === 'ActionNotAllowed',
      );
  });

  test('the owner is not a co-owner; a plain tag has none; fifty at most', () => {
    assert.throws(
      () => decideCoOwner(st(), alice, { add: { id: 23, name: 'alice' } }),
      (e: unknown) =>
        e instanceof KojiError && e.message === 'alice owns f40-build-side-96: a co-owner is somebody else',
    );
    assert.throws(
      () => decideCoOwner({ id: 1, name: 'f40-build', extra: {} }, alice, { add: bob }),
      (e: unknown) => e instanceof KojiError && e.message === 'Not a sidetag: f40-build',
    );
    const many = Array.from({ length: 50 }, (_, i) => 100 + i);
    assert.throws(
      () => decideCoOwner(st({ sidetag_co_owners: many }), alice, { add: bob }),
      /has 50 co-owners already/,
    );
    assert.deepEqual(coOwners(st({ sidetag_co_owners: [24, 'x', null] })), [24]);
  });
});

describe('transferSideTag (koji-es, spec §8.2): the owner keys of the extra', () => {
  test('the owner or an admin gives it; a co-owner who receives it stops being one', () => {
    assert.deepEqual(decideTransfer(st(), alice, bob), {
      extra: { sidetag_user: 'bob', sidetag_user_id: 24 },
      removeExtra: [],
    });
    assert.deepEqual(decideTransfer(st({ sidetag_co_owners: [24, 25] }), { id: 1, perms: ['admin'] }, bob), {
      extra: { sidetag_user: 'bob', sidetag_user_id: 24, sidetag_co_owners: [25] },
      removeExtra: [],
    });
    assert.deepEqual(decideTransfer(st({ sidetag_co_owners: [24] }), alice, bob), {
      extra: { sidetag_user: 'bob', sidetag_user_id: 24 },
      removeExtra: ['sidetag_co_owners'],
    });
  });

  test('nobody else may; giving it to its owner is an error', () => {
    assert.throws(
      () => decideTransfer(st({ sidetag_co_owners: [24] }), { id: 24, perms: [] }, { id: 25, name: 'carol' }),
      (e: unknown) => e instanceof KojiError && e.faultName === 'ActionNotAllowed',
    );
    assert.throws(
      () => decideTransfer(st(), alice, { id: 23, name: 'alice' }),
      (e: unknown) => e instanceof KojiError && e.message === 'alice owns f40-build-side-96 already',
    );
  });

  test('the sidetag stream: the quota and label now belong to the new owner', () => {
    const s = [
      {
        type: 'SideTagCreated',
        data: {
          id: 96,
          name: 'f40-build-side-96',
          user: { id: 23, name: 'alice' },
          basetag: { id: 32, name: 'f40-build' },
          debuginfo: false,
          suffix: null,
          time: 'T',
          label: 'x',
        },
      },
      {
        type: 'SideTagTransferred',
        data: { id: 96, name: 'f40-build-side-96', from: { id: 23, name: 'alice' }, to: bob, by: bob },
      },
    ] as SideTagEvent[];
    const state = s.reduce(evolveSideTag, initialSideTag);
    assert.deepEqual(state.quotaUser, bob);
    assert.deepEqual(state.label, { label: 'x', basetag: { id: 32, name: 'f40-build' } });
  });
});
