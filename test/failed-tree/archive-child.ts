// The archiver alone in a fresh process, so its memory can be measured without a test runner's heap
// around it. Usage: node archive-child.js <root> <full:0|1> <output> [level]
// Prints one JSON line: the archive result and the process's peak RSS (getrusage ru_maxrss).
import { archiveTree } from 'koji-es/builder/archive/archive';

async function main(): Promise<void> {
  const [root, full, output, level, blockSize, window] = process.argv.slice(2);
  const warnings: string[] = [];
  const result = await archiveTree({
    root,
    full: full === '1',
    output,
    level: level ? Number(level) : undefined,
    blockSize: blockSize ? Number(blockSize) : undefined,
    window: window ? Number(window) : undefined,
    onWarning: (m) => warnings.push(m),
  });
  process.stdout.write(
    `${JSON.stringify({ result, warnings, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
