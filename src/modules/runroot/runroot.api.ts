import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomInt } from 'node:crypto';
import { genericError } from '../../kernel/errors.js';
import { pyRepr } from '../../rpc/method.js';
import { MethodRegistry } from '../../rpc/registry.js';
import { PolicyService } from '../policy/policy.service.js';
import { TagsReader, type TagInfo } from '../tags/tags.reader.js';
import { canonArch } from '../tasks/arches.js';
import { MakeTask } from '../tasks/tasks.commands.js';
import { HOSTS, type HostDoc } from '../tasks/tasks.projection.js';
import { TasksReader } from '../tasks/tasks.reader.js';
import { runroot, type RunrootParams } from './runroot.contract.js';
import { checkArch, checkCommand, checkOpts, taskArch } from './runroot.request.js';

/** The hub side of runroot: checks, the noarch choice, and a `runroot` task in its channel. */
@Injectable()
export class RunrootApi implements OnModuleInit {
  constructor(
    private readonly registry: MethodRegistry,
    private readonly bus: CommandBus,
    private readonly tags: TagsReader,
    private readonly tasks: TasksReader,
    private readonly policy: PolicyService,
  ) {}

  onModuleInit(): void {
    this.registry.implement<RunrootParams>(runroot, async (p, ctx) => {
      const arch = checkArch(p.arch);
      const command = checkCommand(p.command);
      const opts = checkOpts(p.opts);
      const channel = p.channel || 'runroot';
      const tag = await this.tags.strictTag(p.tagInfo as TagInfo);
      // koji-es: a `runroot` policy in hub.conf, when there is one, decides after the permission
      // which tags, channels, arches, mounts and packages a user may use (spec §8.3: one
      // all-powerful permission is what users ask to move beyond). Without one, Koji's rule alone.
      if (this.policy.policies.has('runroot'))
        await this.policy.assert(
          'runroot',
          {
            user_id: ctx.user!.id,
            tag: tag.id,
            arch: p.arch,
            channel,
            mounts: opts.mounts,
            packages: opts.packages,
            use_shell: typeof command === 'string',
            new_chroot: opts.new_chroot,
            weight: opts.weight,
            repo_id: opts.repo_id,
            run_as: opts.run_as,
          },
          ctx,
        );
      let schedArch = arch;
      if (arch === 'noarch') {
        const cfg = await this.tags.buildConfig(tag.id);
        const hosts = await this.tasks.rm.find<HostDoc>(HOSTS);
        const all = [...new Set(hosts.flatMap((h) => h.arches.split(/\s+/).filter(Boolean).map(canonArch)))];
        const ch = await this.tasks.channel(channel);
        if (!ch) throw genericError(`No such channel: ${channel}`);
        const inChannel = hosts
          .filter((h) => h.enabled && h.channels.includes(ch.id))
          .flatMap((h) => h.arches.split(/\s+/).filter(Boolean));
        schedArch = taskArch(
          arch,
          { name: tag.name, arches: cfg.arches },
          all,
          inChannel,
          typeof p.tagInfo === 'object' ? pyRepr(p.tagInfo) : String(p.tagInfo),
          channel,
          (choices) => choices[randomInt(choices.length)],
        );
      }
      // Koji stores the call as asked (arch included, channel consumed); the task's own arch is the one
      // chosen. run_as (koji-es) is stored only when given, so other requests keep Koji's shape.
      const { run_as: runAs, ...kojiOpts } = opts;
      return this.bus.execute(
        new MakeTask(ctx, {
          method: 'runroot',
          request: [
            p.tagInfo,
            p.arch,
            command,
            { ...kojiOpts, ...(runAs ? { run_as: runAs } : {}), __starstar: true },
          ],
          channel,
          arch: schedArch,
          priority: 15,
          weight: 2.0,
        }),
      );
    });
  }
}
