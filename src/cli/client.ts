import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorFromFault, faultNameOf, KojiError } from '../kernel/errors.js';
import { configHome, type Profile } from './profile.js';

interface CachedSession {
  server: string;
  user: string;
  sessionId: number;
  sessionKey: string;
}

export interface ClientOptions {
  noauth?: boolean;
  debug?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Called with each warning the hub sends back (read models lagging…). */
  onWarning?: (w: string) => void;
}

/** --debug shows requests, but never a login's password. */
function redactLogin(body: unknown): unknown {
  const b = body as { method?: unknown; params?: unknown };
  if (b?.method !== 'login' || !Array.isArray(b.params)) return body;
  return { ...b, params: b.params.map((p, i) => (i === 1 ? '***' : p)) };
}

/** Raised when the hub cannot be reached at all (not a Koji fault). */
export class ConnectionError extends Error {}

/**
 * A fault whose code is no Koji class: the hub's internal error (code 1, whose message carries the
 * request id to look up in the hub's log) or a JSON-RPC protocol error. Shown under the name the hub
 * gave it, never as a GenericError the hub did not raise.
 */
export class HubFault extends Error {
  constructor(
    readonly faultName: string,
    readonly faultCode: number,
    message: string,
  ) {
    super(message);
  }
}

export type Fault = KojiError | HubFault;

function faultOf(error: NonNullable<RpcReply['error']>): Fault {
  const d = error.data;
  const code = d?.faultCode ?? error.code;
  const message = d?.faultString ?? error.message;
  if (faultNameOf(code)) return errorFromFault(code, message);
  const name = d?.name ?? (code <= -32000 && code >= -32768 ? `JSON-RPC error ${code}` : `Fault ${code}`);
  return new HubFault(name, code, message);
}

/** A JSON-RPC 2.0 response object: a result, or an error with a numeric code and a message. */
function isRpcReply(v: unknown): v is RpcReply {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  if ('result' in r) return true;
  const e = r.error as Record<string, unknown> | null | undefined;
  return !!e && typeof e === 'object' && typeof e.code === 'number' && typeof e.message === 'string';
}

interface RpcReply {
  id: unknown;
  result?: unknown;
  error?: {
    code: number;
    message: string;
    data?: { name?: string; faultCode?: number; faultString?: string };
  };
}

/**
 * A JSON-RPC client of the hub. Credentials: an API token (Bearer) if one is configured, else the
 * user's cached session for this profile, logging in with the password when there is none (or when
 * the hub refuses it) — so a run of commands logs in once.
 */
export class HubClient {
  private auth: { sessionId: number; sessionKey: string } | null = null;
  private nextId = 1;

  constructor(
    readonly profile: Profile,
    private readonly opts: ClientOptions = {},
  ) {}

  private get sessionFile(): string {
    const safe = this.profile.name.replace(/[^A-Za-z0-9_.-]/g, '_');
    return join(configHome(this.opts.env ?? process.env), 'koji-es', 'sessions', `${safe}.json`);
  }

  get canAuthenticate(): boolean {
    return (
      !this.opts.noauth &&
      (!!this.profile.token || (!!this.profile.user && !!this.profile.password) || this.cached() !== null)
    );
  }

  private cached(): CachedSession | null {
    if (!existsSync(this.sessionFile)) return null;
    try {
      const s = JSON.parse(readFileSync(this.sessionFile, 'utf8')) as CachedSession;
      if (s.server !== this.profile.server) return null;
      if (this.profile.user && s.user !== this.profile.user) return null;
      return s;
    } catch {
      return null;
    }
  }

  private saveSession(s: CachedSession) {
    mkdirSync(dirname(this.sessionFile), { recursive: true, mode: 0o700 });
    writeFileSync(this.sessionFile, JSON.stringify(s), { mode: 0o600 });
    chmodSync(this.sessionFile, 0o600);
  }

