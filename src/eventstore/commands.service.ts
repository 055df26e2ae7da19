import { Inject, Injectable } from '@nestjs/common';
import { HUB_CONFIG, STORE_BACKEND } from '../app.tokens.js';
import type { HubConfig } from '../config/hub-config.js';
import { decideAndAppend, type UnitOfWork } from '../kernel/unit-of-work.js';
import type { CallContext } from '../rpc/context.js';
import type { StoreBackend } from './open.js';
import { ProjectionRunner } from './projection-runner.js';
import type { AppendResult } from './port.js';

export interface CommandOutcome<R> {
  result: R;
  append: AppendResult | null;
  /** Koji's event id of the command: the global position of its first event. */
  eventId: number | null;
}

/**
 * The write path every command handler uses: load → decide → append (retried on conflicts), then
 * read-your-writes — the reply waits until every projection has the command's events. A timeout
 * only adds a warning: a committed command never returns an error, or clients would retry it.
 */
@Injectable()
export class CommandService {
  constructor(
    @Inject(STORE_BACKEND) private readonly backend: StoreBackend,
    private readonly runner: ProjectionRunner,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async run<R>(ctx: CallContext, fn: (uow: UnitOfWork) => Promise<R>): Promise<CommandOutcome<R>> {
    const actor = ctx.user ? { id: ctx.user.id, name: ctx.user.name } : null;
    const { result, append } = await decideAndAppend(
      this.backend.events,
      { actor, requestId: ctx.requestId, clientAddress: ctx.clientAddress, now: ctx.now },
      fn,
    );
    if (append) await this.settle(ctx, append);
    return { result, append, eventId: append?.firstPosition ?? null };
  }

  /** Waits for the projections to reach an append; on timeout records a warning on the call. */
  async settle(ctx: CallContext, append: AppendResult): Promise<void> {
    const w = await this.runner.waitFor(append.checkpoint, this.config.projectionWaitMs);
    if (!w.reached)
      ctx.warnings.push(
        `the command was committed (event ${append.firstPosition}) but read models ${w.behind.join(', ')} had not caught up after ${this.config.projectionWaitMs} ms; queries may not show it yet`,
      );
  }
}
