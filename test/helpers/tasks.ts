// Helpers for the tasks module's end-to-end and CLI tests: builder hosts with API tokens, chunked
// uploads as a builder makes them, event counts from the log, and waiting for asynchronous effects.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Creds, TestHub } from './hub.js';

export interface Host {
  id: number;
  name: string;
  creds: Creds;
}

/** A builder host (admin's addHost) that authenticates with an API token, as a builder daemon would. */
export async function addHost(h: TestHub, name: string, arches: string[] = ['x86_64']): Promise<Host> {
  const id = await h.call<number>('addHost', [name, arches], h.admin);
  const t = await h.call<{ token: string }>('createAPIToken', [name, `${name} daemon`], h.admin);
  return { id, name, creds: { token: t.token } };
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Bytes that differ at every offset, so a chunk written at the wrong place shows. */
export function pattern(size: number, seed = 7): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * seed + (i >> 8) + 3) & 0xff;
  return b;
}

/** The builder's upload: chunks at offsets (host.uploadFile), then host.finishUpload with size and sha256. */
export async function upload(
  h: TestHub,
  host: Host,
  taskId: number,
  name: string,
  data: Buffer,
  chunk = 64 * 1024,
  volume: string | null = null,
): Promise<{ size: number; sha256: string; path: string }> {
  for (let off = 0; off < data.length || off === 0; off += chunk) {
    await h.call(
      'host.uploadFile',
      [taskId, name, off, data.subarray(off, off + chunk).toString('base64'), volume],
      host.creds,
    );
    if (data.length === 0) break;
  }
  return h.call('host.finishUpload', [taskId, name, data.length, sha256(data), volume], host.creds);
}

/** How many events of a type the whole log holds (read page by page through the store). */
export async function countEvents(
  h: TestHub,
  type: string,
  match?: (data: unknown) => boolean,
): Promise<number> {
  let n = 0;
  let after: string | null = null;
  for (;;) {
    const page = await h.hub.backend.events.readAll({ after, maxCount: 500, filter: { types: [type] } });
    n += match ? page.events.filter((e) => match(e.data)).length : page.events.length;
    if (page.atEnd) return n;
    after = page.checkpoint;
  }
}

/** Retries an assertion until it passes or the time is up (effects of background work). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 5000, stepMs = 20): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}

/** Opens a task as a host, failing loudly if the hub refuses. */
export async function open(h: TestHub, host: Host, taskId: number): Promise<void> {
  const t = await h.call<{ state: number; host_id: number }>('host.openTask', [taskId], host.creds);
  assert.equal(t.state, 1);
  assert.equal(t.host_id, host.id);
}
