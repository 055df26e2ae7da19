// Koji's package-list commands (koji_cli/commands.py: handle_add_pkg, handle_block_pkg,
// handle_unblock_pkg, handle_remove_pkg, anon_handle_list_pkgs, handle_set_pkg_owner,
// handle_set_pkg_arches), with Koji's names, usage, options, messages and output.
// Deliberate differences: failures follow koji-es's output rules (one line, `koji-es: <Class>: …`,
// Koji's own error() lines, "(no matching packages)" included, become GenericError faults; its warn()
// lines stay bare); list-pkgs has --event (printed as list-tagged does, without the time) but no
// --ts or --repo, and no ParameterError retry for old hubs; the hub checks permissions (the
// package_list policy). The calls Koji batches in a multicall go in one JSON-RPC batch.
import type { Command } from 'commander';
import type { HubClient } from '../../cli/client.js';
import { action, subcommand, UsageError, type Runtime } from '../../cli/runtime.js';
import { KojiError } from '../../kernel/errors.js';
import { parseArches, parseEventOption } from './tags.cli.js';

interface TagInfo {
  id: number;
  name: string;
}

interface PackageRow {
  package_id: number;
  package_name: string;
  tag_id?: number;
  tag_name?: string;
  extra_arches?: string | null;
  blocked?: boolean;
  owner_id?: number;
  owner_name?: string | null;
}

const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });
const fault = (message: string) => new KojiError('GenericError', message);

/** Python's `'%-Ns' % s`. */
const pad = (s: unknown, n: number) => String(s ?? 'None').padEnd(n);

/** A Koji `warn()`: the message alone on stderr. */
const warn = (rt: Runtime, msg: string) => rt.io.err(`${msg}\n`);

/** `session.getTag(name)`, or Koji's `error("No such tag: …")`. */
async function tagOrFail(client: HubClient, name: string): Promise<TagInfo> {
  const t = await client.call<TagInfo | null>('getTag', [name]);
  if (!t) throw fault(`No such tag: ${name}`);
  return t;
}

/** The names in a tag's package list (with `inherited`, its parents' too; blocked entries count). */
async function listedNames(client: HubClient, tagId: number, inherited: boolean): Promise<Set<string>> {
  const opts: Record<string, unknown> = { tagID: tagId, with_owners: false };
  if (inherited) opts.inherited = true;
  const rows = await client.call<PackageRow[]>('listPackages', [kw(opts)]);
  return new Set(rows.map((p) => p.package_name));
}

/**
 * Koji's `multiCall(strict=True)`: the calls go in one request (a JSON-RPC batch), each runs (the hub
 * keeps each one that succeeds), then the first fault is raised.
 */
async function multiCall(client: HubClient, calls: [string, unknown[]][]): Promise<void> {
  for (const r of await client.batch(calls)) if ('fault' in r) throw r.fault;
}

interface ListPkgsOptions {
  owner?: string;
  tag?: string;
  package?: string;
  quiet?: boolean;
  noinherit?: boolean;
  showBlocked?: boolean;
  showDups?: boolean;
  event?: number;
}

