import {
  IsArray,
  IsBoolean,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { anonymous, loggedIn, method, perm } from '../../rpc/method.js';
import { QueryOpts, QueryOptsType, type IdOrName } from '../../rpc/validators.js';

type Info = IdOrName | null;

export class CreateSideTagParams {
  basetag!: Info;
  @IsOptional() debuginfo?: unknown;
  @IsOptional() @IsString() suffix?: string | null;
  @IsOptional() label?: unknown;
  @IsOptional() @IsString() target?: string | null;
}
export const createSideTag = method({
  name: 'createSideTag',
  summary:
    "Create a sidetag of a base tag for the logged-in user, under the sidetag policy; returns {name, id, task_id, request}. koji-es: with a label, get-or-create (the caller's live sidetag of that base tag with that label is returned instead, {..., created: false}); with basetag None and a target, the target's build tag is the base",
  // Koji checks the suffix before the login, so the login check is the handler's (same message).
  access: anonymous,
  args: ['basetag', ['debuginfo', false], ['suffix', null], ['label', null], ['target', null]],
  params: CreateSideTagParams,
  result: { type: 'object' },
});

export class SidetagParams {
  sidetag!: Info;
}
export const removeSideTag = method({
  name: 'removeSideTag',
  summary: 'Remove a sidetag and its build target (its owner or an admin)',
  access: loggedIn,
  args: ['sidetag'],
  params: SidetagParams,
  result: { type: 'null' },
});

export class ListSideTagsParams {
  basetag?: Info;
  user?: Info;
  @IsOptional() @ValidateNested() @QueryOptsType() queryOpts?: QueryOpts | null;
  @IsOptional() @IsString() label?: string | null;
  @IsOptional() @IsNumber() @Min(0) due?: number | null;
}
export const listSideTags = method({
  name: 'listSideTags',
  summary:
    'Sidetags, by base tag, owner and label: {id, name, user_id, user_name}; queryOpts {"extra": true} adds label, hold, basetag, created, activity, expiry and when the hub\'s cleanup removes it; due=DAYS keeps those it removes within DAYS days',
  access: anonymous,
  args: [
    ['basetag', null],
    ['user', null],
    ['queryOpts', null],
    ['label', null],
    ['due', null],
  ],
  params: ListSideTagsParams,
  result: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'integer' }] },
});

export class EditSideTagParams {
  sidetag!: Info;
  @IsOptional() debuginfo?: unknown;
  @IsOptional() rpm_macros?: unknown;
  @IsOptional() remove_rpm_macros?: unknown;
  @IsOptional() extra?: unknown;
  @IsOptional() remove_extra?: unknown;
}
export const editSideTag = method({
  name: 'editSideTag',
  summary:
    "Change a sidetag's debuginfo, rpm macros (within the parent's allow-list) or, for sidetag_admin, its extra",
  access: loggedIn,
  args: [
    'sidetag',
    ['debuginfo', null],
    ['rpm_macros', null],
    ['remove_rpm_macros', null],
    ['extra', null],
    ['remove_extra', null],
  ],
  params: EditSideTagParams,
  result: { type: 'null' },
});

export class HoldSideTagParams {
  sidetag!: Info;
  @IsString() @Length(1, 1000) reason!: string;
}
export const holdSideTag = method({
  name: 'holdSideTag',
  summary: 'Keep a sidetag out of every automatic removal, with a reason (owner, sidetag_admin or admin)',
  access: loggedIn,
  args: ['sidetag', 'reason'],
  params: HoldSideTagParams,
  result: { type: 'null' },
});

export const releaseSideTag = method({
  name: 'releaseSideTag',
  summary: 'Release a hold on a sidetag (owner, sidetag_admin or admin)',
  access: loggedIn,
  args: ['sidetag'],
  params: SidetagParams,
  result: { type: 'null' },
});

export class SidetagUserParams {
  sidetag!: Info;
  user!: Info;
}
export const addSideTagOwner = method({
  name: 'addSideTagOwner',
  summary:
    "koji-es: make a user a co-owner of a sidetag, who may then tag builds into it and untag them (the sidetag's owner or an admin)",
  access: loggedIn,
  args: ['sidetag', 'user'],
  params: SidetagUserParams,
  result: { type: 'null' },
});
export const removeSideTagOwner = method({
  name: 'removeSideTagOwner',
  summary: "koji-es: take a co-owner off a sidetag (the sidetag's owner or an admin)",
  access: loggedIn,
  args: ['sidetag', 'user'],
  params: SidetagUserParams,
  result: { type: 'null' },
});

export const transferSideTag = method({
  name: 'transferSideTag',
  summary:
    "koji-es: give a sidetag to another user, with its quota and label; the sidetag policy judges the new owner (the sidetag's owner or an admin)",
  access: loggedIn,
  args: ['sidetag', 'user'],
  params: SidetagUserParams,
  result: { type: 'null' },
});

export const MAX_EXPIRY_DAYS = 36500;

export class SetSideTagExpiryParams {
  sidetag!: Info;
  // A hundred years is "never" for any real sidetag, and keeps the date one a timestamp can hold.
  @IsOptional() @IsNumber() @Min(0) @Max(MAX_EXPIRY_DAYS) days?: number | null;
}
export const setSideTagExpiry = method({
  name: 'setSideTagExpiry',
  summary:
    "koji-es: have the hub's cleanup remove a sidetag once `days` days from now have passed (unless it is held then); None clears it (owner, sidetag_admin or admin)",
  access: loggedIn,
  args: ['sidetag', ['days', null]],
  params: SetSideTagExpiryParams,
  result: { type: 'null' },
});

export class CleanupSideTagsParams {
  @IsBoolean() test!: boolean;
  @IsOptional() @IsBoolean() expired?: boolean;
  @IsBoolean() empty!: boolean;
  @IsNumber() @Min(0) empty_delay!: number;
  @IsBoolean() old!: boolean;
  @IsNumber() @Min(0) old_delay!: number;
  @IsBoolean() inactive!: boolean;
  @IsNumber() @Min(0) inactive_delay!: number;
  @IsOptional() @IsArray() @IsString({ each: true }) ignore_tags?: string[] | null;
}
export const cleanupSideTags = method({
  name: 'cleanupSideTags',
  summary:
    'koji-sidetag-cleanup in the hub (sidetag_admin): empty, old and inactive sidetags, held ones never; test=True reports only',
  access: perm('sidetag_admin'),
  args: [
    ['test', false],
    ['empty', true],
    ['empty_delay', 1],
    ['old', true],
    ['old_delay', 30],
    ['inactive', true],
    ['inactive_delay', 10],
    ['ignore_tags', null],
    ['expired', true],
  ],
  params: CleanupSideTagsParams,
  result: { type: 'array', items: { type: 'object' } },
});

export const sidetagContract = [
  createSideTag,
  removeSideTag,
  listSideTags,
  editSideTag,
  holdSideTag,
  addSideTagOwner,
  removeSideTagOwner,
  transferSideTag,
  setSideTagExpiry,
  releaseSideTag,
  cleanupSideTags,
];
