import type { LogFilter, RecordedEvent } from './port.js';
import type { CollectionDef } from './read-model.port.js';

/**
 * What a projection reads and writes through: its own collections' documents, synchronously (a
 * BufferedTx, which loads a document it does not hold and applies the event again).
 */
export interface ProjectionTx {
  get<T>(collection: string, key: string): T | null;
  put(collection: string, key: string, doc: object): void;
  delete(collection: string, key: string): void;
}

/**
 * A read model fed from the durable log (never from the in-memory EventBus, DESIGN §3 rule 4).
 * `apply` only touches its own collections through the transaction it is handed, so it can be
 * tested with the memory adapter in given/when/then style and replayed exactly.
 */
export interface Projection {
  readonly name: string;
  /** Bump when `apply` or the document shape changes: the runner rebuilds from zero. */
  readonly version: number;
  readonly collections: CollectionDef[];
  /** Event types it reads; the runner scans past everything else. */
  readonly filter?: LogFilter;
  /**
   * `apply` reads `event.metadata`. A replay parses metadata only for the event types of the
   * projections that say so; any other projection touching it fails (METADATA_NOT_READ).
   */
  readonly readsMetadata?: boolean;
  /** Must be deterministic and touch nothing but `tx`: it may run more than once for one event. */
  apply(event: RecordedEvent, tx: ProjectionTx): void;
}
