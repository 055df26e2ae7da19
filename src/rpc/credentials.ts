import type { AuthType, AuthUser } from './context.js';

/** What the request's credentials resolved to. */
export interface ResolvedCredentials {
  user: AuthUser | null;
  /** Set when the credentials were refused; the session id is kept so `login` can renew it. */
  problem?: Error;
  sessionId: number | null;
  tokenId: number | null;
  authtype: AuthType | null;
}

export interface CredentialInput {
  sessionId?: string;
  sessionKey?: string;
  callnum?: string;
  bearer?: string;
  cookieSession?: string;
}

/**
 * Turns the request's credentials (Koji session headers, a Bearer token, the web cookie) into a
 * user. Implemented by the users module; the RPC layer only knows this interface.
 */
export interface CredentialResolver {
  resolve(input: CredentialInput, clientAddress: string, now: Date): Promise<ResolvedCredentials>;
}

export const CREDENTIAL_RESOLVER = Symbol('CredentialResolver');

export function credentialsFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): CredentialInput {
  const h = (name: string) => {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const auth = h('authorization');
  const bearer = auth && /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
  return {
    sessionId: h('koji-session-id'),
    sessionKey: h('koji-session-key'),
    callnum: h('koji-session-callnum'),
    bearer: bearer || undefined,
  };
}
