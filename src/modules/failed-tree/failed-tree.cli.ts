import type { Command } from 'commander';
import { action, subcommand, table, UsageError, type Runtime } from '../../cli/runtime.js';
import { KojiError } from '../../kernel/errors.js';
import type { HubClient } from '../../cli/client.js';
import { watchTasks, type TaskInfo } from '../tasks/tasks.cli.js';
import { TASK_STATE_NAMES, TASK_STATES } from '../tasks/tasks.events.js';

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
          // Rounded ids would name a task or buildroot nobody typed.
          if (!Number.isSafeInteger(id)) throw new UsageError(`ID ${ids[0].trim()} is too large`);
          const quiet = o.quiet ?? rt.quiet;
          const client = await rt.client(true);
          let br = id;
          if (!o.buildroot) {
            const brs = await client.call<{ id: number }[]>('listBuildroots', [
              { taskID: id, __starstar: true },
            ]);
            if (!brs.length) {
              rt.print(`No buildroots for task ${id}`);
              // Koji stops there (spec §7 S11); a parent task (build) has none, its subtasks have.
              const subtasks = await subtasksWithBuildroots(client, id);
              if (subtasks.length) {
                const named = subtasks.map(
                  (t) => `${t.id} ${t.method} (${t.arch}, ${TASK_STATE_NAMES[t.state] ?? t.state})`,
                );
                rt.print(`Subtasks with buildroots: ${named.join(', ')}`);
                rt.print(`Save one with: koji-es save-failed-tree ${subtasks[0].id}`);
              }
              return 1;
            }
            br = Math.max(...brs.map((b) => b.id));
            if (brs.length > 1) {
              rt.print(`Multiple buildroots for task. Choosing last one (${br})`);
              // Koji says no more (spec §7 S11): name the others and how to choose one.
              const others = brs.map((b) => b.id).filter((b) => b !== br);
              rt.print(
                `Other buildroots of the task: ${others.sort((x, y) => x - y).join(', ')} (--buildroot ID)`,
              );
            }
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
        const cols = (r: GcRow) => [r.task_id, r.file, r.volume, r.size, r.owner, r.reason];
        const header = ['Task', 'File', 'Volume', 'Size', 'Owner', 'Reason'];
        if (o.dryRun) {
          // Every row of a dry run is a tree the collector would delete; a per-row "deleted: no"
          // column read as "would not be deleted".
          const bytes = rows.reduce((n, r) => n + r.size, 0);
          table(rt, header, rows.map(cols));
          if (!rt.quiet)
            rt.print(
              `Dry run: ${rows.length} tree${rows.length === 1 ? '' : 's'} (${bytes} bytes) would be deleted; nothing was deleted.`,
            );
          return;
        }
        table(
          rt,
          [...header, 'Deleted'],
          rows.map((r) => [...cols(r), r.removed ? 'yes' : 'no']),
        );
      }),
    );
}

/** The task's descendants that have buildroots, failed ones first, then by id. */
async function subtasksWithBuildroots(client: HubClient, id: number): Promise<TaskInfo[]> {
  const found: TaskInfo[] = [];
  let level = await client.call<TaskInfo[]>('getTaskChildren', [id]);
  // A build's tree is two or three levels deep; the bound keeps a cycle-free walk short anyway.
  for (let depth = 0; level.length && depth < 5; depth++) {
    const next: TaskInfo[] = [];
    for (const t of level) {
      const brs = await client.call<unknown[]>('listBuildroots', [{ taskID: t.id, __starstar: true }]);
      if (brs.length) found.push(t);
      next.push(...(await client.call<TaskInfo[]>('getTaskChildren', [t.id])));
    }
    level = next;
  }
  return found.sort(
    (a, b) => Number(b.state === TASK_STATES.FAILED) - Number(a.state === TASK_STATES.FAILED) || a.id - b.id,
  );
}
