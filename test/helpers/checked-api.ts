// The calls of the end-to-end suites, each reply put through the checks every reply must pass.
import assert from 'node:assert/strict';
import type { Creds, RpcReply, TestHub } from './hub.js';

/**
 * Koji's fault codes (spec §1.11) for the faults the suites expect, written out here rather than
 * taken from src, so a wrong code there fails a test.
 */
export const FAULT_CODES = {
  GenericError: 1000,
  AuthError: 1002,
  TagError: 1003,
  ActionNotAllowed: 1004,
  BuildError: 1005,
  AuthExpired: 1007,
  ParameterError: 1019,
} as const;
export type FaultName = keyof typeof FAULT_CODES;

export interface RpcError {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

export type Params = unknown[] | Record<string, unknown>;

/** No reply ever carries a stack trace, a source path or a module path. */
export function assertNoStack(text: string): void {
  assert.doesNotMatch(
    text,
    /\bat [\w.<>$]+ \(|\n\s+at |node_modules|\/dist\/|\.[jt]s:\d+/,
    `a reply leaks internals: ${text}`,
  );
}

/**
 * JSON-RPC calls to a test hub. Every reply travels with HTTP 200, says JSON-RPC 2.0 and leaks no
 * internals; a fault carries Koji's name, code and faultString. `ok` notes each method that
 * succeeded in `exercised`, which a suite's last test compares with its contract.
 */
export class CheckedApi {
  constructor(
    readonly h: TestHub,
    readonly exercised: Set<string>,
    /** The credentials of a call that names none (the suite's usual caller). */
    private readonly defaultCreds: () => Creds | undefined = () => undefined,
  ) {}

  async reply<T = unknown>(m: string, params: Params = [], creds?: Creds): Promise<RpcReply<T>> {
    const r = await this.h.rpc<T>(m, params, creds);
    assertNoStack(JSON.stringify(r.body));
    assert.equal(r.status, 200, `${m}: JSON-RPC replies travel with HTTP 200, got ${r.status}`);
    assert.equal(r.body.jsonrpc, '2.0');
    return r;
  }

  async ok<T = unknown>(m: string, params: Params = [], creds = this.defaultCreds()): Promise<T> {
    const r = await this.reply<T>(m, params, creds);
    assert.equal(r.body.error, undefined, `${m} failed: ${JSON.stringify(r.body.error)}`);
    this.exercised.add(m);
    return r.body.result as T;
  }

  async fault(
    m: string,
    params: Params,
    creds: Creds | undefined,
    name: FaultName,
    message: string | RegExp,
    code?: number,
  ): Promise<RpcError> {
    const r = await this.reply(m, params, creds);
    const e = r.body.error;
    assert.ok(e, `${m} should have failed with ${name}, got ${JSON.stringify(r.body.result)}`);
    assert.equal(e.data?.name, name, JSON.stringify(e));
    assert.equal(e.data?.faultCode, FAULT_CODES[name], JSON.stringify(e));
    assert.equal(e.code, code ?? FAULT_CODES[name], JSON.stringify(e));
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal(e.data?.faultString, e.message);
    return e;
  }

  /** -32602, ParameterError 1019, the message (and data.param, when given) naming the parameter. */
  async badParams(
    m: string,
    params: Params,
    creds: Creds | undefined,
    message: string | RegExp,
    param?: string,
  ): Promise<RpcError> {
    const e = await this.fault(m, params, creds, 'ParameterError', message, -32602);
    if (param !== undefined) {
      assert.equal(e.data?.param, param);
      assert.ok(e.message.includes(param), `the message names ${param}: ${e.message}`);
    }
    return e;
  }
}
