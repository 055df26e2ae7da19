import { Inject, Injectable } from '@nestjs/common';
import { HUB_CONFIG } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import { actionNotAllowed, genericError } from '../../kernel/errors.js';
import { verifyNameInternal } from '../../kernel/names.js';
import type { UnitOfWork } from '../../kernel/unit-of-work.js';
import { hasPerm, type CallContext } from '../../rpc/context.js';
import { decideTag, evolveTag, initialTagState, type TagCommand, type TagState } from './tag.decider.js';
import {
  decideTarget,
  evolveTarget,
  initialTargetState,
  type TargetCommand,
  type TargetState,
} from './target.decider.js';
import type { BuildRef, Ref, TagEvent, TargetEvent } from './tags.events.js';
import { PostUntagHooks, TagDeleteHooks } from './post-untag.js';
import { TAG_PARENTS, TARGETS, type TagDoc, type TagParentDoc, type TargetDoc } from './tags.projection.js';
import { TagsReader } from './tags.reader.js';
import { nameStream } from '../../eventstore/name-streams.js';

export const loadTag = (uow: UnitOfWork, id: number) =>
  uow.loadCached<TagState, TagEvent>(`tag-${id}`, evolveTag, initialTagState);
export const loadTarget = (uow: UnitOfWork, id: number) =>
  uow.load<TargetState, TargetEvent>(`target-${id}`, evolveTarget, initialTargetState);

/** Koji's verify_name_internal for tag and target names. */
export function verifyName(name: unknown, config: HubConfig): asserts name is string {
  verifyNameInternal(name, config.hub);
}

interface Claim {
  id: number;
  version: number;
}

/**
 * The writes of the tags module, each inside a caller's unit of work, so a sidetag creation (tag +
 * target + quota) or an untag with its post-untag consequences is one atomic append.
 */
