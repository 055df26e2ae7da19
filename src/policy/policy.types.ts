// The shapes shared by the parser, the evaluator, the tests and the check. Pure data and interfaces.

/** Policy data, as the hub passes it to `check_policy`: a JSON-like object, read and never written. */
export type PolicyData = Readonly<Record<string, unknown>>;

export interface PolicyTag {
  readonly id: number;
  readonly name: string;
  readonly extra: Readonly<Record<string, unknown>>;
}

export interface PolicyUser {
  readonly id: number;
  readonly name: string;
}

/** Koji's policy_get_pkg result: a package not created yet has no id. */
export interface PolicyPackage {
  readonly id: number | null;
  readonly name: string;
}

/**
 * The read-only facts hub tests may look up, handed in by whoever evaluates a policy (resolve outside,
 * decide inside). Every method answers from memory or a read model; none may write.
 */
export interface PolicyFacts {
  /** Koji's `get_tag(idOrName, strict=False)`: the tag, or null when there is none. */
  getTag(idOrName: number | string): PolicyTag | null;
  /** Koji's `get_user(idOrName)`: the user, or null when there is none. */
  getUser(idOrName: number | string): PolicyUser | null;
  /** Koji's `get_user_perms(userId)`: the user's own permissions plus those of their groups. */
  userPerms(userId: number): readonly string[];
  /** Koji's `get_user_groups(userId)`, as the group names. */
  userGroups(userId: number): readonly string[];
  /** Koji's `lookup_package(idOrName)`: the package, or null when there is none. */
  getPackage?(idOrName: number | string): PolicyPackage | null;
  /** The package of a build (by id or NVR), or null when there is no such build. */
  buildPackage?(idOrNvr: number | string): PolicyPackage | null;
}

/** What a test may use while it runs, besides the policy data. */
export interface PolicyEvalContext {
  readonly facts: PolicyFacts;
  /** The logged-in user (Koji's `context.session.user_id`); null or absent when anonymous. */
  readonly sessionUserId?: number | null;
  /** Every compiled policy, for the `policy <name>` test. */
  readonly policies?: PolicySet;
  /**
   * The `policy <name>` tests being evaluated right now, for Koji's loop detection. The evaluator
   * creates it; callers leave it out.
   */
  readonly running?: Set<object>;
}

/** A compiled test: runs against the data, true or false, or throws like Koji's test would. */
export type TestRun = (data: PolicyData, ctx: PolicyEvalContext) => boolean;

/** One policy test a module contributes, like one of Koji's `BaseSimpleTest` subclasses. */
export interface PolicyTestDefinition {
  /** The name rules use, e.g. `is_sidetag_owner`. */
  readonly name: string;
  /** Koji's `policy` class attribute: when set, the test exists only in these policies. */
  readonly policies?: readonly string[];
  /**
   * Called once per occurrence at parse time with the arguments (the segment split on whitespace,
   * name removed) and the segment as written. Throws a KojiError for bad arguments, so a broken
   * policy is refused when the hub loads it.
   */
  compile(args: readonly string[], text: string): TestRun;
}

export interface CompiledTest {
  readonly name: string;
  /** The `&&`-segment as written, spacing included (Koji's `str(test)`). */
  readonly text: string;
  readonly run: TestRun;
}

export interface PolicyRule {
  /** 1-based line of the rule (plus the caller's line offset). */
  readonly line: number;
  /** The rule as written, without its comment and surrounding whitespace. */
  readonly text: string;
  /** The tests part before the separator, as written (Koji builds its trace from it). */
  readonly testsText: string;
  readonly tests: readonly CompiledTest[];
  /** `!!` instead of `::`: the action applies when the conjunction is false. */
  readonly negate: boolean;
  /** The action text, or the rules of a nested block. */
  readonly action: string | readonly PolicyRule[];
}

export interface CompiledPolicy {
  readonly name: string;
  readonly rules: readonly PolicyRule[];
  /** The file the policy came from, when the caller said. */
  readonly file?: string;
}

export type PolicySet = ReadonlyMap<string, CompiledPolicy>;

/** One matched rule on the way to the result. */
export interface TrailStep {
  readonly line: number;
  readonly rule: string;
}

export interface PolicyEvaluation {
  readonly policy: string;
  /** The action text of the matching rule (`deny Too many sidetags`), or null when nothing matched. */
  readonly action: string | null;
  /** The action's first word as written, or null when nothing matched. */
  readonly verb: string | null;
  /** The rest of the action as written (`Too many sidetags`), '' when there is none. */
  readonly reason: string;
  /** The matched rules from the top down to the one whose action was taken (nested blocks first). */
  readonly trail: readonly TrailStep[];
  /** Koji's `last_rule()`, e.g. `user_in_group packagers :: ... tag f4*-build :: allow`. */
  readonly trace: string;
}
