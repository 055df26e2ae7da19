// Koji's host, channel and task commands (koji_cli/commands.py, koji_cli/lib.py: watch_tasks,
// watch_logs, download_file, _printTaskInfo, print_task), with Koji's names, options and output.
// Deliberate differences: failures follow koji-es's output rules (one line, `koji-es: <Class>: …`);
// taskinfo prints log URLs under the profile's topurl (Koji prints paths under its topdir);
// download-task takes any task's output, shows its progress on stderr with the rate, resumes with a
// Range request only a file whose last bytes match the hub's (Koji appends to any shorter file of
// the name) and checks the size the hub lists; buildrootinfo is ours (Koji shows buildroots only on
// its web pages).
import type { Command } from 'commander';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  truncateSync,
  unlinkSync,
} from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { StringDecoder } from 'node:string_decoder';
import { HubFault, type HubClient } from '../../cli/client.js';
import { checkDownloadDir, fsReason } from '../../cli/local-dir.js';
import { action, parseId, subcommand, UsageError, type Runtime } from '../../cli/runtime.js';
import { KojiError } from '../../kernel/errors.js';
import { pyStr } from '../../kernel/python.js';

// The client keeps its own copy of these tables: importing tasks.events.ts would be harmless
// today, but the CLI must never start depending on the hub's modules.
const STATES = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;
const STATE_NAMES = ['FREE', 'OPEN', 'CLOSED', 'CANCELED', 'ASSIGNED', 'FAILED'];
const BR_STATE_NAMES = ['INIT', 'WAITING', 'BUILDING', 'EXPIRED'];
const FINISHED: number[] = [STATES.CLOSED, STATES.CANCELED, STATES.FAILED];
const DEFAULT_VOLUME = 'DEFAULT';

export interface TaskInfo {
  id: number;
  state: number;
  method: string;
  arch: string;
  owner: number;
  owner_name?: string;
  priority: number;
  parent: number | null;
  host_id: number | null;
  create_ts: number;
  start_ts: number | null;
  completion_ts: number | null;
  request?: unknown[];
}

interface HostInfo {
  id: number;
  name: string;
  arches: string;
  capacity: number;
  task_load: number;
  enabled: boolean;
  ready: boolean;
  description: string | null;
  comment: string | null;
  update_ts: number | null;
}

interface ChannelInfo {
  id: number;
  name: string;
  enabled: boolean;
  description: string | null;
  comment: string | null;
}

interface BuildrootInfo {
  id: number;
  arch: string;
  host_id: number;
  host_name: string;
  task_id: number | null;
  tag_id: number | null;
  tag_name: string | null;
  repo_id: number | null;
  state: number;
  path: string | null;
  create_ts: number;
  create_event_time?: string;
  create_time: string;
  retire_ts: number | null;
  keep_until: string | null;
  removed_at: string | null;
  removed_reason: string | null;
}

interface FileStat {
  st_size: string;
}