/** `anon_handle_list_pkgs`, with --event but not --ts or --repo. */
async function listPkgs(rt: Runtime, args: string[], o: ListPkgsOptions): Promise<void> {
  if (args.length) throw new UsageError('This command takes no arguments');
  // Checked before anything is printed or asked (Koji prints "Querying at event" first).
  if (!o.tag && !o.owner && !o.package) {
    if (o.event !== undefined)
      throw new UsageError('--event and --ts makes sense only with --tag, --owner or --package');
    if (o.showBlocked)
      throw new UsageError('--show-blocked makes sense only with --tag, --owner or --package');
  }
  const client = await rt.client(false);
  const opts: Record<string, unknown> = {};
  if (o.owner) {
    const user = await client.call<{ id: number } | null>('getUser', [o.owner]);
    if (!user) throw new UsageError(`No such user: ${o.owner}`);
    opts.userID = user.id;
  }
  if (o.tag) {
    const tag = await client.call<TagInfo | null>('getTag', [o.tag]);
    if (!tag) throw new UsageError(`No such tag: ${o.tag}`);
    opts.tagID = tag.id;
  }
  if (o.package) opts.pkgID = o.package;
  // No limiting clause: every package, one name a line.
  const allpkgs = Object.keys(opts).length === 0;
  opts.inherited = !o.noinherit;
  // Hiding duplicates only makes sense when a tag is queried.
  opts.with_dups = o.tag ? (o.showDups ?? null) : true;
  if (o.event !== undefined) {
    opts.event = o.event;
    rt.print(`Querying at event ${o.event}`);
  }
  if (o.showBlocked) opts.with_blocked = true;
  const data = await client.call<PackageRow[]>('listPackages', [kw(opts)]);
  if (!data.length) throw fault('(no matching packages)');
  if (!o.quiet && !rt.quiet) {
    if (allpkgs) {
      rt.print('Package');
      rt.print('-'.repeat(23));
    } else {
      rt.print(`${pad('Package', 23)} ${pad('Tag', 23)} ${pad('Extra Arches', 16)} ${pad('Owner', 15)}`);
      rt.print(`${'-'.repeat(23)} ${'-'.repeat(23)} ${'-'.repeat(16)} ${'-'.repeat(15)}`);
    }
  }
  for (const p of data) {
    if (allpkgs) {
      rt.print(p.package_name);
      continue;
    }
    if (!o.showBlocked && p.blocked) continue;
    if (!('tag_id' in p)) {
      rt.print(p.package_name);
      continue;
    }
    let line =
      `${pad(p.package_name, 23)} ${pad(p.tag_name, 23)} ` +
      `${pad(p.extra_arches ?? '', 16)} ${pad(p.owner_name, 15)}`;
    if (p.blocked) line += ' [BLOCKED]';
    rt.print(line);
  }
}

