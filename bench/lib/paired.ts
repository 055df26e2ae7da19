import { performance } from 'node:perf_hooks';
import { verified, type Figure, type Run } from './report.js';

/** One side of a run: does a slice of work per step and reports the units done. */
export interface Side {
  step(): Promise<number> | number;
  finished(): boolean;
  /** After the run: how many rows the side should have written or read, and how many there are. */
  check():
    | Promise<{ expected: number; actual: number; what: string }>
    | { expected: number; actual: number; what: string };
}

/**
 * The sides take turns in slices, each timed on its own, so a drift of the machine (another
 * process, a warm cache) falls on both and not on whichever ran second.
 */
export async function pairedRun(adapter: Side, raw: Side, rawFirst: boolean): Promise<[Run, Run]> {
  const sides = rawFirst ? [raw, adapter] : [adapter, raw];
  const secs = [0, 0];
  const units = [0, 0];
  while (!sides.every((s) => s.finished())) {
    for (let i = 0; i < 2; i++) {
      if (sides[i].finished()) continue;
      const t0 = performance.now();
      units[i] += await sides[i].step();
      secs[i] += (performance.now() - t0) / 1000;
    }
  }
  const runs = await Promise.all(
    sides.map(async (s, i) => {
      const c = await s.check();
      return verified(units[i] / secs[i], c.expected, c.actual, c.what);
    }),
  );
  return rawFirst ? [runs[1], runs[0]] : [runs[0], runs[1]];
}

/** A warm-up run (not counted), then `reps` runs, raw starting every other one. */
export async function measure(
  fig: Figure,
  reps: number,
  makeRun: (warmup: boolean) => Promise<[Side, Side, () => Promise<void>]>,
): Promise<void> {
  for (let rep = -1; rep < reps; rep++) {
    const [adapter, raw, cleanup] = await makeRun(rep < 0);
    const [a, r] = await pairedRun(adapter, raw, rep % 2 === 1);
    await cleanup();
    if (rep >= 0) {
      fig.adapter.push(a);
      fig.raw.push(r);
    }
    process.stderr.write('.');
  }
}
