import type { Projection, ProjectionTx } from '../../eventstore/projection.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import {
  BR_STATES,
  TASK_EVENT_TYPES,
  TASK_STATES,
  type BuildrootEvent,
  type ChannelEvent,
  type HostEvent,
  type StoredFault,
  type TaskEvent,
} from './tasks.events.js';

/** Koji's text form of a timestamp (`2025-07-02 10:00:00.123456+00:00`) and its float seconds. */
export function kojiTime(iso: string): Readonly<{ time: string; ts: number }> {
  // The events of one command share their time, and a replay asks for it once per event: parsing
  // the date was 3–4% of a rebuild.
  if (iso === lastTime.iso) return lastTime.out;
  const d = new Date(iso);
  const ms = String(d.getUTCMilliseconds()).padStart(3, '0');
  const out = { time: `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${ms}000+00:00`, ts: d.getTime() / 1000 };
  lastTime = { iso, out };
  return out;
}
let lastTime: { iso: string; out: Readonly<{ time: string; ts: number }> } = {
  iso: '',
  out: { time: '', ts: 0 },
};

export interface TaskDoc {
  id: number;
  state: number;
  create_time: string;
  create_ts: number;
  start_time: string | null;
  start_ts: number | null;
  completion_time: string | null;
  completion_ts: number | null;
  channel_id: number;
  channel_name: string;
  host_id: number | null;
  host_name: string | null;
  parent: number | null;
  label: string | null;
  waiting: boolean | null;
  awaited: boolean | null;
  owner: number;
  owner_name: string;
  method: string;
  arch: string;
  priority: number;
  weight: number;
  request: unknown[];
  result: unknown;
  fault: StoredFault | null;
  assigned: boolean;
}

export interface HostDoc {
  id: number;
  user_id: number;
  name: string;
  update_ts: number | null;
  update_time: string | null;
  ready: boolean;
  arches: string;
  capacity: number;
  description: string | null;
  comment: string | null;
  enabled: boolean;
  channels: number[];
}

export interface ChannelDoc {
  id: number;
  name: string;
  description: string | null;
  enabled: boolean;
  comment: string | null;
}

export interface BuildrootDoc {
  id: number;
  br_type: number;
  arch: string;
  host_id: number;
  host_name: string;
  task_id: number | null;
  tag_id: number | null;
  tag_name: string | null;
  repo_id: number | null;
  state: number;
  path: string | null;
  create_event_id: number;
  create_ts: number;
  create_time: string;
  retire_event_id: number | null;
  retire_ts: number | null;
  keep_until: string | null;
  removed_at: string | null;
  removed_reason: string | null;
}

export const TASKS = 'tasks';
export const HOSTS = 'hosts';
export const CHANNELS = 'channels';
export const BUILDROOTS = 'buildroots';

function update<T extends object>(tx: ProjectionTx, c: string, id: number, f: (d: T) => T) {
  const d = tx.get<T>(c, String(id));
  if (d) tx.put(c, String(id), f(d));
}

