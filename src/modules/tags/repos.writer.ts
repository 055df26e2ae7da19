import { Injectable } from '@nestjs/common';
import { genericError } from '../../kernel/errors.js';
import type { UnitOfWork } from '../../kernel/unit-of-work.js';
import { applyTask, loadTask, TaskFactory } from '../tasks/tasks.commands.js';
import { REPO_STATES, type Ref } from './tags.events.js';
import { REPOS, type RepoDoc, type TagDoc } from './tags.projection.js';
import { TagsReader } from './tags.reader.js';

/** Koji's repo options from a tag: `repo.opts` extra, and the legacy `with_debuginfo` as `debuginfo`. */
export function repoOpts(
  extra: Record<string, unknown>,
  requested: Record<string, unknown> | null = null,
): Record<string, unknown> {
  const base =
    extra['repo.opts'] && typeof extra['repo.opts'] === 'object'
      ? (extra['repo.opts'] as Record<string, unknown>)
      : {};
  const opts: Record<string, unknown> = { src: false, debuginfo: false, separate_src: false, ...base };
  if (extra.with_debuginfo) opts.debuginfo = true;
  return { ...opts, ...(requested ?? {}) };
}

/**
 * Makes repos the way kojira and a newRepo task would, but inside the hub: a `newRepo` task, the
 * repo recording the tag's content as of the current event, READY, older repos EXPIRED, and the task
 * CLOSED with Koji's result `[repo_id, event_id]` — one atomic append.
 */
@Injectable()
export class ReposWriter {
  constructor(
    private readonly tags: TagsReader,
    private readonly factory: TaskFactory,
  ) {}

  async regen(
    uow: UnitOfWork,
    tag: TagDoc,
    owner: Ref,
    opts: Record<string, unknown> | null = null,
  ): Promise<{ repoId: number; taskId: number; event: number }> {
    const head = await uow.store.headCheckpoint();
    const event = head ? uow.store.positionOf(head) : 0;
    const taskId = await this.factory.createIn(uow, {
      method: 'newRepo',
      request: [tag.name, { __starstar: true }],
      owner,
      channel: 'createrepo',
      priority: 15,
    });
    const repoId = await uow.allocateId('repo');
    const builds = (await this.tags.tagged(tag.id, true)).map((b) => ({
      id: b.build_id,
      nvr: b.nvr,
      tag_id: b.tag_id,
    }));
    const now = uow.meta.now.toISOString();
    await uow.read(`repo-${repoId}`);
    uow.emit(`repo-${repoId}`, [
      {
        type: 'RepoCreated',
        data: {
          id: repoId,
          tag: { id: tag.id, name: tag.name },
          createEvent: event,
          taskId,
          opts: repoOpts(tag.extra, opts),
          builds,
          time: now,
        },
      },
      { type: 'RepoStateChanged', data: { id: repoId, tagId: tag.id, state: REPO_STATES.READY, time: now } },
    ]);
    for (const old of await this.tags.rm.find<RepoDoc>(REPOS, {
      where: { tag_id: tag.id, state: REPO_STATES.READY },
      index: 'tag_id',
    })) {
      const events = await uow.read(`repo-${old.id}`);
      const last = events[events.length - 1]?.data as { state?: number } | undefined;
      if (last?.state === REPO_STATES.READY)
        uow.emit(`repo-${old.id}`, [
          {
            type: 'RepoStateChanged',
            data: { id: old.id, tagId: tag.id, state: REPO_STATES.EXPIRED, time: now },
          },
        ]);
    }
    const ts = await loadTask(uow, taskId);
    if (!ts.exists) throw genericError(`task ${taskId} vanished`);
    applyTask(uow, taskId, ts, { kind: 'completeByHub', result: [repoId, event], now });
    return { repoId, taskId, event };
  }
}
