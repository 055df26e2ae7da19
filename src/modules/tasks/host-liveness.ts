import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { HUB_CONFIG, STORE_BACKEND } from '../../app.tokens.js';
import type { HubConfig } from '../../config/hub-config.js';
import type { StoreBackend } from '../../eventstore/open.js';
import { CLOCK, type Clock } from '../../kernel/clock.js';
import { internalContext } from '../../rpc/context.js';
import { TASK_STATES } from './tasks.events.js';
import { ChangeHost, TransitionTask } from './tasks.commands.js';
import { HOSTS, TASKS, type HostDoc, type TaskDoc } from './tasks.projection.js';
import { TasksReader } from './tasks.reader.js';

/** When each host last reported, as seen by this hub (between the check-in events). */
@Injectable()
export class HostLiveness {
  private seen = new Map<number, number>();

  touch(hostId: number, at: Date): void {
    this.seen.set(hostId, at.getTime());
  }

  lastSeen(hostId: number): number | undefined {
    return this.seen.get(hostId);
  }
}

const SCHEDULER_LOCK = 'scheduler:host-timeout';

/**
 * Koji's scheduler duty for dead hosts (DESIGN §5): tasks of a host silent for `[hub] HostTimeout`
 * go back to FREE, except tasks assigned to it on purpose, which FAIL with "host H stopped reporting".
 * With several hubs on one database only the one holding the scheduler lock does it.
 */
@Injectable()
export class HostTimeoutScanner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('scheduler');
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private owned = false;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(STORE_BACKEND) private readonly backend: StoreBackend,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly liveness: HostLiveness,
    private readonly tasks: TasksReader,
    private readonly bus: CommandBus,
  ) {}

  onApplicationBootstrap(): void {
    const every = Math.max(100, Math.min(5000, (this.config.hub.hostTimeoutSec * 1000) / 10));
    this.timer = setInterval(() => void this.scan(), every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
    if (this.owned) await this.backend.readModels.unlockProjection(SCHEDULER_LOCK).catch(() => undefined);
  }

  /** One pass; public so tests can drive it. */
  async scan(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      if (!this.owned) this.owned = await this.backend.readModels.tryLockProjection(SCHEDULER_LOCK);
      if (!this.owned) return;
      const now = this.clock.now().getTime();
      const timeout = this.config.hub.hostTimeoutSec * 1000;
      const busy = await this.tasks.rm.find<TaskDoc>(TASKS, {
        where: { state: { $in: [TASK_STATES.OPEN, TASK_STATES.ASSIGNED] }, host_id: { $ne: null } },
      });
      for (const t of busy) {
        const host = await this.tasks.host(t.host_id!);
        if (!host) continue;
        const since = Math.max(
          this.liveness.lastSeen(host.id) ?? 0,
          (host.update_ts ?? 0) * 1000,
          (t.start_ts ?? t.create_ts) * 1000,
        );
        if (now - since <= timeout) continue;
        const ctx = internalContext(`scheduler-${randomUUID()}`, this.clock.now());
        const ref = { id: host.id, name: host.name };
        const reason = `host ${host.name} stopped reporting`;
        try {
          if (t.assigned) {
            await this.bus.execute(
              new TransitionTask(ctx, t.id, {
                kind: 'fail',
                host: null,
                fault: { faultCode: 1000, faultString: reason, name: 'GenericError' },
                now: ctx.now.toISOString(),
              }),
            );
          } else if (t.state === TASK_STATES.OPEN) {
            await this.bus.execute(new TransitionTask(ctx, t.id, { kind: 'free', host: ref, reason }));
          }
          this.log.warn(`task ${t.id}: ${reason}; ${t.assigned ? 'failed' : 'back to FREE'}`);
        } catch (e) {
          this.log.warn(`task ${t.id}: could not act on the host timeout: ${(e as Error).message}`);
        }
      }
      await this.markSilentHosts(now, timeout);
    } finally {
      this.running = false;
    }
  }

  /**
   * Koji's check_hosts: a ready host silent for longer than HostTimeout is marked not ready, so
   * `list-hosts` stops showing a dead builder as ready. Its next heartbeat makes it ready again.
   */
  private async markSilentHosts(now: number, timeout: number): Promise<void> {
    const ready = await this.tasks.rm.find<HostDoc>(HOSTS, { where: { ready: true } });
    for (const h of ready) {
      const since = Math.max(this.liveness.lastSeen(h.id) ?? 0, (h.update_ts ?? 0) * 1000);
      if (now - since <= timeout) continue;
      const ctx = internalContext(`scheduler-${randomUUID()}`, this.clock.now());
      try {
        await this.bus.execute(
          new ChangeHost(ctx, h.id, { kind: 'markNotReady', now: ctx.now.toISOString() }),
        );
        this.log.warn(
          `host ${h.name}: no heartbeat for ${Math.round((now - since) / 1000)} s; marked not ready`,
        );
      } catch (e) {
        this.log.warn(`host ${h.name}: could not mark it not ready: ${(e as Error).message}`);
      }
    }
  }
}
