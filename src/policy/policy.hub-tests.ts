// Koji's hub policy tests (kojihub/kojihub.py: OperationTest, TagTest, FromTagTest, UserTest,
// HasPermTest, UserInGroupTest, MethodTest, ChildTaskTest, PolicyTest, PackageTest, NewPackageTest,
// policy_get_user, policy_get_pkg) and the sidetag plugin's (plugins/hub/sidetag_hub.py: SidetagTest
// `is_sidetag`, SidetagOwnerTest `is_sidetag_owner`).
// They read facts through `PolicyFacts`, never a database.
//
// Deliberate differences:
// - No test writes into the policy data. Koji's TagTest/UserTest store `_tagname`/`_username` in it
//   on the way (visible to later tests of the same check); here the data is read-only.
// - `is_sidetag` and `is_sidetag_owner` answer false — never raise — when the field is missing or None,
//   holds something that is not a tag reference, names no tag, or when nobody is logged in. Koji raises
//   KeyError, ParameterError("Invalid name or id value: None") or TypeError there (spec §7), which
//   turns an untag into a failure instead of a denial.
// - `is_sidetag_owner` with more than one argument or an unknown keyword is refused at parse time;
//   Koji raises the same GenericError on every evaluation.
// - `policy` without a name is refused at parse time (Koji: IndexError on every evaluation).

import { genericError, parameterError } from '../kernel/errors.js';
import { fnmatch } from '../kernel/fnmatch.js';
import { evaluatePolicy } from './policy.evaluator.js';
import { pyRepr, pyTruthy } from './policy.python.js';
import { boolTest, has, matchTest, matchValue } from './policy.tests.js';
import type {
  PolicyData,
  PolicyEvalContext,
  PolicyFacts,
  PolicyPackage,
  PolicyTag,
  PolicyTestDefinition,
  PolicyUser,
} from './policy.types.js';

/**
 * Koji's `policy_get_user(data)`: `data.user_id` when the key is present, else the logged-in user,
 * else null. A `user_id` of None falls back to the session user, as Koji's `get_user(None)` does.
 */
export function policyGetUser(data: PolicyData, ctx: PolicyEvalContext): PolicyUser | null {
  if (has(data, 'user_id')) {
    const ref = data['user_id'];
    if (ref !== null && ref !== undefined) return isRef(ref) ? ctx.facts.getUser(ref) : null;
  }
  const sessionUserId = ctx.sessionUserId ?? null;
  return sessionUserId === null ? null : ctx.facts.getUser(sessionUserId);
}

const isRef = (v: unknown): v is number | string =>
  typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));

/** The id or name Koji's `get_tag` would accept: an int, a str, or a dict with an id or a name. */
function tagRef(value: unknown): number | string | undefined {
  if (isRef(value)) return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (isRef(o['id'])) return o['id'];
    if (typeof o['name'] === 'string') return o['name'];
  }
  return undefined;
}

/** TagTest.get_tag: None or missing → null; a bad reference → Koji's ParameterError. */
function getTagStrictRef(data: PolicyData, field: string, facts: PolicyFacts): PolicyTag | null {
  const value = data[field];
  if (value === null || value === undefined) return null;
  const ref = tagRef(value);
  if (ref === undefined) throw parameterError(`Invalid name or id value: ${pyRepr(value)}`);
  return facts.getTag(ref);
}

/** The lookup the sidetag tests use: null whenever there is no usable tag, never an exception. */
function getTagLenient(data: PolicyData, field: string, facts: PolicyFacts): PolicyTag | null {
  if (!has(data, field)) return null;
  const ref = tagRef(data[field]);
  return ref === undefined ? null : facts.getTag(ref);
}

function tagTest(name: string, field: string): PolicyTestDefinition {
  return {
    name,
    compile(patterns) {
      return (data, ctx) => {
        const tag = getTagStrictRef(data, field, ctx.facts);
        return tag !== null && matchValue(tag.name, patterns);
      };
    },
  };
}

const anyMatches = (values: readonly string[], patterns: readonly string[]) =>
  values.some((v) => patterns.some((p) => fnmatch(v, p)));

const userTest: PolicyTestDefinition = {
  name: 'user',
  compile(patterns) {
    return (data, ctx) => {
      const user = policyGetUser(data, ctx);
      return user !== null && matchValue(user.name, patterns);
    };
  },
};

const hasPermTest: PolicyTestDefinition = {
  name: 'has_perm',
  compile(patterns) {
    return (data, ctx) => {
      const user = policyGetUser(data, ctx);
      return user !== null && anyMatches(ctx.facts.userPerms(user.id), patterns);
    };
  },
};

const userInGroupTest: PolicyTestDefinition = {
  name: 'user_in_group',
  compile(patterns) {
    return (data, ctx) => {
      const user = policyGetUser(data, ctx);
      return user !== null && anyMatches(ctx.facts.userGroups(user.id), patterns);
    };
  },
};

/**
 * `policy <name>`: true when the named policy's whole action, lower-cased, is yes/true/allow — so
 * `allow because` is false (spec §7 P3, kept).
 */
