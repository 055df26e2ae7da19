// Koji's policy language: the public surface for the config loader, the API layer and the modules.
export * from './policy.types.js';
export { PolicySyntaxError, PolicyViolation } from './policy.errors.js';
export type { PolicySyntaxErrorData, PolicyViolationData } from './policy.errors.js';
export { PolicyTestRegistry, createPolicyRegistry } from './policy.registry.js';
export { BUILTIN_POLICY_TESTS, boolTest, matchTest, compareTest, matchValue } from './policy.tests.js';
export type { CompareTestOptions } from './policy.tests.js';
export { HUB_POLICY_TESTS, SIDETAG_POLICY_TESTS, policyGetUser } from './policy.hub-tests.js';
export { NO_FACTS, staticFacts } from './policy.facts.js';
export type { StaticFactsInput } from './policy.facts.js';
export { parsePolicy, parsePolicies, KOJI_DEFAULT_POLICIES, NO_POLICIES } from './policy.parser.js';
export type { ParsePolicyOptions, ParsePoliciesOptions } from './policy.parser.js';
export { evaluatePolicy, evalPolicy, allActions, splitAction } from './policy.evaluator.js';
export { checkPolicy, assertPolicy, violationMessage } from './policy.check.js';
export type { PolicyCheck, PolicyCheckContext, PolicyCheckOptions } from './policy.check.js';
