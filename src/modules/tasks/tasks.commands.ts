import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { HUB_CONFIG } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import { CommandService } from '../../eventstore/commands.service.js';
import { actionNotAllowed, genericError } from '../../kernel/errors.js';
import type { UnitOfWork } from '../../kernel/unit-of-work.js';
import { hasPerm, USER_TYPE, type CallContext } from '../../rpc/context.js';
import { createUserIn } from '../users/users.commands.js';
import { decideUser, evolveUser, initialUserState, type UserState } from '../users/users.decider.js';
import type { UserEvent } from '../users/users.events.js';
import { UsersReader } from '../users/users.reader.js';
import { parseArches } from './arches.js';
import {
  decideBuildrootState,
  decideHost,
  evolveBuildroot,
  evolveChannel,
  evolveHost,
  initialBuildrootState,
  initialChannelState,
  initialHostState,
  type BuildrootState,
  type ChannelState,
  type HostCommand,
  type HostState,
} from './host.decider.js';
import {
  decideTask,
  evolveTask,
  initialTaskState,
  type TaskCommand,
  type TaskState,
} from './task.decider.js';
import type { BuildrootEvent, ChannelEvent, HostEvent, Ref, TaskEvent } from './tasks.events.js';
import { TasksReader } from './tasks.reader.js';
import { nameStream } from '../../eventstore/name-streams.js';
import { verifyNameInternal } from '../../kernel/names.js';

export const loadTask = (uow: UnitOfWork, id: number) =>
  uow.load<TaskState, TaskEvent>(`task-${id}`, evolveTask, initialTaskState);
export const loadHost = (uow: UnitOfWork, id: number) =>
  uow.load<HostState, HostEvent>(`host-${id}`, evolveHost, initialHostState);
export const loadChannel = (uow: UnitOfWork, id: number) =>
  uow.load<ChannelState, ChannelEvent>(`channel-${id}`, evolveChannel, initialChannelState);
export const loadBuildroot = (uow: UnitOfWork, id: number) =>
  uow.load<BuildrootState, BuildrootEvent>(`buildroot-${id}`, evolveBuildroot, initialBuildrootState);

export function applyTask(uow: UnitOfWork, id: number, s: TaskState, c: TaskCommand): TaskEvent[] {
  const events = decideTask(c, s);
  if (events.length) uow.emit(`task-${id}`, events);
  return events;
}

export interface TaskSpec {
  method: string;
  request: unknown[];
  owner: Ref;
  channel?: string | null;
  arch?: string;
  priority?: number;
  weight?: number;
  parent?: number | null;
  label?: string | null;
  /** Give the task to this host on purpose (Koji's assign=). */
  assignHost?: Ref | null;
}

export const PRIO_DEFAULT = 20;

/**
 * Creates tasks inside another command's unit of work (tagBuild, newRepo, runroot, saveFailedTree
 * all make one), so the task and the event that asked for it land in one atomic append.
 */
@Injectable()
export class TaskFactory {
  constructor(private readonly tasks: TasksReader) {}

  /** Koji's make_task: the channel must exist and be enabled; the default channel policy picks it. */
  async createIn(uow: UnitOfWork, spec: TaskSpec): Promise<number> {
    let channelName = spec.channel ?? null;
    if (!channelName && spec.parent) {
      const parent = await this.tasks.task(spec.parent);
      if (!parent) throw genericError(`No such task: ${spec.parent}`);
      channelName = parent.channel_name;
    }
    const channel = await this.tasks.channel(channelName ?? 'default');
    if (!channel) throw genericError(`No such channel: ${channelName ?? 'default'}`);
    if (!channel.enabled) throw genericError(`Channel ${channel.name} is disabled.`);
    const id = await uow.allocateId('task');
    const s = await loadTask(uow, id);
    applyTask(uow, id, s, {
      kind: 'create',
      task: {
        id,
        method: spec.method,
        arch: spec.arch ?? 'noarch',
        channel: { id: channel.id, name: channel.name },
        owner: spec.owner,
        priority: spec.priority ?? PRIO_DEFAULT,
        weight: spec.weight ?? 1.0,
        parent: spec.parent ?? null,
        label: spec.label ?? null,
        request: spec.request,
        assignedHost: spec.assignHost ?? null,
        createTime: uow.meta.now.toISOString(),
      },
    });
    return id;
  }
}

