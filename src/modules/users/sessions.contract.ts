import { IsBoolean } from 'class-validator';
import { anonymous, loggedIn, method } from '../../rpc/method.js';

export class ExclusiveSessionParams {
  @IsBoolean() force!: boolean;
}
/**
 * Koji runs exclusiveSession even when the session is locked out by another exclusive session
 * (so `force` can take the lock over); the handler therefore checks the login itself and the
 * declaration accepts refused credentials, like `login`.
 */
export const exclusiveSession = method({
  name: 'exclusiveSession',
  summary:
    "Make this login session the user's only usable one: their other sessions get AuthLockError until it logs out or calls sharedSession; force=True logs out another exclusive session (needs a session from login)",
  access: anonymous,
  args: [['force', false]],
  params: ExclusiveSessionParams,
  acceptsBadCredentials: true,
  result: { type: 'null' },
});

export class NoParams {}
export const sharedSession = method({
  name: 'sharedSession',
  summary: "Drop this session's exclusive lock (a no-op when it holds none)",
  access: loggedIn,
  args: [],
  params: NoParams,
  result: { type: 'null' },
});

export const sessionsContract = [exclusiveSession, sharedSession];
