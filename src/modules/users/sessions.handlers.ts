import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandService } from '../../eventstore/commands.service.js';
import { actionNotAllowed, genericError, KojiError } from '../../kernel/errors.js';
import type { CallContext } from '../../rpc/context.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { exclusiveSession, sharedSession, type ExclusiveSessionParams } from './sessions.contract.js';
import { evolveLockHolder, isLockedOut, sessionLockStream, type SessionLockEvent } from './sessions.lock.js';
import type { SessionEvent } from './users.events.js';

/** take: exclusiveSession(); force: exclusiveSession(force=True); login: login(exclusive=True). */
export type LockChange = 'take' | 'force' | 'login' | 'release';

export class ChangeSessionLock extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly sessionId: number,
    readonly user: { id: number; name: string },
    readonly change: LockChange,
  ) {
    super();
  }
}

/** Koji's makeExclusive(force) and makeShared, on the user's lock stream. */
@CommandHandler(ChangeSessionLock)
export class ChangeSessionLockHandler implements ICommandHandler<ChangeSessionLock, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: ChangeSessionLock): Promise<void> {
    const who = { sessionId: c.sessionId, userId: c.user.id, userName: c.user.name };
    await this.commands.run(c.ctx, async (uow) => {
      const stream = sessionLockStream(c.user.id);
      const events = (await uow.read(stream)) as unknown as SessionLockEvent[];
      let holder = events.reduce(evolveLockHolder, null);
      if (holder !== null && holder !== c.sessionId) {
        // A holder that logged out (or was displaced) no longer locks anybody out.
        const held = (await uow.read(`session-${holder}`)) as unknown as SessionEvent[];
        if (held.some((e) => e.type === 'SessionEnded')) holder = null;
      }
      if (c.change === 'release') {
        if (holder === c.sessionId) uow.emit(stream, [{ type: 'SessionMadeShared', data: who }]);
        return;
      }
      if (holder === c.sessionId) {
        if (c.change === 'login') return;
        throw genericError('session is already exclusive');
      }
      if (holder !== null) {
        if (c.change !== 'force') throw new KojiError('AuthLockError', 'Cannot get exclusive session');
        // Koji closes the displaced session exactly as a logout would.
        uow.emit(
          `session-${holder}`,
          [{ type: 'SessionEnded', data: { id: holder, userId: c.user.id, reason: 'logout' } }],
          { metadata: { displacedBy: c.sessionId } },
        );
      }
      uow.emit(stream, [{ type: 'SessionMadeExclusive', data: { ...who, displaced: holder } }]);
    });
  }
}

/** The session a lock change applies to: a login session, never an API token. */
function loginSession(ctx: CallContext): { sessionId: number; user: { id: number; name: string } } {
  if (!ctx.user) throw actionNotAllowed('you must be logged in for this operation');
  if (ctx.sessionId === null)
    throw genericError('exclusive sessions need a session from login; an API token has none');
  return { sessionId: ctx.sessionId, user: { id: ctx.user.id, name: ctx.user.name } };
}

@Injectable()
export class SessionsApi implements OnModuleInit {
  constructor(
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
  ) {}

  onModuleInit(): void {
    this.registry.implement<ExclusiveSessionParams>(exclusiveSession, async (p, ctx) => {
      // Only a lock-out may pass here (Koji exempts exclusiveSession from it); bad or expired
      // credentials are refused as for any other method.
      if (ctx.authProblem && !isLockedOut(ctx.authProblem)) throw ctx.authProblem;
      const s = loginSession(ctx);
      await this.bus.execute(new ChangeSessionLock(ctx, s.sessionId, s.user, p.force ? 'force' : 'take'));
      return null;
    });
    this.registry.implement(sharedSession, async (_p, ctx) => {
      const s = loginSession(ctx);
      await this.bus.execute(new ChangeSessionLock(ctx, s.sessionId, s.user, 'release'));
      return null;
    });
  }
}
