import { Injectable, type OnModuleInit } from '@nestjs/common';
import { open, stat } from 'node:fs/promises';
import { genericError } from '../../kernel/errors.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { lateUploadOpen, TaskFiles } from '../tasks/task-files.js';
import { TASK_STATES } from '../tasks/tasks.events.js';
import { TasksReader } from '../tasks/tasks.reader.js';
import { runrootLog, type RunrootLogParams } from './runroot.log.contract.js';

const LOG = 'runroot.log';
const MAX_READ = 1024 * 1024;
const FINISHED: number[] = [TASK_STATES.CLOSED, TASK_STATES.CANCELED, TASK_STATES.FAILED];

export interface RunrootLogChunk {
  data: string;
  offset: number;
  /** Bytes of the log known so far. */
  size: number;
  /**
   * The log will not grow: the builder finished the upload (it is task output), or the task is over
   * and its host may no longer add to what arrived.
   */
  complete: boolean;
}

async function readAt(
  path: string,
  offset: number,
  want: number,
): Promise<{ data: Buffer; size: number } | null> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return null;
  try {
    const { size } = await fh.stat();
    const len = Math.max(0, Math.min(want < 0 ? size - offset : want, size - offset, MAX_READ));
    const buf = Buffer.alloc(len);
    const { bytesRead } = len ? await fh.read(buf, 0, len, offset) : { bytesRead: 0 };
    return { data: buf.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}

/** runrootLog: the published log when there is one, else the builder's upload in progress. */
@Injectable()
export class RunrootLogApi implements OnModuleInit {
  constructor(
    private readonly registry: MethodRegistry,
    private readonly tasks: TasksReader,
    private readonly files: TaskFiles,
  ) {}

  onModuleInit(): void {
    this.registry.implement<RunrootLogParams>(runrootLog, async (p, ctx): Promise<RunrootLogChunk> => {
      const task = await this.tasks.strictTask(p.taskID);
      if (task.method !== 'runroot') throw genericError(`task ${p.taskID} is not a runroot task`);
      const finished = FINISHED.includes(task.state);
      // An unfinished upload of a task that is over grows no more once its host may no longer
      // write to it (a builder that died, or that never got to send the rest): it is all there
      // will be. Until then the builder may still send a stopped command's last bytes.
      const frozen = finished && !lateUploadOpen(task, ctx.now.getTime());
      const final = this.files.finalPath(p.taskID, LOG);
      const partial = this.files.partialPath(p.taskID, LOG);
      // The upload is renamed into place when it finishes: look at the final name first and again
      // after the partial one, so a rename in between is never seen as "no log".
      for (const [path, complete] of [
        [final, true],
        [partial, frozen],
        [final, true],
      ] as const) {
        if (path === partial && !(await stat(path).catch(() => null))) continue;
        const r = await readAt(path, p.offset, p.size);
        if (r) return { data: r.data.toString('base64'), offset: p.offset, size: r.size, complete };
      }
      // No log, and the task is over: none will come (the command never ran, or the log is on a
      // hub whose files this one does not share).
      return { data: '', offset: p.offset, size: 0, complete: finished };
    });
  }
}
