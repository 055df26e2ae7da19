import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { anonymous, hostOnly, loggedIn, method, perm } from '../../rpc/method.js';
import { IsIdOrName, QueryOpts, QueryOptsType, type IdOrName } from '../../rpc/validators.js';

const obj = { type: 'object' };
const nullableObj = { oneOf: [obj, { type: 'null' }] };
const list = { type: 'array', items: obj };

// ---- hosts and channels -------------------------------------------------------------------------

export class AddHostParams {
  @IsString() @Length(1, 255) hostname!: string;
  /** A list or a space-separated string, as Koji's parse_arches accepts. */
  arches!: string | string[];
  @IsOptional() @IsString() krb_principal?: string | null;
  @IsBoolean() force!: boolean;
}
export const addHost = method({
  name: 'addHost',
  summary: 'Add a builder host and its host user (host permission); returns the host id',
  access: perm('host'),
  args: ['hostname', 'arches', ['krb_principal', null], ['force', false]],
  params: AddHostParams,
  result: { type: 'integer' },
});

export class EditHostParams {
  @IsIdOrName() hostInfo!: IdOrName;
  @IsObject() kw!: Record<string, unknown>;
}
export const editHost = method({
  name: 'editHost',
  summary:
    "Change a host's arches, capacity, description or comment (host permission); True if anything changed",
  access: perm('host'),
  args: ['hostInfo'],
  starstar: 'kw',
  params: EditHostParams,
  result: { type: 'boolean' },
});

export class HostnameParams {
  @IsIdOrName() hostname!: IdOrName;
}
export const enableHost = method({
  name: 'enableHost',
  summary: 'Let a host take tasks again (host permission)',
  access: perm('host'),
  args: ['hostname'],
  params: HostnameParams,
  result: { type: 'null' },
});
export const disableHost = method({
  name: 'disableHost',
  summary: 'Stop giving tasks to a host (host permission)',
  access: perm('host'),
  args: ['hostname'],
  params: HostnameParams,
  result: { type: 'null' },
});

export class GetHostParams {
  @IsIdOrName() hostInfo!: IdOrName;
  @IsBoolean() strict!: boolean;
  @IsOptional() @IsInt() event?: number | null;
}
export const getHost = method({
  name: 'getHost',
  summary: 'A host by id or name',
  access: anonymous,
  args: ['hostInfo', ['strict', false], ['event', null]],
  params: GetHostParams,
  result: nullableObj,
});

export class ListHostsParams {
  @IsOptional() @IsArray() @IsString({ each: true }) arches?: string[] | null;
  @IsOptional() @IsIdOrName() channelID?: IdOrName | null;
  @IsOptional() @IsBoolean() ready?: boolean | null;
  @IsOptional() @IsBoolean() enabled?: boolean | null;
  @IsOptional() @IsIdOrName() userID?: IdOrName | null;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
}
export const listHosts = method({
  name: 'listHosts',
  summary: 'Hosts, filtered by arches, channel, readiness, enabled state or user',
  access: anonymous,
  args: [
    ['arches', null],
    ['channelID', null],
    ['ready', null],
    ['enabled', null],
    ['userID', null],
    ['queryOpts', null],
  ],
  params: ListHostsParams,
  result: { oneOf: [list, { type: 'integer' }] },
});

export class HostChannelParams {
  @IsIdOrName() hostname!: IdOrName;
  @IsString() @Length(1, 255) channel_name!: string;
  @IsBoolean() create!: boolean;
  @IsBoolean() force!: boolean;
}
export const addHostToChannel = method({
  name: 'addHostToChannel',
  summary: 'Subscribe a host to a channel (host permission); create=True makes the channel',
  access: perm('host'),
  args: ['hostname', 'channel_name', ['create', false], ['force', false]],
  params: HostChannelParams,
  result: { type: 'null' },
});

export class RemoveHostChannelParams {
  @IsIdOrName() hostname!: IdOrName;
  @IsString() @Length(1, 255) channel_name!: string;
}
export const removeHostFromChannel = method({
  name: 'removeHostFromChannel',
  summary: 'Unsubscribe a host from a channel (host permission)',
  access: perm('host'),
  args: ['hostname', 'channel_name'],
  params: RemoveHostChannelParams,
  result: { type: 'null' },
});

