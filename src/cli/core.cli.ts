import type { Command } from 'commander';
import { pyRepr } from '../rpc/method.js';
import { KOJI_ES_VERSION } from '../version.js';
import { action, subcommand, UsageError, type Runtime } from './runtime.js';

/** Koji's `arg_filter`: int, then float, then None/True/False, then (with --json-input) JSON, else the text. */
export function argFilter(arg: string, json = false): unknown {
  if (/^[-+]?\d+$/.test(arg.trim())) return Number(arg);
  if (/^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$/.test(arg.trim()) || /^[-+]?(inf|nan)$/i.test(arg.trim())) {
    const n = Number(arg);
    if (Number.isFinite(n)) return n;
  }
  if (arg === 'None') return null;
  if (arg === 'True') return true;
  if (arg === 'False') return false;
  if (json) {
    try {
      return JSON.parse(arg) as unknown;
    } catch {
      return arg;
    }
  }
  return arg;
}

interface ApiEntry {
  name: string;
  doc: string | null;
  argdesc?: string | null;
  args: (string | [string, unknown])[];
}

export function registerCore(program: Command, rt: Runtime): void {
  subcommand(program, rt, 'hello', 'Say hello to the hub and show who you are logged in as').action(
    action(rt, 'hello', async () => {
      const client = await rt.client(false);
      const canAuth = client.canAuthenticate;
      if (canAuth) await client.ensureAuth();
      const user = await client.call<{ name: string; authtype_name?: string } | null>('getLoggedInUser');
      const version = await client.call<string>('getKojiVersion');
      rt.print(`Hello, ${user ? user.name : 'anonymous user'}!`);
      rt.print();
      rt.print(`You are using the hub at ${rt.profile.server} (Koji ${version})`);
      rt.print(
        user
          ? `Authenticated via ${user.authtype_name === 'token' ? 'API token' : 'password'}`
          : 'Not authenticated',
      );
    }),
  );

  subcommand(program, rt, 'version', 'Print the client and hub versions').action(
    action(rt, 'version', async () => {
      rt.print(`Client: koji-es ${KOJI_ES_VERSION}`);
      const client = await rt.client(false);
      rt.print(`Hub:    ${await client.call<string>('getKojiVersion')}`);
    }),
  );

  subcommand(program, rt, 'list-api', "List the hub's API methods, or show the named ones")
    .argument('[method...]', 'methods to describe')
    .action(
      action(rt, 'list-api', async (methods: string[]) => {
        const client = await rt.client(false);
        if (methods.length) {
          for (const m of methods) {
            const help = await client.call<string>('system.methodHelp', [m]);
            if (!help) throw new UsageError(`Unknown method: ${m}`);
            rt.print(help);
          }
          return;
        }
        const list = await client.call<ApiEntry[]>('_listapi');
        for (const e of [...list].sort((a, b) => (a.name < b.name ? -1 : 1))) {
          const argdesc =
            e.argdesc ??
            `(${e.args.map((a) => (Array.isArray(a) ? `${a[0]}=${pyRepr(a[1])}` : a)).join(', ')})`;
          rt.print(`${e.name}${argdesc}`);
          if (e.doc) rt.print(`  description: ${e.doc}`);
        }
      }),
    );

  subcommand(program, rt, 'call', 'Execute an arbitrary XML-RPC call')
    .argument('<method>', 'the API method')
    .argument(
      '[args...]',
      "arguments (Koji's syntax: 1, 2.5, True, None, text; key=value for keyword arguments)",
    )
    .option('--json-input', 'parse each argument as JSON when it is not a number, True, False or None')
    .option('--json-output', 'print the result as JSON')
    .option('--kwargs <json>', 'keyword arguments as one JSON object')
    .action(
      action(
        rt,
        'call',
        async (
          methodName: string,
          args: string[],
          o: { jsonInput?: boolean; jsonOutput?: boolean; kwargs?: string },
        ) => {
          const positional: unknown[] = [];
          const kwargs: Record<string, unknown> = {};
          // Koji sends unparsable JSON on as text; text that opens like JSON was meant as JSON, and
          // sending it as a string would make a call nobody asked for.
          const filter = (value: string, arg: string) => {
            const v = argFilter(value, o.jsonInput);
            if (o.jsonInput && v === value && /^\s*[[{"]/.test(value)) {
              try {
                JSON.parse(value);
              } catch (e) {
                throw new UsageError(
                  `argument ${JSON.stringify(arg)} is not valid JSON: ${(e as Error).message}`,
                );
              }
            }
            return v;
          };
          for (const a of args) {
            const eq = a.indexOf('=');
            if (eq > 0) kwargs[a.slice(0, eq)] = filter(a.slice(eq + 1), a);
            else positional.push(filter(a, a));
          }
          if (o.kwargs) {
            let extra: unknown;
            try {
              extra = JSON.parse(o.kwargs);
            } catch (e) {
              throw new UsageError(`--kwargs is not JSON: ${(e as Error).message}`);
            }
            if (!extra || typeof extra !== 'object' || Array.isArray(extra))
              throw new UsageError('--kwargs must be a JSON object');
            Object.assign(kwargs, extra);
          }
          const client = await rt.client(false);
          if (client.canAuthenticate) await client.ensureAuth();
          const params = Object.keys(kwargs).length
            ? [...positional, { ...kwargs, __starstar: true }]
            : positional;
          const result = await client.call(methodName, params);
          rt.print(o.jsonOutput ? JSON.stringify(result, null, 2) : pyRepr(result));
        },
      ),
    );
}