// ---- tasks ---------------------------------------------------------------------------------------

export class MakeTask extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly spec: Omit<TaskSpec, 'owner'>,
  ) {
    super();
  }
}

@CommandHandler(MakeTask)
export class MakeTaskHandler implements ICommandHandler<MakeTask, number> {
  constructor(
    private readonly commands: CommandService,
    private readonly factory: TaskFactory,
  ) {}

  async execute(c: MakeTask): Promise<number> {
    const owner = c.ctx.user!;
    const { result } = await this.commands.run(c.ctx, (uow) =>
      this.factory.createIn(uow, { ...c.spec, owner: { id: owner.id, name: owner.name } }),
    );
    return result;
  }
}

/** One transition of one task, decided by the task decider (open, close, fail, weight, free). */
export class TransitionTask extends Command<TaskEvent[]> {
  constructor(
    readonly ctx: CallContext,
    readonly taskId: number,
    readonly command: TaskCommand,
  ) {
    super();
  }
}

@CommandHandler(TransitionTask)
export class TransitionTaskHandler implements ICommandHandler<TransitionTask, TaskEvent[]> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: TransitionTask): Promise<TaskEvent[]> {
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const s = await loadTask(uow, c.taskId);
      if (!s.exists) throw genericError(`No such task: ${c.taskId}`);
      return applyTask(uow, c.taskId, s, c.command);
    });
    return result;
  }
}

export class CancelTask extends Command<boolean> {
  constructor(
    readonly ctx: CallContext,
    readonly taskId: number,
    readonly recurse: boolean,
  ) {
    super();
  }
}

@CommandHandler(CancelTask)
export class CancelTaskHandler implements ICommandHandler<CancelTask, boolean> {
  constructor(
    private readonly commands: CommandService,
    private readonly tasks: TasksReader,
  ) {}

  async execute(c: CancelTask): Promise<boolean> {
    const task = await this.tasks.strictTask(c.taskId);
    const u = c.ctx.user;
    if (!u || (u.id !== task.owner && !hasPerm(u, 'admin')))
      throw actionNotAllowed('Cannot cancel task, not owner');
    const by = { id: u.id, name: u.name };
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const now = uow.meta.now.toISOString();
      const s = await loadTask(uow, c.taskId);
      const cancelled = applyTask(uow, c.taskId, s, { kind: 'cancel', by, now }).length > 0;
      if (c.recurse) {
        // Koji cancels the whole tree below the task, each child in the same transaction.
        const queue = [c.taskId];
        while (queue.length) {
          const parent = queue.shift()!;
          for (const child of await this.tasks.children(parent)) {
            const cs = await loadTask(uow, child.id);
            applyTask(uow, child.id, cs, { kind: 'cancel', by, now, parentCanceled: c.taskId });
            queue.push(child.id);
          }
        }
      }
      return cancelled;
    });
    return result;
  }
}

// ---- hosts and channels --------------------------------------------------------------------------

export class AddHost extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly hostname: string,
    readonly arches: string | string[],
    readonly krbPrincipal: string | null,
    readonly force: boolean,
  ) {
    super();
  }
}