  forgetSession() {
    rmSync(this.sessionFile, { force: true });
    this.auth = null;
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.noauth) return h;
    if (this.profile.token) h.authorization = `Bearer ${this.profile.token}`;
    else if (this.auth) {
      h['koji-session-id'] = String(this.auth.sessionId);
      h['koji-session-key'] = this.auth.sessionKey;
    }
    return h;
  }

  /** The credential headers of this client (token or session), for plain HTTP requests like /files. */
  authHeaders(): Record<string, string> {
    const { 'content-type': _, ...h } = this.headers();
    return h;
  }

  private async post(body: unknown): Promise<unknown> {
    if (this.opts.debug)
      process.stderr.write(
        `koji-es: debug: POST ${this.profile.server} ${JSON.stringify(redactLogin(body))}\n`,
      );
    let res: Response;
    try {
      res = await fetch(this.profile.server, {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(body),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ConnectionError(
        `cannot reach the hub at ${this.profile.server}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
      );
    }
    const warning = res.headers.get('koji-es-warning');
    if (warning) (this.opts.onWarning ?? ((w) => process.stderr.write(`koji-es: warning: ${w}\n`)))(warning);
    const text = await res.text();
    if (this.opts.debug)
      process.stderr.write(
        `koji-es: debug: ${res.status} ${text.slice(0, 2000).replace(/("session-key":\s*")[^"]*/g, '$1***')}\n`,
      );
    if (res.status === 204) return null;
    const notRpc = () =>
      new ConnectionError(
        `the hub at ${this.profile.server} answered HTTP ${res.status} with something that is not JSON-RPC (is the server URL right?)`,
      );
    let reply: unknown;
    try {
      reply = JSON.parse(text) as unknown;
    } catch {
      throw notRpc();
    }
    // Any other JSON (a proxy's or a web framework's 404 page) would read as a fault without a message.
    if (Array.isArray(body) ? !Array.isArray(reply) || !reply.every(isRpcReply) : !isRpcReply(reply))
      throw notRpc();
    return reply;
  }

  private async rawCall(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    const reply = (await this.post({ jsonrpc: '2.0', id: this.nextId++, method, params })) as RpcReply;
    if (reply.error) throw faultOf(reply.error);
    return reply.result;
  }

  /** One JSON-RPC batch: each call's result or fault, in the order given (replies come in any order). */
  private async rawBatch(calls: [string, unknown[]][]): Promise<({ result: unknown } | { fault: Fault })[]> {
    const first = this.nextId;
    this.nextId += calls.length;
    const reply = await this.post(
      calls.map(([method, params], i) => ({ jsonrpc: '2.0', id: first + i, method, params })),
    );
    if (!Array.isArray(reply))
      throw new ConnectionError(`the hub at ${this.profile.server} did not answer the batch with a list`);
    const byId = new Map<number, RpcReply>((reply as RpcReply[]).map((r) => [Number(r.id), r]));
    return calls.map((_, i) => {
      const r = byId.get(first + i);
      if (!r)
        return { fault: new KojiError('GenericError', `the hub left call ${i + 1} of the batch unanswered`) };
      if (!r.error) return { result: r.result };
      return { fault: faultOf(r.error) };
    });
  }

  /**
   * Several calls in one request (JSON-RPC batch), where Koji's CLI uses a multicall: each runs on
   * its own and answers on its own. A refused cached session is replaced once, as for `call`.
   */
  async batch(calls: [string, unknown[]][]): Promise<({ result: unknown } | { fault: Fault })[]> {
    if (!calls.length) return [];
    const out = await this.rawBatch(calls);
    const stale =
      out.every((r) => 'fault' in r && r.fault instanceof KojiError && r.fault.isA('AuthError')) &&
      this.canLogInAgain();
    if (!stale) return out;
    this.forgetSession();
    await this.login();
    return this.rawBatch(calls);
  }

  /** A session of ours was refused, and the profile has a password to log in with again. */
  private canLogInAgain(): boolean {
    return this.auth !== null && !this.profile.token && !!this.profile.user && !!this.profile.password;
  }

  /** Logs in (or reuses this profile's cached session) unless a token or --noauth is in use. */
  async ensureAuth(): Promise<void> {
    if (this.opts.noauth || this.profile.token || this.auth) return;
    const c = this.cached();
    if (c) {
      this.auth = { sessionId: c.sessionId, sessionKey: c.sessionKey };
      return;
    }
    await this.login();
  }

  private async login(): Promise<void> {
    if (!this.profile.user || !this.profile.password)
      throw new KojiError('AuthError', 'Unable to log in, no authentication methods available');
    this.auth = null;
    const sinfo = (await this.rawCall('login', [this.profile.user, this.profile.password])) as {
      'session-id': number;
      'session-key': string;
    };
    this.auth = { sessionId: sinfo['session-id'], sessionKey: sinfo['session-key'] };
    this.saveSession({ server: this.profile.server, user: this.profile.user, ...this.auth });
  }

  /** Calls a method; a refused cached session is replaced by a fresh login once. */
  async call<T = unknown>(method: string, params: unknown[] | Record<string, unknown> = []): Promise<T> {
    try {
      return (await this.rawCall(method, params)) as T;
    } catch (e) {
      const stale = e instanceof KojiError && e.isA('AuthError') && this.canLogInAgain();
      if (!stale) throw e;
      this.forgetSession();
      await this.login();
      return (await this.rawCall(method, params)) as T;
    }
  }
}
