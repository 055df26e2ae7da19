import { stat } from 'node:fs/promises';
import { Controller, Get, Inject, Logger, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HUB_CONFIG } from '../app.tokens.js';
import type { HubConfig } from '../config/hub-config.js';
import { isKojiError } from '../kernel/errors.js';
import { hubCleanupSchedule } from '../modules/sidetag/sidetag.cleanup.js';
import { TREES, type TreeDoc } from '../modules/failed-tree/failed-tree.projection.js';
import { SIDETAGS, type SidetagDoc } from '../modules/sidetag/sidetag.projection.js';
import { PackagesReader } from '../modules/tags/packages.reader.js';
import {
  REPOS,
  TAG_PARENTS,
  TAGGED,
  TARGETS,
  type RepoDoc,
  type TagDoc,
  type TaggedDoc,
  type TagParentDoc,
  type TargetDoc,
} from '../modules/tags/tags.projection.js';
import { TagsReader } from '../modules/tags/tags.reader.js';
import { FILES_ACCESS, type FilesAccess } from '../modules/tasks/files-access.js';
import { isFinished } from '../modules/tasks/task.decider.js';
import { taskRelPath, TaskFiles, volumePrefix, type FileStat } from '../modules/tasks/task-files.js';
import { BUILDROOTS, TASKS, type BuildrootDoc, type TaskDoc } from '../modules/tasks/tasks.projection.js';
import { TasksReader } from '../modules/tasks/tasks.reader.js';
import { UsersReader } from '../modules/users/users.reader.js';
import type { CallContext } from '../rpc/context.js';
import { buildrootBody } from './buildroot.page.js';
import { Checksums } from './checksums.js';
import type { Download, TreeRow } from './download.js';
import { encodePath, taskLabel } from './format.js';
import type { Html } from './html.js';
import { indexBody } from './index.page.js';
import { errorPage, layout, sendPage } from './layout.js';
import { repoBody } from './repo.page.js';
import { sidetagsBody } from './sidetags.page.js';
import { tagBody } from './tag.page.js';
import { LOG_NAME, tailLog } from './task-log.js';
import { taskBody, type LogView, type OutputRow } from './task.page.js';
import { queryId, queryParam, WebContext } from './web-context.js';

interface Frame {
  ctx: CallContext;
  here: string;
}

/** The read-only pages under /koji: index, taskinfo, buildrootinfo, repoinfo, taginfo, sidetags. */
@Controller('koji')
export class PagesController {
  private readonly log = new Logger('web');

  constructor(
    private readonly web: WebContext,
    private readonly tasks: TasksReader,
    private readonly tags: TagsReader,
    private readonly packages: PackagesReader,
    private readonly users: UsersReader,
    private readonly files: TaskFiles,
    private readonly checksums: Checksums,
    @Inject(FILES_ACCESS) private readonly access: FilesAccess,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  @Get()
  index(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async (f) => {
      const recent = await this.tasks.rm.find<TaskDoc>(TASKS, { orderBy: [['id', 'desc']], limit: 20 });
      return this.page(res, f, 200, 'Overview', indexBody(this.web.urls, f.ctx.user, recent));
    });
  }

