import type { RepoDoc } from '../modules/tags/tags.projection.js';
import { fmtTs, pretty, repoState } from './format.js';
import { html, type Html } from './html.js';
import type { WebUrls } from './web-context.js';

/**
 * A repo (the URL wait-repo prints): its tag, state, event, task and the builds it holds. A repo
 * outlives its tag (a removed sidetag's), whose name is then shown without a link to a page that
 * would be 404.
 */
export function repoBody(u: WebUrls, r: RepoDoc, tagExists: boolean): Html {
  const row = (k: string, v: Html | string | number | null) =>
    html`<tr>
      <th>${k}</th>
      <td>${v}</td>
    </tr>`;
  const builds = [...r.builds].sort((a, b) => (a.nvr < b.nvr ? -1 : a.nvr > b.nvr ? 1 : 0));
  return html`<table id="repo">
      ${row('id', r.id)}
      ${row(
        'tag',
        tagExists
          ? html`<a href="${u.web}/taginfo?tagID=${r.tag_id}">${r.tag_name}</a> (${r.tag_id})`
          : html`${r.tag_name} (${r.tag_id}, removed)`,
      )}
      ${row('state', repoState(r.state))} ${row('create_event', r.create_event)}
      ${row('created', fmtTs(r.create_ts))}
      ${row('task', r.task_id === null ? '' : html`<a href="${u.web}/taskinfo?taskID=${r.task_id}">${r.task_id}</a>`)}
      ${row('dist', r.dist ? 'yes' : 'no')}
      ${row('options', Object.keys(r.opts ?? {}).length ? html`<code>${pretty(r.opts)}</code>` : '')}
    </table>
    <h2>Builds (${builds.length})</h2>
    ${
      builds.length
        ? html`<ul id="builds">
            ${builds.map((b) => html`<li>${b.nvr}</li>`)}
          </ul>`
        : html`<p>No builds.</p>`
    }`;
}
