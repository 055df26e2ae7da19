// What a saved tree leaves out. Two kinds of rule, counted apart so TreeArchived can say which one
// did the work:
// - the admin's `[filters] paths` globs, with Koji's meaning: Python fnmatch (`*` crosses `/`, a dot
//   is nothing special), case-sensitive, anchored. Koji matched them against the absolute host path
//   without its leading `/`; koji-es names members relative to the buildroot's root, so each glob is
//   tried against the member name and against `/` + the name — `/tmp/krb5cc*` (the docs' example,
//   which never matched in Koji) and `*/tmp/krb5cc` (the shipped one) both reach `tmp/krb5cc`;
// - the mandatory rules, applied whatever the config says (a missing or emptied config file filtered
//   nothing in Koji, spec §7 S2): Kerberos credential caches `tmp/krb5cc*` and keytabs, and the
//   credential files of the usual tools (netrc, git, ssh keys, PostgreSQL, PyPI, AWS, Docker, gh,
//   GnuPG private keys, cargo), all at any depth — a build's home directory is `builddir/`, root's is
//   `root/`, and Koji's own list missed all but the first two (S2). Each is written twice, as
//   micromatch globs with `dot: true` (without it `**` skips hidden directories such as
//   `builddir/.cache`, platform-notes §6.2) and as fnmatch patterns (which never treat a leading dot
//   specially): the two engines disagree at the edges (§6.3), and a secret only has to be caught by
//   one of them.
import micromatch from 'micromatch';
import { fnmatchAny } from '../../kernel/fnmatch.js';

/** Credential files, relative to any directory of the tree. */
const ANYWHERE: readonly string[] = [
  'tmp/krb5cc*',
  '*.keytab',
  '.netrc',
  '.git-credentials',
  '.ssh/id_*',
  '.pgpass',
  '.pypirc',
  '.aws/credentials',
  '.docker/config.json',
  '.config/gh/hosts.yml',
  '.gnupg/private-keys-v1.d/*',
  '.gnupg/secring.gpg',
  '.cargo/credentials',
  '.cargo/credentials.toml',
];

export const MANDATORY_GLOBS: readonly string[] = ANYWHERE.map((p) => `**/${p}`);
export const MANDATORY_FNMATCH: readonly string[] = ANYWHERE.flatMap((p) => [p, `*/${p}`]);

export type Exclusion = 'config' | 'mandatory' | null;

export interface Filter {
  /** Why `name` (a member name without a trailing `/`) stays out, or null when it goes in. */
  (name: string): Exclusion;
}

/**
 * The filter for one archive. Config globs are tried first: a secret the admin's own rules already
 * catch counts as excluded by config, so `excluded_mandatory` shows only what the config missed.
 */
export function makeFilter(configPatterns: readonly string[]): Filter {
  const patterns = configPatterns.filter((p) => p.length > 0);
  const globs = MANDATORY_GLOBS.map((g) => micromatch.matcher(g, { dot: true }));
  const mandatory = (name: string) => globs.some((m) => m(name));
  return (name) => {
    if (patterns.length && (fnmatchAny(name, patterns) || fnmatchAny(`/${name}`, patterns))) return 'config';
    if (mandatory(name) || fnmatchAny(name, MANDATORY_FNMATCH)) return 'mandatory';
    return null;
  };
}
