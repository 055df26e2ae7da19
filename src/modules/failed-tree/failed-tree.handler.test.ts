// Koji's tests/test_plugins/test_save_failed_tree_builder.py (spec §6.6) and the rest of the
// handler, with a stand-in hub and uploader: what it asks the hub, what it archives and uploads
// where, what it records, and that it leaves no tarball behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { BuilderTask, TaskContext } from '../../builder/handler.js';
import { makeLogger } from '../../builder/log.js';
import type { TaskUploader, UploadOptions, UploadSource } from '../../builder/uploader.js';
import { KojiError } from '../../kernel/errors.js';
import { saveFailedTreeHandler } from './failed-tree.handler.js';

const REPO_CONFIG = join(__dirname, '..', '..', '..', 'config');

let dir: string;
before(() => {
  dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'koji-es-sft-handler-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Upload {
  name: string;
  volume: string | null | undefined;
  bytes: Buffer;
  /** Sent while it was made (a live stream), or from the finished file. */
  how: 'stream' | 'file';
}

interface Harness {
  ctx: TaskContext;
  calls: [string, unknown][];
  uploads: Upload[];
  logs: string[];
  workdir: string;
}

let serial = 0;
function harness(o: {
  buildroot: unknown;
  hostId?: number;
  configDir?: string;
  /** The upload while archiving breaks once all of it was read. */
  breakStream?: boolean;
}): Harness {
  const workdir = join(dir, `work-${serial++}`);
  mkdirSync(workdir, { recursive: true });
  const calls: [string, unknown][] = [];
  const uploads: Upload[] = [];
  const logs: string[] = [];
  const upload = async (name: string, source: UploadSource, opts: UploadOptions = {}) => {
    let bytes: Buffer;
    let how: Upload['how'];
    if (typeof source === 'string') {
      bytes = readFileSync(source);
      how = 'file';
    } else {
      assert.ok(opts.live, 'a stream is sent as it comes');
      const parts: Buffer[] = [];
      for await (const p of source as AsyncIterable<Uint8Array>) parts.push(Buffer.from(p));
      bytes = Buffer.concat(parts);
      how = 'stream';
      if (o.breakStream) throw new Error('the connection to the hub broke');
    }
    uploads.push({ name, volume: opts.volume, bytes, how });
    return {
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      path: `x/${name}`,
    };
  };
  const ctx: TaskContext = {
    hub: {
      call: async <T>(method: string, params?: unknown[] | Record<string, unknown>): Promise<T> => {
        calls.push([method, params]);
        return (method === 'getBuildroot' ? o.buildroot : null) as T;
      },
    },
    workdir,
    upload: { upload } as unknown as TaskUploader,
    log: makeLogger((level, line) => logs.push(`${level} ${line}`)),
    signal: new AbortController().signal,
    builder: {
      host: { id: o.hostId ?? 1, name: 'builder1' },
      workdir: dir,
      configDir: o.configDir ?? REPO_CONFIG,
      failedBuildrootLifetimeSec: 14400,
    },
    setWeight: async () => undefined,
  };
  return { ctx, calls, uploads, logs, workdir };
}

function task(args: unknown[], kwargs: Record<string, unknown> = {}): BuilderTask {
  return {
    id: 123,
    method: 'saveFailedTree',
    arch: 'noarch',
    channel_id: 1,
    priority: 20,
    owner: 1,
    parent: null,
    label: null,
    request: args,
    args,
    kwargs,
  };
}

/** Member names of a tarball (enough of a tar reader for names: 512-byte headers, sizes). */
function names(tgz: Buffer): string[] {
  const tar = gunzipSync(tgz);
  const out: string[] = [];
  for (let off = 0; off + 512 <= tar.length;) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const prefix = h.toString('utf8', 345, 500).replace(/\0.*$/s, '');
    out.push(prefix ? `${prefix}/${name}` : name);
    const size = parseInt(h.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function buildroot(name: string): string {
  const root = join(dir, name, 'root');
  mkdirSync(join(root, 'builddir/build'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  writeFileSync(join(root, 'builddir/build/foo.c'), 'int x;\n');
  writeFileSync(join(root, 'etc/krb5.keytab'), 'secret');
  writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(root, 'tmp/krb5cc_0'), 'secret');
  return root;
}

const fault = (name: string, message: string | RegExp) => (e: unknown) => {
  assert.ok(e instanceof KojiError, String(e));
  assert.equal(e.faultName, name);
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
  return true;
};

describe("Koji's builder tests (spec §6.6)", () => {
  test('getBuildroot answers None: Nonexistent buildroot; no tarball, no upload', async () => {
    const h = harness({ buildroot: null });
    await assert.rejects(
      saveFailedTreeHandler.run(task([1]), h.ctx),
      fault('GenericError', 'Nonexistent buildroot: 1'),
    );
    assert.deepEqual(h.calls, [['getBuildroot', [1]]]);
    assert.deepEqual(h.uploads, []);
    assert.deepEqual(readdirSync(h.workdir), []);
  });

  test("this host's buildroot: builddir archived as <workdir>/broot-1.tar.gz, uploaded, recorded, deleted", async () => {
    const root = buildroot('br1');
    const h = harness({ buildroot: { id: 1, host_id: 1, path: root, task_id: 5 } });
    assert.equal(await saveFailedTreeHandler.run(task([1]), h.ctx), null, "Koji's result is None");
    assert.equal(h.uploads.length, 1);
    const up = h.uploads[0];
    assert.equal(up.how, 'stream', 'sent while it was made (spec §7 S9)');
    assert.equal(up.name, 'broot-1.tar.gz');
    assert.equal(up.volume, 'failed-tree', 'the shipped [general] volume');
    assert.deepEqual(names(up.bytes), ['builddir/', 'builddir/build/', 'builddir/build/foo.c']);
    const recorded = h.calls.find(([m]) => m === 'host.treeArchived')!;
    assert.deepEqual(recorded[1], [
      123,
      'broot-1.tar.gz',
      'failed-tree',
      up.bytes.length,
      createHash('sha256').update(up.bytes).digest('hex'),
      3,
      0,
      0,
      0,
    ]);
    assert.deepEqual(readdirSync(h.workdir), [], 'the local tarball is deleted');
  });

  test('an upload while archiving that breaks: the finished file is uploaded instead, with a warning', async () => {
    const root = buildroot('br-broken-upload');
    const h = harness({ buildroot: { id: 7, host_id: 1, path: root, task_id: 5 }, breakStream: true });
    assert.equal(await saveFailedTreeHandler.run(task([7]), h.ctx), null);
    assert.deepEqual(
      h.uploads.map((u) => [u.name, u.how]),
      [['broot-7.tar.gz', 'file']],
    );
    assert.deepEqual(names(h.uploads[0].bytes), ['builddir/', 'builddir/build/', 'builddir/build/foo.c']);
    assert.ok(
      h.logs.some((l) =>
        /^warn .*broot-7\.tar\.gz: the upload while archiving failed \(the connection to the hub broke\); uploading the file$/.test(
          l,
        ),
      ),
      h.logs.join('\n'),
    );
    const recorded = h.calls.find(([m]) => m === 'host.treeArchived')!;
    assert.equal((recorded[1] as unknown[])[3], h.uploads[0].bytes.length);
    assert.deepEqual(readdirSync(h.workdir), []);
  });

  test('a buildroot of another host: Task is run on wrong builder', async () => {
    const h = harness({ buildroot: { id: 1, host_id: 2000, path: buildroot('br2') } });
    await assert.rejects(
      saveFailedTreeHandler.run(task([1]), h.ctx),
      fault('GenericError', 'Task is run on wrong builder'),
    );
    assert.deepEqual(h.uploads, []);
  });

  test('full=True archives the whole root; the config and the mandatory rules leave the secrets out', async () => {
    const root = buildroot('br3');
    const h = harness({ buildroot: { id: 7, host_id: 1, path: root } });
    await saveFailedTreeHandler.run(task([7, true]), h.ctx);
    assert.deepEqual(names(h.uploads[0].bytes), [
      'builddir/',
      'builddir/build/',
      'builddir/build/foo.c',
      'etc/',
      'etc/hosts',
      'tmp/',
    ]);
    const args = h.calls.find(([m]) => m === 'host.treeArchived')![1] as unknown[];
    // Shipped filters `*/tmp/krb5cc */etc/*.keytab`: the keytab by config, krb5cc_0 by the rules.
    assert.deepEqual(args.slice(5), [6, 1, 1, 0]);
    const h2 = harness({ buildroot: { id: 7, host_id: 1, path: root } });
    await saveFailedTreeHandler.run(task([7], { full: 1 }), h2.ctx);
    assert.equal(names(h2.uploads[0].bytes).length, 6, 'full as a keyword, with Python truthiness');
  });
});

describe('the rest of the handler', () => {
  test('Buildroot directory is missing: <path>, when the directory went or was never recorded', async () => {
    const root = join(dir, 'gone', 'root');
    const h = harness({ buildroot: { id: 3, host_id: 1, path: root } });
    await assert.rejects(
      saveFailedTreeHandler.run(task([3]), h.ctx),
      fault('GenericError', `Buildroot directory is missing: ${root}/builddir`),
    );
    await assert.rejects(
      saveFailedTreeHandler.run(task([3, true]), h.ctx),
      fault('GenericError', `Buildroot directory is missing: ${root}`),
    );
    const h2 = harness({ buildroot: { id: 3, host_id: 1, path: null } });
    await assert.rejects(
      saveFailedTreeHandler.run(task([3]), h2.ctx),
      fault('GenericError', /^Buildroot directory is missing: buildroot 3 has no path$/),
    );
  });

  test('arguments are bound as Python binds handler(buildrootID, full=False)', async () => {
    const h = harness({ buildroot: null });
    for (const [args, kwargs, message] of [
      [[], {}, "handler() missing 1 required positional argument: 'buildrootID'"],
      [[1, true, 3], {}, 'handler() takes from 2 to 3 positional arguments but 4 were given'],
      [[1], { nope: 1 }, "handler() got an unexpected keyword argument 'nope'"],
      [[1, false], { full: true }, "handler() got multiple values for argument 'full'"],
      [['x'], {}, 'buildrootID must be a buildroot id, not "x"'],
    ] as const)
      await assert.rejects(
        saveFailedTreeHandler.run(task([...args], { ...kwargs }), h.ctx),
        fault('ParameterError', message),
      );
    assert.deepEqual(h.calls, []);
    await assert.rejects(saveFailedTreeHandler.run(task(['12']), h.ctx), /Nonexistent buildroot: 12/);
    assert.equal(saveFailedTreeHandler.taskWeight, 3.0);
    assert.equal(saveFailedTreeHandler.method, 'saveFailedTree');
  });

  test('the volume: [general] wins, else [global] (as Koji ships the file), else failed-tree; DEFAULT is the default volume', async () => {
    const root = buildroot('br-vol');
    const conf = (text: string | null) => {
      const c = join(dir, `conf-${serial++}`);
      mkdirSync(join(c, 'builder/plugins'), { recursive: true });
      if (text !== null) writeFileSync(join(c, 'builder/plugins/save_failed_tree.conf'), text);
      return c;
    };
    const run = async (configDir: string) => {
      const h = harness({ buildroot: { id: 9, host_id: 1, path: root }, configDir });
      await saveFailedTreeHandler.run(task([9, true]), h.ctx);
      const rec = h.calls.find(([m]) => m === 'host.treeArchived')![1] as unknown[];
      return { upload: h.uploads[0].volume, recorded: rec[2], counts: rec.slice(5), logs: h.logs };
    };
    // Koji's shipped file, verbatim: [global] volume = DEFAULT, filters that miss krb5cc_0.
    const koji = await run(
      conf('[global]\nvolume = DEFAULT\n\n[filters]\npaths = */tmp/krb5cc */etc/*.keytab\n'),
    );
    assert.equal(koji.upload, null, 'the default volume');
    assert.equal(koji.recorded, 'DEFAULT');
    assert.deepEqual(koji.counts, [6, 1, 1, 0]);
    const both = await run(conf('[general]\nvolume = trees\n[global]\nvolume = DEFAULT\n'));
    assert.deepEqual([both.upload, both.recorded], ['trees', 'trees']);
    const none = await run(conf(null));
    assert.deepEqual([none.upload, none.recorded], ['failed-tree', 'failed-tree']);
    assert.deepEqual(none.counts, [6, 0, 2, 0], 'no config filters: the mandatory rules alone');
    const odd = await run(conf('[general]\nvolume = failed-tree\nflavour = x\n'));
    assert.match(odd.logs.join('\n'), /warn .*\[general\] flavour \(line 3\) is not used by koji-es/);
  });
});
