// The rpm macros a tag sets for its buildroots: kojid turns each `rpm.macro.NAME` of the tag's build
// config (extra, merged along the inheritance) into mock's `config_opts['macros']['%NAME'] =
// str(value)`, and mock writes them to /builddir/.rpmmacros, so a runroot command in a sidetag with
// `rpm.macro.dist` sees it (`rpm --eval %dist`). Here there is no mock: the builder writes that file.
import { pyStr } from '../../kernel/python.js';

export const MACRO_PREFIX = 'rpm.macro.';

/** What rpm takes as a macro name; Koji's editSideTag already asks for 2+ characters, a letter or _ first. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]+$/;

export interface TagMacros {
  /** `%NAME value` lines in key order, as mock writes them. */
  lines: string[];
  /** Keys that cannot be macros (set with editTag2 by hand), left out with a reason. */
  skipped: string[];
}

export function tagMacros(extra: Record<string, unknown>): TagMacros {
  const lines: string[] = [];
  const skipped: string[] = [];
  for (const key of Object.keys(extra).sort()) {
    if (!key.startsWith(MACRO_PREFIX)) continue;
    const name = key.slice(MACRO_PREFIX.length);
    if (!NAME.test(name)) {
      skipped.push(`${key}: ${JSON.stringify(name)} is not an rpm macro name`);
      continue;
    }
    // A newline would start a line of its own; rpm reads a backslash before it as a continuation.
    lines.push(`%${name} ${pyStr(extra[key]).replace(/\n/g, '\\\n')}`);
  }
  return { lines, skipped };
}