@CommandHandler(AddHost)
export class AddHostHandler implements ICommandHandler<AddHost, number> {
  constructor(
    private readonly commands: CommandService,
    private readonly users: UsersReader,
    private readonly tasks: TasksReader,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async execute(c: AddHost): Promise<number> {
    // Koji's add_host checks the name first: a host name is also a user name and a claim stream.
    verifyNameInternal(c.hostname, this.config.hub);
    const arches = parseArches(c.arches);
    const defaultChannel = await this.tasks.strictChannel('default');
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const claim = nameStream('hostname', c.hostname);
      if ((await uow.version(claim)) > 0) throw genericError(`host already exists: ${c.hostname}`);
      const existing = await this.users.byName(c.hostname);
      let userId: number;
      if (existing) {
        // Koji: an existing user becomes the host's user only with force, and only a normal one.
        if (!c.force || existing.usertype !== USER_TYPE.NORMAL)
          throw genericError(`user ${c.hostname} already exists and it is not a host`);
        userId = existing.id;
        const us = await uow.load<UserState, UserEvent>(`user-${userId}`, evolveUser, initialUserState);
        uow.emit(`user-${userId}`, decideUser({ kind: 'setType', usertype: USER_TYPE.HOST }, us));
      } else {
        userId = await createUserIn(uow, this.config, c.hostname, USER_TYPE.HOST, 0, c.krbPrincipal);
      }
      const id = await uow.allocateId('host');
      uow.emit(claim, [{ type: 'NameClaimed', data: { kind: 'host', name: c.hostname, id } }]);
      let hs = await loadHost(uow, id);
      const events = [
        ...decideHost(
          {
            kind: 'add',
            host: { id, name: c.hostname, userId, arches, capacity: 2.0, description: null, comment: null },
          },
          hs,
        ),
      ];
      hs = events.reduce(evolveHost, hs);
      // Koji subscribes every new host to the default channel.
      events.push(
        ...decideHost(
          { kind: 'addChannel', channel: { id: defaultChannel.id, name: defaultChannel.name } },
          hs,
        ),
      );
      uow.emit(`host-${id}`, events);
      return id;
    });
    return result;
  }
}

export class ChangeHost extends Command<HostEvent[]> {
  constructor(
    readonly ctx: CallContext,
    readonly hostId: number,
    readonly command: HostCommand,
  ) {
    super();
  }
}

@CommandHandler(ChangeHost)
export class ChangeHostHandler implements ICommandHandler<ChangeHost, HostEvent[]> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: ChangeHost): Promise<HostEvent[]> {
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const s = await loadHost(uow, c.hostId);
      const events = decideHost(c.command, s);
      if (events.length) uow.emit(`host-${c.hostId}`, events);
      return events;
    });
    return result;
  }
}

export class AddChannel extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly name: string,
    readonly description: string | null,
  ) {
    super();
  }
}

/** Creates a channel unless it exists (claim stream `channelname-<name>`); returns its id. */
export async function addChannelIn(
  uow: UnitOfWork,
  name: string,
  description: string | null,
  mustBeNew: boolean,
) {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw genericError(`Invalid channel name: ${name}`);
  const claim = nameStream('channelname', name);
  const existing = await uow.read(claim);
  if (existing.length) {
    if (mustBeNew) throw genericError(`channel ${name} already exists`);
    return (existing[0].data as { id: number }).id;
  }
  const id = await uow.allocateId('channel');
  uow.emit(claim, [{ type: 'NameClaimed', data: { kind: 'channel', name, id } }]);
  uow.emit(`channel-${id}`, [{ type: 'ChannelAdded', data: { id, name, description } }]);
  return id;
}

@CommandHandler(AddChannel)
export class AddChannelHandler implements ICommandHandler<AddChannel, number> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: AddChannel): Promise<number> {
    const { result } = await this.commands.run(c.ctx, (uow) =>
      addChannelIn(uow, c.name, c.description, true),
    );
    return result;
  }
}

export class EditChannel extends Command<boolean> {
  constructor(
    readonly ctx: CallContext,
    readonly channelId: number,
    readonly changes: {
      name?: string;
      description?: string | null;
      enabled?: boolean;
      comment?: string | null;
    },
  ) {
    super();
  }
}

