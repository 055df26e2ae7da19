import { Injectable } from '@nestjs/common';
import { actionNotAllowed, genericError } from '../kernel/errors.js';
import { bindArgs, validateParams } from './binding.js';
import type { CallContext } from './context.js';
import { hasPerm } from './context.js';
import type { MethodDecl } from './method.js';

export type Handler = (params: never, ctx: CallContext) => Promise<unknown>;

interface Entry {
  decl: MethodDecl;
  handler: Handler | null;
}

/** Raised for a name nobody declared: /kojihub faults with it, /rpc answers -32601. */
export class UnknownMethod extends Error {
  constructor(readonly method: string) {
    super(`Invalid method: ${method}`);
  }
}

/**
 * The API: declarations from every module's contract (app.module.ts lists them) and the handlers
 * the modules attach. A duplicate name, or a declaration nobody implements, stops start-up.
 */
@Injectable()
export class MethodRegistry {
  private entries = new Map<string, Entry>();

  declare(decls: MethodDecl[]): void {
    for (const d of decls) {
      if (this.entries.has(d.name)) throw new Error(`API method ${d.name} is declared twice`);
      this.entries.set(d.name, { decl: d, handler: null });
    }
  }

  implement<P>(decl: MethodDecl, handler: (params: P, ctx: CallContext) => Promise<unknown>): void {
    const e = this.entries.get(decl.name);
    if (!e || e.decl !== decl)
      throw new Error(`API method ${decl.name} is implemented but not declared in app.module.ts`);
    if (e.handler) throw new Error(`API method ${decl.name} is implemented twice`);
    e.handler = handler as Handler;
  }

  assertComplete(): void {
    const missing = [...this.entries.values()].filter((e) => !e.handler).map((e) => e.decl.name);
    if (missing.length)
      throw new Error(`API methods declared without an implementation: ${missing.join(', ')}`);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  decl(name: string): MethodDecl | undefined {
    return this.entries.get(name)?.decl;
  }

  list(): MethodDecl[] {
    return [...this.entries.values()]
      .map((e) => e.decl)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Binds, checks access, validates and runs one call, in Koji's order. */
  async call(
    name: string,
    positional: unknown[],
    kwargs: Record<string, unknown>,
    ctx: CallContext,
  ): Promise<unknown> {
    const e = this.entries.get(name);
    if (!e || !e.handler) throw new UnknownMethod(name);
    if (ctx.authProblem && !e.decl.acceptsBadCredentials) throw ctx.authProblem;
    const bound = bindArgs(e.decl, positional, kwargs);
    checkAccess(e.decl, ctx);
    const params = await validateParams(e.decl, bound);
    return e.handler(params as never, ctx);
  }
}

/** Koji's assertLogin / assertPerm messages, word for word (spec §1.10). */
export function checkAccess(d: MethodDecl, ctx: CallContext): void {
  const a = d.access;
  if (a.kind === 'anonymous') return;
  if (a.kind === 'login') {
    if (!ctx.user) throw actionNotAllowed('you must be logged in for this operation');
    return;
  }
  if (a.kind === 'host') {
    if (!ctx.user) throw actionNotAllowed('host permission required (user not logged in)');
    if (ctx.user.usertype !== 1)
      throw actionNotAllowed(`host permission required (logged in as ${ctx.user.name})`);
    return;
  }
  if (!hasPerm(ctx.user, a.perm))
    throw actionNotAllowed(
      `${a.perm} permission required (${ctx.user ? `logged in as ${ctx.user.name}` : 'user not logged in'})`,
    );
}

export { genericError };
