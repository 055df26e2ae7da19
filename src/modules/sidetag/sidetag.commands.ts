import { Inject, Injectable, Logger } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { HUB_CONFIG } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import { CommandService } from '../../eventstore/commands.service.js';
import { WrongExpectedVersionError } from '../../eventstore/errors.js';
import { genericError, isKojiError } from '../../kernel/errors.js';
import { KeyedMutex } from '../../kernel/keyed-mutex.js';
import type { EmitOptions, UnitOfWork } from '../../kernel/unit-of-work.js';
import type { CallContext } from '../../rpc/context.js';
import { PolicyService } from '../policy/policy.service.js';
import { policyMeta } from '../tags/tags.api.js';
import type { TagState } from '../tags/tag.decider.js';
import type { Ref } from '../tags/tags.events.js';
import { TagsReader } from '../tags/tags.reader.js';
import { loadTag, loadTarget, TagsWriter } from '../tags/tags.writer.js';
import {
  checkTarget,
  CO_OWNERS,
  decideCoOwner,
  decideTransfer,
  evolveLabel,
  evolveQuota,
  evolveSideTag,
  initialLabel,
  initialQuota,
  initialSideTag,
  isSidetag,
  labelStream,
  movePerBasetag,
  numberOfTags,
  perBasetag,
  sidetagExtra,
  sidetagName,
  type LabelState,
  type QuotaState,
  type SideTagState,
} from './sidetag.decider.js';
import type { LabelEvent, QuotaEvent, ReleaseReason, RemovalReason, SideTagEvent } from './sidetag.events.js';

export const loadQuota = (uow: UnitOfWork, userId: number) =>
  uow.load<QuotaState, QuotaEvent>(`sidetag-user-${userId}`, evolveQuota, initialQuota);

/** The user's live sidetags, in all and per base tag id. */
export interface QuotaCount {
  count: number;
  perBasetag: Record<string, number>;
}

/**
 * The user's number of live sidetags, in all and per base tag, at the version the append will expect:
 * the stream's version, then its last event, which carries both — so a user with thousands of
 * sidetags behind them costs one row, not the whole stream. If the stream grew between the two reads,
 * that is a conflict (retried). Streams written before the counts were recorded are folded whole, and
 * a sidetag whose quota event did not name its base tag is looked up in its own stream. One quota
 * event per user per unit of work.
 */
export async function quotaCount(uow: UnitOfWork, userId: number): Promise<QuotaCount> {
  const stream = `sidetag-user-${userId}`;
  const version = await uow.version(stream);
  if (version === 0) return { count: 0, perBasetag: {} };
  const [last] = await uow.store.readStream(stream, { direction: 'backward', maxCount: 1 });
  if (!last || last.streamVersion !== version)
    throw new WrongExpectedVersionError(stream, version, last?.streamVersion ?? 0);
  const recorded = last.data as { count?: unknown; perBasetag?: unknown };
  if (typeof recorded.count === 'number' && recorded.perBasetag && typeof recorded.perBasetag === 'object')
    return { count: recorded.count, perBasetag: recorded.perBasetag as Record<string, number> };
  const state = await loadQuota(uow, userId);
  const bases = { ...state.bases };
  for (const id of Object.keys(state.active)) {
    if (bases[id] !== undefined) continue;
    // Not a read of the unit of work: the sidetag's creation is a fact that does not change.
    const [created] = await uow.store.readStream(`sidetag-${id}`, { maxCount: 1 });
    const base = (created?.data as { basetag?: { id?: unknown } } | undefined)?.basetag?.id;
    if (typeof base === 'number') bases[id] = base;
  }
  return { count: numberOfTags(state), perBasetag: perBasetag(bases) };
}
export const loadLabel = (uow: UnitOfWork, stream: string) =>
  uow.load<LabelState, LabelEvent>(stream, evolveLabel, initialLabel);
