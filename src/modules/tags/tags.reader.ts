import { Inject, Injectable } from '@nestjs/common';
import { STORE_BACKEND } from '../../app.tokens.js';
import type { StoreBackend } from '../../eventstore/open.js';
import type { ReadModelReader } from '../../eventstore/read-model.port.js';
import { genericError, parameterError } from '../../kernel/errors.js';
import { pyRepr } from '../../rpc/method.js';
import {
  BUILDS,
  REPOS,
  TAG_PARENTS,
  TAGGED,
  TAGS,
  TARGETS,
  type BuildDoc,
  type RepoDoc,
  type TagDoc,
  type TagParentDoc,
  type TaggedDoc,
  type TargetDoc,
} from './tags.projection.js';
import { REPO_STATES, type InheritanceLink } from './tags.events.js';
import { tagAtEvent, tagsWithParentsUntil, type TagAtEvent } from './tags.at-event.js';
import { kojiTime } from '../tasks/tasks.projection.js';

export type TagInfo = number | string | { id?: number; name?: string } | null | undefined;

export interface FullInheritanceEntry {
  parent_id: number;
  name: string;
  child_id: number;
  priority: number;
  maxdepth: number | null;
  intransitive: boolean;
  noconfig: boolean;
  pkg_filter: string;
  currdepth: number;
  nextdepth: number | null;
}

/** Lookups on the tags read model with Koji's get_tag/get_build/get_build_target rules and messages. */
@Injectable()
export class TagsReader {
  constructor(@Inject(STORE_BACKEND) private readonly backend: StoreBackend) {}

  get rm(): ReadModelReader {
    return this.backend.readModels.reader;
  }

  /** Koji's get_tag(tagInfo, strict=False). */
  async tag(info: TagInfo): Promise<TagDoc | null> {
    if (typeof info === 'number') return this.rm.get<TagDoc>(TAGS, String(info));
    if (typeof info === 'string')
      return (await this.rm.find<TagDoc>(TAGS, { where: { name: info }, limit: 1 }))[0] ?? null;
    if (info && typeof info === 'object') {
      if (typeof info.id === 'number') return this.tag(info.id);
      if (typeof info.name === 'string') return this.tag(info.name);
    }
    throw parameterError(`Invalid name or id value: ${pyRepr(info)}`);
  }

  async strictTag(info: TagInfo): Promise<TagDoc> {
    const t = await this.tag(info);
    if (!t) throw genericError(`No such tagInfo: ${pyRepr(info)}`);
    return t;
  }

  /**
   * Koji's readFullInheritance: every ancestor, depth first by priority. maxdepth is relative to the
   * link (0: the parent only, 1: the parent and its parents…) and propagates down, as Koji's
   * readFullInheritanceRecurse; an intransitive link counts only from the tag asked about.
   */
  async fullInheritance(
    tagId: number,
    load: (id: number) => Promise<{ inheritance: InheritanceLink[] } | null> = (id) => this.tag(id),
  ): Promise<FullInheritanceEntry[]> {
    const out: FullInheritanceEntry[] = [];
    const seen = new Set<number>([tagId]);
    const walk = async (childId: number, depth: number, maxdepth: number | null) => {
      if (maxdepth !== null && maxdepth < 1) return;
      const child = await load(childId);
      if (!child) return;
      const links = [...child.inheritance].sort((a, b) => a.priority - b.priority);
      for (const l of links) {
        if (l.intransitive && depth > 1) continue;
        if (seen.has(l.parent_id)) continue;
        seen.add(l.parent_id);
        let nextdepth = l.maxdepth;
        if (nextdepth === null) {
          if (maxdepth !== null) nextdepth = maxdepth - 1;
        } else if (maxdepth !== null) nextdepth = Math.min(nextdepth, maxdepth) - 1;
        out.push({ ...l, child_id: childId, currdepth: depth, nextdepth });
        await walk(l.parent_id, depth + 1, nextdepth);
      }
    };
    await walk(tagId, 1, null);
    return out;
  }

