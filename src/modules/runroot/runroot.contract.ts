import { IsObject, IsOptional, IsString } from 'class-validator';
import { method, perm } from '../../rpc/method.js';
import { runrootLog } from './runroot.log.contract.js';

export class RunrootParams {
  tagInfo!: number | string | Record<string, unknown>;
  arch!: unknown;
  command!: unknown;
  @IsOptional() @IsString() channel?: string | null;
  @IsObject() opts!: Record<string, unknown>;
}

export const runroot = method({
  name: 'runroot',
  summary:
    'Run a command in a buildroot of the tag on a builder (runroot permission, then the runroot policy when hub.conf has one); opts: packages, mounts, repo_id, skip_setarch, weight, upload_logs, new_chroot, and (koji-es) run_as (UID[:GID]: the command is root in its buildroot but runs as that host user, so what it writes on mounts is theirs); returns the task id',
  access: perm('runroot'),
  args: ['tagInfo', 'arch', 'command', ['channel', null]],
  starstar: 'opts',
  params: RunrootParams,
  result: { type: 'integer' },
});

export const runrootContract = [runroot, runrootLog];
