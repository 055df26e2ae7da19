import { DEFAULT_XML_LIMITS, decodeXmlBytes, scanXml, XmlSyntaxError, type XmlLimits } from './xml.js';
import { setMember, XmlRpcDateTime, type XmlRpcStruct, type XmlRpcValue } from './values.js';

export { XmlSyntaxError };

export type XmlRpcMessage =
  | { kind: 'call'; methodName: string; params: XmlRpcValue[] }
  | { kind: 'response'; value: XmlRpcValue }
  | { kind: 'fault'; faultCode: number; faultString: string };

export interface ParseLimits extends XmlLimits {
  /** The body's size limit in bytes (`[hub] MaxRequestLength`). */
  maxBytes: number;
  /** Longest run of digits accepted in an integer (Python refuses more than 4300). */
  maxIntegerDigits: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  ...DEFAULT_XML_LIMITS,
  maxBytes: 10 * 1024 * 1024,
  maxIntegerDigits: 1000,
};

const INT_TYPES = new Set(['int', 'i4', 'i8', 'i1', 'i2', 'biginteger']);
const SCALAR_TYPES = new Set([
  ...INT_TYPES,
  'boolean',
  'double',
  'string',
  'dateTime.iso8601',
  'base64',
  'nil',
]);

type Frame =
  | { el: 'methodCall'; name: string | null; params: XmlRpcValue[] | null }
  | { el: 'methodResponse'; value: XmlRpcValue | undefined; fault: XmlRpcValue | undefined }
  | { el: 'params'; items: XmlRpcValue[] }
  | { el: 'param' | 'fault'; value: XmlRpcValue | undefined }
  | { el: 'value'; text: string; value: XmlRpcValue | undefined; typed: boolean }
  | { el: 'scalar'; type: string; text: string }
  | { el: 'name' | 'methodName'; text: string }
  | { el: 'array'; items: XmlRpcValue[] | null }
  | { el: 'data'; items: XmlRpcValue[] }
  | { el: 'struct'; value: XmlRpcStruct }
  | { el: 'member'; name: string | null; value: XmlRpcValue | undefined };

/** `ex:nil` is `nil`: namespace prefixes are dropped, as Python's unmarshaller does. */
const local = (name: string) => {
  const i = name.lastIndexOf(':');
  return i < 0 ? name : name.slice(i + 1);
};

/**
 * Builds XML-RPC messages from the events of the hardened scanner. Everything outside the XML-RPC
 * grammar (unknown elements, stray text, a value with two types) is refused, so a request means
 * exactly one thing.
 */
class Builder {
  private stack: Frame[] = [];
  result: XmlRpcMessage | null = null;

  constructor(private readonly limits: ParseLimits) {}

  private top(): Frame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private err(why: string): never {
    throw new XmlSyntaxError(why);
  }

  open(raw: string): void {
    const name = local(raw);
    const parent = this.top();
    const inside = parent ? `<${parent.el === 'scalar' ? parent.type : parent.el}>` : 'the document';
    const unexpected = (): never => this.err(`unexpected <${name}> in ${inside}`);
    if (!parent) {
      if (name === 'methodCall') return void this.stack.push({ el: 'methodCall', name: null, params: null });
      if (name === 'methodResponse')
        return void this.stack.push({ el: 'methodResponse', value: undefined, fault: undefined });
      return unexpected();
    }
    switch (parent.el) {
      case 'methodCall':
        if (name === 'methodName' && parent.name === null && parent.params === null)
          return void this.stack.push({ el: 'methodName', text: '' });
        if (name === 'params' && parent.name !== null && parent.params === null)
          return void this.stack.push({ el: 'params', items: [] });
        return unexpected();
      case 'methodResponse':
        if (parent.value !== undefined || parent.fault !== undefined) return unexpected();
        if (name === 'params') return void this.stack.push({ el: 'params', items: [] });
        if (name === 'fault') return void this.stack.push({ el: 'fault', value: undefined });
        return unexpected();
      case 'params':
        if (name === 'param') return void this.stack.push({ el: 'param', value: undefined });
        return unexpected();
      case 'param':
      case 'fault':
        if (name === 'value' && parent.value === undefined)
          return void this.stack.push({ el: 'value', text: '', value: undefined, typed: false });
        return unexpected();
      case 'value':
        if (parent.typed) return unexpected();
        parent.typed = true;
        if (SCALAR_TYPES.has(name)) return void this.stack.push({ el: 'scalar', type: name, text: '' });
        if (name === 'array') return void this.stack.push({ el: 'array', items: null });
        if (name === 'struct') return void this.stack.push({ el: 'struct', value: {} });
        return this.err(`unknown value type <${name}>`);
      case 'array':
        if (name === 'data' && parent.items === null) return void this.stack.push({ el: 'data', items: [] });
        return unexpected();
      case 'data':
        if (name === 'value')
          return void this.stack.push({ el: 'value', text: '', value: undefined, typed: false });
        return unexpected();
      case 'struct':
        if (name === 'member') return void this.stack.push({ el: 'member', name: null, value: undefined });
        return unexpected();
      case 'member':
        if (name === 'name' && parent.name === null) return void this.stack.push({ el: 'name', text: '' });
        if (name === 'value' && parent.name !== null && parent.value === undefined)
          return void this.stack.push({ el: 'value', text: '', value: undefined, typed: false });
        return unexpected();
      default:
        return unexpected();
    }
  }

