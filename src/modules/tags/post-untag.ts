import { Injectable } from '@nestjs/common';
import type { UnitOfWork } from '../../kernel/unit-of-work.js';
import type { TagState } from './tag.decider.js';
import type { BuildRef, Ref } from './tags.events.js';

export interface UntagFacts {
  /** The tag as it was before the untag (Koji passes the taginfo from before). */
  tagBefore: TagState;
  /** The tag right after it, in this unit of work. */
  tagAfter: TagState;
  build: BuildRef;
  user: Ref | null;
  force: boolean;
  strict: boolean;
  /** The PackageUntagged event, for the causation of anything the hook appends. */
  untagEventId: string;
}

/**
 * Koji's postUntag callback, made transactional (DESIGN §5): a hook adds its events to the untag's
 * own unit of work, so they land in the same atomic append — or, on a conflict, the whole untag retries.
 */
export type PostUntagHook = (uow: UnitOfWork, facts: UntagFacts) => Promise<void>;

@Injectable()
export class PostUntagHooks {
  private hooks: { name: string; hook: PostUntagHook }[] = [];

  register(name: string, hook: PostUntagHook): void {
    if (this.hooks.some((h) => h.name === name))
      throw new Error(`post-untag hook ${name} is registered twice`);
    this.hooks.push({ name, hook });
  }

  async run(uow: UnitOfWork, facts: UntagFacts): Promise<void> {
    for (const { hook } of this.hooks) await hook(uow, facts);
  }
}

/**
 * Called inside a tag deletion's unit of work, before the tag goes: a module that keeps its own
 * records about tags (Sidetag's quota and lifecycle streams) appends to them in the same append.
 */
export type TagDeleteHook = (uow: UnitOfWork, tag: TagState) => Promise<void>;

@Injectable()
export class TagDeleteHooks {
  private hooks: { name: string; hook: TagDeleteHook }[] = [];

  register(name: string, hook: TagDeleteHook): void {
    if (this.hooks.some((h) => h.name === name))
      throw new Error(`tag-delete hook ${name} is registered twice`);
    this.hooks.push({ name, hook });
  }

  async run(uow: UnitOfWork, tag: TagState): Promise<void> {
    for (const { hook } of this.hooks) await hook(uow, tag);
  }
}
