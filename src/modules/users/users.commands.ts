import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { HUB_CONFIG } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import { CommandService } from '../../eventstore/commands.service.js';
import type { UnitOfWork } from '../../kernel/unit-of-work.js';
import { actionNotAllowed, genericError, KojiError } from '../../kernel/errors.js';
import { hasPerm, type CallContext } from '../../rpc/context.js';
import { formatToken, hashPassword, randomSecret, sha256 } from './secrets.js';
import {
  decideUser,
  evolveUser,
  initialUserState,
  USERTYPE_GROUP,
  type UserCommand,
  type UserState,
} from './users.decider.js';
import type { APITokenEvent, PermissionCreated, SessionEvent, UserEvent } from './users.events.js';
import type { UserDoc } from './users.projection.js';
import { nameStream } from '../../eventstore/name-streams.js';
import { verifyNameInternal } from '../../kernel/names.js';

export const RegexUserName = /^[A-Za-z0-9/_.@+-]+$/;

async function loadUser(uow: UnitOfWork, id: number): Promise<UserState> {
  return uow.load<UserState, UserEvent>(`user-${id}`, evolveUser, initialUserState);
}

function applyUser(
  uow: UnitOfWork,
  id: number,
  state: UserState,
  c: UserCommand,
  meta?: Record<string, unknown>,
) {
  const events = decideUser(c, state);
  if (events.length) uow.emit(`user-${id}`, events, { metadata: meta });
  return events;
}

/** Claims a name for a new user or group, allocates its id and appends its creation. */
export async function createUserIn(
  uow: UnitOfWork,
  config: HubConfig,
  name: string,
  usertype: number,
  status: number,
  krbPrincipal: string | null,
): Promise<number> {
  // 0 turns the check off, as in Koji (and as verifyName does for tags).
  if (config.hub.maxNameLengthInternal && name.length > config.hub.maxNameLengthInternal)
    throw genericError(
      `Name ${name} is too long. Max length is ${config.hub.maxNameLengthInternal} characters`,
    );
  if (!RegexUserName.test(name)) throw genericError(`Name ${name} does not match RegexUserName value`);
  const claim = nameStream('username', name);
  if ((await uow.version(claim)) > 0) throw genericError(`user already exists: ${name}`);
  if (krbPrincipal !== null) {
    const pclaim = nameStream('krbprincipal', krbPrincipal);
    if (!RegexUserName.test(krbPrincipal))
      throw genericError(`Kerberos principal ${krbPrincipal} is not valid`);
    if ((await uow.version(pclaim)) > 0)
      throw genericError(`user with this Kerberos principal already exists: ${krbPrincipal}`);
    uow.emit(pclaim, [{ type: 'UserNameClaimed', data: { name: krbPrincipal, id: 0 } }]);
  }
  const id = await uow.allocateId('user');
  uow.emit(claim, [{ type: 'UserNameClaimed', data: { name, id } }]);
  const state = await loadUser(uow, id);
  applyUser(uow, id, state, { kind: 'create', id, name, usertype, status, krbPrincipal });
  return id;
}

/** Creates a permission unless it exists; returns its id. The caller checked a new name. */
export async function ensurePermissionIn(
  uow: UnitOfWork,
  name: string,
  description: string | null,
  create: boolean,
) {
  const stream = nameStream('permission', name);
  const events = (await uow.read(stream)).map((e) => e as unknown as PermissionCreated);
  if (events.length) return events[0].data.id;
  if (!create)
    throw genericError(`No such permission: ${name} (grant it with create=True, or --new, to create it)`);
  const id = await uow.allocateId('permission');
  uow.emit(stream, [{ type: 'PermissionCreated', data: { id, name, description } }]);
  return id;
}

export class CreateUser extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly name: string,
    readonly usertype: number,
    readonly status: number,
    readonly krbPrincipal: string | null,
  ) {
    super();
  }
}

@CommandHandler(CreateUser)
export class CreateUserHandler implements ICommandHandler<CreateUser, number> {
  constructor(
    private readonly commands: CommandService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async execute(c: CreateUser): Promise<number> {
    // Koji's new_group checks a group name as an internal name, then it is a user name as well.
    if (c.usertype === USERTYPE_GROUP) verifyNameInternal(c.name, this.config.hub);
    const { result } = await this.commands.run(c.ctx, (uow) =>
      createUserIn(uow, this.config, c.name, c.usertype, c.status, c.krbPrincipal),
    );
    return result;
  }
}

/** Any change of one user's (or group's) stream decided by the user decider. */
export class ChangeUser extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly target: UserDoc,
    readonly change: (uow: UnitOfWork) => Promise<UserCommand>,
  ) {
    super();
  }
}

