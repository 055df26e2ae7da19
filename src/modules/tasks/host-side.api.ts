import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { HUB_CONFIG } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import { actionNotAllowed, genericError } from '../../kernel/errors.js';
import type { CallContext } from '../../rpc/context.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { canonArch } from './arches.js';
import { HostLiveness } from './host-liveness.js';
import * as api from './tasks.contract.js';
import { ChangeBuildroot, ChangeHost, NewBuildroot, TransitionTask } from './tasks.commands.js';
import { BR_STATES, TASK_STATES } from './tasks.events.js';
import { TASKS, type HostDoc, type TaskDoc } from './tasks.projection.js';
import { taskInfo, TasksReader } from './tasks.reader.js';
import { lateUploadOpen, TaskFiles } from './task-files.js';
import { TaskWakeups } from './task-wakeups.js';

/**
 * How often a host's heartbeats are recorded (HostCheckedIn) when its readiness stays the same: once a
 * minute, or three times per `HostTimeout` when that is shorter. Another hub on the same database
 * knows of a heartbeat only through that event, and the one running the host-timeout scan freed the
 * tasks of a live builder, talking to another hub, whenever HostTimeout was under a minute.
 */
export function checkInEveryMs(hostTimeoutSec: number): number {
  return Math.min(60_000, (hostTimeoutSec * 1000) / 3);
}

