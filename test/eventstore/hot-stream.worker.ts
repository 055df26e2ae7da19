// A writer in its own thread with its own connection, hammering one stream with exact expected
// versions. Used by the contract suite's concurrency test.
import { parentPort, workerData } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { openBackend } from 'koji-es/eventstore/open';
import { WrongExpectedVersionError } from 'koji-es/eventstore/errors';

interface Input {
  url: string;
  stream: string;
  durationMs: number;
  writer: number;
}

async function main() {
  const { url, stream, durationMs, writer } = workerData as Input;
  const backend = await openBackend(url);
  const ids: string[] = [];
  let conflicts = 0;
  const end = Date.now() + durationMs;
  try {
    while (Date.now() < end) {
      const v = await backend.events.streamVersion(stream);
      const eventId = randomUUID();
      try {
        await backend.events.appendToStream(stream, [{ eventId, type: 'Hit', data: { writer } }], v);
        ids.push(eventId);
      } catch (e) {
        if (e instanceof WrongExpectedVersionError) conflicts++;
        else throw e;
      }
    }
  } finally {
    await backend.close();
  }
  parentPort!.postMessage({ ids, conflicts });
}

main().catch((e: unknown) => {
  parentPort!.postMessage({ error: String((e as Error).stack ?? e) });
});
