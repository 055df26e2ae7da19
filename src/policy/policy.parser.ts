// Provenance: Koji's `SimpleRuleSet.parse_rules`, `parse_line` and `get_test_handler`
// (koji/policy.py, spec §3.2), the hub's default policies and `get_policy` (kojihub/kojixmlrpc.py).
//
// Koji's quirks in reading a line are kept on purpose, because a policy written for Koji must mean the
// same thing here: everything after the first `#` is a comment even inside a reason or a glob; the
// separator is the *last* `::` (so `deny see docs::x` has the action `x`), and only without one the
// last `!!`; tests are split on `&&` only; an action `}` closes a block even after tests; a test name
// is the first word of its segment; tests are compiled here, so bad arguments fail at load time.
//
// Deliberate differences: every error is a GenericError (Koji raises bare Exception for a line
// without separator, IndexError for an empty test segment, ValueError for a bad number), with Koji's
// message prefixed by the file, the policy and the line; an empty segment (`:: allow`, `a && && b`)
// is reported as Koji's "bad policy line: …".

import { PolicySyntaxError } from './policy.errors.js';
import { pySplit, pySplitLines, pyStrip } from './policy.python.js';
import type { PolicyTestRegistry } from './policy.registry.js';
import type { CompiledPolicy, CompiledTest, PolicyRule, PolicySet } from './policy.types.js';

export interface ParsePolicyOptions {
  /** The file the text came from, named in errors. */
  readonly file?: string;
  /** Added to 1-based line numbers, so a policy cut out of a config file reports file lines. */
  readonly lineOffset?: number;
}

export interface ParsePoliciesOptions {
  readonly file?: string;
  /** Per policy name, see `ParsePolicyOptions.lineOffset`. */
  readonly lineOffsets?: Readonly<Record<string, number>>;
  /** Add Koji's built-in default for each policy in `KOJI_DEFAULT_POLICIES` that is not configured. */
  readonly withKojiDefaults?: boolean;
}

/**
 * The policies the hub has when `hub.conf` does not configure them (kojixmlrpc.py `_default_policies`).
 * There is none for `tag`, `sidetag` or anything else: an absent policy is governed by MissingPolicyOk.
 */
export const KOJI_DEFAULT_POLICIES: Readonly<Record<string, string>> = {
  build_rpm: 'all :: allow',
  build_from_srpm: 'has_perm admin :: allow\nall :: deny Only admin can do this via default policy',
  build_from_repo_id: 'has_perm admin :: allow\nall :: deny Only admin can do this via default policy',
  build_from_scm: 'has_perm admin :: allow\nall :: deny Only admin can do this via default policy',
  package_list:
    'has_perm admin :: allow\nhas_perm tag :: allow\nall :: deny Only admin/tag can do this via default policy',
  channel: 'has req_channel :: req\nis_child_task :: parent\nall :: use default',
  vm: 'has_perm admin win-admin :: allow\nall :: deny Only admin/win-admin can do this via default policy',
  cg_import: 'all :: allow',
  volume: 'all :: DEFAULT',
  priority: 'all :: stay',
};

type Line =
  | { readonly kind: 'close' }
  | {
      readonly kind: 'rule';
      readonly text: string;
      readonly testsText: string;
      readonly tests: CompiledTest[];
      readonly negate: boolean;
      readonly action: string;
    };

class LineError extends Error {}

