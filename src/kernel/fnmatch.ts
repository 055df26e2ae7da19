// A port of Python's `fnmatch.fnmatchcase` / `fnmatch.translate` (CPython 3.11, Lib/fnmatch.py).
//
// Koji matches every glob it knows — policy tests (`tag f4*-build`, `match`, `has_perm`), the builder's
// save_failed_tree `[filters] paths` — with Python's fnmatch, whose meaning differs from micromatch's
// (spec platform-notes §6.3): `*` and `?` also match `/` and a leading dot, `[...]` is the only special
// syntax (no braces, extglobs, `**` or leading-`!` negation), matching is anchored and case-sensitive.
// `fnmatch.fnmatch` only adds `os.path.normcase`, the identity on POSIX where Koji runs, so `fnmatch`
// here is `fnmatchcase`.
//
// The pattern is read as code points (as Python reads a str) and compiled with the `u` flag, so `?`
// matches one code point, not one UTF-16 unit.

const cache = new Map<string, RegExp>();
// Python keeps 32768 compiled patterns (lru_cache); patterns here come from configuration, so a small
// bound only guards against a caller feeding user input as patterns.
const CACHE_LIMIT = 4096;

/** True when `name` matches the shell-style `pattern`, with Python's `fnmatch.fnmatchcase` meaning. */
export function fnmatch(name: string, pattern: string): boolean {
  return fnmatchTranslate(pattern).test(name);
}

/** Koji's `multi_fnmatch`: true when `name` matches any of `patterns`. */
export function fnmatchAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => fnmatch(name, p));
}

/**
 * The RegExp Python's `fnmatch.translate(pattern)` stands for, anchored at both ends, compiled once.
 * The returned object is shared: it has no `g`/`y` flag, so `test` keeps no state between calls.
 */
export function fnmatchTranslate(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^(?:${translateSource(pattern)})$`, 'su');
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}

const STAR: unique symbol = Symbol('star');
type Part = string | typeof STAR;

/** The regular-expression source (without anchors) of a pattern, built as Python's `_translate` does. */
export function translateSource(pattern: string): string {
  const pat = Array.from(pattern);
  const n = pat.length;
  const res: Part[] = [];
  let i = 0;
  while (i < n) {
    const c = pat[i]!;
    i += 1;
    if (c === '*') {
      // consecutive stars are one star
      if (res.length === 0 || res[res.length - 1] !== STAR) res.push(STAR);
    } else if (c === '?') {
      res.push('.');
    } else if (c === '[') {
      let j = i;
      if (j < n && pat[j] === '!') j += 1;
      if (j < n && pat[j] === ']') j += 1;
      while (j < n && pat[j] !== ']') j += 1;
      if (j >= n) {
        // no closing bracket: the `[` is literal and scanning resumes right after it
        res.push('\\[');
      } else {
        res.push(translateSet(pat, i, j));
        i = j + 1;
      }
    } else {
      res.push(escapeLiteral(c));
    }
  }
  return joinParts(res);
}

/**
 * The bracket expression pat[i..j) (without its brackets). Mirrors CPython's chunking so that the same
 * sets come out: a `-` first (or right after `!`) or last is literal, `a-b-c` is the range a-b plus the
 * literals `-` and `c`, and reversed ranges such as `z-a` are dropped (an empty set never matches; `!`
 * of an empty set matches any one character).
 */
function translateSet(pat: readonly string[], start: number, j: number): string {
  let i = start;
  let chunks: string[][];
  if (!pat.slice(i, j).includes('-')) {
    chunks = [pat.slice(i, j)];
  } else {
    chunks = [];
    let k = pat[i] === '!' ? i + 2 : i + 1;
    for (;;) {
      k = indexOf(pat, '-', k, j);
      if (k < 0) break;
      chunks.push(pat.slice(i, k));
      i = k + 1;
      k = k + 3;
    }
    const chunk = pat.slice(i, j);
    if (chunk.length > 0) chunks.push(chunk);
    else chunks[chunks.length - 1]!.push('-');
    // Remove empty ranges, which are invalid in a regular expression.
    for (let k2 = chunks.length - 1; k2 > 0; k2--) {
      const prev = chunks[k2 - 1]!;
      const cur = chunks[k2]!;
      if (codePoint(prev[prev.length - 1]!) > codePoint(cur[0]!)) {
        chunks[k2 - 1] = [...prev.slice(0, -1), ...cur.slice(1)];
        chunks.splice(k2, 1);
      }
    }
  }
  const flat = chunks.map((c) => c.join('')).join('-');
  if (flat === '') return '(?!)';
  if (flat === '!') return '.';
  const negate = flat.startsWith('!');
  if (negate) chunks[0] = chunks[0]!.slice(1);
  const body = chunks.map((c) => c.map(escapeInSet).join('')).join('-');
  return `[${negate ? '^' : ''}${body}]`;
}

/**
 * Joins the parts the way CPython does. A `*` followed by a fixed piece and another `*` becomes an
 * atomic "shortest prefix up to the piece" (a lookahead plus a back-reference), which gives the same
 * answers as `.*` but without exponential backtracking on patterns like `*a*a*a*a*a*a`.
 */
function joinParts(parts: readonly Part[]): string {
  const out: string[] = [];
  const n = parts.length;
  let i = 0;
  let group = 0;
  while (i < n && parts[i] !== STAR) out.push(parts[i++] as string);
  while (i < n) {
    i += 1; // the STAR
    if (i === n) {
      out.push('.*');
      break;
    }
    let fixed = '';
    while (i < n && parts[i] !== STAR) fixed += parts[i++] as string;
    if (i === n) {
      out.push('.*', fixed);
    } else {
      group += 1;
      out.push(`(?=(.*?${fixed}))\\${group}`);
    }
  }
  return out.join('');
}

function indexOf(arr: readonly string[], value: string, from: number, to: number): number {
  for (let k = from; k < to; k++) if (arr[k] === value) return k;
  return -1;
}

function codePoint(ch: string): number {
  return ch.codePointAt(0)!;
}

// With the `u` flag only syntax characters (and `/`, and `-` inside a set) may be escaped.
function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/u.test(ch) ? `\\${ch}` : ch;
}

function escapeInSet(ch: string): string {
  return /[\\\][^-]/u.test(ch) ? `\\${ch}` : ch;
}
