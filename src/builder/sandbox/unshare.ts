// The unshare+chroot driver: util-linux only, for hosts without bubblewrap. It always enters a user
// namespace (`--user --map-root-user`) — without one it refuses to run rather than chroot as the
// host's root. Mounts are made by a host shell *inside* the new mount namespace (they vanish with
// it: nothing to clean up, nothing leaks), on mount points the caller created under the root
// without following any symlink (the namespace's mount(2) would follow one onto the host,
// spec/platform-notes.md §2). Then capabilities are cut and `unshare --root --wd` chroots and execs
// the command, which runs as PID 1 of its pid namespace; `--kill-child` and `setpriv --pdeathsig`
// take the namespace down with the host process.
import { constants } from 'node:os';
import {
  KEPT_CAPS,
  READ_ONLY_PROC,
  type HostCommand,
  type SandboxDriver,
  type SandboxOutcome,
  type SandboxSpec,
} from './types.js';

/** Set-up inside the namespaces; every value arrives as an argument, none is spliced into the text. */
export const UNSHARE_SETUP = `set -eu
root=$1 host=$2 wd=$3 n=$4 caps=$5
shift 5
mount -t tmpfs -o mode=755,nosuid tmpfs "$root/dev"
for d in null zero full random urandom tty; do : > "$root/dev/$d"; mount --bind "/dev/$d" "$root/dev/$d"; done
mkdir "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
for p in ${READ_ONLY_PROC.join(' ')}; do
  if [ -e "$root/proc/$p" ]; then mount --bind "$root/proc/$p" "$root/proc/$p"; mount -o remount,bind,ro "$root/proc/$p"; fi
done
while [ "$n" -gt 0 ]; do
  src=$1 dst=$2 mode=$3
  shift 3
  n=$((n - 1))
  mount --bind "$src" "$dst"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$dst"; fi
done
hostname "$host" 2>/dev/null || true
echo setup-ok >&3
exec 3>&-
exec setpriv --no-new-privs --bounding-set="$caps" --inh-caps=-all -- unshare --root="$root" --wd="$wd" -- "$@"
`;

export interface UnshareTools {
  setpriv: string;
  unshare: string;
  sh: string;
}

export function unshareArgs(spec: SandboxSpec, tools: UnshareTools): string[] {
  const ns = ['--user', '--map-root-user', '--mount', '--pid', '--uts', '--ipc'];
  if (!spec.network) ns.push('--net');
  const binds = spec.binds.flatMap((b) => [b.src, `${spec.root}${b.dest}`, b.readOnly ? 'ro' : 'rw']);
  const caps = ['-all', ...KEPT_CAPS.map((c) => `+${c.toLowerCase()}`)].join(',');
  return [
    '--pdeathsig',
    'KILL',
    '--',
    tools.unshare,
    ...ns,
    '--fork',
    '--kill-child',
    `--mount-proc=${spec.root}/proc`,
    '--',
    tools.sh,
    '-c',
    UNSHARE_SETUP,
    'runroot-setup',
    spec.root,
    spec.hostname,
    spec.cwd,
    String(spec.binds.length),
    caps,
    ...binds,
    ...spec.argv,
  ];
}

export class UnshareDriver implements SandboxDriver {
  readonly name = 'unshare' as const;
  readonly needsMountPoints = true;

  constructor(private readonly tools: UnshareTools) {}

  command(spec: SandboxSpec): HostCommand {
    // The environment reaches the command through setpriv and unshare, which keep it.
    return { file: this.tools.setpriv, args: unshareArgs(spec, this.tools) };
  }

  outcome(status: string, exitCode: number | null, signal: NodeJS.Signals | null): SandboxOutcome {
    if (!status.includes('setup-ok')) return { kind: 'setup', message: '' };
    if (signal) return { kind: 'signal', signal: signalNumber(signal) };
    return { kind: 'exit', code: exitCode ?? 1 };
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 0;
}
