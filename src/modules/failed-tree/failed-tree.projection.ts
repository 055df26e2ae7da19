import type { Projection, ProjectionTx } from '../../eventstore/projection.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import { kojiTime } from '../tasks/tasks.projection.js';
import type { FailedTreeEvent } from './failed-tree.events.js';

export interface TreeDoc {
  task_id: number;
  buildroot_id: number;
  failed_task_id: number;
  owner_id: number;
  owner_name: string;
  host_name: string;
  file: string;
  volume: string;
  size: number;
  sha256: string;
  full: boolean;
  entries: number;
  excluded_by_config: number;
  excluded_mandatory: number;
  skipped: number;
  archived_ts: number;
  expired: { reason: string; time: string } | null;
}

export const TREES = 'failed_trees';

/** Saved trees: what the task page, the download rule and the collector read. */
export const failedTreeProjection: Projection = {
  name: 'failed_trees',
  version: 1,
  // The task and buildroot pages find a task's trees; the collector reads them all.
  collections: [{ name: TREES, indexes: ['owner_id', 'failed_task_id', 'buildroot_id'] }],
  filter: { types: ['TreeArchived', 'TreeExpired'] },
  apply(ev: RecordedEvent, tx: ProjectionTx) {
    const e = { type: ev.type, data: ev.data } as FailedTreeEvent;
    if (e.type === 'TreeArchived') {
      const d = e.data;
      tx.put(TREES, String(d.taskId), {
        task_id: d.taskId,
        buildroot_id: d.buildrootId,
        failed_task_id: d.failedTaskId,
        owner_id: d.owner.id,
        owner_name: d.owner.name,
        host_name: d.host.name,
        file: d.file,
        volume: d.volume,
        size: d.size,
        sha256: d.sha256,
        full: d.full,
        entries: d.entries,
        excluded_by_config: d.excludedByConfig,
        excluded_mandatory: d.excludedMandatory,
        skipped: d.skipped,
        archived_ts: kojiTime(d.time).ts,
        expired: null,
      } satisfies TreeDoc);
      return;
    }
    const t = tx.get<TreeDoc>(TREES, String(e.data.taskId));
    if (t) tx.put(TREES, String(t.task_id), { ...t, expired: { reason: e.data.reason, time: e.data.time } });
  },
};
