import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { iniGet, parseIni, IniError, type IniFile } from './ini.js';
import { CONFIG_KEYS, OPEN_SECTIONS, rangeText, type KeySpec } from './schema.js';

/** A bad config file or value: start-up prints this one line (file, section, key) and exits 1. */
export class ConfigError extends Error {}

export type Flags = Record<string, string | undefined>;

/** Reads `<configDir>/<file>` if it exists; a syntax error names the file and line. */
export function readIni(configDir: string, file: string): IniFile | null {
  const path = join(configDir, file);
  if (!existsSync(path)) return null;
  try {
    return parseIni(readFileSync(path, 'utf8'), path);
  } catch (e) {
    if (e instanceof IniError) throw new ConfigError(e.message);
    throw new ConfigError(`${path}: cannot read: ${(e as Error).message}`);
  }
}

const TRUE = ['1', 'yes', 'true', 'on'];
const FALSE = ['0', 'no', 'false', 'off'];

export type Converted = string | number | boolean | string[];

/** A number outside the key's range stops start-up here, where the source (file, env, flag) is known. */
function inRange(spec: KeySpec, n: number, where: string): number {
  const ok =
    (spec.min === undefined || n >= spec.min) &&
    (spec.above === undefined || n > spec.above) &&
    (spec.max === undefined || n <= spec.max);
  if (!ok) throw new ConfigError(`${where}: ${spec.key} = ${n} must be ${rangeText(spec)}`);
  return n;
}

export function convert(spec: KeySpec, raw: string, where: string): Converted {
  const v = raw.trim();
  switch (spec.type) {
    case 'bool':
      if (TRUE.includes(v.toLowerCase())) return true;
      if (FALSE.includes(v.toLowerCase())) return false;
      throw new ConfigError(`${where}: ${spec.key} = ${JSON.stringify(raw)} is not a boolean (use true/false, yes/no, on/off, 1/0)`);
    case 'int':
      if (!/^-?\d+$/.test(v)) throw new ConfigError(`${where}: ${spec.key} = ${JSON.stringify(raw)} is not an integer`);
      return inRange(spec, Number(v), where);
    case 'float':
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v))
        throw new ConfigError(`${where}: ${spec.key} = ${JSON.stringify(raw)} is not a number`);
      return inRange(spec, Number(v), where);
    case 'list':
      return v.split(/[\s,]+/).filter(Boolean);
    case 'text':
      return raw;
    default:
      return v;
  }
}

export interface Resolved {
  value: Converted | undefined;
  source: 'flag' | 'env' | 'file' | 'default';
  /** Where the value came from, for messages: `option --port`, `environment variable KOJI_ES_PORT`, `<file> [server] line 3`, `default`. */
  where: string;
}

/** Precedence: command-line flag > KOJI_ES_* environment variable > file > default. */
export function resolveKey(spec: KeySpec, ini: IniFile | null, flags: Flags, env: NodeJS.ProcessEnv): Resolved {
  if (spec.flag && flags[spec.flag] !== undefined) {
    const where = `option ${spec.flag}`;
    return { value: convert(spec, flags[spec.flag]!, where), source: 'flag', where };
  }
  if (spec.env && env[spec.env] !== undefined && env[spec.env] !== '') {
    const where = `environment variable ${spec.env}`;
    return { value: convert(spec, env[spec.env]!, where), source: 'env', where };
  }
  const fromFile = iniGet(ini, spec.section, spec.key);
  if (fromFile) {
    const where = `${ini!.file} [${spec.section}] line ${fromFile.line}`;
    return { value: convert(spec, fromFile.value, where), source: 'file', where };
  }
  const literalDefault = spec.default !== undefined && !spec.default.includes('<');
  return { value: literalDefault ? convert(spec, spec.default!, 'default') : undefined, source: 'default', where: 'default' };
}

/** Keys a file has that koji-es does not read: warned about (Koji's files carry many), never fatal. */
export function unknownKeys(ini: IniFile | null, file: KeySpec['file']): string[] {
  if (!ini) return [];
  const out: string[] = [];
  for (const [name, sec] of ini.sections) {
    if (OPEN_SECTIONS.some((s) => s.file === file && s.section === name)) continue;
    for (const v of sec.values.values()) {
      const known = CONFIG_KEYS.some(
        (k) => k.file === file && k.section === name && k.key.toLowerCase() === v.key.toLowerCase(),
      );
      if (!known) out.push(`${ini.file} [${name}] ${v.key} (line ${v.line}) is not used by koji-es`);
    }
  }
  return out;
}

export function absolute(path: string, cwd: string): string {
  return resolve(cwd, path);
}
