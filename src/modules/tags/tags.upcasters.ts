import { upcasters } from '../../kernel/upcasters.js';

/**
 * PackageTagged v1 (the first shape) recorded only the tag, the build, the user and the time;
 * v2 adds `force` and `fromtag` (moves). Old events read as v2 with what they meant: not forced, no move.
 */
upcasters.register('PackageTagged', 1, (data) => ({ force: false, fromtag: null, ...(data as object) }));

export const PACKAGE_TAGGED_VERSION = 2;
