import { Inject, Injectable } from '@nestjs/common';
import { HUB_CONFIG } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import {
  assertPolicy,
  checkPolicy,
  staticFacts,
  type PolicyCheck,
  type PolicyCheckOptions,
  type PolicyData,
  type PolicyPackage,
  type PolicySet,
  type PolicyTag,
} from '../../policy/index.js';
import type { CallContext } from '../../rpc/context.js';
import { UsersReader } from '../users/users.reader.js';
import { compileHubPolicies } from './hub-policies.js';

/** Where tag facts come from: the tags module registers itself here (policy tests never see a database). */
export type TagFactSource = (idOrName: number | string) => Promise<PolicyTag | null>;

/** Where package facts come from (the tags module): a package by id or name, a build's package. */
export interface PackageFactSource {
  package(idOrName: number | string): Promise<{ id: number; name: string } | null>;
  build(idOrNvr: number | string): Promise<{ id: number; nvr: string; package: PolicyPackage } | null>;
}

/**
 * Evaluates the hub's policies. The facts a policy may look up (the tags and users its data names,
 * their permissions and groups) are gathered first, then the pure evaluator runs on that snapshot.
 */
@Injectable()
export class PolicyService {
  readonly policies: PolicySet;
  private tagSource: TagFactSource = async () => null;
  private packageSource: PackageFactSource | null = null;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly users: UsersReader,
  ) {
    this.policies = compileHubPolicies(config.policies, config.policyFile);
  }

  useTagSource(source: TagFactSource): void {
    this.tagSource = source;
  }

  usePackageSource(source: PackageFactSource): void {
    this.packageSource = source;
  }

  private async facts(data: PolicyData, ctx: CallContext) {
    const tags: PolicyTag[] = [];
    for (const key of ['tag', 'fromtag']) {
      const v = data[key];
      if (typeof v === 'number' || typeof v === 'string') {
        const t = await this.tagSource(v);
        if (t) tags.push(t);
      }
    }
    const userIds = new Set<number>();
    if (ctx.user) userIds.add(ctx.user.id);
    for (const key of ['user_id', 'owner']) {
      const v = data[key];
      if (typeof v === 'number') userIds.add(v);
    }
    const users: { id: number; name: string }[] = [];
    const perms: Record<number, string[]> = {};
    const groups: Record<number, string[]> = {};
    for (const id of userIds) {
      const u = await this.users.byId(id);
      if (!u) continue;
      users.push({ id: u.id, name: u.name });
      perms[u.id] = await this.users.effectivePerms(u);
      groups[u.id] = u.groups.map((g) => g.name);
    }
    // The package and build the data names, for the `package` and `is_new_package` tests.
    const isRef = (v: unknown): v is number | string => typeof v === 'number' || typeof v === 'string';
    const pkg = isRef(data['package']) ? await this.packageSource?.package(data['package']) : null;
    const build = isRef(data['build']) ? await this.packageSource?.build(data['build']) : null;
    return staticFacts({
      tags,
      users,
      perms,
      groups,
      packages: pkg ? [pkg] : [],
      builds: build ? [build] : [],
    });
  }

  private async context(data: PolicyData, ctx: CallContext) {
    return {
      policies: this.policies,
      facts: await this.facts(data, ctx),
      sessionUserId: ctx.user?.id ?? null,
      missingPolicyOk: this.config.hub.missingPolicyOk,
      verbosePolicy: this.config.hub.verbosePolicy,
      kojiDebug: this.config.hub.kojiDebug,
    };
  }

  async check(
    name: string,
    data: PolicyData,
    ctx: CallContext,
    opts?: PolicyCheckOptions,
  ): Promise<PolicyCheck> {
    return checkPolicy(name, data, await this.context(data, ctx), opts);
  }

  /** Throws Koji's `policy violation` when denied; returns the verdict (with its trail) when allowed. */
  async assert(
    name: string,
    data: PolicyData,
    ctx: CallContext,
    opts?: PolicyCheckOptions,
  ): Promise<PolicyCheck> {
    return assertPolicy(name, data, await this.context(data, ctx), opts);
  }
}
