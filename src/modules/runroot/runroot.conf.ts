// `<config-dir>/builder/plugins/runroot.conf`: Koji's plugins/builder/runroot.conf, read on every
// task as kojid does (RunRootTask._read_config), with Koji's sections, keys and error messages
// (spec §4.2, §6.5), plus koji-es's own [runroot] keys for the sandbox. Differences: values are
// never interpolated (a `%` in mount options is fine, spec §7 R11), list entries are stripped,
// `[pathN]` section names must be `path` + digits exactly, and internal_dev_setup is read but has
// no effect (the sandbox always makes a minimal /dev).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRIVER_CHOICES, type DriverChoice } from '../../builder/sandbox/index.js';
import { IniError, parseIni, type IniFile, type IniValue } from '../../config/ini.js';
import { CONFIG_KEYS, type KeySpec } from '../../config/schema.js';
import { ConfigError, convert } from '../../config/values.js';
import { genericError } from '../../kernel/errors.js';
import { pyRepr } from '../../rpc/method.js';

export const RUNROOT_CONF = 'builder/plugins/runroot.conf' as const;

export interface PathSection {
  /** `path3` */
  section: string;
  mountpoint: string;
  path: string;
  fstype: string;
  options: string;
}

export interface RunrootConfig {
  file: string | null;
  internalDevSetup: boolean | null;
  defaultMounts: string[];
  safeRoots: string[];
  pathSubs: [string, string][];
  /** `[pathN]` sections in numeric order. */
  paths: PathSection[];
  driver: DriverChoice;
  /** The program and its first arguments; the packages follow. */
  installCommand: string[] | null;
  /** Seconds; 0 for no limit. */
  timeoutSec: number;
  /** Bytes; 0 for no limit. */
  maxLogSize: number;
  network: boolean;
  defaultRootfs: string | null;
  allowedRootfs: string[];
  /** Globs of the files a failed command's buildroot gives up at once; empty: none. */
  captureOnFailure: string[];
  captureMaxSize: number;
  warnings: string[];
}

/** A shell-like split of a command line: whitespace separates, quotes group, backslash escapes. */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (quote) throw genericError(`unbalanced quote in: ${line}`);
  if (has || cur) out.push(cur);
  return out;
}

const spec = (section: string, key: string): KeySpec => {
  const s = CONFIG_KEYS.find((k) => k.file === RUNROOT_CONF && k.section === section && k.key === key);
  if (!s) throw new Error(`no config key [${section}] ${key} in src/config/schema.ts`);
  return s;
};

/** Koji's `str.split(',')`, entries stripped (Koji keeps the spaces). */
const commaList = (v: string) => v.split(',').map((s) => s.trim());

function get(ini: IniFile, section: string, key: string): IniValue | undefined {
  return ini.sections.get(section)?.values.get(key.toLowerCase());
}

/** Our keys: a bad value is a GenericError naming the file, section and key. */
function value(ini: IniFile, section: string, key: string): string | number | boolean | string[] | undefined {
  const s = spec(section, key);
  const v = get(ini, section, key);
  try {
    if (v) return convert(s, v.value, `${ini.file} [${section}] line ${v.line}`);
    return s.default !== undefined && !s.default.includes('<') && s.default !== ''
      ? convert(s, s.default, 'default')
      : undefined;
  } catch (e) {
    if (e instanceof ConfigError) throw genericError(`bad config: ${e.message}`);
    throw e;
  }
}

