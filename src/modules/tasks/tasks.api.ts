import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  actionNotAllowed,
  genericError,
  KojiError,
  faultNameOf,
  type FaultName,
} from '../../kernel/errors.js';
import { pyRepr } from '../../rpc/method.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { applyQueryOpts } from '../../rpc/query-opts.js';
import { UsersReader } from '../users/users.reader.js';
import { parseArches } from './arches.js';
import { isFinished } from './task.decider.js';
import * as api from './tasks.contract.js';
import { CancelTask, ChangeHost, AddHost, AddChannel, EditChannel, MakeTask } from './tasks.commands.js';
import { TASK_STATES } from './tasks.events.js';
import {
  BUILDROOTS,
  CHANNELS,
  HOSTS,
  TASKS,
  type BuildrootDoc,
  type ChannelDoc,
  type HostDoc,
  type TaskDoc,
} from './tasks.projection.js';
import { buildrootInfo, hostInfo, taskInfo, TasksReader } from './tasks.reader.js';
import { checkFileName, checkVolume, taskRelPath, TaskFiles, volumePrefix } from './task-files.js';
import { FILES_ACCESS, type FilesAccess } from './files-access.js';

/** A host's capacity (Koji's default is 2.0): far beyond any builder, short of absurd. */
const MAX_HOST_CAPACITY = 1_000_000;

const asList = <T>(v: T | T[] | null | undefined): T[] | null =>
  v === null || v === undefined ? null : Array.isArray(v) ? v : [v];

/** A time filter value of listTasks: float seconds or an ISO/Koji time string. */
function tsOf(v: unknown, key: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Date.parse(v) / 1000;
  throw genericError(`Invalid value for ${key}: ${pyRepr(v)}`);
}

/** Hosts, channels, tasks, buildroots and task output: the hub side of Koji's task system. */
@Injectable()
export class TasksApi implements OnModuleInit {
  constructor(
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
    private readonly tasks: TasksReader,
    private readonly users: UsersReader,
    private readonly files: TaskFiles,
    @Inject(FILES_ACCESS) private readonly access: FilesAccess,
  ) {}