  @Get('taskinfo')
  taskinfo(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async (f) => {
      const id = queryId(req, 'taskID');
      if (id === null)
        return this.fail(res, f, 400, `Invalid task id: ${queryParam(req, 'taskID') ?? '(none)'}`);
      const task = await this.tasks.task(id);
      if (!task) return this.fail(res, f, 404, `No such task: ${id}`);
      const rm = this.tasks.rm;
      const view = {
        task,
        parent: task.parent === null ? null : await this.tasks.task(task.parent),
        children: await this.tasks.children(id),
        buildroots: await rm.find<BuildrootDoc>(BUILDROOTS, {
          where: { task_id: id },
          orderBy: [['id', 'asc']],
        }),
        outputs: await this.outputs(task, f),
        trees: await this.treeRows(
          await rm.find<TreeDoc>(TREES, { where: { failed_task_id: id }, orderBy: [['task_id', 'asc']] }),
          f,
        ),
        log: await this.logView(task, f.ctx),
      };
      const title = `Task ${id}: ${taskLabel(task)}`;
      return this.page(res, f, 200, title, taskBody(this.web.urls, view), !!view.log?.live);
    });
  }

  @Get('buildrootinfo')
  buildrootinfo(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async (f) => {
      const id = queryId(req, 'buildrootID');
      if (id === null)
        return this.fail(res, f, 400, `Invalid buildroot id: ${queryParam(req, 'buildrootID') ?? '(none)'}`);
      const b = await this.tasks.buildroot(id);
      if (!b) return this.fail(res, f, 404, `No such buildroot: ${id}`);
      const trees = await this.treeRows(
        await this.tasks.rm.find<TreeDoc>(TREES, {
          where: { buildroot_id: id },
          orderBy: [['task_id', 'asc']],
        }),
        f,
      );
      return this.page(res, f, 200, `Buildroot ${id}`, buildrootBody(this.web.urls, b, trees));
    });
  }

  @Get('repoinfo')
  repoinfo(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async (f) => {
      const id = queryId(req, 'repoID');
      if (id === null)
        return this.fail(res, f, 400, `Invalid repo id: ${queryParam(req, 'repoID') ?? '(none)'}`);
      const repo = await this.tasks.rm.get<RepoDoc>(REPOS, String(id));
      if (!repo) return this.fail(res, f, 404, `No such repo: ${id}`);
      const tagExists = (await this.tags.tag(repo.tag_id)) !== null;
      return this.page(res, f, 200, `Repo ${id}`, repoBody(this.web.urls, repo, tagExists));
    });
  }

  @Get('taginfo')
  taginfo(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async (f) => {
      // Koji's links carry the id; a name is taken too, for URLs people type.
      const raw = queryParam(req, 'tagID');
      const id = queryId(req, 'tagID');
      if (!raw) return this.fail(res, f, 400, 'Invalid tag id: (none)');
      const tag = id !== null ? await this.tags.tag(id) : await this.tags.tag(raw);
      if (!tag) return this.fail(res, f, 404, `No such tag: ${raw}`);
      const rm = this.tasks.rm;
      const children: TagDoc[] = [];
      for (const l of await rm.find<TagParentDoc>(TAG_PARENTS, { where: { parent_id: tag.id } })) {
        const c = await this.tags.tag(l.tag_id);
        if (c) children.push(c);
      }
      const view = {
        tag,
        children: children.sort((a, b) => a.id - b.id),
        buildFrom: await rm.find<TargetDoc>(TARGETS, {
          where: { build_tag: tag.id },
          orderBy: [['id', 'asc']],
        }),
        buildTo: await rm.find<TargetDoc>(TARGETS, { where: { dest_tag: tag.id }, orderBy: [['id', 'asc']] }),
        packages: await this.packages.list({ tagId: tag.id, inherit: true }),
        builds: await rm.find<TaggedDoc>(TAGGED, {
          where: { tag_id: tag.id },
          orderBy: [['create_event', 'desc']],
        }),
      };
      return this.page(res, f, 200, `Tag ${tag.name}`, tagBody(this.web.urls, view));
    });
  }

  @Get('sidetags')
  sidetags(@Req() req: Request, @Res() res: Response) {
    return this.serve(req, res, async (f) => {
      const filter = { user: queryParam(req, 'user') || null, basetag: queryParam(req, 'basetag') || null };
      const where: Record<string, number> = {};
      try {
        if (filter.user) where.user_id = (await this.users.strict(filter.user)).id;
        if (filter.basetag) where.basetag_id = (await this.tags.strictTag(filter.basetag)).id;
      } catch (e) {
        if (!isKojiError(e)) throw e;
        return this.page(res, f, 404, 'Sidetags', sidetagsBody(this.web.urls, filter, [], e.message));
      }
      const rows = await this.tasks.rm.find<SidetagDoc>(SIDETAGS, { where, orderBy: [['id', 'asc']] });
      const schedule = hubCleanupSchedule(this.config.sidetag);
      return this.page(res, f, 200, 'Sidetags', sidetagsBody(this.web.urls, filter, rows, null, schedule));
    });
  }

  /**
   * Every output file with its size, its SHA-256 (a saved tree's as recorded when archived) and a
   * link — or, where the download rule refuses this viewer, why not; a saved tree the collector
   * removed stays listed as expired.
   */
  private async outputs(task: TaskDoc, f: Frame): Promise<OutputRow[]> {
    const listing = (await this.files.list(task.id, true, true)) as Record<string, Record<string, FileStat>>;
    const tree = await this.tasks.rm.get<TreeDoc>(TREES, String(task.id));
    const rows: OutputRow[] = [];
    for (const name of Object.keys(listing).sort()) {
      for (const [volume, st] of Object.entries(listing[name])) {
        const rel = `${volumePrefix(volume)}${taskRelPath(task.id)}/${name}`;
        const size = Number(st.st_size);
        const isTree = !!tree && tree.file === name && tree.volume === volume;
        const sha256 = isTree
          ? tree.sha256
          : await this.checksums
              .of(this.files.finalPath(task.id, name, volume), size, st.st_mtime)
              .catch(() => null);
        rows.push({
          name,
          volume,
          size,
          sha256,
          ...(await this.download(rel, f, isTree ? tree.expired : null, false)),
        });
      }
    }
    if (tree && !rows.some((r) => r.name === tree.file && r.volume === tree.volume))
      rows.push({
        name: tree.file,
        volume: tree.volume,
        size: tree.size,
        sha256: tree.sha256,
        href: null,
        denied: null,
        login: null,
        expired: tree.expired,
        missing: !tree.expired,
      });
    return rows;
  }

  /**
   * The download rule for one file, as every page applies it: a link to `topurl` when /files would
   * serve this viewer, else why not (and a log-in link for anonymous visitors); nothing to fetch
   * once the file expired or went missing.
   */
  private async download(
    rel: string,
    { ctx, here }: Frame,
    expired: Download['expired'],
    missing: boolean,
  ): Promise<Download> {
    const denial = await this.access.check(rel, ctx);
    return {
      href: denial || expired || missing ? null : `${this.web.urls.top}/${encodePath(rel)}`,
      denied: denial?.message ?? null,
      login: denial && !ctx.user ? `${this.web.urls.web}/login?next=${encodeURIComponent(here)}` : null,
      expired,
      missing,
    };
  }

  /** Saved trees with their download for this viewer: the save task's own rule, link and refusal. */
  private async treeRows(trees: TreeDoc[], f: Frame): Promise<TreeRow[]> {
    const rows: TreeRow[] = [];
    for (const tree of trees) {
      const rel = `${volumePrefix(tree.volume)}${taskRelPath(tree.task_id)}/${tree.file}`;
      const missing =
        !tree.expired &&
        !(await stat(this.files.finalPath(tree.task_id, tree.file, tree.volume)).then(
          (st) => st.isFile(),
          () => false,
        ));
      rows.push({ tree, download: await this.download(rel, f, tree.expired, missing) });
    }
    return rows;
  }

  /** runroot tasks, and any task with a runroot.log, show it; a running one keeps appending. */
  private async logView(task: TaskDoc, ctx: CallContext): Promise<LogView | null> {
    const tail = await tailLog(this.files, task.id);
    if (task.method !== 'runroot' && !tail.exists) return null;
    if (await this.access.check(`${taskRelPath(task.id)}/${LOG_NAME}`, ctx)) return null;
    return {
      src: `${this.web.urls.web}/api/tasklog?taskID=${task.id}`,
      ...tail,
      live: !isFinished(task.state),
    };
  }

  private async serve(req: Request, res: Response, fn: (f: Frame) => Promise<void>): Promise<void> {
    let f: Frame | null = null;
    try {
      f = { ctx: await this.web.viewer(req), here: req.originalUrl };
      await fn(f);
    } catch (e) {
      this.log.error(`${req.method} ${req.originalUrl}: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) return;
      const frame = f ?? { ctx: await this.web.anonymous(req), here: req.originalUrl };
      this.fail(
        res,
        frame,
        500,
        `The hub could not show this page (request ${frame.ctx.requestId}); its log has the details.`,
      );
    }
  }

  private page(res: Response, f: Frame, status: number, title: string, body: Html, liveLog = false): void {
    sendPage(
      res,
      status,
      layout({ title, viewer: f.ctx.user, urls: this.web.urls, here: f.here, body, liveLog }),
    );
  }

  private fail(res: Response, f: Frame, status: number, message: string): void {
    sendPage(
      res,
      status,
      errorPage(status, message, { viewer: f.ctx.user, urls: this.web.urls, here: f.here }),
    );
  }
}
