#!/usr/bin/env node
// `npm run bench -- [NAME…]`: compiles bench/ (npm's build step compiles src/ only), then runs
// dist/bench/NAME.js for each name, or every dist/bench/*.js when no name is given, one at a time.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));

const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test.json'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
if (tsc.status !== 0) {
  // tsc still emits when files elsewhere have type errors; a benchmark is only refused when its
  // own output is missing.
  const errors = tsc.stdout.split('\n').filter((l) => l.includes('error TS'));
  console.error(`warning: tsc reported ${errors.length} type error(s); running what was emitted`);
  for (const l of errors.filter((l) => l.startsWith('bench/'))) console.error(`  ${l}`);
}

const benchDir = join(root, 'dist/bench');
const all = existsSync(benchDir)
  ? readdirSync(benchDir)
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3))
      .sort()
  : [];
const chosen = names.length ? names : all;
if (chosen.length === 0) {
  console.error('no benchmarks found under dist/bench/');
  process.exit(1);
}
let failed = false;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${all.join(', ') || 'none'}`);
    failed = true;
    continue;
  }
  const r = spawnSync(process.execPath, [join(benchDir, `${name}.js`)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
