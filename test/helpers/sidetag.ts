// Helpers for the sidetag tests: a config directory with chosen [policy] rules and sidetag.conf keys,
// a JSON-RPC client for any hub URL (in-process or a hub process), assertions on Koji faults, and
// the event log read back through the store.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedEvent } from 'koji-es/eventstore/port';
import type { StoreBackend } from 'koji-es/eventstore/open';
import { credHeaders, type Creds, type RpcReply } from './hub.js';
import { tempDir } from './tmp.js';

export interface SidetagConfigOptions {
  /** Policy name → its rules, one per line (written indented under `name =`). */
  policies?: Record<string, string[]>;
  /** `[sidetag]` keys of hub/plugins/sidetag.conf. */
  sidetag?: Record<string, string>;
  /** `[hub]` keys of hub/hub.conf. */
  hub?: Record<string, string>;
  /** `[server]` keys of hub/hub.conf. */
  server?: Record<string, string>;
}

/** Koji's sidetag.conf defaults (remove_empty off, no suffixes, no repo request), then `o.sidetag`. */
export const KOJI_SIDETAG_DEFAULTS: Record<string, string> = {
  remove_empty: 'false',
  allowed_suffixes: '',
  name_template: '{basetag}-side-{tag_id}',
  trigger_new_repo: 'false',
  cleanup_interval: '0',
};

/** A config directory of its own: hub/hub.conf and hub/plugins/sidetag.conf. */
export function sidetagConfigDir(o: SidetagConfigOptions = {}): { dir: string; cleanup: () => void } {
  const t = tempDir('koji-es-sidetag-config-');
  mkdirSync(join(t.dir, 'hub', 'plugins'), { recursive: true });
  const section = (name: string, keys: Record<string, string>) =>
    `[${name}]\n${Object.entries(keys)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n')}\n`;
  const policies = Object.entries(o.policies ?? {})
    .map(([name, rules]) => `${name} =\n${rules.map((r) => `    ${r}`).join('\n')}\n`)
    .join('');
  writeFileSync(
    join(t.dir, 'hub', 'hub.conf'),
    [
      section('server', { projection_wait: '10', ...o.server }),
      // Tests move a TestClock forward by weeks: sessions must outlive that.
      section('hub', { MissingPolicyOk: 'true', SessionLifetime: '315360000', ...o.hub }),
      `[policy]\n${policies}`,
    ].join('\n'),
  );
  writeFileSync(
    join(t.dir, 'hub', 'plugins', 'sidetag.conf'),
    section('sidetag', { ...KOJI_SIDETAG_DEFAULTS, ...o.sidetag }),
  );
  return t;
}

export interface RpcError {
  code: number;
  message: string;
  data?: { name?: string; faultCode?: number; faultString?: string; [k: string]: unknown };
}

/** A JSON-RPC client of one hub, by URL. */
export class RpcClient {
  private id = 0;

  constructor(readonly url: string) {}

  async rpc<T = unknown>(
    method: string,
    params: unknown[] | Record<string, unknown> = [],
    creds?: Creds,
  ): Promise<RpcReply<T>> {
    const res = await fetch(`${this.url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...credHeaders(creds) },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as RpcReply<T>['body'] };
  }

  /** A call that must succeed. */
  async ok<T = unknown>(
    method: string,
    params: unknown[] | Record<string, unknown> = [],
    creds?: Creds,
  ): Promise<T> {
    const r = await this.rpc<T>(method, params, creds);
    assert.equal(r.body.error, undefined, `${method} failed: ${JSON.stringify(r.body.error)}`);
    return r.body.result as T;
  }

  /** A call that must fail with Koji's fault `name` and exactly `message` (or matching it). */
  async fault(
    method: string,
    params: unknown[] | Record<string, unknown>,
    creds: Creds | undefined,
    name: string,
    message?: string | RegExp,
  ): Promise<RpcError> {
    const r = await this.rpc(method, params, creds);
    const e = r.body.error as RpcError | undefined;
    assert.ok(e, `${method} should have failed with ${name}, got ${JSON.stringify(r.body.result)}`);
    assert.equal(e.data?.name, name, JSON.stringify(e));
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return e;
  }

  async login(user: string, password: string): Promise<Creds> {
    const s = await this.ok<{ 'session-id': number; 'session-key': string }>('login', [user, password]);
    return { sessionId: s['session-id'], sessionKey: s['session-key'] };
  }

  /** A user with a password and the given permissions (by admin), logged in. */
  async user(admin: Creds, name: string, perms: string[] = [], password = `${name}-password-123`) {
    const id = await this.ok<number>('createUser', [name], admin);
    await this.ok('setUserPassword', [id, password], admin);
    for (const p of perms) await this.ok('grantPermission', [id, p], admin);
    return { id, name, creds: await this.login(name, password) };
  }
}

export interface TagRow {
  id: number;
  name: string;
  arches: string | null;
  locked: boolean;
  perm_id: number | null;
  extra: Record<string, unknown>;
}

export interface SidetagRow {
  id: number;
  name: string;
  user_id: string | null;
  user_name: string | null;
  hold?: { reason: string; by: string; time: string } | null;
  [k: string]: unknown;
}

export interface CreateResult {
  name: string;
  id: number;
  task_id: null;
  request: Record<string, unknown> | null;
}

/** Every event of the log (optionally of some types), in global order. */
export async function readEvents(backend: StoreBackend, types?: string[]): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await backend.events.readAll({
      after,
      maxCount: 1000,
      ...(types ? { filter: { types } } : {}),
    });
    out.push(...page.events);
    if (page.atEnd) return out;
    after = page.checkpoint;
  }
}

/** Waits until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
