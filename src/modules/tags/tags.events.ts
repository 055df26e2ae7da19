import type { DomainEvent } from '../../kernel/decider.js';
import type { Ref } from '../tasks/tasks.events.js';
import type { PackageListEvent } from './packages.events.js';

export type { Ref };

export interface BuildRef {
  id: number;
  nvr: string;
}

/** One inheritance link, Koji's tag_inheritance row. */
export interface InheritanceLink {
  parent_id: number;
  name: string;
  priority: number;
  maxdepth: number | null;
  intransitive: boolean;
  noconfig: boolean;
  pkg_filter: string;
}

export interface TagConfig {
  arches: string | null;
  locked: boolean;
  perm: Ref | null;
  mavenSupport: boolean;
  mavenIncludeAll: boolean;
}

/** Stream `tag-<id>`: the tag's configuration, its extra, its inheritance and the builds tagged into it. */
export type TagCreated = DomainEvent<
  'TagCreated',
  TagConfig & { id: number; name: string; extra: Record<string, unknown>; inheritance: InheritanceLink[] }
>;
export type TagEdited = DomainEvent<
  'TagEdited',
  {
    id: number;
    name: string;
    changes: Partial<TagConfig> & { name?: string };
    /** Extra keys added or changed (a null value blocks an inherited key, as Koji). */
    extraSet: Record<string, unknown>;
    extraRemoved: string[];
  }
>;
export type TagInheritanceChanged = DomainEvent<
  'TagInheritanceChanged',
  { id: number; name: string; inheritance: InheritanceLink[] }
>;
/**
 * Deleting untags every build silently, without post-untag hooks, as Koji's _delete_tag, and drops
 * the tag's own package-list entries (`packages`, absent when it had none).
 */
export type TagDeleted = DomainEvent<
  'TagDeleted',
  { id: number; name: string; untagged: BuildRef[]; packages?: Ref[] }
>;
export type PackageTagged = DomainEvent<
  'PackageTagged',
  { tag: Ref; build: BuildRef; user: Ref | null; force: boolean; fromtag: Ref | null; time: string }
>;
export type PackageUntagged = DomainEvent<
  'PackageUntagged',
  {
    tag: Ref;
    build: BuildRef;
    user: Ref | null;
    force: boolean;
    strict: boolean;
    time: string;
    movedTo?: Ref;
  }
>;
export type TagEvent =
  | TagCreated
  | TagEdited
  | TagInheritanceChanged
  | TagDeleted
  | PackageTagged
  | PackageUntagged
  | PackageListEvent;

/** Stream `target-<id>`. */
export type BuildTargetCreated = DomainEvent<
  'BuildTargetCreated',
  { id: number; name: string; buildTag: Ref; destTag: Ref }
>;
export type BuildTargetEdited = DomainEvent<
  'BuildTargetEdited',
  { id: number; name: string; changes: { name?: string; buildTag?: Ref; destTag?: Ref } }
>;
export type BuildTargetDeleted = DomainEvent<'BuildTargetDeleted', { id: number; name: string }>;
export type TargetEvent = BuildTargetCreated | BuildTargetEdited | BuildTargetDeleted;

export const BUILD_STATES = { BUILDING: 0, COMPLETE: 1, DELETED: 2, FAILED: 3, CANCELED: 4 } as const;
export const BUILD_STATE_NAMES: Record<number, string> = {
  0: 'BUILDING',
  1: 'COMPLETE',
  2: 'DELETED',
  3: 'FAILED',
  4: 'CANCELED',
};

/** Stream `build-<id>`. */
export type BuildCreated = DomainEvent<
  'BuildCreated',
  {
    id: number;
    packageName: string;
    version: string;
    release: string;
    epoch: number | null;
    nvr: string;
    owner: Ref;
    state: number;
    taskId: number | null;
    time: string;
  }
>;
export type BuildEvent = BuildCreated;

export const REPO_STATES = { INIT: 0, READY: 1, EXPIRED: 2, DELETED: 3, PROBLEM: 4 } as const;
export const REPO_STATE_NAMES: Record<number, string> = {
  0: 'INIT',
  1: 'READY',
  2: 'EXPIRED',
  3: 'DELETED',
  4: 'PROBLEM',
};

/** Stream `repo-<id>`: a tag's content as of a Koji event id (no RPM metadata is generated). */
export type RepoCreated = DomainEvent<
  'RepoCreated',
  {
    id: number;
    tag: Ref;
    createEvent: number;
    taskId: number | null;
    opts: Record<string, unknown>;
    /** The builds visible in the tag (with inheritance) at createEvent. */
    builds: (BuildRef & { tag_id: number })[];
    time: string;
  }
>;
export type RepoStateChanged = DomainEvent<
  'RepoStateChanged',
  { id: number; tagId: number; state: number; time: string }
>;
export type RepoEvent = RepoCreated | RepoStateChanged;

/** Stream `repoqueue-<id>`: Koji 1.35's repo requests. */
export type RepoRequested = DomainEvent<
  'RepoRequested',
  {
    id: number;
    tag: Ref;
    minEvent: number | null;
    atEvent: number | null;
    opts: Record<string, unknown> | null;
    priority: number;
    owner: Ref | null;
    time: string;
  }
>;
export type RepoRequestFulfilled = DomainEvent<
  'RepoRequestFulfilled',
  { id: number; repoId: number; taskId: number | null }
>;
export type RepoQueueEvent = RepoRequested | RepoRequestFulfilled;

export const TAG_EVENT_TYPES = [
  'TagCreated',
  'TagEdited',
  'TagInheritanceChanged',
  'TagDeleted',
  'PackageTagged',
  'PackageUntagged',
  'PackageListChanged',
  'PackageListEntryRemoved',
  'BuildTargetCreated',
  'BuildTargetEdited',
  'BuildTargetDeleted',
  'BuildCreated',
  'RepoCreated',
  'RepoStateChanged',
  'RepoRequested',
  'RepoRequestFulfilled',
] as const;
