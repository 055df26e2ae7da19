import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseReadStoreUrl, parseStoreUrl, StoreUrlError, type StoreUrl } from '../eventstore/store-url.js';
import type { IniFile } from './ini.js';
import { CONFIG_KEYS, type KeySpec } from './schema.js';
import { absolute, ConfigError, readIni, resolveKey, unknownKeys, type Flags } from './values.js';

export interface PolicySource {
  text: string;
  /** File line of each line of `text`. */
  lines: number[];
  /** File line of the key itself. */
  line?: number;
}

export interface HubConfig {
  configDir: string;
  dataDir: string;
  store: StoreUrl;
  storeText: string;
  host: string;
  port: number;
  weburl?: string;
  topurl?: string;
  projectionWaitMs: number;
  /** `[server] builder`: run one builder in the hub's process (`npm start`). */
  builder: boolean;
  hub: {
    missingPolicyOk: boolean;
    verbosePolicy: boolean;
    maxRequestLength: number;
    sessionLifetimeSec: number;
    kojiDebug: boolean;
    hostTimeoutSec: number;
    repoManager: boolean;
    repoIntervalMs: number;
    maxNameLengthInternal: number;
    regexNameInternal: string;
  };
  policyFile: string;
  policies: Record<string, PolicySource>;
  sidetag: SidetagConfig;
  failedTree: FailedTreeConfig;
  warnings: string[];
}

export interface FailedTreeConfig {
  file: string;
  /** null: every method (`*`). */
  allowedMethods: string[] | null;
  download: 'owner' | 'anyone';
  maxAgeDays: number;
  maxTotalBytes: number;
  perOwnerMaxBytes: number;
  gcIntervalMs: number;
}

const FAILED_TREE = 'hub/plugins/save_failed_tree.conf' as const;

function loadFailedTreeConfig(configDir: string, flags: Flags, env: NodeJS.ProcessEnv): { config: FailedTreeConfig; warnings: string[] } {
  const ini = readIni(configDir, FAILED_TREE);
  const file = join(configDir, FAILED_TREE);
  const g = (section: string, key: string) => {
    const spec = CONFIG_KEYS.find((k) => k.file === FAILED_TREE && k.section === section && k.key === key)!;
    return resolveKey(spec, ini, flags, env).value;
  };
  // Koji splits on commas; unlike Koji the entries are stripped, so "buildArch, runroot" works.
  const methods = (g('permissions', 'allowed_methods') as string).split(',').map((m) => m.trim()).filter(Boolean);
  const download = g('permissions', 'download') as string;
  if (download !== 'owner' && download !== 'anyone')
    throw new ConfigError(`${file} [permissions] download = ${download}: use owner or anyone`);
  return {
    config: {
      file,
      allowedMethods: methods.length === 1 && methods[0] === '*' ? null : methods,
      download,
      maxAgeDays: g('retention', 'max_age_days') as number,
      maxTotalBytes: g('retention', 'max_total_bytes') as number,
      perOwnerMaxBytes: g('retention', 'per_owner_max_bytes') as number,
      gcIntervalMs: Math.round((g('retention', 'gc_interval') as number) * 1000),
    },
    warnings: unknownKeys(ini, FAILED_TREE),
  };
}

export interface SidetagConfig {
  file: string;
  removeEmpty: boolean;
  allowedSuffixes: string[];
  nameTemplate: string;
  triggerNewRepo: boolean;
  cleanupIntervalMs: number;
  cleanupStages: ('expired' | 'empty' | 'old' | 'inactive')[];
  emptyDelayDays: number;
  oldDelayDays: number;
  inactiveDelayDays: number;
  ignoreTags: string[];
}

const SIDETAG = 'hub/plugins/sidetag.conf' as const;

