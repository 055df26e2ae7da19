// Rebuilds Koji's host and channel writes (kojihub.py add_host, edit_host, enable_host/disable_host,
// add_host_to_channel/remove_host_from_channel, add_channel/edit_channel, host.updateHost, the
// scheduler's check_hosts marking silent hosts not ready) and the buildroot state rules (kojihub.py
// BuildRoot.setState). Deliberate difference: host.updateHost is recorded only when readiness changes
// or once a minute (three times per HostTimeout when shorter: HostCheckedIn), not on every heartbeat.
import { genericError } from '../../kernel/errors.js';
import {
  BR_STATES,
  type BuildrootEvent,
  type ChannelEvent,
  type HostAdded,
  type HostEdited,
  type HostEvent,
  type Ref,
} from './tasks.events.js';

export interface HostState {
  exists: boolean;
  id: number;
  name: string;
  enabled: boolean;
  ready: boolean;
  channels: Record<string, string>;
  lastCheckIn: string | null;
  arches: string;
  capacity: number;
  description: string | null;
  comment: string | null;
}

export const initialHostState: HostState = {
  exists: false,
  id: 0,
  name: '',
  enabled: true,
  ready: false,
  channels: {},
  lastCheckIn: null,
  arches: '',
  capacity: 2,
  description: null,
  comment: null,
};

export type HostCommand =
  | { kind: 'add'; host: HostAdded['data'] }
  | { kind: 'edit'; changes: HostEdited['data']['changes'] }
  | { kind: 'setEnabled'; enabled: boolean }
  | { kind: 'addChannel'; channel: Ref }
  | { kind: 'removeChannel'; channel: Ref }
  | { kind: 'checkIn'; ready: boolean; taskLoad: number; now: string; everyMs: number }
  | { kind: 'markNotReady'; now: string };

export function evolveHost(s: HostState, e: HostEvent): HostState {
  switch (e.type) {
    case 'HostAdded':
      return {
        ...initialHostState,
        exists: true,
        id: e.data.id,
        name: e.data.name,
        arches: e.data.arches,
        capacity: e.data.capacity,
        description: e.data.description,
        comment: e.data.comment,
      };
    case 'HostEdited':
      return { ...s, ...e.data.changes };
    case 'HostEnabledChanged':
      return { ...s, enabled: e.data.enabled };
    case 'HostChannelAdded':
      return { ...s, channels: { ...s.channels, [String(e.data.channel.id)]: e.data.channel.name } };
    case 'HostChannelRemoved': {
      const { [String(e.data.channel.id)]: _, ...channels } = s.channels;
      return { ...s, channels };
    }
    case 'HostCheckedIn':
      return { ...s, ready: e.data.ready, lastCheckIn: e.data.time };
    case 'HostMarkedNotReady':
      return { ...s, ready: false };
  }
}

export function decideHost(c: HostCommand, s: HostState): HostEvent[] {
  if (c.kind === 'add') {
    if (s.exists) throw genericError(`host already exists: ${s.name}`);
    return [{ type: 'HostAdded', data: c.host }];
  }
  if (!s.exists) throw genericError('No such host');
  const who = { id: s.id, name: s.name };
  switch (c.kind) {
    case 'edit': {
      const changes: HostEdited['data']['changes'] = {};
      for (const [k, v] of Object.entries(c.changes) as [keyof HostEdited['data']['changes'], never][]) {
        if (v !== undefined && s[k] !== v) changes[k] = v;
      }
      return Object.keys(changes).length ? [{ type: 'HostEdited', data: { ...who, changes } }] : [];
    }
    case 'setEnabled':
      return s.enabled === c.enabled
        ? []
        : [{ type: 'HostEnabledChanged', data: { ...who, enabled: c.enabled } }];
    case 'addChannel':
      if (String(c.channel.id) in s.channels)
        throw genericError(`Host ${s.name} is already subscribed to the ${c.channel.name} channel`);
      return [{ type: 'HostChannelAdded', data: { ...who, channel: c.channel } }];
    case 'removeChannel':
      if (!(String(c.channel.id) in s.channels))
        throw genericError(`Host ${s.name} is not subscribed to the ${c.channel.name} channel`);
      return [{ type: 'HostChannelRemoved', data: { ...who, channel: c.channel } }];
    case 'checkIn': {
      const stale = !s.lastCheckIn || Date.parse(c.now) - Date.parse(s.lastCheckIn) >= c.everyMs;
      if (s.ready === c.ready && !stale) return [];
      return [{ type: 'HostCheckedIn', data: { ...who, ready: c.ready, taskLoad: c.taskLoad, time: c.now } }];
    }
    case 'markNotReady':
      return s.ready ? [{ type: 'HostMarkedNotReady', data: { ...who, time: c.now } }] : [];
  }
}

export interface ChannelState {
  exists: boolean;
  id: number;
  name: string;
  enabled: boolean;
  description: string | null;
}

export const initialChannelState: ChannelState = {
  exists: false,
  id: 0,
  name: '',
  enabled: true,
  description: null,
};

export function evolveChannel(s: ChannelState, e: ChannelEvent): ChannelState {
  switch (e.type) {
    case 'ChannelAdded':
      return {
        exists: true,
        id: e.data.id,
        name: e.data.name,
        enabled: true,
        description: e.data.description,
      };
    case 'ChannelEdited':
      return { ...s, ...e.data.changes };
  }
}

export interface BuildrootState {
  exists: boolean;
  id: number;
  state: number;
  hostId: number;
  taskId: number | null;
  keepUntil: string | null;
  removedAt: string | null;
}

export const initialBuildrootState: BuildrootState = {
  exists: false,
  id: 0,
  state: BR_STATES.INIT,
  hostId: 0,
  taskId: null,
  keepUntil: null,
  removedAt: null,
};

export function evolveBuildroot(s: BuildrootState, e: BuildrootEvent): BuildrootState {
  switch (e.type) {
    case 'BuildrootCreated':
      return {
        ...initialBuildrootState,
        exists: true,
        id: e.data.id,
        hostId: e.data.host.id,
        taskId: e.data.taskId,
      };
    case 'BuildrootStateChanged':
      return { ...s, state: e.data.state };
    case 'BuildrootRetained':
      return { ...s, keepUntil: e.data.keepUntil };
    case 'BuildrootRemoved':
      return { ...s, removedAt: e.data.removedAt };
  }
}

/** Koji's BuildRoot.setState rules, word for word. */
export function decideBuildrootState(s: BuildrootState, state: number, now: string): BuildrootEvent[] {
  if (!s.exists) throw genericError('No such buildroot');
  if (!Object.values(BR_STATES).includes(state as 0)) throw genericError(`Invalid buildroot state: ${state}`);
  if (state === BR_STATES.INIT) throw genericError('Cannot change buildroot state to INIT');
  if (s.state === BR_STATES.EXPIRED) {
    if (state === BR_STATES.EXPIRED) return [];
    throw genericError(`buildroot ${s.id} is EXPIRED`);
  }
  if (s.state === state) return [];
  return [{ type: 'BuildrootStateChanged', data: { id: s.id, state, time: now } }];
}
