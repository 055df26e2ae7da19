import { Injectable } from '@nestjs/common';
import { genericError, parameterError } from '../../kernel/errors.js';
import { pyRepr, pyStr } from '../../kernel/python.js';
import type { InheritedEntry } from './package-list.decider.js';
import {
  PACKAGES,
  TAG_PACKAGES,
  tagPackageKey,
  type PackageDoc,
  type TagPackageDoc,
} from './packages.projection.js';
import type { TagAtEvent } from './tags.at-event.js';
import { TagsReader } from './tags.reader.js';

/** Koji's readPackageList entry. */
export interface PackageRow {
  package_id: number;
  package_name: string;
  tag_id: number;
  tag_name: string;
  extra_arches: string | null;
  blocked: boolean;
  owner_id: number;
  owner_name: string;
}

export type PackageInfo = number | string | Record<string, unknown> | null | undefined;

/** One tag of a tag's inheritance chain, with the pkg_filter patterns met on the way (cumulative). */
interface ChainLink {
  tagId: number;
  filters: RegExp[];
}

/** Koji's `re.match`: anchored at the start only. An invalid pattern matches nothing. */
function pattern(p: string): RegExp {
  try {
    return new RegExp(`^(?:${p})`);
  } catch {
    return /$^/;
  }
}

/** Packages and package lists, with Koji's readPackageList inheritance rules. */
@Injectable()
export class PackagesReader {
  constructor(private readonly tags: TagsReader) {}

  /** Koji's lookup_package(info, strict=False). */
  async find(info: PackageInfo): Promise<PackageDoc | null> {
    const rm = this.tags.rm;
    if (typeof info === 'number') return rm.get<PackageDoc>(PACKAGES, String(info));
    if (typeof info === 'string')
      return (await rm.find<PackageDoc>(PACKAGES, { where: { name: info }, limit: 1 }))[0] ?? null;
    if (info && typeof info === 'object') {
      if ('id' in info) {
        const id = Number(info.id);
        if (!Number.isInteger(id)) throw parameterError(`Invalid name or id value: ${pyRepr(info)}`);
        return this.find(id);
      }
      if (typeof info.name === 'string') return this.find(info.name);
    }
    throw parameterError(`Invalid name or id value: ${pyRepr(info)}`);
  }

  /** Koji's lookup_package(info, strict=True). */
  async strict(info: PackageInfo): Promise<PackageDoc> {
    const p = await this.find(info);
    if (!p) throw genericError(`No such entry in table package: ${pyStr(info)}`);
    return p;
  }

  /** The tag and its ancestors in Koji's inheritance order, each with the filters on its path. */
  private async chain(tagId: number, inherit: boolean, at: AtEvent | null): Promise<ChainLink[]> {
    const out: ChainLink[] = [{ tagId, filters: [] }];
    if (!inherit) return out;
    const filters = new Map<number, RegExp[]>([[tagId, []]]);
    const load = at ? async (id: number) => (await at(id))?.state ?? null : undefined;
    for (const e of await this.tags.fullInheritance(tagId, load)) {
      const f = [...(filters.get(e.child_id) ?? []), ...(e.pkg_filter ? [pattern(e.pkg_filter)] : [])];
      filters.set(e.parent_id, f);
      out.push({ tagId: e.parent_id, filters: f });
    }
    return out;
  }

  private async row(d: TagPackageDoc, names: Map<number, string>): Promise<PackageRow> {
    let tagName = names.get(d.tag_id);
    if (tagName === undefined) {
      tagName = (await this.tags.tag(d.tag_id))?.name ?? String(d.tag_id);
      names.set(d.tag_id, tagName);
    }
    return {
      package_id: d.package_id,
      package_name: d.package_name,
      tag_id: d.tag_id,
      tag_name: tagName,
      extra_arches: d.extra_arches,
      blocked: d.blocked,
      owner_id: d.owner_id,
      owner_name: d.owner_name,
    };
  }

