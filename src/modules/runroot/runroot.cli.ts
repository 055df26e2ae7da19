// Koji's runroot CLI (plugins/cli/runroot.py, spec §4.3): its options and help texts, options
// stopping at the first positional, `Incorrect number of arguments`, the missing-plugin hint, the
// call, --task-id, --nowait, --watch, and the default wait on taskFinished that prints runroot.log
// as raw bytes and exits 1 when the task FAILED or was CANCELED, Ctrl-C cancelling the task.
// Beyond Koji (spec §7 R12, §8.3): --watch shows runroot.log live as the command writes it (through
// runrootLog), --json prints {task_id, state, exit_status, log}, a failed task's reason is printed on
// stderr, and -w takes any number.
import type { Command } from 'commander';
import type { HubClient } from '../../cli/client.js';
import { action, processIo, Runtime, subcommand, UsageError, type Io } from '../../cli/runtime.js';
import { KojiError } from '../../kernel/errors.js';
import { runrootLogPending, taskOutputPath, watchTasks } from '../tasks/tasks.cli.js';

const STATE_NAMES = ['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'];
const CLOSED = 2;
const CANCELED = 3;
const FAILED = 5;
const PLUGIN_MISSING =
  '* The runroot plugin appears to not be installed on the koji hub.  Please contact the administrator.';

interface RunrootCliOptions {
  package?: string[];
  mount?: string[];
  skipSetarch?: boolean;
  weight?: string;
  channelOverride?: string;
  taskId?: boolean;
  useShell?: boolean;
  repoId?: string;
  nowait?: boolean;
  watch?: boolean;
  quiet?: boolean;
  json?: boolean;
  runAs?: string;
}

interface TaskInfo {
  id: number;
  state: number;
  host_id: number | null;
}

interface LogChunk {
  data: string;
  offset: number;
  size: number;
  complete: boolean;
}

/** The longest wait for a stopped command's log (the hub takes it for a minute, LATE_UPLOAD_MS). */
const LOG_SETTLE_MAX_MS = 90_000;

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

function intOption(name: string, v: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(v)) throw new UsageError(`option ${name}: invalid integer value: '${v}'`);
  return Number(v);
}

function numberOption(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`option ${name}: invalid number value: '${v}'`);
  return n;
}

/** Raw bytes to stdout: the real stream takes them as they are; an in-memory Io gets text. */
function writeBytes(io: Io, bytes: Buffer): void {
  if (!bytes.length) return;
  if (io === processIo) process.stdout.write(bytes);
  else io.out(bytes.toString('utf8'));
}

/** Runs `fn` with Ctrl-C caught (instead of killing the process); `onInt` decides what it means. */
async function withSigint<T>(onInt: () => void, fn: () => Promise<T>): Promise<T> {
  process.on('SIGINT', onInt);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', onInt);
  }
}

function pause(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, seconds * 1000);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The command's exit status from the task's result or fault text (128+N for a signal), or null. */
export function exitStatus(state: number, text: string | null): number | null {
  if (state === CLOSED) return 0;
  if (text === null) return null;
  const exited = / exited with status (\d+)$/.exec(text);
  if (exited) return Number(exited[1]);
  const killed = / was killed by signal (\d+)$/.exec(text);
  return killed ? 128 + Number(killed[1]) : null;
}

/** The task's fault as Koji's CLI shows errors, or null when it has none. */
async function failureOf(client: HubClient, id: number): Promise<KojiError | null> {
  try {
    await client.call('getTaskResult', [id]);
    return null;
  } catch (e) {
    if (e instanceof KojiError) return e;
    throw e;
  }
}

/** `[name, volume]` for every volume that has runroot.log. */
async function logVolumes(client: HubClient, id: number): Promise<string[]> {
  let out: Record<string, string[]> | string[];
  try {
    out = await client.call<Record<string, string[]>>('listTaskOutput', [id, false, true]);
  } catch (e) {
    // Koji's fallback for hubs without all_volumes.
    if (!(e instanceof KojiError) || !/all_volumes/.test(e.message)) throw e;
    out = await client.call<string[]>('listTaskOutput', [id]);
    return out.includes('runroot.log') ? ['DEFAULT'] : [];
  }
  return (out as Record<string, string[]>)['runroot.log'] ?? [];
}