/** Tasks, hosts, channels and buildroots, as Koji's queries return them. */
export const tasksProjection: Projection = {
  name: 'tasks',
  version: 1,
  collections: [
    // priority and create_ts only order the free tasks a host is offered, found by channel and state.
    { name: TASKS, indexes: ['state', 'owner', 'host_id', 'parent', 'method', 'channel_id'] },
    { name: HOSTS, indexes: ['name', 'user_id'] },
    { name: CHANNELS, indexes: ['name'] },
    { name: BUILDROOTS, indexes: ['host_id', 'task_id', 'tag_id', 'state', 'repo_id'] },
  ],
  filter: { types: [...TASK_EVENT_TYPES] },
  apply(ev: RecordedEvent, tx: ProjectionTx) {
    const e = { type: ev.type, data: ev.data } as TaskEvent | HostEvent | ChannelEvent | BuildrootEvent;
    switch (e.type) {
      case 'TaskCreated': {
        const d = e.data;
        const t = kojiTime(d.createTime);
        tx.put(TASKS, String(d.id), {
          id: d.id,
          state: d.assignedHost ? TASK_STATES.ASSIGNED : TASK_STATES.FREE,
          create_time: t.time,
          create_ts: t.ts,
          start_time: null,
          start_ts: null,
          completion_time: null,
          completion_ts: null,
          channel_id: d.channel.id,
          channel_name: d.channel.name,
          host_id: d.assignedHost?.id ?? null,
          host_name: d.assignedHost?.name ?? null,
          parent: d.parent,
          label: d.label,
          waiting: null,
          awaited: null,
          owner: d.owner.id,
          owner_name: d.owner.name,
          method: d.method,
          arch: d.arch,
          priority: d.priority,
          weight: d.weight,
          request: d.request,
          result: null,
          fault: null,
          assigned: !!d.assignedHost,
        } satisfies TaskDoc);
        return;
      }
      case 'TaskOpened': {
        const t = kojiTime(e.data.startTime);
        return update<TaskDoc>(tx, TASKS, e.data.id, (d) => ({
          ...d,
          state: TASK_STATES.OPEN,
          host_id: e.data.host.id,
          host_name: e.data.host.name,
          start_time: t.time,
          start_ts: t.ts,
        }));
      }
      case 'TaskWeightSet':
        return update<TaskDoc>(tx, TASKS, e.data.id, (d) => ({ ...d, weight: e.data.weight }));
      case 'TaskClosed': {
        const t = kojiTime(e.data.completionTime);
        return update<TaskDoc>(tx, TASKS, e.data.id, (d) => ({
          ...d,
          state: TASK_STATES.CLOSED,
          result: e.data.result,
          completion_time: t.time,
          completion_ts: t.ts,
        }));
      }
      case 'TaskFailed': {
        const t = kojiTime(e.data.completionTime);
        return update<TaskDoc>(tx, TASKS, e.data.id, (d) => ({
          ...d,
          state: TASK_STATES.FAILED,
          fault: e.data.fault,
          result: e.data.result ?? null,
          completion_time: t.time,
          completion_ts: t.ts,
        }));
      }
      case 'TaskCanceled': {
        const t = kojiTime(e.data.completionTime);
        return update<TaskDoc>(tx, TASKS, e.data.id, (d) => ({
          ...d,
          state: TASK_STATES.CANCELED,
          completion_time: t.time,
          completion_ts: t.ts,
        }));
      }
      case 'TaskFreed':
        return update<TaskDoc>(tx, TASKS, e.data.id, (d) => ({
          ...d,
          state: TASK_STATES.FREE,
          host_id: null,
          host_name: null,
          start_time: null,
          start_ts: null,
        }));
      case 'HostAdded': {
        const d = e.data;
        tx.put(HOSTS, String(d.id), {
          id: d.id,
          user_id: d.userId,
          name: d.name,
          update_ts: null,
          update_time: null,
          ready: false,
          arches: d.arches,
          capacity: d.capacity,
          description: d.description,
          comment: d.comment,
          enabled: true,
          channels: [],
        } satisfies HostDoc);
        return;
      }
      case 'HostEdited':
        return update<HostDoc>(tx, HOSTS, e.data.id, (d) => ({ ...d, ...e.data.changes }));
      case 'HostEnabledChanged':
        return update<HostDoc>(tx, HOSTS, e.data.id, (d) => ({ ...d, enabled: e.data.enabled }));
      case 'HostChannelAdded':
        return update<HostDoc>(tx, HOSTS, e.data.id, (d) => ({
          ...d,
          channels: [...d.channels, e.data.channel.id].sort((a, b) => a - b),
        }));
      case 'HostChannelRemoved':
        return update<HostDoc>(tx, HOSTS, e.data.id, (d) => ({
          ...d,
          channels: d.channels.filter((c) => c !== e.data.channel.id),
        }));
      case 'HostCheckedIn': {
        const t = kojiTime(e.data.time);
        return update<HostDoc>(tx, HOSTS, e.data.id, (d) => ({
          ...d,
          ready: e.data.ready,
          update_ts: t.ts,
          update_time: t.time,
        }));
      }
      case 'HostMarkedNotReady':
        return update<HostDoc>(tx, HOSTS, e.data.id, (d) => ({ ...d, ready: false }));
      case 'ChannelAdded':
        tx.put(CHANNELS, String(e.data.id), {
          id: e.data.id,
          name: e.data.name,
          description: e.data.description,
          enabled: true,
          comment: null,
        } satisfies ChannelDoc);
        return;
      case 'ChannelEdited':
        return update<ChannelDoc>(tx, CHANNELS, e.data.id, (d) => ({ ...d, ...e.data.changes }));
      case 'BuildrootCreated': {
        const d = e.data;
        const t = kojiTime(d.createTime);
        tx.put(BUILDROOTS, String(d.id), {
          id: d.id,
          br_type: 0,
          arch: d.arch,
          host_id: d.host.id,
          host_name: d.host.name,
          task_id: d.taskId,
          tag_id: d.tag?.id ?? null,
          tag_name: d.tag?.name ?? null,
          repo_id: d.repoId,
          state: BR_STATES.INIT,
          path: d.path,
          create_event_id: ev.position,
          create_ts: t.ts,
          create_time: t.time,
          retire_event_id: null,
          retire_ts: null,
          keep_until: null,
          removed_at: null,
          removed_reason: null,
        } satisfies BuildrootDoc);
        return;
      }
      case 'BuildrootStateChanged': {
        const t = kojiTime(e.data.time);
        return update<BuildrootDoc>(tx, BUILDROOTS, e.data.id, (d) => ({
          ...d,
          state: e.data.state,
          ...(e.data.state === BR_STATES.EXPIRED ? { retire_event_id: ev.position, retire_ts: t.ts } : {}),
        }));
      }
      case 'BuildrootRetained':
        return update<BuildrootDoc>(tx, BUILDROOTS, e.data.id, (d) => ({
          ...d,
          keep_until: e.data.keepUntil,
        }));
      case 'BuildrootRemoved':
        return update<BuildrootDoc>(tx, BUILDROOTS, e.data.id, (d) => ({
          ...d,
          removed_at: e.data.removedAt,
          removed_reason: e.data.reason,
        }));
    }
  },
};
