import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { genericError, KojiError, parameterError } from '../../kernel/errors.js';
import { fnmatch } from '../../kernel/fnmatch.js';
import { hasPerm, type CallContext } from '../../rpc/context.js';
import { invalidTypeMessage } from '../../kernel/python.js';
import { pyRepr } from '../../rpc/method.js';
import { applyQueryOpts } from '../../rpc/query-opts.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { PolicyService } from '../policy/policy.service.js';
import { parseArches } from '../tasks/arches.js';
import { TASKS } from '../tasks/tasks.projection.js';
import { UsersReader } from '../users/users.reader.js';
import { RepoManager } from './repo-manager.js';
import * as api from './tags.contract.js';
import {
  ChangeTarget,
  CreateEmptyBuild,
  CreateTag,
  DeleteTag,
  EditTag,
  NewRepo,
  RequestRepo,
  TagBuild,
  UntagBuild,
  type TagEdit,
} from './tags.commands.js';
import { BUILD_STATE_NAMES, BUILD_STATES, REPO_STATES, type Ref } from './tags.events.js';
import {
  BUILDS,
  kojiTagFields,
  REPO_REQUESTS,
  TAGS,
  TARGETS,
  type BuildDoc,
  type RepoRequestDoc,
  type TagDoc,
  type TargetDoc,
} from './tags.projection.js';
import { PackagesReader, type PackageInfo } from './packages.reader.js';
import { repoInfo, tagInfo, TagsReader, type TagInfo } from './tags.reader.js';
import { TagsWriter } from './tags.writer.js';

const ref = (t: { id: number; name: string }): Ref => ({ id: t.id, name: t.name });
const given = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

/** Koji's build dict. */
export function buildInfo(b: BuildDoc) {
  return { ...b, state_name: BUILD_STATE_NAMES[b.state] };
}

/** Tags, build targets, builds and tagging, repos: the part of core Koji that Sidetag stands on. */
@Injectable()
export class TagsApi implements OnModuleInit {
  constructor(
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
    private readonly tags: TagsReader,
    private readonly writer: TagsWriter,
    private readonly users: UsersReader,
    private readonly policy: PolicyService,
    private readonly repos: RepoManager,
    private readonly packages: PackagesReader,
  ) {}

