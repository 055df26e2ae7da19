import {
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { anonymous, hostOnly, method, perm } from '../../rpc/method.js';
import { IsIdOrName, QueryOpts, QueryOptsType, type IdOrName } from '../../rpc/validators.js';

export class SaveFailedTreeParams {
  buildrootID!: unknown;
  full!: unknown;
  @IsObject() opts!: Record<string, unknown>;
}
export const saveFailedTree = method({
  name: 'saveFailedTree',
  summary:
    "Archive a failed task's buildroot on its builder as task output broot-<id>.tar.gz (the task's owner or an admin); returns the saveFailedTree task's id",
  // Koji has no login check here: an anonymous caller fails the owner check, with its message.
  access: anonymous,
  args: ['buildrootID', ['full', false]],
  starstar: 'opts',
  params: SaveFailedTreeParams,
  result: { type: 'integer' },
});

export class TreeArchivedParams {
  @IsInt() @Min(1) task_id!: number;
  @IsString() @Matches(/^broot-\d+\.tar\.gz$/) file!: string;
  @IsString() @Length(1, 100) volume!: string;
  @IsInt() @Min(0) size!: number;
  @IsString() @Matches(/^[0-9a-f]{64}$/) sha256!: string;
  @IsInt() @Min(0) entries!: number;
  @IsInt() @Min(0) excluded_by_config!: number;
  @IsInt() @Min(0) excluded_mandatory!: number;
  @IsInt() @Min(0) skipped!: number;
}
export const hostTreeArchived = method({
  name: 'host.treeArchived',
  summary: 'Record the tarball a saveFailedTree task uploaded (its size, sha256 and what was left out)',
  access: hostOnly,
  args: [
    'task_id',
    'file',
    'volume',
    'size',
    'sha256',
    'entries',
    'excluded_by_config',
    'excluded_mandatory',
    'skipped',
  ],
  params: TreeArchivedParams,
  result: { type: 'null' },
});

export class ListFailedTreesParams {
  @IsOptional() @IsIdOrName() owner?: IdOrName | null;
  @IsOptional() @IsBoolean() expired?: boolean | null;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
}
export const listFailedTrees = method({
  name: 'listFailedTrees',
  summary: 'Saved buildroot trees: task, buildroot, owner, file, size, sha256, and when they expired',
  access: anonymous,
  args: [
    ['owner', null],
    ['expired', null],
    ['queryOpts', null],
  ],
  params: ListFailedTreesParams,
  result: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'integer' }] },
});

export class FailedTreeGcParams {
  @IsBoolean() dry_run!: boolean;
}
export const failedTreeGC = method({
  name: 'failedTreeGC',
  summary:
    'Run the saved-tree collector now (admin): delete what retention says, oldest first; dry_run only reports',
  access: perm('admin'),
  args: [['dry_run', false]],
  params: FailedTreeGcParams,
  result: { type: 'array', items: { type: 'object' } },
});

export const failedTreeContract = [saveFailedTree, hostTreeArchived, listFailedTrees, failedTreeGC];
