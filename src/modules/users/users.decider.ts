// Rebuilds Koji's user, permission and group writes (kojihub/auth.py, kojihub.py: create_user,
// enable_user/disable_user, grant_permission/revoke_permission, add_group_member/drop_group_member).
// Deliberate differences: passwords are stored as scrypt hashes (Koji keeps plain text), and
// enabling an enabled user or dropping a non-member is a no-op that appends nothing.
import type { Decider } from '../../kernel/decider.js';
import { genericError } from '../../kernel/errors.js';
import type { UserEvent } from './users.events.js';

export const USERTYPE_GROUP = 2;

export interface UserState {
  exists: boolean;
  id: number;
  name: string;
  usertype: number;
  status: number;
  /** perm name → perm id */
  perms: Record<string, number>;
  /** member user id → name (groups only) */
  members: Record<string, string>;
}

export type UserCommand =
  | {
      kind: 'create';
      id: number;
      name: string;
      usertype: number;
      status: number;
      krbPrincipal: string | null;
    }
  | { kind: 'setStatus'; status: number }
  | { kind: 'setType'; usertype: number }
  | { kind: 'setPassword'; hash: string }
  | { kind: 'grant'; permId: number; perm: string }
  | { kind: 'revoke'; permId: number; perm: string }
  | { kind: 'addMember'; user: { id: number; name: string; usertype: number } }
  | { kind: 'removeMember'; user: { id: number; name: string } };

export const initialUserState: UserState = {
  exists: false,
  id: 0,
  name: '',
  usertype: 0,
  status: 0,
  perms: {},
  members: {},
};

export function evolveUser(s: UserState, e: UserEvent): UserState {
  switch (e.type) {
    case 'UserCreated':
      return {
        ...s,
        exists: true,
        id: e.data.id,
        name: e.data.name,
        usertype: e.data.usertype,
        status: e.data.status,
      };
    case 'UserStatusChanged':
      return { ...s, status: e.data.status };
    case 'UserTypeChanged':
      return { ...s, usertype: e.data.usertype };
    case 'UserPasswordSet':
      return s;
    case 'PermissionGranted':
      return { ...s, perms: { ...s.perms, [e.data.perm]: e.data.permId } };
    case 'PermissionRevoked': {
      const { [e.data.perm]: _, ...perms } = s.perms;
      return { ...s, perms };
    }
    case 'GroupMemberAdded':
      return { ...s, members: { ...s.members, [String(e.data.userId)]: e.data.userName } };
    case 'GroupMemberRemoved': {
      const { [String(e.data.userId)]: _, ...members } = s.members;
      return { ...s, members };
    }
  }
}

export function decideUser(c: UserCommand, s: UserState): UserEvent[] {
  if (c.kind === 'create') {
    if (s.exists) throw genericError(`user already exists: ${s.name}`);
    return [
      {
        type: 'UserCreated',
        data: {
          id: c.id,
          name: c.name,
          usertype: c.usertype,
          status: c.status,
          krbPrincipal: c.krbPrincipal,
        },
      },
    ];
  }
  if (!s.exists) throw genericError('No such user');
  const who = { id: s.id, name: s.name };
  switch (c.kind) {
    case 'setStatus':
      return s.status === c.status ? [] : [{ type: 'UserStatusChanged', data: { ...who, status: c.status } }];
    case 'setType':
      return s.usertype === c.usertype
        ? []
        : [{ type: 'UserTypeChanged', data: { ...who, usertype: c.usertype } }];
    case 'setPassword':
      return [{ type: 'UserPasswordSet', data: { ...who, hash: c.hash } }];
    case 'grant':
      if (c.perm in s.perms) throw genericError(`user ${s.name} already has permission: ${c.perm}`);
      return [
        {
          type: 'PermissionGranted',
          data: { userId: s.id, userName: s.name, permId: c.permId, perm: c.perm },
        },
      ];
    case 'revoke':
      if (!(c.perm in s.perms)) throw genericError(`user ${s.name} does not have permission: ${c.perm}`);
      return [
        {
          type: 'PermissionRevoked',
          data: { userId: s.id, userName: s.name, permId: c.permId, perm: c.perm },
        },
      ];
    case 'addMember':
      if (s.usertype !== USERTYPE_GROUP) throw genericError(`Not a group: ${s.name}`);
      if (c.user.usertype === USERTYPE_GROUP) throw genericError('Groups cannot be members of other groups');
      if (String(c.user.id) in s.members)
        throw genericError(`User ${c.user.name} is already a member of group ${s.name}`);
      return [
        {
          type: 'GroupMemberAdded',
          data: { groupId: s.id, groupName: s.name, userId: c.user.id, userName: c.user.name },
        },
      ];
    case 'removeMember':
      if (s.usertype !== USERTYPE_GROUP) throw genericError(`Not a group: ${s.name}`);
      if (!(String(c.user.id) in s.members)) return [];
      return [
        {
          type: 'GroupMemberRemoved',
          data: { groupId: s.id, groupName: s.name, userId: c.user.id, userName: c.user.name },
        },
      ];
  }
}

export const userDecider: Decider<UserCommand, UserState, UserEvent> = {
  initialState: initialUserState,
  decide: decideUser,
  evolve: evolveUser,
};
