import { All, Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HUB_CONFIG } from '../app.tokens.js';
import type { HubConfig } from '../config/hub-config.js';
import { InvalidParams } from './binding.js';
import { BodyTooLarge, readBody } from './body.js';
import { CallContextService } from './call-context.service.js';
import type { CallContext } from './context.js';
import { toFault } from './faults.js';
import { MethodRegistry, UnknownMethod } from './registry.js';

type Id = string | number | null;

interface RpcError {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

const protocolError = (code: number, message: string): RpcError => ({ code, message });

/** Koji's own convention, reused on JSON-RPC: a trailing `{…, "__starstar": true}` carries keyword arguments. */
export function splitArgs(params: unknown): { positional: unknown[]; kwargs: Record<string, unknown> } {
  if (params === undefined) return { positional: [], kwargs: {} };
  if (Array.isArray(params)) {
    const last = params[params.length - 1] as Record<string, unknown> | undefined;
    if (last && typeof last === 'object' && !Array.isArray(last) && last.__starstar === true) {
      const { __starstar: _, ...kwargs } = last;
      return { positional: params.slice(0, -1), kwargs };
    }
    return { positional: params, kwargs: {} };
  }
  return { positional: [], kwargs: params as Record<string, unknown> };
}

/**
 * JSON-RPC 2.0 at POST /rpc: single calls, batches sharing the request's credentials, notifications,
 * params by position or by name. error.code is the Koji fault code, or the JSON-RPC code where the
 * protocol defines one; error.data = {name, faultCode, faultString}.
 */
@Controller()
export class JsonRpcController {
  private readonly log = new Logger('rpc');

  constructor(
    private readonly registry: MethodRegistry,
    private readonly contexts: CallContextService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Post('rpc')
  @HttpCode(200)
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(req, this.config.hub.maxRequestLength);
    } catch (e) {
      const message =
        e instanceof BodyTooLarge ? e.message : `cannot read the request body: ${(e as Error).message}`;
      res
        .status(e instanceof BodyTooLarge ? 413 : 400)
        .json({ jsonrpc: '2.0', id: null, error: protocolError(-32600, message) });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      res.json({
        jsonrpc: '2.0',
        id: null,
        error: protocolError(-32700, `parse error: ${(e as Error).message}`),
      });
      return;
    }
    let ctx: CallContext | null = null;
    let authFailure: unknown = null;
    try {
      ctx = await this.contexts.forRequest(req, 'rpc');
    } catch (e) {
      authFailure = e;
    }
    const one = (call: unknown) => this.callOne(call, ctx, authFailure);
    if (Array.isArray(body)) {
      if (body.length === 0) {
        res.json({ jsonrpc: '2.0', id: null, error: protocolError(-32600, 'invalid request: empty batch') });
        return;
      }
      const replies: unknown[] = [];
      for (const call of body) {
        const r = await one(call);
        if (r) replies.push(r);
      }
      this.warn(res, ctx);
      if (replies.length) res.json(replies);
      else res.status(204).end();
      return;
    }
    const reply = await one(body);
    this.warn(res, ctx);
    if (reply) res.json(reply);
    else res.status(204).end();
  }

  private warn(res: Response, ctx: CallContext | null) {
    if (ctx?.warnings.length)
      res.setHeader('Koji-ES-Warning', ctx.warnings.join('; ').replace(/[\r\n]+/g, ' '));
  }

  private async callOne(
    call: unknown,
    ctx: CallContext | null,
    authFailure: unknown,
  ): Promise<object | null> {
    if (!call || typeof call !== 'object' || Array.isArray(call))
      return {
        jsonrpc: '2.0',
        id: null,
        error: protocolError(-32600, 'invalid request: a call must be an object'),
      };
    const c = call as Record<string, unknown>;
    const hasId = Object.prototype.hasOwnProperty.call(c, 'id');
    const id = (hasId ? c.id : null) as Id;
    if (hasId && id !== null && typeof id !== 'string' && typeof id !== 'number')
      return {
        jsonrpc: '2.0',
        id: null,
        error: protocolError(-32600, 'invalid request: id must be a string, a number or null'),
      };
    if (c.jsonrpc !== '2.0')
      return { jsonrpc: '2.0', id, error: protocolError(-32600, 'invalid request: "jsonrpc" must be "2.0"') };
    if (typeof c.method !== 'string')
      return {
        jsonrpc: '2.0',
        id,
        error: protocolError(-32600, 'invalid request: "method" must be a string'),
      };
    if (c.params !== undefined && (typeof c.params !== 'object' || c.params === null))
      return {
        jsonrpc: '2.0',
        id,
        error: protocolError(-32600, 'invalid request: "params" must be an array or an object'),
      };
    const reply = (body: object) => (hasId ? { jsonrpc: '2.0', id, ...body } : null);
    try {
      if (authFailure) throw authFailure;
      const { positional, kwargs } = splitArgs(c.params);
      const result = await this.registry.call(c.method, positional, kwargs, ctx!);
      return reply({ result: result === undefined ? null : result });
    } catch (e) {
      return reply({ error: this.toRpcError(e, ctx?.requestId ?? 'unknown', c.method) });
    }
  }

  private toRpcError(e: unknown, requestId: string, method: string): RpcError {
    const f = toFault(e, requestId);
    if (f.internal) {
      this.log.error(`${method} (request ${requestId}) failed: ${(e as Error)?.stack ?? String(e)}`);
      return {
        code: -32603,
        message: f.faultString,
        data: { name: f.name, faultCode: f.faultCode, faultString: f.faultString },
      };
    }
    const code = e instanceof UnknownMethod ? -32601 : e instanceof InvalidParams ? -32602 : f.faultCode;
    return {
      code,
      message: f.faultString,
      data: { name: f.name, faultCode: f.faultCode, faultString: f.faultString, ...f.data },
    };
  }

  /**
   * JSON-RPC is POST only: any other method gets 405 saying so, not the web's 404 page. Declared after
   * the POST route, which Express would otherwise never reach.
   */
  @All('rpc')
  notPost(@Res() res: Response): void {
    res
      .status(405)
      .setHeader('Allow', 'POST')
      .type('application/json')
      .send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: 'JSON-RPC 2.0 requests are POSTed to /rpc' },
        }),
      );
  }
}
