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
    .argument(
      '[data...]',
      "the policy data as key=value (Koji's syntax: 1, True, None, text; a list as JSON: mounts='[\"/mnt/a\"]')",
    )
    .action(
      action(rt, 'test-policy', async (name: string, pairs: string[]) => {
        const data = policyData(pairs);
        const client = await rt.client(true);
        const v = await client.call<Verdict>('checkPolicy', [name, data]);
        rt.print(`${v.allowed ? 'allowed' : 'denied'}: ${v.result}${v.reason ? ` (${v.reason})` : ''}`);
        if (v.missing) rt.print(`policy ${name} is not configured`);
        for (const step of v.trail) rt.print(`  line ${step.line}: ${step.rule}`);
        return v.allowed ? 0 : 1;
      }),
    );
}

/**
 * `key=value` pairs as policy data. A value that starts with `[` or `{` is JSON, so list facts such
 * as runroot's `mounts` and `packages` (`match_all mounts …`) can be tried: as text they were one
 * string, and such a rule could only be denied.
 */
export function policyData(pairs: string[]): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`policy data must be key=value, not ${JSON.stringify(p)}`);
    const key = p.slice(0, eq);
    const value = p.slice(eq + 1);
    if (/^\s*[[{]/.test(value)) {
      try {
        data[key] = JSON.parse(value) as unknown;
      } catch (e) {
        throw new UsageError(`${key}: a value starting with [ or { must be JSON (${(e as Error).message})`);
      }
    } else data[key] = argFilter(value);
  }
  return data;
}
