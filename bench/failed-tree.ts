// `npm run bench -- failed-tree` (issue 10 point 9, DESIGN §9, platform-notes §5): MB/s of the Save
// Failed Tree archiver on a generated buildroot (fixed seed, about 1 GiB in 60,000 files of mixed
// compressibility, symlinks, hard links, /dev nodes, planted secrets, on tmpfs) beside GNU
// `tar -czf` and `tar -cf - | pigz -p 2`, all at gzip level 6, all leaving the same secrets out,
// on the same tree in the same run, in rotating order, 3 repetitions, medians. Every output is
// verified (gzip -t, GNU tar's entry count, no secret, the decoys present) or its run is void. Peak
// memory is the max RSS of each command's processes (GNU time; for the archiver, the node process
// running its worker thread). Aims: ≥ 1.8× tar -czf, ≥ 1.0× pigz, peak RSS ≤ 200 MB.
//
// Environment: KOJI_ES_BENCH_DIR (default /dev/shm), KOJI_ES_BENCH_REPS (3), KOJI_ES_BENCH_LEVEL (6),
// KOJI_ES_BENCH_BLOCK (bytes per gzip member, 1 MiB), KOJI_ES_BENCH_WINDOW (members in flight, 8),
// KOJI_ES_BENCH_KEEP_TREE=1 keeps the generated tree for the next run (it is reused when present).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { archiveTree, type ArchiveResult } from 'koji-es/builder/archive/archive';
import { GZIP_DEFAULTS } from 'koji-es/builder/archive/gzip-blocks';
import { generateBenchTree, type BenchTree } from '../test/helpers/trees-bench.js';
import { header, median } from './lib/report.js';

const SEED = 20261124;
const env = process.env;
const DIR = env.KOJI_ES_BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : '/tmp');
const REPS = Number(env.KOJI_ES_BENCH_REPS ?? 3);
const LEVEL = Number(env.KOJI_ES_BENCH_LEVEL ?? GZIP_DEFAULTS.level);
const BLOCK = Number(env.KOJI_ES_BENCH_BLOCK ?? GZIP_DEFAULTS.blockSize);
const WINDOW = Number(env.KOJI_ES_BENCH_WINDOW ?? GZIP_DEFAULTS.window);
const AIM = { tar: 1.8, pigz: 1.0, rssMb: 200 };

/** The exclusions every side applies: the archiver's mandatory rules, as GNU tar patterns. */
const TAR_EXCLUDES = ['--exclude=tmp/krb5cc*', '--exclude=etc/*.keytab'];

interface Measured {
  wall: number;
  cpu: number | null;
  maxRssKb: number | null;
}

interface RunResult extends Measured {
  tool: Tool;
  outBytes: number;
  void: string | null;
  workerPeakRss?: number;
}

type Tool = 'koji-es' | 'tar -czf' | 'tar | pigz -p 2';

