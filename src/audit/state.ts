import type { StoreBackend } from '../eventstore/open.js';
import type { RecordedEvent } from '../eventstore/port.js';
import { upcasters } from '../kernel/upcasters.js';
import { evolveSideTag, initialSideTag } from '../modules/sidetag/sidetag.decider.js';
import type { SideTagEvent } from '../modules/sidetag/sidetag.events.js';
import { evolveTag, initialTagState } from '../modules/tags/tag.decider.js';
import type { TagEvent } from '../modules/tags/tags.events.js';
import { evolveBuildroot, initialBuildrootState } from '../modules/tasks/host.decider.js';
import { evolveTask, initialTaskState } from '../modules/tasks/task.decider.js';
import type { BuildrootEvent, TaskEvent } from '../modules/tasks/tasks.events.js';
import { evolveUser, initialUserState } from '../modules/users/users.decider.js';
import type { UserEvent } from '../modules/users/users.events.js';
import { eventTime, isoTime, redact } from './log.js';

export const STATE_KINDS = ['tag', 'sidetag', 'task', 'buildroot', 'user'] as const;
export type StateKind = (typeof STATE_KINDS)[number];

/** A moment: an ISO time, or a Koji event id (a global position). */
export function parseAt(at: string): { time: number } | { position: number } {
  if (/^\d+$/.test(at)) return { position: Number(at) };
  try {
    return { time: isoTime(at, '--at') };
  } catch {
    throw new Error(`--at ${at} is neither a time (ISO 8601, such as 2026-11-20T10:00:00Z) nor an event id`);
  }
}

function upTo(events: RecordedEvent[], at: ReturnType<typeof parseAt> | null): RecordedEvent[] {
  if (!at) return events;
  return events.filter((e) =>
    'position' in at ? e.position <= at.position : Date.parse(eventTime(e)) <= at.time,
  );
}

function fold<S, E>(events: RecordedEvent[], evolve: (s: S, e: E) => S, initial: S): S {
  return events.reduce((s, e) => evolve(s, { type: e.type, data: e.data } as E), initial);
}

/**
 * `audit state --at T KIND ID`: the entity folded from its own streams, with the deciders' evolve,
 * up to the moment — the same state a command would have decided on then.
 */
export async function stateAt(backend: StoreBackend, kind: StateKind, id: number, atText: string | null) {
  const at = atText ? parseAt(atText) : null;
  let recorded = 0;
  const events = async (name: string) => {
    const all = await backend.events.readStream(name);
    recorded += all.length;
    return upTo(
      all.map((e) => upcasters.upcast(e)),
      at,
    );
  };
  const state = await foldAt(kind, id, events);
  // An entity the log never had is a mistake in the id or kind, not a state ("exists": false is
  // for one made after the moment asked about).
  if (recorded === 0) throw new Error(`the log has no ${kind} ${id}`);
  return state;
}

async function foldAt(kind: StateKind, id: number, events: (name: string) => Promise<RecordedEvent[]>) {
  switch (kind) {
    case 'tag': {
      const ev = await events(`tag-${id}`);
      return {
        kind,
        id,
        events: ev.length,
        lastEvent: ev[ev.length - 1]?.position ?? null,
        state: fold<typeof initialTagState, TagEvent>(ev, evolveTag, initialTagState),
      };
    }
    case 'sidetag': {
      const tagEv = await events(`tag-${id}`);
      const stEv = await events(`sidetag-${id}`);
      return {
        kind,
        id,
        events: tagEv.length + stEv.length,
        lastEvent: Math.max(0, ...tagEv.map((e) => e.position), ...stEv.map((e) => e.position)) || null,
        state: {
          tag: fold<typeof initialTagState, TagEvent>(tagEv, evolveTag, initialTagState),
          sidetag: fold<typeof initialSideTag, SideTagEvent>(stEv, evolveSideTag, initialSideTag),
        },
      };
    }
    case 'task': {
      const ev = await events(`task-${id}`);
      return {
        kind,
        id,
        events: ev.length,
        lastEvent: ev[ev.length - 1]?.position ?? null,
        state: fold<typeof initialTaskState, TaskEvent>(ev, evolveTask, initialTaskState),
      };
    }
    case 'buildroot': {
      const ev = await events(`buildroot-${id}`);
      return {
        kind,
        id,
        events: ev.length,
        lastEvent: ev[ev.length - 1]?.position ?? null,
        state: fold<typeof initialBuildrootState, BuildrootEvent>(ev, evolveBuildroot, initialBuildrootState),
      };
    }
    case 'user': {
      const ev = await events(`user-${id}`);
      return {
        kind,
        id,
        events: ev.length,
        lastEvent: ev[ev.length - 1]?.position ?? null,
        state: redact(fold<typeof initialUserState, UserEvent>(ev, evolveUser, initialUserState)),
      };
    }
  }
}