export const loadSideTag = (uow: UnitOfWork, id: number) =>
  uow.load<SideTagState, SideTagEvent>(`sidetag-${id}`, evolveSideTag, initialSideTag);

/**
 * One sidetag taken on (`reason` null) or given back to a user's quota stream, with both counts after
 * it, from `q`, the counts quotaCount read for this unit of work. A base is null only for a sidetag
 * whose creation did not record one.
 */
function emitQuota(
  uow: UnitOfWork,
  userId: number,
  q: QuotaCount,
  sidetag: Ref,
  base: Ref | null,
  reason: ReleaseReason | null,
  opts: EmitOptions = {},
): void {
  const by = reason === null ? 1 : -1;
  const data = {
    userId,
    sidetag,
    count: Math.max(0, q.count + by),
    ...(base ? { basetag: base, perBasetag: movePerBasetag(q.perBasetag, base.id, by) } : {}),
  };
  uow.emit(
    `sidetag-user-${userId}`,
    [
      reason === null
        ? { type: 'SideTagQuotaTaken', data }
        : { type: 'SideTagQuotaReleased', data: { ...data, reason } },
    ],
    opts,
  );
}

/** Frees the label a sidetag holds on its owner's label stream, if it still holds it. */
async function releaseLabel(uow: UnitOfWork, st: SideTagState, sidetag: Ref, causationId?: string) {
  if (!st.label || !st.quotaUser) return;
  const { label, basetag } = st.label;
  const stream = labelStream(st.quotaUser.id, basetag.id, label);
  if ((await loadLabel(uow, stream)).sidetag?.id === sidetag.id)
    uow.emit(
      stream,
      [{ type: 'SideTagLabelReleased', data: { label, userId: st.quotaUser.id, basetag, sidetag } }],
      { causationId },
    );
}

const ownerOf = (t: TagState): Ref | null => {
  const id = t.extra.sidetag_user_id;
  if (id === undefined || id === null) return null;
  return { id: Number(id), name: String(t.extra.sidetag_user ?? '') };
};

/**
 * Every way a sidetag goes (removeSideTag, remove_empty, cleanup, deleting the tag) ends here, in the
 * caller's unit of work: Koji's _remove_sidetag checks, the target and the tag deleted, the reason
 * recorded, and the owner's quota stream decremented — one atomic append.
 */
@Injectable()
export class SidetagRemover {
  constructor(
    private readonly tags: TagsReader,
    private readonly writer: TagsWriter,
  ) {}

  async removeIn(
    uow: UnitOfWork,
    tag: TagState,
    reason: RemovalReason,
    by: Ref | null,
    causationId?: string,
  ): Promise<void> {
    const targetDoc = await this.tags.target(tag.name);
    const target = targetDoc ? await loadTarget(uow, targetDoc.id) : null;
    checkTarget(
      { id: tag.id, name: tag.name, extra: tag.extra },
      target && target.exists ? { build_tag: target.buildTag!.id, dest_tag: target.destTag!.id } : null,
    );
    await this.recordRemoval(uow, tag, reason, by, causationId);
    await this.writer.deleteTag(uow, tag.id);
  }

  /** SideTagRemoved and the quota release, unless this unit of work already recorded them. */
  async recordRemoval(
    uow: UnitOfWork,
    tag: TagState,
    reason: RemovalReason,
    by: Ref | null,
    causationId?: string,
  ): Promise<void> {
    const st = await loadSideTag(uow, tag.id);
    if (st.removed) return;
    const owner = ownerOf(tag);
    const time = uow.meta.now.toISOString();
    uow.emit(
      `sidetag-${tag.id}`,
      [{ type: 'SideTagRemoved', data: { id: tag.id, name: tag.name, owner, reason, by, time } }],
      {
        causationId,
      },
    );
    // The quota goes back to whoever createSideTag took it from (an admin-marked tag took none).
    const sidetag = { id: tag.id, name: tag.name };
    if (st.exists && st.quotaUser) {
      const userId = st.quotaUser.id;
      emitQuota(uow, userId, await quotaCount(uow, userId), sidetag, st.basetag, reason, { causationId });
    }
    // The label is free again for a new sidetag of the same owner and base tag.
    await releaseLabel(uow, st, sidetag, causationId);
  }
}

