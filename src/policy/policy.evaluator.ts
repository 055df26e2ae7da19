// Provenance: Koji's `SimpleRuleSet._apply`, `apply`, `last_rule` and `all_actions` (koji/policy.py,
// spec §3.3), and kojihub's `eval_policy` (kojihub/kojihub.py).
//
// Same semantics: rules top to bottom, tests left to right stopping at the first false, `!!` inverts
// the conjunction, the first matching rule with an action wins, a matching nested block that matches
// nothing inside falls through to the rule after it, and no match is null. `trace` is Koji's
// `last_rule()` to the character — including its quirk of keeping a nested block that matched but fell
// through, when the fall-through lands inside an outer block.
//
// Deliberate differences:
// - State lives in the call, not on the ruleset (Koji stores lastrule/lastaction on a shared object,
//   spec §7 P4), so concurrent evaluations cannot mix their traces.
// - `trail` is the exact path to the action (file lines included), without the dead-end blocks Koji's
//   trace may keep: it is what an event records as "the rule that allowed this".
// - `allActions` lists an empty action as '' instead of raising IndexError.

import { genericError } from '../kernel/errors.js';
import { NO_FACTS } from './policy.facts.js';
import { pySplit } from './policy.python.js';
import type {
  CompiledPolicy,
  PolicyData,
  PolicyEvalContext,
  PolicyEvaluation,
  PolicyRule,
  PolicySet,
  TrailStep,
} from './policy.types.js';

interface ApplyState {
  /** Koji's `self.lastrule`: reset before every top-level rule, appended on every match. */
  koji: PolicyRule[];
  /** The path that led to the action. */
  path: PolicyRule[];
}

/** Applies a compiled policy to the data: Koji's `SimpleRuleSet.apply` plus the reason and trail. */
export function evaluatePolicy(
  policy: CompiledPolicy,
  data: PolicyData,
  ctx: PolicyEvalContext = { facts: NO_FACTS },
): PolicyEvaluation {
  const env: PolicyEvalContext = ctx.running ? ctx : { ...ctx, running: new Set<object>() };
  const state: ApplyState = { koji: [], path: [] };
  const action = applyRules(policy.rules, data, env, true, state);
  const [verb, reason] = action === null ? [null, ''] : splitAction(action);
  return {
    policy: policy.name,
    action,
    verb,
    reason,
    trail: action === null ? [] : state.path.map(toStep),
    trace: kojiTrace(state.koji, action),
  };
}

/** Koji's `eval_policy(name, data)`: the raw action of a named policy, or null when nothing matched. */
export function evalPolicy(
  name: string,
  data: PolicyData,
  ctx: PolicyEvalContext & { readonly policies: PolicySet },
): string | null {
  const policy = ctx.policies.get(name);
  if (!policy) throw genericError(`no such policy: ${name}`);
  return evaluatePolicy(policy, data, ctx).action;
}

function applyRules(
  rules: readonly PolicyRule[],
  data: PolicyData,
  env: PolicyEvalContext,
  top: boolean,
  state: ApplyState,
): string | null {
  for (const rule of rules) {
    if (top) state.koji = [];
    let value = true;
    for (const test of rule.tests) {
      if (!test.run(data, env)) {
        value = false;
        break;
      }
    }
    if (rule.negate) value = !value;
    if (!value) continue;
    state.koji.push(rule);
    state.path.push(rule);
    if (typeof rule.action === 'string') return rule.action;
    const inner = applyRules(rule.action, data, env, false, state);
    if (inner !== null) return inner;
    state.path.pop();
  }
  return null;
}

/** `action.split(None, 1)`: the verb and the rest ('' when there is none). */
export function splitAction(action: string): [string, string] {
  const parts = pySplit(action, 1);
  return [parts[0] ?? '', parts[1] ?? ''];
}

function toStep(rule: PolicyRule): TrailStep {
  return { line: rule.line, rule: rule.text };
}

function kojiTrace(matched: readonly PolicyRule[], action: string | null): string {
  const parts = matched.map((r) => r.testsText + (r.negate ? '!! ' : ':: '));
  return parts.join('... ') + (action ?? '(no match)');
}

/** Koji's `all_actions()`: the first word of every action, nested blocks included, each once. */
export function allActions(policy: CompiledPolicy): string[] {
  const seen = new Set<string>();
  const walk = (rules: readonly PolicyRule[]) => {
    for (const rule of rules) {
      if (typeof rule.action === 'string') seen.add(splitAction(rule.action)[0]);
      else walk(rule.action);
    }
  };
  walk(policy.rules);
  return [...seen];
}
