import { Inject, Injectable } from '@nestjs/common';
import { STORE_BACKEND } from '../../app.tokens.js';
import type { StoreBackend } from '../../eventstore/open.js';
import type { ReadModelReader } from '../../eventstore/read-model.port.js';
import { genericError } from '../../kernel/errors.js';
import type { AuthUser } from '../../rpc/context.js';
import { pyRepr } from '../../rpc/method.js';
import type { IdOrName } from '../../rpc/validators.js';
import {
  MEMBERS,
  PERMISSIONS,
  PRINCIPALS,
  USERS,
  type MemberDoc,
  type PermissionDoc,
  type UserDoc,
} from './users.projection.js';

/** Lookups on the users read model, with Koji's get_user rules (id, name or principal, or a dict). */
@Injectable()
export class UsersReader {
  constructor(@Inject(STORE_BACKEND) private readonly backend: StoreBackend) {}

  get rm(): ReadModelReader {
    return this.backend.readModels.reader;
  }

  async byId(id: number): Promise<UserDoc | null> {
    return this.rm.get<UserDoc>(USERS, String(id));
  }

  async byName(name: string): Promise<UserDoc | null> {
    const [u] = await this.rm.find<UserDoc>(USERS, { where: { name }, limit: 1 });
    return u ?? null;
  }

  async find(info: IdOrName | null | undefined): Promise<UserDoc | null> {
    if (info === null || info === undefined) return null;
    if (typeof info === 'number') return this.byId(info);
    if (typeof info === 'string') {
      const u = await this.byName(info);
      if (u) return u;
      const p = await this.rm.get<{ user_id: number }>(PRINCIPALS, info);
      return p ? this.byId(p.user_id) : null;
    }
    if (info.id !== undefined) return this.byId(info.id);
    if (info.name !== undefined) return this.find(info.name);
    return null;
  }

  /** Koji's strict lookup: `No such user: 'alice'`. */
  async strict(info: IdOrName): Promise<UserDoc> {
    const u = await this.find(info);
    if (!u) throw genericError(`No such user: ${pyRepr(info)}`);
    return u;
  }

  async groupPerms(u: UserDoc): Promise<string[]> {
    const perms: string[] = [];
    for (const g of u.groups) {
      const group = await this.byId(g.id);
      if (group) perms.push(...group.perms);
    }
    return perms;
  }

  /** Own permissions plus those of the user's groups (one level, as Koji). */
  async effectivePerms(u: UserDoc, withGroups = true): Promise<string[]> {
    const all = new Set(u.perms);
    if (withGroups) for (const p of await this.groupPerms(u)) all.add(p);
    return [...all].sort();
  }

  async authUser(u: UserDoc): Promise<AuthUser> {
    return {
      id: u.id,
      name: u.name,
      status: u.status,
      usertype: u.usertype,
      perms: await this.effectivePerms(u),
    };
  }

  async permission(name: string): Promise<PermissionDoc | null> {
    return this.rm.get<PermissionDoc>(PERMISSIONS, name);
  }

  async members(groupId: number): Promise<MemberDoc[]> {
    return this.rm.find<MemberDoc>(MEMBERS, { where: { group_id: groupId }, orderBy: [['user_id', 'asc']] });
  }
}

/** Koji's user dict. */
export function userInfo(u: UserDoc, krbPrincs = true): Record<string, unknown> {
  const out: Record<string, unknown> = { id: u.id, name: u.name, status: u.status, usertype: u.usertype };
  if (krbPrincs) out.krb_principals = u.krb_principals;
  return out;
}