export interface CreateResult {
  name: string;
  id: number;
  task_id: null;
  request: number | null;
  /** With a label only: false when the owner's sidetag with that label was returned. */
  created?: boolean;
  label?: string;
}

export class CreateSideTag extends Command<CreateResult> {
  constructor(
    readonly ctx: CallContext,
    readonly basetag: { id: number; name: string; arches: string | null },
    readonly debuginfo: boolean,
    readonly suffix: string | null,
    readonly label: string | null = null,
  ) {
    super();
  }
}

@CommandHandler(CreateSideTag)
export class CreateSideTagHandler implements ICommandHandler<CreateSideTag, CreateResult> {
  /** Creations for one user run one at a time in this hub, so the optimistic append rarely conflicts. */
  private readonly perUser = new KeyedMutex();

  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
    private readonly policy: PolicyService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async execute(c: CreateSideTag): Promise<CreateResult> {
    const user = c.ctx.user!;
    const cfg = this.config.sidetag;
    return this.perUser.run(`sidetag-user-${user.id}`, async () => {
      const { result } = await this.commands.run(c.ctx, async (uow) => {
        // Get-or-create: the label's stream, read at the version this append expects, names the live
        // sidetag holding it; two creations with one label conflict and the retry finds the first.
        const labelled = c.label ? labelStream(user.id, c.basetag.id, c.label) : null;
        if (labelled) {
          const held = (await loadLabel(uow, labelled)).sidetag;
          if (held)
            return {
              name: held.name,
              id: held.id,
              task_id: null,
              request: null,
              created: false,
              label: c.label!,
            } satisfies CreateResult;
        }
        // The count the policy sees is the quota stream folded at the version this append expects:
        // a concurrent creation by the same user makes the append conflict, and the retry recounts.
        const { count, perBasetag: per } = await quotaCount(uow, user.id);
        const check = await this.policy.assert(
          'sidetag',
          {
            tag: c.basetag.id,
            number_of_tags: count,
            // koji-es: the count on this base tag alone, for a quota per base tag (spec §7 T3)
            number_of_tags_on_basetag: per[c.basetag.id] ?? 0,
          },
          c.ctx,
        );
        const meta = { policy: policyMeta(check) };
        const id = await uow.allocateId('tag');
        const name = sidetagName(cfg.nameTemplate, c.basetag.name, id, c.suffix);
        // The caller never typed this name, so Koji's "too long" alone would not tell them what to change.
        const max = this.config.hub.maxNameLengthInternal;
        if (max && name.length > max)
          throw genericError(
            `Name ${name} is too long. Max length is ${max} characters: the sidetag name is made from ` +
              `the base tag '${c.basetag.name}'${c.suffix ? ` and the suffix '${c.suffix}'` : ''} ` +
              `(name_template ${cfg.nameTemplate}); use a shorter ${c.suffix ? 'base tag or suffix' : 'base tag'}`,
          );
        const base = { id: c.basetag.id, name: c.basetag.name };
        try {
          await this.writer.createTag(
            uow,
            {
              name,
              parent: base,
              arches: c.basetag.arches,
              locked: false,
              perm: null,
              mavenSupport: false,
              mavenIncludeAll: false,
              extra: sidetagExtra(user, c.debuginfo),
            },
            id,
          );
          await this.writer.createTarget(uow, name, { id, name }, { id, name });
        } catch (e) {
          // Another hub committed the same id after this attempt read `ids-tag`, and the name made from
          // it is now taken by that hub's sidetag. That is a conflict, not the caller's error: retry.
          const head = await uow.store.streamVersion('ids-tag');
          if (isKojiError(e) && head >= id) throw new WrongExpectedVersionError('ids-tag', id - 1, head);
          throw e;
        }
        let request: number | null = null;
        if (cfg.triggerNewRepo) {
          request = await uow.allocateId('repoqueue');
          await uow.read(`repoqueue-${request}`);
          uow.emit(`repoqueue-${request}`, [
            {
              type: 'RepoRequested',
              data: {
                id: request,
                tag: { id, name },
                minEvent: null,
                atEvent: null,
                opts: null,
                priority: 0,
                owner: { id: user.id, name: user.name },
                time: uow.meta.now.toISOString(),
              },
            },
          ]);
        }
        await loadSideTag(uow, id);
        const who = { id: user.id, name: user.name };
        uow.emit(
          `sidetag-${id}`,
          [
            {
              type: 'SideTagCreated',
              data: {
                id,
                name,
                user: who,
                basetag: base,
                debuginfo: c.debuginfo,
                suffix: c.suffix,
                time: uow.meta.now.toISOString(),
                ...(c.label ? { label: c.label } : {}),
              },
            },
          ],
          { metadata: meta },
        );
        if (labelled)
          uow.emit(labelled, [
            {
              type: 'SideTagLabelClaimed',
              data: { label: c.label!, userId: user.id, basetag: base, sidetag: { id, name } },
            },
          ]);
        emitQuota(uow, user.id, { count, perBasetag: per }, { id, name }, base, null, { metadata: meta });
        return {
          name,
          id,
          task_id: null,
          request,
          ...(c.label ? { created: true, label: c.label } : {}),
        } satisfies CreateResult;
      });
      return result;
    });
  }
}