const policyTest: PolicyTestDefinition = {
  name: 'policy',
  compile(args, text) {
    const target = args[0];
    if (target === undefined) throw genericError('missing policy name in policy test');
    // Koji keys its loop guard on the test instance: re-entering this very occurrence is a loop.
    const self = {};
    return (data, ctx) => {
      const running = ctx.running ?? new Set<object>();
      if (running.has(self)) throw genericError(`encountered policy loop at ${text}`);
      const ruleset = ctx.policies?.get(target);
      if (!ruleset) throw genericError(`no such policy: ${target}`);
      running.add(self);
      try {
        const { action } = evaluatePolicy(ruleset, data, { ...ctx, running });
        return action !== null && ['yes', 'true', 'allow'].includes(action.toLowerCase());
      } finally {
        running.delete(self);
      }
    };
  },
};

/**
 * Koji's `policy_get_pkg(data)`: `data.package` (a name not created yet is a package without an id;
 * an unknown id is "No such package"), else the package of `data.build`, else "policy requires
 * package data".
 */
export function policyGetPkg(data: PolicyData, facts: PolicyFacts): PolicyPackage {
  if (has(data, 'package')) {
    const ref = data['package'];
    const found = isRef(ref) ? (facts.getPackage?.(ref) ?? null) : null;
    if (found) return found;
    if (typeof ref === 'string') return { id: null, name: ref };
    throw genericError(`No such package: ${pyRepr(ref)}`);
  }
  if (has(data, 'build')) {
    const ref = data['build'];
    const pkg = isRef(ref) ? (facts.buildPackage?.(ref) ?? null) : null;
    if (!pkg) throw genericError(`No such build: ${pyRepr(ref)}`);
    return pkg;
  }
  throw genericError('policy requires package data');
}

/** Koji's PackageTest: the package's name against glob patterns. */
const packageTest: PolicyTestDefinition = {
  name: 'package',
  compile(patterns) {
    return (data, ctx) => matchValue(policyGetPkg(data, ctx.facts).name, patterns);
  },
};

/** Koji's NewPackageTest: the package does not exist yet. */
const newPackageTest: PolicyTestDefinition = {
  name: 'is_new_package',
  compile() {
    return (data, ctx) => policyGetPkg(data, ctx.facts).id === null;
  },
};

/** kojihub's tests this rebuild needs (spec §3.6). */
export const HUB_POLICY_TESTS: readonly PolicyTestDefinition[] = [
  matchTest('operation', 'operation'),
  tagTest('tag', 'tag'),
  tagTest('fromtag', 'fromtag'),
  userTest,
  hasPermTest,
  userInGroupTest,
  matchTest('method', 'method'),
  boolTest('is_child_task', 'parent'),
  policyTest,
  packageTest,
  newPackageTest,
];

/**
 * sidetag_hub's `is_sidetag`: the tag in `data.tag` is a sidetag. Koji ignores any argument. koji-es
 * extension: `is_sidetag fromtag` asks it of `data.fromtag` and `is_sidetag both` of both fields, as
 * `is_sidetag_owner` does, so a `tag` policy can tell an untag from a sidetag (Koji has no test for
 * that: its `is_sidetag` raises on untag data). Any other argument is still ignored.
 */
const isSidetagTest: PolicyTestDefinition = {
  name: 'is_sidetag',
  compile(args) {
    const key = args[0];
    const fields = key === 'fromtag' || key === 'both' ? OWNER_FIELDS[key] : OWNER_FIELDS.tag;
    return (data, ctx) =>
      fields.every((field) => {
        const tag = getTagLenient(data, field, ctx.facts);
        return tag !== null && pyTruthy(tag.extra['sidetag']);
      });
  },
};

const OWNER_FIELDS: Readonly<Record<string, readonly string[]>> = {
  tag: ['tag'],
  fromtag: ['fromtag'],
  both: ['tag', 'fromtag'],
};

/**
 * sidetag_hub's `is_sidetag_owner [tag|fromtag|both]`: every named field holds a sidetag owned by the
 * policy user (or, koji-es, co-owned). As in Koji, admin rights come from the *session* user, not from
 * the policy user.
 */
const isSidetagOwnerTest: PolicyTestDefinition = {
  name: 'is_sidetag_owner',
  compile(args) {
    if (args.length > 1) throw genericError('Just one argument is allowed for this test.');
    const key = args[0] ?? 'tag';
    const fields = Object.prototype.hasOwnProperty.call(OWNER_FIELDS, key) ? OWNER_FIELDS[key] : undefined;
    if (!fields) {
      throw genericError(`Policy test is_sidetag_owner has only /tag/fromtag/both options (got ${key})`);
    }
    return (data, ctx) => {
      const user = policyGetUser(data, ctx);
      if (user === null) return false;
      return fields.every((field) => {
        const tag = getTagLenient(data, field, ctx.facts);
        return tag !== null && isSidetagOwner(tag, user, ctx);
      });
    };
  },
};

function isSidetagOwner(tag: PolicyTag, user: PolicyUser, ctx: PolicyEvalContext): boolean {
  if (!pyTruthy(tag.extra['sidetag'])) return false;
  if (tag.extra['sidetag_user_id'] === user.id) return true;
  // koji-es: the sidetag's co-owners (addSideTagOwner) count as its owners here.
  const co = tag.extra['sidetag_co_owners'];
  if (Array.isArray(co) && co.includes(user.id)) return true;
  const sessionUserId = ctx.sessionUserId ?? null;
  return sessionUserId !== null && ctx.facts.userPerms(sessionUserId).includes('admin');
}

/** The sidetag module's contribution to the registry. */
export const SIDETAG_POLICY_TESTS: readonly PolicyTestDefinition[] = [isSidetagTest, isSidetagOwnerTest];
