import type { DomainEvent } from '../../kernel/decider.js';
import type { Ref } from '../tasks/tasks.events.js';

/** A tag's own package-list entry, Koji's tag_packages row with its tag_package_owners owner. */
export interface PackageEntry {
  package: Ref;
  owner: Ref;
  blocked: boolean;
  /** Space-separated arches added for this package (Koji's extra_arches), or null. */
  extraArches: string | null;
}

/** What a package-list change was, as Koji's `package_list` policy names it. */
export type PackageListAction = 'add' | 'update' | 'block' | 'unblock' | 'remove';

/** Stream `package-<name>` (built by nameStream): the package's id, claimed once (Koji's packages row). */
export type PackageCreated = DomainEvent<'PackageCreated', { id: number; name: string }>;

/** Stream `tag-<id>`: the tag's own entry for a package after the change (the whole row). */
export type PackageListChanged = DomainEvent<
  'PackageListChanged',
  { tag: Ref; action: PackageListAction; entry: PackageEntry; user: Ref | null; force: boolean }
>;

/** Stream `tag-<id>`: the tag's own entry for a package is gone; an inherited one shows again. */
export type PackageListEntryRemoved = DomainEvent<
  'PackageListEntryRemoved',
  { tag: Ref; action: PackageListAction; package: Ref; user: Ref | null; force: boolean }
>;

export type PackageListEvent = PackageListChanged | PackageListEntryRemoved;

export const PACKAGE_EVENT_TYPES = [
  'PackageCreated',
  'PackageListChanged',
  'PackageListEntryRemoved',
] as const;
