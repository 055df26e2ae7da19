/** Who is calling and from where: resolved from the request's credentials before any method runs. */
export interface AuthUser {
  id: number;
  name: string;
  status: number;
  usertype: number;
  perms: string[];
}

export type AuthType = 'password' | 'token' | 'session';

export interface CallContext {
  user: AuthUser | null;
  /** The Koji session the call came with, when it came with one. */
  sessionId: number | null;
  tokenId: number | null;
  authtype: AuthType | null;
  clientAddress: string;
  /** One per HTTP request: the correlation id of every event the request causes. */
  requestId: string;
  door: 'rpc' | 'kojihub' | 'web' | 'internal';
  now: Date;
  /** Things the caller should know although the call succeeded (read models lagging…). */
  warnings: string[];
  /**
   * Why the request's credentials were refused (expired session, bad key, revoked token). Every
   * method raises it, except `login`, which a client calls with renew=True to re-key an expired session.
   */
  authProblem?: Error;
}

export const USER_STATUS = { NORMAL: 0, BLOCKED: 1 } as const;
export const USER_TYPE = { NORMAL: 0, HOST: 1, GROUP: 2 } as const;

export function hasPerm(user: AuthUser | null, perm: string): boolean {
  return !!user && (user.perms.includes(perm) || user.perms.includes('admin'));
}

export function internalContext(requestId: string, now = new Date()): CallContext {
  return {
    user: null,
    sessionId: null,
    tokenId: null,
    authtype: null,
    clientAddress: 'internal',
    requestId,
    door: 'internal',
    now,
    warnings: [],
  };
}
