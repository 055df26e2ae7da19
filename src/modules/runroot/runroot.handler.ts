// The builder's runroot task handler, rebuilt from Koji's plugins/builder/runroot.py (RunRootTask,
// method `runroot`, _taskWeight 2.0; spec §4.2): Koji's arguments, weight rule, noarch choice,
// repo checks and waiting, package install, command forms, result text and error messages, on
// koji-es's buildroots and sandbox (DESIGN §8) instead of mock. Deliberate differences:
// - R1/R2/R3: mounts are compared segment by segment and path_subs are anchored and re-checked
//   (runroot.mounts.ts);
// - no host-side mounts at all: every mount is a bind the sandbox makes in its own namespace, so
//   nothing is left mounted and a symlink in the buildroot cannot redirect a mount onto the host
//   (R10 has nothing to clean up);
// - host-side log capture: stdout+stderr go to one pipe the builder writes to runroot.log, instead of
//   Koji's `{ cmd; } 2>&1 | tee …; exit ${PIPESTATUS[0]}` wrapper, which needs bash in the root (R9);
//   a command list is exec'd as is, a string runs under `/bin/sh -c`; the log is streamed to the hub
//   while the command runs and capped at `[runroot] max_log_size`;
// - R4: the new buildroot's own rpmdb environment files (`/var/lib/rpm/__db*`) and dnf/yum caches are
//   removed when it is made (Koji's glob hits the host's; pungi removes them by hand);
// - R5: `upload_logs` are read from inside the buildroot only, an absolute path taken relative to it,
//   and no symlink is ever followed (a log that is a symlink fails the task instead of being read);
// - R8: `repo_id` matches the task's tag by id or by name;
// - R9: `skip_setarch` uses no personality at all; otherwise a 32-bit buildroot arch on a 64-bit
//   host runs under `setarch` (mock's default);
// - a wall-clock limit (`[runroot] timeout`) kills the command's whole process tree;
// - no network unless the tag's extra `runroot.network` or runroot.conf allows it;
// - `keep`, `new_chroot` and `[runroot] internal_dev_setup` are accepted and have no effect (no mock);
// - `run_as` (koji-es, spec §8.3): the buildroot is handed to that host user and the sandbox runs as
//   them, root inside, so files written on mounts are theirs (pungi appends chown -R for this);
// - `[runroot] capture_on_failure` (spec §8.4): a failed command's chosen files are archived at once.
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { machine } from 'node:os';
import { join } from 'node:path';
import { Buildroot, type BaseRoot } from '../../builder/buildroot.js';
import type { BuilderTask, TaskContext, TaskHandler } from '../../builder/handler.js';
import { openInside, InsideError } from '../../builder/sandbox/inside.js';
import {
  chooseDriver,
  hostTools,
  runSandboxed,
  type BindMount,
  type SandboxDriver,
  type SandboxOutcome,
  type SandboxSpec,
} from '../../builder/sandbox/index.js';
import { genericError, KojiError, parameterError } from '../../kernel/errors.js';
import { pyRepr } from '../../rpc/method.js';
import { canonArch } from '../tasks/arches.js';
import { loadRunrootConfig, type RunrootConfig } from './runroot.conf.js';
import { isUnder, taskBinds } from './runroot.mounts.js';
import { checkCommand, checkOpts, runAsIds, type RunrootOpts } from './runroot.request.js';
import { unreachable, type HostIds } from '../../builder/sandbox/reach.js';
import { exec, writeIntoBuilddir } from '../../builder/buildroot.js';
import { tagMacros } from './runroot.macros.js';
import { archiveTree } from '../../builder/archive/archive.js';
import { loadSaveFailedTreeConf } from '../failed-tree/failed-tree.builder-conf.js';
import { LogTail } from '../../builder/tail.js';

const ARG_NAMES = [
  'root',
  'arch',
  'command',
  'keep',
  'packages',
  'mounts',
  'repo_id',
  'skip_setarch',
  'weight',
  'upload_logs',
  'new_chroot',
];

const REPO_STATE_NAMES = ['INIT', 'READY', 'EXPIRED', 'DELETED', 'PROBLEM'];
/** The task output a failure capture goes to. */
export const CAPTURE_FILE = 'failure-capture.tar.gz';
const REPO_READY = 1;
const REPO_EXPIRED = 2;
const REPO_POLL_MS = 500;

