import { EventStoreInputError } from './errors.js';
import {
  FIELD_PATH,
  type FieldCondition,
  type FindOptions,
  type Scalar,
  type Where,
} from './read-model.port.js';

/** Query semantics shared by every read-model adapter; the memory adapter evaluates them directly. */

export function fieldOf(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function assertFieldPath(path: string): void {
  if (!FIELD_PATH.test(path)) throw new EventStoreInputError(`invalid field path ${JSON.stringify(path)}`);
}

type Op = '$in' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte' | '$like' | '$exists';

export function conditionOp(c: FieldCondition): { op: Op | '$eq'; value: unknown } {
  if (c === null || typeof c !== 'object') return { op: '$eq', value: c };
  const keys = Object.keys(c);
  if (keys.length !== 1)
    throw new EventStoreInputError(`a condition needs exactly one operator: ${JSON.stringify(c)}`);
  const op = keys[0] as Op;
  if (!['$in', '$ne', '$gt', '$gte', '$lt', '$lte', '$like', '$exists'].includes(op))
    throw new EventStoreInputError(`unknown operator ${op}`);
  return { op, value: (c as Record<string, unknown>)[op] };
}

/** SQL LIKE (% and _, case-sensitive) as a RegExp. */
export function likeToRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const norm = (v: unknown): Scalar => (v === undefined ? null : (v as Scalar));

export function compareValues(a: unknown, b: unknown): number {
  const x = norm(a);
  const y = norm(b);
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  const rank = (v: Scalar) => (typeof v === 'boolean' ? 0 : typeof v === 'number' ? 1 : 2);
  if (rank(x) !== rank(y)) return rank(x) - rank(y);
  if (typeof x === 'boolean') return Number(x) - Number(y);
  return x < (y as typeof x) ? -1 : 1;
}

export function matchesWhere(doc: unknown, where: Where | undefined): boolean {
  if (!where) return true;
  for (const [path, cond] of Object.entries(where)) {
    assertFieldPath(path);
    const v = norm(fieldOf(doc, path));
    const { op, value } = conditionOp(cond);
    switch (op) {
      case '$eq':
        if (v !== value) return false;
        break;
      case '$ne':
        if (v === value) return false;
        break;
      case '$in':
        if (!(value as Scalar[]).includes(v)) return false;
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        if (v === null || typeof v !== typeof value) return false;
        const c = compareValues(v, value);
        if (op === '$gt' && !(c > 0)) return false;
        if (op === '$gte' && !(c >= 0)) return false;
        if (op === '$lt' && !(c < 0)) return false;
        if (op === '$lte' && !(c <= 0)) return false;
        break;
      }
      case '$like':
        if (typeof v !== 'string' || !likeToRegExp(value as string).test(v)) return false;
        break;
      case '$exists':
        if ((v !== null) !== value) return false;
        break;
    }
  }
  return true;
}

export function applyFind<T>(docs: T[], options: FindOptions = {}): T[] {
  let out = docs.filter((d) => matchesWhere(d, options.where));
  if (options.orderBy?.length) {
    const order = options.orderBy;
    out = out.slice().sort((a, b) => {
      for (const [f, dir] of order) {
        const c = compareValues(fieldOf(a, f), fieldOf(b, f));
        if (c !== 0) return dir === 'desc' ? -c : c;
      }
      return 0;
    });
  }
  const offset = options.offset ?? 0;
  return out.slice(offset, options.limit !== undefined ? offset + options.limit : undefined);
}

export interface SqlDialect {
  /** SQL expression for a JSON field of the `doc` column, comparable with `param(v, …, true)`. */
  field(path: string): string;
  /** A case-sensitive SQL LIKE test of the field against `pattern`. */
  like(path: string, pattern: string, params: unknown[]): string;
  /** True when the field is missing or JSON null. */
  isNull(path: string): string;
  /** Placeholder for the next parameter, pushing its value; `forField` encodes it like a field value. */
  param(value: unknown, params: unknown[], forField: boolean): string;
  /**
   * Optional: a range test ($gt…$lte) for dialects whose plain `field op param` would compare across
   * JSON types or in the database's collation, where the reference semantics compare like types only,
   * strings in code-point order.
   */
  compare?(path: string, op: '>' | '>=' | '<' | '<=', value: number | string, params: unknown[]): string;
}

export function buildWhereSql(where: Where | undefined, d: SqlDialect, params: unknown[]): string {
  if (!where) return '1=1';
  const parts: string[] = [];
  for (const [path, cond] of Object.entries(where)) {
    assertFieldPath(path);
    const f = d.field(path);
    const { op, value } = conditionOp(cond);
    switch (op) {
      case '$eq':
        parts.push(value === null ? d.isNull(path) : `${f} = ${d.param(value, params, true)}`);
        break;
      case '$ne':
        parts.push(
          value === null
            ? `NOT (${d.isNull(path)})`
            : `(${d.isNull(path)} OR ${f} <> ${d.param(value, params, true)})`,
        );
        break;
      case '$in': {
        const list = value as Scalar[];
        const nonNull = list.filter((x) => x !== null);
        const ors: string[] = [];
        if (nonNull.length) ors.push(`${f} IN (${nonNull.map((x) => d.param(x, params, true)).join(', ')})`);
        if (nonNull.length !== list.length) ors.push(d.isNull(path));
        parts.push(ors.length ? `(${ors.join(' OR ')})` : '1=0');
        break;
      }
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const sym = ({ $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const)[op];
        parts.push(
          d.compare
            ? d.compare(path, sym, value as number | string, params)
            : `${f} ${sym} ${d.param(value, params, true)}`,
        );
        break;
      }
      case '$like':
        parts.push(d.like(path, value as string, params));
        break;
      case '$exists':
        parts.push(value ? `NOT (${d.isNull(path)})` : d.isNull(path));
        break;
    }
  }
  return parts.length ? parts.join(' AND ') : '1=1';
}
