// The one list of projections. Plain data (no NestJS), so the hub and the offline audit commands
// of the CLI (`koji-es audit … --store URL`) replay exactly the same read models.
import type { Projection } from './eventstore/projection.js';
import { failedTreeProjection } from './modules/failed-tree/failed-tree.projection.js';
import { packagesProjection } from './modules/tags/packages.projection.js';
import { sidetagProjection } from './modules/sidetag/sidetag.projection.js';
import { tagsProjection } from './modules/tags/tags.projection.js';
import './modules/tags/tags.upcasters.js';
import { tasksProjection } from './modules/tasks/tasks.projection.js';
import { sessionLockProjection } from './modules/users/sessions.lock.js';
import { usersProjection } from './modules/users/users.projection.js';

export const ALL_PROJECTIONS: Projection[] = [
  usersProjection,
  sessionLockProjection,
  tasksProjection,
  tagsProjection,
  packagesProjection,
  sidetagProjection,
  failedTreeProjection,
];
