import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildrootsDir, holdBuildroot, sweepBuildroots } from './buildroot.js';
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
