import { Controller, Get, Inject, Logger, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { FILES_ACCESS, type FilesAccess } from '../modules/tasks/files-access.js';
import { isFinished } from '../modules/tasks/task.decider.js';
import { taskRelPath, TaskFiles } from '../modules/tasks/task-files.js';
import { TasksReader } from '../modules/tasks/tasks.reader.js';
import { taskState } from './format.js';
import { sendJson } from './layout.js';
import { LOG_NAME, readLog } from './task-log.js';
import { queryId, queryParam, WebContext } from './web-context.js';

/**
 * GET /koji/api/tasklog?taskID=N&offset=K: the task page's live log. New bytes of runroot.log from
 * K, with the same access rule as the file under /files; `done` once the task has finished and
 * everything was read.
 */
@Controller('koji/api')
export class TaskLogController {
  private readonly log = new Logger('web');

  constructor(
    private readonly web: WebContext,
    private readonly tasks: TasksReader,
    private readonly files: TaskFiles,
    @Inject(FILES_ACCESS) private readonly access: FilesAccess,
  ) {}

  @Get('tasklog')
  async tasklog(@Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      const id = queryId(req, 'taskID');
      if (id === null) return sendJson(res, 400, { error: 'taskID must be a positive integer' });
      const offsetText = queryParam(req, 'offset') ?? '0';
      if (!/^\d{1,15}$/.test(offsetText))
        return sendJson(res, 400, { error: 'offset must be a byte offset (a non-negative integer)' });
      const task = await this.tasks.task(id);
      if (!task) return sendJson(res, 404, { error: `No such task: ${id}` });
      const denial = await this.access.check(`${taskRelPath(id)}/${LOG_NAME}`, await this.web.viewer(req));
      if (denial) return sendJson(res, denial.status, { error: denial.message });
      // The state is read before the bytes: a log read after the task finished is complete.
      const finished = isFinished(task.state);
      const chunk = await readLog(this.files, id, Number(offsetText), finished);
      sendJson(res, 200, {
        taskID: id,
        state: taskState(task.state),
        offset: chunk.offset,
        size: chunk.size,
        text: chunk.text,
        reset: chunk.reset,
        done: finished && chunk.offset >= chunk.size,
      });
    } catch (e) {
      this.log.error(`${req.originalUrl}: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent)
        sendJson(res, 500, { error: 'the hub could not read the log; its log has the details' });
    }
  }
}