export class ListChannelsParams {
  @IsOptional() @IsIdOrName() hostID?: IdOrName | null;
  @IsOptional() @IsInt() event?: number | null;
  @IsOptional() @IsBoolean() enabled?: boolean | null;
}
export const listChannels = method({
  name: 'listChannels',
  summary: 'Channels, or the channels of a host',
  access: anonymous,
  args: [
    ['hostID', null],
    ['event', null],
    ['enabled', null],
  ],
  params: ListChannelsParams,
  result: list,
});

export class GetChannelParams {
  @IsIdOrName() channelInfo!: IdOrName;
  @IsBoolean() strict!: boolean;
}
export const getChannel = method({
  name: 'getChannel',
  summary: 'A channel by id or name',
  access: anonymous,
  args: ['channelInfo', ['strict', false]],
  params: GetChannelParams,
  result: nullableObj,
});

export class AddChannelParams {
  @IsString() @Length(1, 255) channel_name!: string;
  @IsOptional() @IsString() description?: string | null;
}
export const addChannel = method({
  name: 'addChannel',
  summary: 'Create a channel (admin); returns its id',
  access: perm('admin'),
  args: ['channel_name', ['description', null]],
  params: AddChannelParams,
  result: { type: 'integer' },
});

export class EditChannelParams {
  @IsIdOrName() channelInfo!: IdOrName;
  @IsObject() kw!: Record<string, unknown>;
}
export const editChannel = method({
  name: 'editChannel',
  summary: "Change a channel's name, description, comment or enabled state (admin)",
  access: perm('admin'),
  args: ['channelInfo'],
  starstar: 'kw',
  params: EditChannelParams,
  result: { type: 'boolean' },
});

// ---- tasks ---------------------------------------------------------------------------------------

export class MakeTaskParams {
  @IsString()
  @Matches(/^[A-Za-z][A-Za-z0-9_.]{0,99}$/, { message: 'method must be a task method name' })
  method!: string;
  @IsArray() arglist!: unknown[];
  @IsObject() opts!: Record<string, unknown>;
}
export const makeTask = method({
  name: 'makeTask',
  summary:
    "Create a task directly (admin), e.g. Koji's sleep test task; opts: channel, arch, priority, label, parent",
  access: perm('admin'),
  args: ['method', 'arglist'],
  starstar: 'opts',
  params: MakeTaskParams,
  result: { type: 'integer' },
});

export class TaskIdParams {
  @IsInt() @Min(1) task_id!: number;
}

export class GetTaskInfoParams {
  task_id!: number | number[];
  @IsBoolean() request!: boolean;
  @IsBoolean() strict!: boolean;
}
export const getTaskInfo = method({
  name: 'getTaskInfo',
  summary: 'A task (or a list of tasks), with its request when asked',
  access: anonymous,
  args: ['task_id', ['request', false], ['strict', false]],
  params: GetTaskInfoParams,
  result: { oneOf: [nullableObj, list] },
});

export class ListTasksParams {
  @IsOptional() @IsObject() opts?: Record<string, unknown> | null;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
}
export const listTasks = method({
  name: 'listTasks',
  summary: "Tasks matching Koji's filters (state, owner, host_id, method, parent, arch, channel_id, times…)",
  access: anonymous,
  args: [
    ['opts', null],
    ['queryOpts', null],
  ],
  params: ListTasksParams,
  result: { oneOf: [list, { type: 'integer' }] },
});

export class TaskIdCamelParams {
  @IsInt() @Min(1) taskId!: number;
}
export const taskFinished = method({
  name: 'taskFinished',
  summary: 'True when the task is CLOSED, CANCELED or FAILED',
  access: anonymous,
  args: ['taskId'],
  params: TaskIdCamelParams,
  result: { type: 'boolean' },
});