/** The sandbox's environment, as mock gives a chroot command. */
const ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/builddir',
  SHELL: '/bin/sh',
  TERM: 'vt100',
  LANG: 'C.UTF-8',
};

type TagRef = string | number | Record<string, unknown>;

interface BuildConfig {
  id: number;
  name: string;
  arches: string | null;
  extra: Record<string, unknown>;
}

interface RepoInfo {
  id: number;
  tag_id: number;
  tag_name: string;
  state: number;
}

interface Bound {
  root: TagRef;
  arch: string;
  command: string | string[];
  opts: RunrootOpts;
}

const buildError = (m: string) => new KojiError('BuildError', m);
const buildrootError = (m: string) => new KojiError('BuildrootError', m);
const tagText = (root: TagRef) => (typeof root === 'object' ? pyRepr(root) : String(root));

/** Python's binding of `handler(root, arch, command, keep=False, packages=[], …)`, then the hub's option checks. */
export function bindRunrootArgs(task: Pick<BuilderTask, 'args' | 'kwargs'>): Bound {
  const { args, kwargs } = task;
  if (args.length < 3) {
    const missing = ARG_NAMES.slice(args.length, 3).map((n) => `'${n}'`);
    throw parameterError(
      `runroot() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${missing.join(' and ')}`,
    );
  }
  if (args.length > ARG_NAMES.length)
    throw parameterError(
      `runroot() takes from 4 to ${ARG_NAMES.length + 1} positional arguments but ${args.length + 1} were given`,
    );
  const kw: Record<string, unknown> = { ...kwargs };
  for (let i = 3; i < args.length; i++) {
    if (ARG_NAMES[i] in kw)
      throw parameterError(`runroot() got multiple values for argument '${ARG_NAMES[i]}'`);
    kw[ARG_NAMES[i]] = args[i];
  }
  for (const n of ARG_NAMES.slice(0, 3))
    if (n in kw) throw parameterError(`runroot() got multiple values for argument '${n}'`);
  const root = args[0];
  if (typeof root !== 'string' && typeof root !== 'number' && (typeof root !== 'object' || root === null))
    throw parameterError(`runroot: invalid tag ${pyRepr(root)}`);
  if (typeof args[1] !== 'string') throw parameterError(`runroot: invalid arch ${pyRepr(args[1])}`);
  return { root: root as TagRef, arch: args[1], command: checkCommand(args[2]), opts: checkOpts(kw) };
}

/** Koji's result name: the basename of the first word that is not an assignment, or `(none)`. */
export function commandName(command: string | string[]): string {
  const words = typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : command;
  const first = words.find((w) => !w.includes('='));
  return first === undefined ? '(none)' : first.slice(first.lastIndexOf('/') + 1);
}

/** Koji's noarch choice on the builder: the first inherited tag arch the host has. */
export function chooseArch(root: TagRef, hostArches: string, tagArches: string | null): string {
  const host = hostArches.split(/\s+/).filter(Boolean).map(canonArch);
  if (!host.length) throw buildError('No arch list for this host');
  const tag = (tagArches ?? '').split(/\s+/).filter(Boolean).map(canonArch);
  if (!tag.length) throw buildError(`No arch list for tag: ${tagText(root)}`);
  const a = tag.find((t) => host.includes(t));
  if (!a) throw buildError(`host does not match tag arches: ${tagText(root)} (${pyRepr(tag)})`);
  return a;
}

/** Whether the task's tag is the repo's tag: by id or by name (Koji compares names only, R8). */
export function sameTag(root: TagRef, cfg: { id: number; name: string }, repo: RepoInfo): boolean {
  if (repo.tag_id === cfg.id) return true;
  if (typeof root === 'object') return root.id === repo.tag_id || root.name === repo.tag_name;
  return String(root) === repo.tag_name || String(root) === String(repo.tag_id);
}

/** The setarch personality for a buildroot arch on this host (mock's default), or null. */
export function personalityFor(brArch: string, hostMachine = machine()): string | null {
  const c = canonArch(brArch);
  if (c === canonArch(hostMachine)) return null;
  if (c === 'i386' && hostMachine === 'x86_64') return 'i686';
  if ((c === 'armhfp' || c === 'arm') && hostMachine === 'aarch64') return 'armv7l';
  if (c === 'ppc' && hostMachine === 'ppc64') return 'ppc';
  if (c === 's390' && hostMachine === 's390x') return 's390';
  return null;
}

