import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandService } from '../../eventstore/commands.service.js';
import { genericError, KojiError } from '../../kernel/errors.js';
import type { CallContext } from '../../rpc/context.js';
import { applyTask, loadTask, TaskFactory } from '../tasks/tasks.commands.js';
import { createUserIn } from '../users/users.commands.js';
import { UsersReader } from '../users/users.reader.js';
import { Inject } from '@nestjs/common';
import { HUB_CONFIG } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import type { TagConfig, Ref, BuildRef } from './tags.events.js';
import { BUILD_STATES } from './tags.events.js';
import { ReposWriter } from './repos.writer.js';
import { decidePackageList } from './package-list.decider.js';
import { packageRef } from './packages.commands.js';
import { PackagesReader } from './packages.reader.js';
import type { TagDoc } from './tags.projection.js';
import { loadTag, loadTarget, TagsWriter, verifyName } from './tags.writer.js';
import { nameStream } from '../../eventstore/name-streams.js';

export class CreateTag extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly o: Parameters<TagsWriter['createTag']>[1],
  ) {
    super();
  }
}

@CommandHandler(CreateTag)
export class CreateTagHandler implements ICommandHandler<CreateTag, number> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
  ) {}

  async execute(c: CreateTag): Promise<number> {
    return (await this.commands.run(c.ctx, (uow) => this.writer.createTag(uow, c.o))).result;
  }
}

export interface TagEdit {
  changes: Partial<TagConfig> & { name?: string };
  extra: Record<string, unknown>;
  removeExtra: string[];
  /** undefined: keep the parent; null: drop it. */
  parent?: Ref | null;
}

export class EditTag extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tagId: number,
    readonly edit: TagEdit,
  ) {
    super();
  }
}

@CommandHandler(EditTag)
export class EditTagHandler implements ICommandHandler<EditTag, void> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
  ) {}

  async execute(c: EditTag): Promise<void> {
    await this.commands.run(c.ctx, async (uow) => {
      let s = await loadTag(uow, c.tagId);
      if (!s.exists) throw genericError(`No such tagInfo: ${c.tagId}`);
      if (c.edit.changes.name !== undefined && c.edit.changes.name !== s.name)
        await this.writer.renameTagClaim(uow, s.id, c.edit.changes.name);
      s = this.writer.applyTag(uow, s, {
        kind: 'edit',
        changes: c.edit.changes,
        extra: c.edit.extra,
        removeExtra: c.edit.removeExtra,
      }).after;
      if (c.edit.parent !== undefined) {
        if (c.edit.parent && !(await loadTag(uow, c.edit.parent.id)).exists)
          throw genericError(`Parent tag '${c.edit.parent.name}' could not be found`);
        this.writer.applyTag(uow, s, { kind: 'setParent', parent: c.edit.parent });
      }
    });
  }
}

export class DeleteTag extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tagId: number,
  ) {
    super();
  }
}

@CommandHandler(DeleteTag)
export class DeleteTagHandler implements ICommandHandler<DeleteTag, void> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
  ) {}

  async execute(c: DeleteTag): Promise<void> {
    await this.commands.run(c.ctx, (uow) => this.writer.deleteTag(uow, c.tagId));
  }
}

export type TargetChange =
  | { kind: 'create'; name: string; buildTag: Ref; destTag: Ref }
  | { kind: 'edit'; id: number; name: string; buildTag: Ref; destTag: Ref }
  | { kind: 'delete'; id: number };

export class ChangeTarget extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly change: TargetChange,
  ) {
    super();
  }
}

@CommandHandler(ChangeTarget)
export class ChangeTargetHandler implements ICommandHandler<ChangeTarget, void> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async execute(c: ChangeTarget): Promise<void> {
    const ch = c.change;
    await this.commands.run(c.ctx, async (uow) => {
      if (ch.kind === 'create') {
        await this.writer.createTarget(uow, ch.name, ch.buildTag, ch.destTag);
        return;
      }
      const s = await loadTarget(uow, ch.id);
      if (ch.kind === 'delete') {
        this.writer.applyTarget(uow, s, { kind: 'delete' });
        return;
      }
      if (ch.name !== s.name) {
        verifyName(ch.name, this.config);
        const claim = nameStream('targetname', ch.name);
        const held = await uow.read(claim);
        if (held.length) {
          const holder = await loadTarget(uow, (held[held.length - 1].data as { id: number }).id);
          if (holder.exists && holder.name === ch.name && holder.id !== s.id)
            throw genericError(`A build target with the name '${ch.name}' already exists`);
        }
        uow.emit(claim, [{ type: 'NameClaimed', data: { kind: 'target', name: ch.name, id: s.id } }]);
      }
      this.writer.applyTarget(uow, s, {
        kind: 'edit',
        name: ch.name,
        buildTag: ch.buildTag,
        destTag: ch.destTag,
      });
    });
  }
}