export class RemoveSideTag extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tagId: number,
    readonly reason: RemovalReason,
    /** Cleanup and remove_empty leave held sidetags alone; an explicit removal does not. */
    readonly respectHold: boolean,
  ) {
    super();
  }
}

@CommandHandler(RemoveSideTag)
export class RemoveSideTagHandler implements ICommandHandler<RemoveSideTag, void> {
  constructor(
    private readonly commands: CommandService,
    private readonly remover: SidetagRemover,
  ) {}

  async execute(c: RemoveSideTag): Promise<void> {
    const by = c.ctx.user ? { id: c.ctx.user.id, name: c.ctx.user.name } : null;
    await this.commands.run(c.ctx, async (uow) => {
      const tag = await loadTag(uow, c.tagId);
      if (!tag.exists) throw genericError(`No such tagInfo: ${c.tagId}`);
      if (c.respectHold && (await loadSideTag(uow, c.tagId)).hold)
        throw genericError(`sidetag ${tag.name} is held`);
      await this.remover.removeIn(uow, tag, c.reason, by);
    });
  }
}

export class EditSideTag extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tagId: number,
    readonly extra: Record<string, unknown>,
    readonly removeExtra: string[],
  ) {
    super();
  }
}

@CommandHandler(EditSideTag)
export class EditSideTagHandler implements ICommandHandler<EditSideTag, void> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
  ) {}

  async execute(c: EditSideTag): Promise<void> {
    const by = { id: c.ctx.user!.id, name: c.ctx.user!.name };
    await this.commands.run(c.ctx, async (uow) => {
      const s = await loadTag(uow, c.tagId);
      if (!s.exists) throw genericError(`No such tagInfo: ${c.tagId}`);
      const { events } = this.writer.applyTag(uow, s, {
        kind: 'edit',
        changes: {},
        extra: c.extra,
        removeExtra: c.removeExtra,
      });
      const edited = events[0];
      if (edited?.type !== 'TagEdited') return;
      await loadSideTag(uow, s.id);
      uow.emit(`sidetag-${s.id}`, [
        {
          type: 'SideTagEdited',
          data: {
            id: s.id,
            name: s.name,
            by,
            extraSet: edited.data.extraSet,
            extraRemoved: edited.data.extraRemoved,
          },
        },
      ]);
    });
  }
}