/** Child mode: the archiver alone in this process, as a builder runs it; prints its result. */
async function child(argv: string[]): Promise<void> {
  const [root, output] = argv;
  const result = await archiveTree({
    root,
    full: true,
    output,
    level: LEVEL,
    blockSize: BLOCK,
    window: WINDOW,
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function sh(cmd: string, args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** pigz is not in a fresh machine: installed with apt-get, retried while another apt holds the lock. */
function ensurePigz(): string | null {
  if (have('pigz')) return null;
  if (process.getuid?.() !== 0) return 'pigz is missing and installing it needs root (apt-get install pigz)';
  let updated = false;
  let last = '';
  for (let attempt = 0; attempt < 40; attempt++) {
    const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'pigz'], {
      encoding: 'utf8',
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status === 0 && have('pigz')) return null;
    last = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-2).join(' / ');
    if (/Could not get lock|Unable to acquire the dpkg|dpkg was interrupted/.test(last)) {
      console.log(`apt-get: the dpkg lock is busy, retrying (${attempt + 1})`);
      spawnSync('sleep', ['5']);
    } else if (!updated && /Unable to locate package|no installation candidate/.test(last)) {
      updated = true;
      spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    } else break;
  }
  return `pigz could not be installed: ${last}`;
}

/** Wall time, CPU and max RSS of a command: GNU time when there is one, else python's rusage. */
function measure(argv: string[]): Measured & { stdout: string; status: number | null; stderr: string } {
  const started = performance.now();
  if (existsSync('/usr/bin/time')) {
    const tf = join(DIR, `koji-es-bench-time-${process.pid}`);
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', tf, ...argv], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const wall = (performance.now() - started) / 1000;
    const [, user, sys, rss] = readFileSync(tf, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    rmSync(tf, { force: true });
    return { wall, cpu: user + sys, maxRssKb: rss, stdout: r.stdout, stderr: r.stderr, status: r.status };
  }
  const py =
    'import resource,subprocess,sys; r=subprocess.run(sys.argv[1:]); ' +
    'u=resource.getrusage(resource.RUSAGE_CHILDREN); ' +
    'sys.stderr.write("\\nRUSAGE %f %d\\n" % (u.ru_utime+u.ru_stime, u.ru_maxrss)); sys.exit(r.returncode)';
  if (have('python3')) {
    const r = spawnSync('python3', ['-c', py, ...argv], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const wall = (performance.now() - started) / 1000;
    const m = /RUSAGE (\S+) (\d+)\n$/.exec(r.stderr);
    return {
      wall,
      cpu: m ? Number(m[1]) : null,
      maxRssKb: m ? Number(m[2]) : null,
      stdout: r.stdout,
      stderr: r.stderr,
      status: r.status,
    };
  }
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 24 });
  return {
    wall: (performance.now() - started) / 1000,
    cpu: null,
    maxRssKb: null,
    stdout: r.stdout,
    stderr: r.stderr,
    status: r.status,
  };
}

/** gzip -t, GNU tar's listing: the entry count, no secret, every decoy. Null when all is well. */
function verify(out: string, tree: BenchTree, expected: number): string | null {
  const g = sh('gzip', ['-t', out]);
  if (g.status !== 0) return `gzip -t failed: ${g.err.trim()}`;
  const l = sh('tar', ['--quoting-style=literal', '-tzf', out]);
  if (l.status !== 0) return `tar -tzf failed: ${l.err.trim()}`;
  const names = l.out.split('\n').filter(Boolean);
  if (names.length !== expected) return `${names.length} entries, expected ${expected}`;
  const set = new Set(names);
  const leaked = tree.secrets.filter((s) => set.has(s));
  if (leaked.length) return `secrets in the archive: ${leaked.join(', ')}`;
  const lost = tree.decoys.filter((d) => !set.has(d));
  if (lost.length) return `decoys missing: ${lost.join(', ')}`;
  return null;
}

function treeFor(base: string): BenchTree {
  const root = join(base, 'root');
  const meta = join(base, 'tree.json');
  if (existsSync(meta)) {
    const t = JSON.parse(readFileSync(meta, 'utf8')) as BenchTree & { seed: number };
    if (t.seed === SEED && existsSync(root)) {
      console.log(`reusing the tree in ${root}`);
      return t;
    }
  }
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const started = performance.now();
  const t = generateBenchTree(root, SEED);
  writeFileSync(meta, JSON.stringify({ ...t, seed: SEED }));
  console.log(`generated the tree in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return t;
}

function runOne(tool: Tool, tree: BenchTree, out: string, expected: number): RunResult {
  const tops = readdirSync(tree.root).sort();
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  let m: ReturnType<typeof measure>;
  let workerPeakRss: number | undefined;
  if (tool === 'koji-es') {
    m = measure([process.execPath, __filename, '--child', tree.root, out]);
    if (m.status === 0) {
      const r = JSON.parse(m.stdout.trim().split('\n').pop()!) as ArchiveResult;
      workerPeakRss = r.peakRss;
      if (r.entries !== expected) {
        rmSync(out, { force: true });
        return {
          tool,
          ...m,
          outBytes: 0,
          void: `the archiver counted ${r.entries} entries, expected ${expected}`,
        };
      }
    }
  } else if (tool === 'tar -czf') {
    m = measure(['tar', '-C', tree.root, '-czf', out, ...TAR_EXCLUDES, ...tops]);
  } else {
    const cmd = `tar -C ${q(tree.root)} -cf - ${TAR_EXCLUDES.map(q).join(' ')} ${tops.map(q).join(' ')} | pigz -p 2 -${LEVEL} > ${q(out)}`;
    m = measure(['bash', '-o', 'pipefail', '-c', cmd]);
  }
  if (m.status !== 0) {
    rmSync(out, { force: true });
    return {
      tool,
      ...m,
      outBytes: 0,
      void: `exit ${m.status}: ${m.stderr.trim().split('\n').slice(-2).join(' / ')}`,
    };
  }
  const outBytes = statSync(out).size;
  const bad = verify(out, tree, expected);
  rmSync(out, { force: true });
  return { tool, ...m, outBytes, void: bad, workerPeakRss };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv.slice(3));
  const pigzProblem = ensurePigz();
  for (const tool of ['tar', 'gzip'])
    if (!have(tool))
      throw new Error(`${tool} is needed for the baselines and the checks (apt-get install ${tool})`);
  header('failed-tree', [
    `tree on ${DIR}, gzip level ${LEVEL}, archiver blocks ${BLOCK} bytes, ${WINDOW} in flight, UV_THREADPOOL_SIZE ${env.UV_THREADPOOL_SIZE ?? 'default (4)'}`,
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
    ...(pigzProblem ? [`pigz baseline left out: ${pigzProblem}`] : []),
  ]);
  const base = join(DIR, 'koji-es-bench-failed-tree');
  const tree = treeFor(base);
  const expected = tree.entries - tree.secrets.length;
  const mb = tree.bytes / 1e6;
  console.log(
    `tree: ${mb.toFixed(1)} MB of file contents, ${tree.entries} entries (${tree.files} files, ${tree.dirs} dirs, ${tree.symlinks} symlinks, ${tree.hardlinks} hard links, ${tree.devices} devices), ${tree.secrets.length} secrets to leave out → ${expected} entries expected\n`,
  );
  const tools: Tool[] = pigzProblem ? ['koji-es', 'tar -czf'] : ['koji-es', 'tar -czf', 'tar | pigz -p 2'];
  const runs: RunResult[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const order = tools.map((_, i) => tools[(i + rep) % tools.length]);
    for (const tool of order) {
      const r = runOne(tool, tree, join(base, 'out.tar.gz'), expected);
      runs.push(r);
      console.log(
        `run ${rep + 1} ${tool.padEnd(15)} ${r.wall.toFixed(2).padStart(7)} s  ${(mb / r.wall).toFixed(1).padStart(6)} MB/s  cpu ${r.cpu?.toFixed(1) ?? '?'} s  rss ${r.maxRssKb ? (r.maxRssKb / 1024).toFixed(1) : '?'} MB  out ${(r.outBytes / 1e6).toFixed(1)} MB${r.void ? `  VOID: ${r.void}` : ''}`,
      );
    }
  }
  console.log('');
  const stat = (tool: Tool) => {
    const ok = runs.filter((r) => r.tool === tool && !r.void);
    return {
      rate: median(ok.map((r) => mb / r.wall)),
      wall: median(ok.map((r) => r.wall)),
      cpu: median(ok.flatMap((r) => (r.cpu === null ? [] : [r.cpu]))),
      rss: ok.some((r) => r.maxRssKb !== null) ? Math.max(...ok.map((r) => r.maxRssKb ?? 0)) / 1024 : null,
      out: median(ok.map((r) => r.outBytes / 1e6)),
      n: ok.length,
    };
  };
  const rows = tools.map((t) => ({ tool: t, ...stat(t) }));
  const f = (x: number | null, d = 1) => (x === null ? 'void' : x.toFixed(d));
  console.log(
    'tool             median MB/s  median wall s  median cpu s  peak RSS MB  output MB  valid runs',
  );
  for (const r of rows)
    console.log(
      `${r.tool.padEnd(16)} ${f(r.rate).padStart(11)}  ${f(r.wall, 2).padStart(13)}  ${f(r.cpu).padStart(12)}  ${f(r.rss).padStart(11)}  ${f(r.out).padStart(9)}  ${`${r.n}/${REPS}`.padStart(10)}`,
    );
  const ours = rows[0];
  const workerPeak = Math.max(...runs.filter((r) => r.workerPeakRss).map((r) => r.workerPeakRss!)) / 1e6;
  console.log('');
  const verdict = (ratio: number | null, aim: number) =>
    ratio === null ? 'VOID' : `${ratio.toFixed(2)}× (aim ≥ ${aim}×: ${ratio >= aim ? 'ok' : 'BELOW'})`;
  const vsTar = ours.rate !== null && rows[1].rate !== null ? ours.rate / rows[1].rate : null;
  console.log(`koji-es vs tar -czf:         ${verdict(vsTar, AIM.tar)}`);
  if (!pigzProblem) {
    const vsPigz = ours.rate !== null && rows[2].rate !== null ? ours.rate / rows[2].rate : null;
    console.log(`koji-es vs tar | pigz -p 2:  ${verdict(vsPigz, AIM.pigz)}`);
  } else console.log(`koji-es vs tar | pigz -p 2:  not measured (${pigzProblem})`);
  console.log(
    `koji-es peak RSS:            ${f(ours.rss)} MB (aim ≤ ${AIM.rssMb} MB: ${ours.rss !== null && ours.rss <= AIM.rssMb ? 'ok' : 'BELOW'}); sampled in the worker: ${workerPeak.toFixed(1)} MB`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (env.KOJI_ES_BENCH_KEEP_TREE !== '1') rmSync(base, { recursive: true, force: true });
  if (rows.some((r) => r.n === 0)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exit(1);
});
