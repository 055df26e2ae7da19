import type { LogFilter, RecordedEvent } from './port.js';

export function matchesFilter(e: { type: string; stream: string }, filter?: LogFilter): boolean {
  if (!filter) return true;
  if (filter.types && !filter.types.includes(e.type)) return false;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((p) => e.stream.startsWith(p))) return false;
  return true;
}

export function positionFromPadded(checkpoint: string): number {
  const n = Number(checkpoint.slice(checkpoint.lastIndexOf(':') + 1));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a checkpoint: ${checkpoint}`);
  return n;
}

export type { RecordedEvent };
