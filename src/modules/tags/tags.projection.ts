import type { Projection, ProjectionTx } from '../../eventstore/projection.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import { kojiTime } from '../tasks/tasks.projection.js';
import {
  REPO_STATES,
  TAG_EVENT_TYPES,
  type BuildEvent,
  type BuildRef,
  type InheritanceLink,
  type RepoEvent,
  type RepoQueueEvent,
  type TagConfig,
  type TagEvent,
  type TargetEvent,
} from './tags.events.js';

/**
 * A tag's name, settings and extra as Koji's tag rows spell them, from the events' (and the folded
 * state's) configuration: the read model and getTag at an event both answer with these.
 */
export function kojiTagFields(c: TagConfig & { name: string; extra: Record<string, unknown> }) {
  return {
    name: c.name,
    arches: c.arches,
    locked: c.locked,
    perm_id: c.perm?.id ?? null,
    perm: c.perm?.name ?? null,
    maven_support: c.mavenSupport,
    maven_include_all: c.mavenIncludeAll,
    extra: c.extra,
  };
}

export interface TagDoc {
  id: number;
  name: string;
  arches: string | null;
  locked: boolean;
  perm_id: number | null;
  perm: string | null;
  maven_support: boolean;
  maven_include_all: boolean;
  extra: Record<string, unknown>;
  inheritance: InheritanceLink[];
  /** Koji event id of the tag's last change (config, extra, inheritance or content). */
  last_event: number;
  /** Whose sidetag this is (from the own extra), for cheap listSideTags queries. */
  sidetag_user_id: number | null;
  /**
   * The own extra has a true `repo.auto`: the repo manager regenerates the tag's repo on change.
   * Indexed, so its pass need not read every tag (it did, and every createSideTag kicks a pass).
   */
  repo_auto: boolean;
}

export interface TaggedDoc {
  tag_id: number;
  tag_name: string;
  build_id: number;
  nvr: string;
  create_event: number;
  create_ts: number;
  tagged_by: string | null;
}

export interface TargetDoc {
  id: number;
  name: string;
  build_tag: number;
  build_tag_name: string;
  dest_tag: number;
  dest_tag_name: string;
}

export interface BuildDoc {
  build_id: number;
  id: number;
  package_name: string;
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  nvr: string;
  state: number;
  owner_id: number;
  owner_name: string;
  task_id: number | null;
  creation_event_id: number;
  creation_time: string;
  creation_ts: number;
  completion_time: string;
  completion_ts: number;
}

export interface RepoDoc {
  id: number;
  tag_id: number;
  tag_name: string;
  create_event: number;
  creation_time: string;
  create_ts: number;
  state: number;
  dist: boolean;
  task_id: number | null;
  opts: Record<string, unknown>;
  custom_opts: null;
  builds: (BuildRef & { tag_id: number })[];
}

export interface RepoRequestDoc {
  id: number;
  tag_id: number;
  tag_name: string;
  min_event: number | null;
  at_event: number | null;
  opts: Record<string, unknown> | null;
  priority: number;
  owner: number | null;
  owner_name: string | null;
  create_time: string;
  create_ts: number;
  active: boolean;
  repo_id: number | null;
  task_id: number | null;
  tries: number;
}

export const TAGS = 'tags';
export const TAGGED = 'tagged_builds';
export const TARGETS = 'targets';
export const BUILDS = 'builds';
export const REPOS = 'repos';
export const REPO_REQUESTS = 'repo_requests';
/** One row per inheritance link, so a tag's children are found by index, not by reading every tag. */
export const TAG_PARENTS = 'tag_parents';

export interface TagParentDoc {
  tag_id: number;
  parent_id: number;
}

/** Replaces a tag's links: the old ones come from its tag document (get, put and delete only). */
function setParents(tx: ProjectionTx, tagId: number, links: InheritanceLink[]) {
  const before = tx.get<TagDoc>(TAGS, String(tagId));
  for (const old of before?.inheritance ?? []) tx.delete(TAG_PARENTS, `${tagId}:${old.parent_id}`);
  for (const l of links)
    tx.put(TAG_PARENTS, `${tagId}:${l.parent_id}`, {
      tag_id: tagId,
      parent_id: l.parent_id,
    } satisfies TagParentDoc);
}

