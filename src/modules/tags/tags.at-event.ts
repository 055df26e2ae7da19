// A tag as it was at a Koji event id (a global position of the log): its own stream folded up to
// there, for the `event` argument of listTagged, listPackages and getPackageConfig. Koji answers
// these from its versioned tables; here the tag's stream is the history, read once per tag asked.
import type { StoreBackend } from '../../eventstore/open.js';
import { upcasters } from '../../kernel/upcasters.js';
import { evolveTag, initialTagState, type TagState } from './tag.decider.js';
import type { InheritanceLink, TagEvent } from './tags.events.js';
import type { Checkpoint } from '../../eventstore/port.js';

export interface TaggedAt {
  build_id: number;
  nvr: string;
  /** The event that tagged it (Koji's create_event). */
  create_event: number;
  create_time: string;
  tagged_by: string | null;
}

export interface TagAtEvent {
  state: TagState;
  /** Builds in the tag at the event, newest tagging first. */
  tagged: TaggedAt[];
}

/** The tag's state and content as of `position`, or null when it did not exist then. */
export async function tagAtEvent(
  backend: StoreBackend,
  id: number,
  position: number,
): Promise<TagAtEvent | null> {
  let state = initialTagState;
  const tagged = new Map<number, TaggedAt>();
  for (const raw of await backend.events.readStream(`tag-${id}`)) {
    if (raw.position > position) break;
    const e = upcasters.upcast(raw) as unknown as TagEvent;
    state = evolveTag(state, { type: e.type, data: e.data } as TagEvent);
    if (e.type === 'PackageTagged')
      tagged.set(e.data.build.id, {
        build_id: e.data.build.id,
        nvr: e.data.build.nvr,
        create_event: raw.position,
        create_time: e.data.time,
        tagged_by: e.data.user?.name ?? null,
      });
    else if (e.type === 'PackageUntagged') tagged.delete(e.data.build.id);
    else if (e.type === 'TagDeleted') tagged.clear();
  }
  if (!state.exists) return null;
  return { state, tagged: [...tagged.values()].sort((a, b) => b.create_event - a.create_event) };
}

/**
 * Every tag that had a parent at some point up to `position`: the only ones that can have inherited
 * from anything then. One scan of the log's inheritance-bearing events, for getFullInheritance's
 * reverse at an event (the read models only know today's children).
 */
export async function tagsWithParentsUntil(backend: StoreBackend, position: number): Promise<Set<number>> {
  const out = new Set<number>();
  const filter = { types: ['TagCreated', 'TagInheritanceChanged'] };
  for (let after: Checkpoint | null = null; ;) {
    const page = await backend.events.readAll({ after, maxCount: 1000, filter });
    for (const raw of page.events) {
      if (raw.position > position) return out;
      const d = upcasters.upcast(raw).data as { id: number; inheritance: InheritanceLink[] };
      if (d.inheritance.length) out.add(d.id);
    }
    if (page.atEnd || page.checkpoint === after) return out;
    after = page.checkpoint;
  }
}
