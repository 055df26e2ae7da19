import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * A test that needs an outside tool skips with a visible reason when the tool is missing, except
 * under CI=true, where a missing tool is a failure: nothing goes green by skipping.
 */
export function needTool(t: TestContext, tool: string, available: boolean, install: string): boolean {
  if (available) return true;
  const why = `${tool} is not available (${install})`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  t.skip(why);
  return false;
}

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
