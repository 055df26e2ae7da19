import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { iniGet, parseIni, type IniFile } from '../config/ini.js';

/** The CLI's settings for one profile: flag > KOJI_ES_* environment variable > config file > default. */
export interface Profile {
  name: string;
  /** JSON-RPC endpoint (…/rpc). */
  server: string;
  weburl: string;
  topurl: string | null;
  user: string | null;
  password: string | null;
  token: string | null;
  pollInterval: number;
  configFile: string;
}

export interface GlobalFlags {
  server?: string;
  user?: string;
  password?: string;
  token?: string;
  profile?: string;
  quiet?: boolean;
  noauth?: boolean;
  debug?: boolean;
}

export class ProfileError extends Error {}

export function configHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
}

export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.KOJI_ES_CLI_CONFIG || join(configHome(env), 'koji-es', 'config');
}

/** Accepts a hub's origin, its /rpc endpoint or a Koji-style …/kojihub URL; returns the /rpc endpoint. */
export function rpcEndpoint(server: string): string {
  let u: URL;
  try {
    u = new URL(server);
  } catch {
    throw new ProfileError(
      `server ${JSON.stringify(server)} is not a URL (for example http://127.0.0.1:8080)`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ProfileError(`server ${server} must be an http:// or https:// URL`);
  const path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith('/rpc')) u.pathname = path;
  else if (path.endsWith('/kojihub')) u.pathname = `${path.slice(0, -'/kojihub'.length)}/rpc`;
  else u.pathname = `${path}/rpc`;
  return u.toString();
}

export function loadProfile(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Profile {
  const name = flags.profile ?? env.KOJI_ES_PROFILE ?? 'koji-es';
  const configFile = defaultConfigFile(env);
  let ini: IniFile | null = null;
  if (existsSync(configFile)) {
    try {
      ini = parseIni(readFileSync(configFile, 'utf8'), configFile);
    } catch (e) {
      throw new ProfileError((e as Error).message);
    }
    if (flags.profile && !ini.sections.has(name))
      throw new ProfileError(`no profile [${name}] in ${configFile}`);
  } else if (flags.profile && flags.profile !== 'koji-es') {
    throw new ProfileError(`no profile [${name}]: ${configFile} does not exist`);
  }
  const file = (key: string) => iniGet(ini, name, key)?.value;
  const pick = (flag: string | undefined, envName: string, key: string | null) =>
    flag ?? (env[envName] || undefined) ?? (key ? file(key) : undefined);
  const server = pick(flags.server, 'KOJI_ES_SERVER', 'server') ?? 'http://127.0.0.1:8080';
  const endpoint = rpcEndpoint(server);
  const origin = new URL(endpoint).origin;
  const poll = pick(undefined, 'KOJI_ES_POLL_INTERVAL', 'poll_interval') ?? '6';
  const pollInterval = Number(poll);
  if (!Number.isFinite(pollInterval) || pollInterval <= 0)
    throw new ProfileError(`poll_interval ${JSON.stringify(poll)} must be a positive number of seconds`);
  return {
    name,
    server: endpoint,
    weburl: (pick(undefined, 'KOJI_ES_WEBURL', 'weburl') ?? `${origin}/koji`).replace(/\/+$/, ''),
    topurl: (pick(undefined, 'KOJI_ES_TOPURL', 'topurl') ?? `${origin}/files`).replace(/\/+$/, ''),
    user: pick(flags.user, 'KOJI_ES_USER', 'user') ?? null,
    password: pick(flags.password, 'KOJI_ES_PASSWORD', null) ?? null,
    token: pick(flags.token, 'KOJI_ES_TOKEN', 'token') ?? null,
    pollInterval,
    configFile,
  };
}
