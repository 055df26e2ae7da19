import { KojiError } from '../kernel/errors.js';
import type { TrailStep } from './policy.types.js';

export interface PolicySyntaxErrorData {
  readonly policy: string;
  /** 1-based, plus the caller's line offset (a file line when the caller extracted the policy). */
  readonly line: number;
  readonly file?: string;
  /** Koji's own message, e.g. `missing test handler: foo`. */
  readonly detail: string;
}

/**
 * A policy that cannot be compiled. Koji raises a mix of GenericError, bare Exception, ValueError and
 * IndexError here and the hub goes offline with "server startup error"; here it is always a
 * GenericError whose message keeps Koji's wording and says where: the file (when known), the policy
 * and the line.
 */
export class PolicySyntaxError extends KojiError {
  constructor(readonly data: PolicySyntaxErrorData) {
    const where = `${data.file ? `${data.file}: ` : ''}policy ${data.policy}, line ${data.line}`;
    super('GenericError', `${where}: ${data.detail}`);
  }
}

export interface PolicyViolationData {
  readonly policy: string;
  /** The verb that decided (`deny`, or the verb that was not allow/deny), or the default. */
  readonly result: string;
  readonly reason: string;
  readonly trail: readonly TrailStep[];
  /** Koji's `last_rule()`; '' for a missing policy. */
  readonly trace: string;
}

/**
 * `ActionNotAllowed` raised by `assertPolicy`. The message is Koji's exactly; the trail travels in
 * `data` whatever the message says, so the API and the audit log can show why.
 */
export class PolicyViolation extends KojiError {
  constructor(
    message: string,
    readonly data: PolicyViolationData,
  ) {
    super('ActionNotAllowed', message);
  }
}