async function downloadLog(client: HubClient, id: number, volume: string): Promise<Buffer> {
  const b64 = await client.call<string>('downloadTaskOutput', [
    id,
    'runroot.log',
    { volume, __starstar: true },
  ]);
  return Buffer.from(b64, 'base64');
}

/**
 * --watch: Koji's watch_tasks, with runroot.log printed as the command writes it. Each time the
 * watch looks at the task, the log is brought up to date first, so its lines come before the state
 * change they lead to; watch lines start on a fresh line when the log left one unfinished.
 */
async function watchWithLog(rt: Runtime, client: HubClient, id: number, quiet: boolean): Promise<number> {
  let midLine = false;
  const io: Io = {
    ...rt.io,
    out: (text: string) => {
      if (midLine && text) {
        rt.io.out('\n');
        midLine = false;
      }
      rt.io.out(text);
    },
  };
  let offset = 0;
  let complete = false;
  const catchUp = async (): Promise<void> => {
    while (!complete) {
      const c = await client.call<LogChunk>('runrootLog', [id, offset]);
      const bytes = Buffer.from(c.data, 'base64');
      if (bytes.length) {
        writeBytes(rt.io, bytes);
        midLine = bytes[bytes.length - 1] !== 0x0a;
        offset += bytes.length;
      }
      complete = c.complete && offset >= c.size;
      if (offset >= c.size) return;
    }
  };
  const watching = Object.create(client) as HubClient;
  watching.call = (async (method: string, params?: unknown[] | Record<string, unknown>) => {
    const result = await client.call(method, params);
    const ours = method === 'getTaskInfo' && Array.isArray(params) && params[0] === id;
    if (ours) await catchUp().catch(() => undefined);
    return result;
  }) as HubClient['call'];
  return watchTasks(new Runtime(rt.program, io), watching, [id], quiet);
}

async function runrootAction(rt: Runtime, args: string[], o: RunrootCliOptions, newChroot: boolean | null) {
  if (args.length < 3) throw new UsageError('Incorrect number of arguments');
  if (o.json && o.watch) throw new UsageError('--json cannot be used with --watch');
  const [tag, arch, ...rest] = args;
  const command: string | string[] = o.useShell ? rest.join(' ') : rest;
  const weight = o.weight === undefined ? null : numberOption('-w/--weight', o.weight);
  const repoId = o.repoId === undefined ? null : intOption('--repo-id', o.repoId);
  const quiet = o.quiet ?? rt.quiet;
  const client = await rt.client(true);
  const kwargs: Record<string, unknown> = {
    channel: o.channelOverride ?? null,
    packages: o.package ?? [],
    mounts: o.mount ?? [],
    repo_id: repoId,
    skip_setarch: !!o.skipSetarch,
    weight,
  };
  if (newChroot !== null) kwargs.new_chroot = newChroot;
  // Sent only when given: a hub without it then never sees the keyword.
  if (o.runAs !== undefined) kwargs.run_as = o.runAs;
  let id: number;
  try {
    id = await client.call<number>('runroot', [tag, arch, command, { ...kwargs, __starstar: true }]);
  } catch (e) {
    if (e instanceof KojiError && e.message.includes('Invalid method')) rt.print(PLUGIN_MISSING);
    throw e;
  }
  if (o.taskId) rt.print(String(id));
  const topurl = rt.profile.topurl ?? `${new URL(rt.profile.server).origin}/files`;
  const report = async (info: TaskInfo | null) => {
    const state = info?.state ?? null;
    const failure = state === FAILED ? await failureOf(client, id) : null;
    const vols = state === null ? [] : await logVolumes(client, id);
    return {
      task_id: id,
      state: state === null ? null : (STATE_NAMES[state] ?? String(state)),
      exit_status:
        state === null
          ? null
          : exitStatus(
              state,
              state === CLOSED
                ? String(await client.call('getTaskResult', [id]))
                : (failure?.message ?? null),
            ),
      log: vols.length ? `${topurl}/${taskOutputPath(id, vols[0])}/runroot.log` : null,
      failure,
    };
  };
  if (o.nowait) {
    if (o.json) {
      const { failure: _f, ...r } = await report(await client.call<TaskInfo | null>('getTaskInfo', [id]));
      rt.print(JSON.stringify(r));
    }
    return 0;
  }
  if (o.watch) return watchWithLog(rt, client, id, quiet);

  const ctl = new AbortController();
  let interrupted = false;
  await withSigint(
    () => {
      interrupted = true;
      ctl.abort();
    },
    async () => {
      while (!ctl.signal.aborted && !(await client.call<boolean>('taskFinished', [id])))
        await pause(rt.profile.pollInterval, ctl.signal);
    },
  );
  if (interrupted) {
    rt.print('User interrupt: canceling runroot task');
    await client.call('cancelTask', [id]);
    return 1;
  }
  // A canceled or stopped command's log reaches the hub moments after the task ended.
  const until = Date.now() + LOG_SETTLE_MAX_MS;
  while (Date.now() < until && (await runrootLogPending(client, { id, method: 'runroot' })))
    await pause(rt.profile.pollInterval, ctl.signal);
  const info = await client.call<TaskInfo | null>('getTaskInfo', [id]);
  if (o.json) {
    const { failure, ...r } = await report(info);
    rt.print(JSON.stringify(r));
    if (failure) rt.io.err(`koji-es: ${failure.faultName}: ${failure.message}\n`);
  } else {
    if (!quiet) {
      const vols = await logVolumes(client, id);
      for (const vol of vols) writeBytes(rt.io, await downloadLog(client, id, vol));
      // Koji prints nothing then; an empty answer read as "the command printed nothing". Hubs that
      // share a database but not their files have the log only where the builder uploaded it.
      if (!vols.length && info && info.host_id !== null)
        rt.io.err(
          `koji-es: warning: runroot.log of task ${id} not found: ${rt.profile.server} lists no runroot.log in its output (${topurl}/${taskOutputPath(id, 'DEFAULT')}/runroot.log)\n`,
        );
    }
    if (info?.state === FAILED) {
      const f = await failureOf(client, id);
      if (f) rt.io.err(`koji-es: ${f.faultName}: ${f.message}\n`);
    } else if (info?.state === CANCELED) rt.io.err(`koji-es: runroot task ${id} was canceled\n`);
  }
  if (!info || info.state === FAILED || info.state === CANCELED) return 1;
  return 0;
}

