import type { LogFilter, RecordedEvent } from './port.js';
import type { CollectionDef, ReadModelTx } from './read-model.port.js';

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
  apply(event: RecordedEvent, tx: ReadModelTx): Promise<void>;
}
