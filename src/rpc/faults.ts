import { isKojiError } from '../kernel/errors.js';
import { InvalidParams } from './binding.js';
import { UnknownMethod } from './registry.js';

export interface Fault {
  faultCode: number;
  faultString: string;
  name: string;
  /** Extra facts some errors carry (the policy trail of a denial, the parameter at fault). */
  data?: Record<string, unknown>;
  internal: boolean;
}

/**
 * The same exception reaches both doors (DESIGN §3): a KojiError keeps its class and message,
 * anything else becomes an internal error whose details stay in the hub's log.
 */
export function toFault(e: unknown, requestId: string): Fault {
  if (e instanceof UnknownMethod)
    return { faultCode: 1000, faultString: e.message, name: 'GenericError', internal: false };
  if (isKojiError(e)) {
    const extra = (e as { data?: Record<string, unknown> }).data;
    const data: Record<string, unknown> = { ...(extra ?? {}) };
    if (e instanceof InvalidParams && e.param) data.param = e.param;
    return {
      faultCode: e.faultCode,
      faultString: e.message,
      name: e.faultName,
      data: Object.keys(data).length ? data : undefined,
      internal: false,
    };
  }
  return {
    faultCode: 1,
    faultString: `internal error (request ${requestId}); the hub's log has the details`,
    name: 'InternalError',
    internal: true,
  };
}
