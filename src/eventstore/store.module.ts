import {
  Global,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HUB_CONFIG, PROJECTIONS, STORE_BACKEND } from '../app.tokens.js';
import type { HubConfig } from '../config/hub-config.js';
import { CLOCK, systemClock, type Clock } from '../kernel/clock.js';
import { CommandService } from './commands.service.js';
import type { StoreBackend } from './open.js';
import type { Projection } from './projection.js';
import { ProjectionRunner, type RunnerOptions } from './projection-runner.js';

export interface StoreModuleOptions {
  config: HubConfig;
  backend: StoreBackend;
  projections: Projection[];
  clock?: Clock;
  /** How the runner catches up a long log for projections without a read model of their version. */
  rebuild?: RunnerOptions['rebuild'];
}

/**
 * The store, its projections and the write path, for every module. The backend is opened before
 * Nest starts (so a bad store URL is one clean line at start-up) and closed after Nest stops.
 */
@Global()
@Module({})
export class StoreModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly runner: ProjectionRunner) {}

  static forRoot(o: StoreModuleOptions): DynamicModule {
    return {
      module: StoreModule,
      providers: [
        { provide: HUB_CONFIG, useValue: o.config },
        { provide: STORE_BACKEND, useValue: o.backend },
        { provide: PROJECTIONS, useValue: o.projections },
        { provide: CLOCK, useValue: o.clock ?? systemClock },
        {
          provide: ProjectionRunner,
          useFactory: () => new ProjectionRunner(o.backend, o.projections, { rebuild: o.rebuild }),
        },
        CommandService,
      ],
      exports: [HUB_CONFIG, STORE_BACKEND, PROJECTIONS, CLOCK, ProjectionRunner, CommandService],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
