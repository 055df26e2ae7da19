import { Command, CommanderError } from 'commander';
import { KojiError } from '../kernel/errors.js';
import { ConnectionError, HubClient, HubFault } from './client.js';
import { loadProfile, ProfileError, type GlobalFlags, type Profile } from './profile.js';

/** Koji's `parser.error`: `koji-es <command>: error: <message>`, exit status 2. */
export class UsageError extends Error {}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

/** What a command's action gets: the profile, a client that logs in on demand, and output helpers. */
export class Runtime {
  private _client: HubClient | null = null;
  private _profile: Profile | null = null;

  constructor(
    readonly program: Command,
    readonly io: Io,
  ) {}

  get flags(): GlobalFlags {
    return this.program.opts<GlobalFlags>();
  }

  get profile(): Profile {
    this._profile ??= loadProfile(this.flags, this.io.env);
    return this._profile;
  }

  get quiet(): boolean {
    return !!this.flags.quiet;
  }

  /** A client; `auth` logs in first (or fails as Koji does when no credentials exist). */
  async client(auth: boolean): Promise<HubClient> {
    this._client ??= new HubClient(this.profile, {
      noauth: this.flags.noauth,
      debug: this.flags.debug,
      env: this.io.env,
      onWarning: (w) => this.io.err(`koji-es: warning: ${w}\n`),
    });
    if (auth && !this.flags.noauth) await this._client.ensureAuth();
    return this._client;
  }

  print(line = ''): void {
    this.io.out(`${line}\n`);
  }
}

export type Action = (rt: Runtime, ...args: never[]) => Promise<number | void>;

/**
 * Adds a subcommand whose failures follow the house rule: usage errors → `koji-es <cmd>: error:`
 * and exit 2; Koji faults → `koji-es: <Class>: <message>` and exit 1; success → 0.
 */
export function subcommand(program: Command, rt: Runtime, spec: string, summary: string): Command {
  const cmd = program.command(spec).description(summary);
  const name = cmd.name();
  cmd.exitOverride((e: CommanderError) => {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version')
      throw new ExitSignal(0);
    rt.io.err(`koji-es ${name}: error: ${e.message.replace(/^error: /, '')}\n`);
    throw new ExitSignal(2);
  });
  cmd.configureOutput({
    writeOut: (s) => rt.io.out(s),
    writeErr: (s) => rt.io.err(s),
    outputError: () => undefined,
  });
  return cmd;
}

export class ExitSignal extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Wraps an action with the error rules; returns the exit status through ExitSignal. */
export function action<A extends unknown[]>(
  rt: Runtime,
  name: string,
  fn: (...args: A) => Promise<number | void>,
) {
  return async (...args: A) => {
    let code: number;
    try {
      code = (await fn(...args)) ?? 0;
    } catch (e) {
      code = reportError(rt, name, e);
    }
    throw new ExitSignal(code);
  };
}

export function reportError(rt: Runtime, name: string, e: unknown): number {
  if (e instanceof ExitSignal) return e.code;
  if (e instanceof UsageError) {
    rt.io.err(`koji-es ${name}: error: ${e.message}\n`);
    return 2;
  }
  if (e instanceof KojiError || e instanceof HubFault) {
    rt.io.err(`koji-es: ${e.faultName}: ${e.message}\n`);
    return 1;
  }
  if (e instanceof ConnectionError) {
    rt.io.err(`koji-es: ServerOffline: ${e.message}\n`);
    return 1;
  }
  if (e instanceof ProfileError) {
    rt.io.err(`koji-es: ConfigurationError: ${e.message}\n`);
    return 1;
  }
  rt.io.err(`koji-es: ${(e as Error)?.message ?? String(e)}\n`);
  if (rt.flags.debug) rt.io.err(`${(e as Error)?.stack}\n`);
  return 1;
}

/** Reads a password from stdin (first line), for --password-stdin. */
export async function passwordFromStdin(rt: Runtime): Promise<string> {
  const text = await rt.io.readStdin();
  const pw = text.split(/\r?\n/)[0];
  if (!pw) throw new UsageError('no password on standard input');
  return pw;
}

/** Prints rows as aligned columns (Koji's list commands), the header only without --quiet. */
export function table(rt: Runtime, header: string[], rows: (string | number | null)[][]): void {
  const all = rt.quiet ? rows : [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length)));
  for (const r of all)
    rt.print(
      r
        .map((c, i) => (i === r.length - 1 ? String(c ?? '') : String(c ?? '').padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    );
}

/**
 * An id from the command line: a positive integer. Beyond Number.MAX_SAFE_INTEGER a JavaScript
 * number rounds (99999999999999999999 becomes 100000000000000000000), so the hub would be asked
 * about an id nobody typed: those are refused too.
 */
export function parseId(s: string, what: string): number {
  const v = s.trim();
  if (!/^\+?\d+$/.test(v) || /^\+?0+$/.test(v))
    throw new UsageError(`${what} must be a positive integer, not ${JSON.stringify(s)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n))
    throw new UsageError(`${what} ${v} is too large: the largest id is ${Number.MAX_SAFE_INTEGER}`);
  return n;
}
