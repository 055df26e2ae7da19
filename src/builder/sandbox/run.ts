// Runs one sandboxed command with its output captured on the host: stdout and stderr are one pipe
// (the exact interleaving of `2>&1`) that the builder copies into the log file, so nothing in the
// buildroot — no shell, no tee, no PIPESTATUS (spec/platform-notes.md §4) — is needed, and the log
// can stop growing at a size limit while the command keeps running.
import { spawn } from 'node:child_process';
import { statSync, closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { BwrapDriver } from './bwrap.js';
import { InsideError, makeMountPoint } from './inside.js';
import type { SandboxDriver, SandboxOutcome, SandboxSpec } from './types.js';

/**
 * `exec "$@" 2>&1` as the host's first process: it makes fd 2 a copy of fd 1 (a pipe) and execs
 * the driver in place, so the process the builder kills is the driver itself.
 */
const MERGE = 'exec "$@" 2>&1';

export interface CaptureOptions {
  /** Host file that receives stdout+stderr (truncated first unless `append`). */
  logPath: string;
  append?: boolean;
  /** Bytes after which the log stops growing (a note is appended); 0 for no limit. */
  maxLogBytes: number;
  /** Wall-clock limit; the whole sandbox is killed when it passes. 0 for none. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HostTools {
  sh: string;
  setarch: string | null;
}

export interface RunResult {
  outcome: SandboxOutcome;
  /** Bytes of output the command produced (kept or not). */
  outputBytes: number;
  truncated: boolean;
}

export const truncationNote = (max: number) =>
  `\n[koji-es: the log reached [runroot] max_log_size (${max} bytes); the rest of the output was discarded]\n`;

export function runSandboxed(
  driver: SandboxDriver,
  spec: SandboxSpec,
  tools: HostTools,
  o: CaptureOptions,
): Promise<RunResult> {
  if (driver.needsMountPoints) {
    try {
      for (const b of spec.binds) makeMountPoint(spec.root, b.dest, statSync(b.src).isDirectory());
    } catch (e) {
      const why = e instanceof InsideError ? e.message : (e as Error).message;
      return Promise.resolve({ outcome: { kind: 'setup', message: why }, outputBytes: 0, truncated: false });
    }
  }
  const cmd = driver.command(spec);
  const hostArgv =
    spec.personality && tools.setarch
      ? [tools.setarch, spec.personality, cmd.file, ...cmd.args]
      : [cmd.file, ...cmd.args];

  const log = openSync(o.logPath, o.append ? 'a' : 'w');
  let kept = 0;
  let total = 0;
  let truncated = false;
  const write = (chunk: Buffer) => {
    total += chunk.length;
    if (o.maxLogBytes > 0) {
      const room = o.maxLogBytes - kept;
      if (room <= 0) {
        truncated = true;
        return;
      }
      if (chunk.length > room) {
        truncated = true;
        chunk = chunk.subarray(0, room);
      }
    }
    writeSync(log, chunk);
    kept += chunk.length;
  };

  return new Promise<RunResult>((resolve) => {
    let status = '';
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const child = spawn(tools.sh, ['-c', MERGE, 'runroot', ...hostArgv], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: spec.env,
      ...(spec.runAs ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
    });
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer =
      o.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            kill();
          }, o.timeoutMs)
        : null;
    const onAbort = () => {
      aborted = true;
      kill();
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout!.on('data', write);
    child.stderr!.on('data', write);
    const statusPipe = child.stdio[3] as NodeJS.ReadableStream;
    statusPipe.setEncoding('utf8');
    statusPipe.on('data', (d: string) => (status += d));

    const finish = (outcome: SandboxOutcome) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (truncated) writeSync(log, truncationNote(o.maxLogBytes));
      closeSync(log);
      resolve({ outcome, outputBytes: total, truncated });
    };
    child.on('error', (e) => finish({ kind: 'setup', message: `cannot run ${tools.sh}: ${e.message}` }));
    child.on('close', (code, sig) => {
      if (timedOut) return finish({ kind: 'timeout', seconds: o.timeoutMs / 1000 });
      if (aborted) return finish({ kind: 'aborted' });
      const outcome = driver.outcome(status, code, sig);
      if (outcome.kind === 'setup' && !outcome.message) {
        // The command never ran: what was printed is the driver's own complaint.
        const text = readFileSync(o.logPath, 'utf8').trim().split('\n').slice(-5).join(' / ');
        if (driver.name === 'bwrap' && BwrapDriver.notFound(text)) return finish({ kind: 'exit', code: 127 });
        return finish({ kind: 'setup', message: text || `${driver.name} exited with status ${code ?? sig}` });
      }
      finish(outcome);
    });
  });
}
