import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How long requests in flight get to finish when the hub stops, before their connections are cut. */
export const DRAIN_MS = 5000;

/**
 * A graceful stop for the hub's HTTP server. Node's server.close() only stops accepting: a client
 * that keeps its connection alive (every builder, a browser) can go on sending requests on it, so a
 * hub with an attached builder never finished closing. Once draining, every reply says
 * `Connection: close`, idle connections are closed as they turn idle, `onDraining` ends long-polls,
 * and whatever is still open after `ms` is cut.
 *
 * Installs its middleware, so it must be called before app.init(); returns the drain function.
 */
export function installHttpDrain(
  app: INestApplication,
): (onDraining: () => void, ms?: number) => Promise<void> {
  let draining = false;
  app.use((_req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (draining) res.setHeader('Connection', 'close');
    next();
  });
  return async (onDraining, ms = DRAIN_MS) => {
    if (draining) return;
    draining = true;
    const server = app.getHttpServer() as Server;
    // The listening socket goes now; app.close() later finds it closed, which it takes in its stride.
    server.close();
    onDraining();
    const deadline = Date.now() + ms;
    for (;;) {
      server.closeIdleConnections();
      if ((await openConnections(server)) === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    server.closeAllConnections();
  };
}

function openConnections(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((e, n) => resolve(e ? 0 : n)));
}
