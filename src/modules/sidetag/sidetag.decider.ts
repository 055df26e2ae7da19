// Rebuilds Koji's sidetag plugin rules (plugins/hub/sidetag_hub.py: createSideTag :93, removeSideTag
// :170, _remove_sidetag :187, editSideTag :266, is_sidetag/is_sidetag_owner :33-88) as pure
// functions. Deliberate differences: the name uses the id really assigned (Koji predicts it from the
// sequence); the per-user count is folded from the user's quota stream at the append's expected
// version (Koji counts, then creates, and races); a sidetag without a parent is a GenericError (Koji
// crashes with IndexError); allowed suffixes are stripped; holds, labels, co-owners and transfers
// are ours.
import { actionNotAllowed, genericError, parameterError } from '../../kernel/errors.js';
import { fnmatch } from '../../kernel/fnmatch.js';
import { invalidTypeMessage, pyClass, pyRepr } from '../../kernel/python.js';
import type { Ref } from '../tags/tags.events.js';
import type { LabelEvent, QuotaEvent, SideTagEvent } from './sidetag.events.js';

export interface QuotaState {
  /** sidetag id → name */
  active: Record<string, string>;
  /** sidetag id → its base tag's id, when the event named it (events written before the field do not). */
  bases: Record<string, number>;
}

export const initialQuota: QuotaState = { active: {}, bases: {} };

export function evolveQuota(s: QuotaState, e: QuotaEvent): QuotaState {
  const key = String(e.data.sidetag.id);
  if (e.type === 'SideTagQuotaTaken')
    return {
      active: { ...s.active, [key]: e.data.sidetag.name },
      bases: e.data.basetag ? { ...s.bases, [key]: e.data.basetag.id } : s.bases,
    };
  const { [key]: _, ...active } = s.active;
  const { [key]: __, ...bases } = s.bases;
  return { active, bases };
}

export const numberOfTags = (s: QuotaState) => Object.keys(s.active).length;

/**
 * The user's live sidetags per base tag id (koji-es: the policy's `number_of_tags_on_basetag`, so a
 * quota per base tag can be written; Koji's `number_of_tags` counts every base, spec §7 T3).
 */
export function perBasetag(bases: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of Object.values(bases)) out[b] = (out[b] ?? 0) + 1;
  return out;
}

/** `per` with one more (or one fewer) sidetag on `base`; bases at zero are left out. */
export function movePerBasetag(
  per: Record<string, number>,
  base: number,
  by: 1 | -1,
): Record<string, number> {
  const { [base]: n = 0, ...rest } = per;
  return n + by > 0 ? { ...rest, [base]: n + by } : rest;
}

export interface SideTagState {
  /** Created by createSideTag (a tag an admin marks as a sidetag has no such stream). */
  exists: boolean;
  removed: boolean;
  hold: { reason: string; by: string; time: string } | null;
  /** Whose quota the creation took: released to the same user, whatever the extra says by then. */
  quotaUser: { id: number; name: string } | null;
  /** The label it was created with (its claim is released with it), and on which base tag. */
  label: { label: string; basetag: Ref } | null;
  /** The base tag it was created on (its per-base quota goes back there). */
  basetag: Ref | null;
  /** When the hub's cleanup may remove it (setSideTagExpiry), for `audit state`; null: the default. */
  expires: string | null;
}

export const initialSideTag: SideTagState = {
  exists: false,
  removed: false,
  hold: null,
  quotaUser: null,
  label: null,
  basetag: null,
  expires: null,
};

