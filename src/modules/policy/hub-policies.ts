import type { PolicySource } from '../../config/hub-config.js';
import {
  createPolicyRegistry,
  parsePolicies,
  SIDETAG_POLICY_TESTS,
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

/** Compiles the `[policy]` section; a syntax error names the file, the policy and the line. */
export function compileHubPolicies(policies: Record<string, PolicySource>, file: string): PolicySet {
  const registry = createPolicyRegistry(...MODULE_POLICY_TESTS);
  const texts: Record<string, string> = {};
  const lineOffsets: Record<string, number> = {};
  for (const [name, src] of Object.entries(policies)) {
    const { text, offset } = textWithFileLines(src);
    texts[name] = text;
    lineOffsets[name] = offset;
  }
  return parsePolicies(texts, registry, { file, lineOffsets, withKojiDefaults: true });
}
