// The handler interface, with a BuilderDaemon in the test's process and handlers made for the test:
// results, Koji faults and other errors as the hub records them, the task's work directory, task
// output through the resumable sha256-checked upload, cancel reaching the handler's AbortSignal,
// Koji's sleep arguments, and stop() failing what outlives the grace period. Plus builder.conf.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadBuilderConfig, type BuilderConfig } from 'koji-es/builder/config';
import { BuilderDaemon } from 'koji-es/builder/daemon';
import { abortReason, HandlerRegistry, type AbortReason, type TaskHandler } from 'koji-es/builder/handler';
import { sleepHandler } from 'koji-es/builder/sleep.handler';
import { makeLogger } from 'koji-es/builder/log';
import { KojiError } from 'koji-es/kernel/errors';
import { eventually, makeHost, STATE, taskInfo, waitForState, type TestHost } from '../helpers/builder.js';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

let h: TestHub;
let tmp: { dir: string; cleanup: () => void };
let host: TestHost;
let daemon: BuilderDaemon | null = null;
const logLines: string[] = [];
const seen = new Map<number, { workdir?: string; reason?: AbortReason | null }>();

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + (i >> 9)) & 0xff));
const BIG = bytes(2.5 * 1024 * 1024, 7);
const SMALL = Buffer.from('hello, hub\n');

const handlers: TaskHandler[] = [
  sleepHandler,
  { method: 'giveResult', taskWeight: 0.5, run: async (t) => ({ echo: t.args, kw: t.kwargs }) },
  {
    method: 'failKoji',
    taskWeight: 1,
    run: async () => {
      throw new KojiError('BuildrootError', 'the buildroot fell over');
    },
  },
  {
    method: 'failPlain',
    taskWeight: 1,
    run: async () => {
      throw new TypeError('cannot read the thing');
    },
  },
  {
    method: 'useWorkdir',
    taskWeight: 1,
    run: async (t, ctx) => {
      writeFileSync(join(ctx.workdir, 'scratch'), 'x');
      seen.set(t.id, { workdir: ctx.workdir });
      return existsSync(join(ctx.workdir, 'scratch'));
    },
  },
  {
    method: 'uploadThings',
    taskWeight: 1,
    run: async (t, ctx) => {
      const path = join(ctx.workdir, 'big.bin');
      writeFileSync(path, BIG);
      // A partial upload left by an earlier attempt: right bytes resume, wrong bytes start over.
      const partial = t.args[0] === 'wrong-partial' ? bytes(1024 * 1024, 3) : BIG.subarray(0, 1024 * 1024);
      await ctx.hub.call('host.uploadFile', [t.id, 'big.bin', 0, partial.toString('base64'), null]);
      const big = await ctx.upload.upload('big.bin', path);
      const small = await ctx.upload.upload('small.txt', SMALL);
      const empty = await ctx.upload.upload('empty.txt', Buffer.alloc(0));
      const stream = await ctx.upload.upload(
        'stream.bin',
        (async function* () {
          for (let i = 0; i < BIG.length; i += 100_000) yield BIG.subarray(i, i + 100_000);
        })(),
        { volume: 'failed-tree', chunkSize: 256 * 1024 },
      );
      return { big, small, empty, stream };
    },
  },
  {
    method: 'waitForAbort',
    taskWeight: 0.5,
    run: async (t, ctx) => {
      // Canceled before the handler got this far (a loaded machine), the signal has already fired.
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      seen.set(t.id, { reason: abortReason(ctx.signal) });
      return null;
    },
  },
];

function config(extra: Record<string, string> = {}): BuilderConfig {
  return loadBuilderConfig(
    {
      '--config-dir': join(tmp.dir, 'no-config'),
      '--server': h.url,
      '--token-file': host.tokenFile,
      '--workdir': join(tmp.dir, 'work'),
      '--sleeptime': '0.05',
      ...extra,
    },
    {},
  );
}

function newDaemon(c: BuilderConfig): BuilderDaemon {
  const registry = new HandlerRegistry();
  for (const x of handlers) registry.register(x);
  return new BuilderDaemon(c, {
    handlers: registry,
    log: makeLogger((level, line) => logLines.push(`${level} ${line}`)),
  });
}

before(async () => {
  tmp = tempDir('koji-es-builder-handlers-');
  h = await startTestHub();
  host = await makeHost(h, tmp.dir, 'handlers');
  daemon = newDaemon(config({ '--shutdown-grace': '0.3' }));
  await daemon.start();
});
after(async () => {
  await daemon?.stop();
  await h?.close();
  tmp?.cleanup();
});

