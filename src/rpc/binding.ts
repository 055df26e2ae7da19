import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate, type ValidationError } from 'class-validator';
import { KojiError } from '../kernel/errors.js';
import { pyRepr, pyShort } from '../kernel/python.js';
import type { MethodDecl } from './method.js';

/** A ParameterError that names the parameter: JSON-RPC answers it with -32602. */
export class InvalidParams extends KojiError {
  constructor(
    readonly param: string | null,
    message: string,
  ) {
    super('ParameterError', message);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
// Python: 'a', then 'a' and 'b', then 'a', 'b', and 'c' (with the serial comma).
const quoteList = (names: string[]) =>
  names.length === 1
    ? `'${names[0]}'`
    : `${names
        .slice(0, -1)
        .map((n) => `'${n}'`)
        .join(', ')}${names.length > 2 ? ',' : ''} and '${names[names.length - 1]}'`;

/**
 * Binds positional and keyword arguments to Koji's signature the way Python binds a call, with
 * Python's TypeError texts (clients such as the sidetag CLI match on them, spec §1.11).
 */
export function bindArgs(
  d: MethodDecl,
  positional: unknown[],
  kwargs: Record<string, unknown>,
): Record<string, unknown> {
  const fn = `${d.name}()`;
  const max = d.args.length;
  const min = d.args.filter((a) => !a.hasDefault).length;
  if (positional.length > max) {
    const takes =
      min === max ? plural(max, 'positional argument') : `from ${min} to ${max} positional arguments`;
    throw new InvalidParams(
      null,
      `${fn} takes ${takes} but ${positional.length} ${positional.length === 1 ? 'was' : 'were'} given`,
    );
  }
  const out: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) {
    const idx = d.args.findIndex((a) => a.name === k);
    if (idx < 0) {
      if (d.starstar) extra[k] = v;
      else throw new InvalidParams(k, `${fn} got an unexpected keyword argument '${k}'`);
    } else if (idx < positional.length) {
      throw new InvalidParams(k, `${fn} got multiple values for argument '${k}'`);
    }
  }
  const missing: string[] = [];
  d.args.forEach((a, i) => {
    if (i < positional.length) out[a.name] = positional[i];
    else if (Object.prototype.hasOwnProperty.call(kwargs, a.name)) out[a.name] = kwargs[a.name];
    else if (a.hasDefault) out[a.name] = structuredClone(a.default);
    else missing.push(a.name);
  });
  if (missing.length)
    throw new InvalidParams(
      missing[0],
      `${fn} missing ${plural(missing.length, 'required positional argument')}: ${quoteList(missing)}`,
    );
  if (d.starstar) out[d.starstar] = extra;
  return out;
}

const TYPE_CHECKS = new Set([
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isObject',
  'isArray',
  'isIdOrName',
  'isIn',
]);

/**
 * What was expected, in words that say what to send instead, for the checks class-validator words as
 * "must be a number conforming to the specified constraints"; null keeps the declared text (a
 * decorator's own message, a check with none here).
 */
function expected(key: string, property: string, v: unknown, c: unknown[]): string | null {
  const got = `, got ${pyShort(v)}`;
  switch (key) {
    case 'isString':
      return `${property} must be a string${got}`;
    case 'isInt':
      return `${property} must be an integer${got}`;
    case 'isNumber':
      return `${property} must be a number${got}`;
    case 'isBoolean':
      return `${property} must be True or False${got}`;
    case 'isObject':
      return `${property} must be a struct (a dict)${got}`;
    case 'isArray':
      return `${property} must be a list${got}`;
    case 'isIn':
      return `${property} must be one of ${(c[0] as unknown[]).map((x) => pyRepr(x)).join(', ')}${got}`;
    case 'min':
      return `${property} must be at least ${pyRepr(c[0])}${got}`;
    case 'max':
      return `${property} must be at most ${pyRepr(c[0])}${got}`;
    case 'isLength': {
      if (typeof v !== 'string') return null;
      const [min, max] = c as [number, number | undefined];
      if (v.length < min)
        return min === 1
          ? `${property} must not be empty`
          : `${property} must be at least ${min} characters long, got ${v.length}`;
      if (max !== undefined && v.length > max)
        return `${property} is too long: at most ${max} characters, got ${v.length}`;
      return null;
    }
    default:
      return null;
  }
}

function why(e: ValidationError, key: string): string {
  const fallback = e.constraints![key];
  const ctor = (e.target as object | undefined)?.constructor;
  const meta = ctor
    ? getMetadataStorage()
        .getTargetValidationMetadatas(ctor, '', true, false)
        .find((m) => m.propertyName === e.property && m.name === key)
    : undefined;
  // A decorator that words its own message knows its parameter best.
  if (meta?.message !== undefined) return fallback;
  return expected(key, e.property, e.value, meta?.constraints ?? []) ?? fallback;
}

function firstProblem(errors: ValidationError[], prefix = ''): { param: string; why: string } | null {
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) {
      // A value of the wrong type fails its range checks too; the type is the reason to report.
      const key = Object.keys(e.constraints).find((k) => TYPE_CHECKS.has(k)) ?? Object.keys(e.constraints)[0];
      return { param: path, why: why(e, key) };
    }
    const nested = firstProblem(e.children ?? [], path);
    if (nested) return nested;
  }
  return null;
}

/** Validates bound arguments with the method's class-validator class. */
export async function validateParams(d: MethodDecl, bound: Record<string, unknown>): Promise<object> {
  const instance = plainToInstance(d.params, bound, { enableImplicitConversion: false }) as object;
  const errors = await validate(instance, {
    forbidUnknownValues: false,
    validationError: { target: true, value: true },
  });
  const p = firstProblem(errors);
  if (p) throw new InvalidParams(p.param, `invalid parameter ${p.param} of ${d.name}: ${p.why}`);
  return instance;
}
