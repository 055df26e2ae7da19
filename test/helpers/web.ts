// Helpers for the web page tests: users with passwords, the login form over plain HTTP, and the
// tasks the pages show — a failed task with a buildroot, a saved tree (made the way a builder makes
// one: open the saveFailedTree task, upload the tarball to volume failed-tree, treeArchived, close),
// and a running task whose runroot.log keeps growing.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { Creds, TestHub } from './hub.js';
import { open, sha256, type Host } from './tasks.js';

/** A normal user who logs in with a password. */
export async function addUser(h: TestHub, name: string, password: string): Promise<Creds> {
  await h.call('createUser', [name], h.admin);
  await h.call('setUserPassword', [name, password], h.admin);
  return h.login(name, password);
}

export interface FormReply {
  status: number;
  location: string | null;
  setCookie: string | null;
  /** `koji_es_session=<id>:<key>`, ready for a Cookie header. */
  cookie: string | null;
  body: string;
}

/** POSTs the login form as a browser on the hub's own page would (Origin = the hub). */
export async function formLogin(
  h: TestHub,
  fields: Record<string, string>,
  headers: Record<string, string> = { origin: h.url },
  query = '',
): Promise<FormReply> {
  const res = await fetch(`${h.url}/koji/login${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  const setCookie = res.headers.get('set-cookie');
  return {
    status: res.status,
    location: res.headers.get('location'),
    setCookie,
    cookie: setCookie ? setCookie.split(';')[0] : null,
    body: await res.text(),
  };
}

/**
 * The markup without the line breaks and indentation between elements (the templates are
 * formatted source), so tests can match `<tr><th>k</th><td>v</td></tr>` whatever the layout.
 */
export const flat = (markup: string): string => markup.replace(/\s*\n\s*/g, '').replace(/\s*\/>/g, '>');

/** A page's status and text (`flat` as well), with the cookie when given. */
export async function getPage(
  h: TestHub,
  path: string,
  cookie?: string | null,
): Promise<{ status: number; body: string; flat: string; headers: Headers }> {
  const res = await fetch(`${h.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  const body = await res.text();
  return { status: res.status, body, flat: flat(body), headers: res.headers };
}

/** A runroot task (made by admin) that a host opened, ran in a new buildroot, and failed. */
export async function failedTaskWithBuildroot(
  h: TestHub,
  host: Host,
  opts: { label?: string; arglist?: unknown[] } = {},
): Promise<{ taskId: number; buildrootId: number }> {
  const taskId = await h.call<number>(
    'makeTask',
    [
      'runroot',
      opts.arglist ?? ['f40-build', 'x86_64', ['false']],
      { arch: 'x86_64', label: opts.label, __starstar: true },
    ],
    h.admin,
  );
  await open(h, host, taskId);
  const buildrootId = await h.call<number>('host.newBuildRoot', [null, 'x86_64', taskId], host.creds);
  await h.call(
    'host.failTask',
    [taskId, { faultCode: 1000, faultString: 'command exited with status 1', name: 'GenericError' }],
    host.creds,
  );
  return { taskId, buildrootId };
}

export interface SavedTree {
  taskId: number;
  file: string;
  size: number;
  sha256: string;
  data: Buffer;
}

/** saveFailedTree as `by`, then the host's side of it: the tarball uploaded and recorded. */
export async function saveTree(
  h: TestHub,
  host: Host,
  buildrootId: number,
  by: Creds = h.admin,
): Promise<SavedTree> {
  const taskId = await h.call<number>('saveFailedTree', [buildrootId, false], by);
  await open(h, host, taskId);
  const file = `broot-${buildrootId}.tar.gz`;
  const data = gzipSync(Buffer.from(`builddir/ of buildroot ${buildrootId}\n`.repeat(500 + buildrootId)));
  const digest = sha256(data);
  const chunk = 4096;
  for (let off = 0; off < data.length; off += chunk)
    await h.call(
      'host.uploadFile',
      [taskId, file, off, data.subarray(off, off + chunk).toString('base64'), 'failed-tree'],
      host.creds,
    );
  await h.call('host.finishUpload', [taskId, file, data.length, digest, 'failed-tree'], host.creds);
  await h.call(
    'host.treeArchived',
    [taskId, file, 'failed-tree', data.length, digest, 3, 0, 2, 0],
    host.creds,
  );
  await h.call('host.closeTask', [taskId, { file, volume: 'failed-tree' }], host.creds);
  return { taskId, file, size: data.length, sha256: digest, data };
}

/** A runroot task a host has open, whose runroot.log the test appends to as a builder streams it. */
export async function runningLog(
  h: TestHub,
  host: Host,
): Promise<{ taskId: number; append(data: string | Buffer): Promise<void>; finish(): Promise<void> }> {
  const taskId = await h.call<number>(
    'makeTask',
    ['runroot', ['f40-build', 'x86_64', ['make']], { arch: 'x86_64', __starstar: true }],
    h.admin,
  );
  await open(h, host, taskId);
  let sent = Buffer.alloc(0);
  return {
    taskId,
    async append(data: string | Buffer) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const r = await h.call<{ size: number }>(
        'host.uploadFile',
        [taskId, 'runroot.log', sent.length, bytes.toString('base64')],
        host.creds,
      );
      sent = Buffer.concat([sent, bytes]);
      assert.equal(r.size, sent.length);
    },
    async finish() {
      await h.call('host.finishUpload', [taskId, 'runroot.log', sent.length, sha256(sent)], host.creds);
      await h.call('host.closeTask', [taskId, 0], host.creds);
    },
  };
}