  onModuleInit(): void {
    const r = this.registry;
    // hosts and channels
    r.implement<api.AddHostParams>(api.addHost, (p, ctx) =>
      this.bus.execute(new AddHost(ctx, p.hostname, p.arches, p.krb_principal ?? null, p.force)),
    );
    r.implement<api.EditHostParams>(api.editHost, async (p, ctx) => {
      const h = await this.tasks.strictHost(p.hostInfo);
      const allowed = ['arches', 'capacity', 'description', 'comment'];
      for (const k of Object.keys(p.kw))
        if (!allowed.includes(k)) throw genericError(`editHost() got an unexpected keyword argument '${k}'`);
      const changes: Record<string, unknown> = {};
      if (p.kw.arches !== undefined) changes.arches = parseArches(p.kw.arches);
      if (p.kw.capacity !== undefined) {
        if (typeof p.kw.capacity !== 'number' || !(p.kw.capacity >= 0))
          throw genericError('capacity must be a number >= 0');
        // Koji's FLOAT column would take 1e20, which no builder has and every listing prints badly.
        if (p.kw.capacity > MAX_HOST_CAPACITY)
          throw genericError(`capacity must be at most ${MAX_HOST_CAPACITY}, got ${pyRepr(p.kw.capacity)}`);
        changes.capacity = p.kw.capacity;
      }
      for (const k of ['description', 'comment'])
        if (p.kw[k] !== undefined) {
          if (p.kw[k] !== null && typeof p.kw[k] !== 'string') throw genericError(`${k} must be a string`);
          changes[k] = p.kw[k];
        }
      const events = await this.bus.execute(new ChangeHost(ctx, h.id, { kind: 'edit', changes }));
      return events.length > 0;
    });
    for (const [decl, enabled] of [
      [api.enableHost, true],
      [api.disableHost, false],
    ] as const) {
      r.implement<api.HostnameParams>(decl, async (p, ctx) => {
        const h = await this.tasks.strictHost(p.hostname);
        await this.bus.execute(new ChangeHost(ctx, h.id, { kind: 'setEnabled', enabled }));
        return null;
      });
    }
    r.implement<api.GetHostParams>(api.getHost, async (p) => {
      const h = p.strict ? await this.tasks.strictHost(p.hostInfo) : await this.tasks.host(p.hostInfo);
      return h ? hostInfo(h, await this.tasks.load(h.id)) : null;
    });
    r.implement<api.ListHostsParams>(api.listHosts, (p) => this.listHosts(p));
    r.implement<api.HostChannelParams>(api.addHostToChannel, async (p, ctx) => {
      const h = await this.tasks.strictHost(p.hostname);
      let ch = await this.tasks.channel(p.channel_name);
      if (!ch && p.create) {
        await this.bus.execute(new AddChannel(ctx, p.channel_name, null));
        ch = await this.tasks.channel(p.channel_name);
      }
      if (!ch) throw genericError(`No such channel: ${p.channel_name}`);
      if (!ch.enabled && !p.force) throw genericError(`channel ${ch.name} is disabled`);
      await this.bus.execute(
        new ChangeHost(ctx, h.id, { kind: 'addChannel', channel: { id: ch.id, name: ch.name } }),
      );
      return null;
    });
    r.implement<api.RemoveHostChannelParams>(api.removeHostFromChannel, async (p, ctx) => {
      const h = await this.tasks.strictHost(p.hostname);
      const ch = await this.tasks.strictChannel(p.channel_name);
      await this.bus.execute(
        new ChangeHost(ctx, h.id, { kind: 'removeChannel', channel: { id: ch.id, name: ch.name } }),
      );
      return null;
    });
    r.implement<api.ListChannelsParams>(api.listChannels, async (p) => {
      let channels = await this.tasks.rm.find<ChannelDoc>(CHANNELS, { orderBy: [['id', 'asc']] });
      if (p.hostID !== null && p.hostID !== undefined) {
        const h = await this.tasks.host(p.hostID);
        channels = h ? channels.filter((c) => h.channels.includes(c.id)) : [];
      }
      if (p.enabled !== null && p.enabled !== undefined)
        channels = channels.filter((c) => c.enabled === p.enabled);
      return channels;
    });
    r.implement<api.GetChannelParams>(api.getChannel, async (p) =>
      p.strict ? this.tasks.strictChannel(p.channelInfo) : this.tasks.channel(p.channelInfo),
    );
    r.implement<api.AddChannelParams>(api.addChannel, (p, ctx) =>
      this.bus.execute(new AddChannel(ctx, p.channel_name, p.description ?? null)),
    );
    r.implement<api.EditChannelParams>(api.editChannel, async (p, ctx) => {
      const ch = await this.tasks.strictChannel(p.channelInfo);
      const allowed = ['name', 'description', 'enabled', 'comment'];
      for (const k of Object.keys(p.kw))
        if (!allowed.includes(k))
          throw genericError(`editChannel() got an unexpected keyword argument '${k}'`);
      return this.bus.execute(new EditChannel(ctx, ch.id, p.kw as EditChannel['changes']));
    });

    // tasks
    r.implement<api.MakeTaskParams>(api.makeTask, async (p, ctx) => {
      const o = p.opts;
      const known = ['channel', 'arch', 'priority', 'label', 'parent', 'weight'];
      for (const k of Object.keys(o))
        if (!known.includes(k)) throw genericError(`makeTask() got an unexpected keyword argument '${k}'`);
      if (o.priority !== undefined && !Number.isInteger(o.priority))
        throw genericError('priority must be an integer');
      if (o.arch !== undefined) parseArches(String(o.arch));
      return this.bus.execute(
        new MakeTask(ctx, {
          method: p.method,
          request: p.arglist,
          channel: (o.channel as string | undefined) ?? null,
          arch: (o.arch as string | undefined) ?? 'noarch',
          priority: o.priority as number | undefined,
          weight: o.weight as number | undefined,
          label: (o.label as string | undefined) ?? null,
          parent: (o.parent as number | undefined) ?? null,
        }),
      );
    });
    r.implement<api.GetTaskInfoParams>(api.getTaskInfo, async (p) => {
      const one = async (id: unknown) => {
        if (typeof id !== 'number' || !Number.isInteger(id))
          throw genericError(`Invalid task id: ${pyRepr(id)}`);
        const t = await this.tasks.task(id);
        if (!t && p.strict) throw genericError(`No such task: ${id}`);
        return t ? taskInfo(t, p.request) : null;
      };
      if (Array.isArray(p.task_id)) return Promise.all(p.task_id.map(one));
      return one(p.task_id);
    });
    r.implement<api.ListTasksParams>(api.listTasks, (p) => this.listTasks(p));
    r.implement<api.TaskIdCamelParams>(api.taskFinished, async (p) =>
      isFinished((await this.tasks.strictTask(p.taskId)).state),
    );
    r.implement<api.GetTaskResultParams>(api.getTaskResult, async (p) => {
      const t = await this.tasks.strictTask(p.taskId);
      if (t.state === TASK_STATES.CLOSED) return t.result;
      if (t.state === TASK_STATES.CANCELED) throw genericError(`Task ${t.id} is canceled`);
      if (t.state === TASK_STATES.FAILED) {
        const f = t.fault ?? { faultCode: 1000, faultString: 'task failed', name: 'GenericError' };
        if (!p.raise_fault) return { faultCode: f.faultCode, faultString: f.faultString };
        const name = (faultNameOf(f.faultCode) ?? 'GenericError') as FaultName;
        throw new KojiError(name, f.faultString);
      }
      throw genericError(`Task ${t.id} is not finished`);
    });
    r.implement<api.GetTaskChildrenParams>(api.getTaskChildren, async (p) => {
      if (p.strict) await this.tasks.strictTask(p.task_id);
      return (await this.tasks.children(p.task_id)).map((t) => taskInfo(t, p.request));
    });
    r.implement<api.TaskIdCamelParams>(
      api.getTaskRequest,
      async (p) => (await this.tasks.strictTask(p.taskId)).request,
    );
    r.implement<api.CancelTaskParams>(api.cancelTask, (p, ctx) =>
      this.bus.execute(new CancelTask(ctx, p.task_id, p.recurse)),
    );
    r.implement<api.ListTaskOutputParams>(api.listTaskOutput, async (p) => {
      if (p.strict) await this.tasks.strictTask(p.taskID);
      return this.files.list(p.taskID, p.stat, p.all_volumes);
    });
    r.implement<api.DownloadTaskOutputParams>(api.downloadTaskOutput, async (p, ctx) => {
      // The same access rules as GET /files: a saved tree is its owner's unless configured otherwise.
      const rel = `${volumePrefix(checkVolume(p.volume))}${taskRelPath(p.taskID)}/${p.fileName}`;
      checkFileName(p.fileName);
      const denied = await this.access.check(rel, ctx);
      if (denied) throw actionNotAllowed(denied.message);
      const bytes = await this.files.read(p.taskID, p.fileName, p.offset, p.size, p.volume);
      // Koji returns base64 text as a plain string: the client b64decodes it itself.
      return bytes.toString('base64');
    });

    // buildroots
    r.implement<api.GetBuildrootParams>(api.getBuildroot, async (p) => {
      const b = p.strict
        ? await this.tasks.strictBuildroot(p.buildrootID)
        : await this.tasks.buildroot(p.buildrootID);
      return b ? buildrootInfo(b) : null;
    });
    r.implement<api.ListBuildrootsParams>(api.listBuildroots, async (p) => {
      const where: Record<string, number | { $in: number[] }> = {};
      if (p.hostID !== null && p.hostID !== undefined) where.host_id = p.hostID;
      if (p.tagID !== null && p.tagID !== undefined) where.tag_id = p.tagID;
      if (p.taskID !== null && p.taskID !== undefined) where.task_id = p.taskID;
      if (p.buildrootID !== null && p.buildrootID !== undefined) where.id = p.buildrootID;
      if (p.repoID !== null && p.repoID !== undefined) where.repo_id = p.repoID;
      const states = asList(p.state);
      if (states) where.state = { $in: states };
      if (p.rpmID || p.archiveID) return applyQueryOpts([], p.queryOpts);
      const rows = await this.tasks.rm.find<BuildrootDoc>(BUILDROOTS, { where, orderBy: [['id', 'asc']] });
      return applyQueryOpts(rows.map(buildrootInfo), p.queryOpts);
    });
  }