export function registerPackages(program: Command, rt: Runtime): void {
  subcommand(program, rt, 'add-pkg', 'Add a package to the listing for tag [tag permission]')
    .usage('[options] --owner <owner> <tag> <package> [<package> ...]')
    .argument('[args...]')
    .option('--force', 'Override blocks if necessary')
    .option('--owner <owner>', 'Specify owner')
    .option('--extra-arches <arches>', 'Specify extra arches')
    .action(
      action(
        rt,
        'add-pkg',
        async (args: string[], o: { force?: boolean; owner?: string; extraArches?: string }) => {
          if (args.length < 2) throw new UsageError('Please specify a tag and at least one package');
          if (!o.owner) throw new UsageError('Please specify an owner for the package(s)');
          const anon = await rt.client(false);
          if (!(await anon.call('getUser', [o.owner]))) throw fault(`No such user: ${o.owner}`);
          const client = await rt.client(true);
          const tag = args[0];
          const opts: Record<string, unknown> = { force: o.force ?? null, block: false };
          const dsttag = await tagOrFail(client, tag);
          const listed = await listedNames(client, dsttag.id, false);
          const toAdd: string[] = [];
          for (const pkg of args.slice(1)) {
            if (listed.has(pkg)) {
              rt.print(`Package ${pkg} already exists in tag ${tag}`);
              continue;
            }
            toAdd.push(pkg);
          }
          if (o.extraArches) opts.extra_arches = parseArches(o.extraArches);
          rt.print(`Adding ${toAdd.length} packages to tag ${dsttag.name}`);
          await multiCall(
            client,
            toAdd.map((pkg) => ['packageListAdd', [tag, pkg, o.owner, kw(opts)]]),
          );
        },
      ),
    );

  subcommand(program, rt, 'block-pkg', 'Block a package in the listing for tag [tag permission]')
    .usage('[options] <tag> <package> [<package> ...]')
    .argument('[args...]')
    .option('--force', 'Override blocks and owner if necessary')
    .action(
      action(rt, 'block-pkg', async (args: string[], o: { force?: boolean }) => {
        if (args.length < 2) throw new UsageError('Please specify a tag and at least one package');
        const client = await rt.client(true);
        const tag = args[0];
        const dsttag = await tagOrFail(client, tag);
        const listed = await listedNames(client, dsttag.id, true);
        let ret = 0;
        for (const pkg of args.slice(1)) {
          if (listed.has(pkg)) continue;
          warn(rt, `Package ${pkg} doesn't exist in tag ${tag}`);
          ret = 1;
        }
        if (ret) return ret;
        await multiCall(
          client,
          args
            .slice(1)
            .map((pkg) => ['packageListBlock', o.force ? [tag, pkg, kw({ force: true })] : [tag, pkg]]),
        );
      }),
    );

  subcommand(program, rt, 'unblock-pkg', 'Unblock a package in the listing for tag [tag permission]')
    .usage('[options] <tag> <package> [<package> ...]')
    .argument('[args...]')
    .action(
      action(rt, 'unblock-pkg', async (args: string[]) => {
        if (args.length < 2) throw new UsageError('Please specify a tag and at least one package');
        const client = await rt.client(true);
        const tag = args[0];
        await multiCall(
          client,
          args.slice(1).map((pkg) => ['packageListUnblock', [tag, pkg]]),
        );
      }),
    );

  subcommand(program, rt, 'remove-pkg', 'Remove a package from the listing for tag [tag permission]')
    .usage('[options] <tag> <package> [<package> ...]')
    .argument('[args...]')
    .option('--force', 'Override blocks if necessary')
    .action(
      action(rt, 'remove-pkg', async (args: string[], o: { force?: boolean }) => {
        if (args.length < 2) throw new UsageError('Please specify a tag and at least one package');
        const client = await rt.client(true);
        const tag = args[0];
        const dsttag = await tagOrFail(client, tag);
        const listed = await listedNames(client, dsttag.id, false);
        let ret = 0;
        for (const pkg of args.slice(1)) {
          if (listed.has(pkg)) continue;
          warn(rt, `Package ${pkg} is not in tag ${tag}`);
          ret = 1;
        }
        if (ret) return ret;
        await multiCall(
          client,
          args.slice(1).map((pkg) => ['packageListRemove', [tag, pkg, kw({ force: o.force ?? null })]]),
        );
      }),
    );

  subcommand(program, rt, 'list-pkgs', 'Print the package listing for tag or for owner')
    .usage('[options]')
    .argument('[args...]')
    .option('--owner <owner>', 'Specify owner')
    .option('--tag <tag>', 'Specify tag')
    .option('--package <package>', 'Specify package')
    .option('--quiet', 'Do not print header information')
    .option('--noinherit', "Don't follow inheritance")
    .option('--show-blocked', 'Show blocked packages')
    .option('--show-dups', 'Show superseded owners')
    .option('--event <EVENT#>', 'query at event', parseEventOption)
    .action(action(rt, 'list-pkgs', (args: string[], o: ListPkgsOptions) => listPkgs(rt, args, o)));

  subcommand(program, rt, 'set-pkg-owner', 'Set the owner for a package [tag permission]')
    .usage('[options] <owner> <tag> <package> [<package> ...]')
    .argument('[args...]')
    .option('--force', 'Force operation')
    .action(
      action(rt, 'set-pkg-owner', async (args: string[], o: { force?: boolean }) => {
        if (args.length < 3) throw new UsageError('Please specify an owner, a tag, and at least one package');
        const client = await rt.client(true);
        const [owner, tag] = args;
        await multiCall(
          client,
          args
            .slice(2)
            .map((pkg) => ['packageListSetOwner', [tag, pkg, owner, kw({ force: o.force ?? null })]]),
        );
      }),
    );

  subcommand(program, rt, 'set-pkg-arches', 'Set the list of extra arches for a package [tag permission]')
    .usage('[options] <arches> <tag> <package> [<package> ...]')
    .argument('[args...]')
    .option('--force', 'Force operation')
    .action(
      action(rt, 'set-pkg-arches', async (args: string[], o: { force?: boolean }) => {
        if (args.length < 3)
          throw new UsageError('Please specify an archlist, a tag, and at least one package');
        const client = await rt.client(true);
        const arches = parseArches(args[0]);
        const tag = args[1];
        await multiCall(
          client,
          args
            .slice(2)
            .map((pkg) => ['packageListSetArches', [tag, pkg, arches, kw({ force: o.force ?? null })]]),
        );
      }),
    );
}
