import { genericError } from '../../kernel/errors.js';

/** Koji's parse_arches(arches, strict=True): a list or whitespace-separated string → "a b c". */
export function parseArches(arches: unknown, strict = true): string {
  let list: unknown[];
  if (Array.isArray(arches)) list = arches;
  else if (typeof arches === 'string')
    list = (strict ? arches : arches.replace(/,/g, ' ')).split(/\s+/).filter(Boolean);
  else throw genericError(`Invalid type for arches: ${typeof arches}`);
  for (const a of list) {
    if (typeof a !== 'string' || !/^[a-zA-Z0-9_-]*$/.test(a))
      throw genericError('Architecture can be only [a-zA-Z0-9_-]');
  }
  return (list as string[]).join(' ');
}

/** Koji's canonArch. */
export function canonArch(a: string): string {
  if (/^i.86$/.test(a) || a === 'athlon') return 'i386';
  if (a === 'ia32e') return 'x86_64';
  if (a === 'ppc64le') return 'ppc64le';
  if (a.startsWith('ppc64')) return 'ppc64';
  if (a.startsWith('sparc64')) return 'sparc64';
  if (a.startsWith('sparc')) return 'sparc';
  if (a.startsWith('alpha')) return 'alpha';
  if (/^arm.*h.*$/.test(a)) return 'armhfp';
  if (a.startsWith('arm')) return 'arm';
  return a;
}
