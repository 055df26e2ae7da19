import { Inject, Injectable } from '@nestjs/common';
import { STORE_BACKEND } from '../../app.tokens.js';
import type { StoreBackend } from '../../eventstore/open.js';
import type { ReadModelReader } from '../../eventstore/read-model.port.js';
import { genericError } from '../../kernel/errors.js';
import { pyRepr } from '../../rpc/method.js';
import type { IdOrName } from '../../rpc/validators.js';
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
import { TASK_STATES } from './tasks.events.js';

/** Lookups on the tasks read model, with Koji's strict/non-strict rules and messages. */
@Injectable()
export class TasksReader {
  constructor(@Inject(STORE_BACKEND) private readonly backend: StoreBackend) {}

  get rm(): ReadModelReader {
    return this.backend.readModels.reader;
  }

  private async byIdOrName<T>(collection: string, info: IdOrName): Promise<T | null> {
    if (typeof info === 'number') return this.rm.get<T>(collection, String(info));
    if (typeof info === 'string')
      return (await this.rm.find<T>(collection, { where: { name: info }, limit: 1 }))[0] ?? null;
    if (info.id !== undefined) return this.rm.get<T>(collection, String(info.id));
    if (info.name !== undefined) return this.byIdOrName<T>(collection, info.name);
    return null;
  }

  host(info: IdOrName): Promise<HostDoc | null> {
    return this.byIdOrName<HostDoc>(HOSTS, info);
  }

  async strictHost(info: IdOrName): Promise<HostDoc> {
    const h = await this.host(info);
    if (!h) throw genericError(`No such host: ${pyRepr(info)}`);
    return h;
  }

  async hostOfUser(userId: number): Promise<HostDoc | null> {
    return (await this.rm.find<HostDoc>(HOSTS, { where: { user_id: userId }, limit: 1 }))[0] ?? null;
  }

  channel(info: IdOrName): Promise<ChannelDoc | null> {
    return this.byIdOrName<ChannelDoc>(CHANNELS, info);
  }

  async strictChannel(info: IdOrName): Promise<ChannelDoc> {
    const c = await this.channel(info);
    if (!c) throw genericError(`No such channel: ${typeof info === 'object' ? pyRepr(info) : info}`);
    return c;
  }

  task(id: number): Promise<TaskDoc | null> {
    return this.rm.get<TaskDoc>(TASKS, String(id));
  }

  async strictTask(id: number): Promise<TaskDoc> {
    const t = await this.task(id);
    if (!t) throw genericError(`No such task: ${id}`);
    return t;
  }

  children(id: number): Promise<TaskDoc[]> {
    return this.rm.find<TaskDoc>(TASKS, { where: { parent: id }, orderBy: [['id', 'asc']] });
  }

  buildroot(id: number): Promise<BuildrootDoc | null> {
    return this.rm.get<BuildrootDoc>(BUILDROOTS, String(id));
  }

  async strictBuildroot(id: number): Promise<BuildrootDoc> {
    const b = await this.buildroot(id);
    if (!b) throw genericError(`No such buildroot: ${id}`);
    return b;
  }

  /** Sum of the weights of a host's open tasks (Koji's task_load). */
  async load(hostId: number): Promise<number> {
    const open = await this.rm.find<TaskDoc>(TASKS, {
      where: { host_id: hostId, state: TASK_STATES.OPEN },
      // Few tasks are OPEN; by the host index this read every task the host ever ran, at each poll.
      index: 'state',
    });
    return open.reduce((n, t) => n + t.weight, 0);
  }
}

/** Koji's host dict. */
export function hostInfo(h: HostDoc, taskLoad: number) {
  return {
    id: h.id,
    user_id: h.user_id,
    name: h.name,
    update_ts: h.update_ts,
    update_time: h.update_time,
    ready: h.ready,
    task_load: taskLoad,
    arches: h.arches,
    capacity: h.capacity,
    description: h.description,
    comment: h.comment,
    enabled: h.enabled,
  };
}

/** Koji's getTaskInfo dict (request only when asked); koji-es keeps a few extra fields. */
export function taskInfo(t: TaskDoc, request = false) {
  const { request: req, fault: _fault, result: _result, assigned: _assigned, channel_name: _c, ...rest } = t;
  return request ? { ...rest, request: req } : rest;
}

/** Koji's query_buildroots row; `create_event_time` is what Koji's hostinfo reads. */
export function buildrootInfo(b: BuildrootDoc) {
  return { ...b, create_event_time: b.create_time };
}
