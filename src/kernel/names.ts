import { genericError } from './errors.js';

/** The two [hub] keys Koji's name checks read. */
export interface NameRules {
  maxNameLengthInternal: number;
  regexNameInternal: string;
}

/**
 * Koji's verify_name_internal (kojihub.py): the check of tag, target, host, group, channel and
 * (created) permission names, with Koji's messages.
 */
export function verifyNameInternal(name: unknown, rules: NameRules): asserts name is string {
  if (typeof name !== 'string') throw genericError('Name should be string');
  const max = rules.maxNameLengthInternal;
  if (max && name.length > max)
    throw genericError(`Name ${name} is too long. Max length is ${max} characters`);
  if (!new RegExp(rules.regexNameInternal).test(name))
    throw genericError(`Name ${name} does not match RegexNameInternal value`);
}
