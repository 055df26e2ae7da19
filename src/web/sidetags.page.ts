import { removalDue, type CleanupOptions } from '../modules/sidetag/sidetag.cleanup.js';
import type { SidetagDoc } from '../modules/sidetag/sidetag.projection.js';
import { fmtIso, fmtTs } from './format.js';
import { html, type Html } from './html.js';
import type { WebUrls } from './web-context.js';

export interface SidetagsFilter {
  user: string | null;
  basetag: string | null;
}

/** The active sidetags, as list-sidetags --verbose (and their labels), with its filters as a form. */
export function sidetagsBody(
  u: WebUrls,
  f: SidetagsFilter,
  rows: SidetagDoc[],
  problem: string | null,
  /** The hub's own cleanup, for the removal column; null when it does not run. */
  schedule: CleanupOptions | null = null,
): Html {
  const form = html`<form method="get" action="${u.web}/sidetags">
    <label>owner <input name="user" value="${f.user ?? ''}" /></label>
    <label>base tag <input name="basetag" value="${f.basetag ?? ''}" /></label>
    <button type="submit">filter</button>
  </form>`;
  if (problem)
    return html`${form}
      <p class="error">${problem}</p>`;
  if (!rows.length)
    return html`${form}
      <p>No sidetags.</p>`;
  return html`${form}
    <table id="sidetags">
      <tr>
        <th>name</th>
        <th>label</th>
        <th>owner</th>
        <th>base tag</th>
        <th>builds</th>
        <th>created</th>
        <th>expires</th>
        <th>hold</th>
        <th>removal due</th>
      </tr>
      ${rows.map(
        (s) =>
          html`<tr>
            <td><a href="${u.web}/taginfo?tagID=${s.id}">${s.name}</a> (${s.id})</td>
            <td>${s.label ?? ''}</td>
            <td>
              <a href="${u.web}/sidetags?user=${encodeURIComponent(s.user_name ?? '')}"
                >${s.user_name ?? ''}</a
              >
            </td>
            <td>
              ${s.basetag_name ? html`<a href="${u.web}/sidetags?basetag=${encodeURIComponent(s.basetag_name)}">${s.basetag_name}</a>` : ''}
            </td>
            <td>${s.builds}</td>
            <td>${fmtTs(s.create_ts)}</td>
            <td>${fmtTs(s.expires_ts)}</td>
            <td>${s.hold ? `${s.hold.reason} (${s.hold.by}, ${fmtIso(s.hold.time)})` : ''}</td>
            <td>
              ${((d) => (d ? `${fmtTs(d.ts)} (${d.stage})` : ''))(schedule ? removalDue(s, schedule) : null)}
            </td>
          </tr>`,
      )}
    </table>`;
}