  onModuleInit(): void {
    const r = this.registry;
    this.policy.useTagSource(async (idOrName) => {
      const t = await this.tags.tag(idOrName);
      return t ? { id: t.id, name: t.name, extra: t.extra } : null;
    });

    // tags
    r.implement<api.CreateTagParams>(api.createTag, async (p, ctx) => {
      const parent = given(p.parent) ? await this.parentRef(p.parent) : null;
      const arches = given(p.arches) ? parseArches(p.arches) : null;
      const perm = given(p.perm) ? await this.permRef(p.perm) : null;
      return this.bus.execute(
        new CreateTag(ctx, {
          name: p.name as string,
          parent,
          arches,
          locked: p.locked,
          perm,
          mavenSupport: p.maven_support,
          mavenIncludeAll: p.maven_include_all,
          extra: p.extra ?? {},
        }),
      );
    });
    r.implement<api.EditTag2Params>(api.editTag2, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.tagInfo as TagInfo);
      await this.bus.execute(new EditTag(ctx, tag.id, await this.tagEdit(p.kwargs)));
      return null;
    });
    r.implement<api.TagInfoParams>(api.deleteTag, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.tagInfo as TagInfo);
      await this.bus.execute(new DeleteTag(ctx, tag.id));
      return null;
    });
    r.implement<api.GetTagParams>(api.getTag, async (p) => {
      const t = p.strict
        ? await this.tags.strictTag(p.tagInfo as TagInfo)
        : await this.tags.tag(p.tagInfo as TagInfo);
      if (!t) return null;
      const info = tagInfo(t);
      if (p.event !== null && p.event !== undefined) {
        // As it was then (name, settings, extra); a tag that did not exist yet is None, or Koji's error.
        const then = (await this.tags.atEvent(p.event)(t.id))?.state;
        if (!then) {
          if (p.strict) throw genericError(`No such tagInfo: ${pyRepr(p.tagInfo)}`);
          return null;
        }
        Object.assign(info, kojiTagFields(then));
      }
      if (!p.blocked)
        info.extra = Object.fromEntries(Object.entries(info.extra).filter(([, v]) => v !== null));
      return info;
    });
    r.implement<api.ListTagsParams>(api.listTags, async (p) => {
      let tags = await this.tags.rm.find<TagDoc>(TAGS, { orderBy: [['id', 'asc']] });
      if (given(p.build)) {
        const b = await this.tags.strictBuild(p.build as number | string);
        const ids = new Set(
          (await this.tags.rm.find<{ tag_id: number }>('tagged_builds', { where: { build_id: b.id } })).map(
            (x) => x.tag_id,
          ),
        );
        tags = tags.filter((t) => ids.has(t.id));
      }
      if (p.pattern) tags = tags.filter((t) => fnmatch(t.name, p.pattern!));
      return applyQueryOpts(tags.map(tagInfo), p.queryOpts);
    });
    // With `event`, the links as they were then (the tags' streams folded up to it).
    const inheritance = async (info: unknown, event: number | null | undefined) => {
      const t = await this.tags.strictTag(info as TagInfo);
      const links = given(event)
        ? ((await this.tags.atEvent(event)(t.id))?.state.inheritance ?? [])
        : t.inheritance;
      return [...links].sort((a, b) => a.priority - b.priority).map((l) => ({ ...l, child_id: t.id }));
    };
    r.implement<api.InheritanceParams>(api.getInheritanceData, (p) => inheritance(p.tag, p.event));
    r.implement<api.ReadInheritanceParams>(api.readInheritanceData, (p) => inheritance(p.tag_id, p.event));
    r.implement<api.FullInheritanceParams>(api.getFullInheritance, async (p) => {
      const t = await this.tags.strictTag(p.tag as TagInfo);
      // With `event`, the tags and their links as they were then (each stream folded up to it).
      const at = given(p.event) ? this.tags.atEvent(p.event) : null;
      const load = at ? async (id: number) => (await at(id))?.state ?? null : undefined;
      if (at && !(await at(t.id))) return [];
      if (!p.reverse) return this.tags.fullInheritance(t.id, load);
      // Koji's reverse: each descendant with its link to this tag, as its own chain reaches it.
      const descendants =
        at && given(p.event)
          ? (await this.tags.descendantsAtEvent(t.id, p.event, at)).map((d) => d.state)
          : await this.tags.descendants(t.id);
      const out = [];
      for (const other of descendants) {
        const link = (await this.tags.fullInheritance(other.id, load)).find((e) => e.parent_id === t.id);
        if (link) out.push({ ...link, tag_id: other.id, name: other.name });
      }
      return out;
    });
    r.implement<api.BuildConfigParams>(api.getBuildConfig, (p) => this.tags.buildConfig(p.tag as TagInfo));

    // targets
    r.implement<api.CreateBuildTargetParams>(api.createBuildTarget, async (p, ctx) => {
      const buildTag = await this.tags.tag(p.build_tag as TagInfo);
      if (!buildTag) throw genericError(`build tag '${String(p.build_tag)}' does not exist`);
      const destTag = await this.tags.tag(p.dest_tag as TagInfo);
      if (!destTag) throw genericError(`destination tag '${String(p.dest_tag)}' does not exist`);
      await this.bus.execute(
        new ChangeTarget(ctx, {
          kind: 'create',
          name: p.name as string,
          buildTag: ref(buildTag),
          destTag: ref(destTag),
        }),
      );
      return null;
    });
    r.implement<api.EditBuildTargetParams>(api.editBuildTarget, async (p, ctx) => {
      const target = await this.tags.strictTarget(p.buildTargetInfo as string);
      const buildTag = await this.tags.tag(p.build_tag as TagInfo);
      if (!buildTag) throw genericError(`build tag '${String(p.build_tag)}' does not exist`);
      const destTag = await this.tags.tag(p.dest_tag as TagInfo);
      if (!destTag) throw genericError(`destination tag '${String(p.dest_tag)}' does not exist`);
      await this.bus.execute(
        new ChangeTarget(ctx, {
          kind: 'edit',
          id: target.id,
          name: p.name as string,
          buildTag: ref(buildTag),
          destTag: ref(destTag),
        }),
      );
      return null;
    });
    r.implement<api.BuildTargetInfoParams>(api.deleteBuildTarget, async (p, ctx) => {
      const target = await this.tags.strictTarget(p.buildTargetInfo as string);
      await this.bus.execute(new ChangeTarget(ctx, { kind: 'delete', id: target.id }));
      return null;
    });
    r.implement<api.GetBuildTargetParams>(api.getBuildTarget, async (p) => {
      if (!given(p.info)) throw parameterError('Invalid name or id value: None');
      return p.strict ? this.tags.strictTarget(p.info as string) : this.tags.target(p.info as string);
    });
    r.implement<api.GetBuildTargetsParams>(api.getBuildTargets, async (p) => {
      let targets = await this.tags.rm.find<TargetDoc>(TARGETS, { orderBy: [['id', 'asc']] });
      if (given(p.info)) {
        const t = await this.tags.target(p.info as string);
        targets = t ? targets.filter((x) => x.id === t.id) : [];
      }
      for (const [key, field] of [
        ['buildTagID', 'build_tag'],
        ['destTagID', 'dest_tag'],
      ] as const) {
        const v = p[key];
        if (!given(v)) continue;
        const tag = await this.tags.tag(v as TagInfo);
        targets = tag ? targets.filter((x) => x[field] === tag.id) : [];
      }
      return applyQueryOpts(targets as unknown as Record<string, unknown>[], p.queryOpts);
    });

    // builds and tagging
    r.implement<api.CreateEmptyBuildParams>(api.createEmptyBuild, async (p, ctx) => {
      const owner = given(p.owner) ? await this.users.strict(p.owner) : await this.users.strict(ctx.user!.id);
      return this.bus.execute(
        new CreateEmptyBuild(ctx, p.name, p.version, p.release, p.epoch ?? null, ref(owner)),
      );
    });
    r.implement<api.GetBuildParams>(api.getBuild, async (p) => {
      const b = p.strict
        ? await this.tags.strictBuild(p.buildInfo as string)
        : await this.tags.build(p.buildInfo as string);
      return b ? buildInfo(b) : null;
    });
    r.implement<api.ListBuildsParams>(api.listBuilds, async (p) => {
      const where: Record<string, number | string> = {};
      if (given(p.taskID)) where.task_id = p.taskID;
      if (given(p.state)) where.state = p.state;
      if (given(p.userID)) where.owner_id = (await this.users.strict(p.userID as number)).id;
      if (given(p.packageID)) {
        // Koji's packageID is the package's id; a name is taken too, as lookup_package would.
        const pkg = await this.packages.find(p.packageID as PackageInfo);
        if (!pkg) return [];
        where.package_name = pkg.name;
      }
      let builds = await this.tags.rm.find<BuildDoc>(BUILDS, { where, orderBy: [['id', 'asc']] });
      if (p.prefix) builds = builds.filter((b) => b.nvr.startsWith(p.prefix!));
      if (p.pattern) builds = builds.filter((b) => fnmatch(b.nvr, p.pattern!));
      return applyQueryOpts(builds.map(buildInfo), p.queryOpts);
    });
    r.implement<api.TagBuildParams>(api.tagBuild, (p, ctx) => this.tagBuild(p, ctx));
    r.implement<api.UntagBuildParams>(api.untagBuild, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.tag as TagInfo);
      const build = await this.tags.strictBuild(p.build as string);
      const check = await this.policy.assert(
        'tag',
        { tag: null, build: build.id, fromtag: tag.id, operation: 'untag' },
        ctx,
        { force: p.force },
      );
      this.writer.assertTagAccess(tag, ctx, p.force);
      await this.bus.execute(
        new UntagBuild(ctx, tag, { id: build.id, nvr: build.nvr }, p.strict, p.force, policyMeta(check)),
      );
      return null;
    });
    r.implement<api.TagBuildBypassParams>(api.tagBuildBypass, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.tag as TagInfo);
      const build = await this.tags.strictBuild(p.build as string);
      await this.bus.execute(
        new TagBuild(ctx, {
          tag,
          build: { id: build.id, nvr: build.nvr },
          force: p.force,
          fromtag: null,
          policy: null,
          withTask: false,
        }),
      );
      return null;
    });
    r.implement<api.UntagBuildBypassParams>(api.untagBuildBypass, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.tag as TagInfo);
      const build = await this.tags.strictBuild(p.build as string);
      await this.bus.execute(
        new UntagBuild(ctx, tag, { id: build.id, nvr: build.nvr }, p.strict, p.force, null),
      );
      return null;
    });
    r.implement<api.ListTaggedParams>(api.listTagged, async (p) => {
      const tag = p.strict
        ? await this.tags.strictTag(p.tag as TagInfo)
        : await this.tags.tag(p.tag as TagInfo);
      if (!tag) return [];
      let rows = await this.tags.tagged(tag.id, p.inherit, p.event ?? null);
      if (p.prefix) rows = rows.filter((r) => r.package_name.startsWith(p.prefix!));
      if (given(p.package)) rows = rows.filter((r) => r.package_name === String(p.package));
      if (p.latest) {
        const seen = new Set<string>();
        rows = rows.filter((r) => (seen.has(r.package_name) ? false : (seen.add(r.package_name), true)));
      }
      const out = [];
      for (const row of rows) {
        const b = await this.tags.build(row.build_id);
        if (!b) continue;
        if (given(p.owner)) {
          const o = await this.users.find(p.owner as number);
          if (!o || o.id !== b.owner_id) continue;
        }
        out.push({
          ...buildInfo(b),
          tag_id: row.tag_id,
          tag_name: row.tag_name,
          create_event: row.create_event,
        });
      }
      return out;
    });

    // repos
    r.implement<api.NewRepoParams>(api.newRepo, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.tag as TagInfo);
      const opts = { src: p.src, debuginfo: p.debuginfo, separate_src: p.separate_src };
      return (
        await this.bus.execute(new NewRepo(ctx, tag, p.debuginfo || p.src || p.separate_src ? opts : null))
      ).taskId;
    });
    r.implement<api.GetRepoParams>(api.getRepo, async (p) => {
      const tag = await this.tags.strictTag(p.tag as TagInfo);
      const repo = await this.tags.latestReadyRepo(tag.id, p.min_event ?? null);
      return repo ? repoInfo(repo) : null;
    });
    r.implement<api.RepoInfoParams>(api.repoInfoMethod, async (p) => {
      const repo = await this.tags.repo(p.repo_id);
      if (!repo) {
        if (p.strict) throw genericError(`No such repo: ${p.repo_id}`);
        return null;
      }
      return {
        ...repoInfo(repo),
        state_name: Object.entries(REPO_STATES).find(([, v]) => v === repo.state)?.[0],
        builds: repo.builds,
      };
    });
    r.implement<api.RepoGetParams>(api.repoGet, async (p) => {
      const tag = await this.tags.strictTag(p.tag as TagInfo);
      const repo = await this.tags.latestReadyRepo(tag.id, p.min_event ?? null);
      return repo ? repoInfo(repo) : null;
    });
    r.implement<api.RepoRequestParams>(api.repoRequest, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.tag as TagInfo);
      const minEvent = p.min_event ?? (await this.tags.lastChangeEvent(tag.id));
      const ready = await this.tags.latestReadyRepo(tag.id, minEvent);
      if (ready && !p.force) return { repo: repoInfo(ready), request: null, duplicate: false };
      const existing = (
        await this.tags.rm.find<RepoRequestDoc>(REPO_REQUESTS, { where: { tag_id: tag.id, active: true } })
      ).find((q) => (q.min_event ?? 0) >= minEvent);
      if (existing) return { repo: null, request: await this.requestInfo(existing), duplicate: true };
      const id = await this.bus.execute(
        new RequestRepo(ctx, tag, minEvent, p.at_event ?? null, p.opts ?? null, p.priority ?? 0),
      );
      this.repos.kick();
      return {
        repo: null,
        request: await this.requestInfo(await this.tags.rm.get<RepoRequestDoc>(REPO_REQUESTS, String(id))),
        duplicate: false,
      };
    });
    r.implement<api.CheckRequestParams>(api.repoCheckRequest, async (p) => {
      const req = await this.tags.rm.get<RepoRequestDoc>(REPO_REQUESTS, String(p.req_id));
      if (!req) throw genericError(`No such repo request: ${p.req_id}`);
      const repo = req.repo_id ? await this.tags.repo(req.repo_id) : null;
      return { repo: repo ? repoInfo(repo) : null, request: await this.requestInfo(req) };
    });
    r.implement<api.TagLastChangeParams>(api.tagLastChangeEvent, async (p) => {
      const tag = await this.tags.strictTag(p.tag as TagInfo);
      return this.tags.lastChangeEvent(tag.id, p.inherit);
    });
  }

  /** A repo request as Koji's RepoQueueQuery returns it: with its task's state (`task_state`), which
   * koji.util.RepoWatcher.wait_request reads from every `repo.checkRequest` reply. */
  private async requestInfo(
    req: RepoRequestDoc | null,
  ): Promise<(RepoRequestDoc & { task_state: number | null }) | null> {
    if (!req) return null;
    const task =
      req.task_id === null ? null : await this.tags.rm.get<{ state: number }>(TASKS, String(req.task_id));
    return { ...req, task_state: task?.state ?? null };
  }

  private async parentRef(info: unknown): Promise<Ref> {
    const t = await this.tags.tag(info as TagInfo);
    if (!t)
      throw genericError(
        `Parent tag '${typeof info === 'object' ? pyRepr(info) : String(info)}' could not be found`,
      );
    return ref(t);
  }

  private async permRef(info: unknown): Promise<Ref> {
    if (typeof info === 'number') {
      const all = await this.users.rm.find<{ id: number; name: string }>('permissions', {
        where: { id: info },
      });
      if (all[0]) return ref(all[0]);
    } else if (typeof info === 'string') {
      const p = await this.users.permission(info);
      if (p) return ref(p);
    }
    throw genericError(`No such permission: ${pyRepr(info)}`);
  }

  /** Koji's editTag2 keywords, checked with Koji's messages. */
  private async tagEdit(kw: Record<string, unknown>): Promise<TagEdit> {
    const known = [
      'name',
      'arches',
      'locked',
      'perm',
      'maven_support',
      'maven_include_all',
      'extra',
      'remove_extra',
      'block_extra',
      'parent',
    ];
    for (const k of Object.keys(kw))
      if (!known.includes(k)) throw parameterError(`editTag2() got an unexpected keyword argument '${k}'`);
    const edit: TagEdit = { changes: {}, extra: {}, removeExtra: [] };
    if (kw.name !== undefined) edit.changes.name = kw.name as string;
    if (kw.arches !== undefined) edit.changes.arches = kw.arches === null ? null : parseArches(kw.arches);
    for (const [k, field] of [
      ['locked', 'locked'],
      ['maven_support', 'mavenSupport'],
      ['maven_include_all', 'mavenIncludeAll'],
    ] as const) {
      if (kw[k] === undefined) continue;
      if (typeof kw[k] !== 'boolean') throw parameterError(invalidTypeMessage(kw[k], 'bool'));
      edit.changes[field] = kw[k];
    }
    if (kw.perm !== undefined) edit.changes.perm = kw.perm === null ? null : await this.permRef(kw.perm);
    if (kw.extra !== undefined && kw.extra !== null) {
      if (typeof kw.extra !== 'object' || Array.isArray(kw.extra))
        throw parameterError(invalidTypeMessage(kw.extra, 'dict'));
      edit.extra = { ...(kw.extra as Record<string, unknown>) };
    }
    for (const key of ['remove_extra', 'block_extra'] as const) {
      const v = kw[key];
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) throw parameterError(invalidTypeMessage(v, 'list'));
      if (key === 'remove_extra') edit.removeExtra = v.map(String);
      else for (const k of v) edit.extra[String(k)] = null; // a null value blocks the inherited key
    }
    if (kw.parent !== undefined) edit.parent = kw.parent === null ? null : await this.parentRef(kw.parent);
    return edit;
  }

  /**
   * Koji's tagBuild package-list check: a blocked package is refused, and so is one the tag does not
   * list, unless neither the tag nor any ancestor lists a package at all (koji-es: a tag tree that
   * never used package lists takes every package; Koji would refuse them all).
   */
  private async packageError(tag: TagDoc, pkg: string): Promise<string | null> {
    const entry = await this.packages.entry(tag.id, pkg);
    if (entry?.blocked) return `Package ${pkg} blocked in ${tag.name}`;
    if (!entry && (await this.packages.hasList(tag.id))) return `Package ${pkg} not in list for ${tag.name}`;
    return null;
  }

  /**
   * Koji's tagBuild, in its order: complete build, access to the tags, the package list, the tag
   * policy, then the task.
   */
  private async tagBuild(p: api.TagBuildParams, ctx: CallContext) {
    const tag = await this.tags.strictTag(p.tag as TagInfo);
    const build = await this.tags.strictBuild(p.build as string);
    if (build.state !== BUILD_STATES.COMPLETE)
      throw new KojiError(
        'TagError',
        `build ${build.nvr} not complete: state ${BUILD_STATE_NAMES[build.state]}`,
      );
    const fromtag = given(p.fromtag) ? await this.tags.strictTag(p.fromtag as TagInfo) : null;
    this.writer.assertTagAccess(tag, ctx, p.force);
    if (fromtag) this.writer.assertTagAccess(fromtag, ctx, p.force);
    const pkgError = await this.packageError(tag, build.package_name);
    if (pkgError && !(p.force && hasPerm(ctx.user, 'admin'))) throw new KojiError('TagError', pkgError);
    const check = await this.policy.assert(
      'tag',
      { tag: tag.id, build: build.id, fromtag: fromtag?.id ?? null, operation: fromtag ? 'move' : 'tag' },
      ctx,
      { force: p.force },
    );
    return this.bus.execute(
      new TagBuild(ctx, {
        tag,
        build: { id: build.id, nvr: build.nvr },
        force: p.force,
        fromtag,
        policy: policyMeta(check),
        withTask: true,
        ...(pkgError ? { listPackage: build.package_name } : {}),
      }),
    );
  }
}

export function policyMeta(check: {
  policy: string;
  result: string;
  reason: string;
  trail: readonly unknown[];
  missing: boolean;
  forced: boolean;
}) {
  return {
    name: check.policy,
    result: check.result,
    reason: check.reason,
    trail: check.trail,
    missing: check.missing,
    forced: check.forced,
  };
}
