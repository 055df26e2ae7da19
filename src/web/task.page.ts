import type { BuildrootDoc, TaskDoc } from '../modules/tasks/tasks.projection.js';
import { TASK_STATES } from '../modules/tasks/tasks.events.js';
import { downloadCell, type Download, type TreeRow } from './download.js';
import { buildrootState, fmtIso, fmtSize, fmtTs, pretty, taskLabel, taskState } from './format.js';
import { html, type Html } from './html.js';
import type { WebUrls } from './web-context.js';

/** One output file as the page lists it: a link, or why there is none. */
export interface OutputRow extends Download {
  name: string;
  volume: string;
  size: number | null;
  /** null: too big to hash for a page view. */
  sha256: string | null;
}

export interface LogView {
  src: string;
  text: string;
  offset: number;
  truncated: boolean;
  exists: boolean;
  live: boolean;
}

export interface TaskView {
  task: TaskDoc;
  parent: TaskDoc | null;
  children: TaskDoc[];
  buildroots: BuildrootDoc[];
  outputs: OutputRow[];
  /** Trees saved from this task's buildroots (for a failed task), each with its download. */
  trees: TreeRow[];
  log: LogView | null;
}

const taskLink = (u: WebUrls, t: { id: number }) =>
  html`<a href="${u.web}/taskinfo?taskID=${t.id}">${t.id}</a>`;

function result(t: TaskDoc): Html {
  if (t.state === TASK_STATES.FAILED) {
    const f = t.fault;
    return f
      ? html`<span class="error">${f.name}: ${f.faultString}</span>`
      : html`<span class="error">failed</span>`;
  }
  if (t.state === TASK_STATES.CLOSED) return html`<pre>${pretty(t.result)}</pre>`;
  if (t.state === TASK_STATES.CANCELED) return html`canceled`;
  return html`<i>not finished</i>`;
}

function outputs(rows: OutputRow[]): Html {
  if (!rows.length) return html`<p>No output files.</p>`;
  return html`<table id="output">
    <tr>
      <th>file</th>
      <th>volume</th>
      <th>size</th>
      <th>sha256</th>
      <th></th>
    </tr>
    ${rows.map(
      (o) =>
        html`<tr data-file="${o.name}">
          <td>${o.name}</td>
          <td>${o.volume}</td>
          <td>${o.size === null ? '' : fmtSize(o.size)}</td>
          <td class="hash">
            ${o.sha256 ?? (o.size === null ? '' : html`<i>not computed (256 MiB or more)</i>`)}
          </td>
          <td>${downloadCell(o)}</td>
        </tr>`,
    )}
  </table>`;
}

function buildroots(u: WebUrls, rows: BuildrootDoc[]): Html {
  if (!rows.length) return html``;
  return html`<h2>Buildroots</h2>
    <table>
      <tr>
        <th>id</th>
        <th>tag</th>
        <th>arch</th>
        <th>host</th>
        <th>state</th>
        <th>retention</th>
      </tr>
      ${rows.map(
        (b) =>
          html`<tr>
            <td><a href="${u.web}/buildrootinfo?buildrootID=${b.id}">${b.id}</a></td>
            <td>${b.tag_name ?? ''}</td>
            <td>${b.arch}</td>
            <td>${b.host_name}</td>
            <td>${buildrootState(b.state)}</td>
            <td>
              ${b.removed_at ? `removed ${fmtIso(b.removed_at)}` : b.keep_until ? `kept until ${fmtIso(b.keep_until)}` : ''}
            </td>
          </tr>`,
      )}
    </table>`;
}

function trees(u: WebUrls, rows: TreeRow[]): Html {
  if (!rows.length) return html``;
  return html`<h2>Saved trees</h2>
    <table>
      <tr>
        <th>buildroot</th>
        <th>saved by task</th>
        <th>file</th>
        <th>size</th>
        <th></th>
      </tr>
      ${rows.map(
        ({ tree: t, download }) =>
          html`<tr>
            <td><a href="${u.web}/buildrootinfo?buildrootID=${t.buildroot_id}">${t.buildroot_id}</a></td>
            <td>${taskLink(u, { id: t.task_id })}</td>
            <td>${t.file}</td>
            <td>${fmtSize(t.size)}</td>
            <td>${downloadCell(download)}</td>
          </tr>`,
      )}
    </table>`;
}

function log(l: LogView): Html {
  const note = l.truncated
    ? html`<p><i>Earlier output left out; download the file for all of it.</i></p>`
    : '';
  return html`<h2>runroot.log</h2>
    ${note}
    <pre id="live-log" data-src="${l.src}" data-offset="${l.offset}" data-every="1000">${l.text}</pre>
    <p id="live-log-status">${l.live ? 'following the log…' : l.exists ? '' : 'no log'}</p>`;
}

/** Koji's taskinfo page: the task, its family, its buildroots, its output, and its log. */
export function taskBody(u: WebUrls, v: TaskView): Html {
  const t = v.task;
  const row = (k: string, val: Html | string | number | null) =>
    html`<tr>
      <th>${k}</th>
      <td>${val}</td>
    </tr>`;
  return html`<table id="task">
      ${row('id', t.id)} ${row('method', t.method)} ${row('label', taskLabel(t))}
      ${row('state', html`<span id="task-state">${taskState(t.state)}</span>`)} ${row('owner', t.owner_name)}
      ${row('host', t.host_name)} ${row('arch', t.arch)} ${row('channel', t.channel_name)}
      ${row('priority', t.priority)} ${row('weight', t.weight)} ${row('created', fmtTs(t.create_ts))}
      ${row('started', fmtTs(t.start_ts))} ${row('finished', fmtTs(t.completion_ts))}
      ${row('parent', v.parent ? html`${taskLink(u, v.parent)} ${taskLabel(v.parent)}` : '')}
      ${row('result', result(t))}
    </table>
    <h2>Request</h2>
    <pre id="request">${pretty(t.request)}</pre>
    ${
      v.children.length
        ? html`<h2>Children</h2>
            <ul>
              ${v.children.map(
                (c) => html`<li>${taskLink(u, c)} ${taskLabel(c)}: ${taskState(c.state)}</li>`,
              )}
            </ul>`
        : ''
    }
    ${buildroots(u, v.buildroots)} ${trees(u, v.trees)}
    <h2>Output</h2>
    ${outputs(v.outputs)} ${v.log ? log(v.log) : ''}`;
}
