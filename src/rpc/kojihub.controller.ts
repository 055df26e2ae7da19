import { All, Controller, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HUB_CONFIG } from '../app.tokens.js';
import type { HubConfig } from '../config/hub-config.js';
import { authError, genericError, KojiError } from '../kernel/errors.js';
import { KOJI_VERSION } from '../version.js';
import { bindArgs, InvalidParams } from './binding.js';
import { BodyTooLarge, readBody } from './body.js';
import { CallContextService } from './call-context.service.js';
import type { CallContext } from './context.js';
import type { CredentialInput } from './credentials.js';
import { toFault } from './faults.js';
import { anonymous, method } from './method.js';
import { MethodRegistry, UnknownMethod } from './registry.js';
import { SessionCallnums, type CallTicket } from './session-callnum.js';
import { parseMethodCall, XmlSyntaxError } from './xmlrpc/parser.js';
import {
  arrayOf,
  responseOf,
  serializeFault,
  serializeValue,
  XmlRpcEncodeError,
} from './xmlrpc/serializer.js';
import { decodeArgs, isStruct, toMethodArg, type XmlRpcValue } from './xmlrpc/values.js';

const MULTICALL_NAMES = new Set(['multiCall', 'system.multicall']);

class MultiCallParams {}
/**
 * multiCall belongs to Koji's request handler, not to its registry, so it is not listed by
 * `_listapi`; this declaration only lends it Python's argument-binding errors.
 */
const multiCallDecl = method({
  name: 'multiCall',
  summary: 'Run several calls in one request',
  access: anonymous,
  args: ['calls'],
  params: MultiCallParams,
  result: { type: 'array' },
});

/** Why a body was not even a call: a fault like any other, so the koji client can show it. */
class BadRequestBody extends KojiError {
  constructor(message: string) {
    super('GenericError', message);
  }
}

/**
 * Koji's XML-RPC door (spec/koji-xmlrpc.md): the same MethodRegistry as /rpc, with Koji's wire
 * rules — every application error is a fault in an HTTP 200 reply (the koji client retries
 * logged-in calls on any other status), keyword arguments in a trailing `__starstar` struct,
 * multiCall, session headers with callnum, and the `Koji-Version` header the client reads.
 */
@Controller('kojihub')
export class KojiHubController {
  private readonly log = new Logger('kojihub');

