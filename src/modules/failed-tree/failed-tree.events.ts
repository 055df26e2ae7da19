import type { DomainEvent } from '../../kernel/decider.js';
import type { Ref } from '../tasks/tasks.events.js';

/** Stream `failedtree-<taskId>`: a saved buildroot tree, from archive to expiry. */
export type TreeArchived = DomainEvent<
  'TreeArchived',
  {
    taskId: number;
    buildrootId: number;
    /** The failed task whose buildroot this is, and its owner (the download rule needs them). */
    failedTaskId: number;
    owner: Ref;
    host: Ref;
    file: string;
    volume: string;
    size: number;
    sha256: string;
    full: boolean;
    entries: number;
    excludedByConfig: number;
    excludedMandatory: number;
    skipped: number;
    time: string;
  }
>;
export type TreeExpired = DomainEvent<
  'TreeExpired',
  {
    taskId: number;
    file: string;
    volume: string;
    size: number;
    reason: 'max_age_days' | 'max_total_bytes' | 'per_owner_max_bytes';
    time: string;
  }
>;
export type FailedTreeEvent = TreeArchived | TreeExpired;
