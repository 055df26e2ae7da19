import { createHash } from 'node:crypto';
import { MAX_STREAM_NAME_LENGTH, STREAM_NAME } from './validation.js';

/** The form of an encoded suffix: '=' and 64 hex digits (a sha256). */
const ENCODED = /^=[0-9a-f]{64}$/;

/**
 * The stream of a name claim (`tagname-<name>`, `username-<name>`, `nvr-<nvr>`, …): every place that
 * writes or reads such a stream builds it here, so a lookup finds what a creation claimed.
 *
 * Names are the user's, and Koji accepts names the event store cannot take as a stream name as they
 * are (256-character tags, `1.0~x` versions). A name that fits the store's charset and length is its
 * own suffix — the streams of every existing log stay where they are; any other name becomes `=` and
 * the sha256 of the name. That is collision-free: a name that already has the encoded form is
 * encoded too (no name ever maps to itself in that form), and no fitting name used in a log before
 * this rule had it (no name rule of the hub admits '='). The claim events carry the name itself, so
 * the log still reads as names.
 */
export function nameStream(kind: string, name: string): string {
  const raw = `${kind}-${name}`;
  if (raw.length <= MAX_STREAM_NAME_LENGTH && STREAM_NAME.test(raw) && !ENCODED.test(name)) return raw;
  // JSON quoting keeps lone surrogates apart, which UTF-8 would fold into one U+FFFD.
  return `${kind}-=${createHash('sha256').update(JSON.stringify(name)).digest('hex')}`;
}
