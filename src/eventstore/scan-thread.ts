import { Worker } from 'node:worker_threads';
import { METADATA_NOT_READ } from './metadata-not-read.js';
import type { Checkpoint, EventMetadata, ReadAllPage, RecordedEvent } from './port.js';

/**
 * A page as a scan thread sends it: a column per array, and the data and metadata JSON texts
 * joined into one array text each, so the reading thread parses a page with two calls.
 */
export interface ScanPageMessage {
  ids: string[];
  types: string[];
  schemas: number[];
  streams: string[];
  versions: number[];
  positions: number[];
  checkpoints: string[];
  times: string[];
  data: string;
  /** `null` in place of the metadata of an event whose type was not asked for. */
  metadata: string;
  /** The page's ReadAllPage.checkpoint and atEnd. */
  checkpoint: Checkpoint | null;
  atEnd: boolean;
  /** The last page of the scan. */
  done: boolean;
}

/** What every scan thread is given, besides its store's own fields. */
export interface ScanThreadJob {
  metadataOf: readonly string[] | null;
  /** An Int32Array's buffer: [0] pages the thread may send ahead, [1] the stop flag. */
  credit: SharedArrayBuffer;
}

/**
 * Events per page of a replay, read ahead or not. Small pages keep few parsed events alive at a
 * time: with 10,000 every young-generation collection copied megabytes of them, and GC took a fifth
 * of a rebuild.
 */
export const PAGE_EVENTS = 1_000;

/** Pages read ahead of the reader: enough to ride over a slow page, few enough to hold little memory. */
const AHEAD = 4;

/**
 * Runs a scan thread (`file`, given `job` plus the credit) and yields its pages as ReadAllPages.
 * Stepping the database and building each row's values was half of a replay's reading; in the scan
 * thread it runs beside the replay. Measured on 300,000 events of SQLite, the replay thread's share
 * of the reading fell from about 650 ms to about 300 ms. The thread is stopped when the caller stops
 * early or fails.
 */
export async function* scanInThread<J extends object>(
  file: string,
  job: J & { metadataOf: readonly string[] | null },
): AsyncGenerator<ReadAllPage, void, undefined> {
  const credit = new Int32Array(new SharedArrayBuffer(8));
  credit[0] = AHEAD;
  const worker = new Worker(file, { workerData: { ...job, credit: credit.buffer } });
  const inbox: (ScanPageMessage | Error)[] = [];
  let wake: (() => void) | null = null;
  const arrive = (m: ScanPageMessage | Error) => {
    inbox.push(m);
    wake?.();
    wake = null;
  };
  worker.on('message', arrive);
  worker.on('error', arrive);
  worker.on('exit', (code) =>
    arrive(new Error(`the scan thread stopped (exit ${code}) before the scan's end`)),
  );
  try {
    for (;;) {
      if (!inbox.length) await new Promise<void>((r) => (wake = r));
      const m = inbox.shift()!;
      if (m instanceof Error) throw m;
      Atomics.add(credit, 0, 1);
      Atomics.notify(credit, 0);
      yield toPage(m);
      if (m.done) return;
    }
  } finally {
    Atomics.store(credit, 1, 1);
    Atomics.notify(credit, 0);
    await worker.terminate();
  }
}

function toPage(m: ScanPageMessage): ReadAllPage {
  const n = m.ids.length;
  const data = parsePage(m.data, n, m, 'data') as unknown[];
  const metadata = parsePage(m.metadata, n, m, 'metadata') as (EventMetadata | null)[];
  const events = new Array<RecordedEvent>(n);
  for (let i = 0; i < events.length; i++) {
    // The fields in the order of the stores' own rows, so the replay sees one shape.
    events[i] = {
      eventId: m.ids[i],
      type: m.types[i],
      schemaVersion: m.schemas[i],
      data: data[i],
      metadata: metadata[i] ?? METADATA_NOT_READ,
      stream: m.streams[i],
      streamVersion: m.versions[i],
      position: m.positions[i],
      checkpoint: m.checkpoints[i],
      recordedAt: m.times[i],
    };
  }
  return { events, checkpoint: m.checkpoint, atEnd: m.atEnd };
}

/**
 * One page's JSON texts as an array. A stored text that is not one JSON value (a file edited by
 * hand) would shift every later event of the page onto its neighbour's data, so the count is checked
 * and a failure names the page's positions.
 */
function parsePage(text: string, n: number, m: ScanPageMessage, what: string): unknown[] {
  const where = `unreadable event ${what} between log positions ${m.positions[0]} and ${m.positions[n - 1]}`;
  let out: unknown;
  try {
    out = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(out) || out.length !== n) throw new Error(`${where}: not one JSON value per event`);
  return out;
}

// The scan thread's side.

/** Waits until the reader has room for another page; false once it has stopped. */
export function takeCredit(credit: Int32Array): boolean {
  while (Atomics.load(credit, 0) === 0 && Atomics.load(credit, 1) === 0) Atomics.wait(credit, 0, 0, 1000);
  if (Atomics.load(credit, 1) !== 0) return false;
  Atomics.sub(credit, 0, 1);
  return true;
}

/** Builds one ScanPageMessage, row by row. */
export class PagePacker {
  private m: ScanPageMessage = {
    ids: [],
    types: [],
    schemas: [],
    streams: [],
    versions: [],
    positions: [],
    checkpoints: [],
    times: [],
    data: '',
    metadata: '',
    checkpoint: null,
    atEnd: false,
    done: false,
  };
  private data: string[] = [];
  private metadata: string[] = [];

  constructor(private readonly wanted: ReadonlySet<string> | null) {}

  add(
    id: string,
    type: string,
    schema: number,
    stream: string,
    version: number,
    position: number,
    checkpoint: string,
    time: string,
    data: string,
    metadata: string,
  ): void {
    const m = this.m;
    m.ids.push(id);
    m.types.push(type);
    m.schemas.push(schema);
    m.streams.push(stream);
    m.versions.push(version);
    m.positions.push(position);
    m.checkpoints.push(checkpoint);
    m.times.push(time);
    this.data.push(data);
    this.metadata.push(!this.wanted || this.wanted.has(type) ? metadata : 'null');
  }

  finish(page: { checkpoint: Checkpoint | null; atEnd: boolean; done: boolean }): ScanPageMessage {
    // The stored texts are JSON, so joined they are one valid JSON array.
    return {
      ...this.m,
      ...page,
      data: `[${this.data.join(',')}]`,
      metadata: `[${this.metadata.join(',')}]`,
    };
  }
}
