import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { HUB_CONFIG, STORE_BACKEND } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import { CommandService } from '../../eventstore/commands.service.js';
import type { StoreBackend } from '../../eventstore/open.js';
import { ProjectionRunner } from '../../eventstore/projection-runner.js';
import { ScheduledJob } from '../../eventstore/scheduled-job.js';
import { CLOCK, type Clock } from '../../kernel/clock.js';
import { actionNotAllowed, genericError, parameterError } from '../../kernel/errors.js';
import { hasPerm, internalContext, type CallContext } from '../../rpc/context.js';
import { applyQueryOpts } from '../../rpc/query-opts.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { UsersReader } from '../users/users.reader.js';
import { FILES_ACCESS, type FilesAccessRules } from '../tasks/files-access.js';
import { TaskFiles } from '../tasks/task-files.js';
import { MakeTask } from '../tasks/tasks.commands.js';
import { TASK_STATES } from '../tasks/tasks.events.js';
import { TASKS, type TaskDoc } from '../tasks/tasks.projection.js';
import { TasksReader } from '../tasks/tasks.reader.js';
import * as api from './failed-tree.contract.js';
import type { TreeExpired } from './failed-tree.events.js';
import { TREES, type TreeDoc } from './failed-tree.projection.js';
import { castBuildrootId, checkSave, sameTree, selectExpired, type Expiry } from './failed-tree.rules.js';

export class RecordTree extends Command<void> {
  constructor(
    readonly ctx: CallContext,
    readonly event: { type: 'TreeArchived' | 'TreeExpired'; data: object },
    readonly taskId: number,
  ) {
    super();
  }
}

@CommandHandler(RecordTree)
export class RecordTreeHandler implements ICommandHandler<RecordTree, void> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: RecordTree): Promise<void> {
    await this.commands.run(c.ctx, async (uow) => {
      const events = await uow.read(`failedtree-${c.taskId}`);
      if (c.event.type === 'TreeArchived' && events.length)
        throw genericError(`task ${c.taskId} already recorded its tree`);
      if (c.event.type === 'TreeExpired' && events.some((e) => e.type === 'TreeExpired')) return;
      uow.emit(`failedtree-${c.taskId}`, [c.event]);
    });
  }
}

/** Where a tarball lives under the topdir; the download rule recognises these paths. */
const TREE_PATH = /^(?:vol\/([^/]+)\/)?work\/tasks\/\d+\/(\d+)\/(broot-\d+\.tar\.gz)$/;

/**
 * Save Failed Tree on the hub: Koji's checks, the task assigned to the buildroot's host, the record
 * of the tarball, the download rule on every path to its bytes, and the retention collector.
 */
