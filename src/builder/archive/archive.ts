// The Save Failed Tree archiver (DESIGN §9, platform-notes §5): a buildroot → a .tar.gz file, in a
// worker thread so the builder's event loop (heartbeats, cancel checks, other tasks' uploads) stays
// free while the walker makes its blocking fs calls. Memory is bounded by the gzip window and one
// file chunk, whatever the tree's size.
import { closeSync, constants as fsc, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import micromatch from 'micromatch';
import { makeFilter } from './filters.js';
import { GZIP_DEFAULTS, GzipBlockWriter } from './gzip-blocks.js';
import { MissingTreeError, TreeWalker, type WalkHooks, type WalkStats } from './walker.js';

export { MissingTreeError } from './walker.js';

export interface ArchiveRequest {
  /** The buildroot's root directory. */
  root: string;
  /** The whole root, or only `builddir`. */
  full: boolean;
  /** The .tar.gz file to write (created or truncated; removed again on failure). */
  output: string;
  /** The builder config's `[filters] paths`: Python fnmatch globs. */
  filters?: readonly string[];
  /**
   * Capture mode: only files and symlinks matching these globs (micromatch, dot files included,
   * relative to the root), up to `captureMaxBytes` of contents.
   */
  capture?: readonly string[];
  captureMaxBytes?: number;
  level?: number;
  blockSize?: number;
  window?: number;
}

export interface ArchiveOptions extends ArchiveRequest {
  /** Aborting stops the worker and removes the partial file. */
  signal?: AbortSignal;
  onWarning?(message: string): void;
  onInfo?(message: string): void;
  /** Bytes at the start of the output that are final, as they grow (about 10 times a second). */
  onCommitted?(bytes: number): void;
}

export interface ArchiveResult extends WalkStats {
  /** Uncompressed tar bytes. */
  tarBytes: number;
  /** Bytes of the .tar.gz file. */
  size: number;
  seconds: number;
  /** Highest resident set size sampled while archiving (the whole process's, in bytes). */
  peakRss: number;
}

/** Archives in the calling thread; the worker runs this, and so can tests that want no thread. */
export async function archiveHere(req: ArchiveRequest, hooks: WalkHooks): Promise<ArchiveResult> {
  const started = performance.now();
  let peakRss = process.memoryUsage.rss();
  // Reading the RSS costs a /proc read: five times a second is plenty for a figure.
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
  const fd = openSync(req.output, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o600);
  let ok = false;
  let reporter: NodeJS.Timeout | undefined;
  try {
    const gz = new GzipBlockWriter(fd, {
      level: req.level ?? GZIP_DEFAULTS.level,
      blockSize: req.blockSize ?? GZIP_DEFAULTS.blockSize,
      window: req.window ?? GZIP_DEFAULTS.window,
    });
    const capture = req.capture?.length
      ? {
          include: (
            (ms) => (name: string) =>
              ms.some((m) => m(name))
          )(req.capture.map((g) => micromatch.matcher(g, { dot: true }))),
          maxBytes: req.captureMaxBytes ?? Number.MAX_SAFE_INTEGER,
        }
      : null;
    const walker = new TreeWalker(gz, makeFilter(req.filters ?? []), hooks, capture);
    let told = 0;
    if (hooks.committed)
      reporter = setInterval(() => {
        if (gz.committed > told) hooks.committed!((told = gz.committed));
      }, 100);
    const stats = await walker.run(req.root, req.full);
    const { bytesIn, bytesOut } = await gz.end();
    ok = true;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return {
      ...stats,
      tarBytes: bytesIn,
      size: bytesOut,
      seconds: (performance.now() - started) / 1000,
      peakRss,
    };
  } finally {
    clearInterval(sampler);
    clearInterval(reporter);
    closeSync(fd);
    if (!ok) unlinkQuietly(req.output);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

export type WorkerMessage =
  | { kind: 'warn' | 'info'; message: string }
  | { kind: 'committed'; bytes: number }
  | { kind: 'done'; result: ArchiveResult }
  | { kind: 'error'; message: string; missing: boolean };

/** Archives in a worker thread. Rejects with MissingTreeError when the directory is not there. */
export function archiveTree(opts: ArchiveOptions): Promise<ArchiveResult> {
  const { signal, onWarning, onInfo, onCommitted, ...req } = opts;
  return new Promise<ArchiveResult>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    // The walker's heap stays small (stat results, names); a small young generation keeps the
    // worker's share of the RSS small too.
    const worker = new Worker(join(__dirname, 'worker.js'), {
      workerData: req,
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    let settled = false;
    const finish = (err: Error | null, result?: ArchiveResult) => {
      if (settled || aborting) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        unlinkQuietly(req.output);
        reject(err);
      } else resolve(result!);
    };
    // The file is removed only once the worker is gone, so it cannot write (or create) it after.
    let aborting = false;
    const onAbort = () => {
      aborting = true;
      void worker.terminate().finally(() => {
        aborting = false;
        finish(abortError(signal!));
      });
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'warn') onWarning?.(m.message);
      else if (m.kind === 'info') onInfo?.(m.message);
      else if (m.kind === 'committed') onCommitted?.(m.bytes);
      else if (m.kind === 'done') finish(null, m.result);
      else if (m.kind === 'error') finish(m.missing ? new MissingTreeError(m.message) : new Error(m.message));
    });
    worker.on('error', (e) => finish(e));
    worker.on('exit', (code) =>
      finish(new Error(`the archiver's worker exited (code ${code}) without a result`)),
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const e = new Error('archiving was aborted');
  e.cause = signal.reason;
  return e;
}
