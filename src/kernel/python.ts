// Python's repr() and str() of the JSON-like values Koji puts in its messages and CLI output
// (`%r`, `%s`, `str(value)`): one spelling for the whole product, so a message reads as Koji's would.

/** Python's `repr()`: quotes as Python chooses them, `None`/`True`/`False`, lists and dicts. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloat(value);
  if (typeof value === 'string') {
    const q = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t');
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value instanceof Set) return value.size ? `{${[...value].map(pyRepr).join(', ')}}` : 'set()';
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  return String(value);
}

/**
 * The name of the value's Python type, as `type(value).__name__` would give it for the value the wire
 * decoded (a bigint is an XML-RPC integer too large for a double: a Python int).
 */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Set) return 'set';
  return 'dict';
}

/** Python's `str(type(value))`: `<class 'int'>`, as Koji's "Invalid type for value" messages print it. */
export const pyClass = (value: unknown): string => `<class '${pyTypeName(value)}'>`;

/** The repr of a value a message echoes back, short: a long string or structure shows only its size. */
export function pyShort(v: unknown): string {
  if (typeof v === 'string' && v.length > 80) return `a string of ${v.length} characters`;
  const r = pyRepr(v);
  return r.length > 80 ? `${r.slice(0, 60)}… (${r.length} characters)` : r;
}

/** Python's `str()` (what `%s` prints): a string as it is, anything else as its repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** A float as Python prints it (JavaScript cannot tell 2.0 from 2; both print `2`). */
function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/**
 * Koji's convert_value refusal, `Invalid type for value '<str>': <class 'str'>, expected type <class
 * 'dict'>`, for every parameter checked by hand.
 */
export function invalidTypeMessage(value: unknown, expected: string): string {
  return `Invalid type for value '${pyStr(value)}': ${pyClass(value)}, expected type <class '${expected}'>`;
}
