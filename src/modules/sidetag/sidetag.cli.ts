import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { argFilter } from '../../cli/core.cli.js';
import { action, subcommand, table, UsageError, type Runtime } from '../../cli/runtime.js';
import { iniGet, parseIni } from '../../config/ini.js';
import { KojiError } from '../../kernel/errors.js';
import { waitRepo } from '../tags/tags.cli.js';
import { applyAll, requireUsers } from '../users/users.cli.js';
import { pyTimedelta } from './sidetag.cleanup.js';

interface SidetagRow {
  id: number;
  name: string;
  user_id: string | null;
  user_name: string | null;
  basetag_name?: string | null;
  hold?: { reason: string; by: string; time: string } | null;
  create_ts?: number;
  builds?: number;
  expires_ts?: number | null;
  removal_due_ts?: number | null;
  removal_stage?: string | null;
}

interface CleanupRow {
  id: number;
  name: string;
  stage: string;
  age: number;
  removed: boolean;
  error?: string;
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
/** Seconds since the epoch as `YYYY-MM-DD HH:MM:SS` (UTC), or nothing. */
const when = (ts: number | null | undefined) =>
  ts ? new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' ') : '';

/**
 * Koji's "Policy violation" with the hub's reason. The hub's message of a policy denial begins with
 * Koji's own "policy violation (sidetag)", which is not said twice.
 */
function policyViolation(reason: string): string {
  return /^policy violation\b/i.test(reason) ? `P${reason.slice(1)}` : `Policy violation: ${reason}`;
}

/**
 * Koji's sidetag CLI (plugins/cli/sidetag_cli.py) with its options, output and errors, plus holds
 * and the cleanup utility (util/koji-sidetag-cleanup). Deliberate differences: a policy denial keeps
 * the hub's reason after "Policy violation", `--rpm-macro` without `=` is a usage error (Koji
 * crashes), and remove-sidetag reports every failure, not only the first.
 */
