// Provenance: kojihub's `check_policy` (kojihub/kojihub.py:10383) and `assert_policy` (:10556),
// spec §3.5, checked against Koji's source.
//
// Koji's semantics, kept: a missing policy is `allow` when MissingPolicyOk (default true) else `deny`,
// reason "missing policy", empty trace; no match gives `default` (deny) with "not covered by policy";
// otherwise the action's first word is the result and the rest the reason, *lower-cased*, as Koji's
// code does (`reason = reason.lower()` — so `deny Too many sidetags` reads "too many sidetags"; the
// verb itself is not lower-cased, so `Allow` is not `allow`); a verb other than allow/deny is a denial
// with the reason "error in policy"; `force` lets a policy user holding `admin` through with
// "overriden by force" (Koji's spelling); the ActionNotAllowed message is
// `policy violation (<name>)[: <reason>][ [rule: <trace>]]`, the rule only with VerbosePolicy or
// KojiDebug.
//
// Deliberate differences: the check returns the whole verdict (trail included) instead of a pair, and
// the error raised by `assertPolicy` carries the trail in `data` whatever VerbosePolicy says, so the
// API can show why and an event can record which rule allowed an action.

import { PolicyViolation } from './policy.errors.js';
import { evaluatePolicy, splitAction } from './policy.evaluator.js';
import { policyGetUser } from './policy.hub-tests.js';
import type { PolicyData, PolicyEvalContext, PolicySet, TrailStep } from './policy.types.js';

/** The hub-wide part of a check: the compiled policies, the facts, the session, `[hub]` options. */
export interface PolicyCheckContext extends PolicyEvalContext {
  readonly policies: PolicySet;
  /** `[hub] MissingPolicyOk`, default true as in Koji. */
  readonly missingPolicyOk?: boolean;
  /** `[hub] VerbosePolicy`: append ` [rule: <trace>]` to the ActionNotAllowed message. */
  readonly verbosePolicy?: boolean;
  /** `[hub] KojiDebug`: has the same effect on the message as VerbosePolicy. */
  readonly kojiDebug?: boolean;
}

/** The per-call arguments of Koji's `check_policy`. */
export interface PolicyCheckOptions {
  /** The result when no rule matches; Koji's default is `deny`. */
  readonly default?: string;
  /** Let a policy user with `admin` through a denial. */
  readonly force?: boolean;
}

export interface PolicyCheck {
  readonly policy: string;
  readonly allowed: boolean;
  /** The deciding verb as written (`allow`, `deny`, or another verb), or the default. */
  readonly result: string;
  /** Koji's reason: lower-cased action text, or "missing policy", "not covered by policy", … */
  readonly reason: string;
  /** The raw action of the matching rule; null for no match or a missing policy. */
  readonly action: string | null;
  /** The matched rules down to the action; empty for no match or a missing policy. */
  readonly trail: readonly TrailStep[];
  /** Koji's `last_rule()`; '' for a missing policy. */
  readonly trace: string;
  /** The policy is not configured at all. */
  readonly missing: boolean;
  /** Allowed only because of `force` by an admin. */
  readonly forced: boolean;
}

/** Koji's `check_policy(name, data, default, strict=False, force)`, returning the whole verdict. */
export function checkPolicy(
  name: string,
  data: PolicyData,
  ctx: PolicyCheckContext,
  opts: PolicyCheckOptions = {},
): PolicyCheck {
  const ruleset = ctx.policies.get(name);
  let result: string;
  let reason: string;
  let action: string | null = null;
  let trail: readonly TrailStep[] = [];
  let trace = '';
  if (!ruleset) {
    result = (ctx.missingPolicyOk ?? true) ? 'allow' : 'deny';
    reason = 'missing policy';
  } else {
    const ev = evaluatePolicy(ruleset, data, ctx);
    ({ action, trail, trace } = ev);
    if (ev.action === null) {
      result = opts.default ?? 'deny';
      reason = 'not covered by policy';
    } else {
      const [verb, rest] = splitAction(ev.action);
      result = verb;
      reason = rest.toLowerCase();
    }
  }
  const verdict = { policy: name, result, action, trail, trace, missing: !ruleset };
  if (result === 'allow') return { ...verdict, allowed: true, reason, forced: false };
  if (result !== 'deny') reason = 'error in policy';
  if (opts.force) {
    const user = policyGetUser(data, ctx);
    if (user && ctx.facts.userPerms(user.id).includes('admin')) {
      return { ...verdict, allowed: true, reason: 'overriden by force', forced: true };
    }
  }
  return { ...verdict, allowed: false, reason, forced: false };
}

/**
 * Koji's `assert_policy`: returns the verdict when allowed (so the caller can record its trail),
 * otherwise throws `PolicyViolation` (ActionNotAllowed) with Koji's message.
 */
export function assertPolicy(
  name: string,
  data: PolicyData,
  ctx: PolicyCheckContext,
  opts: PolicyCheckOptions = {},
): PolicyCheck {
  const check = checkPolicy(name, data, ctx, opts);
  if (check.allowed) return check;
  throw new PolicyViolation(violationMessage(check, ctx), {
    policy: check.policy,
    result: check.result,
    reason: check.reason,
    trail: check.trail,
    trace: check.trace,
  });
}

/** `policy violation (<name>)`, `: <reason>` when there is one, ` [rule: <trace>]` when verbose. */
export function violationMessage(
  check: Pick<PolicyCheck, 'policy' | 'reason' | 'trace'>,
  opts: Pick<PolicyCheckContext, 'verbosePolicy' | 'kojiDebug'> = {},
): string {
  let msg = `policy violation (${check.policy})`;
  if (check.reason) msg += `: ${check.reason}`;
  if (opts.kojiDebug || opts.verbosePolicy) msg += ` [rule: ${check.trace}]`;
  return msg;
}
