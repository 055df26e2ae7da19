#!/usr/bin/env node
// Rewrites the generated parts of README.md (the configuration table) from the compiled sources.
// Run after `npm run build`: node scripts/update-readme.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { configTableMarkdown } = require(join(root, 'dist/config/schema.js'));
const path = join(root, 'README.md');
const readme = readFileSync(path, 'utf8');
const start = '<!-- config-table:start -->';
const end = '<!-- config-table:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error(`README.md lacks the ${start} … ${end} markers`);
writeFileSync(path, `${readme.slice(0, a + start.length)}\n${configTableMarkdown()}\n${readme.slice(b)}`);
console.log('README.md: configuration table updated');