  constructor(
    private readonly registry: MethodRegistry,
    private readonly contexts: CallContextService,
    private readonly callnums: SessionCallnums,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Post()
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    const body = await this.body(req, res);
    if (body === null) return;
    if (String(req.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
      this.reply(res, this.faultXml(genericError('raw uploads are not supported by koji-es yet'), 'upload'));
      return;
    }
    let call: { methodName: string; params: XmlRpcValue[] };
    try {
      call = parseMethodCall(body, { maxBytes: this.config.hub.maxRequestLength });
    } catch (e) {
      if (!(e instanceof XmlSyntaxError)) throw e;
      this.reply(res, this.faultXml(new BadRequestBody(`malformed XML-RPC request: ${e.message}`), 'parse'));
      return;
    }
    const { xml, ctx } = await this.dispatch(req, call.methodName, call.params);
    if (ctx?.warnings.length)
      res.setHeader('Koji-ES-Warning', ctx.warnings.join('; ').replace(/[\r\n]+/g, ' '));
    this.reply(res, xml);
  }

  /** `koji.ClientSession.ssl_login` posts here; certificate login is a later piece of work. */
  @Post('ssllogin')
  async sslLogin(@Req() req: Request, @Res() res: Response): Promise<void> {
    if ((await this.body(req, res)) === null) return;
    this.reply(
      res,
      this.faultXml(
        authError(
          'certificate login (sslLogin) is not supported by koji-es yet; log in with a user name and password (koji --authtype password --user USER --password PW)',
        ),
        'sslLogin',
      ),
    );
  }

  /** As the real hub: XML-RPC is POST only. */
  @All()
  notPost(@Res() res: Response): void {
    this.refuseMethod(res);
  }

  @All('ssllogin')
  sslNotPost(@Res() res: Response): void {
    this.refuseMethod(res);
  }

  private refuseMethod(res: Response) {
    res
      .status(405)
      .setHeader('Allow', 'POST')
      .setHeader('Koji-Version', KOJI_VERSION)
      .type('text/plain')
      .send('Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.\n');
  }

  /** The body, or null once a reply was sent (over the size limit: a fault, as Koji). */
  private async body(req: Request, res: Response): Promise<Buffer | null> {
    try {
      return await readBody(req, this.config.hub.maxRequestLength);
    } catch (e) {
      if (e instanceof BodyTooLarge) this.reply(res, this.faultXml(new BadRequestBody(e.message), 'read'));
      else
        res
          .status(400)
          .type('text/plain')
          .send(`cannot read the request body: ${(e as Error).message}\n`);
      return null;
    }
  }

  private reply(res: Response, xml: string) {
    const bytes = Buffer.from(xml, 'utf8');
    res.status(200);
    res.setHeader('Content-Type', 'text/xml');
    res.setHeader('Content-Length', String(bytes.length));
    res.setHeader('Koji-Version', KOJI_VERSION);
    res.end(bytes);
  }

  private async dispatch(
    req: Request,
    methodName: string,
    params: XmlRpcValue[],
  ): Promise<{ xml: string; ctx: CallContext | null }> {
    const multi = MULTICALL_NAMES.has(methodName);
    // Koji looks the method up before it looks at the session: an unknown name is answered as such.
    if (!multi && !this.registry.has(methodName))
      return { xml: this.faultXml(new UnknownMethod(methodName), methodName), ctx: null };
    let ctx: CallContext;
    try {
      ctx = await this.contexts.forRequest(req, 'kojihub', legacyCredentials(req));
    } catch (e) {
      return { xml: this.faultXml(e, methodName), ctx: null };
    }
    let ticket: CallTicket | null = null;
    try {
      ticket = await this.checkCallnum(req, ctx, methodName);
      const xml = multi
        ? await this.multiCall(params, ctx)
        : responseOf(serializeValue(await this.callOne(methodName, params, ctx)));
      if (methodName === 'logout' && ctx.sessionId !== null && endsOwnSession(params))
        this.callnums.forget(ctx.sessionId);
      return { xml, ctx };
    } catch (e) {
      return { xml: this.faultXml(e, methodName, ctx), ctx };
    } finally {
      await this.callnums
        .end(ticket)
        .catch((e: unknown) => this.log.warn(`callnum bookkeeping: ${String(e)}`));
    }
  }

  /** Checked once per request, for a session whose id and key matched; a multicall shares it. */
  private async checkCallnum(req: Request, ctx: CallContext, methodName: string): Promise<CallTicket | null> {
    if (ctx.sessionId === null) return null;
    const creds = { ...sessionHeaders(req), ...legacyCredentials(req) };
    if (!creds.sessionKey) return null;
    return this.callnums.begin(ctx.sessionId, creds.sessionKey, creds.callnum, methodName, ctx.requestId);
  }

  private async callOne(name: string, params: XmlRpcValue[], ctx: CallContext): Promise<unknown> {
    const { positional, kwargs } = decodeArgs(params);
    return this.registry.call(
      name,
      positional.map(toMethodArg),
      toMethodArg(kwargs) as Record<string, unknown>,
      ctx,
    );
  }

  /**
   * Koji's multiCall: each call succeeds (`[result]`) or faults (`{faultCode, faultString}`) on its
   * own, in order, with the request's session; a failed call changes nothing (each command is one
   * atomic append) and the calls after it still run. Each entry is serialized on its own, so a
   * result XML cannot carry faults alone.
   */
  private async multiCall(params: XmlRpcValue[], ctx: CallContext): Promise<string> {
    // Koji validates the session for the multicall as a whole, before binding its argument.
    if (ctx.authProblem) throw ctx.authProblem;
    const { positional, kwargs } = decodeArgs(params);
    const { calls } = bindArgs(multiCallDecl, positional, kwargs);
    if (!Array.isArray(calls))
      throw new InvalidParams('calls', 'multiCall() calls must be an array of {methodName, params} structs');
    const entries: string[] = [];
    for (const [i, c] of (calls as XmlRpcValue[]).entries()) {
      const name = isStruct(c) && typeof c.methodName === 'string' ? c.methodName : `multiCall entry ${i}`;
      try {
        if (!isStruct(c) || typeof c.methodName !== 'string' || !Array.isArray(c.params))
          throw new InvalidParams(
            null,
            `multiCall entry ${i} must be a struct with methodName (a string) and params (an array)`,
          );
        if (MULTICALL_NAMES.has(c.methodName)) throw genericError('multiCall cannot be nested');
        const result = await this.callOne(c.methodName, c.params, ctx);
        entries.push(serializeValue([result === undefined ? null : result]));
      } catch (e) {
        const f = this.fault(e, name, ctx);
        entries.push(serializeValue({ faultCode: f.faultCode, faultString: f.faultString }));
      }
    }
    return responseOf(arrayOf(entries));
  }

  private fault(e: unknown, methodName: string, ctx?: CallContext) {
    const requestId = ctx?.requestId ?? 'unknown';
    const err =
      e instanceof XmlRpcEncodeError
        ? genericError(`the result of ${methodName} cannot be sent as XML-RPC: ${e.message}`)
        : e;
    const f = toFault(err, requestId);
    if (f.internal)
      this.log.error(`${methodName} (request ${requestId}) failed: ${(e as Error)?.stack ?? String(e)}`);
    return f;
  }

  private faultXml(e: unknown, methodName: string, ctx?: CallContext): string {
    const f = this.fault(e, methodName, ctx);
    return serializeFault(f.faultCode, f.faultString);
  }
}

/** `logout()` and `logout(session_id=None)` end the caller's own session. */
function endsOwnSession(params: XmlRpcValue[]): boolean {
  const { positional, kwargs } = decodeArgs(params);
  const target = positional.length ? positional[0] : kwargs.session_id;
  return target === null || target === undefined;
}

function sessionHeaders(req: Request): CredentialInput {
  const h = (n: string) => {
    const v = req.headers[n];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    sessionId: h('koji-session-id'),
    sessionKey: h('koji-session-key'),
    callnum: h('koji-session-callnum'),
  };
}

/**
 * Koji's old session handling: `?session-id=&session-key=&callnum=` on the URL, used by clients
 * whose login reply lacked `header-auth` (they send the headers as well). Headers win, as in Koji.
 */
function legacyCredentials(req: Request): CredentialInput {
  if (req.headers['koji-session-id'] !== undefined) return {};
  const q = new URL(req.originalUrl ?? req.url, 'http://hub').searchParams;
  const id = q.get('session-id');
  if (id === null) return {};
  return {
    sessionId: id,
    sessionKey: q.get('session-key') ?? undefined,
    callnum: q.get('callnum') ?? undefined,
  };
}
