import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { actionNotAllowed, genericError } from '../../kernel/errors.js';
import { pyStr } from '../../kernel/python.js';
import type { CallContext } from '../../rpc/context.js';
import { applyQueryOpts } from '../../rpc/query-opts.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { PolicyService } from '../policy/policy.service.js';
import { parseArches } from '../tasks/arches.js';
import { UsersReader } from '../users/users.reader.js';
import { policyAction } from './package-list.decider.js';
import { ChangePackageList, CreatePackage, type PackageListChange } from './packages.commands.js';
import * as api from './packages.contract.js';
import { PACKAGES, type PackageDoc } from './packages.projection.js';
import { PackagesReader, type PackageInfo, type PackageRow } from './packages.reader.js';
import { policyMeta } from './tags.api.js';
import { TagsReader, type TagInfo } from './tags.reader.js';

const given = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

/** Koji's package lists: packageList* writes under the package_list policy, listPackages and lookups. */
@Injectable()
export class PackagesApi implements OnModuleInit {
  constructor(
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
    private readonly tags: TagsReader,
    private readonly packages: PackagesReader,
    private readonly users: UsersReader,
    private readonly policy: PolicyService,
  ) {}

  onModuleInit(): void {
    const r = this.registry;
    this.policy.usePackageSource({
      package: async (ref) => {
        const p = await this.packages.find(ref);
        return p ? { id: p.id, name: p.name } : null;
      },
      build: async (ref) => {
        const b = await this.tags.build(ref);
        if (!b) return null;
        const p = await this.packages.find(b.package_name);
        return { id: b.id, nvr: b.nvr, package: { id: p?.id ?? null, name: b.package_name } };
      },
    });
    r.implement<api.PackageListAddParams>(api.packageListAdd, (p, ctx) =>
      this.add(ctx, p.taginfo, p.pkginfo, {
        owner: p.owner,
        block: p.block ?? null,
        arches: p.extra_arches,
        force: Boolean(p.force),
        update: p.update,
      }),
    );
    r.implement<api.PackageListSetOwnerParams>(api.packageListSetOwner, (p, ctx) =>
      this.add(ctx, p.taginfo, p.pkginfo, {
        owner: p.owner,
        block: null,
        force: Boolean(p.force),
        update: true,
      }),
    );
    r.implement<api.PackageListSetArchesParams>(api.packageListSetArches, (p, ctx) =>
      this.add(ctx, p.taginfo, p.pkginfo, {
        owner: null,
        block: null,
        arches: p.arches,
        force: Boolean(p.force),
        update: true,
      }),
    );
    // Koji's pkglist_block: the package must be listed (here or above) before the policy is asked.
    r.implement<api.PackageListChangeParams>(api.packageListBlock, async (p, ctx) => {
      const tag = await this.tags.strictTag(p.taginfo as TagInfo);
      const pkg = await this.packages.strict(p.pkginfo as PackageInfo);
      if (!(await this.packages.entry(tag.id, pkg.name)))
        throw genericError(`Package ${pkg.name} is not in tag listing for ${tag.name}`);
      return this.add(ctx, tag.id, pkg.name, {
        owner: null,
        block: true,
        force: Boolean(p.force),
        update: false,
      });
    });
    for (const [decl, kind] of [
      [api.packageListUnblock, 'unblock'],
      [api.packageListRemove, 'remove'],
    ] as const)
      r.implement<api.PackageListChangeParams>(decl, async (p, ctx) => {
        const tag = await this.tags.strictTag(p.taginfo as TagInfo);
        const pkg = await this.packages.strict(p.pkginfo as PackageInfo);
        const force = Boolean(p.force);
        const check = await this.assertPolicy(ctx, { tag: tag.id, action: kind, package: pkg.id, force });
        await this.bus.execute(
          new ChangePackageList(
            ctx,
            { id: tag.id, name: tag.name },
            { kind, package: pkg.name, force },
            check,
          ),
        );
        return null;
      });

    r.implement<api.ListPackagesParams>(api.listPackages, async (p) => {
      let rows: Record<string, unknown>[];
      if (!given(p.tagID) && !given(p.userID) && !given(p.pkgID)) rows = await this.simple(null);
      else {
        if (!p.with_owners && given(p.userID))
          throw genericError("userID and with_owners=False can't be used together");
        const tag = given(p.tagID) ? await this.tags.tag(p.tagID as TagInfo) : null;
        if (given(p.tagID) && !tag) throw genericError(`No such entry in table tag: ${pyStr(p.tagID)}`);
        const user = given(p.userID) ? await this.users.strict(p.userID as number | string) : null;
        const pkg = given(p.pkgID) ? await this.packages.strict(p.pkgID as PackageInfo) : null;
        const list = await this.packages.list({
          tagId: tag?.id,
          userId: user?.id,
          pkg: pkg?.name,
          inherit: p.inherited,
          withDups: Boolean(p.with_dups),
          withBlocked: p.with_blocked,
          event: p.event ?? null,
        });
        rows = list.map((x) => (p.with_owners ? { ...x } : withoutOwner(x)));
      }
      if (p.prefix) {
        const prefix = p.prefix.toLowerCase();
        rows = rows.filter((x) => String(x.package_name).toLowerCase().startsWith(prefix));
      }
      return applyQueryOpts(rows, p.queryOpts);
    });
    r.implement<api.ListPackagesSimpleParams>(api.listPackagesSimple, async (p) =>
      applyQueryOpts(await this.simple(p.prefix ?? null), p.queryOpts),
    );
    r.implement<api.GetPackageParams>(api.getPackage, async (p, ctx) => {
      const found = await this.packages.find(p.info as PackageInfo);
      if (found) return { id: found.id, name: found.name };
      if (p.create) {
        if (typeof p.info !== 'string') throw genericError('Name must be a string');
        if (!ctx.user) throw actionNotAllowed('you must be logged in for this operation');
        return this.bus.execute(new CreatePackage(ctx, p.info));
      }
      if (p.strict) throw genericError(`No such entry in table package: ${pyStr(p.info)}`);
      return null;
    });
    r.implement<api.GetPackageIdParams>(api.getPackageID, async (p) => {
      const found = await this.packages.find(p.name);
      if (!found && p.strict) throw genericError(`No such package name: ${p.name}`);
      return found?.id ?? null;
    });
    r.implement<api.TagPackageParams>(api.checkTagPackage, async (p) => {
      const e = await this.entryOf(p.tag, p.pkg);
      return Boolean(e && !e.blocked);
    });
    r.implement<api.TagPackageParams>(api.getPackageConfig, (p) =>
      this.entryOf(p.tag, p.pkg, p.event ?? null),
    );
  }