/** The builder's side of the API (`host.*`): only host users, and only for their own tasks. */
@Injectable()
export class HostSideApi implements OnModuleInit {
  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
    private readonly tasks: TasksReader,
    private readonly liveness: HostLiveness,
    private readonly files: TaskFiles,
    private readonly wakeups: TaskWakeups,
  ) {}

  /** The calling host; Koji's "host %d does not own task %d" guards everything below. */
  private async me(ctx: CallContext): Promise<HostDoc> {
    const h = await this.tasks.hostOfUser(ctx.user!.id);
    if (!h) throw actionNotAllowed(`user ${ctx.user!.name} is not a host`);
    this.liveness.touch(h.id, ctx.now);
    return h;
  }

  private async ownedTask(ctx: CallContext, taskId: number): Promise<{ host: HostDoc; task: TaskDoc }> {
    const host = await this.me(ctx);
    const task = await this.tasks.strictTask(taskId);
    if (task.host_id !== host.id || task.state !== TASK_STATES.OPEN)
      throw actionNotAllowed(`host ${host.id} does not own task ${taskId}`);
    return { host, task };
  }

  /** ownedTask, or a task this host ran that ended CANCELED or FAILED moments ago (LATE_UPLOAD_MS). */
  private async uploadingTask(ctx: CallContext, taskId: number): Promise<void> {
    const host = await this.me(ctx);
    const task = await this.tasks.strictTask(taskId);
    const open = task.state === TASK_STATES.OPEN || lateUploadOpen(task, ctx.now.getTime());
    if (task.host_id !== host.id || !open)
      throw actionNotAllowed(`host ${host.id} does not own task ${taskId}`);
  }

  onModuleInit(): void {
    const r = this.registry;
    r.implement(api.hostGetID, async (_p, ctx) => (await this.me(ctx)).id);
    r.implement<api.UpdateHostParams>(api.hostUpdateHost, async (p, ctx) => {
      const h = await this.me(ctx);
      await this.bus.execute(
        new ChangeHost(ctx, h.id, {
          kind: 'checkIn',
          ready: p.ready,
          taskLoad: p.task_load,
          now: ctx.now.toISOString(),
          everyMs: checkInEveryMs(this.config.hub.hostTimeoutSec),
        }),
      );
      return null;
    });
    r.implement(api.hostGetTasks, async (_p, ctx) => this.candidates(await this.me(ctx)));
    r.implement<api.WaitForTasksParams>(api.hostWaitForTasks, async (p, ctx) => {
      await this.me(ctx);
      return this.wakeups.wait(p.since ?? null, p.timeout * 1000);
    });
    r.implement<api.TaskIdParams>(api.hostOpenTask, async (p, ctx) => {
      const h = await this.me(ctx);
      if (!h.enabled) throw actionNotAllowed(`host ${h.name} is disabled`);
      await this.bus.execute(
        new TransitionTask(ctx, p.task_id, {
          kind: 'open',
          host: { id: h.id, name: h.name },
          now: ctx.now.toISOString(),
        }),
      );
      return taskInfo(await this.tasks.strictTask(p.task_id), true);
    });
    r.implement<api.SetTaskWeightParams>(api.hostSetTaskWeight, async (p, ctx) => {
      const h = await this.me(ctx);
      await this.bus.execute(
        new TransitionTask(ctx, p.task_id, {
          kind: 'setWeight',
          host: { id: h.id, name: h.name },
          weight: p.weight,
        }),
      );
      return null;
    });
    r.implement<api.CloseTaskParams>(api.hostCloseTask, async (p, ctx) => {
      const h = await this.me(ctx);
      await this.bus.execute(
        new TransitionTask(ctx, p.task_id, {
          kind: 'close',
          host: { id: h.id, name: h.name },
          result: p.response ?? null,
          now: ctx.now.toISOString(),
        }),
      );
      return null;
    });
    r.implement<api.FailTaskParams>(api.hostFailTask, async (p, ctx) => {
      const h = await this.me(ctx);
      await this.bus.execute(
        new TransitionTask(ctx, p.task_id, {
          kind: 'fail',
          host: { id: h.id, name: h.name },
          fault: {
            faultCode: p.response.faultCode,
            faultString: p.response.faultString,
            name: p.response.name ?? 'GenericError',
          },
          now: ctx.now.toISOString(),
        }),
      );
      return null;
    });
    r.implement<api.NewBuildRootParams>(api.hostNewBuildRoot, async (p, ctx) => {
      const h = await this.me(ctx);
      // The tags module owns tags; until a tag is given by id and name this records what it was told.
      const tag =
        p.tag === null || p.tag === undefined
          ? null
          : typeof p.tag === 'object' && p.tag.id && p.tag.name
            ? { id: p.tag.id, name: p.tag.name }
            : null;
      if (p.tag !== null && p.tag !== undefined && !tag)
        throw genericError('tag must be given as {id, name}');
      return this.bus.execute(
        new NewBuildroot(
          ctx,
          { id: h.id, name: h.name },
          p.arch,
          p.task_id ?? null,
          tag,
          p.repo ?? null,
          p.path ?? null,
        ),
      );
    });
    r.implement<api.SetBuildRootStateParams>(api.hostSetBuildRootState, async (p, ctx) => {
      const h = await this.me(ctx);
      const state = typeof p.state === 'string' ? BR_STATES[p.state as keyof typeof BR_STATES] : p.state;
      await this.bus.execute(
        new ChangeBuildroot(ctx, { id: h.id, name: h.name }, p.brootid, { kind: 'state', state }),
      );
      return null;
    });
    r.implement<api.BuildRootRetentionParams>(api.hostSetBuildRootRetention, async (p, ctx) => {
      const h = await this.me(ctx);
      await this.bus.execute(
        new ChangeBuildroot(ctx, { id: h.id, name: h.name }, p.brootid, {
          kind: 'retain',
          keepUntil: p.keep_until,
        }),
      );
      return null;
    });
    r.implement<api.BuildRootRemovedParams>(api.hostBuildRootRemoved, async (p, ctx) => {
      const h = await this.me(ctx);
      await this.bus.execute(
        new ChangeBuildroot(ctx, { id: h.id, name: h.name }, p.brootid, {
          kind: 'removed',
          reason: p.reason,
        }),
      );
      return null;
    });
    r.implement<api.UploadFileParams>(api.hostUploadFile, async (p, ctx) => {
      await this.uploadingTask(ctx, p.task_id);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(p.data)) throw genericError('data must be base64');
      return this.files.writeChunk(p.task_id, p.name, p.offset, Buffer.from(p.data, 'base64'), p.volume);
    });
    r.implement<api.FinishUploadParams>(api.hostFinishUpload, async (p, ctx) => {
      await this.uploadingTask(ctx, p.task_id);
      return this.files.finish(p.task_id, p.name, p.size, p.sha256, p.volume);
    });
    r.implement<api.UploadStatusParams>(api.hostUploadStatus, async (p, ctx) => {
      await this.uploadingTask(ctx, p.task_id);
      return this.files.uploadStatus(p.task_id, p.name, p.volume);
    });
  }

  /**
   * Koji's scheduling rules from the host's side: tasks assigned to it, then FREE tasks of its
   * enabled channels whose arch it has (noarch fits any), that fit its spare capacity; by priority
   * (lower first), then age.
   */
  async candidates(h: HostDoc) {
    if (!h.enabled) return [];
    const load = await this.tasks.load(h.id);
    const spare = h.capacity - load;
    const arches = new Set(h.arches.split(' ').filter(Boolean).map(canonArch));
    const channels: number[] = [];
    for (const id of h.channels) {
      const c = await this.tasks.channel(id);
      if (c?.enabled) channels.push(c.id);
    }
    const assigned = await this.tasks.rm.find<TaskDoc>(TASKS, {
      where: { state: TASK_STATES.ASSIGNED, host_id: h.id },
      index: 'state',
    });
    const free = channels.length
      ? await this.tasks.rm.find<TaskDoc>(TASKS, {
          where: { state: TASK_STATES.FREE, channel_id: { $in: channels } },
          orderBy: [
            ['priority', 'asc'],
            ['create_ts', 'asc'],
          ],
          limit: 200,
        })
      : [];
    // An idle host takes a task heavier than its capacity, or such a task would never run (Koji does the same).
    const fits = free.filter(
      (t) => (t.arch === 'noarch' || arches.has(canonArch(t.arch))) && (t.weight <= spare || load === 0),
    );
    return [...assigned, ...fits].map((t) => taskInfo(t, true));
  }
}