export class GetTaskResultParams {
  @IsInt() @Min(1) taskId!: number;
  @IsBoolean() raise_fault!: boolean;
}
export const getTaskResult = method({
  name: 'getTaskResult',
  summary: "A finished task's result; a failed task raises its fault, as Koji",
  access: anonymous,
  args: ['taskId', ['raise_fault', true]],
  params: GetTaskResultParams,
  result: {},
});

export class GetTaskChildrenParams {
  @IsInt() @Min(1) task_id!: number;
  @IsBoolean() request!: boolean;
  @IsBoolean() strict!: boolean;
}
export const getTaskChildren = method({
  name: 'getTaskChildren',
  summary: 'The subtasks of a task',
  access: anonymous,
  args: ['task_id', ['request', false], ['strict', false]],
  params: GetTaskChildrenParams,
  result: list,
});

export const getTaskRequest = method({
  name: 'getTaskRequest',
  summary: "A task's request (its arguments)",
  access: anonymous,
  args: ['taskId'],
  params: TaskIdCamelParams,
  result: { type: 'array' },
});

export class CancelTaskParams {
  @IsInt() @Min(1) task_id!: number;
  @IsBoolean() recurse!: boolean;
}
export const cancelTask = method({
  name: 'cancelTask',
  summary: 'Cancel a task and, by default, its subtasks (its owner or an admin)',
  access: loggedIn,
  args: ['task_id', ['recurse', true]],
  params: CancelTaskParams,
  result: { type: 'boolean' },
});

export class ListTaskOutputParams {
  @IsInt() @Min(1) taskID!: number;
  @IsBoolean() stat!: boolean;
  @IsBoolean() all_volumes!: boolean;
  @IsBoolean() strict!: boolean;
}
export const listTaskOutput = method({
  name: 'listTaskOutput',
  summary: "A task's output files (with stat or volumes when asked, in Koji's shapes)",
  access: anonymous,
  args: ['taskID', ['stat', false], ['all_volumes', false], ['strict', false]],
  params: ListTaskOutputParams,
  result: { oneOf: [{ type: 'array', items: { type: 'string' } }, obj] },
});

export class DownloadTaskOutputParams {
  @IsInt() @Min(1) taskID!: number;
  @IsString() fileName!: string;
  @IsInt() @Min(0) offset!: number;
  @IsInt() @Min(-1) size!: number;
  @IsOptional() @IsString() volume?: string | null;
}
export const downloadTaskOutput = method({
  name: 'downloadTaskOutput',
  summary: 'Bytes of a task output file, base64-encoded (as Koji)',
  access: anonymous,
  args: ['taskID', 'fileName', ['offset', 0], ['size', -1], ['volume', null]],
  params: DownloadTaskOutputParams,
  result: { type: 'string' },
});

// ---- buildroots ----------------------------------------------------------------------------------

export class GetBuildrootParams {
  @IsInt() @Min(1) buildrootID!: number;
  @IsBoolean() strict!: boolean;
}
export const getBuildroot = method({
  name: 'getBuildroot',
  summary: 'A buildroot: its host, task, tag, repo, state and retention',
  access: anonymous,
  args: ['buildrootID', ['strict', false]],
  params: GetBuildrootParams,
  result: nullableObj,
});

export class ListBuildrootsParams {
  @IsOptional() @IsInt() hostID?: number | null;
  @IsOptional() @IsInt() tagID?: number | null;
  @IsOptional() state?: number | number[] | null;
  @IsOptional() @IsInt() rpmID?: number | null;
  @IsOptional() @IsInt() archiveID?: number | null;
  @IsOptional() @IsInt() taskID?: number | null;
  @IsOptional() @IsInt() buildrootID?: number | null;
  @IsOptional() @IsInt() repoID?: number | null;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
}
export const listBuildroots = method({
  name: 'listBuildroots',
  summary: 'Buildroots by host, tag, state, task or repo',
  access: anonymous,
  args: [
    ['hostID', null],
    ['tagID', null],
    ['state', null],
    ['rpmID', null],
    ['archiveID', null],
    ['taskID', null],
    ['buildrootID', null],
    ['repoID', null],
    ['queryOpts', null],
  ],
  params: ListBuildrootsParams,
  result: { oneOf: [list, { type: 'integer' }] },
});

