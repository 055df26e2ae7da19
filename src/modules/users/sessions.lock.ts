// Koji's exclusive sessions (kojihub/auth.py: makeExclusive, makeShared, Session.validate): while
// one session of a user is exclusive, every other session of that user is refused with
// AuthLockError("User locked by another session"), except for login, logout and exclusiveSession.
// The lock is one stream per user, so two sessions can never both take it: the second append
// conflicts, retries and then sees the first holder.
import type { DomainEvent } from '../../kernel/decider.js';
import type { Projection, ProjectionTx } from '../../eventstore/projection.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import type { ReadModelReader } from '../../eventstore/read-model.port.js';
import { KojiError } from '../../kernel/errors.js';
import { SESSIONS, type SessionDoc } from './users.projection.js';

export type SessionMadeExclusive = DomainEvent<
  'SessionMadeExclusive',
  {
    sessionId: number;
    userId: number;
    userName: string;
    /** The exclusive session that `force=True` logged out to take the lock, if any. */
    displaced: number | null;
  }
>;
export type SessionMadeShared = DomainEvent<
  'SessionMadeShared',
  { sessionId: number; userId: number; userName: string }
>;
export type SessionLockEvent = SessionMadeExclusive | SessionMadeShared;

export const SESSION_LOCK_EVENT_TYPES = ['SessionMadeExclusive', 'SessionMadeShared'] as const;

export const sessionLockStream = (userId: number) => `session-lock-${userId}`;

/** The session holding a user's lock, as recorded (whether it has ended since is checked apart). */
export function evolveLockHolder(holder: number | null, e: SessionLockEvent): number | null {
  if (e.type === 'SessionMadeExclusive') return e.data.sessionId;
  return holder === e.data.sessionId ? null : holder;
}

export const SESSION_LOCKS = 'session_locks';

export interface SessionLockDoc {
  user_id: number;
  session_id: number;
}

/** user id → the exclusive session, read by the credentials resolver on every session call. */
export const sessionLockProjection: Projection = {
  name: 'session_locks',
  version: 1,
  collections: [{ name: SESSION_LOCKS }],
  filter: { types: [...SESSION_LOCK_EVENT_TYPES] },
  apply(event: RecordedEvent, tx: ProjectionTx) {
    const e = { type: event.type, data: event.data } as SessionLockEvent;
    const key = String(e.data.userId);
    if (e.type === 'SessionMadeExclusive') {
      tx.put(SESSION_LOCKS, key, {
        user_id: e.data.userId,
        session_id: e.data.sessionId,
      } satisfies SessionLockDoc);
      return;
    }
    const cur = tx.get<SessionLockDoc>(SESSION_LOCKS, key);
    if (cur?.session_id === e.data.sessionId) tx.delete(SESSION_LOCKS, key);
  },
};

/**
 * Koji's Session.validate: a session is locked out while another, still open session of its user
 * is exclusive. The caller keeps the user (login, logout and exclusiveSession still run).
 */
export async function sessionLockedOut(
  rm: ReadModelReader,
  userId: number,
  sessionId: number,
): Promise<KojiError | null> {
  const lock = await rm.get<SessionLockDoc>(SESSION_LOCKS, String(userId));
  if (!lock || lock.session_id === sessionId) return null;
  const holder = await rm.get<SessionDoc>(SESSIONS, String(lock.session_id));
  if (!holder || holder.ended) return null;
  return new KojiError('AuthLockError', 'User locked by another session');
}

export const isLockedOut = (e: unknown): boolean => e instanceof KojiError && e.faultName === 'AuthLockError';
