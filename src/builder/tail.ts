// A file read back while it is written, handed to the uploader, which sends each piece to the hub
// at once (the hub publishes the file under its name only when the upload finishes with its
// SHA-256): runroot.log while the command runs, and Save Failed Tree's tarball while it is made.
import { open } from 'node:fs/promises';

const READ = 1024 * 1024;

export class LogTail {
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  /**
   * @param limit Bytes of the file that are final, when the writer may still take back what it
   *   wrote after them (the archiver drops a file that changed while it was read); null: all of it.
   */
  constructor(
    private readonly path: string,
    private readonly everyMs = 500,
    private limit: number | null = null,
  ) {}

  /** More of the file is final (see `limit`). */
  advance(limit: number): void {
    if (this.limit !== null && limit > this.limit) {
      this.limit = limit;
      this.wake?.();
    }
  }

  /** The writer is done: read what is left and stop. */
  end(): void {
    this.ended = true;
    this.limit = null;
    this.wake?.();
  }

  /** The writer failed: the reader stops with this error instead of ending the file. */
  fail(e: Error): void {
    this.failure = e;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    let fh: Awaited<ReturnType<typeof open>> | null = null;
    let pos = 0;
    try {
      for (;;) {
        if (this.failure) throw this.failure;
        // Read `ended` first: whatever was written before it was set is then read below.
        const last = this.ended;
        fh ??= await open(this.path, 'r').catch(() => null);
        if (fh)
          for (;;) {
            const want = this.limit === null ? READ : Math.min(READ, this.limit - pos);
            if (want <= 0) break;
            const buf = Buffer.alloc(want);
            const { bytesRead } = await fh.read(buf, 0, want, pos);
            if (bytesRead === 0) break;
            pos += bytesRead;
            yield buf.subarray(0, bytesRead);
            if (this.failure) throw this.failure;
          }
        if (last) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(t);
            this.wake = null;
            resolve();
          };
          const t = setTimeout(done, this.everyMs);
          this.wake = done;
          if (this.ended || this.failure) done();
        });
      }
    } finally {
      await fh?.close();
    }
  }
}
