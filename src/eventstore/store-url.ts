import { resolve } from 'node:path';

/** A database read models can live in (`--read-store`): `sqlite:PATH`, `postgres://…`, or `memory:`. */
export type ReadStoreUrl =
  { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | { kind: 'memory' };

/**
 * A KurrentDB event store. `url` is the connection string handed to the client (scheme aliases
 * normalized, koji-es's own `streamPrefix` key taken out); read models live in `readStore`.
 */
export interface KurrentDbStoreUrl {
  kind: 'kurrentdb';
  url: string;
  /** Prepended to every stream name, so several hubs (or test runs) can share one cluster. */
  streamPrefix?: string;
  readStore?: ReadStoreUrl;
}

/** A parsed `--store` value: `sqlite:PATH`, `postgres://…` / `postgresql://…`, `kurrentdb://…`, or `memory:`. */
export type StoreUrl = ReadStoreUrl | KurrentDbStoreUrl;

export class StoreUrlError extends Error {}

export function parseStoreUrl(value: string, cwd = process.cwd()): StoreUrl {
  const v = value.trim();
  if (v === 'memory:' || v === 'memory') return { kind: 'memory' };
  if (v.startsWith('sqlite:')) {
    let path = v.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs/path and sqlite://rel both work
    if (!path)
      throw new StoreUrlError(
        `malformed store URL "${value}": sqlite: needs a file path, e.g. sqlite:./data/koji-es.sqlite`,
      );
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(cwd, path) };
  }
  if (v.startsWith('postgres://') || v.startsWith('postgresql://')) {
    try {
      const u = new URL(v);
      if (!u.hostname && !u.searchParams.get('host'))
        throw new StoreUrlError(`malformed store URL "${redact(value)}": no host`);
    } catch (e) {
      if (e instanceof StoreUrlError) throw e;
      throw new StoreUrlError(`malformed store URL "${redact(value)}": ${(e as Error).message}`);
    }
    return { kind: 'postgres', url: v };
  }
  if (KURRENTDB_SCHEME.test(v)) return parseKurrentDbUrl(v, value);
  throw new StoreUrlError(
    `malformed store URL "${redact(value)}": use sqlite:PATH or postgres://user:password@host:port/database (or kurrentdb://user:password@host:2113)`,
  );
}

/** `--read-store`: a SQL database (or memory, for tests); the events are elsewhere. */
export function parseReadStoreUrl(value: string, cwd = process.cwd()): ReadStoreUrl {
  const u = parseStoreUrl(value, cwd);
  if (u.kind === 'kurrentdb')
    throw new StoreUrlError(
      `the read-model store "${redact(value)}" must be a SQL database: sqlite:PATH or postgres://user:password@host:port/database`,
    );
  return u;
}

const KURRENTDB_SCHEME = /^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\//i;

/** The client's query keys (it compares them ignoring case, `-` and `_`), and koji-es's own. */
const KURRENTDB_KEYS = [
  'tls',
  'tlsVerifyCert',
  'tlsCAFile',
  'userCertFile',
  'userKeyFile',
  'nodePreference',
  'defaultDeadline',
  'keepAliveInterval',
  'keepAliveTimeout',
  'maxDiscoverAttempts',
  'discoveryInterval',
  'gossipTimeout',
  'dnsDiscover',
  'throwOnAppendFailure',
  'connectionName',
];
const flat = (k: string) => k.toLowerCase().replace(/[-_]/g, '');
const STREAM_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.:@+=/-]{0,49}$/;

/**
 * Checks the shape of a KurrentDB connection string (the client's own parser has the last word when
 * the store opens), so a typo stops start-up with one line instead of a warning the client prints
 * and ignores. `esdb://` is rewritten to `kurrentdb://`: same meaning, without the client's
 * deprecation warning.
 */
function parseKurrentDbUrl(v: string, original: string): KurrentDbStoreUrl {
  const bad = (why: string) => new StoreUrlError(`malformed store URL "${redact(original)}": ${why}`);
  const m = /^([^:]+):\/\/([^?]*)(?:\?(.*))?$/s.exec(v);
  if (!m) throw bad('expected kurrentdb://[user:password@]host[:port][,host[:port]…][?key=value&…]');
  const scheme = m[1].toLowerCase().replace(/^esdb/, 'kurrentdb');
  let authority = m[2].replace(/\/+$/, '');
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const credentials = authority.slice(0, at);
    if (!/^[^:]+:.*$/.test(credentials)) throw bad('credentials must be user:password');
    authority = authority.slice(at + 1);
  }
  if (!authority) throw bad('no host');
  if (authority.includes('/')) throw bad('a KurrentDB URL has no path; options go after ?');
  for (const host of authority.split(',')) {
    const hm = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(host);
    if (!hm) throw bad(`"${host}" is not host or host:port`);
    if (hm[2] !== undefined && (Number(hm[2]) < 1 || Number(hm[2]) > 65535))
      throw bad(`port ${hm[2]} is out of range (1-65535)`);
  }
  let streamPrefix: string | undefined;
  const kept: string[] = [];
  for (const pair of (m[3] ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw bad(`"${pair}" is not key=value`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (flat(key) === 'streamprefix') {
      streamPrefix = decodeURIComponent(value);
      if (!STREAM_PREFIX.test(streamPrefix))
        throw bad(
          `streamPrefix "${streamPrefix}" may hold only letters, digits and _ . : @ + = / - (at most 50)`,
        );
      continue;
    }
    if (!KURRENTDB_KEYS.some((k) => flat(k) === flat(key)))
      throw bad(`unknown option "${key}" (known: ${KURRENTDB_KEYS.join(', ')}, streamPrefix)`);
    kept.push(pair);
  }
  const url = `${scheme}://${m[2].replace(/\/+$/, '')}${kept.length ? `?${kept.join('&')}` : ''}`;
  return streamPrefix === undefined ? { kind: 'kurrentdb', url } : { kind: 'kurrentdb', url, streamPrefix };
}

/** Never print a password in an error message or a log line. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}