// ---- the builder's side (host users only) --------------------------------------------------------

class NoParams {}
export const hostGetID = method({
  name: 'host.getID',
  summary: 'The host id of the calling host user',
  access: hostOnly,
  args: [],
  params: NoParams,
  result: { type: 'integer' },
});

export class UpdateHostParams {
  @IsNumber() @Min(0) task_load!: number;
  @IsBoolean() ready!: boolean;
  @IsOptional() @IsObject() data?: Record<string, unknown> | null;
}
export const hostUpdateHost = method({
  name: 'host.updateHost',
  summary: "A builder's heartbeat: its load and readiness",
  access: hostOnly,
  args: ['task_load', 'ready', ['data', null]],
  params: UpdateHostParams,
  result: { type: 'null' },
});

export const hostGetTasks = method({
  name: 'host.getTasks',
  summary: 'Tasks this host may take now: its channels and arches, within its capacity, best first',
  access: hostOnly,
  args: [],
  params: NoParams,
  result: list,
});

export class WaitForTasksParams {
  @IsNumber() @Min(0) @Max(60) timeout!: number;
  @IsOptional() @IsInt() since?: number | null;
}
export const hostWaitForTasks = method({
  name: 'host.waitForTasks',
  summary:
    "An idle builder's long-poll: answers when a task was made on this hub since `since` (a generation from an earlier answer) or after `timeout` seconds (at most 60): {woken, generation}",
  access: hostOnly,
  args: ['timeout', ['since', null]],
  params: WaitForTasksParams,
  result: obj,
});

export const hostOpenTask = method({
  name: 'host.openTask',
  summary: 'Take a task; two hosts can never open one task',
  access: hostOnly,
  args: ['task_id'],
  params: TaskIdParams,
  result: obj,
});

export class SetTaskWeightParams {
  @IsInt() @Min(1) task_id!: number;
  @IsNumber() @Min(0) weight!: number;
}
export const hostSetTaskWeight = method({
  name: 'host.setTaskWeight',
  summary: "Set an open task's weight (the handler's _taskWeight)",
  access: hostOnly,
  args: ['task_id', 'weight'],
  params: SetTaskWeightParams,
  result: { type: 'null' },
});

export class CloseTaskParams {
  @IsInt() @Min(1) task_id!: number;
  response!: unknown;
}
export const hostCloseTask = method({
  name: 'host.closeTask',
  summary: 'Finish an open task successfully with its result',
  access: hostOnly,
  args: ['task_id', 'response'],
  params: CloseTaskParams,
  result: { type: 'null' },
});

export class FaultParams {
  @IsInt() faultCode!: number;
  @IsString() faultString!: string;
  @IsOptional() @IsString() name?: string;
}
export class FailTaskParams {
  @IsInt() @Min(1) task_id!: number;
  @ValidateNested() @Type(() => FaultParams) response!: FaultParams;
}
export const hostFailTask = method({
  name: 'host.failTask',
  summary: 'Finish an open task as failed with its fault {faultCode, faultString}',
  access: hostOnly,
  args: ['task_id', 'response'],
  params: FailTaskParams,
  result: { type: 'null' },
});

export class NewBuildRootParams {
  @IsOptional() @IsInt() repo?: number | null;
  @IsString() @Matches(/^[a-zA-Z0-9_-]+$/, { message: 'arch can be only [a-zA-Z0-9_-]' }) arch!: string;
  @IsOptional() @IsInt() task_id?: number | null;
  @IsOptional() @IsIdOrName() tag?: IdOrName | null;
  @IsOptional() @IsString() path?: string | null;
}
export const hostNewBuildRoot = method({
  name: 'host.newBuildRoot',
  summary: 'Record a new buildroot of this host for a task; returns its id',
  access: hostOnly,
  args: ['repo', 'arch', ['task_id', null], ['tag', null], ['path', null]],
  params: NewBuildRootParams,
  result: { type: 'integer' },
});

