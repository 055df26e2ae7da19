import { parseXmlRpc } from './parser.js';
import { serializeCall } from './serializer.js';
import { encodeArgs, type XmlRpcValue } from './values.js';

export interface XmlRpcReply {
  status: number;
  headers: Headers;
  /** The raw body (what a golden file compares against). */
  body: string;
  result?: XmlRpcValue;
  fault?: { faultCode: number; faultString: string };
}

export interface XmlRpcSession {
  'session-id': number;
  'session-key': string;
  callnum: number;
}

/**
 * The wire side of `koji.ClientSession`, for tests and tools: one POST per call, keyword arguments
 * as a trailing `__starstar` struct, session headers with a callnum that grows on every send.
 */
export class XmlRpcClient {
  session: XmlRpcSession | null = null;

  constructor(readonly url: string) {}

  async send(
    method: string,
    params: readonly unknown[] = [],
    kwargs?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<XmlRpcReply> {
    const h: Record<string, string> = { 'Content-Type': 'text/xml', 'User-Agent': 'koji/1', ...headers };
    if (this.session) {
      h['Koji-Session-Id'] = String(this.session['session-id']);
      h['Koji-Session-Key'] = this.session['session-key'];
      h['Koji-Session-Callnum'] = String(this.session.callnum++);
    }
    return postXml(this.url, serializeCall(method, encodeArgs(params, kwargs)), h);
  }

  /** A call that must succeed. */
  async call<T = XmlRpcValue>(
    method: string,
    params: readonly unknown[] = [],
    kwargs?: Record<string, unknown>,
  ) {
    const r = await this.send(method, params, kwargs);
    if (r.fault) throw new Error(`${method}: fault ${r.fault.faultCode}: ${r.fault.faultString}`);
    return r.result as T;
  }

  async login(user: string, password: string): Promise<void> {
    const s = await this.call<{ 'session-id': number; 'session-key': string }>('login', [user, password], {
      opts: null,
    });
    this.session = { 'session-id': s['session-id'], 'session-key': s['session-key'], callnum: 0 };
  }
}

export async function postXml(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/xml', ...headers }, body });
  const text = await res.text();
  const reply: XmlRpcReply = { status: res.status, headers: res.headers, body: text };
  if (res.status === 200 && text.startsWith('<?xml')) {
    const m = parseXmlRpc(text);
    if (m.kind === 'fault') reply.fault = { faultCode: m.faultCode, faultString: m.faultString };
    else if (m.kind === 'response') reply.result = m.value;
  }
  return reply;
}