export class CreateEmptyBuild extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly name: string,
    readonly version: string,
    readonly release: string,
    readonly epoch: number | null,
    readonly owner: Ref,
  ) {
    super();
  }
}

@CommandHandler(CreateEmptyBuild)
export class CreateEmptyBuildHandler implements ICommandHandler<CreateEmptyBuild, number> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: CreateEmptyBuild): Promise<number> {
    for (const [what, v] of [
      ['name', c.name],
      ['version', c.version],
      ['release', c.release],
    ] as const) {
      if (!/^[A-Za-z0-9._+~^-]+$/.test(v)) throw genericError(`Invalid build ${what}: ${v}`);
      if (what !== 'name' && v.includes('-')) throw genericError(`Invalid build ${what}: ${v} (no dashes)`);
    }
    const nvr = `${c.name}-${c.version}-${c.release}`;
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const claim = nameStream('nvr', nvr);
      const held = await uow.read(claim);
      if (held.length) {
        const id = (held[0].data as { id: number }).id;
        throw genericError(`Build already exists (id=${id}, state=COMPLETE): '${nvr}'`);
      }
      // Koji's createEmptyBuild makes the package row too (getPackage, listPackagesSimple).
      await packageRef(uow, c.name);
      const id = await uow.allocateId('build');
      uow.emit(claim, [{ type: 'NameClaimed', data: { kind: 'build', name: nvr, id } }]);
      await uow.read(`build-${id}`);
      uow.emit(`build-${id}`, [
        {
          type: 'BuildCreated',
          data: {
            id,
            packageName: c.name,
            version: c.version,
            release: c.release,
            epoch: c.epoch,
            nvr,
            owner: c.owner,
            state: BUILD_STATES.COMPLETE,
            taskId: null,
            time: uow.meta.now.toISOString(),
          },
        },
      ]);
      return id;
    });
    return result;
  }
}

export interface TagOperation {
  tag: TagDoc;
  build: BuildRef;
  force: boolean;
  fromtag: TagDoc | null;
  /** The tag policy's matched rules, recorded with the events. */
  policy: Record<string, unknown> | null;
  /** tagBuild makes a task the hub completes; tagBuildBypass does not. */
  withTask: boolean;
  /**
   * An admin forcing a build of a package the tag does not list, or blocks: the package is listed
   * (unblocked) in the same append, as Koji's tagBuild does with force.
   */
  listPackage?: string;
}

export class TagBuild extends Command<number | null> {
  constructor(
    readonly ctx: CallContext,
    readonly op: TagOperation,
  ) {
    super();
  }
}

@CommandHandler(TagBuild)
export class TagBuildHandler implements ICommandHandler<TagBuild, number | null> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
    private readonly factory: TaskFactory,
    private readonly packages: PackagesReader,
  ) {}

  async execute(c: TagBuild): Promise<number | null> {
    const { op, ctx } = c;
    const user = ctx.user ? { id: ctx.user.id, name: ctx.user.name } : null;
    const meta = op.policy ? { policy: op.policy } : undefined;
    const { result } = await this.commands.run(ctx, async (uow) => {
      let taskId: number | null = null;
      if (op.withTask) {
        taskId = await this.factory.createIn(uow, {
          method: 'tagBuild',
          request: [op.tag.id, op.build.id, op.force, op.fromtag?.id ?? null],
          owner: user!,
          priority: 10,
        });
      }
      const to = { id: op.tag.id, name: op.tag.name };
      if (op.fromtag) {
        const from = await loadTag(uow, op.fromtag.id);
        if (!from.exists) throw genericError(`No such tagInfo: ${op.fromtag.id}`);
        await this.writer.untagBuild(uow, from, op.build, user, {
          strict: true,
          force: op.force,
          movedTo: to,
          metadata: meta,
        });
      }
      const s = await loadTag(uow, op.tag.id);
      if (!s.exists) throw genericError(`No such tagInfo: ${op.tag.id}`);
      if (op.listPackage) {
        const pkg = await packageRef(uow, op.listPackage);
        const inherited = await this.packages.inherited(s.id, pkg.name);
        const add = { kind: 'add', package: pkg, owner: null, block: false, extraArches: undefined } as const;
        const events = decidePackageList({ ...add, update: false, force: true, user, inherited }, s);
        uow.emit(`tag-${s.id}`, events, { metadata: meta });
      }
      this.writer.tagBuild(
        uow,
        s,
        op.build,
        user,
        op.force,
        op.fromtag ? { id: op.fromtag.id, name: op.fromtag.name } : null,
        meta,
      );
      if (taskId !== null) {
        const ts = await loadTask(uow, taskId);
        applyTask(uow, taskId, ts, { kind: 'completeByHub', result: null, now: uow.meta.now.toISOString() });
      }
      return taskId;
    });
    return result;
  }
}

