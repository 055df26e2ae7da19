import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseXmlRpc, type XmlRpcMessage } from './parser.js';
import {
  pyFloatRepr,
  pyIsoformat,
  serializeCall,
  serializeFault,
  serializeResponse,
  XmlRpcEncodeError,
} from './serializer.js';
import { decodeArgs, encodeArgs, XmlRpcDateTime, type XmlRpcValue } from './values.js';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'xmlrpc');

/** The fixtures' JSON, with the values JSON cannot hold turned back into their JavaScript form. */
function untag(v: unknown): XmlRpcValue {
  if (Array.isArray(v)) return v.map(untag);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
    if (typeof o.$base64 === 'string') return Buffer.from(o.$base64, 'base64');
    if (typeof o.$dateTime === 'string') return new XmlRpcDateTime(o.$dateTime);
    const out: Record<string, XmlRpcValue> = {};
    for (const [k, x] of Object.entries(o)) out[k] = untag(x);
    return out;
  }
  return v as XmlRpcValue;
}

interface Golden {
  name: string;
  xml: Buffer;
  expected: XmlRpcMessage;
  parseOnly: boolean;
}

function goldens(): Golden[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      const j = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, unknown>;
      const expected: XmlRpcMessage =
        j.kind === 'call'
          ? { kind: 'call', methodName: j.methodName as string, params: untag(j.params) as XmlRpcValue[] }
          : j.kind === 'fault'
            ? { kind: 'fault', faultCode: j.faultCode as number, faultString: j.faultString as string }
            : { kind: 'response', value: untag(j.value) };
      return { name, xml: readFileSync(join(FIXTURES, f)), expected, parseOnly: j.parseOnly === true };
    });
}

test('every golden body parses to the value Python marshalled', () => {
  const all = goldens();
  assert.ok(all.length >= 30, `only ${all.length} golden bodies found in ${FIXTURES}`);
  for (const g of all) assert.deepEqual(parseXmlRpc(g.xml), g.expected, g.name);
});

test('every golden body is produced byte for byte', () => {
  let produced = 0;
  for (const g of goldens()) {
    if (g.parseOnly) continue;
    const e = g.expected;
    const out =
      e.kind === 'call'
        ? serializeCall(e.methodName, e.params)
        : e.kind === 'fault'
          ? serializeFault(e.faultCode, e.faultString)
          : serializeResponse(e.value);
    assert.equal(out, g.xml.toString('utf8'), g.name);
    produced++;
  }
  assert.ok(produced >= 25, `only ${produced} bodies were compared`);
});

test('every value type round-trips through the codec', () => {
  const values: XmlRpcValue[] = [
    null,
    0,
    1,
    -1,
    2 ** 31 - 1,
    -(2 ** 31),
    2 ** 31,
    -(2 ** 31) - 1,
    Number.MAX_SAFE_INTEGER,
    2n ** 53n + 1n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    10n ** 40n,
    true,
    false,
    1.5,
    -0.1,
    1e-7,
    1.7976931348623157e308,
    5e-324,
    NaN,
    Infinity,
    -Infinity,
    '',
    'plain',
    '<&>"\'',
    ']]>',
    'carriage\r\nreturn\rs',
    '\t\n',
    'żółw 🐢 \u{10FFFF}',
    Buffer.alloc(0),
    Buffer.from([0, 1, 2, 255]),
    Buffer.alloc(1000, 7),
    new XmlRpcDateTime('20240131T12:34:56'),
    [],
    [[[]]],
    {},
    { ['__proto__']: 'own property', constructor: 1, '': null, 'a b': [1, { c: 'd' }] },
  ];
  for (const v of values) {
    const back = parseXmlRpc(serializeResponse(v));
    assert.deepEqual(back, { kind: 'response', value: v }, `value ${String(v)}`);
    const call = parseXmlRpc(serializeCall('m', [v, v]));
    assert.deepEqual(call, { kind: 'call', methodName: 'm', params: [v, v] });
  }
  const all = parseXmlRpc(serializeResponse(values));
  assert.deepEqual(all, { kind: 'response', value: values });
});

