// Runs test/koji_client_compat.py (koji.ClientSession's wire behaviour and the koji CLI's call
// sequences, reimplemented with Python's standard library) with the given arguments.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN_PASSWORD, REPO_ROOT } from './hub.js';

const HARNESS = join(REPO_ROOT, 'test', 'koji_client_compat.py');

/**
 * The harness against the hub at `hubUrl` (its /kojihub door), logged in as admin, plus `extra`.
 * A child process: the hub answers it from the test's own process, so never spawnSync.
 */
export function runCompatHarness(hubUrl: string, extra: string[]): Promise<{ code: number; out: string }> {
  const args = ['--server', `${hubUrl}/kojihub`, '--user', 'admin', '--password', ADMIN_PASSWORD, ...extra];
  return new Promise((resolve) => {
    execFile('python3', [HARNESS, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}
