import { sha256File } from '../modules/tasks/task-files.js';

/** Files this big are not hashed for a page view: reading them would hold the page for seconds. */
export const HASH_LIMIT = 256 * 1024 * 1024;

const MAX_ENTRIES = 4096;

/**
 * SHA-256 of task output, computed when a page first shows a file and kept per path, mtime and size,
 * so a re-published file (a log uploaded again) is hashed again and an unchanged one never is.
 * Concurrent views of one file share one computation.
 */
export class Checksums {
  private readonly cache = new Map<string, Promise<string>>();

  /** null when the file is too big to hash here. */
  async of(path: string, size: number, mtimeMs: number): Promise<string | null> {
    if (size >= HASH_LIMIT) return null;
    const key = `${path}\0${mtimeMs}\0${size}`;
    let p = this.cache.get(key);
    if (p) {
      // Most recently used last, so eviction drops the oldest.
      this.cache.delete(key);
      this.cache.set(key, p);
      return p;
    }
    p = sha256File(path);
    this.cache.set(key, p);
    p.catch(() => this.cache.delete(key));
    while (this.cache.size > MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    return p;
  }

  get size(): number {
    return this.cache.size;
  }
}
