// Shared by the benchmarks (DESIGN §10): each figure beside a baseline measured in the same run,
// interleaved, 3 repetitions, medians, each run verified or void.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Run {
  /** Units per second, or null when the run's output check failed (a void run). */
  rate: number | null;
  note?: string;
}

export interface Figure {
  store: string;
  name: string;
  unit: string;
  adapter: Run[];
  raw: Run[];
  /** The adapter should reach at least this fraction of the raw driver; none for a figure shown for reference. */
  aim?: number;
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function header(title: string, extra: string[]): void {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench'],
      {
        encoding: 'utf8',
      },
    ).trim();
    if (dirty) commit += ' (with uncommitted changes in src/ or bench/)';
  } catch {
    /* not a git checkout */
  }
  console.log(`# bench ${title}`);
  console.log(`commit ${commit}   nproc ${availableParallelism()}   node ${process.version}`);
  for (const line of extra) console.log(line);
  console.log('');
}

const fmt = (n: number | null) => (n === null ? 'void' : Math.round(n).toLocaleString('en-US'));

/** A run with a wrong output count does not count, and says so. */
export function verified(rate: number, expected: number, actual: number, what: string): Run {
  return actual === expected
    ? { rate }
    : { rate: null, note: `${what}: expected ${expected}, found ${actual}` };
}

export function printTable(figures: Figure[]): boolean {
  const rows = figures.map((f) => {
    const a = median(f.adapter.flatMap((r) => (r.rate === null ? [] : [r.rate])));
    const b = median(f.raw.flatMap((r) => (r.rate === null ? [] : [r.rate])));
    const ratio = a !== null && b !== null ? a / b : null;
    return {
      f,
      cells: [
        f.store,
        `${f.name} (${f.unit})`,
        fmt(a),
        fmt(b),
        ratio === null ? 'void' : ratio.toFixed(2),
        f.aim === undefined ? '' : `≥ ${f.aim}`,
        ratio === null ? 'VOID' : f.aim === undefined ? '' : ratio >= f.aim ? 'ok' : 'BELOW',
      ],
    };
  });
  const head = ['store', 'figure', 'adapter (median)', 'raw driver (median)', 'ratio', 'aim', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r.cells));
  console.log('\nruns (adapter | raw, in run order):');
  for (const { f } of rows) {
    const list = (rs: Run[]) => rs.map((r) => fmt(r.rate)).join(' ');
    console.log(`  ${f.store} ${f.name}: ${list(f.adapter)} | ${list(f.raw)}`);
    for (const r of [...f.adapter, ...f.raw]) if (r.note) console.log(`    void run: ${r.note}`);
  }
  return rows.every((r) => r.cells[4] !== 'void');
}
