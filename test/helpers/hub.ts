import { join } from 'node:path';
import { loadHubConfig, type HubConfig } from 'koji-es/config/hub-config';
import { startHub, type RunningHub } from 'koji-es/hub';
import type { Clock } from 'koji-es/kernel/clock';
import { tempDir } from './tmp.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface Creds {
  sessionId?: number;
  sessionKey?: string;
  token?: string;
}

export interface RpcReply<T = unknown> {
  status: number;
  headers: Headers;
  body: {
    jsonrpc: string;
    id: unknown;
    result?: T;
    error?: { code: number; message: string; data?: Record<string, unknown> };
  };
}

/** A settable clock: tests move time forward to expire sessions and tokens. */
export class TestClock implements Clock {
  constructor(public t = Date.now()) {}
  now() {
    return new Date(this.t);
  }
  advance(ms: number) {
    this.t += ms;
  }
  async sleep(ms: number) {
    this.slept.push(ms);
  }
  slept: number[] = [];
}

export interface TestHub {
  hub: RunningHub;
  url: string;
  rpcUrl: string;
  dataDir: string;
  config: HubConfig;
  admin: Creds;
  /** One JSON-RPC call; throws nothing, returns the whole reply. */
  rpc<T = unknown>(
    method: string,
    params?: unknown[] | Record<string, unknown>,
    creds?: Creds,
  ): Promise<RpcReply<T>>;
  /** One JSON-RPC call that must succeed; returns its result. */
  call<T = unknown>(method: string, params?: unknown[] | Record<string, unknown>, creds?: Creds): Promise<T>;
  login(user: string, password: string): Promise<Creds>;
  post(body: string | Buffer, creds?: Creds, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export function credHeaders(c?: Creds): Record<string, string> {
  const h: Record<string, string> = {};
  if (c?.sessionId !== undefined) h['Koji-Session-Id'] = String(c.sessionId);
  if (c?.sessionKey !== undefined) h['Koji-Session-Key'] = c.sessionKey;
  if (c?.token) h.Authorization = `Bearer ${c.token}`;
  return h;
}

export interface TestHubOptions {
  store?: string;
  clock?: Clock;
  flags?: Record<string, string>;
  /** Replaces parts of the loaded config. */
  tweak?: (c: HubConfig) => void;
  configDir?: string;
}

/**
 * fetch, once more when a kept-alive socket turns out closed before any reply. undici does not read
 * from idle pooled sockets, so after a hub on the same port was stopped and started again (the
 * restart tests) the first request can be written into the old hub's closed connection; undici
 * retries only idempotent methods, and every RPC is a POST. (A hub that closes a connection in the
 * middle of a request would be retried too; no test stops a hub under a request it then counts.)
 */
async function postOnce(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const code = ((e as Error).cause as { code?: string } | undefined)?.code;
    if (code !== 'UND_ERR_SOCKET') throw e;
    return fetch(url, init);
  }
}

/** A hub on a fresh temporary store, listening on a free port, with admin logged in. */
export async function startTestHub(o: TestHubOptions = {}): Promise<TestHub> {
  const tmp = tempDir('koji-es-hub-');
  const config = loadHubConfig(
    {
      '--config-dir': o.configDir ?? join(REPO_ROOT, 'config'),
      '--data-dir': tmp.dir,
      '--port': '0',
      '--host': '127.0.0.1',
      ...(o.store ? { '--store': o.store } : {}),
      ...o.flags,
    },
    {},
  );
  o.tweak?.(config);
  const hub = await startHub(config, {
    clock: o.clock,
    logger: false,
    adminPassword: ADMIN_PASSWORD,
    announce: () => undefined,
  });
  const rpcUrl = `${hub.url}/rpc`;
  let id = 0;
  const post = (body: string | Buffer, creds?: Creds, headers: Record<string, string> = {}) =>
    postOnce(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...credHeaders(creds), ...headers },
      body,
    });
  const rpc = async <T>(
    method: string,
    params: unknown[] | Record<string, unknown> = [],
    creds?: Creds,
  ): Promise<RpcReply<T>> => {
    const res = await post(JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }), creds);
    return { status: res.status, headers: res.headers, body: (await res.json()) as RpcReply<T>['body'] };
  };
  const call = async <T>(
    method: string,
    params: unknown[] | Record<string, unknown> = [],
    creds?: Creds,
  ): Promise<T> => {
    const r = await rpc<T>(method, params, creds);
    if (r.body.error) throw new Error(`${method} failed: ${JSON.stringify(r.body.error)}`);
    return r.body.result as T;
  };
  const login = async (user: string, password: string): Promise<Creds> => {
    const s = await call<{ 'session-id': number; 'session-key': string }>('login', [user, password]);
    return { sessionId: s['session-id'], sessionKey: s['session-key'] };
  };
  const admin = await login('admin', ADMIN_PASSWORD).catch(async (e: unknown) => {
    // A hub that started but cannot be used would keep the test file from ever exiting.
    await hub.close();
    tmp.cleanup();
    throw e;
  });
  return {
    hub,
    url: hub.url,
    rpcUrl,
    dataDir: tmp.dir,
    config,
    admin,
    rpc,
    call,
    login,
    post,
    close: async () => {
      await hub.close();
      tmp.cleanup();
    },
  };
}
