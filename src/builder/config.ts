// builder.conf: `<config-dir>/builder/builder.conf`, section `[kojid]` with kojid.conf's key names
// (server, user, workdir, maxjobs, sleeptime, failed_buildroot_lifetime) plus koji-es's own
// (token_file, password_file, shutdown_grace). Precedence: flag > KOJI_ES_* env > file > default.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rpcEndpoint, ProfileError } from '../cli/profile.js';
import { CONFIG_KEYS, type KeySpec } from '../config/schema.js';
import {
  absolute,
  ConfigError,
  readIni,
  resolveKey,
  unknownKeys,
  type Flags,
  type Resolved,
} from '../config/values.js';

export const BUILDER_CONF = 'builder/builder.conf' as const;
const SECTION = 'kojid';

export interface BuilderConfig {
  configDir: string;
  file: string;
  /** The hub's JSON-RPC endpoint. */
  server: string;
  /** The host name (its user) to run as; with a token it is checked, with a password it logs in. */
  host: string | null;
  token: string | null;
  password: string | null;
  /** `workdir` when configured; otherwise {@link workdirFor} names it after the host. */
  workdir: string | null;
  /** Where the default work directories live: `<dataDir>/builder`. */
  workRoot: string;
  maxjobs: number;
  sleeptimeMs: number;
  failedBuildrootLifetimeSec: number;
  shutdownGraceMs: number;
  warnings: string[];
}

export interface BuilderDefaults {
  /** The directory `workdir` defaults under: `<dataDir>/builder/<host>` (`./data` for `koji-es builder`). */
  dataDir?: string;
}

const RANK: Record<Resolved['source'], number> = { flag: 3, env: 2, file: 1, default: 0 };

/** The first line of a credential file; a file others can read is worth a warning. */
function readSecret(path: string, what: string, warnings: string[]): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    if ((statSync(path).mode & 0o077) !== 0)
      warnings.push(`${what} ${path} can be read by other users (chmod 600 it)`);
  } catch (e) {
    throw new ConfigError(
      `${what} ${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line.trim()) throw new ConfigError(`${what} ${path} is empty`);
  return what === 'token file' ? line.trim() : line;
}

export function loadBuilderConfig(
  flags: Flags = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  defaults: BuilderDefaults = {},
): BuilderConfig {
  const configDir = absolute(flags['--config-dir'] ?? env.KOJI_ES_CONFIG_DIR ?? './config', cwd);
  const ini = readIni(configDir, BUILDER_CONF);
  const file = join(configDir, BUILDER_CONF);
  const r = (key: string): Resolved => {
    const spec = CONFIG_KEYS.find(
      (k: KeySpec) => k.file === BUILDER_CONF && k.section === SECTION && k.key === key,
    );
    if (!spec) throw new Error(`no config key [${SECTION}] ${key}`);
    return resolveKey(spec, ini, flags, env);
  };
  const warnings = unknownKeys(ini, BUILDER_CONF);

  let server: string;
  try {
    server = rpcEndpoint(r('server').value as string);
  } catch (e) {
    if (e instanceof ProfileError) throw new ConfigError(`${file} [${SECTION}] server: ${e.message}`);
    throw e;
  }
  const host = (r('user').value as string | undefined)?.trim() || null;

  // A token and a password from the same level are ambiguous; otherwise the stronger level wins.
  const tokenFile = r('token_file');
  const passwordFile = r('password_file');
  let token: string | null = null;
  let password: string | null = null;
  if (
    tokenFile.value !== undefined &&
    passwordFile.value !== undefined &&
    RANK[tokenFile.source] === RANK[passwordFile.source]
  )
    throw new ConfigError(
      `give either a token file or a password file, not both: ${tokenFile.where} sets token_file and ${passwordFile.where} sets password_file`,
    );
  if (
    tokenFile.value !== undefined &&
    (passwordFile.value === undefined || RANK[tokenFile.source] > RANK[passwordFile.source])
  )
    token = readSecret(absolute(tokenFile.value as string, cwd), 'token file', warnings);
  else if (passwordFile.value !== undefined) {
    password = readSecret(absolute(passwordFile.value as string, cwd), 'password file', warnings);
    if (!host)
      throw new ConfigError(
        `a password needs the host name to log in as: --host NAME or [${SECTION}] user in ${file}`,
      );
  }

  // Their ranges are the schema's, checked where the source (flag, env, file) is known.
  const maxjobs = r('maxjobs').value as number;
  const sleeptime = r('sleeptime').value as number;
  const grace = r('shutdown_grace').value as number;
  const lifetime = r('failed_buildroot_lifetime').value as number;

  const workdirValue = r('workdir').value as string | undefined;

  return {
    configDir,
    file,
    server,
    host,
    token,
    password,
    workdir: workdirValue ? absolute(workdirValue, cwd) : null,
    workRoot: join(absolute(defaults.dataDir ?? './data', cwd), 'builder'),
    maxjobs,
    sleeptimeMs: Math.round(sleeptime * 1000),
    failedBuildrootLifetimeSec: lifetime,
    shutdownGraceMs: Math.round(grace * 1000),
    warnings,
  };
}

/**
 * A builder on its own (`koji-es builder`) needs a token or a password; without either every call
 * would be refused as "user not logged in", which does not say what is missing.
 */
export function requireCredentials(config: BuilderConfig): void {
  if (config.token !== null || config.password !== null) return;
  throw new ConfigError(
    `the builder has no credentials: give a token file (--token-file FILE, KOJI_ES_BUILDER_TOKEN_FILE or [${SECTION}] token_file in ${config.file}) or a password file (--password-file FILE with --host NAME, KOJI_ES_BUILDER_PASSWORD_FILE or [${SECTION}] password_file)`,
  );
}

/** The work directory: as configured, else `<dataDir>/builder/<host>` (with a token the hub tells us the name). */
export function workdirFor(config: Pick<BuilderConfig, 'workdir' | 'workRoot'>, hostName: string): string {
  return config.workdir ?? join(config.workRoot, hostName);
}

export { ConfigError };
