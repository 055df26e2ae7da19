// The built `koji-es` client (dist/cli/main.js) as a test drives it: a private HOME per client, the
// hub's URL and a 0.05 s poll interval in the environment, and assertions for koji-es's output rules.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './hub.js';
import { tempDir } from './tmp.js';

export const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** The environment that logs the CLI in as a user, in a profile of that user's name. */
export const loginEnv = (user: string, password: string): Record<string, string> => ({
  KOJI_ES_USER: user,
  KOJI_ES_PASSWORD: password,
  KOJI_ES_PROFILE: user,
});

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Added to the base environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
}

/** A CLI process still running, whose output the test reads as it comes. */
export class Running {
  stdout = '';
  stderr = '';
  readonly done: Promise<Result>;

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.done = new Promise((resolve, reject) => {
      proc.on('error', reject);
      proc.on('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Waits until stdout matches, or fails with what was printed so far. */
  async waitFor(re: RegExp, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!re.test(this.stdout)) {
      if (Date.now() > until || this.proc.exitCode !== null)
        throw new Error(`stdout never matched ${re}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export class Client {
  readonly home: string;
  private readonly cleanupDir: () => void;

  constructor(private readonly server: string) {
    const t = tempDir('koji-es-cli-home-');
    this.home = t.dir;
    this.cleanupDir = t.cleanup;
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      KOJI_ES_POLL_INTERVAL: '0.05',
      KOJI_ES_SERVER: this.server,
      TZ: 'UTC',
    };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  start(args: string[], o: RunOptions = {}): Running {
    const p = spawn(process.execPath, [CLI, ...args], {
      env: this.env(o.env),
      cwd: o.cwd ?? this.home,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    p.stdin.end(o.input ?? '');
    return new Running(p);
  }

  run(args: string[], o: RunOptions = {}): Promise<Result> {
    return this.start(args, o).done;
  }

  cleanup(): void {
    this.cleanupDir();
  }
}

export function ok(r: Result, stdout?: string | RegExp): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stderr, '');
  if (typeof stdout === 'string') assert.equal(r.stdout, stdout);
  else if (stdout) assert.match(r.stdout, stdout);
}

/** Koji's parser.error: one line `koji-es <cmd>: error: <message>`, exit status 2, nothing on stdout. */
export function usage(r: Result, command: string, message: string | RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const line = r.stderr.replace(/\n$/, '');
  assert.ok(!line.includes('\n'), `one line: ${r.stderr}`);
  const prefix = `koji-es ${command}: error: `;
  assert.ok(line.startsWith(prefix), line);
  if (typeof message === 'string') assert.equal(line.slice(prefix.length), message);
  else assert.match(line.slice(prefix.length), message);
}

/** A failure: `koji-es: <Class>: <message>` as the last line of stderr, exit status 1, no stack. */
export function fault(r: Result, cls: string, message: string | RegExp, stdout = ''): void {
  assert.equal(r.code, 1, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, stdout);
  const line = r.stderr.replace(/\n$/, '');
  assert.ok(!line.includes('\n'), `one line: ${r.stderr}`);
  const prefix = `koji-es: ${cls}: `;
  assert.ok(line.startsWith(prefix), line);
  if (typeof message === 'string') assert.equal(line.slice(prefix.length), message);
  else assert.match(line.slice(prefix.length), message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}
