// The bubblewrap driver (DESIGN §8, spec/platform-notes.md §2–§3): ~4 ms over a bare spawn, binds
// resolved inside the new root (a symlink in the buildroot can never redirect a bind onto the host),
// nothing mounted on the host, the whole sandbox killed with its parent.
import {
  KEPT_CAPS,
  READ_ONLY_PROC,
  type HostCommand,
  type SandboxDriver,
  type SandboxOutcome,
  type SandboxSpec,
} from './types.js';

/**
 * bwrap's argv for a spec, flag by flag as platform-notes §3 recommends. Always in a user namespace
 * with uid/gid 0 (as root, bwrap confines only inside one), capabilities cut to {@link KEPT_CAPS}
 * (uid 0 inside maps to the host's root when the builder runs as root, so mount, mknod and kernel
 * tunables must be out of reach), the host-facing parts of /proc read-only.
 */
export function bwrapArgs(spec: SandboxSpec): string[] {
  const a = ['--unshare-user', '--uid', '0', '--gid', '0', '--unshare-all'];
  if (spec.network) a.push('--share-net');
  a.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL');
  for (const c of KEPT_CAPS) a.push('--cap-add', `CAP_${c}`);
  a.push('--bind', spec.root, '/', '--proc', '/proc');
  for (const p of READ_ONLY_PROC) a.push('--ro-bind-try', `/proc/${p}`, `/proc/${p}`);
  a.push('--dev', '/dev', '--tmpfs', '/dev/shm');
  for (const b of spec.binds) a.push(b.readOnly ? '--ro-bind' : '--bind', b.src, b.dest);
  a.push('--hostname', spec.hostname, '--chdir', spec.cwd, '--json-status-fd', '3', '--', ...spec.argv);
  return a;
}

/** The last `"exit-code": N` bwrap wrote on its status fd; none means the set-up failed. */
export function bwrapExitCode(status: string): number | null {
  let code: number | null = null;
  for (const m of status.matchAll(/"exit-code"\s*:\s*(-?\d+)/g)) code = Number(m[1]);
  return code;
}

/**
 * bwrap reports a command killed by signal N as exit code 128+N (as a shell does). Codes 129–192
 * are read as that signal, so a killed command says "was killed by signal N" as Koji's would.
 */
export function bwrapOutcome(status: string): SandboxOutcome | null {
  const code = bwrapExitCode(status);
  if (code === null) return null;
  if (code > 128 && code <= 128 + 64) return { kind: 'signal', signal: code - 128 };
  return { kind: 'exit', code };
}

export class BwrapDriver implements SandboxDriver {
  readonly name = 'bwrap' as const;
  readonly needsMountPoints = false;

  constructor(private readonly bwrap: string) {}

  command(spec: SandboxSpec): HostCommand {
    return { file: this.bwrap, args: bwrapArgs(spec) };
  }

  outcome(status: string): SandboxOutcome {
    return bwrapOutcome(status) ?? { kind: 'setup', message: '' };
  }

  /**
   * bwrap's own message when it could not exec the command: the sandbox was ready, so this is the
   * command failing as a shell reports a missing program (127), not a set-up failure.
   */
  static notFound(message: string): boolean {
    return /^bwrap: execvp /.test(message);
  }
}
