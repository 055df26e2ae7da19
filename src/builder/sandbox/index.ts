// Picking a sandbox driver: `[runroot] driver` = auto (bwrap, else unshare+chroot), bwrap or
// unshare. Each is probed once per builder process with a real sandboxed `true`, so a binary that
// exists but cannot create namespaces here (user namespaces off, a seccomp profile…) is not chosen.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KojiError } from '../../kernel/errors.js';
import { BwrapDriver } from './bwrap.js';
import type { HostTools } from './run.js';
import type { SandboxDriver } from './types.js';
import { UnshareDriver } from './unshare.js';

export type DriverChoice = 'auto' | 'bwrap' | 'unshare';
export const DRIVER_CHOICES: DriverChoice[] = ['auto', 'bwrap', 'unshare'];

export { runSandboxed, truncationNote, type CaptureOptions, type HostTools, type RunResult } from './run.js';
export { bwrapArgs } from './bwrap.js';
export type { BindMount, SandboxDriver, SandboxOutcome, SandboxSpec } from './types.js';

const INSTALL =
  'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora/EL: dnf install bubblewrap) ' +
  'and make sure user namespaces are enabled (sysctl user.max_user_namespaces > 0)';

/** The absolute path of a program, from PATH and the usual system directories. */
export function which(name: string, path = process.env.PATH ?? ''): string | null {
  const dirs = [
    ...path.split(delimiter),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Runs argv, resolving with null on exit 0 or with what went wrong. */
function probe(argv: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', (e) => resolve(e.message));
    p.on('close', (code, sig) =>
      resolve(code === 0 ? null : err.trim().split('\n').pop() || `exited with ${code ?? sig}`),
    );
  });
}

async function probeBwrap(): Promise<SandboxDriver | string> {
  const bwrap = which('bwrap');
  if (!bwrap) return 'bwrap is not installed';
  const trueBin = which('true') ?? '/bin/true';
  const why = await probe([
    bwrap,
    '--unshare-user',
    '--uid',
    '0',
    '--gid',
    '0',
    '--unshare-all',
    '--die-with-parent',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/',
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--',
    trueBin,
  ]);
  return why ? `${bwrap} cannot create a sandbox here: ${why}` : new BwrapDriver(bwrap);
}

async function probeUnshare(): Promise<SandboxDriver | string> {
  const unshare = which('unshare');
  const setpriv = which('setpriv');
  const sh = which('sh');
  if (!unshare || !setpriv || !sh) return "util-linux's unshare and setpriv are not both installed";
  const why = await probe([
    setpriv,
    '--pdeathsig',
    'KILL',
    '--',
    unshare,
    '--user',
    '--map-root-user',
    '--mount',
    '--pid',
    '--net',
    '--uts',
    '--ipc',
    '--fork',
    '--kill-child',
    '--',
    which('true') ?? '/bin/true',
  ]);
  return why
    ? `${unshare} cannot create a user namespace here: ${why}`
    : new UnshareDriver({ unshare, setpriv, sh });
}

const probes = new Map<'bwrap' | 'unshare', Promise<SandboxDriver | string>>();
const probeOnce = (name: 'bwrap' | 'unshare') => {
  let p = probes.get(name);
  if (!p) {
    p = name === 'bwrap' ? probeBwrap() : probeUnshare();
    probes.set(name, p);
  }
  return p;
};

/** The driver to use, or a BuildrootError naming what to install. */
export async function chooseDriver(choice: DriverChoice, hostName: string): Promise<SandboxDriver> {
  if (choice !== 'auto') {
    const d = await probeOnce(choice);
    if (typeof d !== 'string') return d;
    throw new KojiError(
      'BuildrootError',
      `the ${choice} sandbox driver ([runroot] driver = ${choice}) is not usable on host ${hostName}: ${d}; ${
        choice === 'bwrap' ? INSTALL : 'install util-linux (unshare, setpriv) and enable user namespaces'
      }`,
    );
  }
  const b = await probeOnce('bwrap');
  if (typeof b !== 'string') return b;
  const u = await probeOnce('unshare');
  if (typeof u !== 'string') return u;
  throw new KojiError(
    'BuildrootError',
    `no usable sandbox on host ${hostName} (bwrap: ${b}; unshare+chroot: ${u}): ${INSTALL}`,
  );
}

let tools: HostTools | null = null;
/** The host programs the runner needs around a driver. */
export function hostTools(): HostTools {
  tools ??= { sh: which('sh') ?? '/bin/sh', setarch: which('setarch') };
  return tools;
}
