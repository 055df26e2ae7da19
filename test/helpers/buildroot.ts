// Test buildroots (spec/platform-notes.md §1): a busybox-static root in a few tens of milliseconds —
// the static binary, a symlink per applet the tests use, /etc/passwd and /etc/group with root —
// and runroot.conf files for builders under test.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { needTool } from './tools.js';

export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? '/bin/busybox';

const APPLETS = [
  'sh',
  'true',
  'false',
  'echo',
  'cat',
  'ls',
  'mkdir',
  'rm',
  'cp',
  'env',
  'id',
  'sleep',
  'tee',
  'uname',
  'mknod',
  'mount',
  'ln',
  'touch',
  'head',
  'wc',
  'pwd',
  'hostname',
  'grep',
  'kill',
  'printf',
  'test',
  'stat',
  'readlink',
  'seq',
  'yes',
  'dd',
  'chmod',
  'ps',
  'ip',
  'ifconfig',
  'wget',
  'nc',
  'cut',
  'tail',
];

/** True when busybox is statically linked (it must run in a root with no libraries). */
export function busyboxIsStatic(): boolean {
  if (!existsSync(BUSYBOX)) return false;
  const r = spawnSync('sh', ['-c', `ldd ${BUSYBOX} 2>&1`], { encoding: 'utf8' });
  return /not a dynamic executable|statically linked/.test(r.stdout ?? '');
}

export function haveBwrap(): boolean {
  const r = spawnSync('bwrap', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Skips (or fails under CI=true) unless bwrap and busybox-static are there. */
export function needSandbox(t: TestContext): boolean {
  return (
    needTool(t, 'bwrap', haveBwrap(), 'apt-get install bubblewrap') &&
    needTool(t, 'busybox-static', busyboxIsStatic(), 'apt-get install busybox-static')
  );
}

/** A minimal busybox root at `dir`; `extra` writes more files (path inside the root → content, mode). */
export function makeBusyboxRoot(
  dir: string,
  extra: Record<string, { text: string; mode?: number }> = {},
): string {
  for (const d of ['bin', 'etc', 'tmp', 'builddir', 'proc', 'dev', 'mnt', 'usr/local/bin'])
    mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
  for (const [p, f] of Object.entries(extra)) {
    const full = join(dir, p);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, f.text, { mode: f.mode ?? 0o644 });
  }
  return dir;
}

/** Writes `<configDir>/builder/plugins/runroot.conf`. */
export function writeRunrootConf(configDir: string, text: string): string {
  const dir = join(configDir, 'builder', 'plugins');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'runroot.conf');
  writeFileSync(file, text);
  return file;
}
