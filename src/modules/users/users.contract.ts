import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Min,
  ValidateNested,
} from 'class-validator';
import { anonymous, loggedIn, method, perm } from '../../rpc/method.js';
import { IsIdOrName, QueryOpts, QueryOptsType, type IdOrName } from '../../rpc/validators.js';

const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    status: { type: 'integer', description: '0 normal, 1 blocked' },
    usertype: { type: 'integer', description: '0 normal, 1 host, 2 group' },
    krb_principals: { type: 'array', items: { type: 'string' } },
  },
};
const nullable = (s: object) => ({ oneOf: [s, { type: 'null' }] });

export class LoginParams {
  @IsString() @Length(1, 255) user!: string;
  @IsString() @Length(1, 1024) password!: string;
  @IsOptional() @IsObject() opts?: Record<string, unknown> | null;
  @IsBoolean() renew!: boolean;
  @IsBoolean() exclusive!: boolean;
}
export const login = method({
  name: 'login',
  summary: 'Log in with a user name and password; returns a Koji session (session-id, session-key)',
  access: anonymous,
  args: ['user', 'password', ['opts', null], ['renew', false], ['exclusive', false]],
  params: LoginParams,
  acceptsBadCredentials: true,
  result: {
    type: 'object',
    properties: {
      'session-id': { type: 'integer' },
      'session-key': { type: 'string' },
      'header-auth': { type: 'boolean' },
    },
  },
});

export class LogoutParams {
  @IsOptional() @IsInt() @Min(1) session_id?: number | null;
}
export const logout = method({
  name: 'logout',
  summary: 'End the current session (or, for its owner or an admin, the session given)',
  access: anonymous,
  args: [['session_id', null]],
  params: LogoutParams,
  // A session locked out by another exclusive session may still log out (Koji); the handler
  // raises every other credentials problem itself.
  acceptsBadCredentials: true,
  result: { type: 'null' },
});

export class NoParams {}
export const getLoggedInUser = method({
  name: 'getLoggedInUser',
  summary: 'The user this call is authenticated as, or None',
  access: anonymous,
  args: [],
  params: NoParams,
  result: nullable({
    ...userSchema,
    properties: { ...userSchema.properties, authtype: { type: 'integer' } },
  }),
});

export class CreateUserParams {
  @IsString() @Length(1, 255) username!: string;
  @IsOptional() @IsIn([0, 1], { message: 'status must be 0 (normal) or 1 (blocked)' }) status?: number | null;
  @IsOptional() @IsString() @Length(1, 255) krb_principal?: string | null;
}
export const createUser = method({
  name: 'createUser',
  summary: 'Add a user (admin); returns its id',
  access: perm('admin'),
  args: ['username', ['status', null], ['krb_principal', null]],
  params: CreateUserParams,
  result: { type: 'integer' },
});

export class UsernameParams {
  @IsIdOrName() username!: IdOrName;
}
export const enableUser = method({
  name: 'enableUser',
  summary: 'Unblock a user (admin)',
  access: perm('admin'),
  args: ['username'],
  params: UsernameParams,
  result: { type: 'null' },
});
export const disableUser = method({
  name: 'disableUser',
  summary: 'Block a user: no logins, no API tokens (admin)',
  access: perm('admin'),
  args: ['username'],
  params: UsernameParams,
  result: { type: 'null' },
});

export class GetUserParams {
  @IsOptional() @IsIdOrName() userInfo?: IdOrName | null;
  @IsBoolean() strict!: boolean;
  @IsBoolean() krb_princs!: boolean;
  @IsBoolean() groups!: boolean;
}
export const getUser = method({
  name: 'getUser',
  summary: 'A user by id, name or Kerberos principal (the caller when userInfo is None)',
  access: anonymous,
  args: [
    ['userInfo', null],
    ['strict', false],
    ['krb_princs', true],
    ['groups', false],
  ],
  params: GetUserParams,
  result: nullable(userSchema),
});

export class ListUsersParams {
  @IsOptional() @IsIn([0, 1, 2]) userType?: number | null;
  @IsOptional() @IsString() prefix?: string | null;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
  @IsOptional() @IsString() perm?: string | null;
  @IsBoolean() inherited_perm!: boolean;
}
export const listUsers = method({
  name: 'listUsers',
  summary: 'Users of a type (0 normal, 1 host, 2 group), optionally by name prefix or permission',
  access: anonymous,
  args: [
    ['userType', 0],
    ['prefix', null],
    ['queryOpts', null],
    ['perm', null],
    ['inherited_perm', false],
  ],
  params: ListUsersParams,
  result: { oneOf: [{ type: 'array', items: userSchema }, { type: 'integer' }] },
});

export class SetUserPasswordParams {
  @IsIdOrName() userInfo!: IdOrName;
  @IsString()
  @Length(8, 1024, { message: 'password must be between 8 and 1024 characters long' })
  password!: string;
}
export const setUserPassword = method({
  name: 'setUserPassword',
  summary: "Set a user's password (admin, or the user themself)",
  access: loggedIn,
  args: ['userInfo', 'password'],
  params: SetUserPasswordParams,
  result: { type: 'null' },
});

