// Koji's tag, target, build and repo commands (koji_cli/commands.py: handle_add_tag, handle_edit_tag,
// handle_remove_tag, anon_handle_list_tags, anon_handle_taginfo, handle_add_target,
// handle_edit_target, handle_remove_target, anon_handle_list_targets, handle_tag_build,
// handle_untag_build, anon_handle_list_tagged, anon_handle_list_builds, anon_handle_wait_repo with
// koji.util.RepoWatcher, handle_regen_repo), with Koji's names, options and output.
// Deliberate differences: failures follow koji-es's output rules (one line, `koji-es: <Class>: …`,
// Koji's own error() lines become GenericError faults), except wait-repo's
// `Failed to get repo -- <err>`, which is Koji's line as it is; the hub checks permissions (no
// client-side hasPerm round trip); add-tag also takes --locked and --perm, edit-tag --parent and
// --no-parent (editTag2 takes a parent here); untag-build takes --non-strict (strict=False, no
// client-side "not in tag" check); tag-build and regen-repo watch their tasks unless --nowait, in the
// background too; wait-repo's --timeout accepts fractions of a minute, and it also times out when it
// polls anonymously (Koji's RepoWatcher only times out while it waits on a request or on builds);
// a repo holds the builds it was made from, so wait-repo --build checks the repo's own content.
import type { Command } from 'commander';
import { argFilter } from '../../cli/core.cli.js';
import type { HubClient } from '../../cli/client.js';
import { action, subcommand, UsageError, type Runtime } from '../../cli/runtime.js';
import { KojiError } from '../../kernel/errors.js';
import { pyRepr } from '../../rpc/method.js';
import { watchTasks } from '../tasks/tasks.cli.js';

// The client keeps its own copy of Koji's tables: the CLI never imports the hub's modules.
const BUILD_STATES = ['BUILDING', 'COMPLETE', 'DELETED', 'FAILED', 'CANCELED'];

interface TagInfo {
  id: number;
  name: string;
  perm_id: number | null;
  perm: string | null;
  arches: string | null;
  locked: boolean;
  maven_support: boolean;
  maven_include_all: boolean;
  extra: Record<string, unknown>;
}

interface TargetInfo {
  id: number;
  name: string;
  build_tag: number;
  build_tag_name: string;
  dest_tag: number;
  dest_tag_name: string;
}

interface InheritanceLink {
  parent_id: number;
  name: string;
  priority: number;
  maxdepth: number | null;
  intransitive: boolean;
  noconfig: boolean;
  pkg_filter: string;
}

interface BuildInfo {
  id: number;
  nvr: string;
  name: string;
  package_name: string;
  version: string;
  release: string;
  state: number;
  owner_name: string;
}

interface TaggedBuild extends BuildInfo {
  tag_id: number;
  tag_name: string;
}

interface RepoInfo {
  id: number;
  tag_id: number;
  create_event: number;
  creation_time: string;
  state: number;
  opts: Record<string, unknown>;
  builds?: { id: number; nvr: string }[];
}

interface RepoRequest {
  id: number;
  min_event: number | null;
  task_id: number | null;
  task_state?: number | null;
  repo_id: number | null;
  active: boolean;
  tries: number;
}

interface RepoCheck {
  repo: RepoInfo | null;
  request: RepoRequest | null;
  duplicate?: boolean;
}

// ---- pure helpers (exported for unit tests) --------------------------------------------------------

const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });
const fault = (message: string) => new KojiError('GenericError', message);
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** Python's `'%-Ns' % s`. */
const pad = (s: unknown, n: number) => String(s ?? 'None').padEnd(n);

/** `koji.parse_NVR`: name-version-release, with an optional `epoch:` before the name. */
export function parseNVR(nvr: string): { name: string; version: string; release: string; epoch: string } {
  const p2 = nvr.lastIndexOf('-');
  if (p2 <= 0 || p2 === nvr.length - 1) throw fault(`invalid format: ${nvr}`);
  const p1 = nvr.lastIndexOf('-', p2 - 1);
  if (p1 === -1 || p1 === p2 - 1) throw fault(`invalid format: ${nvr}`);
  let name = nvr.slice(0, p1);
  let epoch = '';
  const colon = name.indexOf(':');
  if (colon !== -1) {
    epoch = name.slice(0, colon);
    name = name.slice(colon + 1);
  }
  return { name, version: nvr.slice(p1 + 1, p2), release: nvr.slice(p2 + 1), epoch };
}

/** `koji_cli.lib.parse_arches(…, strict=False)`: commas or spaces, joined by spaces. */
export function parseArches(v: string): string {
  const list = v.replace(/,/g, ' ').split(/\s+/).filter(Boolean);
  for (const a of list)
    if (!/^[a-zA-Z0-9_-]*$/.test(a)) throw fault('Architecture can be only [a-zA-Z0-9_-]');
  return list.join(' ');
}