  /**
   * The tags that inherit from `tagId`, directly or through others, in id order: found by the
   * parent index, where getFullInheritance(reverse) used to fold the inheritance of every tag.
   */
  async descendants(tagId: number): Promise<TagDoc[]> {
    const found = new Set<number>([tagId]);
    const out: TagDoc[] = [];
    for (let frontier = [tagId]; frontier.length;) {
      const next: number[] = [];
      for (const id of frontier)
        for (const l of await this.rm.find<TagParentDoc>(TAG_PARENTS, { where: { parent_id: id } })) {
          if (found.has(l.tag_id)) continue;
          found.add(l.tag_id);
          next.push(l.tag_id);
          const t = await this.tag(l.tag_id);
          if (t) out.push(t);
        }
      frontier = next;
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /**
   * `descendants` as they were at `event`, each with its state then: the children are found among
   * the tags that had a parent by then, each folded up to the event (`at`).
   */
  async descendantsAtEvent(
    tagId: number,
    event: number,
    at: (id: number) => Promise<TagAtEvent | null> = this.atEvent(event),
  ): Promise<TagAtEvent[]> {
    const candidates = [...(await tagsWithParentsUntil(this.backend, event))];
    const found = new Set<number>([tagId]);
    const out: TagAtEvent[] = [];
    for (let frontier = [tagId]; frontier.length;) {
      const next: number[] = [];
      for (const id of candidates) {
        if (found.has(id)) continue;
        const t = await at(id);
        if (!t?.state.inheritance.some((l) => frontier.includes(l.parent_id))) continue;
        found.add(id);
        next.push(id);
        out.push(t);
      }
      frontier = next;
    }
    return out.sort((a, b) => a.state.id - b.state.id);
  }

  /**
   * Koji's getBuildConfig: arches from the first ancestor that has them, extra merged along the
   * inheritance (the nearest value wins, a null value blocks the key), links marked noconfig skipped.
   */
  async buildConfig(info: TagInfo) {
    const tag = await this.strictTag(info);
    const chain: TagDoc[] = [tag];
    for (const e of await this.fullInheritance(tag.id)) {
      if (e.noconfig) continue;
      const p = await this.tag(e.parent_id);
      if (p) chain.push(p);
    }
    let arches: string | null = null;
    for (const t of chain)
      if (t.arches) {
        arches = t.arches;
        break;
      }
    const extra: Record<string, unknown> = {};
    for (const t of [...chain].reverse()) Object.assign(extra, t.extra);
    for (const [k, v] of Object.entries(extra)) if (v === null) delete extra[k];
    return { ...tagInfo(tag), arches, extra };
  }

  /**
   * Builds tagged into a tag, optionally with inheritance (the nearest tag wins for one package);
   * with `event`, as they were at that Koji event id (the tags' streams folded up to it).
   */
  async tagged(
    tagId: number,
    inherit: boolean,
    event: number | null = null,
  ): Promise<(TaggedDoc & { package_name: string })[]> {
    const lists =
      event === null ? await this.taggedNow(tagId, inherit) : await this.taggedAtEvent(tagId, inherit, event);
    const out: (TaggedDoc & { package_name: string })[] = [];
    const packages = new Set<string>();
    for (const rows of lists) {
      const here = new Set<string>();
      for (const r of rows) {
        const b = await this.build(r.build_id);
        const pkg = b?.package_name ?? r.nvr;
        if (inherit && packages.has(pkg) && !here.has(pkg)) continue;
        here.add(pkg);
        out.push({ ...r, package_name: pkg });
      }
      for (const p of here) packages.add(p);
    }
    return out;
  }

  /** Each tag's rows, the tag first, then its ancestors, newest tagging first. */
  private async taggedNow(tagId: number, inherit: boolean): Promise<TaggedDoc[][]> {
    const tags = [tagId, ...(inherit ? (await this.fullInheritance(tagId)).map((e) => e.parent_id) : [])];
    const lists: TaggedDoc[][] = [];
    for (const id of tags)
      lists.push(
        await this.rm.find<TaggedDoc>(TAGGED, { where: { tag_id: id }, orderBy: [['create_event', 'desc']] }),
      );
    return lists;
  }

  /** The same at an event: the inheritance and the content each tag had then. */
  private async taggedAtEvent(tagId: number, inherit: boolean, event: number): Promise<TaggedDoc[][]> {
    const at = this.atEvent(event);
    if (!(await at(tagId))) return [];
    const chain = inherit
      ? (await this.fullInheritance(tagId, async (id) => (await at(id))?.state ?? null)).map(
          (e) => e.parent_id,
        )
      : [];
    const lists: TaggedDoc[][] = [];
    for (const id of [tagId, ...chain]) {
      const t = await at(id);
      if (!t) continue;
      lists.push(
        t.tagged.map((r) => ({
          tag_id: id,
          tag_name: t.state.name,
          build_id: r.build_id,
          nvr: r.nvr,
          create_event: r.create_event,
          create_ts: kojiTime(r.create_time).ts,
          tagged_by: r.tagged_by,
        })),
      );
    }
    return lists;
  }

  /** A loader of tags as they were at `event`, each folded once. */
  atEvent(event: number): (id: number) => Promise<TagAtEvent | null> {
    const cache = new Map<number, Promise<TagAtEvent | null>>();
    return (id) => {
      let p = cache.get(id);
      if (!p) cache.set(id, (p = tagAtEvent(this.backend, id, event)));
      return p;
    };
  }

  /** Koji's tag_last_change_event: the newest change to the tag (and, with inherit, its ancestors). */
  async lastChangeEvent(tagId: number, inherit = true): Promise<number> {
    const ids = [tagId, ...(inherit ? (await this.fullInheritance(tagId)).map((e) => e.parent_id) : [])];
    let last = 0;
    for (const id of ids) {
      const t = await this.tag(id);
      if (t) last = Math.max(last, t.last_event);
    }
    return last;
  }

  async target(info: number | string | { id?: number; name?: string }): Promise<TargetDoc | null> {
    if (typeof info === 'number') return this.rm.get<TargetDoc>(TARGETS, String(info));
    if (typeof info === 'string')
      return (await this.rm.find<TargetDoc>(TARGETS, { where: { name: info }, limit: 1 }))[0] ?? null;
    if (typeof info.id === 'number') return this.target(info.id);
    if (typeof info.name === 'string') return this.target(info.name);
    return null;
  }

  async strictTarget(info: number | string | { id?: number; name?: string }): Promise<TargetDoc> {
    const t = await this.target(info);
    if (!t) throw genericError(`No such build target: ${typeof info === 'object' ? pyRepr(info) : info}`);
    return t;
  }

  async build(info: number | string | Record<string, unknown>): Promise<BuildDoc | null> {
    if (typeof info === 'number') return this.rm.get<BuildDoc>(BUILDS, String(info));
    if (typeof info === 'string')
      return (await this.rm.find<BuildDoc>(BUILDS, { where: { nvr: info }, limit: 1 }))[0] ?? null;
    if (info && typeof info === 'object') {
      if (typeof info.id === 'number') return this.build(info.id);
      if (typeof info.build_id === 'number') return this.build(info.build_id);
      if (typeof info.nvr === 'string') return this.build(info.nvr);
      if (
        typeof info.name === 'string' &&
        typeof info.version === 'string' &&
        typeof info.release === 'string'
      )
        return this.build(`${info.name}-${info.version}-${info.release}`);
    }
    return null;
  }

  async strictBuild(info: number | string | Record<string, unknown>): Promise<BuildDoc> {
    const b = await this.build(info);
    if (!b) throw genericError(`No such build: ${pyRepr(info)}`);
    return b;
  }

  async repo(id: number): Promise<RepoDoc | null> {
    return this.rm.get<RepoDoc>(REPOS, String(id));
  }

  /** The newest READY repo of a tag, optionally created at or after an event. */
  async latestReadyRepo(tagId: number, minEvent: number | null = null): Promise<RepoDoc | null> {
    const repos = await this.rm.find<RepoDoc>(REPOS, {
      where: { tag_id: tagId, state: REPO_STATES.READY },
      orderBy: [['create_event', 'desc']],
      limit: 1,
      // Every sidetag gets a repo: by the state index this read every READY repo of every tag.
      index: 'tag_id',
    });
    const r = repos[0] ?? null;
    return r && (minEvent === null || r.create_event >= minEvent) ? r : null;
  }
}

/** Koji's get_tag dict. */
export function tagInfo(t: TagDoc) {
  return {
    id: t.id,
    name: t.name,
    perm_id: t.perm_id,
    perm: t.perm,
    arches: t.arches,
    locked: t.locked,
    maven_support: t.maven_support,
    maven_include_all: t.maven_include_all,
    extra: t.extra,
  };
}

/** Koji's repo dict (without the content list, which repoInfo adds on request). */
export function repoInfo(r: RepoDoc) {
  const { builds: _b, ...rest } = r;
  return { ...rest, begin_event: r.create_event, end_event: null };
}