  text(t: string): void {
    const f = this.top();
    if (f && (f.el === 'scalar' || f.el === 'name' || f.el === 'methodName' || f.el === 'value')) {
      if (f.text.length + t.length > this.limits.maxTextLength)
        this.err(`text longer than ${this.limits.maxTextLength} characters`);
      f.text += t;
      return;
    }
    if (!/^[ \t\n]*$/.test(t))
      this.err(`unexpected text ${JSON.stringify(t.trim().slice(0, 20))} in <${f ? f.el : 'document'}>`);
  }

  close(): void {
    const f = this.stack.pop()!;
    const parent = this.top();
    switch (f.el) {
      case 'methodCall':
        if (f.name === null) this.err('<methodCall> has no <methodName>');
        this.result = { kind: 'call', methodName: f.name, params: f.params ?? [] };
        return;
      case 'methodResponse':
        if (f.fault !== undefined) {
          this.result = faultOf(f.fault);
          return;
        }
        if (f.value === undefined) this.err('<methodResponse> has neither <params> nor <fault>');
        this.result = { kind: 'response', value: f.value };
        return;
      case 'methodName': {
        const name = f.text.trim();
        if (!name) this.err('empty <methodName>');
        if (name.length > 255) this.err('<methodName> longer than 255 characters');
        (parent as Extract<Frame, { el: 'methodCall' }>).name = name;
        return;
      }
      case 'params': {
        const p = parent!;
        if (p.el === 'methodCall') p.params = f.items;
        else if (p.el === 'methodResponse') {
          if (f.items.length !== 1) this.err('a <methodResponse> carries exactly one <param>');
          p.value = f.items[0];
        }
        return;
      }
      case 'param':
        if (f.value === undefined) this.err('<param> has no <value>');
        (parent as Extract<Frame, { el: 'params' }>).items.push(f.value);
        return;
      case 'fault':
        if (f.value === undefined) this.err('<fault> has no <value>');
        (parent as Extract<Frame, { el: 'methodResponse' }>).fault = f.value;
        return;
      case 'value': {
        let v: XmlRpcValue;
        if (f.typed) {
          if (!/^[ \t\n]*$/.test(f.text)) this.err('a <value> holds both text and a typed value');
          v = f.value as XmlRpcValue;
        } else {
          v = f.text;
        }
        this.deliver(parent!, v);
        return;
      }
      case 'scalar':
        (parent as Extract<Frame, { el: 'value' }>).value = this.scalar(f.type, f.text);
        return;
      case 'array':
        if (f.items === null) this.err('<array> has no <data>');
        (parent as Extract<Frame, { el: 'value' }>).value = f.items;
        return;
      case 'data':
        (parent as Extract<Frame, { el: 'array' }>).items = f.items;
        return;
      case 'struct':
        (parent as Extract<Frame, { el: 'value' }>).value = f.value;
        return;
      case 'member':
        if (f.name === null || f.value === undefined) this.err('a <member> needs a <name> and a <value>');
        setMember((parent as Extract<Frame, { el: 'struct' }>).value, f.name, f.value);
        return;
      case 'name':
        (parent as Extract<Frame, { el: 'member' }>).name = f.text;
        return;
    }
  }

