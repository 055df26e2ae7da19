/**
 * Koji's config files are read by Python's configparser; this parser keeps its meaning so an
 * admin's existing files work unchanged: `[section]`, `key = value` or `key: value`, full-line `#`
 * and `;` comments (dropped, also inside a multi-line value), continuation lines indented deeper
 * than the key, blank lines kept inside a value and trimmed at its end, keys case-insensitive.
 * Unlike configparser it remembers the line of every value line, so errors can point at them.
 */

export interface IniValue {
  /** The key as written (for messages); lookups are case-insensitive. */
  key: string;
  value: string;
  line: number;
  /** File line of each line of `value` (multi-line values). */
  lines: number[];
}

export interface IniSection {
  name: string;
  line: number;
  values: Map<string, IniValue>;
}

export interface IniFile {
  file: string;
  sections: Map<string, IniSection>;
}

export class IniError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

export function parseIni(text: string, file: string): IniFile {
  const sections = new Map<string, IniSection>();
  let section: IniSection | null = null;
  let current: { v: IniValue; indent: number; parts: string[] } | null = null;

  const finish = () => {
    if (!current) return;
    // configparser joins the lines and strips trailing blank ones.
    while (current.parts.length > 1 && current.parts[current.parts.length - 1] === '') {
      current.parts.pop();
      current.v.lines.pop();
    }
    current.v.value = current.parts.join('\n');
    current = null;
  };

  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const stripped = raw.trim();
    const indent = raw.length - raw.trimStart().length;
    if (stripped.startsWith('#') || stripped.startsWith(';')) return;
    if (stripped === '') {
      if (current) {
        current.parts.push('');
        current.v.lines.push(lineNo);
      }
      return;
    }
    if (current && indent > current.indent) {
      current.parts.push(stripped);
      current.v.lines.push(lineNo);
      return;
    }
    finish();
    const sec = /^\[([^\]]+)\]$/.exec(stripped);
    if (sec) {
      const name = sec[1].trim();
      if (sections.has(name)) throw new IniError(file, lineNo, `section [${name}] appears twice`);
      section = { name, line: lineNo, values: new Map() };
      sections.set(name, section);
      return;
    }
    if (!section) throw new IniError(file, lineNo, `a key outside any [section]: ${stripped}`);
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(stripped);
    if (!m) throw new IniError(file, lineNo, `expected "key = value" in [${section.name}], found: ${stripped}`);
    const key = m[1].trim();
    const lower = key.toLowerCase();
    if (section.values.has(lower))
      throw new IniError(file, lineNo, `key ${key} appears twice in [${section.name}]`);
    const v: IniValue = { key, value: '', line: lineNo, lines: [lineNo] };
    section.values.set(lower, v);
    current = { v, indent, parts: [m[2]] };
  });
  finish();
  return { file, sections };
}

export function iniGet(ini: IniFile | null, section: string, key: string): IniValue | undefined {
  return ini?.sections.get(section)?.values.get(key.toLowerCase());
}
