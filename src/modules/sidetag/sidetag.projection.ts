import type { Projection, ProjectionTx } from '../../eventstore/projection.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import type { TagEvent } from '../tags/tags.events.js';
import { kojiTime } from '../tasks/tasks.projection.js';
import type { SideTagEvent } from './sidetag.events.js';

export interface SidetagDoc {
  id: number;
  name: string;
  user_id: number | null;
  user_name: string | null;
  basetag_id: number | null;
  basetag_name: string | null;
  /** koji-es: the label createSideTag was given (absent in documents of version 1). */
  label?: string | null;
  hold: { reason: string; by: string; time: string } | null;
  /** koji-es: when the owner wants it gone, seconds (absent before version 3). */
  expires_ts?: number | null;
  create_ts: number;
  last_change_ts: number | null;
  builds: number;
}

export const SIDETAGS = 'sidetags';

/** What a tag needs to be listed: its own extra `sidetag` is truthy (an admin-marked tag counts too). */
const isSidetagExtra = (extra: Record<string, unknown>) =>
  !!extra.sidetag && extra.sidetag !== 0 && extra.sidetag !== '';

interface TagMirror {
  id: number;
  name: string;
  extra: Record<string, unknown>;
  parent: { id: number; name: string } | null;
  create_ts: number;
  last_change_ts: number | null;
  builds: number;
  hold: SidetagDoc['hold'];
  label?: string | null;
  expires_ts?: number | null;
}

const MIRROR = 'sidetag_tag_mirror';

function toDoc(m: TagMirror): SidetagDoc {
  const uid = m.extra.sidetag_user_id;
  return {
    id: m.id,
    name: m.name,
    user_id: uid === undefined || uid === null ? null : Number(uid),
    user_name: typeof m.extra.sidetag_user === 'string' ? m.extra.sidetag_user : null,
    basetag_id: m.parent?.id ?? null,
    basetag_name: m.parent?.name ?? null,
    label: m.label ?? null,
    hold: m.hold,
    expires_ts: m.expires_ts ?? null,
    create_ts: m.create_ts,
    last_change_ts: m.last_change_ts,
    builds: m.builds,
  };
}

/**
 * The active sidetags listSideTags and the cleanup read: every tag whose own extra marks it a
 * sidetag, with owner, base tag, hold, age and activity. A mirror of every tag is kept so a tag an
 * admin later marks as a sidetag is listed with its history.
 */
export const sidetagProjection: Projection = {
  name: 'sidetags',
  // 2: the label; 3: the expiry
  version: 3,
  collections: [{ name: SIDETAGS, indexes: ['name', 'user_id', 'basetag_id', 'label'] }, { name: MIRROR }],
  filter: {
    types: [
      'TagCreated',
      'TagEdited',
      'TagInheritanceChanged',
      'TagDeleted',
      'PackageTagged',
      'PackageUntagged',
      'SideTagCreated',
      'SideTagExpirySet',
      'SideTagHeld',
      'SideTagReleased',
    ],
  },
  // A sidetag's create_ts is the time its command was decided (metadata.recordedTime).
  readsMetadata: true,
  apply(ev: RecordedEvent, tx: ProjectionTx) {
    const e = { type: ev.type, data: ev.data } as TagEvent | SideTagEvent;
    const save = (m: TagMirror) => {
      tx.put(MIRROR, String(m.id), m);
      if (isSidetagExtra(m.extra)) tx.put(SIDETAGS, String(m.id), toDoc(m));
      else tx.delete(SIDETAGS, String(m.id));
    };
    const mirror = (id: number) => tx.get<TagMirror>(MIRROR, String(id));
    const ts = () => kojiTime(String(ev.metadata.recordedTime ?? ev.recordedAt)).ts;
    switch (e.type) {
      case 'TagCreated': {
        const p = e.data.inheritance[0];
        return save({
          id: e.data.id,
          name: e.data.name,
          extra: e.data.extra,
          parent: p ? { id: p.parent_id, name: p.name } : null,
          create_ts: ts(),
          last_change_ts: null,
          builds: 0,
          hold: null,
        });
      }
      case 'TagEdited': {
        const m = mirror(e.data.id);
        if (!m) return;
        const extra = { ...m.extra, ...e.data.extraSet };
        for (const k of e.data.extraRemoved) delete extra[k];
        return save({ ...m, name: e.data.changes.name ?? m.name, extra });
      }
      case 'TagInheritanceChanged': {
        const m = mirror(e.data.id);
        if (!m) return;
        const p = [...e.data.inheritance].sort((a, b) => a.priority - b.priority)[0];
        return save({ ...m, parent: p ? { id: p.parent_id, name: p.name } : null });
      }
      case 'TagDeleted':
        tx.delete(MIRROR, String(e.data.id));
        tx.delete(SIDETAGS, String(e.data.id));
        return;
      case 'PackageTagged':
      case 'PackageUntagged': {
        const m = mirror(e.data.tag.id);
        if (!m) return;
        return save({
          ...m,
          builds: Math.max(0, m.builds + (e.type === 'PackageTagged' ? 1 : -1)),
          last_change_ts: ts(),
        });
      }
      case 'SideTagCreated': {
        const m = mirror(e.data.id);
        if (m && e.data.label) return save({ ...m, label: e.data.label });
        return;
      }
      case 'SideTagExpirySet': {
        const m = mirror(e.data.id);
        if (m)
          return save({ ...m, expires_ts: e.data.expires === null ? null : kojiTime(e.data.expires).ts });
        return;
      }
      case 'SideTagHeld': {
        const m = mirror(e.data.id);
        if (m) return save({ ...m, hold: { reason: e.data.reason, by: e.data.by.name, time: e.data.time } });
        return;
      }
      case 'SideTagReleased': {
        const m = mirror(e.data.id);
        if (m) return save({ ...m, hold: null });
        return;
      }
    }
  },
};
