import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { rebuildProjections } from './audit/rebuild.js';
import type { HubConfig } from './config/hub-config.js';
import type { StoreBackend } from './eventstore/open.js';
import { StoreModule } from './eventstore/store.module.js';
import type { Clock } from './kernel/clock.js';
import { policyContract } from './modules/policy/policy.contract.js';
import { PolicyModule } from './modules/policy/policy.module.js';
import { failedTreeContract } from './modules/failed-tree/failed-tree.contract.js';
import { FailedTreeModule } from './modules/failed-tree/failed-tree.module.js';
import { runrootContract } from './modules/runroot/runroot.contract.js';
import { RunrootModule } from './modules/runroot/runroot.module.js';
import { sidetagContract } from './modules/sidetag/sidetag.contract.js';
import { SidetagModule } from './modules/sidetag/sidetag.module.js';
import { packagesContract } from './modules/tags/packages.contract.js';
import { tagsContract } from './modules/tags/tags.contract.js';
import { TagsModule } from './modules/tags/tags.module.js';
import { tasksContract } from './modules/tasks/tasks.contract.js';
import { TasksModule } from './modules/tasks/tasks.module.js';
import { usersContract } from './modules/users/users.contract.js';
import { UsersModule } from './modules/users/users.module.js';
import { sessionsContract } from './modules/users/sessions.contract.js';
import { auditContract } from './audit/audit.contract.js';
import { AuditModule } from './audit/audit.module.js';
import { introspectionContract } from './rpc/introspection.js';
import type { MethodDecl } from './rpc/method.js';
import { RegistryModule } from './rpc/registry.module.js';
import { RpcModule } from './rpc/rpc.module.js';
import { ALL_PROJECTIONS } from './projections.js';
import { WebModule } from './web/web.module.js';

/** The composition root: the one list of API contracts and of projections. */
export const API_CONTRACTS: MethodDecl[] = [
  ...introspectionContract,
  ...usersContract,
  ...sessionsContract,
  ...policyContract,
  ...tasksContract,
  ...tagsContract,
  ...packagesContract,
  ...sidetagContract,
  ...runrootContract,
  ...failedTreeContract,
  ...auditContract,
];

export { ALL_PROJECTIONS };

export interface AppOptions {
  config: HubConfig;
  backend: StoreBackend;
  clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot(o: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        StoreModule.forRoot({
          config: o.config,
          backend: o.backend,
          projections: ALL_PROJECTIONS,
          clock: o.clock,
          rebuild: async (projections, { signal, onProgress }) => {
            await rebuildProjections(o.backend, projections, (p) => onProgress(p.position, p.head), {
              signal,
            });
          },
        }),
        RegistryModule.forRoot(API_CONTRACTS),
        UsersModule,
        PolicyModule,
        RpcModule,
        TasksModule,
        TagsModule,
        SidetagModule,
        RunrootModule,
        FailedTreeModule,
        AuditModule,
        WebModule,
      ],
    };
  }
}
