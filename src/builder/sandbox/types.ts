// The sandbox drivers' one interface (DESIGN §8): a buildroot directory becomes `/` for one command,
// in new user, mount, pid, ipc, uts (and, unless allowed, net) namespaces, with bind mounts made
// inside those namespaces only — never on the host — and stdout+stderr captured on the host.

/** A bind mount into the sandbox; `dest` is the path inside the buildroot (absolute, normalised). */
export interface BindMount {
  src: string;
  dest: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  /** Host path of the directory that becomes `/`. */
  root: string;
  /** The command, exec'd as is (no shell is added). */
  argv: string[];
  binds: BindMount[];
  network: boolean;
  hostname: string;
  /** Working directory inside the sandbox. */
  cwd: string;
  /** The command's whole environment. */
  env: Record<string, string>;
  /** Run under this `setarch` personality (i686 on x86_64, …); null for the host's own. */
  personality: string | null;
  /**
   * The host user the sandbox runs as (bwrap only): root inside, that user outside, so what the
   * command writes on binds is theirs. Absent: the builder's own user.
   */
  runAs?: { uid: number; gid: number } | null;
}

/** How a sandboxed run ended. */
export type SandboxOutcome =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: number }
  /** The sandbox could not be set up: the command never ran. */
  | { kind: 'setup'; message: string }
  | { kind: 'timeout'; seconds: number }
  | { kind: 'aborted' };

/** The host-side process that runs a sandboxed command. */
export interface HostCommand {
  file: string;
  args: string[];
}

/** One isolation mechanism. Its command reports on fd 3 whether set-up finished before the command ran. */
export interface SandboxDriver {
  readonly name: 'bwrap' | 'unshare';
  /** What the host runs (an argv array, never a shell string built from data). */
  command(spec: SandboxSpec): HostCommand;
  /** Reads what the driver wrote on fd 3 plus the host process's exit: set-up failure or the command's end. */
  outcome(status: string, exitCode: number | null, signal: NodeJS.Signals | null): SandboxOutcome;
  /**
   * Host paths that must exist (created by the caller, without following any symlink in the root)
   * before the command runs: the mount points inside the root, for drivers that bind on paths.
   */
  readonly needsMountPoints: boolean;
}

/** The sandbox never runs the command as a real privileged process: these capabilities stay, the rest go. */
export const KEPT_CAPS = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'SETFCAP',
  'AUDIT_WRITE',
] as const;

/**
 * Parts of /proc that write to the host kernel whatever namespace the writer is in; with uid 0
 * mapped to the host's root they would be writable, so they are bound read-only over themselves.
 */
export const READ_ONLY_PROC = ['sys', 'sysrq-trigger', 'irq', 'bus', 'fs', 'mtrr', 'acpi'] as const;