  /**
   * Koji's readPackageList: the tag's own entries, then (with inherit) each ancestor's in inheritance
   * order, the nearest entry for a package winning (blocked or not) unless withDups; an inherited
   * entry must match every pkg_filter on its path. Or every entry of a user or of a package.
   */
  async list(o: {
    tagId?: number | null;
    userId?: number | null;
    pkg?: string | null;
    inherit?: boolean;
    withDups?: boolean;
    withBlocked?: boolean;
    /** A Koji event id: the lists (and the inheritance) as they were then; needs a tag. */
    event?: number | null;
  }): Promise<PackageRow[]> {
    const rm = this.tags.rm;
    const names = new Map<number, string>();
    const keep = (d: TagPackageDoc) =>
      ((o.withBlocked ?? true) ? true : !d.blocked) &&
      (o.userId === null || o.userId === undefined || d.owner_id === o.userId) &&
      (o.pkg === null || o.pkg === undefined || d.package_name === o.pkg);
    const at = o.event === null || o.event === undefined ? null : this.tags.atEvent(o.event);
    if (o.tagId === null || o.tagId === undefined) {
      if (at) throw genericError('listPackages at an event needs a tag (tagID)');
      const where: Record<string, string | number> = {};
      if (o.userId !== null && o.userId !== undefined) where.owner_id = o.userId;
      if (o.pkg !== null && o.pkg !== undefined) where.package_name = o.pkg;
      const docs = await rm.find<TagPackageDoc>(TAG_PACKAGES, {
        where,
        orderBy: [
          ['package_name', 'asc'],
          ['tag_id', 'asc'],
        ],
      });
      return Promise.all(docs.filter(keep).map((d) => this.row(d, names)));
    }
    const out: PackageRow[] = [];
    const seen = new Set<string>();
    for (const link of await this.chain(o.tagId, o.inherit ?? false, at)) {
      if (at) {
        const then = await at(link.tagId);
        if (then) names.set(link.tagId, then.state.name);
      }
      const docs = at
        ? entriesAt(await at(link.tagId), link.tagId).filter(
            (d) => o.pkg === null || o.pkg === undefined || d.package_name === o.pkg,
          )
        : o.pkg !== null && o.pkg !== undefined
          ? [await rm.get<TagPackageDoc>(TAG_PACKAGES, tagPackageKey(link.tagId, o.pkg))].filter(
              (d): d is TagPackageDoc => d !== null,
            )
          : await rm.find<TagPackageDoc>(TAG_PACKAGES, {
              where: { tag_id: link.tagId },
              orderBy: [['package_name', 'asc']],
            });
      const here: string[] = [];
      for (const d of docs) {
        if (!link.filters.every((f) => f.test(d.package_name))) continue;
        if (seen.has(d.package_name) && !o.withDups) continue;
        here.push(d.package_name);
        if (keep(d)) out.push(await this.row(d, names));
      }
      for (const p of here) seen.add(p);
    }
    return out;
  }

  /** The entry in force for a package in a tag (readPackageList with inheritance), if any. */
  async entry(tagId: number, pkg: string, event: number | null = null): Promise<PackageRow | null> {
    return (await this.list({ tagId, pkg, inherit: true, event }))[0] ?? null;
  }

  /** The nearest entry above the tag itself, the one that shows when the tag's own entry goes. */
  async inherited(tagId: number, pkg: string): Promise<InheritedEntry | null> {
    const rows = await this.list({ tagId, pkg, inherit: true, withDups: true });
    const r = rows.find((x) => x.tag_id !== tagId);
    return r
      ? {
          tag: { id: r.tag_id, name: r.tag_name },
          package: { id: r.package_id, name: r.package_name },
          owner: { id: r.owner_id, name: r.owner_name },
          blocked: r.blocked,
          extraArches: r.extra_arches,
        }
      : null;
  }

  /**
   * Whether the tag or an ancestor lists any package unblocked. A tag tree without a package list
   * takes every package (koji-es; in Koji every package must be listed).
   */
  async hasList(tagId: number): Promise<boolean> {
    for (const link of await this.chain(tagId, true, null))
      if (
        (
          await this.tags.rm.find<TagPackageDoc>(TAG_PACKAGES, {
            where: { tag_id: link.tagId, blocked: false },
            limit: 1,
            index: 'tag_id',
          })
        ).length
      )
        return true;
    return false;
  }
}

type AtEvent = (id: number) => Promise<TagAtEvent | null>;

/** A tag's own entries as they were at an event, as read-model documents, by name. */
function entriesAt(then: TagAtEvent | null, tagId: number): TagPackageDoc[] {
  if (!then) return [];
  return Object.values(then.state.packages)
    .map((e) => ({
      tag_id: tagId,
      package_id: e.package.id,
      package_name: e.package.name,
      owner_id: e.owner.id,
      owner_name: e.owner.name,
      blocked: e.blocked,
      extra_arches: e.extraArches,
    }))
    .sort((a, b) => (a.package_name < b.package_name ? -1 : a.package_name > b.package_name ? 1 : 0));
}