export class SetBuildRootStateParams {
  @IsInt() @Min(1) brootid!: number;
  @IsIn([0, 1, 2, 3, 'INIT', 'WAITING', 'BUILDING', 'EXPIRED']) state!: number | string;
  @IsOptional() @IsInt() task_id?: number | null;
}
export const hostSetBuildRootState = method({
  name: 'host.setBuildRootState',
  summary: "Move a buildroot of this host to WAITING, BUILDING or EXPIRED (Koji's rules)",
  access: hostOnly,
  args: ['brootid', 'state', ['task_id', null]],
  params: SetBuildRootStateParams,
  result: { type: 'null' },
});

export class BuildRootRetentionParams {
  @IsInt() @Min(1) brootid!: number;
  @IsString() keep_until!: string;
}
export const hostSetBuildRootRetention = method({
  name: 'host.setBuildRootRetention',
  summary: "Record until when this host keeps a buildroot's directory (an ISO time)",
  access: hostOnly,
  args: ['brootid', 'keep_until'],
  params: BuildRootRetentionParams,
  result: { type: 'null' },
});

export class BuildRootRemovedParams {
  @IsInt() @Min(1) brootid!: number;
  @IsString() @Length(1, 500) reason!: string;
}
export const hostBuildRootRemoved = method({
  name: 'host.buildRootRemoved',
  summary: "Record that this host removed a buildroot's directory",
  access: hostOnly,
  args: ['brootid', 'reason'],
  params: BuildRootRemovedParams,
  result: { type: 'null' },
});

export class UploadFileParams {
  @IsInt() @Min(1) task_id!: number;
  @IsString() name!: string;
  @IsInt() @Min(0) offset!: number;
  @IsString() data!: string;
  @IsOptional() @IsString() volume?: string | null;
}
export const hostUploadFile = method({
  name: 'host.uploadFile',
  summary:
    'Write a base64 chunk of a task output file at an offset (resumable; finished by host.finishUpload)',
  access: hostOnly,
  args: ['task_id', 'name', 'offset', 'data', ['volume', null]],
  params: UploadFileParams,
  result: obj,
});

export class FinishUploadParams {
  @IsInt() @Min(1) task_id!: number;
  @IsString() name!: string;
  @IsInt() @Min(0) size!: number;
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lower-case hex digits' })
  sha256!: string;
  @IsOptional() @IsString() volume?: string | null;
}
export const hostFinishUpload = method({
  name: 'host.finishUpload',
  summary: 'Check an uploaded file against its size and sha256 and publish it under its name',
  access: hostOnly,
  args: ['task_id', 'name', 'size', 'sha256', ['volume', null]],
  params: FinishUploadParams,
  result: obj,
});

export class UploadStatusParams {
  @IsInt() @Min(1) task_id!: number;
  @IsString() name!: string;
  @IsOptional() @IsString() volume?: string | null;
}
export const hostUploadStatus = method({
  name: 'host.uploadStatus',
  summary: 'How many bytes of an unfinished upload the hub has (to resume it)',
  access: hostOnly,
  args: ['task_id', 'name', ['volume', null]],
  params: UploadStatusParams,
  result: obj,
});

export const tasksContract = [
  addHost,
  editHost,
  enableHost,
  disableHost,
  getHost,
  listHosts,
  addHostToChannel,
  removeHostFromChannel,
  listChannels,
  getChannel,
  addChannel,
  editChannel,
  makeTask,
  getTaskInfo,
  listTasks,
  taskFinished,
  getTaskResult,
  getTaskChildren,
  getTaskRequest,
  cancelTask,
  listTaskOutput,
  downloadTaskOutput,
  getBuildroot,
  listBuildroots,
  hostGetID,
  hostUpdateHost,
  hostGetTasks,
  hostWaitForTasks,
  hostOpenTask,
  hostSetTaskWeight,
  hostCloseTask,
  hostFailTask,
  hostNewBuildRoot,
  hostSetBuildRootState,
  hostSetBuildRootRetention,
  hostBuildRootRemoved,
  hostUploadFile,
  hostFinishUpload,
  hostUploadStatus,
];
