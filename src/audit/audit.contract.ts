import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { method, perm } from '../rpc/method.js';
import { STATE_KINDS } from './state.js';

const list = { type: 'array', items: { type: 'object' } };

export class AuditLogParams {
  @IsOptional() @IsString() stream?: string | null;
  @IsOptional() @IsString() type?: string | null;
  @IsOptional() @IsString() user?: string | null;
  @IsOptional() @IsString() since?: string | null;
  @IsOptional() @IsString() until?: string | null;
  @IsOptional() tag?: string | number | null;
  @IsOptional() @IsInt() task?: number | null;
  @IsOptional() @IsInt() @Min(1) limit?: number | null;
}
export const auditLog = method({
  name: 'auditLog',
  summary:
    'Who did what, when, from where, and the policy rule that allowed it (admin); filters as `koji-es audit log`',
  access: perm('admin'),
  args: [
    ['stream', null],
    ['type', null],
    ['user', null],
    ['since', null],
    ['until', null],
    ['tag', null],
    ['task', null],
    ['limit', null],
  ],
  params: AuditLogParams,
  result: list,
});

export class AuditStateParams {
  @IsIn([...STATE_KINDS]) kind!: string;
  @IsInt() @Min(1) id!: number;
  @IsOptional() @IsString() at?: string | null;
}
export const auditState = method({
  name: 'auditState',
  summary: 'A tag, sidetag, task, buildroot or user as it was at a time or Koji event id (admin)',
  access: perm('admin'),
  args: ['kind', 'id', ['at', null]],
  params: AuditStateParams,
  result: { type: 'object' },
});

export class AuditExplainParams {
  @IsString() @Length(1, 100) event!: string;
}
export const auditExplain = method({
  name: 'auditExplain',
  summary: 'An event (Koji event id or event uuid) and its chain of causes back to the request (admin)',
  access: perm('admin'),
  args: ['event'],
  params: AuditExplainParams,
  result: { type: 'object' },
});

export class AuditProjectionParams {
  @IsOptional() @IsString() projection?: string | null;
}
export const auditVerify = method({
  name: 'auditVerify',
  summary: 'Replay the log into memory and compare every read model with the live one (admin)',
  access: perm('admin'),
  args: [['projection', null]],
  params: AuditProjectionParams,
  result: { type: 'object' },
});
export class AuditRebuildParams extends AuditProjectionParams {
  /** Threads replaying the projections, in groups; default for a log of 500,000 events or more one per core of the hub's machine (PostgreSQL) or per two cores (SQLite), else 1. */
  @IsOptional() @IsInt() @Min(1) @Max(64) threads?: number | null;
}
export const auditRebuild = method({
  name: 'auditRebuild',
  summary:
    'Rebuild read models from the log into fresh tables and swap them in while the hub answers, the projections spread over `threads` threads (admin)',
  access: perm('admin'),
  args: [
    ['projection', null],
    ['threads', null],
  ],
  params: AuditRebuildParams,
  result: { type: 'object' },
});
class NoParams {}
export const auditRebuildStatus = method({
  name: 'auditRebuildStatus',
  summary: 'Progress of a running rebuild, or None (admin)',
  access: perm('admin'),
  args: [],
  params: NoParams,
  result: { type: 'object' },
});

export const auditContract = [
  auditLog,
  auditState,
  auditExplain,
  auditVerify,
  auditRebuild,
  auditRebuildStatus,
];