/** Compiles one policy. `text` is the whole ruleset, or its lines. Throws `PolicySyntaxError`. */
export function parsePolicy(
  name: string,
  text: string | readonly string[],
  registry: PolicyTestRegistry,
  opts: ParsePolicyOptions = {},
): CompiledPolicy {
  const lines = typeof text === 'string' ? pySplitLines(text) : text;
  const offset = opts.lineOffset ?? 0;
  const fail = (line: number, detail: string): never => {
    throw new PolicySyntaxError({ policy: name, line, detail, ...(opts.file ? { file: opts.file } : {}) });
  };

  const root: PolicyRule[] = [];
  let cursor = root;
  const stack: Array<{ rules: PolicyRule[]; opener: number }> = [];
  lines.forEach((raw, index) => {
    const lineNo = index + 1 + offset;
    let parsed: Line | null;
    try {
      parsed = parseLine(raw, name, registry);
    } catch (e) {
      return fail(lineNo, e instanceof Error ? e.message : String(e));
    }
    if (parsed === null) return;
    if (parsed.kind === 'close' || parsed.action === '}') {
      const outer = stack.pop();
      if (!outer) return fail(lineNo, 'nesting error in rule set');
      cursor = outer.rules;
      return;
    }
    const { text: ruleText, testsText, tests, negate, action } = parsed;
    if (action === '{') {
      const child: PolicyRule[] = [];
      cursor.push({ line: lineNo, text: ruleText, testsText, tests, negate, action: child });
      stack.push({ rules: cursor, opener: lineNo });
      cursor = child;
    } else {
      cursor.push({ line: lineNo, text: ruleText, testsText, tests, negate, action });
    }
  });
  const unclosed = stack.pop();
  if (unclosed) fail(unclosed.opener, 'nesting error in rule set');
  return { name, rules: root, ...(opts.file ? { file: opts.file } : {}) };
}

/** Koji's `parse_line`: null for a blank or comment line. Throws `LineError` or the test's KojiError. */
function parseLine(raw: string, policy: string, registry: PolicyTestRegistry): Line | null {
  const hash = raw.indexOf('#');
  const line = pyStrip(hash === -1 ? raw : raw.slice(0, hash));
  if (line === '') return null;
  if (line === '}') return { kind: 'close' };
  let negate = false;
  let pos = line.lastIndexOf('::');
  if (pos === -1) {
    pos = line.lastIndexOf('!!');
    if (pos === -1) throw new LineError(`bad policy line: ${line}`);
    negate = true;
  }
  const testsText = line.slice(0, pos);
  const tests = testsText.split('&&').map((segment) => compileTest(segment, line, policy, registry));
  return { kind: 'rule', text: line, testsText, tests, negate, action: pyStrip(line.slice(pos + 2)) };
}

function compileTest(
  segment: string,
  line: string,
  policy: string,
  registry: PolicyTestRegistry,
): CompiledTest {
  const words = pySplit(segment);
  const name = words[0];
  if (name === undefined) throw new LineError(`bad policy line: ${line}`);
  const def = registry.lookup(name, policy);
  if (!def) throw new LineError(`missing test handler: ${name}`);
  return { name, text: segment, run: def.compile(words.slice(1), segment) };
}

/**
 * Compiles a set of policies — the `[policy]` section of hub.conf, name → multi-line text — into a
 * `PolicySet`. The first bad line stops everything with a `PolicySyntaxError` naming the file, the
 * policy and the line.
 */
export function parsePolicies(
  texts: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
  registry: PolicyTestRegistry,
  opts: ParsePoliciesOptions = {},
): Map<string, CompiledPolicy> {
  const entries = texts instanceof Map ? [...texts.entries()] : Object.entries(texts);
  const out = new Map<string, CompiledPolicy>();
  for (const [name, text] of entries) {
    const lineOffset = opts.lineOffsets?.[name];
    out.set(
      name,
      parsePolicy(name, text, registry, {
        ...(opts.file !== undefined ? { file: opts.file } : {}),
        ...(lineOffset !== undefined ? { lineOffset } : {}),
      }),
    );
  }
  if (opts.withKojiDefaults) {
    for (const [name, text] of Object.entries(KOJI_DEFAULT_POLICIES)) {
      if (!out.has(name)) out.set(name, parsePolicy(name, text, registry));
    }
  }
  return out;
}

/** An empty policy set (every policy missing). */
export const NO_POLICIES: PolicySet = new Map();
