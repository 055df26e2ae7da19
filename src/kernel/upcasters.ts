/**
 * Events are facts kept forever: an old shape is never edited. A new version of an event type
 * comes with an upcaster from the previous version, and readers apply the chain on load.
 */
export type Upcaster = (data: unknown) => unknown;

export class UpcasterRegistry {
  private chains = new Map<string, Map<number, Upcaster>>();

  /** Registers the conversion of `type` data from version `from` to `from + 1`. */
  register(type: string, from: number, upcast: Upcaster): this {
    const chain = this.chains.get(type) ?? new Map<number, Upcaster>();
    if (chain.has(from)) throw new Error(`duplicate upcaster for ${type} v${from}`);
    chain.set(from, upcast);
    this.chains.set(type, chain);
    return this;
  }

  latestVersion(type: string): number {
    const chain = this.chains.get(type);
    return chain ? Math.max(...chain.keys()) + 1 : 1;
  }

  upcast<E extends { type: string; schemaVersion: number; data: unknown }>(event: E): E {
    const chain = this.chains.get(event.type);
    if (!chain) return event;
    let { data, schemaVersion } = event;
    for (let step = chain.get(schemaVersion); step; step = chain.get(schemaVersion)) {
      data = step(data);
      schemaVersion += 1;
    }
    return schemaVersion === event.schemaVersion ? event : { ...event, data, schemaVersion };
  }
}

/** The process-wide registry modules add their upcasters to. */
export const upcasters = new UpcasterRegistry();
