// The builder's saveFailedTree task: rebuilt from Koji's plugins/builder/save_failed_tree.py
// (SaveFailedTreeTask, `_taskWeight = 3.0`, handler(buildrootID, full=False)): re-read the builder's
// plugin config, check the buildroot is this host's, tar its `builddir` (or the whole root with
// `full`) into `<task workdir>/broot-<id>.tar.gz`, upload it as task output, delete it, return None.
// Koji's messages are kept: `Nonexistent buildroot: <id>`, `Task is run on wrong builder`,
// `Buildroot directory is missing: <path>`.
//
// Deliberate differences from Koji:
// - the directory comes from the buildroot's `path` on the hub (Koji recomputes
//   `<mockdir>/<tag>-<id>-<repo>/root`), and member names are relative to that root (`builddir/…`,
//   `etc/…`); Koji stored the host path without its leading `/` (spec §7 S3);
// - credential caches `tmp/krb5cc*` and keytabs under `etc/` are always left out, whatever the
//   config says, and `[filters] paths` globs are also tried against `/` + the name, so Koji's
//   shipped `*/tmp/krb5cc` and its documented `/etc/*.keytab` both match (spec §7 S2);
// - the volume is read from `[general] volume` and, failing that, from `[global] volume`, the
//   section Koji's shipped file uses and Koji's code never reads (spec §7 S1); with neither, the
//   tarball goes to volume `failed-tree` rather than the default volume (`DEFAULT` still means it);
// - a file that changes while it is read is left out with a warning in the task's log, where
//   tarfile would archive it torn or fail the task;
// - tar-stream with gzip members compressed in parallel at level 6, in a worker thread, instead of
//   tarfile's single-stream level 9 (~9 MB/s, platform-notes §5);
// - the tarball goes to the hub while it is made (spec §7 S9: Koji uploads it only once it is whole):
//   the bytes no rollback can take back are sent as they come; if that upload breaks, the finished
//   file is uploaded again with the shared resumable, sha256-checked upload, from where the hub's
//   copy stops; `host.treeArchived` records the tarball (size, sha256, entries, what was left out)
//   before the task closes.
import { lstatSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { holdBuildroot } from '../../builder/buildroot.js';
import { LogTail } from '../../builder/tail.js';
import { archiveTree, MissingTreeError, type ArchiveResult } from '../../builder/archive/archive.js';
import type { BuilderTask, TaskContext, TaskHandler } from '../../builder/handler.js';
import type { Uploaded } from '../../builder/uploader.js';
import { genericError, parameterError } from '../../kernel/errors.js';
import { DEFAULT_VOLUME } from '../tasks/task-files.js';
import { loadSaveFailedTreeConf } from './failed-tree.builder-conf.js';

interface BuildrootOnHub {
  id: number;
  host_id: number;
  path: string | null;
}

/** handler(buildrootID, full=False), bound as Python binds a call (Koji's call_with_argcheck). */
function parseArgs(task: BuilderTask): { buildrootId: number; full: boolean } {
  const names = ['buildrootID', 'full'];
  if (task.args.length > names.length)
    throw parameterError(
      `handler() takes from 2 to 3 positional arguments but ${task.args.length + 1} were given`,
    );
  const bound: unknown[] = [...task.args];
  for (const [k, v] of Object.entries(task.kwargs)) {
    const i = names.indexOf(k);
    if (i < 0) throw parameterError(`handler() got an unexpected keyword argument '${k}'`);
    if (i < task.args.length) throw parameterError(`handler() got multiple values for argument '${k}'`);
    bound[i] = v;
  }
  if (bound[0] === undefined)
    throw parameterError("handler() missing 1 required positional argument: 'buildrootID'");
  const raw = bound[0];
  const id = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1)
    throw parameterError(`buildrootID must be a buildroot id, not ${JSON.stringify(raw)}`);
  // Python's truthiness: 0, '', [], {} and None are false.
  const f = bound[1];
  const full =
    !!f &&
    !(Array.isArray(f) && f.length === 0) &&
    !(typeof f === 'object' && Object.keys(f as object).length === 0);
  return { buildrootId: id, full };
}

