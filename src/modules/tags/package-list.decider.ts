// Rebuilds Koji's package-list writes (kojihub.py pkglist_add, pkglist_block, pkglist_unblock,
// pkglist_remove, pkglist_setowner, pkglist_setarches), their order of checks and their messages.
// Deliberate difference: each call appends one event with the tag's whole entry after the change,
// where Koji revokes and re-inserts rows (an unblock of a tag's own block can take two writes); a
// forced add that changes nothing appends nothing; and a new owner for an inherited entry gives the
// tag an entry of its own (Koji writes only an owner row there, which its own listings never show).
import type { Decider } from '../../kernel/decider.js';
import { genericError } from '../../kernel/errors.js';
import type { PackageEntry, PackageListAction, PackageListEvent } from './packages.events.js';
import { evolveTag, initialTagState, type TagState } from './tag.decider.js';
import type { Ref, TagEvent } from './tags.events.js';

/** The nearest entry for the package among the tag's ancestors, with the tag that holds it. */
export interface InheritedEntry extends PackageEntry {
  tag: Ref;
}

interface Common {
  package: Ref;
  force: boolean;
  /** Who asks (recorded; with force, the owner of an entry that names none). */
  user: Ref | null;
  /** The nearest entry in the tag's ancestors (readPackageList with inheritance, own tag left out). */
  inherited: InheritedEntry | null;
}

export type PackageListCommand = Common &
  (
    | {
        kind: 'add';
        owner: Ref | null;
        block: boolean | null;
        /** undefined keeps the previous value; null or '' clears it. */
        extraArches: string | null | undefined;
        update: boolean;
      }
    | { kind: 'block' }
    | { kind: 'unblock' }
    | { kind: 'remove' }
  );

/** The action the `package_list` policy is asked about, as Koji names it. */
export function policyAction(
  c: Pick<PackageListCommand, 'kind'> & { update?: boolean; block?: boolean | null },
) {
  if (c.kind !== 'add') return c.kind;
  return c.update ? 'update' : c.block ? 'block' : 'add';
}

export function decidePackageList(c: PackageListCommand, s: TagState): PackageListEvent[] {
  if (!s.exists) throw genericError(`No such tagInfo: ${s.id}`);
  const tag: Ref = { id: s.id, name: s.name };
  const own = s.packages[c.package.name] ?? null;
  const previous: PackageEntry | null = own ?? c.inherited;
  const changed = (action: PackageListAction, entry: PackageEntry): PackageListEvent[] => [
    { type: 'PackageListChanged', data: { tag, action, entry, user: c.user, force: c.force } },
  ];
  const removed = (action: PackageListAction): PackageListEvent[] => [
    {
      type: 'PackageListEntryRemoved',
      data: { tag, action, package: own!.package, user: c.user, force: c.force },
    },
  ];
  switch (c.kind) {
    case 'add':
      return add(c, s, previous, policyAction(c), changed);
    case 'block':
      if (!previous) throw genericError(`Package ${c.package.name} is not in tag listing for ${s.name}`);
      return add(
        { ...c, kind: 'add', owner: null, block: true, extraArches: undefined, update: false },
        s,
        previous,
        'block',
        changed,
      );
    case 'unblock': {
      if (!previous)
        throw genericError(`no data (blocked or otherwise) for package ${c.package.name} in tag ${s.name}`);
      if (!previous.blocked) throw genericError(`package ${c.package.name} NOT blocked in tag ${s.name}`);
      // Koji drops the tag's own block when that lets an unblocked inherited entry show; otherwise
      // (the block is inherited, or nothing unblocked is above it) the tag gets an unblocked entry.
      if (own && c.inherited && !c.inherited.blocked) return removed('unblock');
      return changed('unblock', {
        package: c.package,
        owner: previous.owner,
        blocked: false,
        extraArches: previous.extraArches,
      });
    }
    case 'remove':
      return own ? removed('remove') : [];
  }
}

/** Koji's pkglist_add: missing values come from the previous entry; a blocked one stays blocked. */
function add(
  c: Extract<PackageListCommand, { kind: 'add' }>,
  s: TagState,
  previous: PackageEntry | null,
  action: PackageListAction,
  changed: (action: PackageListAction, entry: PackageEntry) => PackageListEvent[],
): PackageListEvent[] {
  let owner = c.owner;
  let blocked: boolean;
  let extraArches = c.extraArches === undefined ? undefined : c.extraArches || null;
  if (!previous) {
    if (c.update && !c.force)
      throw genericError(`cannot update: tag ${s.name} has no data for package ${c.package.name}`);
    blocked = Boolean(c.block);
  } else {
    owner ??= previous.owner;
    blocked = c.block ?? previous.blocked;
    if (extraArches === undefined) extraArches = previous.extraArches;
    const same =
      owner.id === previous.owner.id && blocked === previous.blocked && extraArches === previous.extraArches;
    // Nothing to change: nothing is appended (Koji rewrites the same row when forced).
    if (same) return [];
    if (previous.blocked && !blocked && !c.force)
      throw genericError(`package ${c.package.name} is blocked in tag ${s.name}`);
  }
  if (!owner) {
    if (!c.force || !c.user) throw genericError('owner not specified');
    owner = c.user;
  }
  return changed(action, { package: c.package, owner, blocked, extraArches: extraArches ?? null });
}

export const packageListDecider: Decider<PackageListCommand, TagState, TagEvent> = {
  initialState: initialTagState,
  decide: decidePackageList,
  evolve: evolveTag,
};
