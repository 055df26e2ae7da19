// Rebuilds Koji's tag writes (kojihub.py _create_tag :3713, _edit_tag :3898, _delete_tag :4036,
// _tag_build / _direct_untag_build :1876). Deliberate difference: an untag of a build that is not
// in the tag appends nothing (Koji still runs postUntag, which can delete an empty sidetag).
// Package lists are decided in package-list.decider.ts.
import type { Decider } from '../../kernel/decider.js';
import { genericError, KojiError } from '../../kernel/errors.js';
import type { PackageEntry } from './packages.events.js';
import type { BuildRef, InheritanceLink, Ref, TagConfig, TagEvent } from './tags.events.js';
import { PACKAGE_TAGGED_VERSION } from './tags.upcasters.js';

export interface TagState extends TagConfig {
  exists: boolean;
  id: number;
  name: string;
  extra: Record<string, unknown>;
  inheritance: InheritanceLink[];
  /** build id → build */
  builds: Record<string, BuildRef>;
  /** package name → the tag's own package-list entry (inherited ones are not here) */
  packages: Record<string, PackageEntry>;
}

export const initialTagState: TagState = {
  exists: false,
  id: 0,
  name: '',
  arches: null,
  locked: false,
  perm: null,
  mavenSupport: false,
  mavenIncludeAll: false,
  extra: {},
  inheritance: [],
  builds: {},
  packages: {},
};

export type TagCommand =
  | {
      kind: 'create';
      id: number;
      name: string;
      config: TagConfig;
      extra: Record<string, unknown>;
      parent: Ref | null;
    }
  | {
      kind: 'edit';
      changes: Partial<TagConfig> & { name?: string };
      extra: Record<string, unknown>;
      removeExtra: string[];
    }
  | { kind: 'setParent'; parent: Ref | null }
  | { kind: 'delete' }
  | { kind: 'tag'; build: BuildRef; user: Ref | null; force: boolean; fromtag: Ref | null; now: string }
  | {
      kind: 'untag';
      build: BuildRef;
      user: Ref | null;
      force: boolean;
      strict: boolean;
      now: string;
      movedTo?: Ref;
    };

/** Koji's default inheritance link (priority 0, no depth limit, transitive, config inherited). */
export function parentLink(parent: Ref): InheritanceLink {
  return {
    parent_id: parent.id,
    name: parent.name,
    priority: 0,
    maxdepth: null,
    intransitive: false,
    noconfig: false,
    pkg_filter: '',
  };
}

export function evolveTag(s: TagState, e: TagEvent): TagState {
  switch (e.type) {
    case 'TagCreated': {
      const { id, name, extra, inheritance, ...config } = e.data;
      return { ...initialTagState, ...config, exists: true, id, name, extra: { ...extra }, inheritance };
    }
    case 'TagEdited': {
      const extra = { ...s.extra, ...e.data.extraSet };
      for (const k of e.data.extraRemoved) delete extra[k];
      return { ...s, ...e.data.changes, extra };
    }
    case 'TagInheritanceChanged':
      return { ...s, inheritance: e.data.inheritance };
    case 'TagDeleted':
      return { ...initialTagState, id: s.id, name: s.name };
    case 'PackageTagged':
      return { ...s, builds: { ...s.builds, [String(e.data.build.id)]: e.data.build } };
    case 'PackageUntagged': {
      const { [String(e.data.build.id)]: _, ...builds } = s.builds;
      return { ...s, builds };
    }
    case 'PackageListChanged':
      return { ...s, packages: { ...s.packages, [e.data.entry.package.name]: e.data.entry } };
    case 'PackageListEntryRemoved': {
      const { [e.data.package.name]: _, ...packages } = s.packages;
      return { ...s, packages };
    }
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function decideTag(c: TagCommand, s: TagState): TagEvent[] {
  if (c.kind === 'create') {
    if (s.exists) throw genericError(`A tag with the name '${s.name}' already exists`);
    return [
      {
        type: 'TagCreated',
        data: {
          id: c.id,
          name: c.name,
          ...c.config,
          extra: c.extra,
          inheritance: c.parent ? [parentLink(c.parent)] : [],
        },
      },
    ];
  }
  if (!s.exists) throw genericError(`No such tagInfo: ${s.id}`);
  const who = { id: s.id, name: s.name };
  switch (c.kind) {
    case 'edit': {
      for (const k of Object.keys(c.extra))
        if (c.removeExtra.includes(k))
          throw genericError(`Can not both add/update and remove tag-extra: '${k}'`);
      const missing = c.removeExtra.filter((k) => !(k in s.extra));
      if (missing.length) throw genericError(`Tag: ${s.name} doesn't have extra: ${missing.join(', ')}`);
      const changes: Partial<TagConfig> & { name?: string } = {};
      for (const [k, v] of Object.entries(c.changes) as [keyof typeof changes, never][]) {
        if (v !== undefined && !same((s as unknown as Record<string, unknown>)[k], v)) changes[k] = v;
      }
      // Koji rewrites an extra key only when it is new or its value changed.
      const extraSet: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(c.extra))
        if (!(k in s.extra) || !same(s.extra[k], v)) extraSet[k] = v;
      if (!Object.keys(changes).length && !Object.keys(extraSet).length && !c.removeExtra.length) return [];
      return [{ type: 'TagEdited', data: { ...who, changes, extraSet, extraRemoved: [...c.removeExtra] } }];
    }
    case 'setParent': {
      const inheritance = c.parent ? [parentLink(c.parent)] : [];
      if (c.parent?.id === s.id) throw genericError(`tag ${s.name} cannot inherit from itself`);
      return same(inheritance, s.inheritance)
        ? []
        : [{ type: 'TagInheritanceChanged', data: { ...who, inheritance } }];
    }
    case 'delete': {
      const packages = Object.values(s.packages).map((p) => p.package);
      return [
        {
          type: 'TagDeleted',
          data: { ...who, untagged: Object.values(s.builds), ...(packages.length ? { packages } : {}) },
        },
      ];
    }
    case 'tag':
      if (String(c.build.id) in s.builds)
        throw new KojiError('TagError', `build ${c.build.nvr} already tagged (${s.name})`);
      return [
        {
          type: 'PackageTagged',
          schemaVersion: PACKAGE_TAGGED_VERSION,
          data: { tag: who, build: c.build, user: c.user, force: c.force, fromtag: c.fromtag, time: c.now },
        },
      ];
    case 'untag':
      if (!(String(c.build.id) in s.builds)) {
        if (c.strict) throw new KojiError('TagError', `build ${c.build.nvr} not in tag ${s.name}`);
        return [];
      }
      return [
        {
          type: 'PackageUntagged',
          data: {
            tag: who,
            build: c.build,
            user: c.user,
            force: c.force,
            strict: c.strict,
            time: c.now,
            ...(c.movedTo ? { movedTo: c.movedTo } : {}),
          },
        },
      ];
  }
}

export const tagDecider: Decider<TagCommand, TagState, TagEvent> = {
  initialState: initialTagState,
  decide: decideTag,
  evolve: evolveTag,
};
