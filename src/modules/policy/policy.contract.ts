import { IsObject, IsString, Length } from 'class-validator';
import { method, perm } from '../../rpc/method.js';

export class CheckPolicyParams {
  @IsString() @Length(1, 255) name!: string;
  @IsObject() data!: Record<string, unknown>;
}

export const checkPolicyMethod = method({
  name: 'checkPolicy',
  summary:
    "Dry-run a policy against the data given (admin): the verdict, Koji's reason and the rules that matched; nothing is changed",
  access: perm('admin'),
  args: ['name', 'data'],
  params: CheckPolicyParams,
  result: {
    type: 'object',
    properties: {
      policy: { type: 'string' },
      allowed: { type: 'boolean' },
      result: { type: 'string' },
      reason: { type: 'string' },
      trail: { type: 'array', items: { type: 'object' } },
      trace: { type: 'string' },
      missing: { type: 'boolean' },
    },
  },
});

export const policyContract = [checkPolicyMethod];
