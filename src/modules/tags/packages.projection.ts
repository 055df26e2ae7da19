import type { Projection, ProjectionTx } from '../../eventstore/projection.js';
import type { RecordedEvent } from '../../eventstore/port.js';
import type { PackageCreated, PackageListEvent } from './packages.events.js';
import type { TagDeleted } from './tags.events.js';

export interface PackageDoc {
  id: number;
  name: string;
}

/** A tag's own package-list entry (Koji's tag_packages row joined with its owner). */
export interface TagPackageDoc {
  tag_id: number;
  package_id: number;
  package_name: string;
  owner_id: number;
  owner_name: string;
  blocked: boolean;
  extra_arches: string | null;
}

export const PACKAGES = 'packages';
export const TAG_PACKAGES = 'tag_packages';

export const tagPackageKey = (tagId: number, pkg: string) => `${tagId}:${pkg}`;

/** Packages and the tags' own package lists; inheritance is applied when read (PackagesReader). */
export const packagesProjection: Projection = {
  name: 'packages',
  version: 1,
  collections: [
    { name: PACKAGES, indexes: ['name'] },
    { name: TAG_PACKAGES, indexes: ['tag_id', 'package_name', 'owner_id'] },
  ],
  filter: { types: ['PackageCreated', 'PackageListChanged', 'PackageListEntryRemoved', 'TagDeleted'] },
  apply(ev: RecordedEvent, tx: ProjectionTx) {
    const e = { type: ev.type, data: ev.data } as PackageCreated | PackageListEvent | TagDeleted;
    switch (e.type) {
      case 'PackageCreated':
        tx.put(PACKAGES, String(e.data.id), { id: e.data.id, name: e.data.name } satisfies PackageDoc);
        return;
      case 'PackageListChanged': {
        const { tag, entry } = e.data;
        tx.put(TAG_PACKAGES, tagPackageKey(tag.id, entry.package.name), {
          tag_id: tag.id,
          package_id: entry.package.id,
          package_name: entry.package.name,
          owner_id: entry.owner.id,
          owner_name: entry.owner.name,
          blocked: entry.blocked,
          extra_arches: entry.extraArches,
        } satisfies TagPackageDoc);
        return;
      }
      case 'PackageListEntryRemoved':
        tx.delete(TAG_PACKAGES, tagPackageKey(e.data.tag.id, e.data.package.name));
        return;
      case 'TagDeleted':
        for (const p of e.data.packages ?? []) tx.delete(TAG_PACKAGES, tagPackageKey(e.data.id, p.name));
        return;
    }
  },
};
