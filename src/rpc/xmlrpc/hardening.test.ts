import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXmlRpc, XmlSyntaxError } from './parser.js';
import { serializeCall } from './serializer.js';

const refused = (body: string | Buffer, why: RegExp) => {
  const started = process.hrtime.bigint();
  assert.throws(
    () => parseXmlRpc(body),
    (e: unknown) => e instanceof XmlSyntaxError && why.test(e.message),
    `expected a refusal matching ${why}`,
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 2000, `refusing took ${ms} ms`);
};

const call = (params: string) =>
  `<?xml version='1.0'?><methodCall><methodName>m</methodName><params>${params}</params></methodCall>`;

test('billion laughs: a DOCTYPE is refused before any entity is looked at', () => {
  const laughs = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE lolz [',
    '<!ENTITY lol "lol">',
    ...Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ),
    ']>',
    '<methodCall><methodName>&lol9;</methodName></methodCall>',
  ].join('\n');
  refused(laughs, /DOCTYPE/);
});

test('external entities and parameter entities are refused', () => {
  refused(
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall><methodName>&x;</methodName></methodCall>',
    /DOCTYPE/,
  );
  refused('<!doctype methodCall SYSTEM "http://example.com/x.dtd"><methodCall/>', /DOCTYPE/);
  refused(call('<param><value><string>&x;</string></value></param>'), /undefined entity &x;/);
  refused(call('<param><value><string>&#0;</string></value></param>'), /not an XML character/);
  refused(call('<param><value><string>&#xD800;</string></value></param>'), /not an XML character/);
  refused(call('<param><value><string>a & b</string></value></param>'), /bare '&'/);
  refused('<methodCall><!ENTITY x "y"><methodName>m</methodName></methodCall>', /markup declarations/);
});

test('10,000-deep nesting is refused at the depth limit', () => {
  const deep = `${'<value><array><data>'.repeat(3400)}${'</data></array></value>'.repeat(3400)}`;
  refused(call(`<param>${deep}</param>`), /nested deeper than 256/);
  const plain = `<methodCall>${'<a>'.repeat(10000)}${'</a>'.repeat(10000)}</methodCall>`;
  refused(plain, /nested deeper|unexpected <a>/);
});

test('size, element count and string length limits', () => {
  const body = call(`<param><value><string>${'x'.repeat(2000)}</string></value></param>`);
  assert.throws(() => parseXmlRpc(body, { maxBytes: 1000 }), /larger than 1000 bytes/);
  assert.throws(() => parseXmlRpc(body, { maxTextLength: 100 }), /text longer than 100/);
  const many = call(`<param><value><array><data>${'<value/>'.repeat(500)}</data></array></value></param>`);
  assert.throws(() => parseXmlRpc(many, { maxElements: 200 }), /more than 200 elements/);
  assert.equal(parseXmlRpc(many).kind, 'call');
  refused(call(`<param><value><int>${'9'.repeat(5000)}</int></value></param>`), /more than 1000 digits/);
});

test('pathological inputs stay linear', () => {
  refused(
    call(`<param><value><int>${'0'.repeat(1_000_000)}x</int></value></param>`),
    /digits|not an integer/,
  );
  refused(call(`<param><value><double>${'1'.repeat(1_000_000)}x</double></value></param>`), /not a number/);
  refused(`<methodCall>${'<!-- c -->'.repeat(200_000)}<bad`, /malformed|ends inside|unterminated/);
  refused(`<methodCall><methodName>${'&amp;'.repeat(500_000)}`, /ends inside/);
  refused(
    `<methodCall ${Array.from({ length: 100 }, (_, i) => `a${i}="x"`).join(' ')}>`,
    /too many attributes/,
  );
  refused(`${'<'.repeat(1_000_000)}`, /malformed element name/);
  // A text piece between each two elements and not one '&' in the body: each piece once searched to
  // the end of the document for the next '&' (48 s on the hub for this body).
  const spaced = parseXmlRpc(
    call(`<param><value><array><data>${' <value/>'.repeat(990_000)}</data></array></value></param>`),
  );
  assert.ok(spaced.kind === 'call');
  assert.equal((spaced.params[0] as unknown[]).length, 990_000);
});

