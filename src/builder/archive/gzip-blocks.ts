// Parallel multi-member gzip into a file (platform-notes §5, "Parallel multi-member gzip"). Single-stream
// deflate -6 runs at ~29 MB/s on one core whatever the implementation, so the byte stream is cut into
// fixed blocks, each compressed as a complete, independent gzip member by the asynchronous
// `zlib.gzip` on libuv's threadpool, a few at a time, and the members are written strictly in block
// order. RFC 1952 makes a concatenation of members a valid .gz file; gzip, GNU tar and Python's
// tarfile read it as one stream. Memory stays bounded: at most `window` blocks (plus the one
// filling) and their compressed forms are held at once.
//
// `write` takes bytes synchronously (the tar packer pushes into it synchronously) and never waits;
// the producer calls `ready()` between steps, which is where back-pressure happens: when `window`
// members are in flight it waits for the oldest and writes it. `mark()` and `rollback()` let the
// archiver take back everything written since a point, so a file that changes while it is read can
// be dropped from the archive after its bytes were already packed.
import { ftruncateSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzip, type ZlibOptions } from 'node:zlib';

const gzipAsync = promisify<Buffer, ZlibOptions, Buffer>(gzip);

export interface GzipBlockOptions {
  /** Deflate level, 0–9. */
  level: number;
  /** Uncompressed bytes per gzip member. */
  blockSize: number;
  /** Members compressed at once on the threadpool. */
  window: number;
}

/**
 * Level 6, gzip's and pigz's default. Eight members in flight, where the notes measured four: the
 * threadpool has four threads, so four more blocks wait queued and a thread that finishes never idles
 * while the walker (which writes members strictly in order) waits for the oldest one; on a busy
 * 2-core machine that was ~15-20 % faster, for ~15 MB more memory.
 */
export const GZIP_DEFAULTS: GzipBlockOptions = { level: 6, blockSize: 1024 * 1024, window: 8 };

interface Job {
  seq: number;
  /** The uncompressed block, reused once its member is written. */
  input: Buffer;
  promise: Promise<Buffer>;
  result: Buffer | null;
  error: unknown;
}

/** A point of the stream `rollback` can return to. */
export interface Mark {
  readonly seq: number;
  readonly bytesIn: number;
}

export class GzipBlockWriter {
  private block: Buffer;
  private fill = 0;
  private seq = 0;
  private readonly jobs: Job[] = [];
  /** Blocks whose members were written, for reuse: a steady state allocates no new blocks. */
  private readonly spare: Buffer[] = [];
  private written = 0;
  private input = 0;
  /** Output offset where the member of block `markSeq` starts, once that member is written. */
  private markSeq = -1;
  private markOffset = -1;
  private ended = false;
  /**
   * zlib's output buffer: big enough for a whole member (deflate's worst case is a few bytes per
   * 16 KiB stored block), so each block is compressed in one trip to the threadpool. With the default
   * 16 KiB every block would need dozens of round trips through this thread's event loop, which the
   * walker's synchronous calls keep busy, and the threadpool would sit idle in between.
   */
  private readonly outChunk: number;

  constructor(
    private readonly fd: number,
    readonly opts: GzipBlockOptions = GZIP_DEFAULTS,
  ) {
    if (!(opts.blockSize > 0) || !(opts.window > 0)) throw new RangeError('blockSize and window must be > 0');
    this.block = Buffer.allocUnsafe(opts.blockSize);
    this.outChunk = Math.max(64 * 1024, opts.blockSize + (opts.blockSize >> 6) + 1024);
  }

  /** Uncompressed bytes taken so far. */
  get bytesIn(): number {
    return this.input;
  }

  /** Compressed bytes in the file so far (members still in flight not counted). */
  get bytesOut(): number {
    return this.written;
  }

  /**
   * Bytes of the file no rollback can take back any more: everything before the latest mark's first
   * member (a reader may send them on while the archive is still being made).
   */
  get committed(): number {
    return this.markSeq >= 0 && this.markOffset >= 0 ? this.markOffset : this.written;
  }

  /** Takes bytes; full blocks go to the threadpool at once. Call `ready()` between steps. */
  write(data: Uint8Array): void {
    if (this.ended) throw new Error('write after end');
    this.input += data.length;
    let off = 0;
    while (off < data.length) {
      const n = Math.min(data.length - off, this.block.length - this.fill);
      this.block.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.block.length) this.dispatch();
    }
  }

  /** Writes every finished member in order; waits while `window` members are in flight. */
  async ready(): Promise<void> {
    this.writeFinished();
    while (this.jobs.length >= this.opts.window) await this.writeOldest();
  }

  /**
   * Ends the current block here (a short member), so that everything written after this call starts
   * a new member, and returns the point to roll back to.
   */
  mark(): Mark {
    if (this.fill > 0) this.dispatch();
    this.markSeq = this.seq;
    this.markOffset = -1;
    return { seq: this.seq, bytesIn: this.input };
  }

  /** Takes back everything written since `m`: the file is cut where the first later member began. */
  async rollback(m: Mark): Promise<void> {
    if (m.seq !== this.markSeq) throw new Error('rollback to a mark that is not the latest');
    this.fill = 0;
    while (this.jobs.length) await this.writeOldest();
    const at = this.markOffset >= 0 ? this.markOffset : this.written;
    ftruncateSync(this.fd, at);
    this.written = at;
    this.input = m.bytesIn;
    this.markSeq = -1;
  }

  /** Compresses what is left and writes every member; the file is then complete. */
  async end(): Promise<{ bytesIn: number; bytesOut: number }> {
    if (!this.ended) {
      if (this.fill > 0 || this.seq === 0) this.dispatch();
      this.ended = true;
    }
    while (this.jobs.length) await this.writeOldest();
    return { bytesIn: this.input, bytesOut: this.written };
  }

  private dispatch(): void {
    const data = this.block.subarray(0, this.fill);
    const job: Job = {
      seq: this.seq++,
      input: this.block,
      promise: gzipAsync(data, { level: this.opts.level, chunkSize: this.outChunk }),
      result: null,
      error: null,
    };
    // Settled flags let ready() write finished members without waiting; the handler also keeps a
    // failed compression from being reported as an unhandled rejection before it is awaited.
    job.promise.then(
      (r) => (job.result = r),
      (e: unknown) => (job.error = e ?? new Error('gzip failed')),
    );
    this.jobs.push(job);
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(this.opts.blockSize);
    this.fill = 0;
  }

  private writeFinished(): void {
    while (this.jobs.length && (this.jobs[0].result || this.jobs[0].error)) this.emit(this.jobs.shift()!);
  }

  private async writeOldest(): Promise<void> {
    const job = this.jobs[0];
    try {
      await job.promise;
    } catch {
      /* recorded in job.error by the handler set in dispatch() */
    }
    this.jobs.shift();
    this.emit(job);
  }

  private emit(job: Job): void {
    if (job.error) throw job.error;
    const out = job.result!;
    if (this.spare.length <= this.opts.window) this.spare.push(job.input);
    if (job.seq === this.markSeq) this.markOffset = this.written;
    // Positional: after a rollback's ftruncate the fd's own offset would still be past the cut.
    let off = 0;
    while (off < out.length) off += writeSync(this.fd, out, off, out.length - off, this.written + off);
    this.written += out.length;
  }
}
