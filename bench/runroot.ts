// `npm run bench -- runroot` (issue 9 point 7): end-to-end latency of `runroot <tag> x86_64 true`
// — from the API call to the task CLOSED with its runroot.log uploaded, completion seen by polling
// taskFinished every POLL_MS — against `npm start`'s setup: one hub process on the embedded SQLite
// store with its in-process builder at the normal poll interval ([kojid] sleeptime, printed), the
// shipped config (bwrap, a buildroot made on the host's /usr). Beside it, in the same run and
// interleaved run by run: the same driver's bwrap argv with the same kind of root spawned from Node
// (the bare sandbox, output to a log fd). 50 runs each after warm-ups; median and p95; every run
// verified (CLOSED, result text, runroot.log listed and empty; bare: exit status 0) or void.
// KOJI_ES_BENCH_RUNS changes the number of runs; KOJI_ES_BENCH_DIR is where the SQLite file goes.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeRoot } from 'koji-es/builder/buildroot';
import { loadBuilderConfig } from 'koji-es/builder/config';
import { bwrapArgs, chooseDriver, type SandboxSpec } from 'koji-es/builder/sandbox/index';
import { credHeaders, REPO_ROOT, type Creds } from '../test/helpers/hub.js';
import { startHubProcess } from '../test/helpers/hub-process.js';
import { header, median } from './lib/report.js';

const RUNS = Number(process.env.KOJI_ES_BENCH_RUNS ?? 50);
const WARMUP = 3;
const POLL_MS = 5;
const AIM = 10;
const DIR = process.env.KOJI_ES_BENCH_DIR ?? tmpdir();
const ADMIN_PASSWORD = 'bench-runroot-admin';
const TAG = 'bench-runroot';

function p95(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}

class Api {
  private id = 0;
  constructor(
    readonly url: string,
    private creds: Creds = {},
  ) {}

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(`${this.url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...credHeaders(this.creds) },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result as T;
  }

  async login(user: string, password: string) {
    const s = await this.call<{ 'session-id': number; 'session-key': string }>('login', [user, password]);
    this.creds = { sessionId: s['session-id'], sessionKey: s['session-key'] };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One runroot task, timed from the call to taskFinished; then checked (outside the time). */
async function runrootOnce(api: Api): Promise<{ ms: number; ok: boolean; note?: string }> {
  const t0 = performance.now();
  const id = await api.call<number>('runroot', [TAG, 'x86_64', ['true']]);
  while (!(await api.call<boolean>('taskFinished', [id]))) await sleep(POLL_MS);
  const ms = performance.now() - t0;
  const info = await api.call<{ state: number }>('getTaskInfo', [id]);
  const result = info.state === 2 ? await api.call<string>('getTaskResult', [id]) : null;
  const files = await api.call<Record<string, { st_size: string }>>('listTaskOutput', [id, true]);
  const ok =
    info.state === 2 && result === 'true completed successfully' && files['runroot.log']?.st_size === '0';
  return ok
    ? { ms, ok }
    : { ms, ok, note: `task ${id}: state ${info.state}, ${result}, ${JSON.stringify(files)}` };
}

/** The bare sandbox: bwrap with the driver's argv, stdout+stderr on one log fd, spawn → close. */
function bareOnce(bwrap: string, args: string[], log: string): Promise<{ ms: number; ok: boolean }> {
  const fd = openSync(log, 'w');
  const t0 = performance.now();
  return new Promise((resolve) => {
    const p = spawn(bwrap, args, { stdio: ['ignore', fd, fd, 'pipe'], env: { PATH: '/usr/bin:/bin' } });
    (p.stdio[3] as NodeJS.ReadableStream).resume();
    p.on('close', (code) => {
      const ms = performance.now() - t0;
      closeSync(fd);
      resolve({ ms, ok: code === 0 });
    });
  });
}

async function main() {
  const work = mkdtempSync(join(DIR, 'koji-es-bench-runroot-'));
  const hub = await startHubProcess({
    store: `sqlite:${join(work, 'koji-es.sqlite')}`,
    configDir: join(REPO_ROOT, 'config'),
    adminPassword: ADMIN_PASSWORD,
  });
  try {
    const api = new Api(hub.url);
    await api.login('admin', ADMIN_PASSWORD);
    await api.call('createTag', [TAG, { arches: 'x86_64', __starstar: true }]);
    const hosts = await api.call<{ name: string }[]>('listHosts', []);
    const sleeptime = loadBuilderConfig({ '--config-dir': join(REPO_ROOT, 'config') }, {}).sleeptimeMs / 1000;

    const driver = await chooseDriver('bwrap', 'bench');
    const root = join(work, 'bare-root');
    const binds = await makeRoot(root, { kind: 'host' });
    const spec: SandboxSpec = {
      root,
      argv: ['true'],
      binds,
      network: false,
      hostname: 'bench',
      cwd: '/builddir',
      env: { PATH: '/usr/bin:/bin' },
      personality: null,
    };
    const cmd = driver.command(spec);
    const args = bwrapArgs(spec);

    header('runroot', [
      `hub: one process, SQLite store in ${work}, its in-process builder ${hosts.map((h) => h.name).join(', ')}`,
      `builder poll interval ([kojid] sleeptime): ${sleeptime} s; completion polled with taskFinished every ${POLL_MS} ms`,
      `bare: ${cmd.file} ${args.slice(0, -1).join(' ')} true`,
      `${RUNS} runs each after ${WARMUP} warm-ups, interleaved`,
    ]);

    const e2e: number[] = [];
    const bare: number[] = [];
    const voids: string[] = [];
    for (let i = -WARMUP; i < RUNS; i++) {
      const order = i % 2 === 0 ? ['e2e', 'bare'] : ['bare', 'e2e'];
      for (const side of order) {
        if (side === 'e2e') {
          const r = await runrootOnce(api);
          if (i >= 0) {
            if (r.ok) e2e.push(r.ms);
            else voids.push(r.note ?? 'void');
          }
        } else {
          const r = await bareOnce(cmd.file, args, join(work, 'bare.log'));
          if (i >= 0) {
            if (r.ok) bare.push(r.ms);
            else voids.push('bare run exited non-zero');
          }
        }
      }
      if (i >= 0 && i % 10 === 9) process.stderr.write('.');
    }
    process.stderr.write('\n');
    const f = (x: number | null) => (x === null ? 'void' : `${x.toFixed(1)} ms`);
    const me = median(e2e);
    const mb = median(bare);
    const ratio = me !== null && mb !== null ? me / mb : null;
    const rows = [
      ['figure', 'median', 'p95', 'runs'],
      ['runroot … true, end to end', f(me), f(p95(e2e)), String(e2e.length)],
      ['bare bwrap spawn (same argv, same root)', f(mb), f(p95(bare)), String(bare.length)],
    ];
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows)
      console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
    console.log(
      `\nratio of medians: ${ratio === null ? 'void' : ratio.toFixed(1)}× (aim ≤ ${AIM}×) ${
        ratio === null ? 'VOID' : ratio <= AIM ? 'ok' : 'ABOVE AIM'
      }`,
    );
    for (const v of voids) console.log(`void run: ${v}`);
    if (ratio === null || voids.length) process.exitCode = 1;
  } finally {
    await hub.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