/** `[sidetag]` of hub/plugins/sidetag.conf; the name template is checked here, not at the first creation. */
function loadSidetagConfig(configDir: string, flags: Flags, env: NodeJS.ProcessEnv): { config: SidetagConfig; warnings: string[] } {
  const ini = readIni(configDir, SIDETAG);
  const file = join(configDir, SIDETAG);
  const g = (key: string) => {
    const spec = CONFIG_KEYS.find((k) => k.file === SIDETAG && k.key === key)!;
    return resolveKey(spec, ini, flags, env).value;
  };
  const nameTemplate = g('name_template') as string;
  const placeholders = [...nameTemplate.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
  for (const p of placeholders)
    if (p !== 'basetag' && p !== 'tag_id')
      throw new ConfigError(`${file} [sidetag] name_template: unknown placeholder {${p}} (use {basetag} and {tag_id})`);
  if (!placeholders.includes('basetag') || !placeholders.includes('tag_id'))
    throw new ConfigError(`${file} [sidetag] name_template = ${nameTemplate} must contain {basetag} and {tag_id}`);
  const stages = (g('cleanup_stages') as string[]) ?? [];
  for (const s of stages)
    if (!['expired', 'empty', 'old', 'inactive'].includes(s))
      throw new ConfigError(`${file} [sidetag] cleanup_stages: unknown stage ${s} (use expired, empty, old, inactive)`);
  const suffixes = (g('allowed_suffixes') as string).split(',').map((x) => x.trim()).filter(Boolean);
  return {
    config: {
      file,
      removeEmpty: g('remove_empty') as boolean,
      allowedSuffixes: suffixes,
      nameTemplate,
      triggerNewRepo: g('trigger_new_repo') as boolean,
      cleanupIntervalMs: Math.round((g('cleanup_interval') as number) * 1000),
      cleanupStages: stages as SidetagConfig['cleanupStages'],
      emptyDelayDays: g('cleanup_empty_delay') as number,
      oldDelayDays: g('cleanup_old_delay') as number,
      inactiveDelayDays: g('cleanup_inactive_delay') as number,
      ignoreTags: (g('cleanup_ignore_tags') as string[]) ?? [],
    },
    warnings: unknownKeys(ini, SIDETAG),
  };
}

const HUB = 'hub/hub.conf' as const;

function resolve(ini: IniFile | null, section: string, key: string, flags: Flags, env: NodeJS.ProcessEnv) {
  const spec = CONFIG_KEYS.find((k: KeySpec) => k.file === HUB && k.section === section && k.key === key);
  if (!spec) throw new Error(`no config key ${section}.${key}`);
  return resolveKey(spec, ini, flags, env);
}

/**
 * The configuration directory. One that is not there would leave the hub with no policy at all (a
 * fresh install must not be open-ended), so it stops start-up, whether it was given or the default.
 */
function configDirOf(flags: Flags, env: NodeJS.ProcessEnv, cwd: string): string {
  const given = flags['--config-dir'] !== undefined ? 'option --config-dir' : env.KOJI_ES_CONFIG_DIR ? 'environment variable KOJI_ES_CONFIG_DIR' : null;
  const dir = absolute(flags['--config-dir'] ?? (env.KOJI_ES_CONFIG_DIR || './config'), cwd);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // Missing or unreadable: both are reported below.
  }
  if (isDir) return dir;
  if (given) throw new ConfigError(`${given}: ${dir} is not a directory (the configuration directory, with hub/hub.conf)`);
  throw new ConfigError(
    `no configuration directory: ${dir} does not exist; give --config-dir DIR (or KOJI_ES_CONFIG_DIR), or start the hub in the koji-es checkout, whose config/ ships working examples`,
  );
}

/**
 * Loads `<config-dir>/hub/hub.conf` with flags and environment on top. `--config-dir` /
 * KOJI_ES_CONFIG_DIR default to ./config, which must exist; a missing hub.conf in it means every
 * default (with a warning: no policy is configured then).
 */