export class UntagBuild extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly tag: TagDoc,
    readonly build: BuildRef,
    readonly strict: boolean,
    readonly force: boolean,
    readonly policy: Record<string, unknown> | null,
  ) {
    super();
  }
}

@CommandHandler(UntagBuild)
export class UntagBuildHandler implements ICommandHandler<UntagBuild, void> {
  constructor(
    private readonly commands: CommandService,
    private readonly writer: TagsWriter,
  ) {}

  async execute(c: UntagBuild): Promise<void> {
    const user = c.ctx.user ? { id: c.ctx.user.id, name: c.ctx.user.name } : null;
    await this.commands.run(c.ctx, async (uow) => {
      const s = await loadTag(uow, c.tag.id);
      if (!s.exists) throw genericError(`No such tagInfo: ${c.tag.id}`);
      await this.writer.untagBuild(uow, s, c.build, user, {
        strict: c.strict,
        force: c.force,
        metadata: c.policy ? { policy: c.policy } : undefined,
      });
    });
  }
}

/** The owner of tasks the hub starts on its own (Koji's kojira user); created on first need. */
export async function systemOwner(
  uow: Parameters<TagsWriter['createTag']>[0],
  users: UsersReader,
  config: HubConfig,
): Promise<Ref> {
  const u = await users.byName('kojira');
  if (u) return { id: u.id, name: u.name };
  try {
    return { id: await createUserIn(uow, config, 'kojira', 0, 0, null), name: 'kojira' };
  } catch (e) {
    if (e instanceof KojiError && /already exists/.test(e.message)) {
      const again = await users.byName('kojira');
      if (again) return { id: again.id, name: again.name };
    }
    throw e;
  }
}

export class NewRepo extends Command<{ repoId: number; taskId: number; event: number }> {
  constructor(
    readonly ctx: CallContext,
    readonly tag: TagDoc,
    readonly opts: Record<string, unknown> | null,
    /** Repo requests this repo answers. */
    readonly fulfils: number[] = [],
  ) {
    super();
  }
}

@CommandHandler(NewRepo)
export class NewRepoHandler implements ICommandHandler<NewRepo> {
  constructor(
    private readonly commands: CommandService,
    private readonly repos: ReposWriter,
    private readonly users: UsersReader,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async execute(c: NewRepo) {
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const owner = c.ctx.user
        ? { id: c.ctx.user.id, name: c.ctx.user.name }
        : await systemOwner(uow, this.users, this.config);
      const r = await this.repos.regen(uow, c.tag, owner, c.opts);
      for (const req of c.fulfils) {
        await uow.read(`repoqueue-${req}`);
        uow.emit(`repoqueue-${req}`, [
          { type: 'RepoRequestFulfilled', data: { id: req, repoId: r.repoId, taskId: r.taskId } },
        ]);
      }
      return r;
    });
    return result;
  }
}

export class RequestRepo extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly tag: TagDoc,
    readonly minEvent: number | null,
    readonly atEvent: number | null,
    readonly opts: Record<string, unknown> | null,
    readonly priority: number,
  ) {
    super();
  }
}

@CommandHandler(RequestRepo)
export class RequestRepoHandler implements ICommandHandler<RequestRepo, number> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: RequestRepo): Promise<number> {
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const id = await uow.allocateId('repoqueue');
      await uow.read(`repoqueue-${id}`);
      uow.emit(`repoqueue-${id}`, [
        {
          type: 'RepoRequested',
          data: {
            id,
            tag: { id: c.tag.id, name: c.tag.name },
            minEvent: c.minEvent,
            atEvent: c.atEvent,
            opts: c.opts,
            priority: c.priority,
            owner: c.ctx.user ? { id: c.ctx.user.id, name: c.ctx.user.name } : null,
            time: uow.meta.now.toISOString(),
          },
        },
      ]);
      return id;
    });
    return result;
  }
}

/** Records that an existing repo answers a request (no new repo needed). */
export class FulfilExisting extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly requestId: number,
    readonly repoId: number,
    readonly taskId: number | null,
  ) {
    super();
  }
}

@CommandHandler(FulfilExisting)
export class FulfilExistingHandler implements ICommandHandler<FulfilExisting, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: FulfilExisting): Promise<void> {
    await this.commands.run(c.ctx, async (uow) => {
      const events = await uow.read(`repoqueue-${c.requestId}`);
      if (events.some((e) => e.type === 'RepoRequestFulfilled')) return;
      uow.emit(`repoqueue-${c.requestId}`, [
        { type: 'RepoRequestFulfilled', data: { id: c.requestId, repoId: c.repoId, taskId: c.taskId } },
      ]);
    });
  }
}