export function parseRunrootConfig(text: string | null, file: string | null): RunrootConfig {
  let ini: IniFile;
  try {
    ini = text === null ? { file: file ?? '', sections: new Map() } : parseIni(text, file ?? 'runroot.conf');
  } catch (e) {
    if (e instanceof IniError) throw genericError(`bad config: ${e.message}`);
    throw e;
  }
  const where = file ?? 'runroot.conf';
  const cfg: RunrootConfig = {
    file,
    internalDevSetup: null,
    defaultMounts: [],
    safeRoots: [],
    pathSubs: [],
    paths: [],
    driver: 'auto',
    installCommand: null,
    timeoutSec: 0,
    maxLogSize: 0,
    network: false,
    defaultRootfs: null,
    allowedRootfs: [],
    captureOnFailure: [],
    captureMaxSize: 0,
    warnings: [],
  };
  // Koji's order of checks (runroot.py _read_config): lists, substitutions, [pathN], absolute paths.
  const dm = get(ini, 'paths', 'default_mounts');
  if (dm) cfg.defaultMounts = commaList(dm.value);
  const sr = get(ini, 'paths', 'safe_roots');
  if (sr) cfg.safeRoots = commaList(sr.value);
  const ps = get(ini, 'paths', 'path_subs');
  if (ps) {
    for (const raw of ps.value.split('\n')) {
      const line = raw.trim();
      if (!line) continue;
      const sub = line.split(',');
      if (sub.length !== 2) throw genericError(`bad runroot substitution: ${pyRepr(sub)}`);
      cfg.pathSubs.push([sub[0].trim(), sub[1].trim()]);
    }
  }
  const sections = [...ini.sections.keys()].filter((n) => /^path\d+$/.test(n));
  sections.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  for (const name of sections) {
    const s = ini.sections.get(name)!;
    const k = (key: string) => s.values.get(key)?.value;
    const mountpoint = k('mountpoint');
    const path = k('path');
    const fstype = k('fstype');
    const options = k('options');
    if (mountpoint === undefined || path === undefined || fstype === undefined || options === undefined)
      throw genericError(`bad config: missing options in ${name} section`);
    cfg.paths.push({ section: name, mountpoint, path, fstype, options });
  }
  for (const p of [...cfg.defaultMounts, ...cfg.safeRoots, ...cfg.pathSubs.map((x) => x[0])])
    if (!p.startsWith('/'))
      throw genericError(
        `bad config: all paths (default_mounts, safe_roots, path_subs) needs to be absolute: ${p}`,
      );
  const ids = get(ini, 'runroot', 'internal_dev_setup');
  if (ids) cfg.internalDevSetup = value(ini, 'runroot', 'internal_dev_setup') as boolean;

  const driver = String(value(ini, 'runroot', 'driver') ?? 'auto');
  if (!DRIVER_CHOICES.includes(driver as DriverChoice))
    throw genericError(
      `bad config: ${where} [runroot] driver = ${driver}: use one of ${DRIVER_CHOICES.join(', ')}`,
    );
  cfg.driver = driver as DriverChoice;
  const install = value(ini, 'runroot', 'install_command') as string | undefined;
  if (install?.trim()) cfg.installCommand = splitWords(install.trim());
  // Ranges of the numbers are the schema's, checked in value().
  cfg.timeoutSec = (value(ini, 'runroot', 'timeout') as number | undefined) ?? 0;
  cfg.maxLogSize = (value(ini, 'runroot', 'max_log_size') as number | undefined) ?? 0;
  cfg.network = !!value(ini, 'runroot', 'network');
  const rootfs = value(ini, 'runroot', 'default_rootfs') as string | undefined;
  cfg.defaultRootfs = rootfs?.trim() || null;
  const allowed = get(ini, 'runroot', 'allowed_rootfs');
  cfg.allowedRootfs = allowed ? commaList(allowed.value).filter(Boolean) : [];
  for (const p of [...(cfg.defaultRootfs ? [cfg.defaultRootfs] : []), ...cfg.allowedRootfs])
    if (!p.startsWith('/'))
      throw genericError(
        `bad config: ${where} [runroot] default_rootfs and allowed_rootfs must be absolute: ${p}`,
      );

  const capture = get(ini, 'runroot', 'capture_on_failure');
  cfg.captureOnFailure = capture ? commaList(capture.value).filter(Boolean) : [];
  cfg.captureMaxSize = (value(ini, 'runroot', 'capture_max_size') as number | undefined) ?? 0;

  for (const [name, sec] of ini.sections) {
    const schemaSection = /^path\d+$/.test(name) ? 'pathN' : name;
    for (const v of sec.values.values())
      if (
        !CONFIG_KEYS.some(
          (k) => k.file === RUNROOT_CONF && k.section === schemaSection && k.key === v.key.toLowerCase(),
        )
      )
        cfg.warnings.push(`${where} [${name}] ${v.key} (line ${v.line}) is not used by koji-es`);
  }
  return cfg;
}

/** Reads the file as kojid does for each task; a missing file is an empty config. */
export function loadRunrootConfig(configDir: string): RunrootConfig {
  const file = join(configDir, RUNROOT_CONF);
  if (!existsSync(file)) return parseRunrootConfig(null, null);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw genericError(`bad config: cannot read ${file}: ${(e as Error).message}`);
  }
  return parseRunrootConfig(text, file);
}