export class ChangeCoOwner extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tagId: number,
    readonly user: Ref,
    readonly add: boolean,
  ) {
    super();
  }
}

/** addSideTagOwner / removeSideTagOwner: decided on the tag as it is at the append's version. */
@CommandHandler(ChangeCoOwner)
export class ChangeCoOwnerHandler implements ICommandHandler<ChangeCoOwner, void> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
  ) {}

  async execute(c: ChangeCoOwner): Promise<void> {
    const caller = c.ctx.user!;
    const by = { id: caller.id, name: caller.name };
    await this.commands.run(c.ctx, async (uow) => {
      const s = await loadTag(uow, c.tagId);
      if (!s.exists) throw genericError(`No such tagInfo: ${c.tagId}`);
      const list = decideCoOwner(s, caller, c.add ? { add: c.user } : { remove: c.user });
      if (list === null) return;
      this.writer.applyTag(uow, s, {
        kind: 'edit',
        changes: {},
        extra: list.length ? { [CO_OWNERS]: list } : {},
        removeExtra: list.length ? [] : [CO_OWNERS],
      });
      await loadSideTag(uow, s.id);
      uow.emit(`sidetag-${s.id}`, [
        {
          type: c.add ? 'SideTagCoOwnerAdded' : 'SideTagCoOwnerRemoved',
          data: { id: s.id, name: s.name, user: c.user, by },
        },
      ]);
    });
  }
}

export class TransferSideTag extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tagId: number,
    readonly to: Ref,
  ) {
    super();
  }
}

/**
 * transferSideTag, in one append: the owner keys of the tag's extra, the quota from the old owner's
 * stream to the new one's (the `sidetag` policy judges the new owner as if they created it, so a
 * transfer is no way around a quota), and the label, which the new owner must not hold already.
 */
@CommandHandler(TransferSideTag)
export class TransferSideTagHandler implements ICommandHandler<TransferSideTag, void> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
    private readonly policy: PolicyService,
  ) {}

  async execute(c: TransferSideTag): Promise<void> {
    const caller = c.ctx.user!;
    const by = { id: caller.id, name: caller.name };
    await this.commands.run(c.ctx, async (uow) => {
      const s = await loadTag(uow, c.tagId);
      if (!s.exists) throw genericError(`No such tagInfo: ${c.tagId}`);
      const edit = decideTransfer(s, caller, c.to);
      const st = await loadSideTag(uow, s.id);
      const from = ownerOf(s) ?? st.quotaUser;
      const base = st.basetag;
      const q = await quotaCount(uow, c.to.id);
      const check = await this.policy.assert(
        'sidetag',
        {
          tag: base?.id ?? null,
          number_of_tags: q.count,
          number_of_tags_on_basetag: base ? (q.perBasetag[base.id] ?? 0) : 0,
          user_id: c.to.id,
        },
        c.ctx,
      );
      const meta = { policy: policyMeta(check) };
      this.writer.applyTag(uow, s, {
        kind: 'edit',
        changes: {},
        extra: edit.extra,
        removeExtra: edit.removeExtra,
      });
      const sidetag = { id: s.id, name: s.name };
      if (st.exists && st.quotaUser) {
        const old = await quotaCount(uow, st.quotaUser.id);
        emitQuota(uow, st.quotaUser.id, old, sidetag, base, 'transferred');
        emitQuota(uow, c.to.id, q, sidetag, base, null, { metadata: meta });
      }
      if (st.label && st.quotaUser) {
        const { label, basetag } = st.label;
        const newStream = labelStream(c.to.id, basetag.id, label);
        const held = (await loadLabel(uow, newStream)).sidetag;
        if (held)
          throw genericError(
            `${c.to.name} has a sidetag labelled ${label} on ${basetag.name} already (${held.name}): remove or transfer one of them first`,
          );
        await releaseLabel(uow, st, sidetag);
        uow.emit(newStream, [
          { type: 'SideTagLabelClaimed', data: { label, userId: c.to.id, basetag, sidetag } },
        ]);
      }
      uow.emit(
        `sidetag-${s.id}`,
        [
          {
            type: 'SideTagTransferred',
            data: { id: s.id, name: s.name, from, to: c.to, by },
          },
        ],
        { metadata: meta },
      );
    });
  }
}