  private async listHosts(p: api.ListHostsParams) {
    let hosts = await this.tasks.rm.find<HostDoc>(HOSTS, { orderBy: [['id', 'asc']] });
    if (p.arches?.length) hosts = hosts.filter((h) => h.arches.split(' ').some((a) => p.arches!.includes(a)));
    if (p.channelID !== null && p.channelID !== undefined) {
      const ch = await this.tasks.channel(p.channelID);
      hosts = ch ? hosts.filter((h) => h.channels.includes(ch.id)) : [];
    }
    if (p.ready !== null && p.ready !== undefined) hosts = hosts.filter((h) => h.ready === p.ready);
    if (p.enabled !== null && p.enabled !== undefined) hosts = hosts.filter((h) => h.enabled === p.enabled);
    if (p.userID !== null && p.userID !== undefined) {
      const u = await this.users.find(p.userID);
      hosts = u ? hosts.filter((h) => h.user_id === u.id) : [];
    }
    const out = [];
    for (const h of hosts) out.push(hostInfo(h, await this.tasks.load(h.id)));
    return applyQueryOpts(out, p.queryOpts);
  }

  private async listTasks(p: api.ListTasksParams) {
    const o = p.opts ?? {};
    const where: Record<string, number | string | null | { $in: (number | string | null)[] }> = {};
    const inList = (key: string, field: string) => {
      const v = asList(o[key] as number | string | (number | string)[] | null | undefined);
      if (v) where[field] = { $in: v };
    };
    inList('state', 'state');
    inList('owner', 'owner');
    inList('host_id', 'host_id');
    inList('channel_id', 'channel_id');
    inList('method', 'method');
    inList('arch', 'arch');
    if (o.parent !== undefined) {
      const v = asList(o.parent as number | number[] | null);
      where.parent = v === null ? null : { $in: v };
    }
    if (o.id !== undefined) inList('id', 'id');
    let rows = await this.tasks.rm.find<TaskDoc>(TASKS, { where, orderBy: [['id', 'asc']] });
    const not = (key: string, field: keyof TaskDoc) => {
      const v = asList(o[key] as unknown);
      if (v) rows = rows.filter((t) => !v.includes(t[field]));
    };
    not('not_state', 'state');
    not('not_owner', 'owner');
    not('not_host_id', 'host_id');
    not('not_channel_id', 'channel_id');
    not('not_method', 'method');
    not('not_arch', 'arch');
    not('not_parent', 'parent');
    const times: [string, keyof TaskDoc, 'before' | 'after'][] = [
      ['createdBefore', 'create_ts', 'before'],
      ['createdAfter', 'create_ts', 'after'],
      ['startedBefore', 'start_ts', 'before'],
      ['startedAfter', 'start_ts', 'after'],
      ['completeBefore', 'completion_ts', 'before'],
      ['completeAfter', 'completion_ts', 'after'],
    ];
    for (const [key, field, dir] of times) {
      if (o[key] === undefined || o[key] === null) continue;
      const ts = tsOf(o[key], key);
      rows = rows.filter((t) => {
        const v = t[field] as number | null;
        return v !== null && (dir === 'before' ? v < ts : v > ts);
      });
    }
    const out = rows.map((t) => ({
      ...taskInfo(t, true),
      result: t.state === TASK_STATES.CLOSED ? t.result : null,
      owner_name: t.owner_name,
      host_name: t.host_name,
    }));
    return applyQueryOpts(out, p.queryOpts);
  }
}
