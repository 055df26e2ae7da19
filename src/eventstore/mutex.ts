/** Runs one function at a time (a SQLite writer connection's transactions). */
export interface WriteLock {
  run<T>(fn: () => Promise<T> | T): Promise<T>;
}

/** An async mutex: the SQLite writer connection runs one transaction at a time, awaits included. */
export class Mutex implements WriteLock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
