import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { HUB_CONFIG, STORE_BACKEND } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import type { StoreBackend } from '../../eventstore/open.js';
import { ProjectionRunner } from '../../eventstore/projection-runner.js';
import { ScheduledJob } from '../../eventstore/scheduled-job.js';
import { CLOCK, type Clock } from '../../kernel/clock.js';
import { actionNotAllowed, genericError, isKojiError } from '../../kernel/errors.js';
import { internalContext, type CallContext } from '../../rpc/context.js';
import { applyQueryOpts } from '../../rpc/query-opts.js';
import type { IdOrName, QueryOpts } from '../../rpc/validators.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { PostUntagHooks, TagDeleteHooks } from '../tags/post-untag.js';
import { RepoManager } from '../tags/repo-manager.js';
import { TagsReader, type TagInfo } from '../tags/tags.reader.js';
import { UsersReader } from '../users/users.reader.js';
import {
  hubCleanupSchedule,
  removalDue,
  selectForCleanup,
  type CleanupOptions,
  type Selected,
  type Stage,
} from './sidetag.cleanup.js';
import {
  ChangeCoOwner,
  CreateSideTag,
  EditSideTag,
  HoldSideTag,
  RemoveSideTag,
  removeEmptyHook,
  SetSideTagExpiry,
  TransferSideTag,
  SidetagRemover,
} from './sidetag.commands.js';
import * as api from './sidetag.contract.js';
import {
  assertMayHold,
  assertOwnSidetag,
  checkLabel,
  checkSuffix,
  decideEdit,
  isSidetag,
} from './sidetag.decider.js';
import { SIDETAGS, type SidetagDoc } from './sidetag.projection.js';

/** Fields listSideTags can order by in the read-model query: the same values as in the reply. */
const ORDER = new Set(['id', 'name', 'user_name']);
const VERBOSE_ORDER = new Set([
  ...ORDER,
  'basetag_id',
  'basetag_name',
  'create_ts',
  'last_change_ts',
  'builds',
  'expires_ts',
]);

export interface CleanupRequest {
  test: boolean;
  stages: Partial<Record<Stage, number>>;
  ignore: string[];
}

