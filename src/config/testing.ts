// Shared by the configuration unit tests of the hub and of the builder.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './values.js';

/** Runs `fn` on a fresh temporary directory, removed afterwards. */
export function withDir(fn: (dir: string) => void, prefix = 'cfg-'): void {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Matches a ConfigError with exactly this message (for assert.throws). */
export function errorIs(message: string): (e: unknown) => true {
  return (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.message, message);
    return true;
  };
}
