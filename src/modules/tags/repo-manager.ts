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
import { FulfilExisting, NewRepo } from './tags.commands.js';
import { REPO_REQUESTS, TAGS, type RepoRequestDoc, type TagDoc } from './tags.projection.js';
import { TagsReader } from './tags.reader.js';

const LOCK = 'scheduler:repos';

/**
 * kojira in the hub: answers repo requests (Koji 1.35's repo.request) and regenerates the repos of
 * tags whose own extra has `repo.auto` when their content changes. With several hubs on one
 * database only the one holding the lock works.
 */
@Injectable()
export class RepoManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('repos');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private owned = false;
  private again = false;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(STORE_BACKEND) private readonly backend: StoreBackend,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly tags: TagsReader,
    private readonly bus: CommandBus,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.hub.repoManager) return;
    this.timer = setInterval(() => this.kick(), Math.max(50, this.config.hub.repoIntervalMs));
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    if (this.owned) await this.backend.readModels.unlockProjection(LOCK).catch(() => undefined);
  }

  /** Runs a pass now (after a repo request) unless one is running; then one more if asked meanwhile. */
  kick(): void {
    if (!this.config.hub.repoManager || !this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((e: unknown) => this.log.warn(`repo manager pass failed: ${(e as Error).message}`))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** One pass; public so tests can drive it. */
  async pass(): Promise<void> {
    if (!this.owned) this.owned = await this.backend.readModels.tryLockProjection(LOCK);
    if (!this.owned) return;
    const ctx = () => internalContext(`repos-${randomUUID()}`, this.clock.now());
    const requests = await this.tags.rm.find<RepoRequestDoc>(REPO_REQUESTS, {
      where: { active: true },
      orderBy: [
        ['priority', 'asc'],
        ['id', 'asc'],
      ],
    });
    const byTag = new Map<number, RepoRequestDoc[]>();
    for (const r of requests) byTag.set(r.tag_id, [...(byTag.get(r.tag_id) ?? []), r]);
    for (const [tagId, reqs] of byTag) {
      const tag = await this.tags.tag(tagId);
      if (!tag) continue;
      const ready = await this.tags.latestReadyRepo(tagId);
      const satisfied = reqs.filter((r) => ready && ready.create_event >= (r.min_event ?? 0));
      const waiting = reqs.filter((r) => !satisfied.includes(r));
      if (waiting.length)
        await this.bus.execute(
          new NewRepo(
            ctx(),
            tag,
            null,
            waiting.map((r) => r.id),
          ),
        );
      if (satisfied.length && ready) {
        for (const r of satisfied) {
          // A request a repo already answers: record the answer without making another repo.
          await this.bus.execute(new FulfilExisting(ctx(), r.id, ready.id, ready.task_id));
        }
      }
    }
    for (const tag of await this.tags.rm.find<TagDoc>(TAGS, { where: { repo_auto: true } })) {
      const ready = await this.tags.latestReadyRepo(tag.id);
      const changed = await this.tags.lastChangeEvent(tag.id);
      if (!ready || ready.create_event < changed) await this.bus.execute(new NewRepo(ctx(), tag, null));
    }
  }
}
