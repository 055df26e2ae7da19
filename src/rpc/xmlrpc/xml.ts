/**
 * A deliberately small XML reader for XML-RPC requests, written here instead of taken from a library
 * so that nothing in it can expand entities: a DOCTYPE (and with it every DTD, entity declaration and
 * external entity) is refused outright, the only references understood are the five predefined
 * entities and numeric character references, and every loop is bounded by the input, so time is
 * linear in the body and memory is bounded by the limits below.
 */

export interface XmlLimits {
  /** Deepest element nesting accepted (a value inside an array inside a struct… costs 3 per level). */
  maxDepth: number;
  /** Elements (plus comments and processing instructions) in one document. */
  maxElements: number;
  /** Longest text content of one element, in UTF-16 code units. */
  maxTextLength: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  // Koji's deepest real arguments (queryOpts inside kwargs inside a multicall) stay under 30.
  maxDepth: 256,
  // A 10 MB multicall of small calls has a few hundred thousand elements.
  maxElements: 1_000_000,
  // Koji uploads go through rawUpload, not XML, so no legitimate string comes near this.
  maxTextLength: 16 * 1024 * 1024,
};

/** Malformed or refused XML: the request gets a fault naming the problem and where it is. */
export class XmlSyntaxError extends Error {}

export interface XmlHandler {
  open(name: string): void;
  close(name: string): void;
  /** Character data between two tags (comments and CDATA sections already merged in). */
  text(text: string): void;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const NAME = /[A-Za-z_:][A-Za-z0-9._:-]*/y;
const SPACE = /[ \t\n]*/y;
// Characters XML 1.0 forbids anywhere in a document. Lone surrogates cannot occur: the bytes were
// decoded as UTF-8 with `fatal`, which refuses encoded surrogates.
// eslint-disable-next-line no-control-regex -- matching the control characters XML forbids is the point
const FORBIDDEN_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;

export function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** UTF-8 bytes → text, refusing invalid UTF-8 and any declared encoding other than UTF-8/ASCII. */
export function decodeXmlBytes(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new XmlSyntaxError('the body is not valid UTF-8');
  }
  return text;
}

/**
 * Walks one document and reports its elements and text to `handler`. Throws XmlSyntaxError for
 * anything that is not well-formed or that this reader refuses (DOCTYPE, unknown entities, limits).
 */
export function scanXml(input: string, handler: XmlHandler, limits: XmlLimits = DEFAULT_XML_LIMITS): void {
  // XML §2.11: line ends are normalised before parsing; `&#13;` still yields a carriage return.
  const doc = input.replace(/\r\n?/g, '\n');
  const bad = FORBIDDEN_CHAR.exec(doc);
  if (bad)
    fail(
      doc,
      bad.index,
      `character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`,
    );
  new Scanner(doc, handler, limits).run();
}

