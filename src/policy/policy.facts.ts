import type { PolicyFacts, PolicyPackage, PolicyTag, PolicyUser } from './policy.types.js';

/** Facts for evaluating policies that use no hub test: nothing exists. */
export const NO_FACTS: PolicyFacts = {
  getTag: () => null,
  getUser: () => null,
  userPerms: () => [],
  userGroups: () => [],
};

export interface StaticFactsInput {
  readonly tags?: readonly PolicyTag[];
  readonly users?: readonly PolicyUser[];
  /** Effective permissions by user id. */
  readonly perms?: Readonly<Record<number, readonly string[]>>;
  /** Group names by user id. */
  readonly groups?: Readonly<Record<number, readonly string[]>>;
  readonly packages?: readonly { id: number; name: string }[];
  /** Builds by id and NVR, with their package. */
  readonly builds?: readonly { id: number; nvr: string; package: PolicyPackage }[];
}

/**
 * Facts answered from plain lists: for tests, and for a dry run that states the facts itself. Tags
 * and users are found by id or by name, as Koji's get_tag/get_user do.
 */
export function staticFacts(input: StaticFactsInput): PolicyFacts {
  const find = <T extends { id: number; name: string }>(
    items: readonly T[] | undefined,
    ref: number | string,
  ) => items?.find((x) => (typeof ref === 'number' ? x.id === ref : x.name === ref)) ?? null;
  return {
    getTag: (ref) => find(input.tags, ref),
    getUser: (ref) => find(input.users, ref),
    userPerms: (id) => input.perms?.[id] ?? [],
    userGroups: (id) => input.groups?.[id] ?? [],
    getPackage: (ref) => find(input.packages, ref),
    buildPackage: (ref) =>
      input.builds?.find((b) => (typeof ref === 'number' ? b.id === ref : b.nvr === ref))?.package ?? null,
  };
}
