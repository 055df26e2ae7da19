// Koji's generic policy tests (koji/policy.py: TrueTest … CompareTest, MatchAnyTest, MatchAllTest).
//
// Deliberate differences, all about failing early and clearly instead of in the middle of a request:
// - `bool`, `match`, `match_any` and `match_all` without a field are refused at parse time ("Invalid or
//   missing field in policy test", HasTest's wording); Koji raises IndexError on every evaluation.
// - Errors Koji leaves to Python (TypeError when `match` meets a non-string or `compare` orders a
//   non-number, ValueError for a bad number) are GenericErrors carrying Python's message.
// Everything else — what counts as present, None, true, a list, a number — is Koji's.

import { genericError } from '../kernel/errors.js';
import { fnmatch } from '../kernel/fnmatch.js';
import { pyFloatParse, pyInt, pyRepr, pySplit, pyStr, pyTruthy, pyTypeName } from './policy.python.js';
import type { PolicyData, PolicyTestDefinition, TestRun } from './policy.types.js';

const MISSING_FIELD = 'Invalid or missing field in policy test';

export const has = (data: PolicyData, field: string): boolean =>
  Object.prototype.hasOwnProperty.call(data, field);

/** MatchTest.run on one value: None never matches; anything but a string is Python's TypeError. */
export function matchValue(value: unknown, patterns: readonly string[]): boolean {
  if (value === null || value === undefined || patterns.length === 0) return false;
  if (typeof value !== 'string') {
    throw genericError(`expected str, bytes or os.PathLike object, not ${pyTypeName(value)}`);
  }
  return patterns.some((p) => fnmatch(value, p));
}

const constant = (name: string, result: boolean): PolicyTestDefinition => ({
  name,
  compile: () => () => result,
});

/** Koji's BoolTest; with `field` it is a subclass that tests that field (`is_child_task` → `parent`). */
export function boolTest(name: string, field?: string): PolicyTestDefinition {
  return {
    name,
    compile(args) {
      const f = field ?? args[0];
      if (f === undefined) throw genericError(MISSING_FIELD);
      return (data) => has(data, f) && pyTruthy(data[f]);
    },
  };
}

/** Koji's MatchTest; with `field` every argument is a pattern (`target`, `method`, `operation`). */
export function matchTest(name: string, field?: string): PolicyTestDefinition {
  return {
    name,
    compile(args) {
      const f = field ?? args[0];
      if (f === undefined) throw genericError(MISSING_FIELD);
      const patterns = field === undefined ? args.slice(1) : args;
      return (data) => has(data, f) && matchValue(data[f], patterns);
    },
  };
}

function listMatch(name: string, all: boolean): PolicyTestDefinition {
  return {
    name,
    compile(args) {
      const field = args[0];
      if (field === undefined) throw genericError(MISSING_FIELD);
      const patterns = args.slice(1);
      const itemMatches = (item: unknown) =>
        item !== null && item !== undefined && patterns.some((p) => fnmatch(pyStr(item), p));
      return (data) => {
        if (!has(data, field)) return false;
        const value = data[field];
        // list, tuple or set, and not empty; anything else (a string included) is false
        const items = Array.isArray(value)
          ? value
          : value instanceof Set
            ? [...(value as Set<unknown>)]
            : null;
        if (!items || items.length === 0) return false;
        return all ? items.every(itemMatches) : items.some(itemMatches);
      };
    },
  };
}

type Op = '<' | '>' | '<=' | '>=' | '=' | '!=';
const OPS: Readonly<Record<Op, (a: number, b: number) => boolean>> = {
  '<': (a, b) => a < b,
  '>': (a, b) => a > b,
  '<=': (a, b) => a <= b,
  '>=': (a, b) => a >= b,
  '=': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};
const isOp = (s: string): s is Op => Object.prototype.hasOwnProperty.call(OPS, s);

export interface CompareTestOptions {
  /** A subclass that tests a fixed field (`name OP number`). */
  readonly field?: string;
  /** Koji's `allow_float`; false makes a non-integer a parse error. */
  readonly allowFloat?: boolean;
}

/** Koji's CompareTest: `compare <field> <op> <number>`. */
export function compareTest(name: string, opts: CompareTestOptions = {}): PolicyTestDefinition {
  const allowFloat = opts.allowFloat ?? true;
  return {
    name,
    compile(_args, text) {
      // str.split(None, 3)[1:] unpacked into three (or two) names: extra words stay in the number
      const want = opts.field === undefined ? 3 : 2;
      const parts = pySplit(text, want).slice(1);
      if (parts.length !== want) {
        throw genericError(`not enough values to unpack (expected ${want}, got ${parts.length})`);
      }
      const field = opts.field ?? parts[0]!;
      const cmp = parts[want - 2]!;
      const literal = parts[want - 1]!;
      if (!isOp(cmp)) throw genericError('Invalid comparison in test.');
      let value = pyInt(literal);
      const valueType = value === null ? 'float' : 'int';
      if (value === null) {
        if (!allowFloat) throw genericError(`invalid literal for int() with base 10: ${pyRepr(literal)}`);
        value = pyFloatParse(literal);
        if (value === null) throw genericError(`could not convert string to float: ${pyRepr(literal)}`);
      }
      const b = value;
      const fn = OPS[cmp];
      return (data) => {
        if (!has(data, field)) return false;
        const a = data[field];
        // Python: bool is an int; other types are never equal to a number and cannot be ordered
        if (typeof a === 'number') return fn(a, b);
        if (typeof a === 'boolean') return fn(a ? 1 : 0, b);
        if (cmp === '=') return false;
        if (cmp === '!=') return true;
        throw genericError(
          `'${cmp}' not supported between instances of '${pyTypeName(a)}' and '${valueType}'`,
        );
      };
    },
  };
}

function hasTest(): PolicyTestDefinition {
  return {
    name: 'has',
    compile(args) {
      const field = args[0];
      if (field === undefined) throw genericError(MISSING_FIELD);
      const run: TestRun = (data) => has(data, field);
      return run;
    },
  };
}

/** koji.policy's tests: exactly the names Koji's `findSimpleTests(koji.policy)` finds. */
export const BUILTIN_POLICY_TESTS: readonly PolicyTestDefinition[] = [
  constant('true', true),
  constant('all', true),
  constant('false', false),
  constant('none', false),
  hasTest(),
  boolTest('bool'),
  matchTest('match'),
  listMatch('match_any', false),
  listMatch('match_all', true),
  matchTest('target', 'target'),
  compareTest('compare'),
];
