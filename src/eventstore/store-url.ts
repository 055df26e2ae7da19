import { resolve } from 'node:path';

/** A parsed `--store` value: `sqlite:PATH`, `postgres://…` / `postgresql://…`, or `memory:`. */
export type StoreUrl =
  { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } | { kind: 'memory' };

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
  throw new StoreUrlError(
    `malformed store URL "${redact(value)}": use sqlite:PATH or postgres://user:password@host:port/database`,
  );
}

/** Never print a password in an error message or a log line. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}