  private deliver(parent: Frame, v: XmlRpcValue) {
    if (parent.el === 'param' || parent.el === 'fault' || parent.el === 'member') parent.value = v;
    else if (parent.el === 'data') parent.items.push(v);
  }

  private scalar(type: string, text: string): XmlRpcValue {
    if (INT_TYPES.has(type)) {
      // Checked piecewise, never with one backtracking pattern: a long run of digits must not cost
      // quadratic time.
      const t = text.length <= this.limits.maxIntegerDigits + 64 ? text.trim() : null;
      if (t === null) this.err(`<${type}> has more than ${this.limits.maxIntegerDigits} digits`);
      const sign = t.startsWith('-') || t.startsWith('+') ? t[0] : '';
      const digits = t.slice(sign.length).replace(/^0+(?=[0-9])/, '');
      if (!/^[0-9]+$/.test(digits))
        this.err(`<${type}> holds ${JSON.stringify(text.slice(0, 40))}, not an integer`);
      if (digits.length > this.limits.maxIntegerDigits)
        this.err(`<${type}> has more than ${this.limits.maxIntegerDigits} digits`);
      const big = BigInt(`${sign === '-' ? '-' : ''}${digits}`);
      const n = Number(big);
      return Number.isSafeInteger(n) ? n : big;
    }
    switch (type) {
      case 'boolean':
        // Python's unmarshaller accepts exactly "0" and "1".
        if (text === '0') return false;
        if (text === '1') return true;
        return this.err(`<boolean> holds ${JSON.stringify(text.slice(0, 40))}, not 0 or 1`);
      case 'double': {
        const t = text.length <= 1100 ? text.trim() : '';
        if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return Number(t);
        const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
        if (special) {
          if (special[2].toLowerCase() === 'nan') return NaN;
          return special[1] === '-' ? -Infinity : Infinity;
        }
        return this.err(`<double> holds ${JSON.stringify(text.slice(0, 40))}, not a number`);
      }
      case 'string':
        return text;
      case 'nil':
        if (text !== '') this.err('<nil/> must be empty');
        return null;
      case 'dateTime.iso8601': {
        const t = text.trim();
        if (t.length === 0 || t.length > 64) this.err('<dateTime.iso8601> must hold a date and time');
        return new XmlRpcDateTime(t);
      }
      case 'base64': {
        const t = text.replace(/[ \t\n]+/g, '');
        if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t))
          this.err('<base64> holds invalid base64');
        return Buffer.from(t, 'base64');
      }
    }
    return this.err(`unknown value type <${type}>`);
  }
}

function faultOf(v: XmlRpcValue): XmlRpcMessage {
  const s = v as XmlRpcStruct;
  if (
    typeof s !== 'object' ||
    s === null ||
    Array.isArray(s) ||
    typeof s.faultCode !== 'number' ||
    typeof s.faultString !== 'string'
  )
    throw new XmlSyntaxError('a <fault> must be a struct with faultCode (int) and faultString (string)');
  return { kind: 'fault', faultCode: s.faultCode, faultString: s.faultString };
}

/** Parses a `methodCall` or `methodResponse` body. Throws XmlSyntaxError for anything else. */
export function parseXmlRpc(body: Uint8Array | string, limits: Partial<ParseLimits> = {}): XmlRpcMessage {
  const l = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > l.maxBytes) throw new XmlSyntaxError(`the body is larger than ${l.maxBytes} bytes`);
  const text = typeof body === 'string' ? body : decodeXmlBytes(body);
  const b = new Builder(l);
  scanXml(text, b, l);
  if (!b.result) throw new XmlSyntaxError('not an XML-RPC methodCall or methodResponse');
  return b.result;
}

export function parseMethodCall(
  body: Uint8Array | string,
  limits: Partial<ParseLimits> = {},
): { methodName: string; params: XmlRpcValue[] } {
  const m = parseXmlRpc(body, limits);
  if (m.kind !== 'call') throw new XmlSyntaxError('expected a <methodCall>');
  return m;
}