export class GrantPermissionParams {
  @IsIdOrName() userinfo!: IdOrName;
  @IsString() @Length(1, 255) permission!: string;
  @IsBoolean() create!: boolean;
  @IsOptional() @IsString() description?: string | null;
}
export const grantPermission = method({
  name: 'grantPermission',
  summary: 'Grant a permission to a user (admin); create=True makes a new permission',
  access: perm('admin'),
  args: ['userinfo', 'permission', ['create', false], ['description', null]],
  params: GrantPermissionParams,
  result: { type: 'null' },
});

export class RevokePermissionParams {
  @IsIdOrName() userinfo!: IdOrName;
  @IsString() @Length(1, 255) permission!: string;
}
export const revokePermission = method({
  name: 'revokePermission',
  summary: 'Revoke a permission from a user (admin)',
  access: perm('admin'),
  args: ['userinfo', 'permission'],
  params: RevokePermissionParams,
  result: { type: 'null' },
});

export const getPerms = method({
  name: 'getPerms',
  summary: "The caller's permissions, with those of their groups",
  access: anonymous,
  args: [],
  params: NoParams,
  result: { type: 'array', items: { type: 'string' } },
});

export class GetUserPermsParams {
  @IsOptional() @IsIdOrName() userID?: IdOrName | null;
  @IsBoolean() with_groups!: boolean;
}
export const getUserPerms = method({
  name: 'getUserPerms',
  summary: "A user's permissions (the caller's when userID is None)",
  access: anonymous,
  args: [
    ['userID', null],
    ['with_groups', true],
  ],
  params: GetUserPermsParams,
  result: { type: 'array', items: { type: 'string' } },
});

export const getAllPerms = method({
  name: 'getAllPerms',
  summary: 'Every permission that exists',
  access: anonymous,
  args: [],
  params: NoParams,
  result: { type: 'array', items: { type: 'object' } },
});

export class NewGroupParams {
  @IsString() @Length(1, 255) name!: string;
}
export const newGroup = method({
  name: 'newGroup',
  summary: 'Create a group (admin); returns its id',
  access: perm('admin'),
  args: ['name'],
  params: NewGroupParams,
  result: { type: 'integer' },
});

export class GroupMemberParams {
  @IsIdOrName() group!: IdOrName;
  @IsIdOrName() user!: IdOrName;
  @IsOptional() @IsBoolean() strict?: boolean;
}
export const addGroupMember = method({
  name: 'addGroupMember',
  summary: 'Add a user to a group (admin)',
  access: perm('admin'),
  args: ['group', 'user', ['strict', true]],
  params: GroupMemberParams,
  result: { type: 'null' },
});
export const dropGroupMember = method({
  name: 'dropGroupMember',
  summary: 'Remove a user from a group (admin)',
  access: perm('admin'),
  args: ['group', 'user'],
  params: GroupMemberParams,
  result: { type: 'null' },
});

export class GroupParams {
  @IsIdOrName() group!: IdOrName;
}
export const getGroupMembers = method({
  name: 'getGroupMembers',
  summary: 'The members of a group',
  access: anonymous,
  args: ['group'],
  params: GroupParams,
  result: { type: 'array', items: userSchema },
});

export class UserParams {
  @IsIdOrName() user!: IdOrName;
}
export const getUserGroups = method({
  name: 'getUserGroups',
  summary: 'The groups a user belongs to',
  access: anonymous,
  args: ['user'],
  params: UserParams,
  result: { type: 'array', items: { type: 'object' } },
});

export class CreateAPITokenParams {
  @IsOptional() @IsIdOrName() userInfo?: IdOrName | null;
  @IsOptional() @IsString() @Length(1, 255) name?: string | null;
  @IsOptional() expires?: string | number | null;
}
export const createAPIToken = method({
  name: 'createAPIToken',
  summary:
    'Create an API token for yourself (or, as admin, for any user or host); expires is an ISO time or seconds from now; the token is shown once',
  access: loggedIn,
  args: [
    ['userInfo', null],
    ['name', null],
    ['expires', null],
  ],
  params: CreateAPITokenParams,
  result: { type: 'object', properties: { id: { type: 'integer' }, token: { type: 'string' } } },
});

export class ListAPITokensParams {
  @IsOptional() @IsIdOrName() userInfo?: IdOrName | null;
}
export const listAPITokens = method({
  name: 'listAPITokens',
  summary: 'API tokens of a user (yours unless you are admin); never the secrets',
  access: loggedIn,
  args: [['userInfo', null]],
  params: ListAPITokensParams,
  result: { type: 'array', items: { type: 'object' } },
});

export class RevokeAPITokenParams {
  @IsInt() @Min(1) id!: number;
}
export const revokeAPIToken = method({
  name: 'revokeAPIToken',
  summary: 'Revoke an API token (its owner or an admin)',
  access: loggedIn,
  args: ['id'],
  params: RevokeAPITokenParams,
  result: { type: 'null' },
});

export const usersContract = [
  login,
  logout,
  getLoggedInUser,
  createUser,
  enableUser,
  disableUser,
  getUser,
  listUsers,
  setUserPassword,
  grantPermission,
  revokePermission,
  getPerms,
  getUserPerms,
  getAllPerms,
  newGroup,
  addGroupMember,
  dropGroupMember,
  getGroupMembers,
  getUserGroups,
  createAPIToken,
  listAPITokens,
  revokeAPIToken,
];
