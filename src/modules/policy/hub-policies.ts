import type { PolicySource } from '../../config/hub-config.js';
import {
  createPolicyRegistry,
  parsePolicies,
  PolicySyntaxError,
  SIDETAG_POLICY_TESTS,
  splitAction,
  type PolicyRule,
  type PolicySet,
  type PolicyTestDefinition,
} from '../../policy/index.js';

/** The tests modules contribute to the policy language (Koji's plugins register theirs the same way). */
export const MODULE_POLICY_TESTS: readonly (readonly PolicyTestDefinition[])[] = [SIDETAG_POLICY_TESTS];

/**
 * Rebuilds a policy's text so that its line N is line N of the file: configparser drops comment
 * lines inside a value, and the parser only takes one offset, so the gaps are refilled with blanks.
 */
export function textWithFileLines(src: PolicySource): { text: string; offset: number } {
  if (src.lines.length === 0) return { text: src.text, offset: 0 };
  const parts = src.text.split('\n');
  const first = src.lines[0];
  const out: string[] = [];
  parts.forEach((p, i) => {
    const line = src.lines[i] ?? first + out.length;
    while (first + out.length < line) out.push('');
    out.push(p);
  });
  return { text: out.join('\n'), offset: first - 1 };
}

/**
 * The policies the hub itself puts actions to, with the verbs each understands. Koji turns any other
 * verb into a denial reading "error in policy" at run time; here a misspelt `alow` stops start-up.
 */
export const CHECKED_POLICIES: Readonly<Record<string, readonly string[]>> = {
  sidetag: ['allow', 'deny'],
  tag: ['allow', 'deny'],
  package_list: ['allow', 'deny'],
  runroot: ['allow', 'deny'],
};

function* rulesOf(rules: readonly PolicyRule[]): Generator<PolicyRule> {
  for (const rule of rules) {
    yield rule;
    if (typeof rule.action !== 'string') yield* rulesOf(rule.action);
  }
}

function checkActions(set: PolicySet, configured: readonly string[], file: string): void {
  for (const name of configured) {
    const verbs = CHECKED_POLICIES[name];
    const policy = set.get(name);
    if (!verbs || !policy) continue;
    for (const rule of rulesOf(policy.rules)) {
      if (typeof rule.action !== 'string') continue;
      const [verb] = splitAction(rule.action);
      if (verbs.includes(verb)) continue;
      throw new PolicySyntaxError({
        policy: name,
        line: rule.line,
        file,
        detail: `${verb ? `unknown action "${verb}"` : 'no action'} in "${rule.text}" (the ${name} policy's actions are ${verbs.join(' and ')}, lower case)`,
      });
    }
  }
}

/**
 * Warnings for `[policy]` keys the hub never consults: a misspelt `sidtag` would otherwise leave
 * sidetags ungoverned without a word. A policy another one names in a `policy <name>` test counts.
 */
export function unusedPolicyWarnings(
  policies: Record<string, PolicySource>,
  set: PolicySet,
  file: string,
): string[] {
  const referenced = new Set<string>();
  for (const name of Object.keys(policies))
    for (const rule of rulesOf(set.get(name)?.rules ?? []))
      for (const t of rule.tests)
        if (t.name === 'policy') referenced.add(t.text.trim().split(/\s+/)[1] ?? '');
  return Object.entries(policies)
    .filter(([name]) => !(name in CHECKED_POLICIES) && !referenced.has(name))
    .map(
      ([name, src]) =>
        `${file} [policy] ${name}${src.line ? ` (line ${src.line})` : ''} is not a policy koji-es checks (it checks ${Object.keys(CHECKED_POLICIES).join(', ')}; others only through a \`policy NAME\` test)`,
    );
}

/**
 * Compiles the `[policy]` section; a syntax error, or an action the policy does not know, names the
 * file, the policy and the line.
 */
export function compileHubPolicies(policies: Record<string, PolicySource>, file: string): PolicySet {
  const registry = createPolicyRegistry(...MODULE_POLICY_TESTS);
  const texts: Record<string, string> = {};
  const lineOffsets: Record<string, number> = {};
  for (const [name, src] of Object.entries(policies)) {
    const { text, offset } = textWithFileLines(src);
    texts[name] = text;
    lineOffsets[name] = offset;
  }
  const set = parsePolicies(texts, registry, { file, lineOffsets, withKojiDefaults: true });
  checkActions(set, Object.keys(policies), file);
  return set;
}