// ---- pure helpers (exported for unit tests) --------------------------------------------------------

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** Python's `time.asctime(time.localtime(ts))`: `Tue Nov  4 03:10:02 2026`. */
export function asctime(ts: number): string {
  const d = new Date(ts * 1000);
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${d.getFullYear()}`
  );
}

/** Koji's `formatTimeLong`: `Tue, 24 Nov 2026 03:10:02 UTC`, in local time. */
export function formatTimeLong(ts: number): string {
  const d = new Date(ts * 1000);
  const zone =
    new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
      .formatToParts(d)
      .find((p) => p.type === 'timeZoneName')?.value ?? '';
  return (
    `${DAYS[d.getDay()]}, ${two(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`
  ).trimEnd();
}

/** Python's `%s` of a float: `2.0`, not `2`. */
function pyFloat(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** `koji.taskLabel`: `<method> (<arch>)`, or `<method> (<extra>)` where Koji adds detail. */
export function taskLabel(t: { method: string; arch: string; request?: unknown[] }): string {
  try {
    const req = t.request;
    if (t.method === 'buildArch' && Array.isArray(req) && req.length >= 3) {
      const srpm = String(req[0]).split('/').pop();
      return `${t.method} (${srpm}, ${String(req[2])})`;
    }
    return `${t.method} (${t.arch})`;
  } catch {
    return 'malformed task';
  }
}

/** Koji's `_format_size`. */
export function formatSize(size: number): string {
  if (size >= 1073741824) return `${(size / 1073741824).toFixed(2)} GiB`;
  if (size >= 1048576) return `${(size / 1048576).toFixed(2)} MiB`;
  if (size >= 1024) return `${(size / 1024).toFixed(2)} KiB`;
  return `${size.toFixed(2)} B`;
}

/** One frame of download-task's progress bar: bar, percent, bytes done / total, rate. */
export function progressLine(done: number, total: number, bytesPerSec: number | null): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const pct = total > 0 ? `${Math.floor(frac * 100)}%` : '???%';
  const rate = bytesPerSec === null ? '- B/sec' : `${formatSize(bytesPerSec)}/sec`;
  const bar = '='.repeat(Math.floor(frac * 36)).padEnd(36);
  return `[${bar}] ${pct.padStart(4)} ${`${formatSize(done)} / ${formatSize(total)}`.padStart(21)} ${rate.padStart(14)}`;
}

/** Koji's `pathinfo.taskrelpath` under a volume: `[vol/<V>/]work/tasks/<id % 10000>/<id>`. */
export function taskOutputPath(taskId: number, volume: string): string {
  const vol = volume && volume !== DEFAULT_VOLUME ? `vol/${volume}/` : '';
  return `${vol}work/tasks/${taskId % 10000}/${taskId}`;
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

function parseFloatOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`option ${name}: invalid floating-point value: '${v}'`);
    return n;
  };
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `--after`: epoch seconds, or a date/time such as `2026-01-31`, `2026-01-31 12:00` or ISO 8601. */
export function parseTime(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const t = Date.parse(/^\d{4}-\d\d-\d\d \d/.test(v) ? v.replace(' ', 'T') : v);
  if (Number.isNaN(t)) throw new UsageError(`Invalid time specification: ${v}`);
  return t / 1000;
}

/** Koji's `parse_arches(…, strict=False)`: commas or spaces. */
function parseArches(v: string): string[] {
  const list = v.replace(/,/g, ' ').split(/\s+/).filter(Boolean);
  for (const a of list)
    if (!/^[a-zA-Z0-9_-]*$/.test(a)) throw new UsageError('Architecture can be only [a-zA-Z0-9_-]');
  return list;
}

const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });

const fault = (message: string) => new KojiError('GenericError', message);

/** Waits, but wakes early when `signal` fires (Ctrl-C during a watch). */
function sleep(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, seconds * 1000);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Runs `fn` with Ctrl-C turned into an abort signal instead of killing the process. */
async function interruptible<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.on('SIGINT', onInt);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
}

// ---- watch_tasks -----------------------------------------------------------------------------------

class Interrupted extends Error {}

/** Koji's TaskWatcher: one task's last known info and how to print it. */
class TaskWatcher {
  info: TaskInfo | null = null;

  constructor(
    readonly id: number,
    readonly level: number,
    private readonly w: Watch,
  ) {}

  str(): string {
    const pad = '  '.repeat(this.level);
    return this.info ? `${pad}${this.id} ${taskLabel(this.info)}` : `${pad}${this.id}`;
  }

  isDone(): boolean {
    return this.info !== null && FINISHED.includes(this.info.state);
  }

  isSuccess(): boolean {
    return this.info?.state === STATES.CLOSED;
  }

  async update(): Promise<boolean> {
    if (this.isDone()) return false;
    const last = this.info;
    const info = await this.w.client.call<TaskInfo | null>('getTaskInfo', [this.id, true]);
    if (!info) throw fault(`No such task: ${this.id}`);
    this.info = info;
    if (last) {
      if (last.state === info.state) return false;
      this.w.print(`${this.str()}: ${await this.displayState(last)} -> ${await this.displayState(info)}`);
      return true;
    }
    this.w.print(`${this.str()}: ${await this.displayState(info, this.level)}`);
    return false;
  }

  async failure(): Promise<string> {
    try {
      await this.w.client.call('getTaskResult', [this.id]);
      return '';
    } catch (e) {
      if (e instanceof KojiError || e instanceof HubFault) return `${e.faultName}: ${e.message.trim()}`;
      throw e;
    }
  }

  async displayState(info: TaskInfo | null, level = 0): Promise<string> {
    if (!info) return 'unknown';
    if (info.state === STATES.OPEN) {
      if (!info.host_id) return 'open';
      const host = await this.w.client.call<HostInfo | null>('getHost', [info.host_id]);
      return `open (${host?.name ?? info.host_id})`;
    }
    if (info.state === STATES.FAILED) {
      let s = `FAILED: ${await this.failure()}`;
      const indent = '  '.repeat(level + 1);
      const logs = (await outputFiles(this.w.client, this.id))
        .filter(([name]) => name.endsWith('log'))
        .map(([name, vol]) => `${indent}${this.w.topurl}/${taskOutputPath(this.id, vol)}/${name}`);
      if (logs.length) s += `\n${indent}Relevant logs:\n${logs.join('\n')}`;
      return s;
    }
    return (STATE_NAMES[info.state] ?? String(info.state)).toLowerCase();
  }
}

/** `listTaskOutput(id, all_volumes=True)` as `[name, volume]` pairs. */
async function outputFiles(client: HubClient, taskId: number): Promise<[string, string][]> {
  const out = await client.call<Record<string, string[]>>('listTaskOutput', [taskId, false, true]);
  // Sorted, so listings do not follow the order of directory entries on the hub's disk.
  return Object.keys(out)
    .sort()
    .flatMap((name) => out[name].map((v): [string, string] => [name, v]));
}

class Watch {
  readonly tasks = new Map<number, TaskWatcher>();

  constructor(
    readonly client: HubClient,
    private readonly rt: Runtime,
    readonly quiet: boolean,
    readonly topurl: string,
  ) {}

  print(line: string): void {
    if (!this.quiet) this.rt.print(line);
  }

  private status(): void {
    let free = 0;
    let open = 0;
    let done = 0;
    let failed = 0;
    for (const t of this.tasks.values()) {
      const s = t.info?.state;
      if (s === STATES.FAILED) failed++;
      else if (s === STATES.CLOSED || s === STATES.CANCELED) done++;
      else if (s === STATES.OPEN || s === STATES.ASSIGNED) open++;
      else if (s === STATES.FREE) free++;
    }
    this.print(`  ${free} free  ${open} open  ${done} done  ${failed} failed`);
  }

  private results(): void {
    for (const t of this.tasks.values()) {
      if (t.level !== 0) continue;
      const s = t.info?.state;
      if (s === STATES.CLOSED) this.print(`${t.str()} completed successfully`);
      else if (s === STATES.FAILED) this.print(`${t.str()} failed`);
      else if (s === STATES.CANCELED) this.print(`${t.str()} was canceled`);
      else this.print(`${t.str()} has not completed`);
    }
  }

  /** Koji's `watch_tasks`: 1 unless every top-level task ends CLOSED; Ctrl-C cancels nothing. */
  async run(ids: number[], pollInterval: number): Promise<number> {
    if (!ids.length) return 0;
    this.print('Watching tasks (this may be safely interrupted)...');
    return interruptible(async (signal) => {
      const check = () => {
        if (signal.aborted) throw new Interrupted();
      };
      let rv = 0;
      for (const id of ids) this.tasks.set(id, new TaskWatcher(id, 0, this));
      try {
        for (;;) {
          let allDone = true;
          for (const [id, task] of [...this.tasks]) {
            check();
            const changed = await task.update();
            if (!task.isDone()) allDone = false;
            else {
              if (changed) this.status();
              if (task.level === 0 && !task.isSuccess()) rv = 1;
            }
            for (const child of await this.client.call<TaskInfo[]>('getTaskChildren', [id])) {
              if (this.tasks.has(child.id)) continue;
              const w = new TaskWatcher(child.id, task.level + 1, this);
              this.tasks.set(child.id, w);
              await w.update();
              // A new child may have children of its own: go round again.
              allDone = false;
            }
          }
          if (allDone) {
            this.print('');
            this.results();
            return rv;
          }
          await sleep(pollInterval, signal);
          check();
        }
      } catch (e) {
        if (!(e instanceof Interrupted)) throw e;
        if (!this.quiet) {
          const running: string[] = [];
          for (const t of this.tasks.values())
            if (!t.isDone()) running.push(`${t.str()}: ${await t.displayState(t.info, t.level)}`);
          this.rt.print(
            "Tasks still running. You can continue to watch with the 'koji-es watch-task' command.\n" +
              `Running Tasks:\n${running.join('\n')}`,
          );
        }
        return 1;
      }
    });
  }
}

export async function watchTasks(
  rt: Runtime,
  client: HubClient,
  ids: number[],
  quiet: boolean,
): Promise<number> {
  const topurl = rt.profile.topurl ?? `${new URL(rt.profile.server).origin}/files`;
  return new Watch(client, rt, quiet, topurl).run(ids, rt.profile.pollInterval);
}

// ---- list-tasks --------------------------------------------------------------------------------------

interface TaskSelection {
  mine?: boolean;
  user?: string;
  arch?: string;
  method?: string;
  channel?: string;
  host?: string;
  after?: string;
  all?: boolean;
}

type ListedTask = TaskInfo & { owner_name: string; children?: ListedTask[]; sub?: boolean };

/** Koji's `_list_tasks`: the filters, then the tasks threaded under their parents. */
async function listTasks(client: HubClient, o: TaskSelection): Promise<ListedTask[]> {
  const opts: Record<string, unknown> = { decode: true };
  if (!o.all) opts.state = [STATES.FREE, STATES.OPEN, STATES.ASSIGNED];
  if (o.after) opts.startedAfter = parseTime(o.after);
  if (o.mine) {
    if (o.user) throw new UsageError("Can't specify 'mine' and 'user' in same time");
    const me = await client.call<{ id: number } | null>('getLoggedInUser');
    if (!me) throw fault('Unable to determine user');
    opts.owner = me.id;
  }
  if (o.user) {
    const u = await client.call<{ id: number } | null>('getUser', [o.user]);
    if (!u) throw fault(`No such user: ${o.user}`);
    opts.owner = u.id;
  }
  if (o.arch) opts.arch = parseArches(o.arch);
  if (o.method) opts.method = o.method;
  if (o.channel) {
    const c = await client.call<ChannelInfo | null>('getChannel', [o.channel]);
    if (!c) throw fault(`No such channel: ${o.channel}`);
    opts.channel_id = c.id;
  }
  if (o.host) {
    const h = await client.call<HostInfo | null>('getHost', [hostArg(o.host)]);
    if (!h) throw fault(`No such host: ${o.host}`);
    opts.host_id = h.id;
  }
  const list = await client.call<ListedTask[]>('listTasks', [opts, { order: 'priority,create_time' }]);
  // Koji's order is "priority,create_time"; sorting here as well keeps it whatever the hub does with a
  // two-field order.
  list.sort((a, b) => a.priority - b.priority || a.create_ts - b.create_ts || a.id - b.id);
  const byId = new Map(list.map((t) => [t.id, t]));
  for (const t of list) {
    const parent = t.parent === null ? undefined : byId.get(t.parent);
    if (parent) {
      (parent.children ??= []).push(t);
      t.sub = true;
    }
  }
  return list;
}

/** Koji's `print_task`: `%-8s %-4s %-20s %-8s %-10s` then the indented label. */
function taskLine(t: ListedTask, depth: number): string {
  const state = STATE_NAMES[t.state] ?? 'BADSTATE';
  const indent = depth ? `${'  '.repeat(depth - 1)} +` : '';
  return (
    `${String(t.id).padEnd(8)} ${String(t.priority).padEnd(4)} ${t.owner_name.padEnd(20)} ` +
    `${state.padEnd(8)} ${t.arch.padEnd(10)} ${indent}${taskLabel(t)}`
  );
}

const hostArg = (h: string): string | number => (/^\d+$/.test(h) ? Number(h) : h);

// ---- download-task -----------------------------------------------------------------------------------

interface DownloadOptions {
  quiet: boolean;
  progress: boolean;
  headers: Record<string, string>;
}

/**
 * Bytes of a resumed download asked for again and compared with the local file's end: a local file
 * of the same name that is not the start of the hub's (the tree of a plain save when the `--full`
 * one is downloaded) would otherwise be appended to and make a broken file of the right size.
 */
const RESUME_OVERLAP = 64 * 1024;

/**
 * Koji's `download_file`, plus checks: a partial local file is resumed with a Range request only
 * when its last bytes match the hub's at the same place (else, or on a 200 or 416 answer, the file
 * is fetched whole), and a result of the wrong size is deleted.
 */
async function downloadFile(
  rt: Runtime,
  url: string,
  path: string,
  size: number,
  label: string,
  o: DownloadOptions,
): Promise<void> {
  if (!o.quiet) rt.print(`Downloading ${label}: ${path}`);
  let pos = existsSync(path) ? statSync(path).size : 0;
  if (pos > size) {
    truncateSync(path, 0);
    pos = 0;
  } else if (pos === size && pos > 0) {
    if (!o.quiet) rt.print(`File ${path} already downloaded, skipping`);
    return;
  }
  const get = async (range?: string): Promise<Response> => {
    try {
      return await fetch(url, { headers: range ? { ...o.headers, range } : o.headers });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      throw new Error(`cannot download ${url}: ${cause?.code ?? (e as Error).message}`, { cause: e });
    }
  };
  const overlap = Math.min(pos, RESUME_OVERLAP);
  let res = await get(pos > 0 ? `bytes=${pos - overlap}-` : undefined);
  let body: AsyncIterable<Buffer> | Buffer[] | null = res.body ? bytesOf(res.body) : null;
  if (pos > 0 && res.status === 206 && body) {
    const { matches, rest } = await startsWith(body, tailOf(path, pos, overlap));
    if (matches) {
      if (!o.quiet) rt.print(`Appending to existing file ${path}`);
      body = rest;
    } else {
      if (!o.quiet) rt.print(`Existing file ${path} is not the start of the hub's: downloading it whole`);
      pos = 0;
      res = await get();
      body = res.body ? bytesOf(res.body) : null;
    }
  } else if (res.status === 200 || res.status === 416) {
    pos = 0;
    if (res.status === 416) {
      // The local file is longer than what is left of the remote one: fetch it whole.
      res = await get();
      body = res.body ? bytesOf(res.body) : null;
    }
  }
  if (res.status !== (pos > 0 ? 206 : 200)) {
    const why = await refusalOf(res, body);
    throw new Error(`cannot download ${url}: HTTP ${res.status} ${res.statusText}${why ? `: ${why}` : ''}`);
  }
  // Only now: a refused download leaves no empty directory behind. Opened here, so a path that
  // cannot be written fails at once, in words, instead of as a stream error nobody listens to.
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, pos > 0 ? 'a' : 'w');
  } catch (e) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`cannot write ${path}: ${fsReason(e)}`, { cause: e });
  }
  const out = createWriteStream(path, { fd });
  let writeError: unknown = null;
  out.on('error', (e) => (writeError ??= e));
  const started = Date.now();
  const startPos = pos;
  let lastDraw = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!o.progress || (!force && now - lastDraw < 100)) return;
    lastDraw = now;
    const secs = (now - started) / 1000;
    rt.io.err(`${progressLine(pos, size, secs > 0 ? (pos - startPos) / secs : null)}\r`);
  };
  try {
    for await (const buf of body ?? []) {
      if (writeError) break;
      // once() rejects on 'error': a failing disk does not leave us waiting for a drain.
      if (!out.write(buf)) await once(out, 'drain');
      pos += buf.length;
      draw(false);
    }
  } catch (e) {
    if (!writeError) throw e;
  } finally {
    out.end();
    await finished(out).catch(() => undefined);
  }
  if (writeError) throw new Error(`cannot write ${path}: ${fsReason(writeError)}`, { cause: writeError });
  draw(true);
  if (o.progress) rt.io.err('\n');
  const got = statSync(path).size;
  if (got !== size) {
    unlinkSync(path);
    throw new Error(`Downloaded file ${path} has ${got} bytes, the hub lists ${size}; deleted it`);
  }
}