@Injectable()
export class FailedTreeApi implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('failed-tree');
  private readonly job: ScheduledJob;

  constructor(
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
    private readonly tasks: TasksReader,
    private readonly users: UsersReader,
    private readonly files: TaskFiles,
    @Inject(FILES_ACCESS) private readonly access: FilesAccessRules,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(STORE_BACKEND) backend: StoreBackend,
    @Inject(CLOCK) private readonly clock: Clock,
    runner: ProjectionRunner,
  ) {
    this.job = new ScheduledJob({
      name: 'failed-tree-gc',
      everyMs: config.failedTree.gcIntervalMs,
      backend,
      runner,
      pass: async (log) => {
        const ctx = internalContext(`failed-tree-gc-${randomUUID()}`, this.clock.now());
        for (const d of await this.collect(ctx, false))
          log.log(`deleted ${d.file} of task ${d.task_id} (${d.reason}; ${d.size} bytes, owner ${d.owner})`);
      },
    });
  }

  /** null when the caller may read the tree; otherwise why not. */
  async denial(tree: TreeDoc, ctx: CallContext): Promise<string | null> {
    if (this.config.failedTree.download === 'anyone') return null;
    if (ctx.user && (ctx.user.id === tree.owner_id || hasPerm(ctx.user, 'admin'))) return null;
    return ctx.user
      ? `only ${tree.owner_name}, who owns failed task ${tree.failed_task_id}, or an admin may download its tree (logged in as ${ctx.user.name})`
      : `only ${tree.owner_name}, who owns failed task ${tree.failed_task_id}, or an admin may download its tree; log in first (/koji/login, session headers or a Bearer token)`;
  }

  /** saveFailedTree tasks of this buildroot not yet done, with their `full`. */
  private async unfinishedSaves(buildrootId: number): Promise<{ id: number; full: boolean }[]> {
    const open = [TASK_STATES.FREE, TASK_STATES.ASSIGNED, TASK_STATES.OPEN];
    const tasks = await this.tasks.rm.find<TaskDoc>(TASKS, {
      where: { state: { $in: open }, method: 'saveFailedTree' },
      // Few tasks are unfinished; every saveFailedTree task there ever was is many.
      index: 'state',
    });
    return tasks
      .filter((t) => Number(t.request[0]) === buildrootId)
      .map((t) => ({ id: t.id, full: !!t.request[1] }));
  }

  onModuleInit(): void {
    this.access.add(async (rel, ctx) => {
      const m = TREE_PATH.exec(rel);
      if (!m) return null;
      const tree = await this.tasks.rm.get<TreeDoc>(TREES, m[2]);
      if (!tree || tree.file !== m[3] || tree.volume !== (m[1] ?? 'DEFAULT')) return null;
      const why = await this.denial(tree, ctx);
      return why ? { status: ctx.user ? 403 : 401, message: why } : null;
    });
    const r = this.registry;
    r.implement<api.SaveFailedTreeParams>(api.saveFailedTree, async (p, ctx) => {
      const id = castBuildrootId(p.buildrootID);
      const full = !!p.full && p.full !== 0;
      const unexpected = Object.keys(p.opts);
      if (unexpected.length)
        throw parameterError(`saveFailedTree() got an unexpected keyword argument '${unexpected[0]}'`);
      const br = await this.tasks.buildroot(id);
      const task = br?.task_id ? await this.tasks.task(br.task_id) : null;
      const failedHost = task?.host_id ? await this.tasks.host(task.host_id) : null;
      checkSave(id, {
        buildroot: br,
        task,
        hostEnabled: failedHost?.enabled ?? false,
        caller: ctx.user,
        allowedMethods: this.config.failedTree.allowedMethods,
      });
      const again = sameTree(
        id,
        full,
        await this.unfinishedSaves(id),
        (await this.tasks.rm.find<TreeDoc>(TREES, { where: { owner_id: task!.owner } })).filter(
          (t) => t.buildroot_id === id,
        ),
      );
      if (again !== null) return again;
      const brHost = (await this.tasks.host(br!.host_id))!;
      return this.bus.execute(
        new MakeTask(ctx, {
          method: 'saveFailedTree',
          request: [id, full],
          arch: 'noarch',
          priority: 20,
          weight: 3.0,
          assignHost: { id: brHost.id, name: brHost.name },
        }),
      );
    });
    r.implement<api.TreeArchivedParams>(api.hostTreeArchived, async (p, ctx) => {
      const host = await this.tasks.hostOfUser(ctx.user!.id);
      const task = await this.tasks.strictTask(p.task_id);
      if (!host || task.host_id !== host.id || task.state !== TASK_STATES.OPEN)
        throw actionNotAllowed(`host ${host?.id ?? ctx.user!.name} does not own task ${p.task_id}`);
      if (task.method !== 'saveFailedTree')
        throw genericError(`task ${task.id} is a ${task.method} task, not saveFailedTree`);
      const buildrootId = Number(task.request[0]);
      if (p.file !== `broot-${buildrootId}.tar.gz`)
        throw genericError(`task ${task.id} saves buildroot ${buildrootId}, not ${p.file}`);
      const st = await stat(this.files.finalPath(task.id, p.file, p.volume)).catch(() => null);
      if (!st || st.size !== p.size)
        throw genericError(
          `${p.file} of task ${task.id} is not uploaded (or not ${p.size} bytes) on volume ${p.volume}`,
        );
      const br = await this.tasks.strictBuildroot(buildrootId);
      const failed = br.task_id ? await this.tasks.task(br.task_id) : null;
      if (!failed) throw genericError(`buildroot ${buildrootId} has no task`);
      await this.bus.execute(
        new RecordTree(
          ctx,
          {
            type: 'TreeArchived',
            data: {
              taskId: task.id,
              buildrootId,
              failedTaskId: failed.id,
              owner: { id: failed.owner, name: failed.owner_name },
              host: { id: host.id, name: host.name },
              file: p.file,
              volume: p.volume,
              size: p.size,
              sha256: p.sha256,
              full: !!task.request[1],
              entries: p.entries,
              excludedByConfig: p.excluded_by_config,
              excludedMandatory: p.excluded_mandatory,
              skipped: p.skipped,
              time: ctx.now.toISOString(),
            },
          },
          task.id,
        ),
      );
      return null;
    });
    r.implement<api.ListFailedTreesParams>(api.listFailedTrees, async (p) => {
      const where: Record<string, number> = {};
      if (p.owner !== null && p.owner !== undefined) where.owner_id = (await this.users.strict(p.owner)).id;
      let rows = await this.tasks.rm.find<TreeDoc>(TREES, { where, orderBy: [['task_id', 'asc']] });
      if (p.expired !== null && p.expired !== undefined)
        rows = rows.filter((t) => (t.expired !== null) === p.expired);
      return applyQueryOpts(rows as unknown as Record<string, unknown>[], p.queryOpts);
    });
    r.implement<api.FailedTreeGcParams>(api.failedTreeGC, (p, ctx) => this.collect(ctx, p.dry_run));
  }

  /** One collector run: retention decides, the oldest go first, each expiry recorded with its reason. */
  async collect(ctx: CallContext, dryRun: boolean) {
    const live = (await this.tasks.rm.find<TreeDoc>(TREES)).filter((t) => !t.expired);
    const cfg = this.config.failedTree;
    const expiries: Expiry[] = selectExpired(
      live.map((t) => ({ taskId: t.task_id, ownerId: t.owner_id, size: t.size, archivedTs: t.archived_ts })),
      ctx.now.getTime() / 1000,
      {
        maxAgeDays: cfg.maxAgeDays,
        maxTotalBytes: cfg.maxTotalBytes,
        perOwnerMaxBytes: cfg.perOwnerMaxBytes,
      },
    );
    const out = [];
    for (const e of expiries) {
      const t = live.find((x) => x.task_id === e.taskId)!;
      out.push({
        task_id: t.task_id,
        file: t.file,
        volume: t.volume,
        size: t.size,
        owner: t.owner_name,
        reason: e.reason,
        removed: !dryRun,
      });
      if (dryRun) continue;
      const expired: TreeExpired = {
        type: 'TreeExpired',
        data: {
          taskId: t.task_id,
          file: t.file,
          volume: t.volume,
          size: t.size,
          reason: e.reason,
          time: ctx.now.toISOString(),
        },
      };
      await this.bus.execute(new RecordTree(ctx, expired, t.task_id));
    }
    // The record first, then the bytes: a crash in between leaves a file the next run deletes.
    if (!dryRun)
      for (const t of await this.tasks.rm.find<TreeDoc>(TREES)) {
        if (!t.expired) continue;
        await rm(this.files.finalPath(t.task_id, t.file, t.volume), { force: true }).catch((err: Error) =>
          this.log.warn(`could not delete ${t.file} of task ${t.task_id}: ${err.message}`),
        );
      }
    return out;
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }
}
