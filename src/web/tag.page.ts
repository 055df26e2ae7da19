import type { PackageRow } from '../modules/tags/packages.reader.js';
import type { TagDoc, TaggedDoc, TargetDoc } from '../modules/tags/tags.projection.js';
import { fmtTs, pretty } from './format.js';
import { html, type Html } from './html.js';
import type { WebUrls } from './web-context.js';

export interface TagView {
  tag: TagDoc;
  /** Tags that list this one as a parent. */
  children: TagDoc[];
  /** Targets building from this tag, and into it. */
  buildFrom: TargetDoc[];
  buildTo: TargetDoc[];
  /** The package list in force, with inheritance, blocked entries included. */
  packages: PackageRow[];
  /** Builds tagged into this tag itself, newest first. */
  builds: TaggedDoc[];
}

/** A tag as Koji's taginfo page shows it: settings, inheritance, targets, package list and builds. */
export function tagBody(u: WebUrls, v: TagView): Html {
  const t = v.tag;
  const link = (id: number, name: string) => html`<a href="${u.web}/taginfo?tagID=${id}">${name}</a>`;
  const row = (k: string, value: Html | string | number | null) =>
    html`<tr>
      <th>${k}</th>
      <td>${value}</td>
    </tr>`;
  const flags = (l: TagDoc['inheritance'][number]) =>
    [
      `priority ${l.priority}`,
      l.maxdepth === null ? '' : `maxdepth ${l.maxdepth}`,
      l.intransitive ? 'intransitive' : '',
      l.noconfig ? 'noconfig' : '',
      l.pkg_filter ? `pkg_filter ${l.pkg_filter}` : '',
    ]
      .filter(Boolean)
      .join(', ');
  const owner = t.extra.sidetag ? String(t.extra.sidetag_user ?? '') : '';
  const targets = (list: TargetDoc[], other: (x: TargetDoc) => [number, string]) =>
    list.length
      ? html`${list.map((x, i) => {
          const [id, name] = other(x);
          return html`${i ? ', ' : ''}${x.name} (${link(id, name)})`;
        })}`
      : '';
  return html`<table id="tag">
      ${row('id', t.id)} ${row('name', t.name)} ${row('arches', t.arches ?? '')}
      ${row('locked', t.locked ? 'yes' : 'no')} ${row('permission', t.perm ?? '')}
      ${row('maven support', t.maven_support ? 'yes' : 'no')}
      ${owner ? row('sidetag of', html`<a href="${u.web}/sidetags?user=${encodeURIComponent(owner)}">${owner}</a>`) : ''}
      ${row('extra', Object.keys(t.extra).length ? html`<code>${pretty(t.extra)}</code>` : '')}
      ${row('parents', t.inheritance.length ? html`${t.inheritance.map((l, i) => html`${i ? ', ' : ''}${link(l.parent_id, l.name)} (${flags(l)})`)}` : '')}
      ${row('children', v.children.length ? html`${v.children.map((c, i) => html`${i ? ', ' : ''}${link(c.id, c.name)}`)}` : '')}
      ${row(
        'targets building from it',
        targets(v.buildFrom, (x) => [x.dest_tag, x.dest_tag_name]),
      )}
      ${row(
        'targets building into it',
        targets(v.buildTo, (x) => [x.build_tag, x.build_tag_name]),
      )}
    </table>
    <h2>Packages (${v.packages.length})</h2>
    ${
      v.packages.length
        ? html`<table id="packages">
            <tr>
              <th>package</th>
              <th>listed in</th>
              <th>extra arches</th>
              <th>owner</th>
              <th></th>
            </tr>
            ${v.packages.map(
              (p) =>
                html`<tr${p.blocked ? html` class="blocked"` : ''}>
                  <td>${p.package_name}</td>
                  <td>${p.tag_id === t.id ? p.tag_name : link(p.tag_id, p.tag_name)}</td>
                  <td>${p.extra_arches ?? ''}</td>
                  <td>${p.owner_name}</td>
                  <td>${p.blocked ? 'blocked' : ''}</td>
                </tr>`,
            )}
          </table>`
        : html`<p>No package list: any package may be tagged in.</p>`
    }
    <h2>Builds (${v.builds.length})</h2>
    ${
      v.builds.length
        ? html`<table id="builds">
            <tr>
              <th>build</th>
              <th>tagged</th>
              <th>by</th>
            </tr>
            ${v.builds.map(
              (b) =>
                html`<tr>
                  <td>${b.nvr}</td>
                  <td>${fmtTs(b.create_ts)}</td>
                  <td>${b.tagged_by ?? ''}</td>
                </tr>`,
            )}
          </table>`
        : html`<p>No builds.</p>`
    }`;
}
