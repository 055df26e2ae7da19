import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { MethodDecl } from './method.js';
import { MethodRegistry } from './registry.js';

/** Holds the API's declarations (from app.module.ts) for every module to implement. */
@Global()
@Module({})
export class RegistryModule {
  static forRoot(contracts: MethodDecl[]): DynamicModule {
    return {
      module: RegistryModule,
      providers: [
        {
          provide: MethodRegistry,
          useFactory: () => {
            const r = new MethodRegistry();
            r.declare(contracts);
            return r;
          },
        },
      ],
      exports: [MethodRegistry],
    };
  }
}
