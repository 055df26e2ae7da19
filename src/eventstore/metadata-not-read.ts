import type { EventMetadata } from './port.js';

const refuse = (what: string): never => {
  throw new Error(
    `the metadata of this event was not read (${what}): a projection that reads event metadata must say so (readsMetadata)`,
  );
};

/**
 * What an event carries as metadata when a scan was told its type's metadata is not used
 * (ScanOptions.metadataOf). Touching it is a wrong declaration, so it fails loudly rather than
 * looking empty. Symbol keys answer undefined: Node's inspect asks for them when printing.
 */
export const METADATA_NOT_READ: EventMetadata = new Proxy(Object.freeze({}) as EventMetadata, {
  get: (_t, key) => (typeof key === 'symbol' ? undefined : refuse(`.${key}`)),
  has: (_t, key) => refuse(`${String(key)} in`),
  ownKeys: () => refuse('its keys'),
});
