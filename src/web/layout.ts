import { createHash } from 'node:crypto';
import type { Response } from 'express';
import type { AuthUser } from '../rpc/context.js';
import { html, trusted, type Html } from './html.js';
import type { WebUrls } from './web-context.js';

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#234;color:#fff;padding:.5em 1em;display:flex;gap:1.5em;align-items:center}
header a{color:#fff}header .who{margin-left:auto}header form{display:inline;margin:0}
main{padding:1em 1.5em;max-width:80em}
table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#eef}
pre{background:#fff;border:1px solid #ccc;padding:.5em;overflow:auto;white-space:pre-wrap;max-height:40em}
.hash{font-family:monospace;font-size:.9em;word-break:break-all}
.denied,.error{color:#a00}.expired{color:#777}
form.login label{display:block;margin:.5em 0}
`;

/** The one inline script: appends a running task's new log bytes, read from a JSON endpoint. */
export const LIVE_LOG_SCRIPT = `
(function () {
  var pre = document.getElementById('live-log');
  var status = document.getElementById('live-log-status');
  var state = document.getElementById('task-state');
  if (!pre) return;
  var src = pre.getAttribute('data-src');
  var offset = Number(pre.getAttribute('data-offset')) || 0;
  var every = Number(pre.getAttribute('data-every')) || 1000;
  function say(text) { if (status) status.textContent = text; }
  function show(s) { if (state && s) state.textContent = s; }
  function tick() {
    fetch(src + '&offset=' + offset, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) return r.json().then(function (e) { throw new Error(e.error || ('HTTP ' + r.status)); });
        return r.json();
      })
      .then(function (d) {
        if (d.reset) pre.textContent = '';
        if (d.text) pre.appendChild(document.createTextNode(d.text));
        offset = d.offset;
        show(d.state);
        if (d.done) { say('task ' + d.state + '; the log is complete'); return; }
        say('task ' + d.state + '; following the log');
        setTimeout(tick, d.text ? 0 : every);
      })
      .catch(function (e) { say('live log paused: ' + e.message); setTimeout(tick, every * 5); });
  }
  tick();
})();
`;

const digest = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/**
 * Nothing runs or loads but this module's own style and script (by hash), fetches go only to this
 * hub, forms post only here, and no other site may frame a page.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${digest(LIVE_LOG_SCRIPT)}`,
  `style-src ${digest(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

// Built as strings, not in an html template, so no formatter can touch the hashed contents.
const STYLE_ELEMENT = trusted('<style>' + STYLE + '</style>');
const SCRIPT_ELEMENT = trusted('<script>' + LIVE_LOG_SCRIPT + '</script>');

export interface PageOptions {
  title: string;
  viewer: AuthUser | null;
  urls: WebUrls;
  body: Html;
  /** This page's local path, for the login link's `next=`. */
  here: string;
  liveLog?: boolean;
}

/** The login link comes back to this page, except from the login page itself. */
function loginLink(web: string, here: string): string {
  const path = new URL(here, 'http://local.invalid').pathname;
  return path.endsWith('/login') ? `${web}/login` : `${web}/login?next=${encodeURIComponent(here)}`;
}

export function layout(o: PageOptions): Html {
  const w = o.urls.web;
  const who = o.viewer
    ? html`<span class="who"
        >logged in as <b>${o.viewer.name}</b>
        <form method="post" action="${w}/logout"><button type="submit">log out</button></form></span
      >`
    : html`<span class="who"><a href="${loginLink(w, o.here)}">log in</a></span>`;
  return html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${o.title} | koji-es</title>
      ${STYLE_ELEMENT}
    </head>
    <body>
      <header>
        <a href="${w}/"><b>koji-es</b></a
        ><a href="${w}/sidetags">sidetags</a>${who}
      </header>
      <main>
        <h1>${o.title}</h1>
        ${o.body}
      </main>
      ${o.liveLog ? SCRIPT_ELEMENT : ''}
    </body>
  </html> `;
}

/** Headers every page carries; pages show who is logged in, so no cache keeps them. */
export function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

export function sendPage(res: Response, status: number, page: Html): void {
  securityHeaders(res);
  res.status(status).setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!DOCTYPE html>\n${page.text}`);
}

export function sendJson(res: Response, status: number, body: unknown): void {
  securityHeaders(res);
  res.status(status).setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** An error page (404 unknown thing, 400 bad parameter, 403 refused…) in the site's frame. */
export function errorPage(
  status: number,
  message: string,
  o: Omit<PageOptions, 'body' | 'title'> & { title?: string },
): Html {
  return layout({
    ...o,
    title: o.title ?? (status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Error'),
    body: html`<p class="error">${message}</p>`,
  });
}
