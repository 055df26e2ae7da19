// A hub as its own process (`node dist/main.js`), as an operator runs it: several of them can share one
// PostgreSQL database. The test talks to it over HTTP and can kill it with a real signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './hub.js';
import { RpcClient } from './sidetag.js';
import { tempDir } from './tmp.js';

export const MAIN = join(REPO_ROOT, 'dist', 'main.js');

export interface HubProcess {
  proc: ChildProcess;
  url: string;
  client: RpcClient;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Everything the process wrote to stdout so far (Nest's log and warn lines go there). */
  stdout(): string;
  /** How it ended (exit code or signal), or null while it runs. */
  exit(): string | null;
  /** Sends a signal and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface HubProcessOptions {
  store: string;
  configDir: string;
  adminPassword: string;
  env?: Record<string, string>;
  /** Where the hub keeps its files (default: a fresh directory on tmpfs, removed when it exits). */
  dataDir?: string;
  startTimeoutMs?: number;
  /** More command-line arguments (`--no-builder`, …). */
  args?: string[];
}

/** Starts `node dist/main.js --store … --port 0` and resolves once it prints where it listens. */
export async function startHubProcess(o: HubProcessOptions): Promise<HubProcess> {
  const data = o.dataDir ? { dir: o.dataDir, cleanup: () => {} } : tempDir('koji-es-hubproc-');
  const proc = spawn(
    process.execPath,
    [
      MAIN,
      '--store',
      o.store,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--config-dir',
      o.configDir,
      '--data-dir',
      data.dir,
      ...(o.args ?? []),
    ],
    {
      cwd: data.dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: data.dir,
        KOJI_ES_ADMIN_PASSWORD: o.adminPassword,
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let ended: string | null = null;
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      ended = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    }),
  );
  exited.then(data.cleanup, data.cleanup);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(
        new Error(`hub process did not start within ${o.startTimeoutMs ?? 60_000} ms; stderr: ${stderr}`),
      );
    }, o.startTimeoutMs ?? 60_000);
    const onData = () => {
      const m = /hub listening on (http:\/\/\S+)/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      proc.stderr!.off('data', onData);
      resolve(m[1]);
    };
    proc.stderr!.on('data', onData);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hub process exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
  });
  return {
    proc,
    url,
    client: new RpcClient(url),
    stderr: () => stderr,
    stdout: () => stdout,
    exit: () => ended,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