/** The Sidetag plugin's API, its remove_empty hook and the hub's own cleanup schedule. */
@Injectable()
export class SidetagApi implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('sidetag');
  private readonly job: ScheduledJob;

  constructor(
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
    private readonly tags: TagsReader,
    private readonly users: UsersReader,
    private readonly remover: SidetagRemover,
    private readonly untagHooks: PostUntagHooks,
    private readonly deleteHooks: TagDeleteHooks,
    private readonly repos: RepoManager,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(STORE_BACKEND) backend: StoreBackend,
    @Inject(CLOCK) private readonly clock: Clock,
    runner: ProjectionRunner,
  ) {
    this.job = new ScheduledJob({
      name: 'sidetag-cleanup',
      everyMs: config.sidetag.cleanupIntervalMs,
      backend,
      runner,
      pass: (log) => this.scheduledCleanup(log),
    });
  }

  onModuleInit(): void {
    if (this.config.sidetag.removeEmpty)
      this.untagHooks.register('sidetag.remove_empty', removeEmptyHook(this.remover, this.log));
    // Deleting a sidetag as a plain tag still records the removal and frees the owner's quota.
    this.deleteHooks.register('sidetag', async (uow, tag) => {
      if (isSidetag(tag)) await this.remover.recordRemoval(uow, tag, 'requested', uow.meta.actor ?? null);
    });
    const r = this.registry;
    r.implement<api.CreateSideTagParams>(api.createSideTag, async (p, ctx) => {
      checkSuffix(p.suffix, this.config.sidetag.allowedSuffixes);
      if (!ctx.user) throw actionNotAllowed('you must be logged in for this operation');
      await this.users.strict(ctx.user.id);
      const label = checkLabel(p.label);
      const base = await this.baseOf(p);
      const result = await this.bus.execute(
        new CreateSideTag(
          ctx,
          { id: base.id, name: base.name, arches: base.arches },
          truthy(p.debuginfo),
          p.suffix ?? null,
          label,
        ),
      );
      if (result.request !== null) this.repos.kick();
      const request =
        result.request === null ? null : await this.tags.rm.get('repo_requests', String(result.request));
      return { ...result, request };
    });
    r.implement<api.SidetagParams>(api.removeSideTag, async (p, ctx) => {
      const tag = await this.owned(p.sidetag, ctx);
      await this.bus.execute(new RemoveSideTag(ctx, tag.id, 'requested', false));
      return null;
    });
    r.implement<api.ListSideTagsParams>(api.listSideTags, async (p) => {
      const where: Record<string, number | string> = {};
      if (p.basetag !== null && p.basetag !== undefined)
        where.basetag_id = (await this.tags.strictTag(p.basetag as TagInfo)).id;
      if (p.label !== null && p.label !== undefined) where.label = p.label;
      if (p.user !== null && p.user !== undefined) where.user_id = (await this.users.strict(p.user)).id;
      const q = p.queryOpts as (QueryOpts & { extra?: boolean }) | null | undefined;
      const verbose = !!q?.extra;
      if (q?.countOnly) return this.tags.rm.count(SIDETAGS, where);
      // Order, offset and limit go into the read-model query when the order is one field the
      // documents hold as listed; anything else (user_id, text in the reply but a number in the
      // documents; several fields) is done in memory after the whole filtered list, as before.
      const order = /^(-?)([A-Za-z_]+)$/.exec(q?.order ?? '');
      const due = p.due ?? null;
      const pushed =
        due === null && (!q?.order || (!!order && (verbose ? VERBOSE_ORDER : ORDER).has(order[2])));
      let docs = await this.tags.rm.find<SidetagDoc>(SIDETAGS, {
        where,
        orderBy:
          pushed && order
            ? [
                [order[2], order[1] ? 'desc' : 'asc'],
                ['id', 'asc'],
              ]
            : [['id', 'asc']],
        ...(pushed && q ? { limit: q.limit ?? undefined, offset: q.offset ?? undefined } : {}),
      });
      const schedule = this.schedule();
      if (due !== null) {
        const by = this.clock.now().getTime() / 1000 + due * 86400;
        docs = docs.filter((d) => {
          const at = schedule ? removalDue(d, schedule) : null;
          return at !== null && at.ts <= by;
        });
      }
      // Koji returns user_id as the tag_extra text, a string: scripts compare it that way.
      const rows = docs.map((d) => ({
        id: d.id,
        name: d.name,
        user_id: d.user_id === null ? null : String(d.user_id),
        user_name: d.user_name,
        ...(verbose
          ? {
              label: d.label ?? null,
              expires_ts: d.expires_ts ?? null,
              basetag_id: d.basetag_id,
              basetag_name: d.basetag_name,
              hold: d.hold,
              create_ts: d.create_ts,
              last_change_ts: d.last_change_ts,
              builds: d.builds,
              ...dueFields(schedule ? removalDue(d, schedule) : null),
            }
          : {}),
      }));
      return pushed ? rows : applyQueryOpts(rows, q);
    });
    r.implement<api.EditSideTagParams>(api.editSideTag, async (p, ctx) => {
      await this.users.strict(ctx.user!.id);
      const tag = await this.tags.strictTag(p.sidetag as TagInfo);
      const facts = { id: tag.id, name: tag.name, extra: tag.extra };
      let parent = null;
      if (isSidetag(facts) && tag.inheritance.length) {
        const first = [...tag.inheritance].sort((a, b) => a.priority - b.priority)[0];
        const pt = await this.tags.tag(first.parent_id);
        if (pt) parent = { id: pt.id, name: pt.name, extra: pt.extra };
      }
      const edit = decideEdit({
        sidetag: facts,
        parent,
        user: ctx.user!,
        debuginfo: p.debuginfo === null || p.debuginfo === undefined ? null : truthy(p.debuginfo),
        rpmMacros: p.rpm_macros,
        removeRpmMacros: p.remove_rpm_macros,
        extra: p.extra,
        removeExtra: p.remove_extra,
      });
      await this.bus.execute(new EditSideTag(ctx, tag.id, edit.extra, edit.removeExtra));
      return null;
    });
    r.implement<api.HoldSideTagParams>(api.holdSideTag, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.sidetag as TagInfo);
      assertMayHold({ id: tag.id, name: tag.name, extra: tag.extra }, ctx.user!);
      await this.bus.execute(new HoldSideTag(ctx, tag.id, p.reason));
      return null;
    });
    r.implement<api.SetSideTagExpiryParams>(api.setSideTagExpiry, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.sidetag as TagInfo);
      assertMayHold({ id: tag.id, name: tag.name, extra: tag.extra }, ctx.user!);
      const days = p.days ?? null;
      const expires = days === null ? null : new Date(ctx.now.getTime() + days * 86_400_000).toISOString();
      await this.bus.execute(new SetSideTagExpiry(ctx, tag.id, expires));
      return null;
    });
    r.implement<api.SidetagParams>(api.releaseSideTag, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.sidetag as TagInfo);
      assertMayHold({ id: tag.id, name: tag.name, extra: tag.extra }, ctx.user!);
      await this.bus.execute(new HoldSideTag(ctx, tag.id, null));
      return null;
    });
    const coOwner = (add: boolean) => async (p: api.SidetagUserParams, ctx: CallContext) => {
      await this.users.strict(ctx.user!.id);
      const tag = await this.tags.strictTag(p.sidetag as TagInfo);
      const user = await this.users.strict(p.user as IdOrName);
      await this.bus.execute(new ChangeCoOwner(ctx, tag.id, { id: user.id, name: user.name }, add));
      return null;
    };
    r.implement<api.SidetagUserParams>(api.addSideTagOwner, coOwner(true));
    r.implement<api.SidetagUserParams>(api.removeSideTagOwner, coOwner(false));
    r.implement<api.SidetagUserParams>(api.transferSideTag, async (p, ctx) => {
      await this.users.strict(ctx.user!.id);
      const tag = await this.tags.strictTag(p.sidetag as TagInfo);
      const to = await this.users.strict(p.user as IdOrName);
      await this.bus.execute(new TransferSideTag(ctx, tag.id, { id: to.id, name: to.name }));
      return null;
    });
    r.implement<api.CleanupSideTagsParams>(api.cleanupSideTags, async (p, ctx) => {
      const stages: Partial<Record<Stage, number>> = {};
      if (p.expired ?? true) stages.expired = 0;
      if (p.empty) stages.empty = p.empty_delay;
      if (p.old) stages.old = p.old_delay;
      if (p.inactive) stages.inactive = p.inactive_delay;
      return this.cleanup(ctx, { test: p.test, stages, ignore: p.ignore_tags ?? [] });
    });
  }

  /**
   * The base tag: `basetag` as Koji, or (koji-es, spec §8.2) the build tag of `target` when basetag
   * is None — a target such as rawhide follows branching, where a fixed base tag name goes stale.
   */
  private async baseOf(p: api.CreateSideTagParams) {
    const given = (v: unknown) => v !== null && v !== undefined;
    if (given(p.target)) {
      if (given(p.basetag))
        throw genericError('give a base tag or a target to take the build tag of, not both');
      const t = await this.tags.strictTarget(p.target!);
      return this.tags.strictTag(t.build_tag);
    }
    return this.tags.strictTag(p.basetag as TagInfo);
  }

  private async owned(info: unknown, ctx: CallContext) {
    await this.users.strict(ctx.user!.id);
    const tag = await this.tags.strictTag(info as TagInfo);
    assertOwnSidetag({ id: tag.id, name: tag.name, extra: tag.extra }, ctx.user!);
    return tag;
  }

  /** One cleanup run: select (held and ignored sidetags never), then remove each with its reason. */
  async cleanup(
    ctx: CallContext,
    req: CleanupRequest,
  ): Promise<(Selected & { removed: boolean; error?: string })[]> {
    const docs = await this.tags.rm.find<SidetagDoc>(SIDETAGS, { orderBy: [['id', 'asc']] });
    const { selected } = selectForCleanup(docs, ctx.now.getTime() / 1000, {
      stages: req.stages,
      ignore: req.ignore,
    });
    const out: (Selected & { removed: boolean; error?: string })[] = [];
    for (const s of selected) {
      if (req.test) {
        out.push({ ...s, removed: false });
        continue;
      }
      try {
        await this.bus.execute(new RemoveSideTag(ctx, s.id, `cleanup-${s.stage}`, true));
        out.push({ ...s, removed: true });
      } catch (e) {
        out.push({
          ...s,
          removed: false,
          error: isKojiError(e) ? `${e.faultName}: ${e.message}` : String(e),
        });
      }
    }
    return out;
  }

  onApplicationBootstrap(): void {
    if (this.schedule()) this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  private schedule(): CleanupOptions | null {
    return hubCleanupSchedule(this.config.sidetag);
  }

  /** The hub's own cleanup (`cleanup_interval`): what it removed, and what it could not, go to the hub log. */
  private async scheduledCleanup(log: Logger): Promise<void> {
    const schedule = this.schedule();
    if (!schedule) return;
    const ctx = internalContext(`sidetag-cleanup-${randomUUID()}`, this.clock.now());
    const report = await this.cleanup(ctx, { test: false, ...schedule });
    for (const r of report)
      if (r.removed) log.log(`removed sidetag ${r.name} (${r.stage})`);
      else log.warn(`kept sidetag ${r.name} (${r.stage}): ${r.error}`);
  }
}

/** listSideTags' `removal_due_ts` and `removal_stage`: when the hub's cleanup would remove it. */
function dueFields(due: { stage: Stage; ts: number } | null) {
  return { removal_due_ts: due?.ts ?? null, removal_stage: due?.stage ?? null };
}

function truthy(v: unknown): boolean {
  return !(v === undefined || v === null || v === false || v === 0 || v === '');
}
