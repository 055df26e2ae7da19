import {
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { anonymous, loggedIn, method, perm } from '../../rpc/method.js';
import { IsIdOrName, QueryOpts, QueryOptsType, type IdOrName } from '../../rpc/validators.js';

/** Result shapes of the tags module's methods (packages.contract.ts uses them too). */
export const obj = { type: 'object' };
export const nullableObj = { oneOf: [obj, { type: 'null' }] };
export const list = { type: 'array', items: obj };
export const listOrCount = { oneOf: [list, { type: 'integer' }] };

/** Tag, build, package and target references are validated by the handlers, with Koji's own messages. */
export type Info = IdOrName | Record<string, unknown> | null;

// ---- tags ----------------------------------------------------------------------------------------

export class CreateTagParams {
  name!: unknown;
  parent?: Info;
  arches?: unknown;
  @IsBoolean() locked!: boolean;
  perm?: Info;
  @IsBoolean() maven_support!: boolean;
  @IsBoolean() maven_include_all!: boolean;
  @IsOptional() @IsObject() extra?: Record<string, unknown> | null;
}
export const createTag = method({
  name: 'createTag',
  summary: 'Create a tag (tag permission); returns its id',
  access: perm('tag'),
  args: [
    'name',
    ['parent', null],
    ['arches', null],
    ['locked', false],
    ['perm', null],
    ['maven_support', false],
    ['maven_include_all', false],
    ['extra', null],
  ],
  params: CreateTagParams,
  result: { type: 'integer' },
});

export class EditTag2Params {
  tagInfo!: Info;
  @IsObject() kwargs!: Record<string, unknown>;
}
export const editTag2 = method({
  name: 'editTag2',
  summary: 'Edit a tag (tag permission): name, arches, locked, perm, extra, remove_extra, parent',
  access: perm('tag'),
  args: ['tagInfo'],
  starstar: 'kwargs',
  params: EditTag2Params,
  result: { type: 'null' },
});

export class TagInfoParams {
  tagInfo!: Info;
}
export const deleteTag = method({
  name: 'deleteTag',
  summary: 'Delete a tag (tag permission): its builds are untagged, its targets and child links removed',
  access: perm('tag'),
  args: ['tagInfo'],
  params: TagInfoParams,
  result: { type: 'null' },
});

export class GetTagParams {
  tagInfo!: Info;
  @IsBoolean() strict!: boolean;
  @IsOptional() @IsInt() event?: number | null;
  @IsBoolean() blocked!: boolean;
}
export const getTag = method({
  name: 'getTag',
  summary: "A tag by id or name, with its own extra (Koji's fields)",
  access: anonymous,
  args: ['tagInfo', ['strict', false], ['event', null], ['blocked', false]],
  params: GetTagParams,
  result: nullableObj,
});

export class ListTagsParams {
  build?: Info;
  package?: Info;
  @IsBoolean() perms!: boolean;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
  @IsOptional() @IsString() pattern?: string | null;
}
export const listTags = method({
  name: 'listTags',
  summary: 'Tags, or the tags a build is in; pattern is a glob on the name',
  access: anonymous,
  args: [
    ['build', null],
    ['package', null],
    ['perms', true],
    ['queryOpts', null],
    ['pattern', null],
  ],
  params: ListTagsParams,
  result: listOrCount,
});

export class InheritanceParams {
  tag!: Info;
  @IsOptional() @IsInt() event?: number | null;
}
export const getInheritanceData = method({
  name: 'getInheritanceData',
  summary: "A tag's direct parents, by priority",
  access: anonymous,
  args: ['tag', ['event', null]],
  params: InheritanceParams,
  result: list,
});

export class ReadInheritanceParams {
  tag_id!: Info;
  @IsOptional() @IsInt() event?: number | null;
}
export const readInheritanceData = method({
  name: 'readInheritanceData',
  summary: "A tag's direct parents, by priority",
  access: anonymous,
  args: ['tag_id', ['event', null]],
  params: ReadInheritanceParams,
  result: list,
});

export class FullInheritanceParams {
  tag!: Info;
  @IsOptional() @IsInt() event?: number | null;
  @IsBoolean() reverse!: boolean;
}
export const getFullInheritance = method({
  name: 'getFullInheritance',
  summary: 'Every ancestor of a tag (or, with reverse, every descendant)',
  access: anonymous,
  args: ['tag', ['event', null], ['reverse', false]],
  params: FullInheritanceParams,
  result: list,
});

export class BuildConfigParams {
  tag!: Info;
  @IsOptional() @IsInt() event?: number | null;
}
export const getBuildConfig = method({
  name: 'getBuildConfig',
  summary: "A tag's inherited configuration: arches and extra as the builder sees them",
  access: anonymous,
  args: ['tag', ['event', null]],
  params: BuildConfigParams,
  result: obj,
});

// ---- targets -------------------------------------------------------------------------------------

export class CreateBuildTargetParams {
  name!: unknown;
  build_tag!: Info;
  dest_tag!: Info;
}
export const createBuildTarget = method({
  name: 'createBuildTarget',
  summary: 'Create a build target (target permission)',
  access: perm('target'),
  args: ['name', 'build_tag', 'dest_tag'],
  params: CreateBuildTargetParams,
  result: { type: 'null' },
});

export class EditBuildTargetParams {
  buildTargetInfo!: Info;
  name!: unknown;
  build_tag!: Info;
  dest_tag!: Info;
}
export const editBuildTarget = method({
  name: 'editBuildTarget',
  summary: 'Rename a build target or change its tags (target permission)',
  access: perm('target'),
  args: ['buildTargetInfo', 'name', 'build_tag', 'dest_tag'],
  params: EditBuildTargetParams,
  result: { type: 'null' },
});

export class BuildTargetInfoParams {
  buildTargetInfo!: Info;
}
export const deleteBuildTarget = method({
  name: 'deleteBuildTarget',
  summary: 'Delete a build target (target permission)',
  access: perm('target'),
  args: ['buildTargetInfo'],
  params: BuildTargetInfoParams,
  result: { type: 'null' },
});

export class GetBuildTargetParams {
  info!: Info;
  @IsOptional() @IsInt() event?: number | null;
  @IsBoolean() strict!: boolean;
}
export const getBuildTarget = method({
  name: 'getBuildTarget',
  summary: 'A build target by id or name',
  access: anonymous,
  args: ['info', ['event', null], ['strict', false]],
  params: GetBuildTargetParams,
  result: nullableObj,
});

export class GetBuildTargetsParams {
  info?: Info;
  @IsOptional() @IsInt() event?: number | null;
  buildTagID?: Info;
  destTagID?: Info;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
}
export const getBuildTargets = method({
  name: 'getBuildTargets',
  summary: 'Build targets, by name, build tag or destination tag',
  access: anonymous,
  args: [
    ['info', null],
    ['event', null],
    ['buildTagID', null],
    ['destTagID', null],
    ['queryOpts', null],
  ],
  params: GetBuildTargetsParams,
  result: listOrCount,
});

// ---- builds and tagging --------------------------------------------------------------------------

export class CreateEmptyBuildParams {
  @IsString() @Length(1, 255) name!: string;
  @IsString() @Length(1, 255) version!: string;
  @IsString() @Length(1, 255) release!: string;
  // Koji's build.epoch is an INTEGER column.
  @IsOptional() @IsInt() @Min(0) @Max(2147483647) epoch?: number | null;
  @IsOptional() @IsIdOrName() owner?: IdOrName | null;
  @IsBoolean() draft!: boolean;
}
export const createEmptyBuild = method({
  name: 'createEmptyBuild',
  summary: 'Record a build with no files (admin); returns its id',
  access: perm('admin'),
  args: ['name', 'version', 'release', 'epoch', ['owner', null], ['draft', false]],
  params: CreateEmptyBuildParams,
  result: { type: 'integer' },
});

export class GetBuildParams {
  buildInfo!: Info;
  @IsBoolean() strict!: boolean;
}
export const getBuild = method({
  name: 'getBuild',
  summary: 'A build by id, NVR or {name, version, release}',
  access: anonymous,
  args: ['buildInfo', ['strict', false]],
  params: GetBuildParams,
  result: nullableObj,
});

export class ListBuildsParams {
  packageID?: Info;
  userID?: Info;
  @IsOptional() @IsInt() taskID?: number | null;
  @IsOptional() @IsString() prefix?: string | null;
  @IsOptional() @IsInt() state?: number | null;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
  @IsOptional() @IsString() pattern?: string | null;
}
export const listBuilds = method({
  name: 'listBuilds',
  summary: 'Builds, by package, owner, task, NVR prefix or glob, state',
  access: anonymous,
  args: [
    ['packageID', null],
    ['userID', null],
    ['taskID', null],
    ['prefix', null],
    ['state', null],
    ['queryOpts', null],
    ['pattern', null],
  ],
  params: ListBuildsParams,
  result: listOrCount,
});

export class TagBuildParams {
  tag!: Info;
  build!: Info;
  @IsBoolean() force!: boolean;
  fromtag?: Info;
}
export const tagBuild = method({
  name: 'tagBuild',
  summary: "Tag a build (or move it with fromtag) under the tag policy; returns the tagBuild task's id",
  access: loggedIn,
  args: ['tag', 'build', ['force', false], ['fromtag', null]],
  params: TagBuildParams,
  result: { type: 'integer' },
});

export class UntagBuildParams {
  tag!: Info;
  build!: Info;
  @IsBoolean() strict!: boolean;
  @IsBoolean() force!: boolean;
}
export const untagBuild = method({
  name: 'untagBuild',
  summary: 'Untag a build, directly, under the tag policy',
  access: loggedIn,
  args: ['tag', 'build', ['strict', true], ['force', false]],
  params: UntagBuildParams,
  result: { type: 'null' },
});

export class TagBuildBypassParams {
  tag!: Info;
  build!: Info;
  @IsBoolean() force!: boolean;
  @IsBoolean() notify!: boolean;
}
export const tagBuildBypass = method({
  name: 'tagBuildBypass',
  summary: 'Tag a build directly, without policy or access checks (admin)',
  access: perm('admin'),
  args: ['tag', 'build', ['force', false], ['notify', false]],
  params: TagBuildBypassParams,
  result: { type: 'null' },
});

export class UntagBuildBypassParams {
  tag!: Info;
  build!: Info;
  @IsBoolean() strict!: boolean;
  @IsBoolean() force!: boolean;
  @IsBoolean() notify!: boolean;
}
export const untagBuildBypass = method({
  name: 'untagBuildBypass',
  summary: 'Untag a build directly, without policy or access checks (admin)',
  access: perm('admin'),
  args: ['tag', 'build', ['strict', true], ['force', false], ['notify', false]],
  params: UntagBuildBypassParams,
  result: { type: 'null' },
});

export class ListTaggedParams {
  tag!: Info;
  @IsOptional() @IsInt() event?: number | null;
  @IsBoolean() inherit!: boolean;
  @IsOptional() @IsString() prefix?: string | null;
  @IsBoolean() latest!: boolean;
  package?: Info;
  owner?: Info;
  @IsOptional() @IsString() type?: string | null;
  @IsBoolean() strict!: boolean;
}
export const listTagged = method({
  name: 'listTagged',
  summary: 'Builds tagged into a tag (with inherit, the nearest tag wins for a package)',
  access: anonymous,
  args: [
    'tag',
    ['event', null],
    ['inherit', false],
    ['prefix', null],
    ['latest', false],
    ['package', null],
    ['owner', null],
    ['type', null],
    ['strict', true],
  ],
  params: ListTaggedParams,
  result: list,
});

// ---- repos ---------------------------------------------------------------------------------------

export class NewRepoParams {
  tag!: Info;
  @IsOptional() @IsInt() event?: number | null;
  @IsBoolean() src!: boolean;
  @IsBoolean() debuginfo!: boolean;
  @IsBoolean() separate_src!: boolean;
}
export const newRepo = method({
  name: 'newRepo',
  summary: "Regenerate a tag's repo now (repo permission); returns the newRepo task's id",
  access: perm('repo'),
  args: ['tag', ['event', null], ['src', false], ['debuginfo', false], ['separate_src', false]],
  params: NewRepoParams,
  result: { type: 'integer' },
});

export class GetRepoParams {
  tag!: Info;
  @IsOptional() @IsInt() state?: number | null;
  @IsOptional() @IsInt() event?: number | null;
  @IsBoolean() dist!: boolean;
  @IsOptional() @IsInt() min_event?: number | null;
}
export const getRepo = method({
  name: 'getRepo',
  summary: "A tag's newest READY repo (Koji's legacy call)",
  access: anonymous,
  args: ['tag', ['state', null], ['event', null], ['dist', false], ['min_event', null]],
  params: GetRepoParams,
  result: nullableObj,
});

export class RepoInfoParams {
  @IsInt() @Min(1) repo_id!: number;
  @IsBoolean() strict!: boolean;
}
export const repoInfoMethod = method({
  name: 'repoInfo',
  summary: 'A repo: its tag, state, create_event and the builds it holds',
  access: anonymous,
  args: ['repo_id', ['strict', false]],
  params: RepoInfoParams,
  result: nullableObj,
});

export class RepoGetParams {
  tag!: Info;
  @IsOptional() @IsInt() min_event?: number | null;
  @IsOptional() @IsInt() at_event?: number | null;
  @IsOptional() @IsObject() opts?: Record<string, unknown> | null;
}
export const repoGet = method({
  name: 'repo.get',
  summary: 'A READY repo of the tag created at or after min_event, or None',
  access: anonymous,
  args: ['tag', ['min_event', null], ['at_event', null], ['opts', null]],
  params: RepoGetParams,
  result: nullableObj,
});

export class RepoRequestParams {
  tag!: Info;
  @IsOptional() @IsInt() min_event?: number | null;
  @IsOptional() @IsInt() at_event?: number | null;
  @IsOptional() @IsObject() opts?: Record<string, unknown> | null;
  @IsOptional() @IsInt() priority?: number | null;
  @IsBoolean() force!: boolean;
}
export const repoRequest = method({
  name: 'repo.request',
  summary: 'Ask for a repo of the tag at least as new as min_event: {repo, request, duplicate}',
  access: loggedIn,
  args: [
    'tag',
    ['min_event', null],
    ['at_event', null],
    ['opts', null],
    ['priority', null],
    ['force', false],
  ],
  params: RepoRequestParams,
  result: obj,
});

export class CheckRequestParams {
  @IsInt() @Min(1) req_id!: number;
}
export const repoCheckRequest = method({
  name: 'repo.checkRequest',
  summary: 'The state of a repo request: {repo, request}',
  access: anonymous,
  args: ['req_id'],
  params: CheckRequestParams,
  result: obj,
});

export class TagLastChangeParams {
  tag!: Info;
  @IsOptional() @IsInt() before?: number | null;
  @IsBoolean() inherit!: boolean;
}
export const tagLastChangeEvent = method({
  name: 'tagLastChangeEvent',
  summary: "The Koji event id of a tag's last change (with inherit, its ancestors' too)",
  access: anonymous,
  args: ['tag', ['before', null], ['inherit', true]],
  params: TagLastChangeParams,
  result: { type: 'integer' },
});

export const tagsContract = [
  createTag,
  editTag2,
  deleteTag,
  getTag,
  listTags,
  getInheritanceData,
  readInheritanceData,
  getFullInheritance,
  getBuildConfig,
  createBuildTarget,
  editBuildTarget,
  deleteBuildTarget,
  getBuildTarget,
  getBuildTargets,
  createEmptyBuild,
  getBuild,
  listBuilds,
  tagBuild,
  untagBuild,
  tagBuildBypass,
  untagBuildBypass,
  listTagged,
  newRepo,
  getRepo,
  repoInfoMethod,
  repoGet,
  repoRequest,
  repoCheckRequest,
  tagLastChangeEvent,
];
