import type { Projection, ProjectionTx } from '../../eventstore/projection.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import {
  USER_EVENT_TYPES,
  type APITokenEvent,
  type PermissionCreated,
  type SessionEvent,
  type UserEvent,
} from './users.events.js';

export interface UserDoc {
  id: number;
  name: string;
  status: number;
  usertype: number;
  krb_principals: string[];
  /** The user's own permissions (group permissions are added when credentials are resolved). */
  perms: string[];
  groups: { id: number; name: string }[];
}

export interface PermissionDoc {
  id: number;
  name: string;
  description: string | null;
}

export interface MemberDoc {
  group_id: number;
  group_name: string;
  user_id: number;
  user_name: string;
}

export interface CredentialDoc {
  user_id: number;
  hash: string;
}

export interface SessionDoc {
  id: number;
  user_id: number;
  user_name: string;
  key_hash: string;
  authtype: number;
  start_time: string;
  expires_at: string;
  client_address: string;
  ended: boolean;
}

export interface TokenDoc {
  id: number;
  user_id: number;
  user_name: string;
  name: string | null;
  token_hash: string;
  created: string;
  expires: string | null;
  revoked: boolean;
}

export const USERS = 'users';
export const PERMISSIONS = 'permissions';
export const MEMBERS = 'group_members';
export const CREDENTIALS = 'credentials';
export const SESSIONS = 'sessions';
export const TOKENS = 'api_tokens';
/** Kerberos principal → user id, so getUser(principal) is one lookup. */
export const PRINCIPALS = 'krb_principals';

function updateUser(tx: ProjectionTx, id: number, f: (u: UserDoc) => UserDoc) {
  const u = tx.get<UserDoc>(USERS, String(id));
  if (u) tx.put(USERS, String(id), f(u));
}

/** Users, permissions, groups, credentials, sessions and API tokens as queries read them. */
export const usersProjection: Projection = {
  name: 'users',
  version: 1,
  collections: [
    { name: USERS, indexes: ['name', 'usertype'] },
    { name: PERMISSIONS, indexes: ['id'] },
    { name: MEMBERS, indexes: ['group_id'] },
    { name: CREDENTIALS },
    { name: SESSIONS },
    { name: TOKENS, indexes: ['user_id'] },
    { name: PRINCIPALS },
  ],
  filter: { types: [...USER_EVENT_TYPES] },
  apply(event: RecordedEvent, tx: ProjectionTx) {
    const e = { type: event.type, data: event.data } as
      UserEvent | PermissionCreated | SessionEvent | APITokenEvent;
    switch (e.type) {
      case 'UserCreated': {
        const d = e.data;
        tx.put(USERS, String(d.id), {
          id: d.id,
          name: d.name,
          status: d.status,
          usertype: d.usertype,
          krb_principals: d.krbPrincipal ? [d.krbPrincipal] : [],
          perms: [],
          groups: [],
        } satisfies UserDoc);
        if (d.krbPrincipal) tx.put(PRINCIPALS, d.krbPrincipal, { principal: d.krbPrincipal, user_id: d.id });
        return;
      }
      case 'UserStatusChanged':
        return updateUser(tx, e.data.id, (u) => ({ ...u, status: e.data.status }));
      case 'UserTypeChanged':
        return updateUser(tx, e.data.id, (u) => ({ ...u, usertype: e.data.usertype }));
      case 'UserPasswordSet':
        tx.put(CREDENTIALS, String(e.data.id), {
          user_id: e.data.id,
          hash: e.data.hash,
        } satisfies CredentialDoc);
        return;
      case 'PermissionGranted':
        return updateUser(tx, e.data.userId, (u) => ({ ...u, perms: [...u.perms, e.data.perm].sort() }));
      case 'PermissionRevoked':
        return updateUser(tx, e.data.userId, (u) => ({
          ...u,
          perms: u.perms.filter((p) => p !== e.data.perm),
        }));
      case 'GroupMemberAdded': {
        const d = e.data;
        tx.put(MEMBERS, `${d.groupId}:${d.userId}`, {
          group_id: d.groupId,
          group_name: d.groupName,
          user_id: d.userId,
          user_name: d.userName,
        } satisfies MemberDoc);
        return updateUser(tx, d.userId, (u) => ({
          ...u,
          groups: [...u.groups, { id: d.groupId, name: d.groupName }].sort((a, b) => a.id - b.id),
        }));
      }
      case 'GroupMemberRemoved': {
        const d = e.data;
        tx.delete(MEMBERS, `${d.groupId}:${d.userId}`);
        return updateUser(tx, d.userId, (u) => ({
          ...u,
          groups: u.groups.filter((g) => g.id !== d.groupId),
        }));
      }
      case 'PermissionCreated':
        tx.put(PERMISSIONS, e.data.name, {
          id: e.data.id,
          name: e.data.name,
          description: e.data.description,
        } satisfies PermissionDoc);
        return;
      case 'SessionStarted': {
        const d = e.data;
        tx.put(SESSIONS, String(d.id), {
          id: d.id,
          user_id: d.userId,
          user_name: d.userName,
          key_hash: d.keyHash,
          authtype: d.authtype,
          start_time: d.startTime,
          expires_at: d.expiresAt,
          client_address: d.clientAddress,
          ended: false,
        } satisfies SessionDoc);
        return;
      }
      case 'SessionRenewed': {
        const s = tx.get<SessionDoc>(SESSIONS, String(e.data.id));
        if (s)
          tx.put(SESSIONS, String(s.id), {
            ...s,
            key_hash: e.data.keyHash,
            expires_at: e.data.expiresAt,
            ended: false,
          });
        return;
      }
      case 'SessionEnded': {
        const s = tx.get<SessionDoc>(SESSIONS, String(e.data.id));
        if (s) tx.put(SESSIONS, String(s.id), { ...s, ended: true });
        return;
      }
      case 'APITokenCreated': {
        const d = e.data;
        tx.put(TOKENS, String(d.id), {
          id: d.id,
          user_id: d.userId,
          user_name: d.userName,
          name: d.name,
          token_hash: d.tokenHash,
          created: d.created,
          expires: d.expires,
          revoked: false,
        } satisfies TokenDoc);
        return;
      }
      case 'APITokenRevoked': {
        const t = tx.get<TokenDoc>(TOKENS, String(e.data.id));
        if (t) tx.put(TOKENS, String(t.id), { ...t, revoked: true });
        return;
      }
    }
  },
};
