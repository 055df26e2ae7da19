/**
 * How XML-RPC values look in JavaScript, both ways:
 *
 * | XML-RPC                                   | JavaScript                                        |
 * |-------------------------------------------|---------------------------------------------------|
 * | `<nil/>` (Koji's allow_none)              | `null` (`undefined` is sent as nil too)           |
 * | `int`, `i4`, `i8`, `i1`, `i2`, `biginteger` | `number` when it is a safe integer, else `bigint` |
 * | `boolean`                                 | `boolean`                                         |
 * | `double`                                  | `number` (a non-integral one, or NaN/±Infinity)   |
 * | `string`, untyped `<value>text</value>`   | `string`                                          |
 * | `dateTime.iso8601`                        | `XmlRpcDateTime` (the text, kept as sent)         |
 * | `base64`                                  | `Buffer`                                          |
 * | `array`                                   | array                                             |
 * | `struct`                                  | plain object (keys become own properties, even `__proto__`) |
 *
 * Integers beyond ±(2^53 − 1) are parsed into `bigint`, never rounded: a method whose validator wants
 * a number then refuses them with a ParameterError instead of working on a different number. A
 * JavaScript number can only be an integer or not, so integral values are always sent as `int`/`i8`
 * (never as `double`); Koji's client reads both as numbers.
 */
export class XmlRpcDateTime {
  constructor(readonly text: string) {}

  /** XML-RPC's own form: `20240131T12:34:56`, in UTC (XML-RPC has no time zones). */
  static fromDate(d: Date): XmlRpcDateTime {
    const iso = d.toISOString();
    return new XmlRpcDateTime(`${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}`);
  }

  /** The ISO 8601 extended form methods get (`2024-01-31T12:34:56`), or the text as sent. */
  toIsoString(): string {
    const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(.*)$/.exec(this.text);
    return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7]}` : this.text;
  }
}

export type XmlRpcValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | XmlRpcDateTime
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue };

export type XmlRpcStruct = { [key: string]: XmlRpcValue };

export function isStruct(v: unknown): v is XmlRpcStruct {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof XmlRpcDateTime)
  );
}

/** Sets a key as an own property, so a struct member named `__proto__` is data, not a prototype. */
export function setMember(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Python's truth value, which `koji.decode_args` applies to `__starstar`. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === '' || v === 0 || v === 0n) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (Buffer.isBuffer(v)) return v.length > 0;
  if (isStruct(v)) return Object.keys(v).length > 0;
  return true;
}

/**
 * `koji.decode_args`: a trailing struct with a truthy `__starstar` member carries the keyword
 * arguments; the marker itself is dropped.
 */
export function decodeArgs(params: readonly XmlRpcValue[]): {
  positional: XmlRpcValue[];
  kwargs: XmlRpcStruct;
} {
  const last = params[params.length - 1];
  if (params.length && isStruct(last) && pyTruthy(last.__starstar)) {
    const kwargs: XmlRpcStruct = {};
    for (const k of Object.keys(last)) if (k !== '__starstar') setMember(kwargs, k, last[k]);
    return { positional: params.slice(0, -1), kwargs };
  }
  return { positional: [...params], kwargs: {} };
}

/** `koji.encode_args`: keyword arguments travel as one more positional struct marked `__starstar`. */
export function encodeArgs(positional: readonly unknown[], kwargs?: Record<string, unknown>): unknown[] {
  if (!kwargs || Object.keys(kwargs).length === 0) return [...positional];
  return [...positional, { ...kwargs, __starstar: true }];
}

/**
 * What a method receives for a decoded argument: the same as the JSON door would give it, where
 * that exists. A `dateTime.iso8601` becomes its ISO 8601 text (JSON has no dates either); base64
 * stays a Buffer and big integers stay bigint, which validators that expect strings or numbers refuse.
 */
export function toMethodArg(v: XmlRpcValue): unknown {
  if (v instanceof XmlRpcDateTime) return v.toIsoString();
  if (Array.isArray(v)) return v.map(toMethodArg);
  if (isStruct(v)) {
    const out = {};
    for (const k of Object.keys(v)) setMember(out, k, toMethodArg(v[k]));
    return out;
  }
  return v;
}
