import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { STORE_BACKEND } from '../app.tokens.js';
import type { StoreBackend } from '../eventstore/open.js';
import { compareCheckpoints, type Checkpoint, type EventStore } from '../eventstore/port.js';
import { authError, KojiError } from '../kernel/errors.js';

/** Koji's RetryWhitelist (kojihub/auth.py): host calls that may be re-run after they committed. */
const RETRY_WHITELIST = new Set([
  'host.taskWait',
  'host.taskUnwait',
  'host.taskSetWait',
  'host.updateHost',
  'host.setBuildRootState',
  'repoExpire',
  'repoDelete',
  'repoProblem',
]);

interface Attempt {
  /** A hash of the session key: a re-keyed session (login with renew=True) starts a new sequence. */
  keyTag: string;
  callnum: number;
  requestId: string;
  before: Checkpoint | null;
  after: Checkpoint | null | undefined;
  done: Promise<void>;
  finish: () => void;
}

export interface CallTicket {
  sessionId: number;
  attempt: Attempt;
}

/**
 * Koji's `Koji-Session-Callnum` rules on /kojihub (spec §6.2): a callnum lower than the session's
 * last one is a SequenceError; the same callnum again (a client retrying after losing a reply) is a
 * RetryError only when the earlier attempt committed a change, which is read back from the log
 * (events carry the request id) instead of being guessed.
 *
 * The last callnum per session is kept in this process's memory. That is enough for what the rule
 * is for with one hub: the koji client numbers its calls 0, 1, 2… on one connection and retries
 * within minutes. It is not enough in two cases, both accepted: after a restart the first call of
 * each session starts a fresh sequence (a retry of a call committed just before the crash would be
 * re-run), and with several hubs behind one address a retry that reaches another hub is not
 * recognised. Koji itself keeps the number in its sessions table but commits it only together with
 * a change; persisting a number per call as an event here would cost a write for every read.
 */
@Injectable()
export class SessionCallnums {
  private readonly sessions = new Map<number, Attempt>();
  /** Sessions remembered at most; the least recently used are forgotten first. */
  static readonly MAX_SESSIONS = 100_000;

  constructor(@Inject(STORE_BACKEND) private readonly backend: StoreBackend) {}

  /** Checks a call's callnum and records it; null when the call carries none. */
  async begin(
    sessionId: number,
    sessionKey: string,
    callnumText: string | undefined,
    method: string,
    requestId: string,
  ): Promise<CallTicket | null> {
    if (callnumText === undefined) return null;
    const t = callnumText.trim();
    const callnum = /^[+-]?[0-9]{1,15}$/.test(t) ? Number(t) : NaN;
    if (!Number.isSafeInteger(callnum)) throw authError(`Invalid callnum: '${callnumText.slice(0, 40)}'`);
    const keyTag = createHash('sha256').update(sessionKey).digest('base64url').slice(0, 16);
    let prev = this.sessions.get(sessionId);
    if (prev && prev.keyTag !== keyTag) prev = undefined;
    if (prev) {
      if (prev.callnum > callnum)
        throw new KojiError('SequenceError', `${prev.callnum} > ${callnum} (session ${sessionId})`);
      if (prev.callnum === callnum && !RETRY_WHITELIST.has(method)) {
        await prev.done;
        if (await this.committed(prev))
          throw new KojiError(
            'RetryError',
            `unable to retry call ${callnum} (method ${method}) for session ${sessionId}`,
          );
      }
    }
    let finish = () => undefined as void;
    const done = new Promise<void>((r) => (finish = r));
    const attempt: Attempt = {
      keyTag,
      callnum,
      requestId,
      before: await this.backend.events.headCheckpoint(),
      after: undefined,
      done,
      finish,
    };
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, attempt);
    if (this.sessions.size > SessionCallnums.MAX_SESSIONS)
      this.sessions.delete(this.sessions.keys().next().value as number);
    return { sessionId, attempt };
  }

  /** Records where the log stood when the call ended, so a retry can tell whether it wrote. */
  async end(ticket: CallTicket | null): Promise<void> {
    if (!ticket) return;
    try {
      ticket.attempt.after = await this.backend.events.headCheckpoint();
    } finally {
      ticket.attempt.finish();
    }
  }

  /** A logged-out session's sequence is over. */
  forget(sessionId: number): void {
    this.sessions.delete(sessionId);
  }

  private async committed(a: Attempt): Promise<boolean> {
    if (a.after === undefined) return true;
    if (compareCheckpoints(a.before, a.after) === 0) return false;
    return wroteBetween(this.backend.events, a.requestId, a.before, a.after);
  }
}

/** Whether any event of request `requestId` lies in the log between two checkpoints. */
export async function wroteBetween(
  store: EventStore,
  requestId: string,
  before: Checkpoint | null,
  after: Checkpoint | null,
): Promise<boolean> {
  let cursor = before;
  // Past this many events, the check costs more than refusing the retry; refusing is the safe side.
  for (let scanned = 0; scanned < 50_000;) {
    const page = await store.readAll({ after: cursor, maxCount: 1000 });
    for (const e of page.events) {
      if (compareCheckpoints(e.checkpoint, after) > 0) return false;
      if (e.metadata.requestId === requestId) return true;
    }
    if (page.atEnd || page.events.length === 0 || page.checkpoint === null) return false;
    scanned += page.events.length;
    cursor = page.checkpoint;
  }
  return true;
}