test('a struct member named __proto__ is data, never a prototype', () => {
  const body = serializeResponse(JSON.parse('{"__proto__": {"polluted": true}}') as XmlRpcValue);
  const m = parseXmlRpc(body);
  assert.equal(m.kind, 'response');
  const v = (m as { value: Record<string, unknown> }).value;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('integers: i4 range as <int>, beyond it <i8>, beyond 2^53 kept exact as bigint', () => {
  assert.match(serializeResponse(2 ** 31 - 1), /<int>2147483647<\/int>/);
  assert.match(serializeResponse(2 ** 31), /<i8>2147483648<\/i8>/);
  assert.match(serializeResponse(-(2 ** 31) - 1), /<i8>-2147483649<\/i8>/);
  assert.match(serializeResponse(2 ** 62), /<i8>4611686018427387904<\/i8>/);
  assert.match(serializeResponse(1e20), /<double>1e\+20<\/double>/);
  assert.match(serializeResponse(-0), /<int>0<\/int>/);
  const big = parseXmlRpc(
    '<methodResponse><params><param><value><i8>9007199254740993</i8></value></param></params></methodResponse>',
  );
  assert.deepEqual(big, { kind: 'response', value: 9007199254740993n });
  const padded = parseXmlRpc(
    '<methodResponse><params><param><value><int> -007 </int></value></param></params></methodResponse>',
  );
  assert.deepEqual(padded, { kind: 'response', value: -7 });
});

test("doubles are written as Python's repr", () => {
  const cases: [number, string][] = [
    [1.5, '1.5'],
    [0.1, '0.1'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e-7, '1e-07'],
    [123.456, '123.456'],
    [1.5e16 + 0.5, '1.5e+16'],
    [-2.5e-10, '-2.5e-10'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [-0, '-0.0'],
    [0, '0.0'],
    [1e15 + 0.5, '1000000000000000.5'],
  ];
  for (const [n, repr] of cases) assert.equal(pyFloatRepr(n), repr, String(n));
});

test('a string result stays a <string> (base64 text from downloadTaskOutput), bytes become <base64>', () => {
  const text = Buffer.from('hello').toString('base64');
  assert.match(serializeResponse(text), /<value><string>aGVsbG8=<\/string><\/value>/);
  assert.match(serializeResponse(Buffer.from('hello')), /<value><base64>\naGVsbG8=\n<\/base64><\/value>/);
});

test('dates go out as Koji strings; undefined members are dropped as in JSON', () => {
  assert.equal(pyIsoformat(new Date('2024-01-31T12:34:56.123Z')), '2024-01-31 12:34:56.123000+00:00');
  assert.equal(pyIsoformat(new Date('2024-01-31T12:34:56Z')), '2024-01-31 12:34:56+00:00');
  const body = serializeResponse({ a: undefined, b: [undefined], c: () => 1 });
  assert.deepEqual(parseXmlRpc(body), { kind: 'response', value: { b: [null] } });
  assert.deepEqual(parseXmlRpc(serializeResponse(undefined)), { kind: 'response', value: null });
});

test('values XML cannot carry are refused at encoding time, not sent broken', () => {
  assert.throws(() => serializeResponse('bell\u0007'), XmlRpcEncodeError);
  assert.throws(() => serializeResponse({ ['key\u0000']: 1 }), XmlRpcEncodeError);
  assert.throws(() => serializeResponse('\ud800 lone'), XmlRpcEncodeError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => serializeResponse(cyclic), /recursive/);
  const shared = { x: 1 };
  assert.doesNotThrow(() => serializeResponse([shared, shared]));
});

test('__starstar: the trailing struct with a truthy marker carries the kwargs (koji.decode_args)', () => {
  assert.deepEqual(decodeArgs(['a', { debuginfo: null, __starstar: true }]), {
    positional: ['a'],
    kwargs: { debuginfo: null },
  });
  assert.deepEqual(decodeArgs(['a', { x: 1, __starstar: 1 }]), { positional: ['a'], kwargs: { x: 1 } });
  assert.deepEqual(decodeArgs([{ x: 1, __starstar: false }]), {
    positional: [{ x: 1, __starstar: false }],
    kwargs: {},
  });
  assert.deepEqual(decodeArgs([{ __starstar: true }, 'last']), {
    positional: [{ __starstar: true }, 'last'],
    kwargs: {},
  });
  assert.deepEqual(decodeArgs([]), { positional: [], kwargs: {} });
  assert.deepEqual(encodeArgs(['a'], { debuginfo: null }), ['a', { debuginfo: null, __starstar: true }]);
  assert.deepEqual(encodeArgs(['a'], {}), ['a']);
});

test('dateTime.iso8601 keeps its text and gives methods ISO 8601', () => {
  const d = new XmlRpcDateTime('20240131T12:34:56');
  assert.equal(d.toIsoString(), '2024-01-31T12:34:56');
  assert.equal(XmlRpcDateTime.fromDate(new Date('2024-01-31T12:34:56Z')).text, '20240131T12:34:56');
  assert.equal(new XmlRpcDateTime('yesterday').toIsoString(), 'yesterday');
});