export function evolveSideTag(s: SideTagState, e: SideTagEvent): SideTagState {
  switch (e.type) {
    case 'SideTagCreated':
      return {
        exists: true,
        removed: false,
        hold: null,
        quotaUser: e.data.user,
        label: e.data.label ? { label: e.data.label, basetag: e.data.basetag } : null,
        basetag: e.data.basetag,
        expires: null,
      };
    case 'SideTagTransferred':
      // The quota and the label move with it: the new owner's are given back when it goes.
      return s.exists ? { ...s, quotaUser: e.data.to } : s;
    case 'SideTagExpirySet':
      return { ...s, expires: e.data.expires };
    case 'SideTagEdited':
    case 'SideTagCoOwnerAdded':
    case 'SideTagCoOwnerRemoved':
      return s;
    case 'SideTagHeld':
      return { ...s, hold: { reason: e.data.reason, by: e.data.by.name, time: e.data.time } };
    case 'SideTagReleased':
      return { ...s, hold: null };
    case 'SideTagRemoved':
      return { ...s, removed: true, hold: null };
  }
}

/**
 * Labels (koji-es; spec §8.2: Packit keeps its own table of sidetags by key and raced into
 * duplicates): a key the owner chooses, unique per owner and base tag while the sidetag lives, so
 * createSideTag with a label is get-or-create.
 */
export const LABEL = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export function checkLabel(label: unknown): string | null {
  if (label === null || label === undefined) return null;
  if (typeof label !== 'string' || !LABEL.test(label))
    throw genericError(
      `Invalid sidetag label ${JSON.stringify(label)}: 1 to 64 letters, digits, '.', '_', '+' or '-', the first a letter or digit`,
    );
  return label;
}

/** Stream of a label's claims: the live sidetag holding it, if any. */
export const labelStream = (userId: number, basetagId: number, label: string) =>
  `sidetag-label-${userId}-${basetagId}-${label}`;

export interface LabelState {
  sidetag: Ref | null;
}

export const initialLabel: LabelState = { sidetag: null };

export function evolveLabel(_s: LabelState, e: LabelEvent): LabelState {
  return { sidetag: e.type === 'SideTagLabelClaimed' ? e.data.sidetag : null };
}

/** Step 1 of createSideTag, before the login check, as Koji. */
export function checkSuffix(suffix: string | null | undefined, allowed: string[]): void {
  if (suffix && !allowed.includes(suffix)) throw genericError(`${suffix} suffix is not allowed for sidetag`);
}

/** `{basetag}-side-{tag_id}` filled in (Python's str.format for these two names), plus `-<suffix>`. */
export function sidetagName(
  template: string,
  basetag: string,
  tagId: number,
  suffix: string | null | undefined,
): string {
  const name = template.replace(/\{basetag\}/g, basetag).replace(/\{tag_id\}/g, String(tagId));
  return suffix ? `${name}-${suffix}` : name;
}

export function sidetagExtra(
  user: { id: number; name: string },
  debuginfo: boolean,
): Record<string, unknown> {
  const extra: Record<string, unknown> = { sidetag: true, sidetag_user: user.name, sidetag_user_id: user.id };
  if (debuginfo) extra.with_debuginfo = true;
  return extra;
}

const truthy = (v: unknown) =>
  !(
    v === undefined ||
    v === null ||
    v === false ||
    v === 0 ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)
  );

export interface TagFacts {
  id: number;
  name: string;
  extra: Record<string, unknown>;
}

export const isSidetag = (t: TagFacts) => truthy(t.extra.sidetag);

/** Koji's is_sidetag_owner for the API: the owner, or a session with admin. */
export function isOwner(t: TagFacts, user: { id: number; perms: string[] }): boolean {
  return isSidetag(t) && (Number(t.extra.sidetag_user_id) === user.id || user.perms.includes('admin'));
}

/** The two checks every sidetag method starts with, in Koji's order and words. */
export function assertOwnSidetag(t: TagFacts, user: { id: number; perms: string[] }): void {
  if (!isSidetag(t)) throw genericError(`Not a sidetag: ${t.name}`);
  if (!isOwner(t, user)) throw actionNotAllowed('This is not your sidetag');
}

/** Koji's _remove_sidetag target checks. */
export function checkTarget(sidetag: TagFacts, target: { build_tag: number; dest_tag: number } | null): void {
  if (!target) throw genericError('Target is missing for sidetag');
  if (target.build_tag !== sidetag.id || target.dest_tag !== sidetag.id)
    throw genericError('Target does not match sidetag');
}

