import type { DomainEvent } from '../../kernel/decider.js';

export const TASK_STATES = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;
export type TaskState = (typeof TASK_STATES)[keyof typeof TASK_STATES];
export const TASK_STATE_NAMES: Record<number, string> = {
  0: 'FREE',
  1: 'OPEN',
  2: 'CLOSED',
  3: 'CANCELED',
  4: 'ASSIGNED',
  5: 'FAILED',
};

export const BR_STATES = { INIT: 0, WAITING: 1, BUILDING: 2, EXPIRED: 3 } as const;
export const BR_STATE_NAMES: Record<number, string> = {
  0: 'INIT',
  1: 'WAITING',
  2: 'BUILDING',
  3: 'EXPIRED',
};

export interface Ref {
  id: number;
  name: string;
}

/** A fault as Koji stores it for a failed task: getTaskResult raises it again. */
export interface StoredFault {
  faultCode: number;
  faultString: string;
  name: string;
}

/** Stream `task-<id>`. */
export type TaskCreated = DomainEvent<
  'TaskCreated',
  {
    id: number;
    method: string;
    arch: string;
    channel: Ref;
    owner: Ref;
    priority: number;
    weight: number;
    parent: number | null;
    label: string | null;
    /** The call's arguments; keyword arguments travel as a trailing `{…, __starstar: true}`. */
    request: unknown[];
    /** Set when the task was given to a host on purpose (saveFailedTree): the scheduler never moves it. */
    assignedHost: Ref | null;
    createTime: string;
  }
>;
export type TaskOpened = DomainEvent<'TaskOpened', { id: number; host: Ref; startTime: string }>;
export type TaskWeightSet = DomainEvent<'TaskWeightSet', { id: number; weight: number }>;
/** `host` is null for a task the hub completes itself (tagBuild, newRepo). */
export type TaskClosed = DomainEvent<
  'TaskClosed',
  { id: number; host: Ref | null; result: unknown; completionTime: string }
>;
export type TaskFailed = DomainEvent<
  'TaskFailed',
  { id: number; host: Ref | null; fault: StoredFault; result?: unknown; completionTime: string }
>;
export type TaskCanceled = DomainEvent<
  'TaskCanceled',
  { id: number; by: Ref | null; completionTime: string; parentCanceled?: number }
>;
/** Back to FREE: its host stopped reporting (DESIGN §5). */
export type TaskFreed = DomainEvent<'TaskFreed', { id: number; host: Ref; reason: string }>;
export type TaskEvent =
  TaskCreated | TaskOpened | TaskWeightSet | TaskClosed | TaskFailed | TaskCanceled | TaskFreed;

/** Stream `host-<id>`. */
export type HostAdded = DomainEvent<
  'HostAdded',
  {
    id: number;
    name: string;
    userId: number;
    arches: string;
    capacity: number;
    description: string | null;
    comment: string | null;
  }
>;
export type HostEdited = DomainEvent<
  'HostEdited',
  {
    id: number;
    name: string;
    changes: { arches?: string; capacity?: number; description?: string | null; comment?: string | null };
  }
>;
export type HostEnabledChanged = DomainEvent<
  'HostEnabledChanged',
  { id: number; name: string; enabled: boolean }
>;
export type HostChannelAdded = DomainEvent<'HostChannelAdded', { id: number; name: string; channel: Ref }>;
export type HostChannelRemoved = DomainEvent<
  'HostChannelRemoved',
  { id: number; name: string; channel: Ref }
>;
/**
 * A host's report that it is alive. Heartbeats arrive every few seconds; only a change of readiness
 * or one report a minute (three per HostTimeout when shorter) becomes an event, so the log does not
 * fill with them.
 */
export type HostCheckedIn = DomainEvent<
  'HostCheckedIn',
  { id: number; name: string; ready: boolean; taskLoad: number; time: string }
>;
/**
 * The hub's scheduler found a ready host silent for longer than `[hub] HostTimeout` and marked it not
 * ready (Koji's scheduler check_hosts), so lists and schedulers stop counting on it; the host's next
 * heartbeat makes it ready again.
 */
export type HostMarkedNotReady = DomainEvent<
  'HostMarkedNotReady',
  { id: number; name: string; time: string }
>;
export type HostEvent =
  | HostAdded
  | HostEdited
  | HostEnabledChanged
  | HostChannelAdded
  | HostChannelRemoved
  | HostCheckedIn
  | HostMarkedNotReady;

/** Stream `channel-<id>`. */
export type ChannelAdded = DomainEvent<
  'ChannelAdded',
  { id: number; name: string; description: string | null }
>;
export type ChannelEdited = DomainEvent<
  'ChannelEdited',
  {
    id: number;
    name: string;
    changes: { name?: string; description?: string | null; enabled?: boolean; comment?: string | null };
  }
>;
export type ChannelEvent = ChannelAdded | ChannelEdited;

/** Stream `buildroot-<id>`. */
export type BuildrootCreated = DomainEvent<
  'BuildrootCreated',
  {
    id: number;
    host: Ref;
    taskId: number | null;
    arch: string;
    tag: Ref | null;
    repoId: number | null;
    path: string | null;
    createTime: string;
  }
>;
export type BuildrootStateChanged = DomainEvent<
  'BuildrootStateChanged',
  { id: number; state: number; time: string }
>;
/** Retention is not state: how long the builder keeps a FAILED task's directory, and when it went. */
export type BuildrootRetained = DomainEvent<'BuildrootRetained', { id: number; keepUntil: string }>;
export type BuildrootRemoved = DomainEvent<
  'BuildrootRemoved',
  { id: number; removedAt: string; reason: string }
>;
export type BuildrootEvent = BuildrootCreated | BuildrootStateChanged | BuildrootRetained | BuildrootRemoved;

export const TASK_EVENT_TYPES = [
  'TaskCreated',
  'TaskOpened',
  'TaskWeightSet',
  'TaskClosed',
  'TaskFailed',
  'TaskCanceled',
  'TaskFreed',
  'HostAdded',
  'HostEdited',
  'HostEnabledChanged',
  'HostChannelAdded',
  'HostChannelRemoved',
  'HostCheckedIn',
  'HostMarkedNotReady',
  'ChannelAdded',
  'ChannelEdited',
  'BuildrootCreated',
  'BuildrootStateChanged',
  'BuildrootRetained',
  'BuildrootRemoved',
] as const;
