import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { HUB_CONFIG } from '../app.tokens.js';
import type { HubConfig } from '../config/hub-config.js';
import { cookie } from '../modules/tasks/files.controller.js';
import { CallContextService } from '../rpc/call-context.service.js';
import type { CallContext } from '../rpc/context.js';

export const SESSION_COOKIE = 'koji_es_session';

/** Where links point: `[server] weburl` and `topurl`, else this hub's own `/koji` and `/files`. */
export interface WebUrls {
  web: string;
  top: string;
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

/** Who is looking at a page, and the URLs the page links to. */
@Injectable()
export class WebContext {
  readonly urls: WebUrls;

  constructor(
    private readonly contexts: CallContextService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {
    // Path-only defaults are `<origin>/koji` as the browser sees the origin, whatever Host says.
    this.urls = {
      web: trimSlash(config.weburl ?? '/koji'),
      top: trimSlash(config.topurl ?? '/files'),
    };
  }

  /**
   * The request's credentials — the session cookie, the session headers or a Bearer token, as on
   * /files. Refused credentials (an expired session, one locked out by an exclusive session) make an
   * anonymous viewer, so a page never shows more than the API would.
   */
  async viewer(req: Request): Promise<CallContext> {
    const ctx = await this.contexts.forRequest(req, 'web', { cookieSession: cookie(req, SESSION_COOKIE) });
    if (!ctx.authProblem) return ctx;
    const { authProblem: _, ...rest } = ctx;
    return { ...rest, user: null, sessionId: null, tokenId: null, authtype: null };
  }

  /** A context with no credentials at all: login must not see an old session. */
  async anonymous(req: Request): Promise<CallContext> {
    const ctx = await this.contexts.forRequest(req, 'web');
    const { authProblem: _, ...rest } = ctx;
    return { ...rest, user: null, sessionId: null, tokenId: null, authtype: null };
  }

  /** The origins this hub answers as: the one the request reached, and the configured weburl's. */
  private origins(req: Request): Set<string> {
    const out = new Set<string>();
    if (req.headers.host) out.add(`${req.protocol}://${req.headers.host}`.toLowerCase());
    if (this.config.weburl) {
      try {
        out.add(new URL(this.config.weburl).origin.toLowerCase());
      } catch {
        // A path-only weburl adds no origin.
      }
    }
    return out;
  }

  /**
   * CSRF guard for POSTs, beside SameSite=Strict: the Origin header (else the Referer) must be this
   * hub. A request carrying neither is refused: every browser sends Origin with a form POST.
   */
  sameOrigin(req: Request): boolean {
    const allowed = this.origins(req);
    const origin = req.headers.origin;
    if (typeof origin === 'string' && origin !== '') return allowed.has(origin.toLowerCase());
    const referer = req.headers.referer;
    if (typeof referer !== 'string' || referer === '') return false;
    try {
      return allowed.has(new URL(referer).origin.toLowerCase());
    } catch {
      return false;
    }
  }

  /** Secure when the browser reached us over https: directly, or through a proxy weburl names. */
  secure(req: Request): boolean {
    return req.secure || /^https:/i.test(this.config.weburl ?? '');
  }

  get sessionLifetimeSec(): number {
    return this.config.hub.sessionLifetimeSec;
  }
}

/** `next=` is followed only to a path on this hub: never `//evil`, `/\evil`, or a scheme. */
export function localPath(next: string | null | undefined): string | null {
  if (!next || next.length > 2048) return null;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  for (const ch of next) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f || ch === '\\') return null;
  }
  const base = 'http://local.invalid';
  let u: URL;
  try {
    u = new URL(next, base);
  } catch {
    return null;
  }
  if (u.origin !== base) return null;
  return `${u.pathname}${u.search}${u.hash}`;
}

/** One query parameter as text (the last one wins when repeated). */
export function queryParam(req: Request, name: string): string | null {
  const params = new URL(req.originalUrl, 'http://local.invalid').searchParams.getAll(name);
  return params.length ? params[params.length - 1] : null;
}

/** A positive integer id from the query, or null. */
export function queryId(req: Request, name: string): number | null {
  const v = queryParam(req, name);
  if (v === null || !/^\s*\d{1,15}\s*$/.test(v)) return null;
  const n = Number(v);
  return n > 0 ? n : null;
}