export function loadHubConfig(flags: Flags = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): HubConfig {
  const configDir = configDirOf(flags, env, cwd);
  const ini = readIni(configDir, HUB);
  const r = (section: string, key: string) => resolve(ini, section, key, flags, env);
  const g = (section: string, key: string) => r(section, key).value;
  const dataDir = absolute(g('server', 'data_dir') as string, cwd);
  const storeKey = r('server', 'store');
  const storeText = (storeKey.value as string | undefined) ?? `sqlite:${join(dataDir, 'koji-es.sqlite')}`;
  let store: StoreUrl;
  try {
    store = parseStoreUrl(storeText, cwd);
  } catch (e) {
    if (e instanceof StoreUrlError) throw new ConfigError(`${storeKey.where}: store: ${e.message}`);
    throw e;
  }
  const readStoreKey = r('server', 'read_store');
  const readStoreText = readStoreKey.value as string | undefined;
  const hubWarnings: string[] = [];
  if (store.kind === 'kurrentdb') {
    // KurrentDB holds only events: read models and checkpoints need a SQL database beside it.
    try {
      store = { ...store, readStore: parseReadStoreUrl(readStoreText ?? `sqlite:${join(dataDir, 'read-models.sqlite')}`, cwd) };
    } catch (e) {
      if (e instanceof StoreUrlError) throw new ConfigError(`${readStoreKey.where}: read_store: ${e.message}`);
      throw e;
    }
  } else if (readStoreText !== undefined) {
    hubWarnings.push(`[server] read_store is used only with a KurrentDB store; the ${store.kind} store keeps read models beside its events`);
  }
  if (!ini)
    hubWarnings.push(
      `${join(configDir, HUB)} does not exist: every [hub] key has its default and no [policy] is configured (with MissingPolicyOk anyone may create any number of sidetags)`,
    );
  const port = g('server', 'port') as number;
  const policies: Record<string, PolicySource> = {};
  for (const v of ini?.sections.get('policy')?.values.values() ?? []) {
    policies[v.key] = { text: v.value, lines: v.lines, line: v.line };
  }
  const regexNameInternal = g('hub', 'RegexNameInternal') as string;
  try {
    new RegExp(regexNameInternal);
  } catch (e) {
    throw new ConfigError(`${join(configDir, HUB)} [hub] RegexNameInternal: ${(e as Error).message}`);
  }
  const sidetag = loadSidetagConfig(configDir, flags, env);
  const failedTree = loadFailedTreeConfig(configDir, flags, env);
  return {
    configDir,
    dataDir,
    store,
    storeText,
    host: g('server', 'host') as string,
    port,
    weburl: g('server', 'weburl') as string | undefined,
    topurl: g('server', 'topurl') as string | undefined,
    projectionWaitMs: Math.round((g('server', 'projection_wait') as number) * 1000),
    builder: g('server', 'builder') as boolean,
    hub: {
      missingPolicyOk: g('hub', 'MissingPolicyOk') as boolean,
      verbosePolicy: g('hub', 'VerbosePolicy') as boolean,
      maxRequestLength: g('hub', 'MaxRequestLength') as number,
      sessionLifetimeSec: g('hub', 'SessionLifetime') as number,
      kojiDebug: g('hub', 'KojiDebug') as boolean,
      hostTimeoutSec: g('hub', 'HostTimeout') as number,
      repoManager: g('hub', 'RepoManager') as boolean,
      repoIntervalMs: Math.round((g('hub', 'RepoInterval') as number) * 1000),
      maxNameLengthInternal: g('hub', 'MaxNameLengthInternal') as number,
      regexNameInternal,
    },
    policyFile: join(configDir, HUB),
    policies,
    sidetag: sidetag.config,
    failedTree: failedTree.config,
    warnings: [...unknownKeys(ini, HUB), ...hubWarnings, ...sidetag.warnings, ...failedTree.warnings],
  };
}

export { ConfigError };
