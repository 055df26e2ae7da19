import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildrootsDir, holdBuildroot, makeRoot, sweepBuildroots, writeIntoBuilddir } from './buildroot.js';
import { makeLogger } from './log.js';

test('a held buildroot outlives its retention until the hold ends (Save Failed Tree archiving it)', async () => {
  const workdir = mkdtempSync(join(tmpdir(), 'koji-es-hold-'));
  try {
    const dir = join(buildrootsDir(workdir), 'task7');
    const root = join(dir, 'root');
    mkdirSync(join(root, 'builddir'), { recursive: true });
    const expired = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(join(dir, 'buildroot.json'), JSON.stringify({ id: 3, taskId: 7, keepUntil: expired }));
    const lines: string[] = [];
    const log = makeLogger((_level, line) => lines.push(line));

    await holdBuildroot(root, async () => {
      await sweepBuildroots(null, workdir, log);
      assert.ok(existsSync(join(root, 'builddir')), 'the sweep left the held root alone');
    });
    await sweepBuildroots(null, workdir, log);
    assert.ok(!existsSync(root), 'once released, the expired root is removed');
    assert.match(lines.join('\n'), /buildroot 3 removed \(kept until .* after task 7 failed/);
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
});

test("a new buildroot from a base loses the base's rpmdb environment files and dnf/yum caches, never through a symlink", async () => {
  const top = mkdtempSync(join(tmpdir(), 'koji-es-reset-'));
  try {
    const base = join(top, 'base');
    const outside = join(top, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, '__db.001'), 'host file');
    for (const [p, text] of [
      ['var/lib/rpm/__db.001', 'lock'],
      ['var/lib/rpm/__db.002', 'lock'],
      ['var/lib/rpm/Packages', 'the rpmdb'],
      ['var/cache/dnf/fedora/repodata.xml', 'cache'],
      ['var/cache/dnf/expired_repos.json', '[]'],
    ]) {
      mkdirSync(join(base, p, '..'), { recursive: true });
      writeFileSync(join(base, p), text);
    }
    // a base whose yum cache is a link to a host directory: nothing there is touched
    symlinkSync(outside, join(base, 'var', 'cache', 'yum'));
    const root = join(top, 'root');
    await makeRoot(root, { kind: 'dir', path: base });
    assert.deepEqual(readdirSync(join(root, 'var', 'lib', 'rpm')), ['Packages']);
    assert.deepEqual(readdirSync(join(root, 'var', 'cache', 'dnf')), []);
    assert.deepEqual(readdirSync(outside), ['__db.001']);
    assert.deepEqual(
      readdirSync(join(base, 'var', 'lib', 'rpm')).sort(),
      ['Packages', '__db.001', '__db.002'],
      'the base is untouched',
    );
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test('a file written into /builddir replaces what the base left there, never writing through its symlink', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'koji-es-builddir-'));
  try {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'builddir'), { recursive: true });
    const host = join(dir, 'host-file');
    writeFileSync(host, "the host's\n");
    symlinkSync(host, join(root, 'builddir', '.rpmmacros'));
    await writeIntoBuilddir(root, '.rpmmacros', '%dist .fc40\n');
    assert.equal(readFileSync(host, 'utf8'), "the host's\n");
    assert.ok(lstatSync(join(root, 'builddir', '.rpmmacros')).isFile());
    assert.equal(readFileSync(join(root, 'builddir', '.rpmmacros'), 'utf8'), '%dist .fc40\n');
    mkdirSync(join(root, 'builddir', 'adir'));
    await assert.rejects(writeIntoBuilddir(root, 'adir', 'x'), /\/builddir\/adir in the base is a directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
