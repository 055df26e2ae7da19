import type { AuthUser } from '../rpc/context.js';
import type { TaskDoc } from '../modules/tasks/tasks.projection.js';
import { fmtTs, taskLabel, taskState } from './format.js';
import { html, type Html } from './html.js';
import type { WebUrls } from './web-context.js';

/** The front page: who you are, where to go, the newest tasks. */
export function indexBody(u: WebUrls, viewer: AuthUser | null, recent: TaskDoc[]): Html {
  return html`<p id="viewer">
      ${
        viewer
          ? html`Logged in as <b>${viewer.name}</b>.`
          : html`Not logged in. <a href="${u.web}/login">Log in</a>`
      }
    </p>
    <ul>
      <li><a href="${u.web}/sidetags">Sidetags</a></li>
      <li>
        <form method="get" action="${u.web}/taskinfo">
          task <input name="taskID" size="8" inputmode="numeric" /> <button type="submit">show</button>
        </form>
      </li>
      <li>
        <form method="get" action="${u.web}/buildrootinfo">
          buildroot <input name="buildrootID" size="8" inputmode="numeric" />
          <button type="submit">show</button>
        </form>
      </li>
      <li>
        <form method="get" action="${u.web}/repoinfo">
          repo <input name="repoID" size="8" inputmode="numeric" /> <button type="submit">show</button>
        </form>
      </li>
    </ul>
    <h2>Recent tasks</h2>
    ${
      recent.length
        ? html`<table>
            <tr>
              <th>id</th>
              <th>task</th>
              <th>state</th>
              <th>owner</th>
              <th>created</th>
            </tr>
            ${recent.map(
              (t) =>
                html`<tr>
                  <td><a href="${u.web}/taskinfo?taskID=${t.id}">${t.id}</a></td>
                  <td>${taskLabel(t)}</td>
                  <td>${taskState(t.state)}</td>
                  <td>${t.owner_name}</td>
                  <td>${fmtTs(t.create_ts)}</td>
                </tr>`,
            )}
          </table>`
        : html`<p>No tasks yet.</p>`
    }`;
}
