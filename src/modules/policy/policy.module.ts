import { Global, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { MethodRegistry } from '../../rpc/registry.js';
import { UsersModule } from '../users/users.module.js';
import { checkPolicyMethod, type CheckPolicyParams } from './policy.contract.js';
import { PolicyService } from './policy.service.js';

@Injectable()
class PolicyApi implements OnModuleInit {
  constructor(
    private readonly registry: MethodRegistry,
    private readonly policy: PolicyService,
  ) {}

  onModuleInit(): void {
    this.registry.implement<CheckPolicyParams>(checkPolicyMethod, async (p, ctx) => {
      const c = await this.policy.check(p.name, p.data, ctx);
      return {
        policy: c.policy,
        allowed: c.allowed,
        result: c.result,
        reason: c.reason,
        action: c.action,
        trail: c.trail,
        trace: c.trace,
        missing: c.missing,
      };
    });
  }
}

/** The hub's compiled policies, for every module that asks a policy (tag, sidetag, …). */
@Global()
@Module({
  imports: [UsersModule],
  providers: [PolicyService, PolicyApi],
  exports: [PolicyService],
})
export class PolicyModule {}
