// The archiver's worker thread: runs archiveHere with the request it was started with and reports
// warnings, then the result or the failure, to the thread that started it (archive.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { archiveHere, MissingTreeError, type ArchiveRequest, type WorkerMessage } from './archive.js';

const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);

archiveHere(workerData as ArchiveRequest, {
  warn: (message) => send({ kind: 'warn', message }),
  info: (message) => send({ kind: 'info', message }),
  committed: (bytes) => send({ kind: 'committed', bytes }),
}).then(
  (result) => send({ kind: 'done', result }),
  (e: unknown) =>
    send({
      kind: 'error',
      message: e instanceof Error ? e.message : String(e),
      missing: e instanceof MissingTreeError,
    }),
);
