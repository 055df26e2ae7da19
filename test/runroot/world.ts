// The world the runroot tests share: a hub, a real `koji-es builder` process as host `rr1` in the
// runroot channel, a busybox-static base root on tmpfs, host directories for the mounts, and a
// runroot.conf the tests rewrite (the builder reads it for every task, as kojid).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeHost, spawnBuilder, STATE, type BuilderProcess, type TestHost } from '../helpers/builder.js';
import { makeBusyboxRoot, writeRunrootConf } from '../helpers/buildroot.js';
import { startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

export const TAG = 'rr-build';

export interface World {
  h: TestHub;
  dir: string;
  configDir: string;
  rootfs: string;
  /** Host side of `/mnt/workdir` (bind) and `/mnt/archive` (bind, read-only default mount). */
  hostWork: string;
  hostArchive: string;
  host: TestHost;
  builder: BuilderProcess;
  workdir: string;
  tagId: number;
  conf(extra?: { runroot?: string; paths?: string; more?: string }): void;
  runroot(command: unknown, opts?: Record<string, unknown>, arch?: string, tag?: unknown): Promise<number>;
  wait(id: number, timeoutMs?: number): Promise<TaskInfo>;
  log(id: number, name?: string): Promise<string>;
  outputs(id: number): Promise<string[]>;
  fault(id: number): Promise<{ name: string; message: string }>;
  close(): Promise<void>;
}

export interface TaskInfo {
  id: number;
  state: number;
  arch: string;
  weight: number;
  result?: unknown;
}

/**
 * The fake installer the tests' install_command runs: it records its arguments, fails on `fail*` and
 * waits (to be stopped) on `slow*`.
 */
const FAKE_INSTALL = `#!/bin/sh
echo "$@" > /builddir/installed
echo "installing $*"
case "$*" in *fail*) echo "no such package" >&2; exit 4;; esac
case "$*" in *slow*) sleep 7434;; esac
exit 0
`;

export async function startWorld(
  o: { builderEnv?: Record<string, string>; maxjobs?: number } = {},
): Promise<World> {
  const tmp = tempDir('koji-es-runroot-');
  const dir = tmp.dir;
  const h = await startTestHub();
  const configDir = join(dir, 'config');
  const rootfs = makeBusyboxRoot(join(dir, 'rootfs'), {
    'usr/local/bin/fake-install': { text: FAKE_INSTALL, mode: 0o755 },
    'etc/motd': { text: 'the busybox root\n' },
  });
  const hostWork = join(dir, 'hostwork');
  const hostArchive = join(dir, 'archive');
  mkdirSync(join(hostWork, 'tmp'), { recursive: true });
  mkdirSync(hostArchive, { recursive: true });
  // The tests' [runroot] lines replace these defaults key by key.
  const runrootSection = (lines: string) => {
    const keys = new Map<string, string>([
      ['default_rootfs', `default_rootfs = ${rootfs}`],
      ['timeout', 'timeout = 60'],
    ]);
    for (const l of lines.split('\n').filter((x) => x.trim())) keys.set(l.split('=')[0].trim(), l);
    return [...keys.values()].join('\n');
  };
  const conf: World['conf'] = (extra = {}) => {
    writeRunrootConf(
      configDir,
      `[runroot]
${runrootSection(extra.runroot ?? '')}

[paths]
default_mounts = /mnt/archive
safe_roots = /mnt/workdir/tmp
path_subs =
    /mnt/workdir/tmp/old/,/mnt/workdir/tmp/new/
${extra.paths ?? ''}

[path0]
mountpoint = /mnt/archive
path = ${hostArchive}
fstype = none
options = ro,bind

[path1]
mountpoint = /mnt/workdir
path = ${hostWork}
fstype = none
options = ro,bind
${extra.more ?? ''}
`,
    );
  };
  conf();
  const host = await makeHost(h, join(dir, 'hosts'), 'rr1', {
    arches: ['x86_64', 'i686'],
    channels: ['runroot'],
    capacity: 200,
  });
  const tagId = await h.call<number>('createTag', [TAG, { arches: 'x86_64', __starstar: true }], h.admin);
  const workdir = join(dir, 'work');
  const builder = spawnBuilder({
    server: h.url,
    tokenFile: host.tokenFile,
    workdir,
    configDir,
    sleeptime: 0.05,
    maxjobs: o.maxjobs ?? 30,
    env: o.builderEnv,
  });
  await builder.waitFor(/ready: capacity/);

  const runroot = (
    command: unknown,
    opts: Record<string, unknown> = {},
    arch = 'x86_64',
    tag: unknown = TAG,
  ) => h.call<number>('runroot', [tag, arch, command, { ...opts, __starstar: true }], h.admin);
  const wait = async (id: number, timeoutMs = 30_000): Promise<TaskInfo> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const t = await h.call<TaskInfo>('getTaskInfo', [id]);
      if (t.state === STATE.CLOSED || t.state === STATE.FAILED || t.state === STATE.CANCELED) return t;
      if (Date.now() > until) throw new Error(`task ${id} still in state ${t.state}\n${builder.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const log = async (id: number, name = 'runroot.log') =>
    Buffer.from(await h.call<string>('downloadTaskOutput', [id, name]), 'base64').toString('utf8');
  const outputs = async (id: number) => (await h.call<string[]>('listTaskOutput', [id])).sort();
  const fault = async (id: number) => {
    const r = await h.rpc('getTaskResult', [id]);
    assert.ok(r.body.error, `task ${id} has no fault: ${JSON.stringify(r.body.result)}`);
    const d = r.body.error.data as { name: string; faultString: string };
    return { name: d.name, message: d.faultString };
  };
  return {
    h,
    dir,
    configDir,
    rootfs,
    hostWork,
    hostArchive,
    host,
    builder,
    workdir,
    tagId,
    conf,
    runroot,
    wait,
    log,
    outputs,
    fault,
    close: async () => {
      await builder.kill();
      await h.close();
      tmp.cleanup();
    },
  };
}

export type { Creds };
