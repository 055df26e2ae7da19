import type { TreeDoc } from '../modules/failed-tree/failed-tree.projection.js';
import { fmtIso } from './format.js';
import { html, type Html } from './html.js';

/** A file's download as a page shows it: a link, or why there is none. */
export interface Download {
  href: string | null;
  denied: string | null;
  /** The login link to offer with a denial, when nobody is logged in. */
  login: string | null;
  expired: { reason: string; time: string } | null;
  /** A recorded tree whose file is gone without an expiry (deleted by hand). */
  missing: boolean;
}

/** A saved tree with its download for this viewer (the failed task's and the buildroot's pages). */
export interface TreeRow {
  tree: TreeDoc;
  download: Download;
}

/** The link, the refusal (with a log-in link for anonymous visitors), or why the file is gone. */
export function downloadCell(d: Download): Html {
  if (d.expired)
    return html`<span class="expired">expired (${d.expired.reason}, ${fmtIso(d.expired.time)})</span>`;
  if (d.missing) return html`<span class="expired">no longer on the hub</span>`;
  if (d.denied)
    return html`<span class="denied">not allowed: ${d.denied}</span
      >${d.login ? html` <a href="${d.login}">log in</a>` : ''}`;
  if (d.href) return html`<a href="${d.href}" download>download</a>`;
  return html``;
}