const truthy = (v: unknown) =>
  v === true || v === 1 || (typeof v === 'string' && /^(1|true|yes|on)$/i.test(v.trim()));

/** The base root: the tag's `runroot.rootfs` (inside allowed_rootfs), else default_rootfs, else the host's /usr. */
export function baseRoot(conf: RunrootConfig, extra: Record<string, unknown>, host: string): BaseRoot {
  const fromTag = extra['runroot.rootfs'];
  let path: string | null = null;
  const where = conf.file ?? 'runroot.conf';
  if (fromTag !== undefined && fromTag !== null && fromTag !== '') {
    if (typeof fromTag !== 'string' || !fromTag.startsWith('/'))
      throw buildrootError(
        `the tag's runroot.rootfs must be an absolute path on the builder, not ${pyRepr(fromTag)}`,
      );
    let real: string;
    try {
      real = realpathSync(fromTag);
    } catch {
      throw buildrootError(`the tag's runroot.rootfs ${fromTag} does not exist on host ${host}`);
    }
    const allowed = conf.allowedRootfs.flatMap((d) => {
      try {
        return [realpathSync(d)];
      } catch {
        return [];
      }
    });
    if (!allowed.some((d) => isUnder(real, d)))
      throw buildrootError(
        `the tag's runroot.rootfs ${fromTag} is not under [runroot] allowed_rootfs (${
          conf.allowedRootfs.join(', ') || 'empty'
        }) of ${where} on host ${host}`,
      );
    path = real;
  } else if (conf.defaultRootfs) path = conf.defaultRootfs;
  if (!path) return { kind: 'host' };
  let st;
  try {
    st = statSync(path);
  } catch {
    throw buildrootError(`base root ${path} does not exist on host ${host}`);
  }
  if (st.isDirectory()) return { kind: 'dir', path };
  if (st.isFile()) return { kind: 'tarball', path };
  throw buildrootError(`base root ${path} on host ${host} is neither a directory nor a tarball`);
}

