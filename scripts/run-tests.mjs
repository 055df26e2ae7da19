#!/usr/bin/env node
// `npm test`: lint, format check, then every compiled test file through Node's test runner.
// Node 20's runner expands no globs, so the file list is collected here and passed explicitly.
// Usage: node scripts/run-tests.mjs [--no-lint] [substring…]   (substrings filter the file list)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const lint = !args.includes('--no-lint') && args.filter((a) => !a.startsWith('--')).length === 0;
const filters = args.filter((a) => !a.startsWith('--'));

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', cwd: root, ...opts });
  return r.status ?? 1;
}

function collect(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(relative(root, p));
  }
  return out;
}

let failed = false;
if (lint) {
  console.log('# lint (eslint)');
  if (
    run(process.execPath, [
      'node_modules/eslint/bin/eslint.js',
      '--max-warnings',
      '0',
      'src',
      'test',
      'bench',
      'scripts',
    ]) !== 0
  )
    failed = true;
  console.log('# format (prettier --check)');
  if (
    run(process.execPath, [
      'node_modules/prettier/bin/prettier.cjs',
      '--check',
      '--log-level',
      'warn',
      '.',
    ]) !== 0
  )
    failed = true;
}

const files = collect(join(root, 'dist'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/ (did the build run?)');
  process.exit(1);
}
mkdirSync(join(root, '.ci/data'), { recursive: true });
console.log(`# ${files.length} test files`);
const status = run(process.execPath, [
  '--test',
  `--test-concurrency=${process.env.KOJI_ES_TEST_CONCURRENCY ?? 2}`,
  // A file that hangs (or leaves a handle open after its tests) fails by name after 5 minutes instead
  // of holding CI until its own limit. Not --test-force-exit: it cuts the reporters' output short.
  `--test-timeout=${process.env.KOJI_ES_TEST_FILE_TIMEOUT_MS ?? 300_000}`,
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/summary-reporter.mjs',
  '--test-reporter-destination=stdout',
  ...files,
]);
if (status !== 0) failed = true;
if (failed && status === 0) console.error('tests passed, but lint or format checks failed');
process.exit(failed ? 1 : 0);
