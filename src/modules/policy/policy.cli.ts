import type { Command } from 'commander';
import { argFilter } from '../../cli/core.cli.js';
import { action, subcommand, UsageError, type Runtime } from '../../cli/runtime.js';

interface Verdict {
  policy: string;
  allowed: boolean;
  result: string;
  reason: string;
  trail: { line: number; rule: string }[];
  missing: boolean;
}

export function registerPolicy(program: Command, rt: Runtime): void {
  subcommand(
    program,
    rt,
    'test-policy',
    'Dry-run a hub policy against some data and show the rules that decided [admin]',
  )
    .argument('<policy>', 'the policy name, e.g. sidetag')
    .argument('[data...]', "the policy data as key=value (Koji's syntax: 1, True, None, text)")
    .action(
      action(rt, 'test-policy', async (name: string, pairs: string[]) => {
        const data: Record<string, unknown> = {};
        for (const p of pairs) {
          const eq = p.indexOf('=');
          if (eq <= 0) throw new UsageError(`policy data must be key=value, not ${JSON.stringify(p)}`);
          data[p.slice(0, eq)] = argFilter(p.slice(eq + 1));
        }
        const client = await rt.client(true);
        const v = await client.call<Verdict>('checkPolicy', [name, data]);
        rt.print(`${v.allowed ? 'allowed' : 'denied'}: ${v.result}${v.reason ? ` (${v.reason})` : ''}`);
        if (v.missing) rt.print(`policy ${name} is not configured`);
        for (const step of v.trail) rt.print(`  line ${step.line}: ${step.rule}`);
        return v.allowed ? 0 : 1;
      }),
    );
}