export class SetSideTagExpiry extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tagId: number,
    /** ISO time, or null to clear. */
    readonly expires: string | null,
  ) {
    super();
  }
}

@CommandHandler(SetSideTagExpiry)
export class SetSideTagExpiryHandler implements ICommandHandler<SetSideTagExpiry, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: SetSideTagExpiry): Promise<void> {
    const by = { id: c.ctx.user!.id, name: c.ctx.user!.name };
    await this.commands.run(c.ctx, async (uow) => {
      const tag = await loadTag(uow, c.tagId);
      if (!tag.exists || !isSidetag(tag)) throw genericError(`Not a sidetag: ${tag.name || c.tagId}`);
      await loadSideTag(uow, c.tagId);
      uow.emit(`sidetag-${tag.id}`, [
        { type: 'SideTagExpirySet', data: { id: tag.id, name: tag.name, expires: c.expires, by } },
      ]);
    });
  }
}

export class HoldSideTag extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tagId: number,
    /** A reason to hold, or null to release. */
    readonly reason: string | null,
  ) {
    super();
  }
}

@CommandHandler(HoldSideTag)
export class HoldSideTagHandler implements ICommandHandler<HoldSideTag, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: HoldSideTag): Promise<void> {
    const by = { id: c.ctx.user!.id, name: c.ctx.user!.name };
    await this.commands.run(c.ctx, async (uow) => {
      const tag = await loadTag(uow, c.tagId);
      if (!tag.exists || !isSidetag(tag)) throw genericError(`Not a sidetag: ${tag.name || c.tagId}`);
      const st = await loadSideTag(uow, c.tagId);
      const time = uow.meta.now.toISOString();
      if (c.reason !== null) {
        if (st.hold?.reason === c.reason) return;
        uow.emit(`sidetag-${tag.id}`, [
          { type: 'SideTagHeld', data: { id: tag.id, name: tag.name, by, reason: c.reason, time } },
        ]);
      } else {
        if (!st.hold) throw genericError(`sidetag ${tag.name} is not held`);
        uow.emit(`sidetag-${tag.id}`, [
          { type: 'SideTagReleased', data: { id: tag.id, name: tag.name, by, time } },
        ]);
      }
    });
  }
}

/**
 * remove_empty (spec §2.8) as a post-untag hook: in the untag's own unit of work, a sidetag left with
 * no build is removed, caused by the untag. A build tagged meanwhile makes the append conflict; the
 * retry sees it and removes nothing. Held sidetags stay.
 */
export function removeEmptyHook(remover: SidetagRemover, log: Logger) {
  return async (uow: UnitOfWork, f: { tagAfter: TagState; user: Ref | null; untagEventId: string }) => {
    const t = f.tagAfter;
    if (!t.exists || !isSidetag(t) || Object.keys(t.builds).length > 0) return;
    if ((await loadSideTag(uow, t.id)).hold) return;
    try {
      await remover.removeIn(uow, t, 'empty', f.user, f.untagEventId);
    } catch (e) {
      // Koji swallows a GenericError here (a missing or mismatched target) and keeps the untag.
      if (isKojiError(e) && e.faultName === 'GenericError')
        log.warn(`remove_empty: kept ${t.name}: ${e.message}`);
      else throw e;
    }
  };
}