@CommandHandler(ChangeUser)
export class ChangeUserHandler implements ICommandHandler<ChangeUser, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: ChangeUser): Promise<void> {
    await this.commands.run(c.ctx, async (uow) => {
      const state = await loadUser(uow, c.target.id);
      applyUser(uow, c.target.id, state, await c.change(uow));
    });
  }
}

export class SetUserPassword extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly target: UserDoc,
    readonly password: string,
  ) {
    super();
  }
}

@CommandHandler(SetUserPassword)
export class SetUserPasswordHandler implements ICommandHandler<SetUserPassword, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: SetUserPassword): Promise<void> {
    const u = c.ctx.user;
    if (!u || (u.id !== c.target.id && !hasPerm(u, 'admin')))
      throw actionNotAllowed(`only an admin may set the password of another user (logged in as ${u?.name})`);
    if (c.target.usertype === USERTYPE_GROUP)
      throw genericError(`${c.target.name} is a group; groups cannot log in`);
    const hash = await hashPassword(c.password);
    await this.commands.run(c.ctx, async (uow) => {
      applyUser(uow, c.target.id, await loadUser(uow, c.target.id), { kind: 'setPassword', hash });
    });
  }
}

export class GrantPermission extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly target: UserDoc,
    readonly perm: string,
    readonly create: boolean,
    readonly description: string | null,
  ) {
    super();
  }
}

@CommandHandler(GrantPermission)
export class GrantPermissionHandler implements ICommandHandler<GrantPermission, void> {
  constructor(
    private readonly commands: CommandService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async execute(c: GrantPermission): Promise<void> {
    // Koji's grant_permission(create=True) checks the name before anything (verify_name_internal).
    if (c.create) verifyNameInternal(c.perm, this.config.hub);
    await this.commands.run(c.ctx, async (uow) => {
      const permId = await ensurePermissionIn(uow, c.perm, c.description, c.create);
      applyUser(uow, c.target.id, await loadUser(uow, c.target.id), { kind: 'grant', permId, perm: c.perm });
    });
  }
}

export class StartSession extends Command<{
  'session-id': number;
  'session-key': string;
  'header-auth': boolean;
}> {
  constructor(
    readonly ctx: CallContext,
    readonly user: UserDoc,
    /** Re-key this session (login with renew=True) instead of starting a new one. */
    readonly renew: number | null,
  ) {
    super();
  }
}

@CommandHandler(StartSession)
export class StartSessionHandler implements ICommandHandler<StartSession> {
  constructor(
    private readonly commands: CommandService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async execute(c: StartSession) {
    const key = `${c.user.id}-${randomSecret(24)}`;
    const keyHash = sha256(key);
    const expiresAt = new Date(c.ctx.now.getTime() + this.config.hub.sessionLifetimeSec * 1000).toISOString();
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      if (c.renew !== null) {
        const events = (await uow.read(`session-${c.renew}`)) as unknown as SessionEvent[];
        const started = events.find((e) => e.type === 'SessionStarted');
        if (
          started?.type === 'SessionStarted' &&
          started.data.userId === c.user.id &&
          !events.some((e) => e.type === 'SessionEnded')
        ) {
          uow.emit(`session-${c.renew}`, [
            { type: 'SessionRenewed', data: { id: c.renew, keyHash, expiresAt } },
          ]);
          return c.renew;
        }
      }
      const id = await uow.allocateId('session');
      uow.emit(`session-${id}`, [
        {
          type: 'SessionStarted',
          data: {
            id,
            userId: c.user.id,
            userName: c.user.name,
            keyHash,
            authtype: 0,
            startTime: c.ctx.now.toISOString(),
            expiresAt,
            clientAddress: c.ctx.clientAddress,
          },
        },
      ]);
      return id;
    });
    return { 'session-id': result, 'session-key': key, 'header-auth': true };
  }
}

export class EndSession extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly sessionId: number,
  ) {
    super();
  }
}

