// Rebuilds Koji's task state machine (kojihub.py Task: open, close, fail, cancel, free, setWeight;
// koji/__init__.py TASK_STATES; scheduler.py frees tasks of hosts that stopped reporting).
// Deliberate differences: opening is a compare-and-set on the task stream's version, so two hosts
// can never open one task; a task assigned to a host on purpose fails instead of going back to FREE
// when that host stops reporting (DESIGN §5); cancelling a finished task appends nothing.
import type { Decider } from '../../kernel/decider.js';
import { actionNotAllowed, genericError } from '../../kernel/errors.js';
import {
  TASK_STATE_NAMES,
  TASK_STATES,
  type Ref,
  type StoredFault,
  type TaskCreated,
  type TaskEvent,
} from './tasks.events.js';

export interface TaskState {
  exists: boolean;
  id: number;
  state: number;
  method: string;
  owner: Ref | null;
  parent: number | null;
  host: Ref | null;
  assignedHost: Ref | null;
  weight: number;
}

export const initialTaskState: TaskState = {
  exists: false,
  id: 0,
  state: TASK_STATES.FREE,
  method: '',
  owner: null,
  parent: null,
  host: null,
  assignedHost: null,
  weight: 1,
};

export type TaskCommand =
  | { kind: 'create'; task: TaskCreated['data'] }
  | { kind: 'open'; host: Ref; now: string }
  | { kind: 'setWeight'; host: Ref; weight: number }
  | { kind: 'close'; host: Ref; result: unknown; now: string }
  /** A task the hub runs itself (tagBuild, newRepo): straight from FREE to CLOSED, with no host. */
  | { kind: 'completeByHub'; result: unknown; now: string }
  | { kind: 'fail'; host: Ref | null; fault: StoredFault; result?: unknown; now: string }
  | { kind: 'cancel'; by: Ref | null; now: string; parentCanceled?: number }
  | { kind: 'free'; host: Ref; reason: string };

const FINISHED: number[] = [TASK_STATES.CLOSED, TASK_STATES.CANCELED, TASK_STATES.FAILED];

export const isFinished = (state: number) => FINISHED.includes(state);

export function evolveTask(s: TaskState, e: TaskEvent): TaskState {
  switch (e.type) {
    case 'TaskCreated':
      return {
        exists: true,
        id: e.data.id,
        state: e.data.assignedHost ? TASK_STATES.ASSIGNED : TASK_STATES.FREE,
        method: e.data.method,
        owner: e.data.owner,
        parent: e.data.parent,
        host: e.data.assignedHost,
        assignedHost: e.data.assignedHost,
        weight: e.data.weight,
      };
    case 'TaskOpened':
      return { ...s, state: TASK_STATES.OPEN, host: e.data.host };
    case 'TaskWeightSet':
      return { ...s, weight: e.data.weight };
    case 'TaskClosed':
      return { ...s, state: TASK_STATES.CLOSED };
    case 'TaskFailed':
      return { ...s, state: TASK_STATES.FAILED };
    case 'TaskCanceled':
      return { ...s, state: TASK_STATES.CANCELED };
    case 'TaskFreed':
      return { ...s, state: TASK_STATES.FREE, host: null };
  }
}

const stateName = (s: number) => TASK_STATE_NAMES[s] ?? String(s);

function assertOwnedBy(s: TaskState, host: Ref) {
  if (s.state !== TASK_STATES.OPEN || s.host?.id !== host.id)
    throw actionNotAllowed(`host ${host.id} does not own task ${s.id}`);
}

export function decideTask(c: TaskCommand, s: TaskState): TaskEvent[] {
  if (c.kind === 'create') {
    if (s.exists) throw genericError(`task ${s.id} already exists`);
    return [{ type: 'TaskCreated', data: c.task }];
  }
  if (!s.exists) throw genericError('No such task');
  switch (c.kind) {
    case 'open':
      if (s.state === TASK_STATES.ASSIGNED) {
        if (s.assignedHost && s.assignedHost.id !== c.host.id)
          throw actionNotAllowed(`task ${s.id} is assigned to host ${s.assignedHost.name}`);
      } else if (s.state !== TASK_STATES.FREE) {
        throw genericError(`task ${s.id} is not free: it is ${stateName(s.state)}`);
      }
      return [{ type: 'TaskOpened', data: { id: s.id, host: c.host, startTime: c.now } }];
    case 'setWeight':
      assertOwnedBy(s, c.host);
      if (!(c.weight >= 0)) throw genericError(`invalid weight for task ${s.id}: ${c.weight}`);
      return c.weight === s.weight ? [] : [{ type: 'TaskWeightSet', data: { id: s.id, weight: c.weight } }];
    case 'close':
      assertOwnedBy(s, c.host);
      return [
        { type: 'TaskClosed', data: { id: s.id, host: c.host, result: c.result, completionTime: c.now } },
      ];
    case 'completeByHub':
      if (s.state !== TASK_STATES.FREE)
        throw genericError(`task ${s.id} is not free: it is ${stateName(s.state)}`);
      return [
        { type: 'TaskClosed', data: { id: s.id, host: null, result: c.result, completionTime: c.now } },
      ];
    case 'fail':
      if (c.host) assertOwnedBy(s, c.host);
      else if (isFinished(s.state))
        throw genericError(`task ${s.id} is already finished: it is ${stateName(s.state)}`);
      return [
        {
          type: 'TaskFailed',
          data: {
            id: s.id,
            host: c.host,
            fault: c.fault,
            ...(c.result !== undefined ? { result: c.result } : {}),
            completionTime: c.now,
          },
        },
      ];
    case 'cancel':
      if (isFinished(s.state)) return [];
      return [
        {
          type: 'TaskCanceled',
          data: {
            id: s.id,
            by: c.by,
            completionTime: c.now,
            ...(c.parentCanceled !== undefined ? { parentCanceled: c.parentCanceled } : {}),
          },
        },
      ];
    case 'free':
      if (s.state !== TASK_STATES.OPEN || s.host?.id !== c.host.id) return [];
      if (s.assignedHost)
        throw genericError(`task ${s.id} was assigned to host ${s.assignedHost.name} on purpose`);
      return [{ type: 'TaskFreed', data: { id: s.id, host: c.host, reason: c.reason } }];
  }
}

export const taskDecider: Decider<TaskCommand, TaskState, TaskEvent> = {
  initialState: initialTaskState,
  decide: decideTask,
  evolve: evolveTask,
};