@CommandHandler(EditChannel)
export class EditChannelHandler implements ICommandHandler<EditChannel, boolean> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: EditChannel): Promise<boolean> {
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const s = await loadChannel(uow, c.channelId);
      if (!s.exists) throw genericError(`No such channel: ${c.channelId}`);
      const changes: typeof c.changes = {};
      for (const [k, v] of Object.entries(c.changes) as [keyof typeof c.changes, never][]) {
        if (v !== undefined && (s as unknown as Record<string, unknown>)[k] !== v) changes[k] = v;
      }
      if (changes.name) {
        const claim = nameStream('channelname', changes.name);
        if ((await uow.version(claim)) > 0) throw genericError(`channel ${changes.name} already exists`);
        uow.emit(claim, [{ type: 'NameClaimed', data: { kind: 'channel', name: changes.name, id: s.id } }]);
      }
      if (!Object.keys(changes).length) return false;
      uow.emit(`channel-${s.id}`, [{ type: 'ChannelEdited', data: { id: s.id, name: s.name, changes } }]);
      return true;
    });
    return result;
  }
}

// ---- buildroots ----------------------------------------------------------------------------------

export class NewBuildroot extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly host: Ref,
    readonly arch: string,
    readonly taskId: number | null,
    readonly tag: Ref | null,
    readonly repoId: number | null,
    readonly path: string | null,
  ) {
    super();
  }
}

@CommandHandler(NewBuildroot)
export class NewBuildrootHandler implements ICommandHandler<NewBuildroot, number> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: NewBuildroot): Promise<number> {
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      if (c.taskId !== null) {
        const t = await loadTask(uow, c.taskId);
        if (!t.exists) throw genericError(`No such task: ${c.taskId}`);
        if (t.host?.id !== c.host.id)
          throw actionNotAllowed(`host ${c.host.id} does not own task ${c.taskId}`);
      }
      const id = await uow.allocateId('buildroot');
      await loadBuildroot(uow, id);
      uow.emit(`buildroot-${id}`, [
        {
          type: 'BuildrootCreated',
          data: {
            id,
            host: c.host,
            taskId: c.taskId,
            arch: c.arch,
            tag: c.tag,
            repoId: c.repoId,
            path: c.path,
            createTime: uow.meta.now.toISOString(),
          },
        },
      ]);
      return id;
    });
    return result;
  }
}

export type BuildrootChange =
  | { kind: 'state'; state: number }
  | { kind: 'retain'; keepUntil: string }
  | { kind: 'removed'; reason: string };

export class ChangeBuildroot extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly host: Ref,
    readonly buildrootId: number,
    readonly change: BuildrootChange,
  ) {
    super();
  }
}

@CommandHandler(ChangeBuildroot)
export class ChangeBuildrootHandler implements ICommandHandler<ChangeBuildroot, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: ChangeBuildroot): Promise<void> {
    await this.commands.run(c.ctx, async (uow) => {
      const s = await loadBuildroot(uow, c.buildrootId);
      if (!s.exists) throw genericError(`No such buildroot: ${c.buildrootId}`);
      if (s.hostId !== c.host.id)
        throw actionNotAllowed(`Host ${c.host.id} not owner of buildroot ${c.buildrootId}`);
      const now = uow.meta.now.toISOString();
      let events: BuildrootEvent[];
      if (c.change.kind === 'state') events = decideBuildrootState(s, c.change.state, now);
      else if (c.change.kind === 'retain') {
        if (Number.isNaN(Date.parse(c.change.keepUntil)))
          throw genericError(`keep_until ${c.change.keepUntil} is not an ISO time`);
        events = [
          {
            type: 'BuildrootRetained',
            data: { id: s.id, keepUntil: new Date(c.change.keepUntil).toISOString() },
          },
        ];
      } else {
        events = s.removedAt
          ? []
          : [{ type: 'BuildrootRemoved', data: { id: s.id, removedAt: now, reason: c.change.reason } }];
      }
      if (events.length) uow.emit(`buildroot-${s.id}`, events);
    });
  }
}

/** The channels Koji has from the start: default, runroot and createrepo. Idempotent. */
export class SeedChannels extends Command<void> {
  constructor(readonly ctx: CallContext) {
    super();
  }
}

@CommandHandler(SeedChannels)
export class SeedChannelsHandler implements ICommandHandler<SeedChannels, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: SeedChannels): Promise<void> {
    await this.commands.run(c.ctx, async (uow) => {
      for (const name of ['default', 'runroot', 'createrepo']) await addChannelIn(uow, name, null, false);
    });
  }
}