@CommandHandler(EndSession)
export class EndSessionHandler implements ICommandHandler<EndSession, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: EndSession): Promise<void> {
    await this.commands.run(c.ctx, async (uow) => {
      const events = (await uow.read(`session-${c.sessionId}`)) as unknown as SessionEvent[];
      const started = events.find((e) => e.type === 'SessionStarted');
      if (started?.type !== 'SessionStarted') throw genericError(`No such session: ${c.sessionId}`);
      const u = c.ctx.user;
      if (!u || (u.id !== started.data.userId && !hasPerm(u, 'admin')))
        throw actionNotAllowed(`session ${c.sessionId} belongs to another user`);
      if (events.some((e) => e.type === 'SessionEnded')) return;
      uow.emit(`session-${c.sessionId}`, [
        { type: 'SessionEnded', data: { id: c.sessionId, userId: started.data.userId, reason: 'logout' } },
      ]);
    });
  }
}

export class CreateApiToken extends Command<{ id: number; token: string }> {
  constructor(
    readonly ctx: CallContext,
    readonly target: UserDoc,
    readonly name: string | null,
    readonly expires: string | null,
  ) {
    super();
  }
}

@CommandHandler(CreateApiToken)
export class CreateApiTokenHandler implements ICommandHandler<CreateApiToken> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: CreateApiToken) {
    const secret = randomSecret(32);
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const id = await uow.allocateId('apitoken');
      const token = formatToken(id, secret);
      uow.emit(`apitoken-${id}`, [
        {
          type: 'APITokenCreated',
          data: {
            id,
            userId: c.target.id,
            userName: c.target.name,
            name: c.name,
            tokenHash: sha256(token),
            created: c.ctx.now.toISOString(),
            expires: c.expires,
          },
        },
      ]);
      return { id, token };
    });
    return result;
  }
}

export class RevokeApiToken extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly id: number,
  ) {
    super();
  }
}

@CommandHandler(RevokeApiToken)
export class RevokeApiTokenHandler implements ICommandHandler<RevokeApiToken, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: RevokeApiToken): Promise<void> {
    await this.commands.run(c.ctx, async (uow) => {
      const events = (await uow.read(`apitoken-${c.id}`)) as unknown as APITokenEvent[];
      const created = events.find((e) => e.type === 'APITokenCreated');
      if (created?.type !== 'APITokenCreated') throw genericError(`No such API token: ${c.id}`);
      const u = c.ctx.user;
      if (!u || (u.id !== created.data.userId && !hasPerm(u, 'admin')))
        throw actionNotAllowed(`API token ${c.id} belongs to another user (logged in as ${u?.name})`);
      if (events.some((e) => e.type === 'APITokenRevoked'))
        throw genericError(`API token ${c.id} is already revoked`);
      uow.emit(`apitoken-${c.id}`, [
        { type: 'APITokenRevoked', data: { id: c.id, userId: created.data.userId } },
      ]);
    });
  }
}

/** Seeds permissions and the admin user on the first start of an empty store. */
export class BootstrapHub extends Command<boolean> {
  constructor(
    readonly ctx: CallContext,
    readonly adminPassword: string,
    readonly perms: string[],
  ) {
    super();
  }
}

@CommandHandler(BootstrapHub)
export class BootstrapHubHandler implements ICommandHandler<BootstrapHub, boolean> {
  constructor(
    private readonly commands: CommandService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async execute(c: BootstrapHub): Promise<boolean> {
    const hash = await hashPassword(c.adminPassword);
    try {
      await this.commands.run(c.ctx, async (uow) => {
        // Claiming the admin name fails if another hub bootstrapped the store first.
        const id = await createUserIn(uow, this.config, 'admin', 0, 0, null);
        const permIds: Record<string, number> = {};
        for (const p of c.perms) permIds[p] = await ensurePermissionIn(uow, p, null, true);
        let state = evolveUser(initialUserState, {
          type: 'UserCreated',
          data: { id, name: 'admin', usertype: 0, status: 0, krbPrincipal: null },
        });
        for (const cmd of [
          { kind: 'grant', permId: permIds.admin, perm: 'admin' },
          { kind: 'setPassword', hash },
        ] as UserCommand[]) {
          for (const e of applyUser(uow, id, state, cmd)) state = evolveUser(state, e);
        }
      });
      return true;
    } catch (e) {
      if (e instanceof KojiError && /already exists/.test(e.message)) return false;
      throw e;
    }
  }
}
