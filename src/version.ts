/** What `getKojiVersion` answers: dotted integers only, since the koji client parses them as ints. */
export const KOJI_VERSION = '1.35.3';
export const KOJI_API_VERSION = 1;
/** koji-es's own version (package.json). */
export const KOJI_ES_VERSION = '0.1.0';
