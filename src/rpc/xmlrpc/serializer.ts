import { isXmlChar } from './xml.js';
import { XmlRpcDateTime } from './values.js';

/**
 * Writes XML-RPC exactly as Koji does (Python's `xmlrpc.client.Marshaller` with Koji's
 * `ExtendedMarshaller`, `allow_none`, and the hub's dates-as-strings), so a response from koji-es is
 * byte for byte what the real hub sends for the same value. The golden files under
 * test/fixtures/xmlrpc were written by Python's own marshaller.
 */

/** A result that XML cannot carry (a control character, a cycle): the call answers a fault instead. */
export class XmlRpcEncodeError extends Error {}

const XML_HEADER = "<?xml version='1.0'?>\n";
const MAXINT = 2 ** 31 - 1;
const MININT = -(2 ** 31);
const MAX_DEPTH = 512;

/** Python's `xmlrpc.client.escape`, plus `\r` as a reference, which XML parsers would turn into `\n`. */
function escape(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 ? c !== 9 && c !== 10 && c !== 13 : c === 0xfffe || c === 0xffff)
      throw new XmlRpcEncodeError(
        `the value contains U+${c.toString(16).toUpperCase().padStart(4, '0')}, which XML 1.0 cannot carry`,
      );
    if (c >= 0xd800 && c <= 0xdfff) {
      const cp = s.codePointAt(i)!;
      if (cp < 0x10000 || !isXmlChar(cp))
        throw new XmlRpcEncodeError('the value contains a lone UTF-16 surrogate, which XML cannot carry');
      i++;
    }
  }
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mant, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace(/^-/, '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length > exp + 1) {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  }
  return neg ? `-${out}` : out;
}

/** `base64.encodebytes`: lines of 76 characters, each ending in a newline. */
function encodeBytes(b: Uint8Array): string {
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < s.length; i += 76) out += `${s.slice(i, i + 76)}\n`;
  return out;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Koji's hub sends datetimes as `value.isoformat(' ')` strings, e.g. `2024-01-31 12:34:56.123000+00:00`. */
export function pyIsoformat(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new XmlRpcEncodeError('an invalid Date cannot be sent');
  const ms = d.getUTCMilliseconds();
  return (
    `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}` +
    `${ms ? `.${String(ms * 1000).padStart(6, '0')}` : ''}+00:00`
  );
}

function integer(v: number | bigint, out: string[]) {
  if (v >= MININT && v <= MAXINT) out.push(`<value><int>${v}</int></value>\n`);
  // Koji's marshaller switches to i8 beyond 32 bits; its client reads an <i8> of any size.
  else out.push(`<value><i8>${typeof v === 'bigint' ? v : BigInt(v)}</i8></value>\n`);
}

function dump(v: unknown, out: string[], seen: Set<object>, depth: number): void {
  if (depth > MAX_DEPTH) throw new XmlRpcEncodeError(`the value is nested deeper than ${MAX_DEPTH}`);
  if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') {
    out.push('<value><nil/></value>');
    return;
  }
  switch (typeof v) {
    case 'boolean':
      out.push(`<value><boolean>${v ? 1 : 0}</boolean></value>\n`);
      return;
    case 'number':
      // Integral numbers past 64 bits can only come from float arithmetic: they stay doubles, as
      // Koji's marshaller refuses such ints.
      if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) integer(v === 0 ? 0 : v, out);
      else out.push(`<value><double>${pyFloatRepr(v)}</double></value>\n`);
      return;
    case 'bigint':
      integer(v, out);
      return;
    case 'string':
      out.push(`<value><string>${escape(v)}</string></value>\n`);
      return;
  }
  const o = v as object;
  if (o instanceof XmlRpcDateTime) {
    out.push(`<value><dateTime.iso8601>${escape(o.text)}</dateTime.iso8601></value>\n`);
    return;
  }
  if (o instanceof Date) {
    out.push(`<value><string>${pyIsoformat(o)}</string></value>\n`);
    return;
  }
  if (o instanceof Uint8Array) {
    out.push(`<value><base64>\n${encodeBytes(o)}</base64></value>\n`);
    return;
  }
  if (seen.has(o)) throw new XmlRpcEncodeError('cannot marshal a recursive structure');
  seen.add(o);
  if (Array.isArray(o)) {
    out.push('<value><array><data>\n');
    for (const item of o) dump(item, out, seen, depth + 1);
    out.push('</data></array></value>\n');
  } else {
    // The JSON door calls toJSON, so this door does too: both show a method's result alike.
    const toJSON = (o as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      seen.delete(o);
      dump((toJSON as () => unknown).call(o), out, seen, depth + 1);
      return;
    }
    out.push('<value><struct>\n');
    for (const [k, item] of Object.entries(o)) {
      // As in JSON, members without a value are left out.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      out.push(`<member>\n<name>${escape(k)}</name>\n`);
      dump(item, out, seen, depth + 1);
      out.push('</member>\n');
    }
    out.push('</struct></value>\n');
  }
  seen.delete(o);
}

/** One value as Python's marshaller writes it (`<value>…</value>\n`). */
export function serializeValue(v: unknown): string {
  const out: string[] = [];
  dump(v, out, new Set(), 0);
  return out.join('');
}

/** A successful `methodResponse` carrying one value. */
export function serializeResponse(v: unknown): string {
  return responseOf(serializeValue(v));
}

/** A `methodResponse` around a value already serialized (a multicall's entries, each on its own). */
export function responseOf(valueXml: string): string {
  return `${XML_HEADER}<methodResponse>\n<params>\n<param>\n${valueXml}</param>\n</params>\n</methodResponse>\n`;
}

/** An array value from entries already serialized. */
export function arrayOf(itemsXml: readonly string[]): string {
  return `<value><array><data>\n${itemsXml.join('')}</data></array></value>\n`;
}

/** A fault `methodResponse`. */
export function serializeFault(faultCode: number, faultString: string): string {
  return `${XML_HEADER}<methodResponse>\n<fault>\n${serializeValue({ faultCode, faultString })}</fault>\n</methodResponse>\n`;
}

/** A `methodCall` as `koji.ClientSession` sends it (params already `encode_args`-ed). */
export function serializeCall(methodName: string, params: readonly unknown[]): string {
  const body = params.map((p) => `<param>\n${serializeValue(p)}</param>\n`).join('');
  return `${XML_HEADER}<methodCall>\n<methodName>${escape(methodName)}</methodName>\n<params>\n${body}</params>\n</methodCall>\n`;
}