function fail(doc: string, at: number, why: string): never {
  let line = 1;
  let col = 1;
  const end = Math.min(at, doc.length);
  for (let i = 0; i < end; i++) {
    if (doc.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else col++;
  }
  throw new XmlSyntaxError(`${why} (line ${line}, column ${col})`);
}

class Scanner {
  private pos = 0;
  private stack: string[] = [];
  private nodes = 0;
  private pending: string[] = [];
  private pendingLength = 0;
  private sawRoot = false;
  /**
   * Where the next '&' at or after the last search is (the document's length when none): searched
   * again only once passed. Searching from each text piece to the next '&' read to the end of the
   * document for every piece of a body without one, and 990,000 empty values took 48 s.
   */
  private amp = -1;

  constructor(
    private readonly doc: string,
    private readonly handler: XmlHandler,
    private readonly limits: XmlLimits,
  ) {}

  run(): void {
    const d = this.doc;
    if (d.charCodeAt(0) === 0xfeff) this.pos = 1;
    if (d.startsWith('<?xml', this.pos) && /[\s?]/.test(d.charAt(this.pos + 5))) this.declaration();
    while (this.pos < d.length) {
      const lt = d.indexOf('<', this.pos);
      const end = lt < 0 ? d.length : lt;
      if (end > this.pos) this.chars(end);
      if (lt < 0) break;
      this.markup();
    }
    if (this.stack.length)
      this.fail(d.length, `the document ends inside <${this.stack[this.stack.length - 1]}>`);
    if (!this.sawRoot) this.fail(d.length, 'the document has no element');
  }

  private fail(at: number, why: string): never {
    fail(this.doc, at, why);
  }

  private count(at: number) {
    if (++this.nodes > this.limits.maxElements)
      this.fail(at, `more than ${this.limits.maxElements} elements`);
  }

  private declaration() {
    const d = this.doc;
    const end = d.indexOf('?>', this.pos);
    if (end < 0 || end - this.pos > 200) this.fail(this.pos, 'unterminated XML declaration');
    const body = d.slice(this.pos + 5, end);
    const attrs = new Map<string, string>();
    const re = /\s+([A-Za-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;
    let i = 0;
    for (;;) {
      re.lastIndex = i;
      const m = re.exec(body);
      if (!m) break;
      attrs.set(m[1], m[2] ?? m[3]);
      i = re.lastIndex;
    }
    if (body.slice(i).trim() !== '') this.fail(this.pos, 'malformed XML declaration');
    const version = attrs.get('version');
    if (!version || !/^1\.\d+$/.test(version)) this.fail(this.pos, 'the XML declaration needs version 1.x');
    const enc = attrs.get('encoding');
    if (enc !== undefined && !/^(utf-?8|us-ascii|ascii)$/i.test(enc))
      this.fail(this.pos, `unsupported encoding ${JSON.stringify(enc)}: send UTF-8`);
    this.pos = end + 2;
  }

  /** Character data up to `end` (exclusive), resolving references. */
  private chars(end: number) {
    const d = this.doc;
    let i = this.pos;
    if (this.stack.length === 0) {
      // Outside the root element only white space may appear.
      if (!/^[ \t\n]*$/.test(d.slice(i, end)))
        this.fail(i, this.sawRoot ? 'text after the document element' : 'text before the document element');
      this.pos = end;
      return;
    }
    while (i < end) {
      if (this.amp < i) {
        const next = d.indexOf('&', i);
        this.amp = next < 0 ? d.length : next;
      }
      const stop = Math.min(this.amp, end);
      if (stop > i) this.push(d.slice(i, stop), i);
      if (stop === end) break;
      const semi = d.indexOf(';', stop);
      if (semi < 0 || semi > end || semi - stop > 12) this.fail(stop, "a bare '&' (write &amp;)");
      this.push(this.reference(d.slice(stop + 1, semi), stop), stop);
      i = semi + 1;
    }
    this.pos = end;
  }

  private reference(ref: string, at: number): string {
    if (ref.startsWith('#')) {
      const m = /^#(?:([0-9]{1,8})|x([0-9A-Fa-f]{1,6}))$/.exec(ref);
      if (!m) this.fail(at, `malformed character reference &${ref};`);
      const cp = m[1] !== undefined ? Number(m[1]) : parseInt(m[2], 16);
      if (!isXmlChar(cp)) this.fail(at, `character reference &${ref}; is not an XML character`);
      return String.fromCodePoint(cp);
    }
    const v = PREDEFINED[ref];
    if (v === undefined)
      this.fail(at, `undefined entity &${ref}; (only the five predefined entities are understood)`);
    return v;
  }

  private push(s: string, at: number) {
    if (s.includes(']]>')) this.fail(at, "']]>' is not allowed in text");
    this.pendingLength += s.length;
    if (this.pendingLength > this.limits.maxTextLength)
      this.fail(at, `text longer than ${this.limits.maxTextLength} characters`);
    this.pending.push(s);
  }

  private flush() {
    if (!this.pending.length) return;
    const t = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    this.handler.text(t);
  }

  private markup() {
    const d = this.doc;
    const at = this.pos;
    const next = d.charAt(at + 1);
    if (next === '!') {
      if (d.startsWith('<!--', at)) return this.comment();
      if (d.startsWith('<![CDATA[', at)) return this.cdata();
      if (/^<!DOCTYPE/i.test(d.slice(at, at + 9)))
        this.fail(at, 'DOCTYPE declarations are refused (no DTDs, no entity declarations)');
      this.fail(at, "markup declarations ('<!…') are refused");
    }
    if (next === '?') return this.pi();
    this.flush();
    if (next === '/') return this.endTag();
    this.startTag();
  }

  private comment() {
    const d = this.doc;
    const at = this.pos;
    const end = d.indexOf('--', at + 4);
    if (end < 0) this.fail(at, 'unterminated comment');
    if (d.charAt(end + 2) !== '>') this.fail(end, "'--' is not allowed inside a comment");
    this.count(at);
    this.pos = end + 3;
  }

  private cdata() {
    const d = this.doc;
    const at = this.pos;
    if (this.stack.length === 0) this.fail(at, 'a CDATA section outside the document element');
    const end = d.indexOf(']]>', at + 9);
    if (end < 0) this.fail(at, 'unterminated CDATA section');
    const s = d.slice(at + 9, end);
    this.pendingLength += s.length;
    if (this.pendingLength > this.limits.maxTextLength)
      this.fail(at, `text longer than ${this.limits.maxTextLength} characters`);
    this.pending.push(s);
    this.pos = end + 3;
  }

  private pi() {
    const d = this.doc;
    const at = this.pos;
    NAME.lastIndex = at + 2;
    const m = NAME.exec(d);
    if (!m) this.fail(at, 'malformed processing instruction');
    if (m[0].toLowerCase() === 'xml') this.fail(at, 'an XML declaration is only allowed at the very start');
    const end = d.indexOf('?>', NAME.lastIndex);
    if (end < 0) this.fail(at, 'unterminated processing instruction');
    this.count(at);
    this.pos = end + 2;
  }

  private name(at: number): string {
    NAME.lastIndex = at;
    const m = NAME.exec(this.doc);
    if (!m) this.fail(at, 'malformed element name');
    return m[0];
  }

  private skipSpace(): boolean {
    SPACE.lastIndex = this.pos;
    SPACE.exec(this.doc);
    const moved = SPACE.lastIndex > this.pos;
    this.pos = SPACE.lastIndex;
    return moved;
  }

  private startTag() {
    const d = this.doc;
    const at = this.pos;
    if (this.stack.length === 0 && this.sawRoot) this.fail(at, 'a second document element');
    const name = this.name(at + 1);
    this.pos = at + 1 + name.length;
    const seen = new Set<string>();
    for (;;) {
      const spaced = this.skipSpace();
      const c = d.charAt(this.pos);
      if (c === '>' || (c === '/' && d.charAt(this.pos + 1) === '>')) break;
      if (!spaced || c === '') this.fail(this.pos, `malformed start tag <${name}>`);
      this.attribute(seen);
    }
    this.count(at);
    if (this.stack.length >= this.limits.maxDepth)
      this.fail(at, `elements nested deeper than ${this.limits.maxDepth}`);
    this.sawRoot = true;
    this.handler.open(name);
    if (d.charAt(this.pos) === '/') {
      this.pos += 2;
      this.handler.close(name);
      return;
    }
    this.pos += 1;
    this.stack.push(name);
  }

  /** Attributes are checked for well-formedness and then ignored: XML-RPC has none. */
  private attribute(seen: Set<string>) {
    const d = this.doc;
    const at = this.pos;
    const name = this.name(at);
    if (seen.has(name)) this.fail(at, `duplicate attribute ${name}`);
    if (seen.size >= 32) this.fail(at, 'too many attributes');
    seen.add(name);
    this.pos += name.length;
    this.skipSpace();
    if (d.charAt(this.pos) !== '=') this.fail(this.pos, `attribute ${name} has no value`);
    this.pos++;
    this.skipSpace();
    const q = d.charAt(this.pos);
    if (q !== '"' && q !== "'") this.fail(this.pos, `attribute ${name} must be quoted`);
    const end = d.indexOf(q, this.pos + 1);
    if (end < 0) this.fail(this.pos, `unterminated attribute ${name}`);
    const value = d.slice(this.pos + 1, end);
    if (value.includes('<')) this.fail(this.pos, `'<' in attribute ${name}`);
    let amp = value.indexOf('&');
    while (amp >= 0) {
      const semi = value.indexOf(';', amp);
      if (semi < 0 || semi - amp > 12) this.fail(this.pos, "a bare '&' in an attribute");
      this.reference(value.slice(amp + 1, semi), this.pos + 1 + amp);
      amp = value.indexOf('&', semi);
    }
    this.pos = end + 1;
  }

  private endTag() {
    const d = this.doc;
    const at = this.pos;
    const name = this.name(at + 2);
    this.pos = at + 2 + name.length;
    this.skipSpace();
    if (d.charAt(this.pos) !== '>') this.fail(this.pos, `malformed end tag </${name}>`);
    this.pos++;
    const open = this.stack.pop();
    if (open === undefined) this.fail(at, `</${name}> closes nothing`);
    if (open !== name) this.fail(at, `</${name}> does not close <${open}>`);
    this.handler.close(name);
  }
}