  private async entryOf(
    tagInfo: unknown,
    pkgInfo: unknown,
    event: number | null = null,
  ): Promise<PackageRow | null> {
    const tag = await this.tags.tag(tagInfo as TagInfo);
    const pkg = await this.packages.find(pkgInfo as PackageInfo);
    return tag && pkg ? this.packages.entry(tag.id, pkg.name, event) : null;
  }

  private async simple(prefix: string | null): Promise<Record<string, unknown>[]> {
    const all = await this.tags.rm.find<PackageDoc>(PACKAGES, { orderBy: [['id', 'asc']] });
    const lower = prefix?.toLowerCase();
    return all
      .filter((x) => !lower || x.name.toLowerCase().startsWith(lower))
      .map((x) => ({ package_id: x.id, package_name: x.name }));
  }

  private assertPolicy(
    ctx: CallContext,
    data: { tag: number; action: string; package: unknown; force: boolean },
  ) {
    return this.policy
      .assert('package_list', data, ctx, { force: data.force })
      .then((check) => policyMeta(check));
  }

  /**
   * Koji's pkglist_add in its order: tag, package (a new name is fine), owner, the policy, the arches;
   * the entry itself is decided against the tag's stream and the inherited list.
   */
  private async add(
    ctx: CallContext,
    taginfo: unknown,
    pkginfo: unknown,
    o: { owner?: unknown; block: boolean | null; arches?: string | null; force: boolean; update: boolean },
  ): Promise<null> {
    const tag = await this.tags.strictTag(taginfo as TagInfo);
    const pkg = await this.packages.find(pkginfo as PackageInfo);
    if (!pkg && typeof pkginfo !== 'string') throw genericError(`No such package: ${pyStr(pkginfo)}`);
    const owner = given(o.owner) ? await this.users.strict(o.owner as number | string) : null;
    const action = policyAction({ kind: 'add', update: o.update, block: o.block });
    const check = await this.assertPolicy(ctx, { tag: tag.id, action, package: pkginfo, force: o.force });
    const change: PackageListChange = {
      kind: 'add',
      package: pkg?.name ?? (pkginfo as string),
      owner: owner ? { id: owner.id, name: owner.name } : null,
      block: o.block,
      extraArches: o.arches === undefined || o.arches === null ? undefined : parseArches(o.arches, true),
      force: o.force,
      update: o.update,
    };
    await this.bus.execute(new ChangePackageList(ctx, { id: tag.id, name: tag.name }, change, check));
    return null;
  }
}

function withoutOwner(r: PackageRow): Record<string, unknown> {
  const { owner_id: _i, owner_name: _n, ...rest } = r;
  return rest;
}
