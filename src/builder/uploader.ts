// Task output uploads from the builder, on the hub's protocol (task-files.ts): base64 chunks at
// offsets with host.uploadFile, then host.finishUpload with the size and SHA-256, after which the hub
// publishes the file under its name. Rebuilt from Koji's ClientSession.uploadWrapper /
// fastUpload (1 MiB chunks at offsets, a final verify), with SHA-256 instead of Adler-32 and with a
// resume: after a broken connection the builder asks host.uploadStatus how much arrived and goes on
// from there instead of starting over.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { KojiError } from '../kernel/errors.js';
import { Aborted, type HubConnection } from './connection.js';

export const UPLOAD_CHUNK = 1024 * 1024;

export type UploadSource = string | Buffer | AsyncIterable<Buffer | Uint8Array>;

export interface UploadOptions {
  /** Koji volume (`failed-tree` for Save Failed Tree's tarballs); DEFAULT when absent. */
  volume?: string | null;
  chunkSize?: number;
  /**
   * A stream whose pieces are sent as they come (split only when longer than the chunk size),
   * for a log that grows while its task runs; it is still published only when finished.
   */
  live?: boolean;
  /**
   * Go on this long after the task is stopped (canceled, or the builder shutting down): the upload
   * of a stopped command's log sends what the source still yields and publishes it, for the hub
   * keeps a stopped task's uploads open a while (LATE_UPLOAD_MS).
   */
  afterAbortMs?: number;
}

export interface Uploaded {
  size: number;
  sha256: string;
  /** Path under the hub's topdir. */
  path: string;
}

async function* fileChunks(path: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** Regroups any byte stream into chunks of exactly `size` bytes (the last may be shorter). */
async function* rechunk(source: AsyncIterable<Buffer | Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const piece of source) {
    let b = Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
    while (b.length > 0) {
      const take = Math.min(size - have, b.length);
      parts.push(b.subarray(0, take));
      have += take;
      b = b.subarray(take);
      if (have === size) {
        yield Buffer.concat(parts, have);
        parts = [];
        have = 0;
      }
    }
  }
  if (have > 0) yield Buffer.concat(parts, have);
}

/** Each piece as it comes, in slices of at most `size` bytes; empty pieces are skipped. */
async function* asTheyCome(source: AsyncIterable<Buffer | Uint8Array>, size: number): AsyncGenerator<Buffer> {
  for await (const piece of source) {
    const b = Buffer.isBuffer(piece) ? piece : Buffer.from(piece);
    for (let off = 0; off < b.length; off += size) yield b.subarray(off, off + size);
  }
}

function chunksOf(source: UploadSource, size: number, live = false): AsyncIterable<Buffer> {
  if (typeof source === 'string') return fileChunks(source, size);
  if (live && !Buffer.isBuffer(source)) return asTheyCome(source, size);
  if (Buffer.isBuffer(source))
    return (async function* () {
      for (let off = 0; off < source.length; off += size) yield source.subarray(off, off + size);
    })();
  return rechunk(source, size);
}

/** The uploads of one task. */
export class TaskUploader {
  constructor(
    private readonly hub: HubConnection,
    readonly taskId: number,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Uploads a file (a path), bytes, or a stream as task output `name`. A path can be read again, so
   * it resumes from what the hub already holds and starts over once if the hub finds the result
   * corrupt; a stream is sent once, each chunk retried until the hub has it.
   */
  async upload(name: string, source: UploadSource, opts: UploadOptions = {}): Promise<Uploaded> {
    if (opts.afterAbortMs === undefined) return this.uploadUntil(this.signal, name, source, opts);
    const ctl = new AbortController();
    const grace = opts.afterAbortMs;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => ctl.abort(this.signal.reason), grace);
    };
    if (this.signal.aborted) onAbort();
    else this.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.uploadUntil(ctl.signal, name, source, opts);
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    }
  }

  private async uploadUntil(
    signal: AbortSignal,
    name: string,
    source: UploadSource,
    opts: UploadOptions,
  ): Promise<Uploaded> {
    const volume = opts.volume ?? null;
    const chunk = opts.chunkSize ?? UPLOAD_CHUNK;
    const rereadable = typeof source === 'string' || Buffer.isBuffer(source);
    let resumeAt = rereadable ? await this.status(signal, name, volume) : 0;
    for (let attempt = 0; ; attempt++) {
      const { size, sha256 } = await this.send(
        signal,
        name,
        chunksOf(source, chunk, opts.live),
        volume,
        resumeAt,
        !!opts.live && resumeAt === 0,
      );
      try {
        return await this.hub.retry<Uploaded>(
          'host.finishUpload',
          [this.taskId, name, size, sha256, volume],
          signal,
        );
      } catch (e) {
        // The hub deletes a corrupt upload; a re-readable source is sent again from the start.
        const corrupt = e instanceof KojiError && /is corrupt|expected \d+; resume/.test(e.message);
        if (!corrupt || !rereadable || attempt > 0) throw e;
        resumeAt = 0;
      }
    }
  }

  private async status(signal: AbortSignal, name: string, volume: string | null): Promise<number> {
    const s = await this.hub.retry<{ size: number }>(
      'host.uploadStatus',
      [this.taskId, name, volume],
      signal,
    );
    return s.size;
  }

  private async send(
    signal: AbortSignal,
    name: string,
    chunks: AsyncIterable<Buffer>,
    volume: string | null,
    resumeAt: number,
    /** Make the (empty) upload on the hub before the first byte: a live log's start is not delayed by it. */
    early = false,
  ): Promise<{ size: number; sha256: string }> {
    const hash = createHash('sha256');
    let offset = 0;
    let sent = false;
    if (early) {
      await this.sendChunk(signal, name, 0, Buffer.alloc(0), volume);
      sent = true;
    }
    for await (const c of chunks) {
      if (signal.aborted) throw new Aborted(signal.reason);
      hash.update(c);
      const end = offset + c.length;
      if (end > resumeAt) {
        const from = Math.max(offset, resumeAt);
        await this.sendChunk(signal, name, from, c.subarray(from - offset), volume);
        sent = true;
      }
      offset = end;
    }
    // An empty file still needs its (empty) partial upload on the hub before finishUpload.
    if (!sent && offset === 0) await this.sendChunk(signal, name, 0, Buffer.alloc(0), volume);
    return { size: offset, sha256: hash.digest('hex') };
  }

  /**
   * One chunk, until the hub has it. A resend after a broken connection is harmless: the hub
   * truncates a partial upload to the offset it is given and writes the chunk again.
   */
  private async sendChunk(
    signal: AbortSignal,
    name: string,
    at: number,
    data: Buffer,
    volume: string | null,
  ): Promise<void> {
    await this.hub.retry('host.uploadFile', [this.taskId, name, at, data.toString('base64'), volume], signal);
  }
}
