import type { DomainEvent } from '../../kernel/decider.js';

/** Events of stream `user-<id>` (users, hosts' users and groups alike, as in Koji). */
export type UserCreated = DomainEvent<
  'UserCreated',
  { id: number; name: string; usertype: number; status: number; krbPrincipal: string | null }
>;
export type UserStatusChanged = DomainEvent<
  'UserStatusChanged',
  { id: number; name: string; status: number }
>;
/** addHost(…, force=True) turns an existing normal user into a host's user, as Koji. */
export type UserTypeChanged = DomainEvent<'UserTypeChanged', { id: number; name: string; usertype: number }>;
/** Carries the scrypt hash, never the password; `audit log` shows it redacted. */
export type UserPasswordSet = DomainEvent<'UserPasswordSet', { id: number; name: string; hash: string }>;
export type PermissionGranted = DomainEvent<
  'PermissionGranted',
  { userId: number; userName: string; permId: number; perm: string }
>;
export type PermissionRevoked = DomainEvent<
  'PermissionRevoked',
  { userId: number; userName: string; permId: number; perm: string }
>;
export type GroupMemberAdded = DomainEvent<
  'GroupMemberAdded',
  { groupId: number; groupName: string; userId: number; userName: string }
>;
export type GroupMemberRemoved = DomainEvent<
  'GroupMemberRemoved',
  { groupId: number; groupName: string; userId: number; userName: string }
>;

export type UserEvent =
  | UserCreated
  | UserStatusChanged
  | UserTypeChanged
  | UserPasswordSet
  | PermissionGranted
  | PermissionRevoked
  | GroupMemberAdded
  | GroupMemberRemoved;

/** Stream `username-<name>` (built by nameStream): claims a name, so two creations of one name cannot both succeed. */
export type UserNameClaimed = DomainEvent<'UserNameClaimed', { name: string; id: number }>;

/** Stream `permission-<name>` (built by nameStream). */
export type PermissionCreated = DomainEvent<
  'PermissionCreated',
  { id: number; name: string; description: string | null }
>;

/** Stream `session-<id>`: the key is kept as a SHA-256 hash only. */
export type SessionStarted = DomainEvent<
  'SessionStarted',
  {
    id: number;
    userId: number;
    userName: string;
    keyHash: string;
    authtype: number;
    startTime: string;
    expiresAt: string;
    clientAddress: string;
  }
>;
export type SessionRenewed = DomainEvent<
  'SessionRenewed',
  { id: number; keyHash: string; expiresAt: string }
>;
export type SessionEnded = DomainEvent<'SessionEnded', { id: number; userId: number; reason: 'logout' }>;
export type SessionEvent = SessionStarted | SessionRenewed | SessionEnded;

/** Stream `apitoken-<id>`: the token is kept as a SHA-256 hash only. */
export type APITokenCreated = DomainEvent<
  'APITokenCreated',
  {
    id: number;
    userId: number;
    userName: string;
    name: string | null;
    tokenHash: string;
    created: string;
    expires: string | null;
  }
>;
export type APITokenRevoked = DomainEvent<'APITokenRevoked', { id: number; userId: number }>;
export type APITokenEvent = APITokenCreated | APITokenRevoked;

export const USER_EVENT_TYPES = [
  'UserCreated',
  'UserStatusChanged',
  'UserTypeChanged',
  'UserPasswordSet',
  'PermissionGranted',
  'PermissionRevoked',
  'GroupMemberAdded',
  'GroupMemberRemoved',
  'PermissionCreated',
  'SessionStarted',
  'SessionRenewed',
  'SessionEnded',
  'APITokenCreated',
  'APITokenRevoked',
] as const;
