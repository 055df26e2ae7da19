import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandService } from '../../eventstore/commands.service.js';
import { genericError } from '../../kernel/errors.js';
import type { UnitOfWork } from '../../kernel/unit-of-work.js';
import type { CallContext } from '../../rpc/context.js';
import { decidePackageList, type PackageListCommand } from './package-list.decider.js';
import type { PackageCreated } from './packages.events.js';
import { PackagesReader } from './packages.reader.js';
import type { Ref } from './tags.events.js';
import { loadTag } from './tags.writer.js';
import { nameStream } from '../../eventstore/name-streams.js';

/** The command without what the handler looks up itself (the package's id, the inherited entry). */
export type PackageListChange = { package: string } & (
  | Omit<Extract<PackageListCommand, { kind: 'add' }>, 'package' | 'inherited' | 'user'>
  | Omit<
      Extract<PackageListCommand, { kind: 'block' | 'unblock' | 'remove' }>,
      'package' | 'inherited' | 'user'
    >
);

/**
 * Koji's packages row: the id a package name was given, or a new one claimed on `package-<name>`
 * in the caller's append (two callers naming a new package at once: one retries and finds it).
 */
export async function packageRef(uow: UnitOfWork, name: string): Promise<Ref> {
  if (!/^[A-Za-z0-9._+~^-]+$/.test(name))
    throw genericError(
      `Invalid package name: ${JSON.stringify(name)} (letters, digits and . _ + ~ ^ - only)`,
    );
  const stream = nameStream('package', name);
  const held = await uow.read(stream);
  if (held.length) return { id: (held[0].data as PackageCreated['data']).id, name };
  const id = await uow.allocateId('package');
  uow.emit(stream, [{ type: 'PackageCreated', data: { id, name } } satisfies PackageCreated]);
  return { id, name };
}

export class ChangePackageList extends Command<number> {
  constructor(
    readonly ctx: CallContext,
    readonly tag: Ref,
    readonly change: PackageListChange,
    /** The package_list policy's matched rules, recorded with the events. */
    readonly policy: Record<string, unknown> | null,
  ) {
    super();
  }
}

/** One package-list change of one tag; returns the number of events appended (0: nothing changed). */
@CommandHandler(ChangePackageList)
export class ChangePackageListHandler implements ICommandHandler<ChangePackageList, number> {
  constructor(
    private readonly commands: CommandService,
    private readonly packages: PackagesReader,
  ) {}

  async execute(c: ChangePackageList): Promise<number> {
    const user = c.ctx.user ? { id: c.ctx.user.id, name: c.ctx.user.name } : null;
    const { result } = await this.commands.run(c.ctx, async (uow) => {
      const pkg = await packageRef(uow, c.change.package);
      const s = await loadTag(uow, c.tag.id);
      const inherited = await this.packages.inherited(c.tag.id, pkg.name);
      const events = decidePackageList(
        { ...c.change, package: pkg, inherited, user } as PackageListCommand,
        s,
      );
      if (events.length)
        uow.emit(`tag-${s.id}`, events, { metadata: c.policy ? { policy: c.policy } : undefined });
      return events.length;
    });
    return result;
  }
}

/** Koji's getPackage(name, create=True): the package, made when it is new. */
export class CreatePackage extends Command<Ref> {
  constructor(
    readonly ctx: CallContext,
    readonly name: string,
  ) {
    super();
  }
}

@CommandHandler(CreatePackage)
export class CreatePackageHandler implements ICommandHandler<CreatePackage, Ref> {
  constructor(private readonly commands: CommandService) {}

  async execute(c: CreatePackage): Promise<Ref> {
    return (await this.commands.run(c.ctx, (uow) => packageRef(uow, c.name))).result;
  }
}
