import { Controller, Get, Logger, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isKojiError } from '../kernel/errors.js';
import { BodyTooLarge } from '../rpc/body.js';
import type { CallContext } from '../rpc/context.js';
import { MethodRegistry } from '../rpc/registry.js';
import { FORM_LIMIT, readForm, UnsupportedForm } from './form.js';
import { errorPage, layout, sendPage } from './layout.js';
import { loginBody, type LoginForm } from './login.page.js';
import { localPath, queryParam, SESSION_COOKIE, WebContext } from './web-context.js';

interface SessionInfo {
  'session-id': number;
  'session-key': string;
}

/**
 * /koji/login and /koji/logout. Logging in calls the API's own `login` (the password check, the
 * throttle and the blocked-user rule are the API's), and the session it starts becomes the cookie.
 */
@Controller('koji')
export class LoginController {
  private readonly log = new Logger('web');

  constructor(
    private readonly web: WebContext,
    private readonly registry: MethodRegistry,
  ) {}

  @Get('login')
  async form(@Req() req: Request, @Res() res: Response): Promise<void> {
    const viewer = await this.web.viewer(req);
    this.render(res, 200, {
      user: '',
      next: localPath(queryParam(req, 'next')),
      error: null,
      viewer: viewer.user,
    });
  }

  @Post('login')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.web.sameOrigin(req)) return this.crossSite(req, res);
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (e) {
      return this.badForm(req, res, e);
    }
    const user = form.get('user') ?? '';
    const next = localPath(form.get('next') ?? queryParam(req, 'next'));
    const password = form.get('password') ?? '';
    const previous = await this.web.viewer(req);
    const again = (status: number, error: string) =>
      this.render(res, status, { user, next, error, viewer: previous.user });
    if (!user || !password) return again(400, 'Enter a user name and a password.');
    let session: SessionInfo;
    try {
      session = (await this.registry.call(
        'login',
        [user, password],
        {},
        await this.web.anonymous(req),
      )) as SessionInfo;
    } catch (e) {
      if (isKojiError(e)) return again(e.isA('AuthError') ? 401 : 400, e.message);
      this.log.error(`login from ${req.socket.remoteAddress}: ${(e as Error).stack ?? String(e)}`);
      return again(500, 'The hub could not log you in; its log has the details.');
    }
    // The browser's previous session is replaced, not left running until it expires.
    if (previous.user && previous.sessionId !== null) await this.endSession(previous);
    const value = `${session['session-id']}:${session['session-key']}`;
    res.setHeader('Set-Cookie', this.cookie(req, value, this.web.sessionLifetimeSec));
    res.redirect(303, next ?? `${this.web.urls.web}/`);
  }

  @Post('logout')
  async logout(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!this.web.sameOrigin(req)) return this.crossSite(req, res);
    req.resume();
    const ctx = await this.web.viewer(req);
    if (ctx.user && ctx.sessionId !== null) await this.endSession(ctx);
    res.setHeader('Set-Cookie', this.cookie(req, '', 0));
    res.redirect(303, `${this.web.urls.web}/`);
  }

  private async endSession(ctx: CallContext): Promise<void> {
    try {
      await this.registry.call('logout', [], {}, ctx);
    } catch (e) {
      this.log.warn(`ending web session ${ctx.sessionId}: ${(e as Error).message}`);
    }
  }

  private cookie(req: Request, value: string, maxAge: number): string {
    const secure = this.web.secure(req) ? '; Secure' : '';
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
  }

  private render(res: Response, status: number, f: LoginForm): void {
    const here = f.next ? `/koji/login?next=${encodeURIComponent(f.next)}` : '/koji/login';
    sendPage(
      res,
      status,
      layout({
        title: 'Log in',
        viewer: f.viewer,
        urls: this.web.urls,
        here,
        body: loginBody(this.web.urls, f),
      }),
    );
  }

  private async crossSite(req: Request, res: Response): Promise<void> {
    req.resume();
    const viewer = (await this.web.viewer(req)).user;
    sendPage(
      res,
      403,
      errorPage(
        403,
        'Refused: this form was not sent from a page of this hub (its Origin or Referer names another site, or none).',
        { viewer, urls: this.web.urls, here: req.originalUrl },
      ),
    );
  }

  private async badForm(req: Request, res: Response, e: unknown): Promise<void> {
    const status = e instanceof BodyTooLarge ? 413 : e instanceof UnsupportedForm ? 415 : 400;
    const message =
      e instanceof BodyTooLarge
        ? `A login form is not larger than ${FORM_LIMIT} bytes.`
        : e instanceof UnsupportedForm
          ? e.message
          : `The form could not be read: ${(e as Error).message}`;
    const viewer = (await this.web.viewer(req)).user;
    sendPage(res, status, errorPage(status, message, { viewer, urls: this.web.urls, here: req.originalUrl }));
  }
}
