import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { PROJECTIONS, STORE_BACKEND } from '../app.tokens.js';
import type { StoreBackend } from '../eventstore/open.js';
import type { Projection } from '../eventstore/projection.js';
import { genericError, parameterError } from '../kernel/errors.js';
import { MethodRegistry } from '../rpc/registry.js';
import * as api from './audit.contract.js';
import { explain } from './explain.js';
import { auditLog } from './log.js';
import { rebuildProjections, selectProjections } from './rebuild.js';
import type { Progress } from './replay.js';
import { stateAt, type StateKind } from './state.js';
import { verifyProjections } from './verify.js';

/** The audit commands as admin API methods, so scripts and the CLI's online mode use them. */
@Injectable()
class AuditApi implements OnModuleInit {
  private progress: (Progress & { started: string }) | null = null;

  constructor(
    private readonly registry: MethodRegistry,
    @Inject(STORE_BACKEND) private readonly backend: StoreBackend,
    @Inject(PROJECTIONS) private readonly projections: Projection[],
  ) {}

  private select(name: string | null | undefined) {
    try {
      return selectProjections(this.projections, name);
    } catch (e) {
      throw parameterError((e as Error).message);
    }
  }

  onModuleInit(): void {
    const r = this.registry;
    const wrap = async <T>(f: () => Promise<T>) => {
      try {
        return await f();
      } catch (e) {
        if (e instanceof Error && e.constructor === Error) throw genericError(e.message);
        throw e;
      }
    };
    r.implement<api.AuditLogParams>(api.auditLog, (p) => wrap(() => auditLog(this.backend, p)));
    r.implement<api.AuditStateParams>(api.auditState, (p) =>
      wrap(() => stateAt(this.backend, p.kind as StateKind, p.id, p.at ?? null)),
    );
    r.implement<api.AuditExplainParams>(api.auditExplain, (p) => wrap(() => explain(this.backend, p.event)));
    r.implement<api.AuditProjectionParams>(api.auditVerify, (p) =>
      wrap(() => verifyProjections(this.backend, this.select(p.projection))),
    );
    r.implement<api.AuditRebuildParams>(api.auditRebuild, async (p) => {
      if (this.progress) throw genericError(`a rebuild of ${this.progress.projection} is already running`);
      const started = new Date().toISOString();
      this.progress = { projection: '', events: 0, position: 0, head: 0, started };
      try {
        return await rebuildProjections(
          this.backend,
          this.select(p.projection),
          (pr) => (this.progress = { ...pr, started }),
          { threads: p.threads ?? undefined },
        );
      } finally {
        this.progress = null;
      }
    });
    r.implement(api.auditRebuildStatus, async () => this.progress);
  }
}

@Module({ providers: [AuditApi] })
export class AuditModule {}