function bytesOf(body: ReadableStream<Uint8Array>): AsyncIterable<Buffer> {
  return Readable.fromWeb(body as WebReadableStream) as AsyncIterable<Buffer>;
}

/** The `length` bytes of the file before `end`. */
function tailOf(path: string, end: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buf, read, length - read, end - length + read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `body` starts with `expected`, and the rest of it: the bytes after `expected`, read on
 * from where the comparison stopped.
 */
async function startsWith(
  body: AsyncIterable<Buffer>,
  expected: Buffer,
): Promise<{ matches: boolean; rest: AsyncIterable<Buffer> | Buffer[] }> {
  const it = body[Symbol.asyncIterator]();
  const differs = async () => {
    // Stops the response: nothing more of it is read.
    await it.return?.();
    return { matches: false, rest: [] };
  };
  let seen = 0;
  let left: Buffer | null = null;
  while (seen < expected.length) {
    const next = await it.next();
    if (next.done) return differs();
    const buf = next.value;
    const take = Math.min(buf.length, expected.length - seen);
    if (!buf.subarray(0, take).equals(expected.subarray(seen, seen + take))) return differs();
    seen += take;
    if (take < buf.length) left = buf.subarray(take);
  }
  const rest = (async function* () {
    if (left) yield left;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  })();
  return { matches: true, rest };
}

// ---- the commands ------------------------------------------------------------------------------------

/** Host, channel, task and buildroot commands. */
export function registerTasks(program: Command, rt: Runtime): void {
  subcommand(program, rt, 'add-host', 'Add a host [admin]')
    .argument('<hostname>')
    .argument('<arch...>', 'the architectures the host builds for')
    .option('--krb-principal <principal>', 'set a non-default kerberos principal for the host')
    .option('--force', 'if an existing user is a regular user, convert it to a host')
    .action(
      action(
        rt,
        'add-host',
        async (host: string, arches: string[], o: { krbPrincipal?: string; force?: boolean }) => {
          const client = await rt.client(true);
          if (await client.call('getHost', [host])) throw fault(`${host} is already in the database`);
          const opts: Record<string, unknown> = { force: !!o.force };
          if (o.krbPrincipal !== undefined) opts.krb_principal = o.krbPrincipal;
          const id = await client.call<number>('addHost', [host, arches, kw(opts)]);
          rt.print(`${host} added: id ${id}`);
        },
      ),
    );

  subcommand(program, rt, 'edit-host', 'Edit hosts [admin]')
    .argument('<hostname...>')
    .option('--arches <arches>', 'space or comma-separated list of supported architectures')
    .option('--capacity <capacity>', 'capacity of this host', parseFloatOption('--capacity'))
    .option('--description <desc>', 'description of this host')
    .option('--comment <comment>', 'a brief comment about this host')
    .action(
      action(
        rt,
        'edit-host',
        async (
          hosts: string[],
          o: { arches?: string; capacity?: number; description?: string; comment?: string },
        ) => {
          const vals: Record<string, unknown> = {};
          if (o.arches !== undefined) vals.arches = parseArches(o.arches).join(' ');
          if (o.capacity !== undefined) vals.capacity = o.capacity;
          if (o.description !== undefined) vals.description = o.description;
          if (o.comment !== undefined) vals.comment = o.comment;
          const client = await rt.client(true);
          await requireHosts(client, hosts);
          for (const host of hosts) {
            const changed = await client.call<boolean>('editHost', [hostArg(host), kw(vals)]);
            rt.print(changed ? `Edited ${host}` : `No changes made to ${host}`);
          }
        },
      ),
    );

  for (const [cmd, method, summary, why] of [
    ['enable-host', 'enableHost', 'Mark hosts as enabled [admin]', 'enabled'],
    ['disable-host', 'disableHost', 'Mark hosts as disabled [admin]', 'disabled'],
  ] as const) {
    subcommand(program, rt, cmd, summary)
      .argument('<hostname...>')
      .option('--comment <comment>', `comment indicating why the hosts are being ${why}`)
      .action(
        action(rt, cmd, async (hosts: string[], o: { comment?: string }) => {
          const client = await rt.client(true);
          await requireHosts(client, hosts);
          for (const host of hosts) {
            await client.call(method, [hostArg(host)]);
            if (o.comment !== undefined)
              await client.call('editHost', [hostArg(host), kw({ comment: o.comment })]);
          }
        }),
      );
  }

  subcommand(program, rt, 'add-host-to-channel', 'Add a host to a channel [admin]')
    .argument('<hostname>')
    .argument('<channel>')
    .option('--new', 'create the channel if needed')
    .option('--force', 'force added, if possible')
    .action(
      action(
        rt,
        'add-host-to-channel',
        async (host: string, channel: string, o: { new?: boolean; force?: boolean }) => {
          const client = await rt.client(true);
          if (!o.new && !(await client.call('getChannel', [channel])))
            throw fault(`No such channel: ${channel}`);
          if (!(await client.call('getHost', [hostArg(host)]))) throw fault(`No such host: ${host}`);
          const opts: Record<string, unknown> = {};
          if (o.new) opts.create = true;
          if (o.force) opts.force = true;
          await client.call('addHostToChannel', [hostArg(host), channel, kw(opts)]);
        },
      ),
    );

  subcommand(program, rt, 'remove-host-from-channel', 'Remove a host from a channel [admin]')
    .argument('<hostname>')
    .argument('<channel>')
    .action(
      action(rt, 'remove-host-from-channel', async (host: string, channel: string) => {
        const client = await rt.client(true);
        const info = await client.call<HostInfo | null>('getHost', [hostArg(host)]);
        if (!info) throw fault(`No such host: ${host}`);
        const channels = await client.call<ChannelInfo[]>('listChannels', [info.id]);
        if (!channels.some((c) => c.name === channel))
          throw fault(`Host ${host} is not a member of channel ${channel}`);
        await client.call('removeHostFromChannel', [hostArg(host), channel]);
      }),
    );

  subcommand(program, rt, 'list-hosts', 'Print the host listing')
    .option('--arch <arch>', 'specify an architecture (repeatable)', collect, [])
    .option('--channel <channel>', 'specify a channel')
    .option('--ready', 'limit to ready hosts')
    .option('--not-ready', 'limit to not ready hosts')
    .option('--enabled', 'limit to enabled hosts')
    .option('--not-enabled', 'limit to not enabled hosts')
    .option('--disabled', 'alias for --not-enabled')
    .option('--quiet', 'do not print header information')
    .option('--show-channels', "show the hosts' channels")
    .option('--comment', 'show comments')
    .option('--description', 'show descriptions')
    .action(
      action(
        rt,
        'list-hosts',
        async (o: {
          arch: string[];
          channel?: string;
          ready?: boolean;
          notReady?: boolean;
          enabled?: boolean;
          notEnabled?: boolean;
          disabled?: boolean;
          quiet?: boolean;
          showChannels?: boolean;
          comment?: boolean;
          description?: boolean;
        }) => {
          if (o.ready && o.notReady) throw new UsageError('--ready and --not-ready are mutually exclusive');
          const notEnabled = o.notEnabled || o.disabled;
          if (o.enabled && notEnabled)
            throw new UsageError('--enabled and --not-enabled are mutually exclusive');
          const quiet = !!o.quiet || rt.quiet;
          const client = await rt.client(false);
          const opts: Record<string, unknown> = {};
          if (o.arch.length) opts.arches = o.arch;
          if (o.channel) {
            const ch = await client.call<ChannelInfo | null>('getChannel', [o.channel]);
            if (!ch) throw new UsageError(`No such channel: ${o.channel}`);
            opts.channelID = ch.id;
          }
          if (o.ready || o.notReady) opts.ready = !!o.ready;
          if (o.enabled || notEnabled) opts.enabled = !!o.enabled;
          const hosts = (await client.call<HostInfo[]>('listHosts', [kw(opts)])).sort((a, b) =>
            a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
          );
          if (!hosts.length) {
            rt.io.err('No hosts found.\n');
            return;
          }
          const channels = new Map<number, string>();
          if (o.showChannels)
            for (const h of hosts) {
              const list = await client.call<ChannelInfo[]>('listChannels', [h.id]);
              channels.set(
                h.id,
                list
                  .map((c) => (c.enabled ? c.name : `*${c.name}`))
                  .sort()
                  .join(','),
              );
            }
          const longest = Math.max(...hosts.map((h) => h.name.length));
          if (!quiet) {
            let hdr = `${'Hostname'.padEnd(longest)} Enb Rdy Load/Cap  Arches           Last Update                         `;
            if (o.description) hdr += 'Description'.padEnd(51);
            if (o.comment) hdr += 'Comment'.padEnd(51);
            if (o.showChannels) hdr += 'Channels';
            rt.print(hdr);
            rt.print('-'.repeat(hdr.length));
          }
          const yn = (b: boolean) => (b ? 'Y' : 'N');
          for (const h of hosts) {
            let line =
              `${h.name.padEnd(longest)} ${yn(h.enabled).padEnd(3)} ${yn(h.ready).padEnd(3)} ` +
              `${h.task_load.toFixed(1).padStart(4)}/${h.capacity.toFixed(1).padEnd(4)} ` +
              `${h.arches.split(/\s+/).filter(Boolean).join(',').padEnd(16)} ` +
              (h.update_ts ? formatTimeLong(h.update_ts) : '-').padEnd(35);
            if (o.description) line += ` ${truncate(h.description).padEnd(50)}`;
            if (o.comment) line += ` ${truncate(h.comment).padEnd(50)}`;
            if (o.showChannels) line += ` ${channels.get(h.id) ?? ''}`;
            rt.print(line);
          }
        },
      ),
    );

  subcommand(program, rt, 'hostinfo', 'Print basic information about hosts')
    .argument('<hostname...>')
    .action(
      action(rt, 'hostinfo', async (hosts: string[]) => {
        const client = await rt.client(false);
        let missing = false;
        for (const host of hosts) {
          const info = await client.call<HostInfo | null>('getHost', [hostArg(host)]);
          if (!info) {
            rt.io.err(`koji-es: GenericError: No such host: ${host}\n`);
            missing = true;
            continue;
          }
          rt.print(`Name: ${info.name}`);
          rt.print(`ID: ${info.id}`);
          rt.print(`Arches: ${info.arches}`);
          rt.print(`Capacity: ${pyFloat(info.capacity)}`);
          rt.print(`Task Load: ${info.task_load.toFixed(2)}`);
          multiline(rt, 'Description', info.description);
          multiline(rt, 'Comment', info.comment);
          rt.print(`Enabled: ${info.enabled ? 'yes' : 'no'}`);
          rt.print(`Ready: ${info.ready ? 'yes' : 'no'}`);
          rt.print(`Last Update: ${info.update_ts ? formatTimeLong(info.update_ts) : 'never'}`);
          const channels = await client.call<ChannelInfo[]>('listChannels', [kw({ hostID: info.id })]);
          rt.print(`Channels: ${channels.map((c) => c.name).join(' ')}`);
          rt.print('Active Buildroots:');
          const rows: string[][] = [['NAME', 'STATE', 'CREATION TIME']];
          for (const s of [0, 1, 2]) {
            const brs = await client.call<BuildrootInfo[]>('listBuildroots', [
              kw({ hostID: info.id, state: s }),
            ]);
            for (const b of brs) {
              const created = b.create_event_time ?? b.create_time;
              rows.push([
                `${pyStr(b.tag_name)}-${b.id}-${pyStr(b.repo_id)}`,
                BR_STATE_NAMES[s],
                created.includes('.') ? created.slice(0, created.indexOf('.')) : created,
              ]);
            }
          }
          if (rows.length > 1)
            for (const r of rows) rt.print(`${r[0].padEnd(50)} ${r[1].padEnd(10)} ${r[2].padEnd(20)}`);
          else rt.print('None');
        }
        return missing ? 1 : 0;
      }),
    );

  subcommand(program, rt, 'list-channels', 'Print channels listing')
    .option('--simple', 'print just the list of channels, without additional info')
    .option('--quiet', 'do not print header information')
    .option('--comment', 'show comments')
    .option('--description', 'show descriptions')
    .option('--enabled', 'limit to enabled channels')
    .option('--not-enabled', 'limit to not enabled channels')
    .option('--disabled', 'alias for --not-enabled')
    .action(
      action(
        rt,
        'list-channels',
        async (o: {
          simple?: boolean;
          quiet?: boolean;
          comment?: boolean;
          description?: boolean;
          enabled?: boolean;
          notEnabled?: boolean;
          disabled?: boolean;
        }) => {
          const notEnabled = o.notEnabled || o.disabled;
          if (o.enabled && notEnabled)
            throw new UsageError('--enabled and --not-enabled are mutually exclusive');
          const quiet = !!o.quiet || rt.quiet;
          const client = await rt.client(false);
          const opts = o.enabled || notEnabled ? { enabled: !!o.enabled } : {};
          const channels = (await client.call<ChannelInfo[]>('listChannels', [kw(opts)])).sort((a, b) =>
            a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
          );
          const rows = [];
          for (const c of channels) {
            const hosts = await client.call<HostInfo[]>('listHosts', [kw({ channelID: c.id })]);
            const enabled = hosts.filter((h) => h.enabled).length;
            const capacity = hosts.reduce((n, h) => n + h.capacity, 0);
            const load = hosts.reduce((n, h) => n + h.task_load, 0);
            rows.push({
              name: c.enabled ? c.name : `${c.name} [disabled]`,
              enabled,
              disabled: hosts.length - enabled,
              ready: hosts.filter((h) => h.ready).length,
              capacity,
              load,
              perc: capacity ? (load / capacity) * 100 : 0,
              description: truncate(c.description),
              comment: truncate(c.comment),
            });
          }
          const longest = rows.length ? Math.max(...rows.map((r) => r.name.length)) : 8;
          if (o.simple) {
            if (!quiet) {
              rt.print('Channel');
              rt.print('-------');
            }
            for (const r of rows) rt.print(r.name);
            return;
          }
          if (!quiet) {
            let hdr = `${'Channel'.padEnd(longest)}Enabled  Ready Disbld   Load    Cap   Perc    `;
            if (o.description) hdr += 'Description'.padEnd(53);
            if (o.comment) hdr += 'Comment'.padEnd(53);
            rt.print(hdr);
            rt.print('-'.repeat(hdr.length));
          }
          const d = (n: number) => String(Math.trunc(n)).padStart(6);
          for (const r of rows) {
            let line =
              `${r.name.padEnd(longest)} ${d(r.enabled)} ${d(r.ready)} ${d(r.disabled)} ` +
              `${d(r.load)} ${d(r.capacity)} ${d(r.perc)}%`;
            if (o.description) line += `   ${r.description.padEnd(50)}`;
            if (o.comment) line += `   ${r.comment.padEnd(50)}`;
            rt.print(line);
          }
        },
      ),
    );

  const selection = (cmd: Command) =>
    cmd
      .option('--mine', 'just your tasks')
      .option('--user <user>', 'only tasks of this user')
      .option('--arch <arch>', 'only tasks for this architecture')
      .option('--method <method>', 'only tasks of this method')
      .option('--channel <channel>', 'only tasks in this channel')
      .option('--host <host>', 'only tasks of this host');

  selection(subcommand(program, rt, 'list-tasks', 'Print the list of tasks'))
    .option('--after <time>', 'only tasks started after this time (epoch seconds or a date/time)')
    .option('--all', 'list finished tasks too')
    .option('--quiet', 'do not display the column headers')
    .action(
      action(rt, 'list-tasks', async (o: TaskSelection & { quiet?: boolean }) => {
        if (o.after !== undefined) parseTime(o.after);
        const client = await rt.client(!!o.mine);
        const list = await listTasks(client, o);
        if (!list.length) {
          rt.print('(no tasks)');
          return;
        }
        if (!o.quiet && !rt.quiet) rt.print('ID       Pri  Owner                State    Arch       Name');
        const recurse = (t: ListedTask, depth: number) => {
          rt.print(taskLine(t, depth));
          for (const c of t.children ?? []) recurse(c, depth + 1);
        };
        for (const t of list) if (!t.sub) recurse(t, 0);
      }),
    );

  subcommand(program, rt, 'taskinfo', 'Show information about tasks')
    .argument('<task_id...>')
    .option('-r, --recurse', 'show children of the tasks as well')
    .option('-v, --verbose', 'be verbose')
    .action(
      action(rt, 'taskinfo', async (args: string[], o: { recurse?: boolean; verbose?: boolean }) => {
        const ids = args.map((a) => parseId(a, 'task id'));
        const client = await rt.client(false);
        const topurl = rt.profile.topurl ?? `${new URL(rt.profile.server).origin}/files`;
        for (const id of ids) await printTaskInfo(rt, client, topurl, id, 0, !!o.recurse, !!o.verbose);
      }),
    );

  selection(subcommand(program, rt, 'watch-task', 'Track progress of particular tasks'))
    .argument('[task_id...]')
    .option('--quiet', 'do not print the task information')
    .action(
      action(rt, 'watch-task', async (args: string[], o: TaskSelection & { quiet?: boolean }) => {
        const selected = !!(o.mine || o.user || o.arch || o.method || o.channel || o.host);
        if (args.length && selected)
          throw new UsageError('Selection options cannot be combined with a task list');
        let ids: number[];
        const client = await rt.client(!!o.mine);
        if (selected) {
          ids = (await listTasks(client, o)).map((t) => t.id);
          if (!ids.length) {
            rt.print('(no tasks)');
            return;
          }
        } else {
          ids = args.map((a) => parseId(a, 'task id'));
          if (!ids.length) throw new UsageError('at least one task id must be specified');
        }
        return watchTasks(rt, client, ids, !!o.quiet || rt.quiet);
      }),
    );

  subcommand(program, rt, 'watch-logs', 'Watch logs in realtime')
    .argument('[task_id...]')
    .option('--log <name>', 'watch only a specific log')
    .option('--mine', 'watch the logs of all your tasks (no task ids then)')
    .option('--follow', 'follow spawned child tasks')
    .action(
      action(
        rt,
        'watch-logs',
        async (args: string[], o: { log?: string; mine?: boolean; follow?: boolean }) => {
          if (o.mine && args.length)
            throw new UsageError('Selection options cannot be combined with a task list');
          const client = await rt.client(!!o.mine);
          let ids: number[];
          if (o.mine) {
            ids = (await listTasks(client, { mine: true })).map((t) => t.id);
            if (!ids.length) {
              rt.print("You've no active tasks.");
              return;
            }
          } else ids = args.map((a) => parseId(a, 'task id'));
          if (!ids.length) throw new UsageError('at least one task id must be specified');
          return watchLogs(rt, client, ids, o);
        },
      ),
    );

  subcommand(program, rt, 'cancel', 'Cancel tasks')
    .argument('<task_id...>')
    .option('--justone', 'do not cancel subtasks')
    .action(
      action(rt, 'cancel', async (args: string[], o: { justone?: boolean }) => {
        const ids = args.map((a) => {
          if (!/^[-+]?\d+$/.test(a.trim())) throw new UsageError('please specify only task ids (integer)');
          return parseId(a, 'task id');
        });
        const client = await rt.client(true);
        let err = false;
        for (const id of ids) {
          try {
            if (await client.call<boolean>('cancelTask', [id, !o.justone])) continue;
            // Koji's cancel ignores cancelTask's False (a finished task) and exits 0; the warning is
            // koji-es's, so nobody takes "nothing happened" for a cancellation.
            const info = await client.call<TaskInfo | null>('getTaskInfo', [id]);
            const state = info ? (STATE_NAMES[info.state] ?? String(info.state)) : 'finished';
            rt.io.err(`koji-es: warning: task ${id} is already ${state}; nothing to cancel\n`);
          } catch (e) {
            if (!(e instanceof KojiError || e instanceof HubFault)) throw e;
            rt.io.err(`koji-es: ${e.faultName}: ${e.message}\n`);
            err = true;
          }
        }
        return err ? 1 : 0;
      }),
    );

  subcommand(program, rt, 'download-task', "Download a task's output files")
    .argument('<task_id>')
    .option('--dirpath <dir>', 'directory to download into (default: the current one)')
    .option('--logs', 'also download the logs')
    .option('--volume <volume>', 'only files of this volume (default: all; other volumes go in <volume>/)')
    .option('--noprogress', 'do not display the progress meter')
    .option('-q, --quiet', 'suppress output')
    .action(
      action(
        rt,
        'download-task',
        async (
          arg: string,
          o: { dirpath?: string; logs?: boolean; volume?: string; noprogress?: boolean; quiet?: boolean },
        ) => {
          const id = parseId(arg, 'task id');
          if (o.dirpath !== undefined) checkDownloadDir(o.dirpath);
          const quiet = !!o.quiet || rt.quiet;
          const client = await rt.client(false);
          const task = await client.call<TaskInfo | null>('getTaskInfo', [id]);
          if (!task) throw fault(`No such task: ${id}`);
          if (!FINISHED.includes(task.state)) throw fault(`Task ${id} has not finished yet.`);
          const files = await client.call<Record<string, Record<string, FileStat>>>('listTaskOutput', [
            id,
            true,
            true,
          ]);
          const downloads: { name: string; volume: string; size: number }[] = [];
          for (const name of Object.keys(files).sort()) {
            if (name.endsWith('.log') && !o.logs) continue;
            for (const [volume, st] of Object.entries(files[name])) {
              if (o.volume && volume !== o.volume) continue;
              downloads.push({ name, volume, size: Number(st.st_size) });
            }
          }
          if (!downloads.length) throw fault('No files for download found.');
          const topurl = rt.profile.topurl ?? `${new URL(rt.profile.server).origin}/files`;
          // Some output is readable by its owner only (saved buildroot trees): send our credentials.
          if (client.canAuthenticate) await client.ensureAuth();
          const headers = client.authHeaders();
          const progress = !o.noprogress && !quiet && !!process.stderr.isTTY;
          let n = 0;
          for (const d of downloads) {
            n++;
            if (d.name.split('/').includes('..') || d.name.startsWith('/'))
              throw fault(`Invalid file name: ${d.name}`);
            const local = join(o.dirpath ?? '.', d.volume === DEFAULT_VOLUME ? '' : d.volume, d.name);
            const url = `${topurl}/${taskOutputPath(id, d.volume)}/${encodePath(d.name)}`;
            await downloadFile(rt, url, local, d.size, `[${n}/${downloads.length}]`, {
              quiet,
              progress,
              headers,
            });
          }
        },
      ),
    );

  subcommand(program, rt, 'buildrootinfo', 'Print information about buildroots')
    .argument('<buildroot_id...>')
    .action(
      action(rt, 'buildrootinfo', async (args: string[]) => {
        const ids = args.map((a) => parseId(a, 'buildroot id'));
        const client = await rt.client(false);
        const when = (iso: string | null) => (iso ? asctime(Date.parse(iso) / 1000) : '-');
        for (const [i, id] of ids.entries()) {
          const b = await client.call<BuildrootInfo>('getBuildroot', [id, true]);
          if (i > 0) rt.print();
          rt.print(`BuildRoot: ${b.id}`);
          rt.print(`Host: ${b.host_name}`);
          rt.print(`Task: ${b.task_id ?? '-'}`);
          rt.print(`Tag: ${b.tag_name ?? '-'}`);
          rt.print(`Arch: ${b.arch}`);
          rt.print(`Repo: ${b.repo_id ?? '-'}`);
          rt.print(`State: ${BR_STATE_NAMES[b.state] ?? b.state}`);
          rt.print(`Created: ${asctime(b.create_ts)}`);
          rt.print(`Retired: ${b.retire_ts ? asctime(b.retire_ts) : '-'}`);
          rt.print(`Path: ${b.path ?? '-'}`);
          rt.print(`Keep until: ${when(b.keep_until)}`);
          rt.print(
            `Removed: ${b.removed_at ? `${when(b.removed_at)}${b.removed_reason ? ` (${b.removed_reason})` : ''}` : '-'}`,
          );
        }
      }),
    );
}

/** Koji's `truncate_string`. */
function truncate(s: string | null, length = 47): string {
  if (!s) return '';
  const one = s.replace(/\n/g, ' ');
  return one.length > length ? `${one.slice(0, length)}...` : one;
}

function multiline(rt: Runtime, label: string, text: string | null): void {
  if (!text) {
    rt.print(`${label}:`);
    return;
  }
  const [first, ...rest] = text.split(/\r?\n/);
  rt.print(`${label}: ${first}`);
  for (const l of rest) rt.print(`${' '.repeat(label.length + 2)}${l}`);
}

/** Every host must exist before anything changes (Koji checks them all first). */
async function requireHosts(client: HubClient, hosts: string[]): Promise<void> {
  const missing: string[] = [];
  for (const h of hosts) if (!(await client.call('getHost', [hostArg(h)]))) missing.push(h);
  if (missing.length) throw fault(`No such host: ${missing.join(', ')}; no changes made`);
}

/** Koji's `_parseTaskParams`, with a generic form for methods it has no layout for. */
function taskParams(method: string, params: unknown[]): string[] {
  const lines: string[] = [];
  const last = params[params.length - 1];
  const opts =
    last && typeof last === 'object' && !Array.isArray(last) && (last as Record<string, unknown>).__starstar
      ? (last as Record<string, unknown>)
      : null;
  const positional = opts ? params.slice(0, -1) : params;
  const handleOpts = (o: Record<string, unknown>) => {
    const entries = Object.entries(o).filter(([k]) => k !== '__starstar');
    if (!entries.length) return;
    lines.push('Options:');
    for (const [k, v] of entries) lines.push(`  ${k}: ${pyStr(v)}`);
  };
  if (method === 'runroot' && positional.length >= 3) {
    lines.push(`Tag: ${pyStr(positional[0])}`);
    lines.push(`Arch: ${pyStr(positional[1])}`);
    const cmd = positional[2];
    lines.push(`Command: ${Array.isArray(cmd) ? cmd.map(pyStr).join(' ') : pyStr(cmd)}`);
  } else if (method === 'saveFailedTree' && positional.length >= 1) {
    lines.push(`Buildroot: ${pyStr(positional[0])}`);
    if (positional.length > 1) lines.push(`Full: ${pyStr(positional[1])}`);
  } else if (positional.length) {
    lines.push(`Parameters: ${positional.map(pyStr).join(', ')}`);
  }
  if (opts) handleOpts(opts);
  return lines;
}

/** Koji's `_printTaskInfo`. */
async function printTaskInfo(
  rt: Runtime,
  client: HubClient,
  topurl: string,
  id: number,
  level: number,
  recurse: boolean,
  verbose: boolean,
): Promise<void> {
  const indent = '  '.repeat(level);
  const p = (s: string) => rt.print(`${indent}${s}`);
  const info = await client.call<TaskInfo | null>('getTaskInfo', [id]);
  if (!info) throw fault(`No such task: ${id}`);
  const host = info.host_id ? await client.call<HostInfo | null>('getHost', [info.host_id]) : null;
  const buildroots = await client.call<BuildrootInfo[]>('listBuildroots', [kw({ taskID: id })]);
  const logs: string[] = [];
  const output: string[] = [];
  for (const [name, vol] of await outputFiles(client, id))
    (name.endsWith('.log') ? logs : output).push(`${topurl}/${taskOutputPath(id, vol)}/${name}`);
  const owner = await client.call<{ name: string } | null>('getUser', [info.owner]);
  p(`Task: ${id}`);
  p(`Type: ${info.method}`);
  if (verbose) {
    p('Request Parameters:');
    const params = await client.call<unknown[]>('getTaskRequest', [id]);
    for (const line of taskParams(info.method, params)) p(`  ${line}`);
  }
  p(`Owner: ${owner?.name ?? info.owner}`);
  p(`State: ${(STATE_NAMES[info.state] ?? String(info.state)).toLowerCase()}`);
  p(`Created: ${asctime(info.create_ts)}`);
  if (info.start_ts) p(`Started: ${asctime(info.start_ts)}`);
  if (info.completion_ts) p(`Finished: ${asctime(info.completion_ts)}`);
  if (host) p(`Host: ${host.name}`);
  if (buildroots.length) {
    p('Buildroots:');
    for (const b of buildroots)
      p(
        `  ${b.path ?? `/var/lib/mock/${pyStr(b.tag_name)}-${b.id}-${pyStr(b.repo_id)}`}/`.replace(
          /\/+$/,
          '/',
        ),
      );
  }
  if (logs.length) {
    p('Log Files:');
    for (const l of logs) p(`  ${l}`);
  }
  if (output.length) {
    p('Output:');
    for (const f of output) p(`  ${f}`);
  }
  rt.print('');
  if (recurse) {
    const children = await client.call<TaskInfo[]>('getTaskChildren', [id, true]);
    children.sort((a, b) => a.id - b.id);
    for (const c of children) await printTaskInfo(rt, client, topurl, c.id, level + 1, true, verbose);
  }
}

/** Koji's `watch_logs`: new bytes of each log until the tasks finish. */
/** A runroot task's runroot.log may still grow on the hub (false for other tasks and old hubs). */
export async function runrootLogPending(client: HubClient, task: { id: number; method: string }) {
  if (task.method !== 'runroot') return false;
  try {
    return !(await client.call<{ complete: boolean }>('runrootLog', [task.id, 0, 0])).complete;
  } catch (e) {
    if (e instanceof KojiError) return false;
    throw e;
  }
}

async function watchLogs(
  rt: Runtime,
  client: HubClient,
  ids: number[],
  o: { log?: string; follow?: boolean },
): Promise<number> {
  rt.print('Watching logs (this may be safely interrupted)...');
  const tasks = [...ids];
  const seen = new Set(ids);
  const offsets = new Map<string, number>();
  const decoders = new Map<string, StringDecoder>();
  let lastlog: string | null = null;
  return interruptible(async (signal) => {
    for (;;) {
      for (const id of [...tasks]) {
        if (signal.aborted) return 1;
        const info = await client.call<TaskInfo | null>('getTaskInfo', [id]);
        if (!info) throw fault(`No such task: ${id}`);
        // A stopped runroot command's log reaches the hub moments after the task ended: watched
        // until it is there (runrootLog says when it will not grow), or it is never printed.
        if (FINISHED.includes(info.state) && !(await runrootLogPending(client, info)))
          tasks.splice(tasks.indexOf(id), 1);
        const logs = (await outputFiles(client, id)).filter(([name]) =>
          o.log ? name === o.log : name.endsWith('log'),
        );
        for (const [log, volume] of logs) {
          const key = `${id}:${volume}:${log}:`;
          for (;;) {
            const offset = offsets.get(key) ?? 0;
            const b64 = await client.call<string>('downloadTaskOutput', [
              id,
              log,
              kw({ offset, size: 16384, volume }),
            ]);
            const bytes = Buffer.from(b64, 'base64');
            if (!bytes.length) break;
            offsets.set(key, offset + bytes.length);
            if (key !== lastlog) {
              if (lastlog) rt.io.out('\n');
              rt.io.out(`==> ${key} <==\n`);
              lastlog = key;
            }
            let dec = decoders.get(key);
            if (!dec) decoders.set(key, (dec = new StringDecoder('utf8')));
            rt.io.out(dec.write(bytes));
          }
        }
        if (o.follow)
          for (const child of await client.call<TaskInfo[]>('getTaskChildren', [id]))
            if (!seen.has(child.id)) {
              // Koji re-adds a finished child every round and prints its logs again; once is enough.
              seen.add(child.id);
              tasks.push(child.id);
            }
      }
      if (!tasks.length) return 0;
      await sleep(rt.profile.pollInterval, signal);
      if (signal.aborted) return 1;
    }
  });
}

/**
 * The hub's reason for a refused download (its /files answers a refusal in one line of plain text,
 * such as who may download a saved tree), so "HTTP 403 Forbidden" is not all the user learns.
 */
async function refusalOf(
  res: Response,
  body: AsyncIterable<Buffer> | Buffer[] | null,
): Promise<string | null> {
  const plain = (res.headers.get('content-type') ?? '').startsWith('text/plain');
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (plain && body)
      for await (const c of body) {
        chunks.push(c);
        size += c.length;
        if (size >= 4096) break;
      }
  } catch {
    // No reason, then: the status says enough.
  }
  // Whatever is left is not read.
  await res.body?.cancel().catch(() => undefined);
  const line = Buffer.concat(chunks).toString('utf8').trim().split('\n')[0] ?? '';
  return line ? line.slice(0, 300) : null;
}
