import { BR_STATE_NAMES, TASK_STATE_NAMES } from '../modules/tasks/tasks.events.js';
import { REPO_STATE_NAMES } from '../modules/tags/tags.events.js';

/** Seconds since the epoch as `2025-07-02 10:00:00 UTC`; the pages show one zone, the hub's records'. */
export function fmtTs(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return '';
  return `${new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function fmtIso(iso: string | null | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : fmtTs(t / 1000);
}

/** `1.50 MiB (1572864 bytes)`: the exact count matters when comparing with a download. */
export function fmtSize(size: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [n, unit] of units) if (size >= n) return `${(size / n).toFixed(2)} ${unit} (${size} bytes)`;
  return `${size} bytes`;
}

export const taskState = (s: number) => TASK_STATE_NAMES[s] ?? String(s);
export const buildrootState = (s: number) => BR_STATE_NAMES[s] ?? String(s);
export const repoState = (s: number) => REPO_STATE_NAMES[s] ?? String(s);

/** koji.taskLabel, as the CLI prints it when a task has no label of its own. */
export function taskLabel(t: {
  method: string;
  arch: string;
  request: unknown[];
  label: string | null;
}): string {
  if (t.label) return t.label;
  const req = t.request;
  if (t.method === 'buildArch' && Array.isArray(req) && req.length >= 3)
    return `${t.method} (${String(req[0]).split('/').pop()}, ${String(req[2])})`;
  return `${t.method} (${t.arch})`;
}

/** A request parameter or result for display: JSON, indented, so nested values stay readable. */
export function pretty(v: unknown): string {
  const s = JSON.stringify(v, null, 2);
  return s === undefined ? String(v) : s;
}

/** Each path segment URL-encoded, the slashes kept. */
export function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}
