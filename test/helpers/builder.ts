// Helpers for the builder daemon's tests: hosts with token files, `koji-es builder` as a real child
// process (so tests can send it real signals), and questions answered from the hub's event log.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type TestHub } from './hub.js';

export const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

export interface TestHost {
  id: number;
  name: string;
  token: string;
  tokenFile: string;
}

/** addHost + channels + an API token in a 0600 file, as an admin sets up a builder machine. */
export async function makeHost(
  h: TestHub,
  dir: string,
  name: string,
  o: { arches?: string[]; channels?: string[]; capacity?: number } = {},
): Promise<TestHost> {
  const id = await h.call<number>('addHost', [name, o.arches ?? ['x86_64']], h.admin);
  for (const c of o.channels ?? [])
    await h.call('addHostToChannel', { hostname: name, channel_name: c, create: true }, h.admin);
  if (o.capacity !== undefined)
    await h.call('editHost', [name, { capacity: o.capacity, __starstar: true }], h.admin);
  const { token } = await h.call<{ token: string }>('createAPIToken', [name, `${name} daemon`], h.admin);
  mkdirSync(dir, { recursive: true });
  const tokenFile = join(dir, `${name}.token`);
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  chmodSync(tokenFile, 0o600);
  return { id, name, token, tokenFile };
}

/** makeTask as admin: `sleep` with its seconds, plus Koji's keyword options (channel, arch, weight…). */
export function sleepTask(h: TestHub, seconds: number, opts: Record<string, unknown> = {}): Promise<number> {
  return h.call<number>('makeTask', ['sleep', [seconds], { ...opts, __starstar: true }], h.admin);
}

export interface TaskRow {
  id: number;
  state: number;
  host_id: number | null;
  weight: number;
  method: string;
}

export const STATE = { FREE: 0, OPEN: 1, CLOSED: 2, CANCELED: 3, ASSIGNED: 4, FAILED: 5 } as const;

export function taskInfo(h: TestHub, id: number): Promise<TaskRow> {
  return h.call<TaskRow>('getTaskInfo', [id]);
}

/** Retries an assertion until it passes or the time is up (effects of a builder in another process). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 20_000, stepMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}

export async function waitForState(
  h: TestHub,
  id: number,
  state: number,
  timeoutMs = 20_000,
): Promise<TaskRow> {
  return eventually(async () => {
    const t = await taskInfo(h, id);
    assert.equal(t.state, state, `task ${id} is in state ${t.state}, waiting for ${state}`);
    return t;
  }, timeoutMs);
}

export interface LoggedEvent {
  type: string;
  position: number;
  data: Record<string, unknown>;
}

/** Every event of these types in the global log, in order. */
export async function events(h: TestHub, types: string[]): Promise<LoggedEvent[]> {
  const out: LoggedEvent[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await h.hub.backend.events.readAll({ after, maxCount: 500, filter: { types } });
    for (const e of page.events)
      out.push({ type: e.type, position: e.position, data: e.data as Record<string, unknown> });
    if (page.atEnd) return out;
    after = page.checkpoint;
  }
}

const TASK_ENDS = ['TaskClosed', 'TaskFailed', 'TaskFreed', 'TaskCanceled'];

/** The most tasks each host had OPEN at once, replayed from the log (TaskOpened against the ends). */
export async function maxOpenAtOnce(h: TestHub): Promise<Map<number, number>> {
  const log = await events(h, ['TaskOpened', ...TASK_ENDS]);
  const holder = new Map<number, number>();
  const now = new Map<number, number>();
  const max = new Map<number, number>();
  for (const e of log) {
    const id = e.data.id as number;
    if (e.type === 'TaskOpened') {
      const host = (e.data.host as { id: number }).id;
      holder.set(id, host);
      now.set(host, (now.get(host) ?? 0) + 1);
      max.set(host, Math.max(max.get(host) ?? 0, now.get(host)!));
    } else if (holder.has(id)) {
      const host = holder.get(id)!;
      holder.delete(id);
      now.set(host, now.get(host)! - 1);
    }
  }
  return max;
}

/** How many times each task was opened, and by which hosts. */
export async function openings(h: TestHub): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const e of await events(h, ['TaskOpened'])) {
    const id = e.data.id as number;
    out.set(id, [...(out.get(id) ?? []), (e.data.host as { id: number }).id]);
  }
  return out;
}

export interface BuilderProcess {
  p: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves when the builder's log matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGKILL if still running (test clean-up). */
  kill(): Promise<void>;
}

export interface BuilderArgs {
  server: string;
  tokenFile?: string;
  passwordFile?: string;
  host?: string;
  workdir: string;
  configDir?: string;
  sleeptime?: number;
  maxjobs?: number;
  shutdownGrace?: number;
  extra?: string[];
  env?: Record<string, string>;
}

/** `koji-es builder …` as a child process with its own environment (no KOJI_ES_* from the test's). */
export function spawnBuilder(a: BuilderArgs): BuilderProcess {
  const args = [CLI, 'builder', '--server', a.server, '--workdir', a.workdir, '--debug'];
  if (a.tokenFile) args.push('--token-file', a.tokenFile);
  if (a.passwordFile) args.push('--password-file', a.passwordFile);
  if (a.host) args.push('--host', a.host);
  args.push('--config-dir', a.configDir ?? join(a.workdir, 'no-config'));
  args.push('--sleeptime', String(a.sleeptime ?? 0.1));
  if (a.maxjobs !== undefined) args.push('--maxjobs', String(a.maxjobs));
  if (a.shutdownGrace !== undefined) args.push('--shutdown-grace', String(a.shutdownGrace));
  args.push(...(a.extra ?? []));
  mkdirSync(a.workdir, { recursive: true });
  const p = spawn(process.execPath, args, {
    cwd: a.workdir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: a.workdir, ...a.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  p.stdout!.setEncoding('utf8').on('data', (d: string) => (err += d));
  p.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    for (const w of [...waiters])
      if (w.re.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => p.on('close', (code, signal) => resolve({ code, signal, stderr: err })),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    p,
    stderr: () => err,
    exited,
    waitFor: (re, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(err)) return resolve();
        const t = setTimeout(
          () => reject(new Error(`the builder's log never matched ${re} within ${timeoutMs} ms:\n${err}`)),
          timeoutMs,
        );
        void exited.then((r) => {
          clearTimeout(t);
          if (!re.test(err))
            reject(new Error(`the builder exited (${r.code ?? r.signal}) before ${re}:\n${err}`));
        });
        waiters.push({
          re,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      }),
    kill: async () => {
      if (!done) p.kill('SIGKILL');
      await exited;
    },
  };
}
