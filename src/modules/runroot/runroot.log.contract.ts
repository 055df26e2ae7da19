import { IsInt, Min } from 'class-validator';
import { anonymous, method } from '../../rpc/method.js';

export class RunrootLogParams {
  @IsInt() @Min(1) taskID!: number;
  @IsInt() @Min(0) offset!: number;
  @IsInt() @Min(-1) size!: number;
}

/**
 * Beyond Koji: a runroot task's `runroot.log` while the command still writes it (Koji prints the log
 * only when the task is over). Before the builder finishes the upload the bytes come from the
 * upload in progress; task output itself (listTaskOutput, downloadTaskOutput, /files) shows the log
 * only once it is complete and checked.
 */
export const runrootLog = method({
  name: 'runrootLog',
  summary:
    "Bytes of a runroot task's runroot.log from offset (at most 1 MiB), also while the command runs: {data (base64), offset, size so far, complete}",
  access: anonymous,
  args: ['taskID', ['offset', 0], ['size', -1]],
  params: RunrootLogParams,
  result: { type: 'object' },
});
