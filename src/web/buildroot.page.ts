import type { BuildrootDoc } from '../modules/tasks/tasks.projection.js';
import { downloadCell, type TreeRow } from './download.js';
import { buildrootState, fmtIso, fmtSize, fmtTs } from './format.js';
import { html, type Html } from './html.js';
import type { WebUrls } from './web-context.js';

/** A buildroot: where and for what it ran, its state, and how long its directory is kept. */
export function buildrootBody(u: WebUrls, b: BuildrootDoc, trees: TreeRow[]): Html {
  const row = (k: string, v: Html | string | number | null) =>
    html`<tr>
      <th>${k}</th>
      <td>${v}</td>
    </tr>`;
  const retention = b.removed_at
    ? html`removed ${fmtIso(b.removed_at)}${b.removed_reason ? ` (${b.removed_reason})` : ''}`
    : b.keep_until
      ? html`kept until ${fmtIso(b.keep_until)}`
      : html``;
  return html`<table id="buildroot">
      ${row('id', b.id)} ${row('host', b.host_name)}
      ${row('task', b.task_id === null ? '' : html`<a href="${u.web}/taskinfo?taskID=${b.task_id}">${b.task_id}</a>`)}
      ${row('tag', b.tag_name)} ${row('arch', b.arch)}
      ${row('repo', b.repo_id === null ? '' : html`<a href="${u.web}/repoinfo?repoID=${b.repo_id}">${b.repo_id}</a>`)}
      ${row('state', buildrootState(b.state))} ${row('created', fmtTs(b.create_ts))}
      ${row('retired', fmtTs(b.retire_ts))} ${row('path', b.path)} ${row('keep_until', fmtIso(b.keep_until))}
      ${row('removed_at', fmtIso(b.removed_at))} ${row('retention', retention)}
    </table>
    ${
      trees.length
        ? html`<h2>Saved trees</h2>
            <ul>
              ${trees.map(
                ({ tree: t, download }) =>
                  html`<li>
                    <a href="${u.web}/taskinfo?taskID=${t.task_id}">task ${t.task_id}</a>: ${t.file},
                    ${fmtSize(t.size)} ${downloadCell(download)}
                  </li>`,
              )}
            </ul>`
        : ''
    }`;
}