export interface EditInput {
  sidetag: TagFacts;
  /** The first direct parent (by priority), own extra only, or null when there is none. */
  parent: TagFacts | null;
  user: { id: number; perms: string[] };
  debuginfo: boolean | null | undefined;
  rpmMacros: unknown;
  removeRpmMacros: unknown;
  extra: unknown;
  removeExtra: unknown;
}

/** A macro name Koji accepts: longer than one character, starting with a letter or `_`. */
export const validMacroName = (name: string) => name.length > 1 && /^[A-Za-z_]/.test(name);

/** The extra keys that make a sidetag and its owners, and the method that changes each. */
const OWN_KEYS: Readonly<Record<string, string>> = {
  sidetag: 'removeSideTag ends a sidetag',
  sidetag_user: 'transferSideTag gives a sidetag to another owner',
  sidetag_user_id: 'transferSideTag gives a sidetag to another owner',
  sidetag_co_owners: 'use addSideTagOwner and removeSideTagOwner',
};

/**
 * editSideTag's steps 4–13 (spec §2.6) in Koji's order and words; returns what `_edit_tag` gets.
 */
export function decideEdit(i: EditInput): { extra: Record<string, unknown>; removeExtra: string[] } {
  assertOwnSidetag(i.sidetag, i.user);
  const privileged = i.user.perms.includes('sidetag_admin') || i.user.perms.includes('admin');
  if (
    (i.extra !== null && i.extra !== undefined) ||
    (i.removeExtra !== null && i.removeExtra !== undefined)
  ) {
    if (!privileged)
      throw genericError('Extra can be modified only with sidetag_admin or admin permissions.');
  }
  // A string or list spread as extra became one key per character or item.
  if (i.extra !== null && i.extra !== undefined && (typeof i.extra !== 'object' || Array.isArray(i.extra)))
    throw parameterError(invalidTypeMessage(i.extra, 'dict'));
  const extra: Record<string, unknown> = { ...((i.extra as Record<string, unknown> | null) ?? {}) };
  let removeExtra: unknown = i.removeExtra ?? [];
  if (!Array.isArray(removeExtra)) throw parameterError(invalidTypeMessage(removeExtra, 'list'));
  // koji-es (spec §7 T8): Koji lets extra/remove_extra rewrite the owner or unmark the sidetag, which
  // leaves its quota, label and target behind. Each has its own method here.
  for (const key of [...Object.keys(extra), ...removeExtra.map(String)])
    if (Object.prototype.hasOwnProperty.call(OWN_KEYS, key))
      throw genericError(`${key} is not edited through extra: ${OWN_KEYS[key]}`);
  if (!i.parent) throw genericError(`Sidetag ${i.sidetag.name} has no parent tag`);
  const parent = i.parent;
  if (i.debuginfo !== null && i.debuginfo !== undefined && !truthy(parent.extra.sidetag_debuginfo_allowed))
    throw genericError('Debuginfo setting is not allowed in parent tag.');
  let allowed: string[] = [];
  if (truthy(i.rpmMacros) || truthy(i.removeRpmMacros)) {
    const raw = parent.extra.sidetag_rpm_macros_allowed;
    if (raw === undefined || raw === null) allowed = [];
    else if (typeof raw === 'string') allowed = raw.split(/\s+/).filter(Boolean);
    else if (Array.isArray(raw)) {
      if (raw.some((x) => typeof x !== 'string'))
        throw genericError(`Allowed rpm macro list ${pyRepr(raw)} is invalid for ${parent.name}.`);
      allowed = raw as string[];
    } else throw genericError(`rpm_macros_allowed in ${parent.name} has invalid type: ${pyClass(raw)}`);
    if (!allowed.length) throw genericError('RPM macros change is not allowed in parent tag.');
  }
  if (i.debuginfo !== null && i.debuginfo !== undefined) extra.with_debuginfo = Boolean(i.debuginfo);
  const permitted = (name: string) => {
    if (!allowed.some((g) => fnmatch(name, g)))
      throw genericError(`RPM macro ${name} editing is not allowed via parent tag`);
  };
  if (i.rpmMacros !== null && i.rpmMacros !== undefined) {
    if (typeof i.rpmMacros !== 'object' || Array.isArray(i.rpmMacros))
      throw parameterError(invalidTypeMessage(i.rpmMacros, 'dict'));
    for (const [name, value] of Object.entries(i.rpmMacros as Record<string, unknown>)) {
      if (!validMacroName(name)) throw genericError(`Invalid macro name '${name}'`);
      permitted(name);
      extra[`rpm.macro.${name}`] = value;
    }
  }
  if (i.removeRpmMacros !== null && i.removeRpmMacros !== undefined) {
    if (!Array.isArray(i.removeRpmMacros))
      throw parameterError(invalidTypeMessage(i.removeRpmMacros, 'list'));
    for (const name of i.removeRpmMacros) permitted(String(name));
    // Koji replaces any remove_extra the caller gave with the macros' keys.
    removeExtra = i.removeRpmMacros.map((n) => `rpm.macro.${String(n)}`);
  }
  return { extra, removeExtra: (removeExtra as unknown[]).map(String) };
}

