import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../../kernel/clock.js';
import { actionNotAllowed, genericError, KojiError, parameterError } from '../../kernel/errors.js';
import { hasPerm, USER_STATUS, USER_TYPE, type CallContext } from '../../rpc/context.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { applyQueryOpts } from '../../rpc/query-opts.js';
import { dummyHash, verifyPassword } from './secrets.js';
import { LoginThrottle } from './login-throttle.js';
import { ChangeSessionLock } from './sessions.handlers.js';
import { isLockedOut } from './sessions.lock.js';
import {
  ChangeUser,
  CreateApiToken,
  CreateUser,
  EndSession,
  GrantPermission,
  RevokeApiToken,
  SetUserPassword,
  StartSession,
} from './users.commands.js';
import * as api from './users.contract.js';
import {
  CREDENTIALS,
  PERMISSIONS,
  TOKENS,
  USERS,
  type CredentialDoc,
  type PermissionDoc,
  type TokenDoc,
  type UserDoc,
} from './users.projection.js';
import { userInfo, UsersReader } from './users.reader.js';

/** The users API: each declared method bound to its command (writes) or read-model query (reads). */
@Injectable()
export class UsersApi implements OnModuleInit {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
    private readonly users: UsersReader,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.throttle = new LoginThrottle(clock);
  }

  onModuleInit(): void {
    const r = this.registry;
    r.implement<api.LoginParams>(api.login, (p, ctx) => this.login(p, ctx));
    r.implement<api.LogoutParams>(api.logout, async (p, ctx) => {
      if (ctx.authProblem && !isLockedOut(ctx.authProblem)) throw ctx.authProblem;
      const id = p.session_id ?? ctx.sessionId;
      if (id) await this.bus.execute(new EndSession(ctx, id));
      return null;
    });
    r.implement(api.getLoggedInUser, async (_p, ctx) => {
      if (!ctx.user) return null;
      const u = await this.users.strict(ctx.user.id);
      return { ...userInfo(u), authtype: 0, authtype_name: ctx.authtype };
    });
    r.implement<api.CreateUserParams>(api.createUser, (p, ctx) =>
      this.bus.execute(
        new CreateUser(
          ctx,
          p.username,
          USER_TYPE.NORMAL,
          p.status ?? USER_STATUS.NORMAL,
          p.krb_principal ?? null,
        ),
      ),
    );
    r.implement<api.UsernameParams>(api.enableUser, (p, ctx) => this.setStatus(p, ctx, USER_STATUS.NORMAL));
    r.implement<api.UsernameParams>(api.disableUser, (p, ctx) => this.setStatus(p, ctx, USER_STATUS.BLOCKED));
    r.implement<api.GetUserParams>(api.getUser, async (p, ctx) => {
      const info = p.userInfo ?? ctx.user?.id ?? null;
      const u = info === null ? null : p.strict ? await this.users.strict(info) : await this.users.find(info);
      if (!u) return null;
      const out = userInfo(u, p.krb_princs);
      if (p.groups) out.groups = u.groups.map((g) => g.name);
      return out;
    });
    r.implement<api.ListUsersParams>(api.listUsers, (p) => this.listUsers(p));
    r.implement<api.SetUserPasswordParams>(api.setUserPassword, async (p, ctx) => {
      await this.bus.execute(new SetUserPassword(ctx, await this.users.strict(p.userInfo), p.password));
      return null;
    });
    r.implement<api.GrantPermissionParams>(api.grantPermission, async (p, ctx) => {
      const target = await this.users.strict(p.userinfo);
      await this.bus.execute(new GrantPermission(ctx, target, p.permission, p.create, p.description ?? null));
      return null;
    });
    r.implement<api.RevokePermissionParams>(api.revokePermission, async (p, ctx) => {
      const target = await this.users.strict(p.userinfo);
      const perm = await this.users.permission(p.permission);
      if (!perm) throw genericError(`No such permission: ${p.permission}`);
      await this.bus.execute(
        new ChangeUser(ctx, target, async () => ({ kind: 'revoke', permId: perm.id, perm: perm.name })),
      );
      return null;
    });
    r.implement(api.getPerms, async (_p, ctx) => (ctx.user ? ctx.user.perms : []));
    r.implement<api.GetUserPermsParams>(api.getUserPerms, async (p, ctx) => {
      const info = p.userID ?? ctx.user?.id;
      if (info === undefined) return [];
      return this.users.effectivePerms(await this.users.strict(info), p.with_groups);
    });
    r.implement(api.getAllPerms, async () =>
      this.users.rm.find<PermissionDoc>(PERMISSIONS, { orderBy: [['id', 'asc']] }),
    );
    r.implement<api.NewGroupParams>(api.newGroup, (p, ctx) =>
      this.bus.execute(new CreateUser(ctx, p.name, USER_TYPE.GROUP, USER_STATUS.NORMAL, null)),
    );
    r.implement<api.GroupMemberParams>(api.addGroupMember, async (p, ctx) => {
      const group = await this.group(p.group);
      const user = await this.users.strict(p.user);
      await this.bus.execute(new ChangeUser(ctx, group, async () => ({ kind: 'addMember', user })));
      return null;
    });
    r.implement<api.GroupMemberParams>(api.dropGroupMember, async (p, ctx) => {
      const group = await this.group(p.group);
      const user = await this.users.strict(p.user);
      await this.bus.execute(new ChangeUser(ctx, group, async () => ({ kind: 'removeMember', user })));
      return null;
    });
    r.implement<api.GroupParams>(api.getGroupMembers, async (p) => {
      const group = await this.group(p.group);
      const out: Record<string, unknown>[] = [];
      for (const m of await this.users.members(group.id)) {
        const u = await this.users.byId(m.user_id);
        if (u) out.push(userInfo(u));
      }
      return out;
    });
    r.implement<api.UserParams>(api.getUserGroups, async (p) => (await this.users.strict(p.user)).groups);
    r.implement<api.CreateAPITokenParams>(api.createAPIToken, (p, ctx) => this.createToken(p, ctx));
    r.implement<api.ListAPITokensParams>(api.listAPITokens, async (p, ctx) => {
      const target =
        p.userInfo !== null && p.userInfo !== undefined ? await this.users.strict(p.userInfo) : null;
      if (target && target.id !== ctx.user!.id && !hasPerm(ctx.user, 'admin'))
        throw actionNotAllowed(
          `only an admin may list the API tokens of another user (logged in as ${ctx.user!.name})`,
        );
      const docs = await this.users.rm.find<TokenDoc>(TOKENS, {
        where: { user_id: (target ?? ctx.user!).id },
        orderBy: [['id', 'asc']],
      });
      return docs.map(({ token_hash: _, ...t }) => t);
    });
    r.implement<api.RevokeAPITokenParams>(api.revokeAPIToken, async (p, ctx) => {
      await this.bus.execute(new RevokeApiToken(ctx, p.id));
      return null;
    });
  }

  private async group(info: api.GroupParams['group']): Promise<UserDoc> {
    const g = await this.users.find(info);
    if (!g || g.usertype !== USER_TYPE.GROUP)
      throw genericError(`Not a group: ${typeof info === 'object' ? JSON.stringify(info) : info}`);
    return g;
  }

  private async setStatus(p: api.UsernameParams, ctx: CallContext, status: number) {
    const target = await this.users.strict(p.username);
    await this.bus.execute(new ChangeUser(ctx, target, async () => ({ kind: 'setStatus', status })));
    return null;
  }

  private async listUsers(p: api.ListUsersParams) {
    let users = await this.users.rm.find<UserDoc>(USERS, {
      where: { usertype: p.userType ?? USER_TYPE.NORMAL },
      orderBy: [['id', 'asc']],
    });
    if (p.prefix) users = users.filter((u) => u.name.startsWith(p.prefix!));
    if (p.perm) {
      const filtered: UserDoc[] = [];
      for (const u of users) {
        const perms = p.inherited_perm ? await this.users.effectivePerms(u) : u.perms;
        if (perms.includes(p.perm)) filtered.push(u);
      }
      users = filtered;
    }
    return applyQueryOpts(
      users.map((u) => userInfo(u)),
      p.queryOpts,
    );
  }

  /**
   * Koji's login: a bad user and a bad password get the same answer and take the same time; after
   * repeated failures each attempt is delayed. A blocked user is told so only after the right password.
   */
  private async login(p: api.LoginParams, ctx: CallContext) {
    const renewing = p.renew && ctx.sessionId !== null;
    if (ctx.user && ctx.sessionId !== null && !p.renew) throw new KojiError('AuthError', 'Already logged in');
    await this.throttle.beforeAttempt(p.user, ctx.clientAddress);
    const u = await this.users.byName(p.user);
    const cred =
      u && u.usertype !== USER_TYPE.GROUP
        ? await this.users.rm.get<CredentialDoc>(CREDENTIALS, String(u.id))
        : null;
    const ok = await verifyPassword(p.password, cred?.hash ?? (await dummyHash()));
    if (!u || !cred || !ok) {
      this.throttle.failed(p.user, ctx.clientAddress);
      throw new KojiError('AuthError', 'invalid username or password');
    }
    if (u.status !== USER_STATUS.NORMAL) throw new KojiError('AuthError', `logins by ${u.name} are blocked`);
    this.throttle.succeeded(p.user);
    const sinfo = await this.bus.execute(new StartSession(ctx, u, renewing ? ctx.sessionId : null));
    if (p.exclusive) {
      // As Koji: the session exists either way; taking the lock may still fail with AuthLockError.
      const id = sinfo['session-id'];
      const as = { ...ctx, user: await this.users.authUser(u), sessionId: id, authProblem: undefined };
      await this.bus.execute(new ChangeSessionLock(as, id, { id: u.id, name: u.name }, 'login'));
    }
    return sinfo;
  }

  private async createToken(p: api.CreateAPITokenParams, ctx: CallContext) {
    const me = ctx.user!;
    const target =
      p.userInfo !== null && p.userInfo !== undefined
        ? await this.users.strict(p.userInfo)
        : await this.users.strict(me.id);
    if (target.id !== me.id && !hasPerm(me, 'admin'))
      throw actionNotAllowed(
        `only an admin may create an API token for another user (logged in as ${me.name})`,
      );
    if (target.usertype === USER_TYPE.GROUP)
      throw genericError(`${target.name} is a group; groups cannot authenticate`);
    let expires: string | null = null;
    if (typeof p.expires === 'number') {
      if (!(p.expires > 0))
        throw parameterError('expires must be a positive number of seconds or an ISO 8601 time');
      const at = new Date(ctx.now.getTime() + p.expires * 1000);
      if (Number.isNaN(at.getTime())) throw parameterError(`expires ${p.expires} seconds is beyond any date`);
      expires = at.toISOString();
    } else if (typeof p.expires === 'string') {
      const t = Date.parse(p.expires);
      if (Number.isNaN(t))
        throw parameterError(`expires ${JSON.stringify(p.expires)} is not an ISO 8601 time`);
      if (t <= ctx.now.getTime()) throw parameterError(`expires ${p.expires} is in the past`);
      expires = new Date(t).toISOString();
    } else if (p.expires !== null && p.expires !== undefined) {
      throw parameterError('expires must be a positive number of seconds or an ISO 8601 time');
    }
    return this.bus.execute(new CreateApiToken(ctx, target, p.name ?? null, expires));
  }
}
