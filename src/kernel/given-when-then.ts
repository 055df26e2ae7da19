import assert from 'node:assert/strict';
import type { Decider, DomainEvent } from './decider.js';
import { fold } from './decider.js';
import { KojiError, type FaultName } from './errors.js';
import { applyEvents } from '../eventstore/buffered-tx.js';
import { MemoryReadModelStore } from '../eventstore/memory.read-model.js';
import type { Projection } from '../eventstore/projection.js';
import type { RecordedEvent } from '../eventstore/port.js';
import type { ReadModelReader } from '../eventstore/read-model.port.js';

/**
 * given(decider, past events).when(command).then(expected events) — or .thenFails(class, message).
 * Deciders are pure, so these tests run in microseconds and need no store.
 */
export function given<C, S, E extends DomainEvent>(decider: Decider<C, S, E>, past: E[] = []) {
  return {
    when(command: C) {
      const run = () => decider.decide(command, fold(decider, past));
      return {
        then(expected: E[]) {
          assert.deepEqual(run(), expected);
        },
        thenFails(fault: FaultName, message: string | RegExp) {
          assert.throws(run, (e: unknown) => {
            assert.ok(e instanceof KojiError, `expected a KojiError, got ${String(e)}`);
            assert.equal(e.faultName, fault);
            if (typeof message === 'string') assert.equal(e.message, message);
            else assert.match(e.message, message);
            return true;
          });
        },
      };
    },
    /** The state after the past events, for assertions on evolve. */
    state(): S {
      return fold(decider, past);
    },
  };
}

let position = 0;

/** Wraps domain events as recorded ones, as the log would deliver them to a projection. */
export function recorded(
  stream: string,
  events: DomainEvent[],
  meta: Record<string, unknown> = {},
): RecordedEvent[] {
  return events.map((e, i) => {
    position += 1;
    return {
      eventId: `test-${position}`,
      type: e.type,
      schemaVersion: e.schemaVersion ?? 1,
      data: e.data,
      metadata: { recordedTime: '2026-01-01T00:00:00.000Z', ...meta },
      stream,
      streamVersion: i + 1,
      position,
      checkpoint: String(position).padStart(20, '0'),
      recordedAt: '2026-01-01T00:00:00.000Z',
    };
  });
}

/** givenEvents(projection, events) → a reader over the read model they produce. */
export async function project(projection: Projection, events: RecordedEvent[]): Promise<ReadModelReader> {
  const store = new MemoryReadModelStore();
  await store.ensureCollections(projection.collections);
  await store.applyBatch(projection.name, null, 'end', projection.version, async (tx) => {
    await applyEvents(tx, projection, events);
  });
  return store.reader;
}