/** Co-owners (koji-es, spec §8.2): ids kept in the tag's extra, where every policy check sees them. */
export const CO_OWNERS = 'sidetag_co_owners';
const MAX_CO_OWNERS = 50;

export function coOwners(t: TagFacts): number[] {
  const v = t.extra[CO_OWNERS];
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
}

/**
 * Adding or removing a co-owner: the owner or an admin may; a co-owner may tag builds into and out
 * of the sidetag (`is_sidetag_owner`), nothing more. Returns the new list, or null when nothing
 * changes (adding twice, removing one who is not there).
 */
export function decideCoOwner(
  t: TagFacts,
  caller: { id: number; perms: string[] },
  change: { add?: { id: number; name: string }; remove?: { id: number; name: string } },
): number[] | null {
  assertOwnSidetag(t, caller);
  const now = coOwners(t);
  if (change.add) {
    if (String(t.extra.sidetag_user_id) === String(change.add.id))
      throw genericError(`${change.add.name} owns ${t.name}: a co-owner is somebody else`);
    if (now.includes(change.add.id)) return null;
    if (now.length >= MAX_CO_OWNERS)
      throw genericError(`${t.name} has ${MAX_CO_OWNERS} co-owners already, the most it may have`);
    return [...now, change.add.id];
  }
  if (change.remove && now.includes(change.remove.id)) return now.filter((id) => id !== change.remove!.id);
  return null;
}

/**
 * transferSideTag (koji-es, spec §8.2: Bodhi and Packit hand sidetags between a bot and maintainers):
 * the owner or an admin gives it to another user. Returns the owner keys of the extra as they become;
 * the new owner stops being a co-owner.
 */
export function decideTransfer(
  t: TagFacts,
  caller: { id: number; perms: string[] },
  to: { id: number; name: string },
): { extra: Record<string, unknown>; removeExtra: string[] } {
  assertOwnSidetag(t, caller);
  if (String(t.extra.sidetag_user_id) === String(to.id))
    throw genericError(`${to.name} owns ${t.name} already`);
  const before = coOwners(t);
  const co = before.filter((id) => id !== to.id);
  const changed = co.length !== before.length;
  return {
    extra: {
      sidetag_user: to.name,
      sidetag_user_id: to.id,
      ...(changed && co.length ? { [CO_OWNERS]: co } : {}),
    },
    removeExtra: changed && !co.length ? [CO_OWNERS] : [],
  };
}

/** Who may hold or release: the owner, sidetag_admin or admin (holds are koji-es's). */
export function assertMayHold(t: TagFacts, user: { id: number; perms: string[] }): void {
  if (!isSidetag(t)) throw genericError(`Not a sidetag: ${t.name}`);
  if (!(isOwner(t, user) || user.perms.includes('sidetag_admin')))
    throw actionNotAllowed('This is not your sidetag');
}
