import { Injectable } from '@nestjs/common';
import { KojiError } from '../../kernel/errors.js';
import { USER_STATUS } from '../../rpc/context.js';
import type { CredentialInput, CredentialResolver, ResolvedCredentials } from '../../rpc/credentials.js';
import { parseToken, sameHash, sha256 } from './secrets.js';
import { sessionLockedOut } from './sessions.lock.js';
import { SESSIONS, TOKENS, type SessionDoc, type TokenDoc } from './users.projection.js';
import { UsersReader } from './users.reader.js';

const anonymous: ResolvedCredentials = { user: null, sessionId: null, tokenId: null, authtype: null };
const refused = (problem: KojiError, sessionId: number | null = null): ResolvedCredentials => ({
  ...anonymous,
  sessionId,
  problem,
});

/**
 * Koji session headers or a Bearer API token → the calling user. A bad key never says whether the
 * session exists; a blocked user is refused with either credential.
 */
@Injectable()
export class UsersCredentialResolver implements CredentialResolver {
  constructor(private readonly users: UsersReader) {}

  async resolve(input: CredentialInput, _address: string, now: Date): Promise<ResolvedCredentials> {
    if (input.sessionId !== undefined || input.sessionKey !== undefined) return this.session(input, now);
    if (input.cookieSession) {
      const [id, key] = input.cookieSession.split(':');
      return this.session({ sessionId: id, sessionKey: key }, now);
    }
    if (input.bearer) return this.token(input.bearer, now);
    return anonymous;
  }

  private async session(input: CredentialInput, now: Date): Promise<ResolvedCredentials> {
    // Made only when refused: an error captures its stack (nearly 1% of a createSideTag's hub time).
    const bad = () => new KojiError('AuthError', 'Invalid session or bad credentials');
    if (!input.sessionId || !/^\d{1,15}$/.test(input.sessionId) || !input.sessionKey) return refused(bad());
    const id = Number(input.sessionId);
    const s = await this.users.rm.get<SessionDoc>(SESSIONS, String(id));
    if (!s || s.ended || !sameHash(s.key_hash, sha256(input.sessionKey))) return refused(bad());
    if (now.getTime() >= Date.parse(s.expires_at))
      return refused(new KojiError('AuthExpired', `session ${id} has expired; log in again`), id);
    const u = await this.users.byId(s.user_id);
    if (!u) return refused(bad());
    if (u.status !== USER_STATUS.NORMAL)
      return refused(new KojiError('AuthError', `logins by ${u.name} are blocked`));
    const resolved: ResolvedCredentials = {
      user: await this.users.authUser(u),
      sessionId: id,
      tokenId: null,
      authtype: 'session',
    };
    // Locked out by another exclusive session: the user stays known, because login, logout and
    // exclusiveSession still run (Koji's Session.validate); every other method raises the problem.
    const locked = await sessionLockedOut(this.users.rm, u.id, id);
    return locked ? { ...resolved, problem: locked } : resolved;
  }

  private async token(token: string, now: Date): Promise<ResolvedCredentials> {
    const bad = () => new KojiError('AuthError', 'Invalid API token');
    const parsed = parseToken(token);
    if (!parsed) return refused(bad());
    const t = await this.users.rm.get<TokenDoc>(TOKENS, String(parsed.id));
    if (!t || !sameHash(t.token_hash, sha256(token))) return refused(bad());
    if (t.revoked) return refused(new KojiError('AuthError', `API token ${t.id} has been revoked`));
    if (t.expires && now.getTime() >= Date.parse(t.expires))
      return refused(new KojiError('AuthError', `API token ${t.id} expired at ${t.expires}`));
    const u = await this.users.byId(t.user_id);
    if (!u) return refused(bad());
    if (u.status !== USER_STATUS.NORMAL)
      return refused(new KojiError('AuthError', `user ${u.name} is blocked`));
    return { user: await this.users.authUser(u), sessionId: null, tokenId: t.id, authtype: 'token' };
  }
}
