import { open, type FileHandle } from 'node:fs/promises';
import { DEFAULT_VOLUME, type TaskFiles } from '../modules/tasks/task-files.js';

export const LOG_NAME = 'runroot.log';

/** At most this much of a log per reply or per page: the rest follows in the next polls. */
export const LOG_CHUNK = 256 * 1024;

/**
 * A running task's log is still an upload in progress (the builder streams it with host.uploadFile
 * and publishes it at the end), so it is read there until it has its final name. The final name is
 * tried again last, so a rename between the two looks is never taken for "no log"; the open handle
 * keeps reading the same bytes whatever is renamed after.
 */
async function openLog(files: TaskFiles, taskId: number): Promise<{ fh: FileHandle; size: number } | null> {
  const final = files.finalPath(taskId, LOG_NAME, DEFAULT_VOLUME);
  for (const path of [final, files.partialPath(taskId, LOG_NAME, DEFAULT_VOLUME), final]) {
    const fh = await open(path, 'r').catch(() => null);
    if (!fh) continue;
    const st = await fh.stat();
    if (st.isFile()) return { fh, size: st.size };
    await fh.close();
  }
  return null;
}

/** Length of the longest prefix of `buf` that does not end inside a UTF-8 sequence. */
export function completeUtf8(buf: Buffer): number {
  let i = buf.length - 1;
  let back = 0;
  while (i >= 0 && back < 3 && (buf[i] & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i < 0) return buf.length;
  const lead = buf[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return buf.length - i >= need ? buf.length : i;
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = length ? await fh.read(buf, 0, length, offset) : { bytesRead: 0 };
  return buf.subarray(0, bytesRead);
}

export interface LogChunk {
  /** Where the next read starts. */
  offset: number;
  text: string;
  /** The log is shorter than the reader's offset (the upload started over): start again from 0. */
  reset: boolean;
  size: number;
}

/** New bytes from `offset`, cut at a character boundary unless the log is complete. */
export async function readLog(
  files: TaskFiles,
  taskId: number,
  offset: number,
  complete: boolean,
): Promise<LogChunk> {
  const log = await openLog(files, taskId);
  if (!log) return { offset, text: '', reset: false, size: 0 };
  try {
    const { size } = log;
    const reset = offset > size;
    const from = reset ? 0 : offset;
    if (from >= size) return { offset: from, text: '', reset, size };
    let buf = await readAt(log.fh, from, Math.min(LOG_CHUNK, size - from));
    const atEnd = from + buf.length >= size;
    if (!(complete && atEnd)) buf = buf.subarray(0, completeUtf8(buf));
    return { offset: from + buf.length, text: buf.toString('utf8'), reset, size };
  } finally {
    await log.fh.close();
  }
}

/** The end of a log for the page's first render; `truncated` when earlier bytes are left out. */
export async function tailLog(
  files: TaskFiles,
  taskId: number,
): Promise<{ text: string; offset: number; truncated: boolean; exists: boolean }> {
  const log = await openLog(files, taskId);
  if (!log) return { text: '', offset: 0, truncated: false, exists: false };
  const from = Math.max(0, log.size - LOG_CHUNK);
  let buf: Buffer;
  try {
    buf = await readAt(log.fh, from, log.size - from);
  } finally {
    await log.fh.close();
  }
  let start = 0;
  // A tail may begin inside a character: skip to the next one.
  if (from > 0) while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++;
  buf = buf.subarray(start);
  const keep = completeUtf8(buf);
  return {
    text: buf.subarray(0, keep).toString('utf8'),
    offset: from + start + keep,
    truncated: from + start > 0,
    exists: true,
  };
}