const mb = (n: number) => (n / 1e6).toFixed(1);

export const saveFailedTreeHandler: TaskHandler = {
  method: 'saveFailedTree',
  taskWeight: 3.0,
  async run(task: BuilderTask, ctx: TaskContext): Promise<null> {
    const { buildrootId, full } = parseArgs(task);
    const conf = loadSaveFailedTreeConf(ctx.builder.configDir);
    for (const w of conf.warnings) ctx.log.warn(w);

    const br = await ctx.hub.call<BuildrootOnHub | null>('getBuildroot', [buildrootId]);
    if (!br) throw genericError(`Nonexistent buildroot: ${buildrootId}`);
    if (br.host_id !== ctx.builder.host.id) throw genericError('Task is run on wrong builder');
    if (!br.path) throw genericError(`Buildroot directory is missing: buildroot ${br.id} has no path`);
    const root = br.path;
    const file = `broot-${buildrootId}.tar.gz`;
    const output = join(ctx.workdir, file);
    const volume = conf.volume === DEFAULT_VOLUME ? null : conf.volume;
    // Only what the archiver can no longer take back goes out before the tarball is complete.
    const tail = new LogTail(output, 500, 0);
    // Started once the tree is known to be there; set inside the hold below.
    let streaming = null as Promise<Uploaded> | null;
    let result: ArchiveResult;
    try {
      // The sweep must not remove a kept root half way through, when its retention ends meanwhile.
      result = await holdBuildroot(root, async (): Promise<ArchiveResult> => {
        const path = full ? root : join(root, 'builddir');
        try {
          lstatSync(path);
        } catch {
          throw genericError(`Buildroot directory is missing: ${path}`);
        }
        ctx.log.info(
          `archiving ${path} (${full ? 'the whole root' : 'builddir'}) into ${file}; ${conf.filters.length} config filter(s) from ${conf.file}, volume ${conf.volume} (${conf.volumeFrom})`,
        );
        streaming = ctx.upload.upload(file, tail, { volume, live: true });
        // Awaited below; a failure meanwhile must not count as unhandled.
        streaming.catch(() => undefined);
        try {
          return await archiveTree({
            root,
            full,
            output,
            filters: conf.filters,
            signal: ctx.signal,
            onWarning: (m) => ctx.log.warn(m),
            onInfo: (m) => ctx.log.info(m),
            onCommitted: (bytes) => tail.advance(bytes),
          });
        } catch (e) {
          if (e instanceof MissingTreeError) throw genericError(e.message);
          throw e;
        }
      });
    } catch (e) {
      // The upload stops unfinished: the hub never publishes a partial tarball.
      tail.fail(e as Error);
      await streaming?.catch(() => undefined);
      throw e;
    }
    tail.end();
    ctx.log.info(
      `${file}: ${result.entries} entries, ${mb(result.tarBytes)} MB of tar in ${mb(result.size)} MB, ${result.seconds.toFixed(1)} s (${mb(result.tarBytes / Math.max(result.seconds, 1e-6))} MB/s); left out: ${result.excludedByConfig} by config, ${result.excludedMandatory} by the mandatory rules, ${result.skipped} skipped`,
    );
    let up: Uploaded;
    try {
      up = await streaming!;
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      ctx.log.warn(
        `${file}: the upload while archiving failed (${(e as Error).message}); uploading the file`,
      );
      up = await ctx.upload.upload(file, output, { volume });
    }
    await ctx.hub.call('host.treeArchived', [
      task.id,
      file,
      conf.volume,
      up.size,
      up.sha256,
      result.entries,
      result.excludedByConfig,
      result.excludedMandatory,
      result.skipped,
    ]);
    await rm(output, { force: true });
    return null;
  },
};
