/**
 * One declaration per API method (DESIGN §3 rule 5): Koji's name, a one-line summary, who may call
 * it, Koji's positional signature, the class-validator parameter class and the result's shape.
 * Validation, `_listapi`, `system.methodHelp`, the OpenRPC document, the CLI's `list-api` and the
 * API snapshot test all derive from these declarations.
 */
import { pyRepr } from '../kernel/python.js';

export type Access =
  { kind: 'anonymous' } | { kind: 'login' } | { kind: 'perm'; perm: string } | { kind: 'host' };

export const anonymous: Access = { kind: 'anonymous' };
export const loggedIn: Access = { kind: 'login' };
export const hostOnly: Access = { kind: 'host' };
export const perm = (name: string): Access => ({ kind: 'perm', perm: name });

export interface ArgSpec {
  name: string;
  hasDefault: boolean;
  default?: unknown;
}

/** A JSON Schema fragment (for OpenRPC and the CLI's help). */
export type JsonSchema = Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type ParamsClass = Function & { prototype: object };

export interface MethodDecl {
  name: string;
  summary: string;
  access: Access;
  args: ArgSpec[];
  /** Name of the `**opts` catch-all (Koji's runroot/saveFailedTree), or null. */
  starstar: string | null;
  params: new () => object;
  result: JsonSchema;
  /** Runs even when the request's credentials were refused (only `login`, to renew a session). */
  acceptsBadCredentials?: boolean;
}

export interface MethodInput {
  name: string;
  summary: string;
  access: Access;
  /** Koji's signature: a name, or [name, default] for an optional argument. */
  args: (string | [string, unknown])[];
  starstar?: string;
  params: new () => object;
  result: JsonSchema;
  acceptsBadCredentials?: boolean;
}

export function method(d: MethodInput): MethodDecl {
  const args = d.args.map((a) =>
    typeof a === 'string' ? { name: a, hasDefault: false } : { name: a[0], hasDefault: true, default: a[1] },
  );
  let seenDefault = false;
  for (const a of args) {
    if (a.hasDefault) seenDefault = true;
    else if (seenDefault) throw new Error(`${d.name}: required argument ${a.name} follows an optional one`);
  }
  return { ...d, args, starstar: d.starstar ?? null };
}

// Re-exported: most callers took Python's repr from here before it moved to the kernel.
export { pyRepr };

/** `createSideTag(basetag, debuginfo=False, suffix=None)`. */
export function signature(d: MethodDecl): string {
  const parts = d.args.map((a) => (a.hasDefault ? `${a.name}=${pyRepr(a.default)}` : a.name));
  if (d.starstar) parts.push(`**${d.starstar}`);
  return `${d.name}(${parts.join(', ')})`;
}

export function accessText(a: Access): string {
  switch (a.kind) {
    case 'anonymous':
      return 'anyone';
    case 'login':
      return 'logged-in users';
    case 'host':
      return 'builder hosts';
    case 'perm':
      return `the ${a.perm} permission (or admin)`;
  }
}
