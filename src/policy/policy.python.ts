// Python's string and truth rules, where Koji's behaviour depends on them: a policy line is cut with
// `str.strip()`/`str.split()`, the text with `str.splitlines()`, and tests like `bool` use truthiness.
// JavaScript's trim/split/\s differ at the edges (U+001C..U+001F, U+0085, U+FEFF), so they are spelled out.

/** The characters Python's `str.isspace()` accepts (used by `strip()` and `split()` without arguments). */
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_WS = new RegExp(`^[${WS}]+`, 'u');
const TRAILING_WS = new RegExp(`[${WS}]+$`, 'u');
const WS_RUN = new RegExp(`[${WS}]+`, 'u');

/** `str.strip()` */
export function pyStrip(s: string): string {
  return s.replace(LEADING_WS, '').replace(TRAILING_WS, '');
}

/**
 * `str.split(None, maxsplit)`: runs of whitespace separate, no empty items; with `maxsplit` the
 * remainder keeps its trailing whitespace, as Python's does.
 */
export function pySplit(s: string, maxsplit = -1): string[] {
  const out: string[] = [];
  let rest = s.replace(LEADING_WS, '');
  while (rest !== '') {
    if (maxsplit >= 0 && out.length === maxsplit) {
      out.push(rest);
      break;
    }
    const m = WS_RUN.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

// eslint-disable-next-line no-control-regex -- Python's str.splitlines() also breaks at \x1c-\x1e
const LINE_BREAK = new RegExp('\\r\\n|[\\n\\r\\v\\f\\x1c\\x1d\\x1e\\x85\\u2028\\u2029]', 'u');

/** `str.splitlines()`: the line boundaries Python recognises, without the final empty line. */
export function pySplitLines(s: string): string[] {
  const lines = s.split(LINE_BREAK);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Python's `bool(value)` for values that come from JSON-like policy data. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  if (value instanceof Set || value instanceof Map) return value.size > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

export { pyRepr, pyStr, pyTypeName } from '../kernel/python.js';

const INT_RE = /^[+-]?\d+(?:_\d+)*$/;
const DIGITS = '\\d+(?:_\\d+)*';
const FLOAT_RE = new RegExp(
  `^[+-]?(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?)$`,
);
const FLOAT_SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;

/** Python's `int(s)` for a decimal string; null where Python raises ValueError. */
export function pyInt(s: string): number | null {
  const t = pyStrip(s);
  return INT_RE.test(t) ? Number(t.replace(/_/g, '')) : null;
}

/** Python's `float(s)`; null where Python raises ValueError. */
export function pyFloatParse(s: string): number | null {
  const t = pyStrip(s);
  if (FLOAT_RE.test(t)) return Number(t.replace(/_/g, ''));
  const m = FLOAT_SPECIAL_RE.exec(t);
  if (!m) return null;
  if (m[2]!.toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}
