import { genericError } from '../kernel/errors.js';
import { HUB_POLICY_TESTS } from './policy.hub-tests.js';
import { BUILTIN_POLICY_TESTS } from './policy.tests.js';
import type { PolicyTestDefinition } from './policy.types.js';

/**
 * The policy tests modules contribute, like Koji's `findSimpleTests` over kojihub, koji.policy and the
 * plugins. Unlike Koji, where a plugin's test silently overrides a built-in one of the same name, a
 * second registration of a name is an error: two modules meaning different things by one test name is
 * a wiring bug, not a feature.
 */
export class PolicyTestRegistry {
  private readonly tests = new Map<string, PolicyTestDefinition>();

  constructor(...groups: ReadonlyArray<readonly PolicyTestDefinition[]>) {
    for (const group of groups) this.registerAll(group);
  }

  register(def: PolicyTestDefinition): this {
    if (!/^\S+$/u.test(def.name)) throw genericError(`invalid policy test name: ${JSON.stringify(def.name)}`);
    if (this.tests.has(def.name)) throw genericError(`duplicate policy test: ${def.name}`);
    this.tests.set(def.name, def);
    return this;
  }

  registerAll(defs: readonly PolicyTestDefinition[]): this {
    for (const def of defs) this.register(def);
    return this;
  }

  /** The test `name` as seen from `policy` (Koji hides a test whose `policy` attribute excludes it). */
  lookup(name: string, policy?: string): PolicyTestDefinition | undefined {
    const def = this.tests.get(name);
    if (!def) return undefined;
    if (def.policies && policy !== undefined && !def.policies.includes(policy)) return undefined;
    return def;
  }

  has(name: string): boolean {
    return this.tests.has(name);
  }

  /** Every registered name, sorted. */
  names(): string[] {
    return [...this.tests.keys()].sort();
  }
}

/**
 * A registry with koji.policy's tests and the hub's, plus what modules contribute — e.g.
 * `createPolicyRegistry(SIDETAG_POLICY_TESTS)` for the sidetag module's `is_sidetag`/`is_sidetag_owner`.
 */
export function createPolicyRegistry(
  ...contributions: ReadonlyArray<readonly PolicyTestDefinition[]>
): PolicyTestRegistry {
  return new PolicyTestRegistry(BUILTIN_POLICY_TESTS, HUB_POLICY_TESTS, ...contributions);
}