/** A hostname for the sandbox, from Koji's mock root name `<tag>-<buildroot id>-<repo id>`. */
function sandboxHostname(tag: string, brId: number, repoId: number | null): string {
  const name = `${tag}-${brId}-${repoId ?? 0}`.replace(/[^A-Za-z0-9.-]/g, '-').replace(/^-+/, '');
  return name.slice(0, 63) || `buildroot-${brId}`;
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Koji's repo step: a given repo is checked; otherwise the latest READY one, or one requested and waited for. */
async function pickRepo(
  ctx: TaskContext,
  root: TagRef,
  cfg: BuildConfig,
  repoId: number | null,
): Promise<number> {
  const hub = ctx.hub;
  if (repoId !== null) {
    const repo = await hub.call<RepoInfo>('repoInfo', [repoId, true]);
    if (!sameTag(root, cfg, repo))
      throw buildError(`build tag (${tagText(root)}) does not match repo tag (${repo.tag_name})`);
    if (repo.state !== REPO_READY && repo.state !== REPO_EXPIRED)
      throw buildError(
        `repos in the ${REPO_STATE_NAMES[repo.state] ?? repo.state} state may not be used by runroot`,
      );
    return repo.id;
  }
  const ready = await hub.call<RepoInfo | null>('getRepo', [cfg.id]);
  if (ready) return ready.id;
  // Koji spawns a waitrepo subtask; the builder asks the repo manager itself and polls.
  const asked = await hub.call<{ repo: RepoInfo | null; request: { id: number } | null }>('repo.request', [
    cfg.id,
  ]);
  if (asked.repo) return asked.repo.id;
  if (!asked.request) throw buildError(`no repo for tag ${cfg.name} and no repo request could be made`);
  ctx.log.info(`waiting for a repo of tag ${cfg.name} (repo request ${asked.request.id})`);
  for (;;) {
    if (ctx.signal.aborted) throw new Error('aborted');
    const st = await hub.call<{ repo: RepoInfo | null; request: { active: boolean } }>('repo.checkRequest', [
      asked.request.id,
    ]);
    if (st.repo && (st.repo.state === REPO_READY || st.repo.state === REPO_EXPIRED)) return st.repo.id;
    if (!st.request.active)
      throw buildError(`repo request ${asked.request.id} for tag ${cfg.name} ended without a repo`);
    await sleep(REPO_POLL_MS, ctx.signal);
  }
}

/**
 * A run as another host user needs bwrap (it maps root inside to that user outside), a builder that
 * may switch to them (root, or that user already), and a work directory they can reach.
 */
function checkRunAs(ids: HostIds, driver: SandboxDriver, host: string, workdir: string): void {
  const who = `run_as ${ids.uid}:${ids.gid}`;
  if (driver.name !== 'bwrap')
    throw buildrootError(
      `${who} needs the bwrap sandbox driver; host ${host} uses ${driver.name} ([runroot] driver in runroot.conf)`,
    );
  const me = process.getuid?.() ?? 0;
  if (me !== 0 && me !== ids.uid)
    throw buildrootError(
      `${who}: the builder on host ${host} runs as uid ${me} and cannot switch to another user`,
    );
  const blocked = unreachable(workdir, ids);
  if (blocked)
    throw buildrootError(
      `${who}: uid ${ids.uid} cannot reach the builder's work directory on host ${host}: ${blocked} is not searchable by it`,
    );
}

/** What a finished sandbox run means for the task, in Koji's words where Koji has them. */
function failure(what: string, o: SandboxOutcome, driver: SandboxDriver): KojiError | null {
  switch (o.kind) {
    case 'exit':
      return o.code === 0 ? null : buildrootError(`${what} exited with status ${o.code}`);
    case 'signal':
      return buildrootError(`${what} was killed by signal ${o.signal}`);
    case 'setup':
      return buildrootError(
        `the ${driver.name} sandbox could not be set up, so ${what} never ran: ${o.message}`,
      );
    case 'timeout':
      return buildrootError(
        `${what} did not finish within the runroot time limit of ${o.seconds} s ([runroot] timeout): its whole process tree was killed`,
      );
    case 'aborted':
      return genericError('the task was stopped');
  }
}

export async function runRunroot(task: BuilderTask, ctx: TaskContext): Promise<string> {
  const { root, arch, command, opts } = bindRunrootArgs(task);
  const conf = loadRunrootConfig(ctx.builder.configDir);
  for (const w of conf.warnings) ctx.log.warn(w);
  if (opts.weight !== null) await ctx.setWeight(Math.max(opts.weight, 0.5));
  const hub = ctx.hub;
  const hostName = ctx.builder.host.name;

  // What the task needs from the hub, asked all at once.
  const [cfg, host, ready] = await Promise.all([
    hub.call<BuildConfig>('getBuildConfig', [root]),
    arch === 'noarch' ? hub.call<{ arches: string } | null>('getHost', [ctx.builder.host.id]) : null,
    opts.repo_id === null ? hub.call<RepoInfo | null>('getRepo', [root]) : null,
  ]);
  const brArch = arch === 'noarch' ? chooseArch(root, host?.arches ?? '', cfg.arches) : arch;
  if (!/^[a-zA-Z0-9_-]+$/.test(brArch))
    throw buildError(`cannot make a buildroot for arch ${pyRepr(brArch)}`);
  const argv = Array.isArray(command) ? command : ['/bin/sh', '-c', command];
  if (!argv.length) throw parameterError('runroot: the command is empty');
  const cmd = commandName(command);
  if (opts.packages.length && !conf.installCommand)
    throw buildrootError(
      `packages were asked for (${opts.packages.join(' ')}) but host ${hostName} has no [runroot] install_command in ${
        conf.file ?? 'runroot.conf'
      }`,
    );
  // Everything that can be refused is refused before a buildroot is made.
  const mountBinds: BindMount[] = taskBinds(conf, opts.mounts);
  const base = baseRoot(conf, cfg.extra ?? {}, hostName);
  const driver = await chooseDriver(conf.driver, hostName);
  const runAs = runAsIds(opts.run_as);
  if (runAs) checkRunAs(runAs, driver, hostName, ctx.builder.workdir);
  const network = conf.network || truthy(cfg.extra?.['runroot.network']);
  const repoId = ready ? ready.id : await pickRepo(ctx, root, cfg, opts.repo_id);
  if (opts.new_chroot !== null)
    ctx.log.debug(`new_chroot=${opts.new_chroot}: no mock here, nothing to switch`);

  const br = await Buildroot.create(ctx, task.id, {
    tag: { id: cfg.id, name: cfg.name },
    arch: brArch,
    repoId,
    base,
  });
  let result: 'closed' | 'failed' | 'aborted' = 'failed';
  try {
    await writeMacros(ctx, br.root, cfg);
    // The buildroot is this task's alone: its new owner is root inside the sandbox.
    if (runAs) await exec(['chown', '-hR', `${runAs.uid}:${runAs.gid}`, br.root], ctx.signal);
    const hostname = sandboxHostname(cfg.name, br.id, repoId);
    const spec = (argv: string[]): SandboxSpec => ({
      root: br.root,
      argv,
      binds: [...br.binds, ...mountBinds],
      network,
      hostname,
      cwd: '/builddir',
      env: { ...ENV, HOSTNAME: hostname },
      personality: opts.skip_setarch ? null : personalityFor(brArch),
      runAs,
    });
    const deadline = conf.timeoutSec > 0 ? Date.now() + conf.timeoutSec * 1000 : 0;
    const remaining = () => (deadline ? Math.max(1, deadline - Date.now()) : 0);
    const capture = (name: string) => ({
      logPath: join(ctx.workdir, name),
      maxLogBytes: conf.maxLogSize,
      timeoutMs: remaining(),
      signal: ctx.signal,
    });
    const timeoutOf = (o: SandboxOutcome): SandboxOutcome =>
      o.kind === 'timeout' ? { kind: 'timeout', seconds: conf.timeoutSec } : o;

    if (opts.packages.length) {
      ctx.log.info(`installing ${opts.packages.join(' ')}`);
      const r = await runSandboxed(
        driver,
        spec([...conf.installCommand!, ...opts.packages]),
        hostTools(),
        capture('install.log'),
      );
      if (r.outcome.kind === 'aborted') {
        // As runroot.log's: what a stopped install wrote is task output too.
        await ctx.upload
          .upload('install.log', join(ctx.workdir, 'install.log'), { afterAbortMs: STOPPED_LOG_MS })
          .then(
            (u) => ctx.log.info(`install.log of the stopped install uploaded (${u.size} bytes)`),
            (e: unknown) =>
              ctx.log.warn(`install.log of the stopped install not uploaded: ${(e as Error).message}`),
          );
        throw genericError('the task was stopped');
      }
      await ctx.upload.upload('install.log', join(ctx.workdir, 'install.log'));
      const err = failure(`--install ${opts.packages.join(' ')}`, timeoutOf(r.outcome), driver);
      if (err) throw err;
    }

    const tail = new LogTail(join(ctx.workdir, 'runroot.log'));
    // A canceled or stopped command's log is still task output (a failed runroot's log in Koji is):
    // the upload outlives the task's stop by STOPPED_LOG_MS to send the rest and publish it.
    const live = ctx.upload.upload('runroot.log', tail, { live: true, afterAbortMs: STOPPED_LOG_MS });
    // The upload's failure is awaited below; until then it must not count as unhandled.
    live.catch(() => undefined);
    let run;
    try {
      run = await runSandboxed(driver, spec(argv), hostTools(), capture('runroot.log'));
    } finally {
      tail.end();
    }
    if (run.outcome.kind === 'aborted') {
      await live.then(
        (u) => ctx.log.info(`runroot.log of the stopped command uploaded (${u.size} bytes)`),
        (e: unknown) =>
          ctx.log.warn(`runroot.log of the stopped command not uploaded: ${(e as Error).message}`),
      );
      throw genericError('the task was stopped');
    }
    // The command is over: the buildroot expires while the log's upload finishes — and when nothing
    // can fail the task any more (it succeeded, no upload_logs to read from the root), it goes too.
    const done = run.outcome.kind === 'exit' && run.outcome.code === 0 && !opts.upload_logs?.length;
    await Promise.all([live, done ? br.finish('closed') : br.expire()]);
    if (run.truncated) ctx.log.warn(`runroot.log stopped at max_log_size (${conf.maxLogSize} bytes)`);

    const err = failure(cmd, timeoutOf(run.outcome), driver);
    if (err && run.outcome.kind !== 'setup' && conf.captureOnFailure.length)
      await captureFailure(ctx, br.root, conf);
    const problems = await uploadLogs(ctx, br.root, opts.upload_logs ?? []);
    if (err) throw err;
    if (problems.length) throw genericError(`upload_logs: ${problems.join('; ')}`);
    result = 'closed';
    return `${cmd} completed successfully`;
  } catch (e) {
    if (ctx.signal.aborted) result = 'aborted';
    throw e;
  } finally {
    await br
      .finish(result, result === 'aborted' ? 'was canceled or stopped' : '')
      .catch((e: unknown) => ctx.log.warn(`buildroot ${br.id}: ${(e as Error).message}`));
  }
}

/**
 * The tag's rpm macros in /builddir/.rpmmacros, as mock writes them for kojid; and, when there are
 * any, the same file as task output `rpmmacros.log` (Koji #3875: log the macros a sidetag enables).
 */
async function writeMacros(ctx: TaskContext, root: string, cfg: BuildConfig): Promise<void> {
  const m = tagMacros(cfg.extra ?? {});
  for (const s of m.skipped) ctx.log.warn(`tag ${cfg.name}: ${s}`);
  if (!m.lines.length) return;
  const text = `${m.lines.join('\n')}\n`;
  await writeIntoBuilddir(root, '.rpmmacros', text);
  const log = join(ctx.workdir, MACROS_LOG);
  await writeFile(
    log,
    `# rpm macros of ${cfg.name} (its build config's rpm.macro.*), written to /builddir/.rpmmacros\n${text}`,
  );
  await ctx.upload.upload(MACROS_LOG, log);
}

const MACROS_LOG = 'rpmmacros.log';

/** Under the hub's LATE_UPLOAD_MS, less the time a builder takes to notice a cancel. */
const STOPPED_LOG_MS = 30_000;

/**
 * koji-es (spec §8.4): the files `[runroot] capture_on_failure` names, archived from the failed
 * command's buildroot at once — Save Failed Tree's filters and archiver — as task output
 * `failure-capture.tar.gz`. A capture that fails is logged and never hides the command's failure.
 */
async function captureFailure(ctx: TaskContext, root: string, conf: RunrootConfig): Promise<void> {
  const output = join(ctx.workdir, CAPTURE_FILE);
  try {
    const sft = loadSaveFailedTreeConf(ctx.builder.configDir);
    const r = await archiveTree({
      root,
      full: true,
      output,
      filters: sft.filters,
      capture: conf.captureOnFailure,
      captureMaxBytes: conf.captureMaxSize,
      signal: ctx.signal,
      onWarning: (m) => ctx.log.warn(`${CAPTURE_FILE}: ${m}`),
      onInfo: (m) => ctx.log.info(`${CAPTURE_FILE}: ${m}`),
    });
    ctx.log.info(
      `${CAPTURE_FILE}: ${r.files} files, ${r.contentBytes} bytes (${r.size} compressed); left out: ${r.overLimit} over capture_max_size, ${r.excludedByConfig + r.excludedMandatory} by the filters`,
    );
    await ctx.upload.upload(CAPTURE_FILE, output);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    ctx.log.warn(`${CAPTURE_FILE} could not be made: ${(e as Error).message}`);
  }
}

/**
 * Koji's upload of the extra logs, from inside the buildroot only: each path is taken relative to
 * the root, walked without following symlinks, and must be a regular file. Returns what could not
 * be uploaded.
 */
async function uploadLogs(ctx: TaskContext, root: string, paths: string[]): Promise<string[]> {
  const problems: string[] = [];
  const names = new Set(['runroot.log', 'install.log', CAPTURE_FILE, MACROS_LOG]);
  for (const p of paths) {
    const name = p.slice(p.lastIndexOf('/') + 1);
    if (!name || names.has(name)) {
      problems.push(`${p}: its name ${pyRepr(name)} is taken by another output file`);
      continue;
    }
    let fd: number;
    try {
      fd = openInside(root, p);
    } catch (e) {
      if (!(e instanceof InsideError)) throw e;
      problems.push(`${p}: ${e.message}`);
      continue;
    }
    names.add(name);
    await ctx.upload.upload(name, createReadStream('', { fd }));
  }
  for (const p of problems) ctx.log.warn(`upload_logs ${p}`);
  return problems;
}

export const runrootHandler: TaskHandler = {
  method: 'runroot',
  taskWeight: 2.0,
  run: (task, ctx) => runRunroot(task, ctx),
};
