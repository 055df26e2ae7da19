// runroot.log while the command runs: the bytes the sandbox runner appends to the host file, read
// back every ~½ s and handed to the uploader, which sends each piece to the hub at once. The hub
// publishes the file under its name only when the upload finishes with its SHA-256.
import { open } from 'node:fs/promises';

const READ = 1024 * 1024;

export class LogTail {
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly path: string,
    private readonly everyMs = 500,
  ) {}

  /** The writer is done: read what is left and stop. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    let fh: Awaited<ReturnType<typeof open>> | null = null;
    let pos = 0;
    try {
      for (;;) {
        // Read `ended` first: whatever was written before it was set is then read below.
        const last = this.ended;
        fh ??= await open(this.path, 'r').catch(() => null);
        if (fh)
          for (;;) {
            const buf = Buffer.alloc(READ);
            const { bytesRead } = await fh.read(buf, 0, READ, pos);
            if (bytesRead === 0) break;
            pos += bytesRead;
            yield buf.subarray(0, bytesRead);
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
          if (this.ended) done();
        });
      }
    } finally {
      await fh?.close();
    }
  }
}