const make = (method: string, args: unknown[] = [], opts: Record<string, unknown> = {}) =>
  h.call<number>('makeTask', [method, args, { ...opts, __starstar: true }], h.admin);
const result = (id: number) => h.call<unknown>('getTaskResult', [id, false]);

describe('handler outcomes', () => {
  test("the resolved value is the result; keyword arguments arrive decoded; the weight is the handler's", async () => {
    const id = await make('giveResult', [1, 'two', { x: 3, __starstar: true }]);
    await waitForState(h, id, STATE.CLOSED);
    assert.deepEqual(await result(id), { echo: [1, 'two'], kw: { x: 3 } });
    assert.equal((await taskInfo(h, id)).weight, 0.5);
  });

  test('a KojiError fails the task with its class and message', async () => {
    const id = await make('failKoji');
    await waitForState(h, id, STATE.FAILED);
    assert.deepEqual(await result(id), { faultCode: 1012, faultString: 'the buildroot fell over' });
    const r = await h.rpc('getTaskResult', [id]);
    assert.equal((r.body.error?.data as { name: string }).name, 'BuildrootError');
  });

  test('any other error fails it as a GenericError with a clear message and no stack trace', async () => {
    const id = await make('failPlain');
    await waitForState(h, id, STATE.FAILED);
    const f = (await result(id)) as { faultCode: number; faultString: string };
    assert.equal(f.faultCode, 1000);
    assert.match(
      f.faultString,
      /^TypeError: cannot read the thing \(an unexpected error in the failPlain handler on host handlers/,
    );
    assert.doesNotMatch(f.faultString, /\bat .+:\d+/);
    assert.ok(
      logLines.some((l) => /failPlain.*TypeError: cannot read the thing\n\s+at /.test(l)),
      'the stack is logged locally',
    );
  });

  test("Koji's sleep checks its argument: ParameterError", async () => {
    const noArg = await make('sleep', []);
    const badArg = await make('sleep', ['soon']);
    await waitForState(h, noArg, STATE.FAILED);
    await waitForState(h, badArg, STATE.FAILED);
    assert.equal(((await result(noArg)) as { faultCode: number }).faultCode, 1019);
    assert.match(((await result(badArg)) as { faultString: string }).faultString, /seconds must be a number/);
  });

  test('each task works in <workdir>/tasks/<id % 10000>/<id>, removed when it ends', async () => {
    const id = await make('useWorkdir');
    await waitForState(h, id, STATE.CLOSED);
    assert.equal(await result(id), true);
    assert.equal(seen.get(id)?.workdir, join(tmp.dir, 'work', 'tasks', String(id % 10000), String(id)));
    assert.equal(existsSync(seen.get(id)!.workdir!), false);
  });
});

describe('task output', () => {
  for (const variant of ['right-partial', 'wrong-partial'])
    test(`files, bytes and streams reach the hub intact (${variant} left by an earlier attempt)`, async () => {
      const id = await make('uploadThings', [variant]);
      await waitForState(h, id, STATE.CLOSED);
      const r = (await result(id)) as Record<string, { size: number; sha256: string }>;
      assert.equal(r.big.size, BIG.length);
      assert.equal(r.big.sha256, sha(BIG));
      assert.equal(r.stream.sha256, sha(BIG));
      assert.equal(r.empty.size, 0);
      assert.deepEqual(await h.call('listTaskOutput', [id, false, true]), {
        'big.bin': ['DEFAULT'],
        'empty.txt': ['DEFAULT'],
        'small.txt': ['DEFAULT'],
        'stream.bin': ['failed-tree'],
      });
      const down = async (name: string, volume: string | null) =>
        Buffer.from(await h.call<string>('downloadTaskOutput', [id, name, 0, -1, volume]), 'base64');
      assert.equal(sha(await down('big.bin', null)), sha(BIG));
      assert.deepEqual(await down('small.txt', null), SMALL);
      assert.equal(sha(await down('stream.bin', 'failed-tree')), sha(BIG));
    });
});

describe('cancel and stop', () => {
  test('a task canceled on the hub aborts its handler; the builder goes on', async () => {
    const id = await make('waitForAbort');
    await waitForState(h, id, STATE.OPEN);
    await h.call('cancelTask', [id], h.admin);
    await eventually(async () => assert.ok(seen.get(id), 'the handler saw the cancel'));
    assert.equal(seen.get(id)!.reason?.kind, 'canceled');
    assert.equal((await taskInfo(h, id)).state, STATE.CANCELED);
    const next = await make('sleep', [0]);
    await waitForState(h, next, STATE.CLOSED);
  });

  test('stop(): a task that outlives shutdown_grace FAILS with the shutdown fault; none stays OPEN', async () => {
    const quick = await make('sleep', [0.1]);
    const slow = await make('waitForAbort');
    await waitForState(h, slow, STATE.OPEN);
    const r = await daemon!.stop();
    daemon = null;
    assert.deepEqual(r, { failed: [slow], unreported: [] });
    assert.equal(seen.get(slow)?.reason?.kind, 'shutdown');
    assert.deepEqual(await result(slow), {
      faultCode: 1000,
      faultString: 'builder handlers shut down before the task finished',
    });
    assert.equal((await taskInfo(h, quick)).state, STATE.CLOSED);
    const open = await h.call<unknown[]>('listTasks', [{ state: [STATE.OPEN], host_id: [host.id] }]);
    assert.deepEqual(open, []);
  });
});

describe('builder.conf', () => {
  test('flag > KOJI_ES_* environment > [kojid] in builder.conf > default', () => {
    const dir = join(tmp.dir, 'conf');
    mkdirSync(join(dir, 'builder'), { recursive: true });
    writeFileSync(
      join(dir, 'builder', 'builder.conf'),
      '[kojid]\nserver = http://hub.example.com/kojihub\nuser = b1\nmaxjobs = 4\nsleeptime = 15\nshutdown_grace = 2\n',
    );
    const base = { '--config-dir': dir };
    const c = loadBuilderConfig(base, {}, tmp.dir);
    assert.equal(c.server, 'http://hub.example.com/rpc');
    assert.equal(c.host, 'b1');
    assert.equal(c.maxjobs, 4);
    assert.equal(c.sleeptimeMs, 15_000);
    assert.equal(c.shutdownGraceMs, 2000);
    assert.equal(c.failedBuildrootLifetimeSec, 14400);
    assert.equal(c.workdir, null);
    assert.equal(c.workRoot, join(tmp.dir, 'data', 'builder'));
    assert.equal(loadBuilderConfig(base, { KOJI_ES_BUILDER_MAXJOBS: '5' }, tmp.dir).maxjobs, 5);
    assert.equal(
      loadBuilderConfig({ ...base, '--maxjobs': '6' }, { KOJI_ES_BUILDER_MAXJOBS: '5' }, tmp.dir).maxjobs,
      6,
    );
    assert.equal(loadBuilderConfig({ '--config-dir': join(dir, 'none') }, {}, tmp.dir).maxjobs, 10);
  });

  test('credentials: a token file, a password file, never both from one level; bad values name the key', () => {
    const dir = join(tmp.dir, 'creds');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 't'), 'tok-123\n', { mode: 0o600 });
    writeFileSync(join(dir, 'p'), 'pass word\n', { mode: 0o600 });
    const none = { '--config-dir': join(dir, 'none') };
    assert.equal(loadBuilderConfig({ ...none, '--token-file': join(dir, 't') }, {}).token, 'tok-123');
    const pw = loadBuilderConfig({ ...none, '--password-file': join(dir, 'p'), '--host': 'b1' }, {});
    assert.equal(pw.password, 'pass word');
    assert.equal(pw.token, null);
    assert.throws(
      () =>
        loadBuilderConfig({ ...none, '--token-file': join(dir, 't'), '--password-file': join(dir, 'p') }, {}),
      /either a token file or a password file/,
    );
    // A flag wins over the environment's other credential.
    const mixed = loadBuilderConfig(
      { ...none, '--token-file': join(dir, 't') },
      { KOJI_ES_BUILDER_PASSWORD_FILE: join(dir, 'p') },
    );
    assert.equal(mixed.token, 'tok-123');
    assert.throws(
      () => loadBuilderConfig({ ...none, '--password-file': join(dir, 'p') }, {}),
      /needs the host name/,
    );
    assert.throws(
      () => loadBuilderConfig({ ...none, '--maxjobs': '0' }, {}),
      /maxjobs = 0 must be at least 1/,
    );
    assert.throws(
      () => loadBuilderConfig({ ...none, '--sleeptime': 'soon' }, {}),
      /sleeptime = "soon" is not a number/,
    );
    assert.throws(
      () => loadBuilderConfig({ ...none, '--token-file': join(dir, 'missing') }, {}),
      /cannot read: ENOENT/,
    );
  });
});