@Injectable()
export class TagsWriter {
  constructor(
    private readonly tags: TagsReader,
    private readonly hooks: PostUntagHooks,
    private readonly deleteHooks: TagDeleteHooks,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  /** The current holder of a name claim stream (`tagname-…`, `targetname-…`), if any. */
  private async claim(uow: UnitOfWork, stream: string): Promise<Claim | null> {
    const events = await uow.read(stream);
    if (!events.length) return null;
    return { id: (events[events.length - 1].data as { id: number }).id, version: events.length };
  }

  applyTag(
    uow: UnitOfWork,
    s: TagState,
    c: TagCommand,
    metadata?: Record<string, unknown>,
  ): { events: TagEvent[]; ids: string[]; after: TagState } {
    const events = decideTag(c, s);
    const ids = events.length ? uow.emit(`tag-${s.id}`, events, { metadata }) : [];
    return { events, ids, after: events.reduce(evolveTag, s) };
  }

  /** Koji's _create_tag: name check, the name's old id when it was deleted, parent link, extra. */
  async createTag(
    uow: UnitOfWork,
    o: {
      name: string;
      parent: Ref | null;
      arches: string | null;
      locked: boolean;
      perm: Ref | null;
      mavenSupport: boolean;
      mavenIncludeAll: boolean;
      extra: Record<string, unknown>;
    },
    fixedId?: number,
  ): Promise<number> {
    verifyName(o.name, this.config);
    const stream = nameStream('tagname', o.name);
    const held = await this.claim(uow, stream);
    let id: number;
    if (fixedId !== undefined) {
      // The caller allocated the id first because the name contains it (sidetags).
      if (held) {
        const holder = await loadTag(uow, held.id);
        if (holder.exists && holder.name === o.name)
          throw genericError(`A tag with the name '${o.name}' already exists`);
      }
      id = fixedId;
      uow.emit(stream, [{ type: 'NameClaimed', data: { kind: 'tag', name: o.name, id } }]);
    } else if (held) {
      const holder = await loadTag(uow, held.id);
      if (holder.exists && holder.name === o.name)
        throw genericError(`A tag with the name '${o.name}' already exists`);
      if (!holder.exists && holder.name === o.name) {
        id = held.id; // Koji reuses the id of a deleted tag of the same name
      } else {
        id = await uow.allocateId('tag');
        uow.emit(stream, [{ type: 'NameClaimed', data: { kind: 'tag', name: o.name, id } }]);
      }
    } else {
      id = await uow.allocateId('tag');
      uow.emit(stream, [{ type: 'NameClaimed', data: { kind: 'tag', name: o.name, id } }]);
    }
    // Existence from the read model: folding a busy base tag's stream (every build ever tagged into
    // it) for each new sidetag would cost more than the whole creation. A parent deleted in the same
    // instant leaves a link to a deleted tag, as Koji's own unlocked check would.
    if (o.parent && !(await this.tags.tag(o.parent.id)))
      throw genericError(`Parent tag '${o.parent.name}' could not be found`);
    const s = await loadTag(uow, id);
    this.applyTag(
      uow,
      { ...s, id, name: o.name },
      {
        kind: 'create',
        id,
        name: o.name,
        config: {
          arches: o.arches,
          locked: o.locked,
          perm: o.perm,
          mavenSupport: o.mavenSupport,
          mavenIncludeAll: o.mavenIncludeAll,
        },
        extra: o.extra,
        parent: o.parent,
      },
    );
    return id;
  }

  /** A new name for a tag: claimed, or refused when another live tag holds it. */
  async renameTagClaim(uow: UnitOfWork, id: number, newName: string): Promise<void> {
    verifyName(newName, this.config);
    const stream = nameStream('tagname', newName);
    const held = await this.claim(uow, stream);
    if (held && held.id !== id) {
      const holder = await loadTag(uow, held.id);
      if (holder.exists && holder.name === newName)
        throw genericError(`Name ${newName} already taken by tag ${held.id}`);
    }
    uow.emit(stream, [{ type: 'NameClaimed', data: { kind: 'tag', name: newName, id } }]);
  }

  /**
   * Koji's _delete_tag: the tag, its builds (silently, no post-untag hooks), the targets that use it
   * and the inheritance links to it from its children.
   */
  async deleteTag(uow: UnitOfWork, id: number): Promise<void> {
    const s = await loadTag(uow, id);
    if (!s.exists) throw genericError(`No such tagInfo: ${id}`);
    const targets = [
      ...(await this.tags.rm.find<TargetDoc>(TARGETS, { where: { build_tag: id } })),
      ...(await this.tags.rm.find<TargetDoc>(TARGETS, { where: { dest_tag: id } })),
    ];
    for (const t of new Map(targets.map((x) => [x.id, x])).values()) await this.deleteTarget(uow, t.id);
    const links = await this.tags.rm.find<TagParentDoc>(TAG_PARENTS, {
      where: { parent_id: id },
      orderBy: [['tag_id', 'asc']],
    });
    for (const childId of new Set(links.map((l) => l.tag_id))) {
      const cs = await loadTag(uow, childId);
      if (!cs.exists || !cs.inheritance.some((l) => l.parent_id === id)) continue;
      const inheritance = cs.inheritance.filter((l) => l.parent_id !== id);
      uow.emit(`tag-${childId}`, [
        { type: 'TagInheritanceChanged', data: { id: childId, name: cs.name, inheritance } },
      ]);
    }
    await this.deleteHooks.run(uow, s);
    this.applyTag(uow, s, { kind: 'delete' });
  }

  applyTarget(uow: UnitOfWork, s: TargetState, c: TargetCommand): TargetEvent[] {
    const events = decideTarget(c, s);
    if (events.length) uow.emit(`target-${s.id}`, events);
    return events;
  }

  /** Koji's _create_build_target, with its checks in Koji's order. */
  async createTarget(
    uow: UnitOfWork,
    name: string,
    buildTag: Ref,
    destTag: Ref,
    buildTagText = buildTag.name,
    destTagText = destTag.name,
  ): Promise<number> {
    verifyName(name, this.config);
    const stream = nameStream('targetname', name);
    const held = await this.claim(uow, stream);
    let id: number;
    if (held) {
      const holder = await loadTarget(uow, held.id);
      if (holder.exists && holder.name === name)
        throw genericError(`A build target with the name '${name}' already exists`);
      if (holder.name === name) id = held.id;
      else {
        id = await uow.allocateId('target');
        uow.emit(stream, [{ type: 'NameClaimed', data: { kind: 'target', name, id } }]);
      }
    } else {
      id = await uow.allocateId('target');
      uow.emit(stream, [{ type: 'NameClaimed', data: { kind: 'target', name, id } }]);
    }
    // A new sidetag's own tag is only in this unit of work; any other tag is in the read model.
    const exists = async (t: Ref) =>
      (await this.tags.tag(t.id)) !== null ||
      (await uow.read(`tag-${t.id}`)).some((e) => e.type === 'TagCreated');
    if (!(await exists(buildTag))) throw genericError(`build tag '${buildTagText}' does not exist`);
    if (!(await exists(destTag))) throw genericError(`destination tag '${destTagText}' does not exist`);
    const s = await loadTarget(uow, id);
    this.applyTarget(uow, { ...s, id, name }, { kind: 'create', id, name, buildTag, destTag });
    return id;
  }

  async deleteTarget(uow: UnitOfWork, id: number): Promise<void> {
    const s = await loadTarget(uow, id);
    this.applyTarget(uow, s, { kind: 'delete' });
  }

  /** Koji's assert_tag_access: a locked tag or one needing a permission refuses, unless admin forces. */
  assertTagAccess(tag: TagDoc, ctx: CallContext, force: boolean): void {
    const admin = hasPerm(ctx.user, 'admin');
    if (force && admin) return;
    if (tag.locked) throw actionNotAllowed(`tag ${tag.name} is locked`);
    if (tag.perm && !hasPerm(ctx.user, tag.perm))
      throw actionNotAllowed(`tag ${tag.name} requires ${tag.perm} permission`);
  }

  tagBuild(
    uow: UnitOfWork,
    s: TagState,
    build: BuildRef,
    user: Ref | null,
    force: boolean,
    fromtag: Ref | null,
    meta?: Record<string, unknown>,
  ) {
    return this.applyTag(
      uow,
      s,
      { kind: 'tag', build, user, force, fromtag, now: uow.meta.now.toISOString() },
      meta,
    );
  }

  /** Untags and runs the post-untag hooks in the same unit of work. Nothing untagged, nothing run. */
  async untagBuild(
    uow: UnitOfWork,
    s: TagState,
    build: BuildRef,
    user: Ref | null,
    opts: { strict: boolean; force: boolean; movedTo?: Ref; metadata?: Record<string, unknown> },
  ): Promise<TagState> {
    const { events, ids, after } = this.applyTag(
      uow,
      s,
      {
        kind: 'untag',
        build,
        user,
        force: opts.force,
        strict: opts.strict,
        now: uow.meta.now.toISOString(),
        movedTo: opts.movedTo,
      },
      opts.metadata,
    );
    if (events.length)
      await this.hooks.run(uow, {
        tagBefore: s,
        tagAfter: after,
        build,
        user,
        force: opts.force,
        strict: opts.strict,
        untagEventId: ids[0],
      });
    return after;
  }
}
