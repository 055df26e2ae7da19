import type { CallContext } from '../../rpc/context.js';

/** A refusal to serve a file: its HTTP status and a message that says what to do. */
export interface FilesDenial {
  status: number;
  message: string;
}

/**
 * Who may read a path under /files. Task output is public, as Koji's topurl; a module that keeps
 * sensitive output (Save Failed Tree's volume) registers a rule for its paths.
 */
export interface FilesAccess {
  check(relPath: string, ctx: CallContext): Promise<FilesDenial | null>;
}

export const FILES_ACCESS = Symbol('FilesAccess');

export type FilesRule = (relPath: string, ctx: CallContext) => Promise<FilesDenial | null | undefined>;

export class FilesAccessRules implements FilesAccess {
  private rules: FilesRule[] = [];

  add(rule: FilesRule): void {
    this.rules.push(rule);
  }

  async check(relPath: string, ctx: CallContext): Promise<FilesDenial | null> {
    for (const r of this.rules) {
      const d = await r(relPath, ctx);
      if (d) return d;
    }
    return null;
  }
}