test('well-formedness: mismatched, unclosed, junk, bad UTF-8 and forbidden characters', () => {
  refused('<methodCall><methodName>m</methodCall>', /does not close/);
  refused('<methodCall><methodName>m</methodName>', /ends inside <methodCall>/);
  refused('<methodCall><methodName>m</methodName></methodCall><x/>', /second document element/);
  refused('<methodCall><methodName>m</methodName></methodCall>junk', /text after the document element/);
  refused('', /no element/);
  refused('<?xml version="1.0" encoding="ISO-8859-1"?><methodCall/>', /unsupported encoding/);
  refused(Buffer.from([0x3c, 0x61, 0xff, 0x3e]), /not valid UTF-8/);
  refused('<methodCall><methodName>m\u0001</methodName></methodCall>', /U\+0001 is not allowed/);
  refused(
    '<methodCall><methodName>m</methodName><?xml version="1.0"?></methodCall>',
    /only allowed at the very start/,
  );
  refused('<methodCall><methodName>m</methodName><!-- a -- b --></methodCall>', /'--' is not allowed/);
});

test('XML-RPC grammar: unknown types, stray text, doubled values, bad scalars', () => {
  refused(call('<param><value><float>1</float></value></param>'), /unknown value type <float>/);
  refused(call('<param><value>text<int>1</int></value></param>'), /both text and a typed value/);
  refused(call('<param><value><int>1</int><int>2</int></value></param>'), /unexpected <int>/);
  refused(call('junk<param><value/></param>'), /unexpected text "junk"/);
  refused(call('<param><value><boolean>true</boolean></value></param>'), /not 0 or 1/);
  refused(call('<param><value><int>1.5</int></value></param>'), /not an integer/);
  refused(call('<param><value><double>1,5</double></value></param>'), /not a number/);
  refused(call('<param><value><base64>@@@@</base64></value></param>'), /invalid base64/);
  refused(call('<param><value><nil>x</nil></value></param>'), /must be empty/);
  refused(
    call('<param><value><struct><member><value/></member></struct></value></param>'),
    /unexpected <value>|needs a <name>/,
  );
  refused(call('<param><value><array><value/></array></value></param>'), /unexpected <value>/);
  refused('<methodCall><params/></methodCall>', /unexpected <params>|no <methodName>/);
  refused(
    '<methodResponse><params><param><value/></param><param><value/></param></params></methodResponse>',
    /exactly one/,
  );
  refused('<methodResponse><fault><value><int>1</int></value></fault></methodResponse>', /faultCode/);
  refused('<html><body>not xml-rpc</body></html>', /unexpected <html>/);
});

test('fuzz: random truncations and mutations of real requests fault cleanly or parse', () => {
  const seeds = [
    serializeCall('createSideTag', ['f30-build', { debuginfo: null, suffix: 'x', __starstar: true }]),
    serializeCall('multiCall', [
      [
        { methodName: 'removeSideTag', params: ['A'] },
        { methodName: 'getTag', params: [1, { strict: true, __starstar: true }] },
      ],
    ]),
    serializeCall('all', [null, 1, 3000000000, true, 1.5, 'a&b<c', Buffer.from('xyz'), [], {}, [{ a: [1] }]]),
  ];
  // A fixed-seed generator, so a failure can be reproduced.
  let state = 0x9e3779b9;
  const rand = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const alphabet = [
    '<',
    '>',
    '/',
    '&',
    ';',
    '#',
    'x',
    '"',
    "'",
    '=',
    '!',
    '?',
    '-',
    '[',
    ']',
    ' ',
    '\n',
    '\u0000',
    'é',
    '&#',
    '&lt',
    '<!DOCTYPE',
    '<![CDATA[',
    ']]>',
    '<value>',
    '</value>',
    '<struct>',
    '<member>',
    '<i8>',
    '99999999999999999999',
  ];
  let parsed = 0;
  let faults = 0;
  const started = Date.now();
  for (let i = 0; i < 6000; i++) {
    const seed = seeds[rand(seeds.length)];
    let s = seed;
    const op = rand(4);
    if (op === 0) s = s.slice(0, rand(s.length));
    else {
      for (let k = 1 + rand(4); k > 0; k--) {
        const at = rand(s.length + 1);
        const piece = alphabet[rand(alphabet.length)];
        if (op === 1) s = s.slice(0, at) + piece + s.slice(at);
        else if (op === 2) s = s.slice(0, at) + s.slice(at + 1 + rand(8));
        else s = s.slice(0, at) + piece + s.slice(at + piece.length);
      }
    }
    try {
      parseXmlRpc(Buffer.from(s, 'utf8'));
      parsed++;
    } catch (e) {
      if (!(e instanceof XmlSyntaxError))
        throw new Error(`mutation ${i} crashed with ${String(e)}: ${JSON.stringify(s)}`, { cause: e });
      faults++;
    }
  }
  assert.ok(faults > 3000, `only ${faults} of 6000 mutations were refused`);
  assert.ok(parsed > 0, 'no mutation parsed at all');
  assert.ok(Date.now() - started < 20_000, 'fuzzing took too long');
});
