import { FAULT_TABLE, type FaultName } from './faults.generated.js';

export type { FaultName };

const byName = new Map<string, { faultCode: number; parent: string | null }>(
  FAULT_TABLE.map((f) => [f.name, { faultCode: f.faultCode, parent: f.parent }]),
);
const byCode = new Map<number, FaultName>(FAULT_TABLE.map((f) => [f.faultCode, f.name]));

/**
 * The one exception type of the domain. Its name and code come from Koji's fault table, so both
 * doors (/kojihub and /rpc) report the exact class a koji client maps back with `convertFault`.
 */
export class KojiError extends Error {
  readonly faultCode: number;

  constructor(
    readonly faultName: FaultName,
    message: string,
  ) {
    super(message);
    this.name = faultName;
    this.faultCode = byName.get(faultName)!.faultCode;
  }

  /** True when this error is `ancestor` or one of its subclasses (AuthExpired is an AuthError). */
  isA(ancestor: FaultName): boolean {
    return faultIsA(this.faultName, ancestor);
  }
}

export function faultIsA(name: string, ancestor: FaultName): boolean {
  for (let cur: string | null = name; cur; cur = byName.get(cur)?.parent ?? null) {
    if (cur === ancestor) return true;
  }
  return false;
}

export function faultNameOf(code: number): FaultName | undefined {
  return byCode.get(code);
}

/** Rebuilds the error a fault stands for (the client side of Koji's `convertFault`). */
export function errorFromFault(faultCode: number, faultString: string): KojiError {
  return new KojiError(faultNameOf(faultCode) ?? 'GenericError', faultString);
}

export const isKojiError = (e: unknown): e is KojiError => e instanceof KojiError;

// Shorthands for the classes the domain raises most; the messages are Koji's where Koji has one.
export const genericError = (msg: string) => new KojiError('GenericError', msg);
export const parameterError = (msg: string) => new KojiError('ParameterError', msg);
export const actionNotAllowed = (msg: string) => new KojiError('ActionNotAllowed', msg);
export const authError = (msg: string) => new KojiError('AuthError', msg);
export const lockError = (msg: string) => new KojiError('LockError', msg);