function update<T extends object>(tx: ProjectionTx, c: string, key: string, f: (d: T) => T) {
  const d = tx.get<T>(c, key);
  if (d) tx.put(c, key, f(d));
}

const sidetagUser = (extra: Record<string, unknown>): number | null =>
  extra.sidetag && extra.sidetag_user_id !== undefined && extra.sidetag_user_id !== null
    ? Number(extra.sidetag_user_id)
    : null;

const repoAuto = (extra: Record<string, unknown>): boolean => Boolean(extra['repo.auto']);

/** Tags, their builds, build targets, builds and repos, as Koji's queries return them. */
export const tagsProjection: Projection = {
  name: 'tags',
  version: 3,
  collections: [
    { name: TAGS, indexes: ['name', 'repo_auto'] },
    { name: TAG_PARENTS, indexes: ['parent_id'] },
    { name: TAGGED, indexes: ['tag_id', 'build_id'] },
    { name: TARGETS, indexes: ['name', 'build_tag', 'dest_tag'] },
    { name: BUILDS, indexes: ['nvr', 'package_name', 'owner_id', 'task_id', 'state'] },
    { name: REPOS, indexes: ['tag_id'] },
    { name: REPO_REQUESTS, indexes: ['tag_id', 'active'] },
  ],
  filter: { types: [...TAG_EVENT_TYPES] },
  apply(ev: RecordedEvent, tx: ProjectionTx) {
    const e = { type: ev.type, data: ev.data } as
      TagEvent | TargetEvent | BuildEvent | RepoEvent | RepoQueueEvent;
    const touch = (id: number) =>
      update<TagDoc>(tx, TAGS, String(id), (d) => ({ ...d, last_event: ev.position }));
    switch (e.type) {
      case 'TagCreated': {
        const d = e.data;
        setParents(tx, d.id, d.inheritance);
        tx.put(TAGS, String(d.id), {
          id: d.id,
          ...kojiTagFields(d),
          inheritance: d.inheritance,
          last_event: ev.position,
          sidetag_user_id: sidetagUser(d.extra),
          repo_auto: repoAuto(d.extra),
        } satisfies TagDoc);
        return;
      }
      case 'TagEdited': {
        const c = e.data.changes;
        return update<TagDoc>(tx, TAGS, String(e.data.id), (d) => {
          const extra = { ...d.extra, ...e.data.extraSet };
          for (const k of e.data.extraRemoved) delete extra[k];
          return {
            ...d,
            ...(c.name !== undefined ? { name: c.name } : {}),
            ...(c.arches !== undefined ? { arches: c.arches } : {}),
            ...(c.locked !== undefined ? { locked: c.locked } : {}),
            ...(c.perm !== undefined ? { perm_id: c.perm?.id ?? null, perm: c.perm?.name ?? null } : {}),
            ...(c.mavenSupport !== undefined ? { maven_support: c.mavenSupport } : {}),
            ...(c.mavenIncludeAll !== undefined ? { maven_include_all: c.mavenIncludeAll } : {}),
            extra,
            sidetag_user_id: sidetagUser(extra),
            repo_auto: repoAuto(extra),
            last_event: ev.position,
          };
        });
      }
      case 'TagInheritanceChanged':
        setParents(tx, e.data.id, e.data.inheritance);
        return update<TagDoc>(tx, TAGS, String(e.data.id), (d) => ({
          ...d,
          inheritance: e.data.inheritance,
          last_event: ev.position,
        }));
      case 'TagDeleted':
        // Its children's links to it go with the TagInheritanceChanged events of the same append.
        setParents(tx, e.data.id, []);
        tx.delete(TAGS, String(e.data.id));
        for (const b of e.data.untagged) tx.delete(TAGGED, `${e.data.id}:${b.id}`);
        return;
      case 'PackageTagged': {
        const d = e.data;
        tx.put(TAGGED, `${d.tag.id}:${d.build.id}`, {
          tag_id: d.tag.id,
          tag_name: d.tag.name,
          build_id: d.build.id,
          nvr: d.build.nvr,
          create_event: ev.position,
          create_ts: kojiTime(d.time).ts,
          tagged_by: d.user?.name ?? null,
        } satisfies TaggedDoc);
        return touch(d.tag.id);
      }
      case 'PackageUntagged':
        tx.delete(TAGGED, `${e.data.tag.id}:${e.data.build.id}`);
        return touch(e.data.tag.id);
      // A package-list change is a change of the tag, as in Koji's tag_last_change_event.
      case 'PackageListChanged':
      case 'PackageListEntryRemoved':
        return touch(e.data.tag.id);
      case 'BuildTargetCreated': {
        const d = e.data;
        tx.put(TARGETS, String(d.id), {
          id: d.id,
          name: d.name,
          build_tag: d.buildTag.id,
          build_tag_name: d.buildTag.name,
          dest_tag: d.destTag.id,
          dest_tag_name: d.destTag.name,
        } satisfies TargetDoc);
        return;
      }
      case 'BuildTargetEdited': {
        const c = e.data.changes;
        return update<TargetDoc>(tx, TARGETS, String(e.data.id), (d) => ({
          ...d,
          ...(c.name ? { name: c.name } : {}),
          ...(c.buildTag ? { build_tag: c.buildTag.id, build_tag_name: c.buildTag.name } : {}),
          ...(c.destTag ? { dest_tag: c.destTag.id, dest_tag_name: c.destTag.name } : {}),
        }));
      }
      case 'BuildTargetDeleted':
        tx.delete(TARGETS, String(e.data.id));
        return;
      case 'BuildCreated': {
        const d = e.data;
        const t = kojiTime(d.time);
        tx.put(BUILDS, String(d.id), {
          build_id: d.id,
          id: d.id,
          package_name: d.packageName,
          name: d.packageName,
          version: d.version,
          release: d.release,
          epoch: d.epoch,
          nvr: d.nvr,
          state: d.state,
          owner_id: d.owner.id,
          owner_name: d.owner.name,
          task_id: d.taskId,
          creation_event_id: ev.position,
          creation_time: t.time,
          creation_ts: t.ts,
          completion_time: t.time,
          completion_ts: t.ts,
        } satisfies BuildDoc);
        return;
      }
      case 'RepoCreated': {
        const d = e.data;
        const t = kojiTime(d.time);
        tx.put(REPOS, String(d.id), {
          id: d.id,
          tag_id: d.tag.id,
          tag_name: d.tag.name,
          create_event: d.createEvent,
          creation_time: t.time,
          create_ts: t.ts,
          state: REPO_STATES.INIT,
          dist: false,
          task_id: d.taskId,
          opts: d.opts,
          custom_opts: null,
          builds: d.builds,
        } satisfies RepoDoc);
        return;
      }
      case 'RepoStateChanged':
        return update<RepoDoc>(tx, REPOS, String(e.data.id), (d) => ({ ...d, state: e.data.state }));
      case 'RepoRequested': {
        const d = e.data;
        const t = kojiTime(d.time);
        tx.put(REPO_REQUESTS, String(d.id), {
          id: d.id,
          tag_id: d.tag.id,
          tag_name: d.tag.name,
          min_event: d.minEvent,
          at_event: d.atEvent,
          opts: d.opts,
          priority: d.priority,
          owner: d.owner?.id ?? null,
          owner_name: d.owner?.name ?? null,
          create_time: t.time,
          create_ts: t.ts,
          active: true,
          repo_id: null,
          task_id: null,
          tries: 0,
        } satisfies RepoRequestDoc);
        return;
      }
      case 'RepoRequestFulfilled':
        return update<RepoRequestDoc>(tx, REPO_REQUESTS, String(e.data.id), (d) => ({
          ...d,
          active: false,
          repo_id: e.data.repoId,
          task_id: e.data.taskId,
          tries: d.tries + 1,
        }));
    }
  },
};
