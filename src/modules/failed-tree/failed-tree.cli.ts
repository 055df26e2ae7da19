import type { Command } from 'commander';
import { action, subcommand, table, UsageError, type Runtime } from '../../cli/runtime.js';
import { KojiError } from '../../kernel/errors.js';
import { watchTasks } from '../tasks/tasks.cli.js';

interface GcRow {
  task_id: number;
  file: string;
  volume: string;
  size: number;
  owner: string;
  reason: string;
  removed: boolean;
}

/**
 * Koji's save-failed-tree (plugins/cli/save_failed_tree.py) with its options, lines and exit codes,
 * and koji-es's failed-tree-gc for the retention Koji lists as a TODO.
 */
export function registerFailedTree(program: Command, rt: Runtime): void {
  subcommand(program, rt, 'save-failed-tree', 'Create tarball with whole buildtree')
    .usage('[options] ID')
    .argument('[id...]')
    .option('-f, --full', 'Download whole tree, if not specified, only builddir will be downloaded')
    .option('-t, --task', 'Treat ID as a task ID (the default)')
    .option('-r, --buildroot', 'Treat ID as a buildroot ID')
    .option('--quiet', 'Do not print the task information')
    .option('--nowait', "Don't wait on build")
    .action(
      action(
        rt,
        'save-failed-tree',
        async (
          ids: string[],
          o: { full?: boolean; task?: boolean; buildroot?: boolean; quiet?: boolean; nowait?: boolean },
        ) => {
          if (ids.length !== 1) throw new UsageError('List exactly one task or buildroot ID');
          if (!/^[-+]?\d+$/.test(ids[0].trim())) throw new UsageError('ID must be an integer');
          const id = Number(ids[0]);
          const quiet = o.quiet ?? rt.quiet;
          const client = await rt.client(true);
          let br = id;
          if (!o.buildroot) {
            const brs = await client.call<{ id: number }[]>('listBuildroots', [
              { taskID: id, __starstar: true },
            ]);
            if (!brs.length) {
              rt.print(`No buildroots for task ${id}`);
              return 1;
            }
            br = Math.max(...brs.map((b) => b.id));
            if (brs.length > 1) rt.print(`Multiple buildroots for task. Choosing last one (${br})`);
          }
          let taskId: number;
          try {
            taskId = await client.call<number>('saveFailedTree', [br, !!o.full]);
          } catch (e) {
            if (
              e instanceof KojiError &&
              e.faultName === 'GenericError' &&
              e.message.includes('Invalid method')
            ) {
              rt.print(
                '* The save_failed_tree plugin appears to not be installed on the koji hub.  Please contact the administrator.',
              );
              return 1;
            }
            throw e;
          }
          if (!quiet) {
            rt.print(`Created task ${taskId} for buildroot ${br}`);
            rt.print(`Task info: ${rt.profile.weburl}/taskinfo?taskID=${taskId}`);
          }
          if (o.nowait) return 0;
          return watchTasks(rt, client, [taskId], quiet);
        },
      ),
    );

  subcommand(
    program,
    rt,
    'failed-tree-gc',
    'Delete saved buildroot trees as the retention settings say [admin]',
  )
    .option('--dry-run', 'only show what would be deleted')
    .action(
      action(rt, 'failed-tree-gc', async (o: { dryRun?: boolean }) => {
        const client = await rt.client(true);
        const rows = await client.call<GcRow[]>('failedTreeGC', [!!o.dryRun]);
        if (!rows.length) {
          if (!rt.quiet) rt.print('Nothing to delete.');
          return;
        }
        table(
          rt,
          ['Task', 'File', 'Volume', 'Size', 'Owner', 'Reason', o.dryRun ? 'Would delete' : 'Deleted'],
          rows.map((r) => [r.task_id, r.file, r.volume, r.size, r.owner, r.reason, r.removed ? 'yes' : 'no']),
        );
      }),
    );
}