export function registerSidetag(program: Command, rt: Runtime): void {
  subcommand(program, rt, 'add-sidetag', 'Create sidetag')
    .usage('[options] <basetag>')
    .argument('[basetag...]')
    .option('-q, --quiet', 'Do not print tag name')
    .option('-w, --wait', 'Wait until repo is ready.')
    .option('--debuginfo', 'Buildroot repo will contain debuginfos')
    .option('--suffix <suffix>', 'Suffix from hub-supported ones')
    .option('--label <label>', 'Get or create your sidetag with this label')
    .option('--target <target>', 'Base it on the build tag of this target')
    .action(
      action(
        rt,
        'add-sidetag',
        async (
          args: string[],
          o: {
            quiet?: boolean;
            wait?: boolean;
            debuginfo?: boolean;
            suffix?: string;
            label?: string;
            target?: string;
          },
        ) => {
          if (o.target !== undefined) {
            if (args.length) throw new UsageError('Give a basetag or --target, not both');
          } else if (args.length !== 1) throw new UsageError('Only argument is basetag');
          const quiet = o.quiet ?? rt.quiet;
          const client = await rt.client(true);
          const kwargs: Record<string, unknown> = { debuginfo: !!o.debuginfo, __starstar: true };
          if (o.suffix !== undefined) kwargs.suffix = o.suffix;
          if (o.label !== undefined) kwargs.label = o.label;
          if (o.target !== undefined) kwargs.target = o.target;
          let result: { name: string };
          try {
            result = await client.call<{ name: string }>('createSideTag', [args[0] ?? null, kwargs]);
          } catch (e) {
            if (e instanceof KojiError && e.faultName === 'ActionNotAllowed')
              throw new UsageError(policyViolation(e.message));
            if (e instanceof KojiError && e.faultName === 'ParameterError' && e.message.includes('suffix'))
              throw new UsageError("Hub is older and doesn't support --suffix, please run it without it");
            throw e;
          }
          if (!quiet) rt.print(result.name);
          // wait-repo --target <name> (plus --quiet), as Koji, but with --request (spec §7 T13): Koji's
          // omits it, so it warns that --request is recommended and that the new tag is not configured
          // for automatic regeneration, and waits for the next repo instead of asking for one.
          if (o.wait) return waitRepo(rt, [result.name], { target: true, quiet, request: true });
        },
      ),
    );

  subcommand(program, rt, 'remove-sidetag', 'Remove sidetag')
    .usage('[options] <sidetag> ...')
    .argument('[sidetag...]')
    .action(
      action(rt, 'remove-sidetag', async (names: string[]) => {
        if (!names.length) throw new UsageError('Sidetag argument is required');
        const client = await rt.client(true);
        // Koji's multicall, in one request; every refusal is reported (Koji reports the first, T13).
        let failed = false;
        for (const r of await client.batch(names.map((n) => ['removeSideTag', [n]]))) {
          if (!('fault' in r)) continue;
          rt.io.err(`koji-es: ${r.fault.faultName}: ${r.fault.message}\n`);
          failed = true;
        }
        return failed ? 1 : 0;
      }),
    );

  subcommand(program, rt, 'list-sidetags', 'List sidetags')
    .usage('[options]')
    .argument('[args...]')
    .option('--basetag <basetag>', 'Filter on basetag')
    .option('--user <user>', 'Filter on user')
    .option('--mine', 'Filter on user')
    .option('--label <label>', 'Filter on label')
    .option(
      '--verbose',
      "Show owner, base tag, builds, age, expiry, holds and when the hub's cleanup removes it",
    )
    .option(
      '--due <DAYS>',
      "Only sidetags the hub's cleanup removes within DAYS days (unless held or used meanwhile)",
    )
    .option('--json', 'Print the list as JSON')
    .action(
      action(
        rt,
        'list-sidetags',
        async (
          args: string[],
          o: {
            basetag?: string;
            user?: string;
            mine?: boolean;
            label?: string;
            verbose?: boolean;
            json?: boolean;
            due?: string;
          },
        ) => {
          if (args.length) throw new UsageError('This command takes no arguments');
          if (o.mine && o.user) throw new UsageError('Specify only one from --user --mine');
          const due = o.due === undefined ? null : Number(o.due);
          if (due !== null && !(Number.isFinite(due) && due >= 0))
            throw new UsageError(`--due takes a number of days, not ${o.due}`);
          const client = await rt.client(!!o.mine);
          let user = o.user ?? null;
          if (o.mine) user = (await client.call<{ name: string }>('getLoggedInUser')).name;
          const extra = o.verbose || o.json;
          const rows = await client.call<SidetagRow[]>('listSideTags', [
            {
              basetag: o.basetag ?? null,
              user,
              ...(o.label !== undefined ? { label: o.label } : {}),
              ...(due !== null ? { due } : {}),
              ...(extra ? { queryOpts: { extra: true } } : {}),
              __starstar: true,
            },
          ]);
          if (o.json) {
            rt.print(JSON.stringify(rows, null, 2));
            return;
          }
          if (!o.verbose) {
            for (const r of rows) rt.print(r.name);
            return;
          }
          table(
            rt,
            ['Sidetag', 'Owner', 'Base tag', 'Builds', 'Created', 'Expires', 'Hold', 'Removal due'],
            rows.map((r) => [
              r.name,
              r.user_name,
              r.basetag_name ?? '',
              r.builds ?? 0,
              when(r.create_ts),
              when(r.expires_ts),
              r.hold ? `${r.hold.reason} (${r.hold.by})` : '',
              r.removal_due_ts ? `${when(r.removal_due_ts)} (${r.removal_stage})` : '',
            ]),
          );
        },
      ),
    );

  for (const [name, method, help] of [
    [
      'add-sidetag-owner',
      'addSideTagOwner',
      'Let users tag builds into and out of your sidetag as its co-owners',
    ],
    ['remove-sidetag-owner', 'removeSideTagOwner', 'Take co-owners off your sidetag'],
  ] as const)
    subcommand(program, rt, name, help)
      .usage('<sidetag> <user> [<user> ...]')
      .argument('[args...]')
      .action(
        action(rt, name, async (args: string[]) => {
          if (args.length < 2) throw new UsageError('Give a sidetag and at least one user');
          const client = await rt.client(true);
          const users = args.slice(1);
          await requireUsers(client, users);
          return applyAll(
            rt,
            client,
            users.map((u) => [method, [args[0], u]]),
          );
        }),
      );

  subcommand(
    program,
    rt,
    'expire-sidetag',
    "Have the hub's cleanup remove your sidetag after DAYS days (unless it is held then); never clears it",
  )
    .usage('<sidetag> <days|never>')
    .argument('[args...]')
    .action(
      action(rt, 'expire-sidetag', async (args: string[]) => {
        if (args.length !== 2) throw new UsageError('Give a sidetag and a number of days (or never)');
        const days = args[1] === 'never' ? null : Number(args[1]);
        if (days !== null && !(Number.isFinite(days) && days > 0))
          throw new UsageError(`days must be a number above 0 or never, not ${JSON.stringify(args[1])}`);
        const client = await rt.client(true);
        await client.call('setSideTagExpiry', [args[0], days]);
      }),
    );

  subcommand(program, rt, 'transfer-sidetag', 'Give your sidetag to another user, with its quota and label')
    .usage('<sidetag> <user>')
    .argument('[args...]')
    .action(
      action(rt, 'transfer-sidetag', async (args: string[]) => {
        if (args.length !== 2) throw new UsageError('Give a sidetag and the user to give it to');
        const client = await rt.client(true);
        await client.call('transferSideTag', [args[0], args[1]]);
      }),
    );

  subcommand(program, rt, 'edit-sidetag', 'Edit sidetag')
    .usage('[options] <sidetag>')
    .argument('[sidetag...]')
    .option('--debuginfo', 'Generate debuginfo repository')
    .option('--no-debuginfo', '')
    // No default value given to commander, so the help shows Koji's texts without "(default: [])".
    .option('--rpm-macro <key=value>', 'Set tag-specific rpm macros', collect)
    .option('--remove-rpm-macro <key>', 'Remove rpm macros', collect)
    .action(
      action(
        rt,
        'edit-sidetag',
        async (
          args: string[],
          opts: { debuginfo?: boolean; rpmMacro?: string[]; removeRpmMacro?: string[] },
        ) => {
          const o = { ...opts, rpmMacro: opts.rpmMacro ?? [], removeRpmMacro: opts.removeRpmMacro ?? [] };
          if (args.length !== 1) throw new UsageError('Only argument is sidetag');
          if (o.debuginfo === undefined && !o.rpmMacro.length && !o.removeRpmMacro.length)
            throw new UsageError('At least one option needs to be specified');
          const kwargs: Record<string, unknown> = { __starstar: true };
          if (o.debuginfo !== undefined) kwargs.debuginfo = o.debuginfo;
          if (o.rpmMacro.length) {
            const macros: Record<string, unknown> = {};
            for (const m of o.rpmMacro) {
              const eq = m.indexOf('=');
              if (eq < 0) throw new UsageError(`--rpm-macro needs key=value, not ${JSON.stringify(m)}`);
              macros[m.slice(0, eq)] = argFilter(m.slice(eq + 1));
            }
            kwargs.rpm_macros = macros;
          }
          if (o.removeRpmMacro.length) kwargs.remove_rpm_macros = o.removeRpmMacro;
          const client = await rt.client(true);
          await client.call('editSideTag', [args[0], kwargs]);
        },
      ),
    );

  subcommand(
    program,
    rt,
    'hold-sidetag',
    'Keep a sidetag out of every automatic removal (cleanup, remove_empty)',
  )
    .argument('<sidetag>')
    .argument('<reason>')
    .action(
      action(rt, 'hold-sidetag', async (name: string, reason: string) => {
        const client = await rt.client(true);
        await client.call('holdSideTag', [name, reason]);
      }),
    );

  subcommand(program, rt, 'release-sidetag', 'Release the hold on a sidetag')
    .argument('<sidetag>')
    .action(
      action(rt, 'release-sidetag', async (name: string) => {
        const client = await rt.client(true);
        await client.call('releaseSideTag', [name]);
      }),
    );

  subcommand(
    program,
    rt,
    'sidetag-cleanup',
    'Remove empty, old and inactive sidetags (koji-sidetag-cleanup) [sidetag_admin]',
  )
    .option(
      '-c, --config <file>',
      'koji-gc style config file with a [main] section (server, user, password, noauth)',
    )
    .option('-t, --test', 'Test mode: report, remove nothing')
    .option('--no-expired', 'Do not remove sidetags past the expiry their owner set')
    .option('--no-empty', 'Do not remove empty sidetags')
    .option('--empty-delay <days>', 'Days an empty sidetag may live', '1')
    .option('--no-old', 'Do not remove old sidetags')
    .option('--old-delay <days>', 'Days any sidetag may live', '30')
    .option('--no-inactive', 'Do not remove inactive sidetags')
    .option('--inactive-delay <days>', 'Days since the last build was un/tagged there', '10')
    .option('--ignore-tags <pattern>', 'Never remove sidetags matching this glob (repeatable)', collect, [])
    .action(
      action(
        rt,
        'sidetag-cleanup',
        async (o: {
          config?: string;
          test?: boolean;
          expired: boolean;
          empty: boolean;
          emptyDelay: string;
          old: boolean;
          oldDelay: string;
          inactive: boolean;
          inactiveDelay: string;
          ignoreTags: string[];
        }) => {
          if (o.config) {
            if (!existsSync(o.config)) throw new UsageError(`No such file: ${o.config}`);
            const ini = parseIni(readFileSync(o.config, 'utf8'), o.config);
            // Flags and the environment still win over the file, as everywhere else.
            const env = rt.io.env;
            for (const [key, envName] of [
              ['server', 'KOJI_ES_SERVER'],
              ['user', 'KOJI_ES_USER'],
              ['password', 'KOJI_ES_PASSWORD'],
            ] as const) {
              const v = iniGet(ini, 'main', key)?.value;
              if (v !== undefined && env[envName] === undefined && rt.flags[key] === undefined)
                env[envName] = v;
            }
          }
          const days = (v: string, name: string) => {
            const n = Number(v);
            if (!Number.isFinite(n) || n < 0)
              throw new UsageError(`${name} must be a number of days, not ${JSON.stringify(v)}`);
            return n;
          };
          // Checked before logging in, as optparse checks its int options while parsing.
          const delays = {
            empty_delay: days(o.emptyDelay, '--empty-delay'),
            old_delay: days(o.oldDelay, '--old-delay'),
            inactive_delay: days(o.inactiveDelay, '--inactive-delay'),
          };
          const client = await rt.client(true);
          const report = await client.call<CleanupRow[]>('cleanupSideTags', [
            {
              test: !!o.test,
              expired: o.expired,
              empty: o.empty,
              old: o.old,
              inactive: o.inactive,
              ...delays,
              ignore_tags: o.ignoreTags,
              __starstar: true,
            },
          ]);
          let failed = 0;
          for (const r of report) {
            rt.print(`[${r.stage}] ${r.name} (${pyTimedelta(r.age)})`);
            if (r.error) {
              failed++;
              rt.io.err(`koji-es: could not remove ${r.name}: ${r.error}\n`);
            }
          }
          return failed ? 1 : 0;
        },
      ),
    );
}
