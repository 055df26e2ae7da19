// Rebuilds Koji's build-target writes (kojihub.py _create_build_target :3407, _edit_build_target,
// _delete_build_target) with their messages.
import { genericError } from '../../kernel/errors.js';
import type { Ref, TargetEvent } from './tags.events.js';

export interface TargetState {
  exists: boolean;
  id: number;
  name: string;
  buildTag: Ref | null;
  destTag: Ref | null;
}

export const initialTargetState: TargetState = {
  exists: false,
  id: 0,
  name: '',
  buildTag: null,
  destTag: null,
};

export type TargetCommand =
  | { kind: 'create'; id: number; name: string; buildTag: Ref; destTag: Ref }
  | { kind: 'edit'; name?: string; buildTag?: Ref; destTag?: Ref }
  | { kind: 'delete' };

export function evolveTarget(s: TargetState, e: TargetEvent): TargetState {
  switch (e.type) {
    case 'BuildTargetCreated':
      return {
        exists: true,
        id: e.data.id,
        name: e.data.name,
        buildTag: e.data.buildTag,
        destTag: e.data.destTag,
      };
    case 'BuildTargetEdited':
      return { ...s, ...e.data.changes };
    case 'BuildTargetDeleted':
      return { ...initialTargetState, id: s.id, name: s.name };
  }
}

export function decideTarget(c: TargetCommand, s: TargetState): TargetEvent[] {
  if (c.kind === 'create') {
    if (s.exists) throw genericError(`A build target with the name '${s.name}' already exists`);
    return [
      {
        type: 'BuildTargetCreated',
        data: { id: c.id, name: c.name, buildTag: c.buildTag, destTag: c.destTag },
      },
    ];
  }
  if (!s.exists) throw genericError(`No such build target: ${s.name || s.id}`);
  if (c.kind === 'delete') return [{ type: 'BuildTargetDeleted', data: { id: s.id, name: s.name } }];
  const changes: { name?: string; buildTag?: Ref; destTag?: Ref } = {};
  if (c.name !== undefined && c.name !== s.name) changes.name = c.name;
  if (c.buildTag && c.buildTag.id !== s.buildTag?.id) changes.buildTag = c.buildTag;
  if (c.destTag && c.destTag.id !== s.destTag?.id) changes.destTag = c.destTag;
  return Object.keys(changes).length
    ? [{ type: 'BuildTargetEdited', data: { id: s.id, name: s.name, changes } }]
    : [];
}