/** `-x key=value` options through Koji's `arg_filter(value, parse_json=True)`. */
export function parseExtra(options: string[]): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const x of options) {
    const eq = x.indexOf('=');
    if (eq < 0) throw new UsageError(`Invalid extra option, key=value expected: ${x}`);
    const key = x.slice(0, eq);
    if (key in extra) throw new UsageError(`Duplicate extra key: ${key}`);
    extra[key] = argFilter(x.slice(eq + 1), true);
  }
  return extra;
}

/** Python's `pprint.pformat` for the plain values tag extra holds (dict keys sorted). */
export function pformat(v: unknown): string {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, x]) => `${pyRepr(k)}: ${pformat(x)}`).join(', ')}}`;
  }
  if (Array.isArray(v)) return `[${v.map(pformat).join(', ')}]`;
  return pyRepr(v);
}

/** `format_inheritance_flags`: M(axdepth) F(ilter) I(ntransitive) N(oconfig), `.` when unset. */
export function inheritanceFlags(l: InheritanceLink): string {
  return (
    (l.maxdepth !== null ? 'M' : '.') +
    (l.pkg_filter ? 'F' : '.') +
    (l.intransitive ? 'I' : '.') +
    (l.noconfig ? 'N' : '.')
  );
}

/** `koji.util.duration`: minutes and seconds since start, `M:SS`. */
export function duration(startMs: number, nowMs = Date.now()): string {
  const elapsed = (nowMs - startMs) / 1000;
  return `${Math.floor(elapsed / 60)}:${String(Math.floor(elapsed % 60)).padStart(2, '0')}`;
}

/** `koji.util.printList`: `a`, `a and b`, `a, b, and c`. */
export function printList(l: string[]): string {
  if (l.length <= 1) return l[0] ?? '';
  if (l.length === 2) return l.join(' and ');
  return `${l.slice(0, -1).join(', ')}, and ${l[l.length - 1]}`;
}

export function parseIntOption(name: string) {
  return (v: string): number => {
    if (!/^[-+]?\d+$/.test(v.trim())) throw new UsageError(`option ${name}: invalid integer value: '${v}'`);
    const n = Number(v);
    // Beyond 2^53 the number would round to another one.
    if (!Number.isSafeInteger(n)) throw new UsageError(`option ${name}: ${v.trim()} is too large`);
    return n;
  };
}

/** `--event`: an event id. Events are numbered from 1; a negative one names no moment at all. */
export function parseEventOption(v: string): number {
  const n = parseIntOption('--event')(v);
  if (n < 0) throw new UsageError(`option --event: an event id is not negative: ${v.trim()}`);
  return n;
}

function parseFloatOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`option ${name}: invalid floating-point value: '${v}'`);
    return n;
  };
}

const sleep = (seconds: number) => new Promise<void>((r) => setTimeout(r, seconds * 1000));

/** A Koji `warn()`: the message alone on stderr. */
const warn = (rt: Runtime, msg: string) => rt.io.err(`${msg}\n`);

// ---- wait-repo: koji.util.RepoWatcher --------------------------------------------------------------

class RepoWatcher {
  private start = 0;
  private readonly builds: ReturnType<typeof parseNVR>[];
  private minEvent: number | null = null;

  constructor(
    private readonly client: HubClient,
    private readonly taginfo: TagInfo,
    private readonly nvrs: string[],
    private readonly pauseSeconds: number,
    private readonly timeoutMinutes: number,
    private readonly log: (msg: string) => void,
  ) {
    this.builds = nvrs.map(parseNVR);
  }

  /** `min_event='last'`: the tag's last change, as the hub tells it. */
  async init(): Promise<void> {
    this.minEvent = await this.client.call<number>('tagLastChangeEvent', [this.taginfo.id]);
  }

  private timedOut(): boolean {
    return Date.now() - this.start > this.timeoutMinutes * 60_000;
  }

  private timeoutError(): KojiError {
    return this.builds.length
      ? fault(
          `Unsuccessfully waited ${duration(this.start)} for ${printList(this.nvrs)} to appear in the ` +
            `${this.taginfo.name} repo`,
        )
      : fault(`Unsuccessfully waited ${duration(this.start)} for a new ${this.taginfo.name} repo`);
  }

  /** `checkForBuilds(event=None)`: every build is tagged (with inheritance) now. */
  private async buildsTagged(): Promise<boolean> {
    for (const b of this.builds) {
      const tagged = await this.client.call<TaggedBuild[]>('listTagged', [
        this.taginfo.id,
        kw({ package: b.name, inherit: true }),
      ]);
      if (!tagged.some((t) => t.version === b.version && t.release === b.release)) return false;
    }
    return true;
  }

  /** `check_repo`: the right tag, new enough, and (with --build) holding the builds. */
  private async checkRepo(repo: RepoInfo): Promise<boolean> {
    if (repo.tag_id !== this.taginfo.id) return false;
    if (this.minEvent !== null && repo.create_event < this.minEvent) return false;
    if (this.builds.length) {
      const info = await this.client.call<RepoInfo | null>('repoInfo', [repo.id]);
      const have = new Set((info?.builds ?? []).map((b) => b.nvr));
      if (!this.builds.every((b) => have.has(`${b.name}-${b.version}-${b.release}`))) {
        this.log('Got repo without needed builds');
        return false;
      }
    }
    return true;
  }

  private async waitBuilds(): Promise<void> {
    this.log(`Waiting for nvrs ${pyRepr(this.nvrs)} in tag ${this.taginfo.name}`);
    for (;;) {
      if (await this.buildsTagged()) return;
      if (this.timedOut()) throw this.timeoutError();
      await sleep(this.pauseSeconds);
    }
  }

  private async waitRequest(req: RepoRequest): Promise<RepoInfo> {
    const fields = ['task_id', 'task_state', 'repo_id', 'active', 'tries'] as const;
    const seen: Record<string, unknown> = Object.fromEntries(fields.map((f) => [f, req[f] ?? null]));
    for (;;) {
      const check = await this.client.call<RepoCheck>('repo.checkRequest', [req.id]);
      if (check.repo) return check.repo;
      const now = check.request!;
      for (const f of fields) {
        if (seen[f] === (now[f] ?? null)) continue;
        this.log(`Request updated: ${f}: ${pyRepr(seen[f])} -> ${pyRepr(now[f] ?? null)}`);
        seen[f] = now[f] ?? null;
      }
      if (this.timedOut())
        throw fault(`Unsuccessfully waited ${duration(this.start)} for a new ${this.taginfo.name} repo`);
      if (!now.active) throw fault('Repo request no longer active');
      await sleep(this.pauseSeconds);
    }
  }

  /** `RepoWatcher.waitrepo(anon)`. */
  async waitrepo(anon: boolean): Promise<RepoInfo> {
    this.log(`Waiting on repo for ${this.taginfo.name}`);
    this.start = Date.now();
    let minEvent = this.minEvent;
    let req: RepoRequest | null = null;
    for (;;) {
      if (req) {
        const repo = await this.waitRequest(req);
        if (await this.checkRepo(repo)) return repo;
        minEvent = await this.client.call<number>('tagLastChangeEvent', [this.taginfo.id]);
        this.log('Repo request did not satisfy conditions');
        req = null;
      } else if (anon) {
        const repo = await this.client.call<RepoInfo | null>('repo.get', [
          this.taginfo.id,
          kw({ min_event: minEvent, at_event: null, opts: null }),
        ]);
        if (repo && (await this.checkRepo(repo))) return repo;
      }
      if (this.builds.length) {
        await this.waitBuilds();
        minEvent = await this.client.call<number>('tagLastChangeEvent', [this.taginfo.id]);
      }
      if (!anon) {
        this.log('Requesting a repo');
        const check = await this.client.call<RepoCheck>('repo.request', [
          this.taginfo.id,
          kw({ min_event: minEvent, at_event: null, opts: null }),
        ]);
        if (check.repo) {
          if (await this.checkRepo(check.repo)) return check.repo;
        } else if (check.request) {
          req = check.request;
          this.log(`Got request: ${req.id}`);
          if (minEvent === null) minEvent = req.min_event;
        }
      }
      if (this.timedOut()) throw this.timeoutError();
      if (!req) await sleep(this.pauseSeconds);
    }
  }
}

// ---- the commands ----------------------------------------------------------------------------------

async function tagOrFail(
  client: HubClient,
  name: string,
  message = `No such tag: ${name}`,
): Promise<TagInfo> {
  const t = await client.call<TagInfo | null>('getTag', [name]);
  if (!t) throw fault(message);
  return t;
}

/** Watches tasks unless --nowait (Koji also skips the watch when it runs in the background). */
async function maybeWatch(rt: Runtime, client: HubClient, ids: number[], o: { nowait?: boolean }) {
  if (o.nowait) return 0;
  return watchTasks(rt, client, ids, rt.quiet);
}

export interface WaitRepoOptions {
  build?: string[];
  target?: boolean;
  request?: boolean;
  timeout?: number;
  verbose?: boolean;
  quiet?: boolean;
}

/** `wait-repo`: Koji 1.35's RepoWatcher; also what `add-sidetag --wait` runs (`--target <name>`). */
export async function waitRepo(rt: Runtime, args: string[], o: WaitRepoOptions): Promise<number | void> {
  if (args.length < 1) throw new UsageError('Please specify a tag name');
  if (args.length > 1) throw new UsageError('Only one tag may be specified');
  const builds = o.build ?? [];
  for (const b of builds) parseNVR(b);
  const quiet = !!o.quiet || rt.quiet;
  const client = await rt.client(!!o.request);
  let tag = args[0];
  let tagId: number;
  if (o.target) {
    const t = await client.call<TargetInfo | null>('getBuildTarget', [tag]);
    if (!t) throw new UsageError(`No such build target: ${tag}`);
    tag = t.build_tag_name;
    tagId = t.build_tag;
  } else {
    const info = await client.call<TagInfo | null>('getTag', [tag]);
    if (!info) throw new UsageError(`No such tag: ${tag}`);
    const targets = await client.call<TargetInfo[]>('getBuildTargets', [kw({ buildTagID: info.id })]);
    if (!targets.length) {
      warn(rt, `${info.name} is not a build tag for any target`);
      const dest = await client.call<TargetInfo[]>('getBuildTargets', [kw({ destTagID: info.id })]);
      if (dest.length)
        warn(rt, `Suggested tags: ${[...new Set(dest.map((t) => t.build_tag_name))].sort().join(', ')}`);
    }
    tagId = info.id;
  }
  for (const nvr of builds) {
    const b = parseNVR(nvr);
    const latest = await client.call<TaggedBuild[]>('listTagged', [
      tagId,
      kw({ package: b.name, latest: true, inherit: true }),
    ]);
    const expected = `${b.name}-${b.version}-${b.release}`;
    if (!latest.length) warn(rt, `Package ${b.name} is not in tag ${tag}`);
    else if (latest[0].nvr !== expected)
      warn(rt, `nvr ${expected} is not current in tag ${tag}\n  latest build in ${tag} is ${latest[0].nvr}`);
  }
  if (o.request === undefined) warn(rt, 'The --request option is recommended for faster results');
  const taginfo = await client.call<TagInfo>('getTag', [tagId, kw({ strict: true })]);
  const watcher = new RepoWatcher(client, taginfo, builds, rt.profile.pollInterval, o.timeout ?? 120, (m) => {
    if (o.verbose) rt.io.err(`${m}\n`);
  });
  await watcher.init();
  if (!o.request && !taginfo.extra['repo.auto'])
    warn(rt, 'This tag is not configured for automatic regeneration');
  let repo: RepoInfo;
  try {
    repo = await watcher.waitrepo(!o.request);
  } catch (e) {
    if (!(e instanceof KojiError) || e.faultName !== 'GenericError') throw e;
    rt.io.err(`Failed to get repo -- ${e.message}\n`);
    return 1;
  }
  if (!quiet) {
    rt.print(`Got repo ${repo.id}`);
    rt.print(`Repo info: ${rt.profile.weburl}/repoinfo?repoID=${repo.id}`);
  }
}

export function registerTags(program: Command, rt: Runtime): void {
  subcommand(program, rt, 'add-tag', 'Add a new tag to the database [tag permission]')
    .usage('[options] <name>')
    .argument('[args...]')
    .option('--parent <tag>', 'Set a parent tag with priority 0')
    .option('--arches <arches>', 'Specify arches')
    .option('--locked', 'Create the tag locked')
    .option('--perm <permission>', 'Require this permission to tag into the tag')
    .option('-x, --extra <key=value>', 'Set tag extra option', collect)
    .action(
      action(
        rt,
        'add-tag',
        async (
          args: string[],
          o: { parent?: string; arches?: string; locked?: boolean; perm?: string; extra?: string[] },
        ) => {
          if (args.length !== 1) throw new UsageError('Please specify a name for the tag');
          const opts: Record<string, unknown> = {};
          if (o.parent) opts.parent = o.parent;
          if (o.arches) opts.arches = parseArches(o.arches);
          if (o.locked) opts.locked = true;
          if (o.perm) opts.perm = o.perm;
          if (o.extra?.length) opts.extra = parseExtra(o.extra);
          const client = await rt.client(true);
          await client.call('createTag', [args[0], kw(opts)]);
        },
      ),
    );

  subcommand(program, rt, 'edit-tag', 'Alter tag information [tag permission]')
    .usage('[options] <name>')
    .argument('[args...]')
    .option('--arches <arches>', 'Specify arches')
    .option('--perm <permission>', 'Specify permission requirement')
    .option('--no-perm', 'Remove permission requirement')
    .option('--lock', 'Lock the tag')
    .option('--unlock', 'Unlock the tag')
    .option('--rename <name>', 'Rename the tag')
    .option('--parent <tag>', 'Set the parent tag (priority 0), replacing the inheritance')
    .option('--no-parent', 'Remove the inheritance')
    .option('-x, --extra <key=value>', 'Set tag extra option', collect)
    .option('-r, --remove-extra <key>', 'Remove tag extra option', collect)
    .option('-b, --block-extra <key>', 'Block inherited tag extra option', collect)
    .action(
      action(
        rt,
        'edit-tag',
        async (
          args: string[],
          o: {
            arches?: string;
            perm?: string | false;
            lock?: boolean;
            unlock?: boolean;
            rename?: string;
            parent?: string | false;
            extra?: string[];
            removeExtra?: string[];
            blockExtra?: string[];
          },
        ) => {
          if (args.length !== 1) throw new UsageError('Please specify a name for the tag');
          if (o.lock && o.unlock) throw new UsageError('--lock and --unlock are mutually exclusive');
          const opts: Record<string, unknown> = {};
          if (o.arches) opts.arches = parseArches(o.arches);
          if (o.perm === false) opts.perm = null;
          else if (o.perm) opts.perm = o.perm;
          if (o.rename) opts.name = o.rename;
          if (o.extra?.length) opts.extra = parseExtra(o.extra);
          opts.remove_extra = o.removeExtra ?? [];
          opts.block_extra = o.blockExtra ?? [];
          if (o.lock) opts.locked = true;
          if (o.unlock) opts.locked = false;
          if (o.parent === false) opts.parent = null;
          else if (o.parent) opts.parent = o.parent;
          const client = await rt.client(true);
          await client.call('editTag2', [args[0], kw(opts)]);
        },
      ),
    );

  subcommand(program, rt, 'remove-tag', 'Remove a tag [tag permission]')
    .usage('[options] <name>')
    .argument('[args...]')
    .action(
      action(rt, 'remove-tag', async (args: string[]) => {
        if (args.length !== 1) throw new UsageError('Please specify a tag to remove');
        const client = await rt.client(true);
        const tag = await tagOrFail(client, args[0]);
        await client.call('deleteTag', [tag.id]);
      }),
    );

  subcommand(program, rt, 'list-tags', 'Print the list of tags')
    .usage('[options] [pattern...]')
    .argument('[patterns...]')
    .option('--show-id', 'Show tag ids')
    .option('--verbose', 'Show more information')
    .option('--unlocked', 'Only show unlocked tags')
    .option('--build <nvr>', 'Show tags associated with a build')
    .action(
      action(
        rt,
        'list-tags',
        async (
          patterns: string[],
          o: { showId?: boolean; verbose?: boolean; unlocked?: boolean; build?: string },
        ) => {
          const client = await rt.client(false);
          let build: number | null = null;
          if (o.build) {
            const b = await client.call<BuildInfo | null>('getBuild', [o.build]);
            if (!b) throw new UsageError(`No such build: ${o.build}`);
            build = b.id;
          }
          const tags: TagInfo[] = [];
          if (!patterns.length) tags.push(...(await client.call<TagInfo[]>('listTags', [kw({ build })])));
          for (const pattern of patterns)
            tags.push(...(await client.call<TagInfo[]>('listTags', [kw({ build, pattern })])));
          tags.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          for (const t of tags) {
            if (o.unlocked && (t.locked || t.perm)) continue;
            let line = o.showId ? `${t.name} [${t.id}]` : t.name;
            if (o.verbose) {
              if (t.locked) line += ' [LOCKED]';
              if (t.perm) line += ` [${t.perm} perm required]`;
            }
            rt.print(line);
          }
        },
      ),
    );

  subcommand(program, rt, 'taginfo', 'Print basic information about a tag')
    .usage('[options] <tag> [<tag> ...]')
    .argument('[tags...]')
    .option('-v, --verbose', 'Print inheritance rules')
    .action(
      action(rt, 'taginfo', async (args: string[]) => {
        if (!args.length) throw new UsageError('Please specify a tag');
        const client = await rt.client(false);
        const infos: TagInfo[] = [];
        for (const name of args) {
          const t = await tagOrFail(client, name);
          infos.push(await client.call<TagInfo>('getBuildConfig', [t.id]));
        }
        for (const [n, info] of infos.entries()) {
          if (n > 0) rt.print();
          rt.print(`Tag: ${info.name} [${info.id}]`);
          rt.print(`Arches: ${info.arches ?? 'None'}`);
          if (info.locked) rt.print('LOCKED');
          if (info.perm_id !== null) rt.print(`Required permission: ${pyRepr(info.perm ?? info.perm_id)}`);
          rt.print('Tag options:');
          for (const key of Object.keys(info.extra).sort())
            rt.print(`  ${key} : ${pformat(info.extra[key])}`);
          const destTargets = await client.call<TargetInfo[]>('getBuildTargets', [
            kw({ destTagID: info.id }),
          ]);
          const buildTargets = await client.call<TargetInfo[]>('getBuildTargets', [
            kw({ buildTagID: info.id }),
          ]);
          const repos = new Map<number, string>();
          for (const t of [...destTargets, ...buildTargets]) {
            if (repos.has(t.build_tag)) continue;
            const repo = await client.call<RepoInfo | null>('getRepo', [t.build_tag]);
            repos.set(t.build_tag, repo ? `repo#${repo.id}: ${repo.creation_time}` : 'no active repo');
          }
          if (destTargets.length) {
            rt.print('Targets that build into this tag:');
            for (const t of destTargets)
              rt.print(`  ${t.name} (${t.build_tag_name}, ${repos.get(t.build_tag)})`);
          }
          if (buildTargets.length) {
            rt.print('This tag is a buildroot for one or more targets');
            rt.print(`Current repo: ${repos.get(info.id)}`);
            rt.print('Targets that build from this tag:');
            for (const t of buildTargets) rt.print(`  ${t.name}`);
          }
          rt.print('Inheritance:');
          for (const p of await client.call<InheritanceLink[]>('getInheritanceData', [info.id])) {
            rt.print(`  ${pad(p.priority, 4)} ${inheritanceFlags(p)} ${p.name} [${p.parent_id}]`);
            if (p.maxdepth !== null) rt.print(`    maxdepth: ${p.maxdepth}`);
            if (p.pkg_filter) rt.print(`    package filter: ${p.pkg_filter}`);
          }
        }
      }),
    );

  subcommand(program, rt, 'add-target', 'Create a new build target [target permission]')
    .usage('<name> <build tag> [<dest tag>]')
    .argument('[args...]')
    .action(
      action(rt, 'add-target', async (args: string[]) => {
        if (args.length < 2)
          throw new UsageError('Please specify a target name, a build tag, and destination tag');
        if (args.length > 3) throw new UsageError('Incorrect number of arguments');
        const [name, buildTag] = args;
        // Most targets have the same name as their destination.
        const destTag = args[2] ?? name;
        const client = await rt.client(true);
        const build = await client.call<TagInfo | null>('getTag', [buildTag]);
        const dest = await client.call<TagInfo | null>('getTag', [destTag]);
        if (!build) throw fault(`No such tag: ${buildTag}`);
        if (!build.arches) throw fault(`Build tag has no arches: ${buildTag}`);
        if (!dest) throw fault(`No such destination tag: ${destTag}`);
        await client.call('createBuildTarget', [name, buildTag, destTag]);
      }),
    );

  subcommand(
    program,
    rt,
    'edit-target',
    'Set the name, build_tag, and/or dest_tag of an existing build target to new values [target permission]',
  )
    .usage('[options] <name>')
    .argument('[args...]')
    .option('--rename <name>', 'Specify new name for target')
    .option('--build-tag <tag>', 'Specify a different build tag')
    .option('--dest-tag <tag>', 'Specify a different destination tag')
    .action(
      action(
        rt,
        'edit-target',
        async (args: string[], o: { rename?: string; buildTag?: string; destTag?: string }) => {
          if (args.length !== 1) throw new UsageError('Please specify a build target');
          const client = await rt.client(true);
          const target = await client.call<TargetInfo | null>('getBuildTarget', [args[0]]);
          if (!target) throw fault(`No such build target: ${args[0]}`);
          let buildTag = target.build_tag_name;
          let destTag = target.dest_tag_name;
          if (o.buildTag) {
            const t = await client.call<TagInfo | null>('getTag', [o.buildTag]);
            if (!t) throw fault(`No such tag: ${o.buildTag}`);
            if (!t.arches) throw fault(`Build tag has no arches: ${o.buildTag}`);
            buildTag = o.buildTag;
          }
          if (o.destTag) {
            if (!(await client.call<TagInfo | null>('getTag', [o.destTag])))
              throw fault(`No such destination tag: ${o.destTag}`);
            destTag = o.destTag;
          }
          await client.call('editBuildTarget', [target.name, o.rename ?? target.name, buildTag, destTag]);
        },
      ),
    );

  subcommand(program, rt, 'remove-target', 'Remove a build target [target permission]')
    .usage('[options] <name>')
    .argument('[args...]')
    .action(
      action(rt, 'remove-target', async (args: string[]) => {
        if (args.length !== 1) throw new UsageError('Please specify a build target to remove');
        const client = await rt.client(true);
        const target = await client.call<TargetInfo | null>('getBuildTarget', [args[0]]);
        if (!target) throw fault(`No such build target: ${args[0]}`);
        await client.call('deleteBuildTarget', [target.id]);
      }),
    );

  subcommand(program, rt, 'list-targets', 'List the build targets')
    .usage('[options]')
    .argument('[args...]')
    .option('--name <name>', 'Specify the build target name')
    .option('--quiet', 'Do not print the header information')
    .action(
      action(rt, 'list-targets', async (args: string[], o: { name?: string; quiet?: boolean }) => {
        if (args.length) throw new UsageError('This command takes no arguments');
        const client = await rt.client(false);
        const targets = await client.call<TargetInfo[]>('getBuildTargets', [o.name ?? null]);
        if (!targets.length)
          throw new UsageError(o.name ? `No such build target: ${o.name}` : 'No targets were found');
        if (!o.quiet && !rt.quiet) {
          rt.print(`${pad('Name', 30)} ${pad('Buildroot', 30)} ${pad('Destination', 30)}`);
          rt.print('-'.repeat(93));
        }
        targets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const t of targets)
          rt.print(`${pad(t.name, 30)} ${pad(t.build_tag_name, 30)} ${pad(t.dest_tag_name, 30)}`);
      }),
    );

  subcommand(program, rt, 'tag-build', 'Apply a tag to one or more builds')
    .usage('[options] <tag> <pkg> [<pkg> ...]')
    .argument('[args...]')
    .option('--force', 'force operation')
    .option('--wait', 'Wait on task (the default)')
    .option('--nowait', 'Do not wait on task')
    .action(
      action(rt, 'tag-build', async (args: string[], o: { force?: boolean; nowait?: boolean }) => {
        if (args.length < 2)
          throw new UsageError(
            "This command takes at least two arguments: a tag name/ID and one or more package n-v-r's",
          );
        const client = await rt.client(true);
        const tasks: number[] = [];
        for (const nvr of args.slice(1)) {
          const id = await client.call<number>('tagBuild', [args[0], nvr, kw({ force: !!o.force })]);
          rt.print(`Created task ${id}`);
          tasks.push(id);
        }
        return maybeWatch(rt, client, tasks, o);
      }),
    );

  subcommand(program, rt, 'untag-build', 'Remove a tag from one or more builds')
    .usage('[options] <tag> <pkg> [<pkg> ...]')
    .argument('[args...]')
    .option('--all', 'untag all versions of the package in this tag, pkg is package name')
    .option('--non-strict', 'do not fail when a build is not in the tag')
    .option('-n, --test', 'test mode')
    .option('-v, --verbose', 'print details')
    .option('--force', 'force operation')
    .action(
      action(
        rt,
        'untag-build',
        async (
          args: string[],
          o: { all?: boolean; nonStrict?: boolean; test?: boolean; verbose?: boolean; force?: boolean },
        ) => {
          if (args.length < 2)
            throw new UsageError(
              "This command takes at least two arguments: a tag name/ID and one or more package n-v-r's or package names",
            );
          const client = await rt.client(true);
          const tag = await client.call<TagInfo | null>('getTag', [args[0]]);
          if (!tag) throw new UsageError(`No such tag: ${args[0]}`);
          const nvrs: string[] = [];
          if (o.all) {
            for (const pkg of args.slice(1))
              for (const b of await client.call<TaggedBuild[]>('listTagged', [tag.id, kw({ package: pkg })]))
                nvrs.push(b.nvr);
          } else if (o.nonStrict) {
            nvrs.push(...args.slice(1));
          } else {
            const packages = new Set(args.slice(1).map((nvr) => parseNVR(nvr).name));
            const tagged = new Set<string>();
            for (const pkg of packages)
              for (const b of await client.call<TaggedBuild[]>('listTagged', [tag.id, kw({ package: pkg })]))
                tagged.add(b.nvr);
            let missing = false;
            for (const nvr of args.slice(1)) {
              if (tagged.has(nvr)) {
                nvrs.push(nvr);
                continue;
              }
              if (!(await client.call<BuildInfo | null>('getBuild', [nvr])))
                warn(rt, `No such build: ${nvr}`);
              else warn(rt, `Build ${nvr} not in tag ${tag.name}`);
              missing = true;
            }
            if (missing && !o.force) return 1;
          }
          for (const nvr of nvrs.reverse()) {
            if (o.test) {
              rt.print(`would have untagged ${nvr}`);
              continue;
            }
            if (o.verbose) rt.print(`untagging ${nvr}`);
            await client.call('untagBuild', [
              tag.name,
              nvr,
              kw({ force: !!o.force, ...(o.nonStrict ? { strict: false } : {}) }),
            ]);
          }
        },
      ),
    );

  subcommand(program, rt, 'list-tagged', 'List the builds in a tag')
    .usage('[options] <tag> [<package>]')
    .argument('[args...]')
    .option('--inherit', 'Follow inheritance')
    .option('--latest', 'Only show the latest builds')
    .option('--quiet', 'Do not print the header information')
    .option('--event <event#>', 'query at event', parseEventOption)
    .action(
      action(
        rt,
        'list-tagged',
        async (
          args: string[],
          o: { inherit?: boolean; latest?: boolean; quiet?: boolean; event?: number },
        ) => {
          if (!args.length) throw new UsageError('A tag name must be specified');
          if (args.length > 2) throw new UsageError('Only one package name may be specified');
          const client = await rt.client(false);
          const opts: Record<string, unknown> = { latest: !!o.latest, inherit: !!o.inherit };
          if (args[1]) opts.package = args[1];
          if (o.event !== undefined) {
            opts.event = o.event;
            rt.print(`Querying at event ${o.event}`);
          }
          await tagOrFail(client, args[0]);
          const data = await client.call<TaggedBuild[]>('listTagged', [args[0], kw(opts)]);
          if (!o.quiet && !rt.quiet) {
            rt.print(`${pad('Build', 40)}  ${pad('Tag', 20)}  Built by`);
            rt.print(`${'-'.repeat(40)}  ${'-'.repeat(20)}  ${'-'.repeat(16)}`);
          }
          const lines = data.map(
            (b) => `${pad(b.nvr, 40)}  ${pad(b.tag_name, 20)}  ${pad(b.owner_name, 16)}`,
          );
          for (const l of lines.sort()) rt.print(l);
        },
      ),
    );

  subcommand(program, rt, 'list-builds', 'Print the build listing')
    .usage('[options]')
    .argument('[args...]')
    .option('--package <package>', 'List builds for this package')
    .option('--owner <user>', 'List builds built by this owner')
    .option('--prefix <prefix>', 'Only builds starting with this prefix')
    .option('--pattern <glob>', 'Only list builds matching this GLOB pattern')
    .option('--state <state>', 'List builds in this state')
    .option('--quiet', 'Do not print the header information')
    .action(
      action(
        rt,
        'list-builds',
        async (
          args: string[],
          o: {
            package?: string;
            owner?: string;
            prefix?: string;
            pattern?: string;
            state?: string;
            quiet?: boolean;
          },
        ) => {
          if (args.length) throw new UsageError('This command takes no arguments');
          const client = await rt.client(false);
          const opts: Record<string, unknown> = {};
          if (o.prefix !== undefined) opts.prefix = o.prefix;
          if (o.pattern !== undefined) opts.pattern = o.pattern;
          if (o.package) {
            // Koji's list-builds: a package name that does not exist is a usage error, not an empty list.
            if (!/^\d+$/.test(o.package) && (await client.call('getPackageID', [o.package])) === null)
              throw new UsageError(`No such package: ${o.package}`);
            // A name or an id: this hub's listBuilds takes either as packageID.
            opts.packageID = /^\d+$/.test(o.package) ? Number(o.package) : o.package;
          }
          if (o.owner) {
            if (/^\d+$/.test(o.owner)) opts.userID = Number(o.owner);
            else {
              const u = await client.call<{ id: number } | null>('getUser', [o.owner]);
              if (!u) throw new UsageError(`No such user: ${o.owner}`);
              opts.userID = u.id;
            }
          }
          if (o.state !== undefined) {
            const n = /^\d+$/.test(o.state) ? Number(o.state) : BUILD_STATES.indexOf(o.state.toUpperCase());
            if (n < 0 || n >= BUILD_STATES.length) throw new UsageError(`Invalid state: ${o.state}`);
            opts.state = n;
          }
          if (!Object.keys(opts).length) throw new UsageError('Filter must be provided for list');
          const data = await client.call<BuildInfo[]>('listBuilds', [kw(opts)]);
          data.sort((a, b) => (a.nvr < b.nvr ? -1 : a.nvr > b.nvr ? 1 : 0));
          if (!o.quiet && !rt.quiet) {
            rt.print(`${pad('Build', 55)}  ${pad('Built by', 16)}  State`);
            rt.print(`${'-'.repeat(55)}  ${'-'.repeat(16)}  ${'-'.repeat(16)}`);
          }
          for (const b of data)
            rt.print(`${pad(b.nvr, 55)}  ${pad(b.owner_name, 16)}  ${BUILD_STATES[b.state] ?? b.state}`);
        },
      ),
    );

  subcommand(program, rt, 'wait-repo', 'Wait for a repo to be regenerated')
    .usage('[options] <tag>')
    .argument('[args...]')
    .option(
      '--build <NVR>',
      'Check that the given build is in the newly-generated repo (may be used multiple times)',
      collect,
    )
    .option('--target', 'Interpret the argument as a build target name')
    .option('--request', 'Create a repo request (requires auth)')
    .option('--no-request', 'Do not create a repo request (the default)')
    .option(
      '--timeout <minutes>',
      'Amount of time to wait (in minutes) before giving up (default: 120)',
      parseFloatOption('--timeout'),
    )
    .option('-v, --verbose', 'Be verbose')
    .option('--quiet', 'Suppress output, success or failure will be indicated by the return value only')
    .action(action(rt, 'wait-repo', (args: string[], o: WaitRepoOptions) => waitRepo(rt, args, o)));

  subcommand(program, rt, 'regen-repo', 'Force a repo to be regenerated [repo permission]')
    .usage('[options] <tag>')
    .argument('[args...]')
    .option('--target', 'Interpret the argument as a build target name')
    .option('--wait', 'Wait on for regen to finish (the default)')
    .option('--nowait', "Don't wait on for regen to finish")
    .option('--debuginfo', 'Include debuginfo rpms in repo')
    .option('--source, --src', 'Include source rpms in each of repos')
    .option('--separate-source, --separate-src', 'Include source rpms in separate src repo')
    .action(
      action(
        rt,
        'regen-repo',
        async (
          args: string[],
          o: {
            target?: boolean;
            nowait?: boolean;
            debuginfo?: boolean;
            source?: boolean;
            separateSource?: boolean;
          },
        ) => {
          if (!args.length) throw new UsageError('A tag name must be specified');
          if (args.length > 1)
            throw new UsageError(
              o.target ? 'Only a single target may be specified' : 'Only a single tag may be specified',
            );
          const client = await rt.client(true);
          let tag = args[0];
          let info: TagInfo;
          if (o.target) {
            const t = await client.call<TargetInfo | null>('getBuildTarget', [tag]);
            if (!t) throw new UsageError(`No such build target: ${tag}`);
            tag = t.build_tag_name;
            info = await client.call<TagInfo>('getTag', [tag, kw({ strict: true })]);
          } else {
            const t = await client.call<TagInfo | null>('getTag', [tag]);
            if (!t) throw new UsageError(`No such tag: ${tag}`);
            info = t;
            tag = t.name;
            if (!(await client.call<TargetInfo[]>('getBuildTargets', [kw({ buildTagID: t.id })])).length)
              warn(rt, `${tag} is not a build tag`);
          }
          if (!info.arches) warn(rt, `Tag ${info.name} has an empty arch list`);
          const opts: Record<string, unknown> = {};
          if (o.debuginfo) opts.debuginfo = true;
          if (o.source) opts.src = true;
          if (o.separateSource) opts.separate_src = true;
          const taskId = await client.call<number>('newRepo', [tag, kw(opts)]);
          rt.print(`Regenerating repo for tag: ${tag}`);
          rt.print(`Created task: ${taskId}`);
          rt.print(`Task info: ${rt.profile.weburl}/taskinfo?taskID=${taskId}`);
          return maybeWatch(rt, client, [taskId], o);
        },
      ),
    );
}
