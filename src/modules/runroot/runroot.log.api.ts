import { Injectable, type OnModuleInit } from '@nestjs/common';
import { open, stat } from 'node:fs/promises';
import { genericError } from '../../kernel/errors.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { TaskFiles } from '../tasks/task-files.js';
import { TasksReader } from '../tasks/tasks.reader.js';
import { runrootLog, type RunrootLogParams } from './runroot.log.contract.js';

const LOG = 'runroot.log';
const MAX_READ = 1024 * 1024;

export interface RunrootLogChunk {
  data: string;
  offset: number;
  /** Bytes of the log known so far. */
  size: number;
  /** The builder finished the upload: the log is task output and will not grow. */
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
    this.registry.implement<RunrootLogParams>(runrootLog, async (p): Promise<RunrootLogChunk> => {
      const task = await this.tasks.strictTask(p.taskID);
      if (task.method !== 'runroot') throw genericError(`task ${p.taskID} is not a runroot task`);
      const final = this.files.finalPath(p.taskID, LOG);
      // The upload is renamed into place when it finishes: look at the final name first and again
      // after the partial one, so a rename in between is never seen as "no log".
      for (const [path, complete] of [
        [final, true],
        [this.files.partialPath(p.taskID, LOG), false],
        [final, true],
      ] as const) {
        if (!complete && !(await stat(path).catch(() => null))) continue;
        const r = await readAt(path, p.offset, p.size);
        if (r) return { data: r.data.toString('base64'), offset: p.offset, size: r.size, complete };
      }
      return { data: '', offset: p.offset, size: 0, complete: false };
    });
  }
}