export function registerRunroot(program: Command, rt: Runtime): void {
  let newChroot: boolean | null = null;
  const cmd = subcommand(program, rt, 'runroot', '[admin] Run a command in a buildroot')
    .usage('[options] <tag> <arch> <command>')
    .argument('[args...]')
    .passThroughOptions()
    .option('-p, --package <PACKAGE>', 'make sure this package is in the chroot', collect)
    .option('-m, --mount <MOUNT>', 'mount this directory read-write in the chroot', collect)
    .option('--skip-setarch', 'bypass normal setarch in the chroot')
    .option('-w, --weight <WEIGHT>', 'set task weight')
    .option('--channel-override <CHANNEL_OVERRIDE>', 'use a non-standard channel')
    .option('--task-id', 'Print the ID of the runroot task')
    .option('--use-shell', 'Run command through a shell, otherwise uses exec')
    .option('--new-chroot', 'Run command with the --new-chroot (systemd-nspawn) option to mock')
    .option('--old-chroot', 'Run command with the --old-chroot (systemd-nspawn) option to mock')
    .option('--repo-id <REPO_ID>', 'ID of the repo to use')
    .option('--nowait', 'Do not wait on task')
    .option('--watch', 'Watch task instead of printing runroot.log')
    .option('--quiet', 'Do not print the task information')
    .option('--json', 'Print {task_id, state, exit_status, log} as JSON instead of runroot.log (koji-es)')
    .option(
      '--run-as <UID[:GID]>',
      'Run as this host user: root in the buildroot, but what the command writes on mounts is theirs (koji-es)',
    );
  // Koji's --new-chroot and --old-chroot share one destination: the last one given wins.
  cmd.on('option:new-chroot', () => (newChroot = true));
  cmd.on('option:old-chroot', () => (newChroot = false));
  cmd.action(
    action(rt, 'runroot', (args: string[], o: RunrootCliOptions) => runrootAction(rt, args, o, newChroot)),
  );
}
