// bench/replay (issue 12 point 7): events/s of a full rebuild of every read model (the `audit
// rebuild` path) over a generated log with a realistic mix every projection consumes, on SQLite and
// on PostgreSQL, beside the store's raw read rate (rows read and JSON-parsed) in the same run.
// Beside them, for reference, the same projections replayed into memory (`audit verify`'s replay: the
// same scan, no table of the store written), the floor a rebuild's writing adds to. 3 repetitions,
// each starting with another of the three, medians; a run whose read-model row counts differ from
// what the generator made is void.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { rebuildProjections } from 'koji-es/audit/rebuild';
import { replayIntoMemory } from 'koji-es/audit/verify';
import { openBackend, type StoreBackend } from 'koji-es/eventstore/open';
import { PostgresEventStore } from 'koji-es/eventstore/postgres.store';
import type { NewEvent, StreamWrite } from 'koji-es/eventstore/port';
import type { ReadModelReader } from 'koji-es/eventstore/read-model.port';
import { ALL_PROJECTIONS } from 'koji-es/projections';
import { startTestPostgres } from '../test/helpers/pg.js';
import { header, printTable, verified, type Figure, type Run } from './lib/report.js';

const TOTAL = Number(process.env.KOJI_ES_BENCH_REPLAY_EVENTS ?? 1_000_000);
const REPS = 3;
/** Which stores to measure (comma-separated), for a quicker look at one of them. */
const STORES = (process.env.KOJI_ES_BENCH_REPLAY_STORES ?? 'sqlite,postgres').split(',');
const DIR = process.env.KOJI_ES_BENCH_DIR ?? '/dev/shm';
/** Threads of the rebuild (default: one per core, as `audit rebuild`); 1 for the one-thread figure. */
const THREADS = process.env.KOJI_ES_BENCH_REPLAY_THREADS
  ? Number(process.env.KOJI_ES_BENCH_REPLAY_THREADS)
  : undefined;
const T0 = Date.parse('2026-01-01T00:00:00Z');

interface Expected {
  users: number;
  tasks: number;
  buildroots: number;
  builds: number;
  tagged: number;
  sidetags: number;
  sessions: number;
  locks: number;
  trees: number;
  packages: number;
  listed: number;
}

let seq = 0;
const id = () => `bench-${++seq}`;

/**
 * A coherent log: users with sessions (some made exclusive), builds tagged into base tags, tasks
 * run in buildroots on a host (some failing, their buildroot saved as a tree, some trees expiring),
 * repos, packages (some listed in base tags), and sidetags created, used and removed — every
 * projection has work to do.
 */
export function* generate(
  total: number,
  expected: Expected,
): Generator<{ stream: string; event: NewEvent }[]> {
  let n = 0;
  const time = (i: number) => new Date(T0 + i * 1000).toISOString();
  const meta = (i: number, actor = { id: 1, name: 'admin' }) => ({
    actor,
    requestId: `r${i}`,
    recordedTime: time(i),
    clientAddress: '192.0.2.7',
  });
  const ev = (type: string, data: unknown, i: number, actor?: { id: number; name: string }): NewEvent => ({
    eventId: id(),
    type,
    data,
    metadata: meta(i, actor),
  });
  const emit = (cmd: { stream: string; event: NewEvent }[]) => {
    n += cmd.length;
    return cmd;
  };
  const users = 100;
  const user = (u: number) => ({ id: u + 1, name: `user${u}` });
  for (let u = 0; u < users; u++) {
    const who = user(u);
    yield emit([
      {
        stream: `user-${who.id}`,
        event: ev(
          'UserCreated',
          { id: who.id, name: who.name, usertype: 0, status: 0, krbPrincipal: null },
          u,
        ),
      },
      {
        stream: `user-${who.id}`,
        event: ev('PermissionGranted', { userId: who.id, userName: who.name, permId: 1, perm: 'runroot' }, u),
      },
    ]);
    expected.users++;
  }
  const host = { id: 1, name: 'builder-1' };
  yield emit([
    { stream: 'channel-1', event: ev('ChannelAdded', { id: 1, name: 'default', description: null }, 0) },
    {
      stream: 'host-1',
      event: ev(
        'HostAdded',
        {
          id: 1,
          name: host.name,
          userId: 999,
          arches: 'x86_64',
          capacity: 2,
          description: null,
          comment: null,
        },
        0,
      ),
    },
  ]);
  const bases = 10;
  for (let b = 0; b < bases; b++) {
    yield emit([
      {
        stream: `tag-${b + 1}`,
        event: ev(
          'TagCreated',
          {
            id: b + 1,
            name: `f${b}-build`,
            arches: 'x86_64',
            locked: false,
            perm: null,
            mavenSupport: false,
            mavenIncludeAll: false,
            extra: {},
            inheritance: [],
          },
          b,
        ),
      },
    ]);
  }
  let tagId = bases;
  let taskId = 0;
  let buildId = 0;
  let sessionId = 0;
  let repoId = 0;
  let buildrootId = 0;
  /** Per user: whether the last exclusive session still holds the lock. */
  const locks = new Map<number, boolean>();
  for (let i = 0; n < total; i++) {
    const who = user(i % users);
    // A session: log in, log out.
    sessionId++;
    yield emit([
      {
        stream: `session-${sessionId}`,
        event: ev(
          'SessionStarted',
          {
            id: sessionId,
            userId: who.id,
            userName: who.name,
            keyHash: 'h',
            authtype: 0,
            startTime: time(i),
            expiresAt: time(i + 86400),
            clientAddress: '192.0.2.7',
          },
          i,
          who,
        ),
      },
      {
        stream: `session-${sessionId}`,
        event: ev('SessionEnded', { id: sessionId, userId: who.id, reason: 'logout' }, i, who),
      },
    ]);
    expected.sessions++;
    // Exclusive sessions (Koji's exclusiveSession): most are made shared again; those of one user who
    // never does it otherwise are left holding the lock.
    const keep = i % 1000 === 1;
    if (i % 25 === 0 || keep) {
      const lockStream = `session-lock-${who.id}`;
      const lock = { sessionId, userId: who.id, userName: who.name };
      yield emit([
        { stream: lockStream, event: ev('SessionMadeExclusive', { ...lock, displaced: null }, i, who) },
        ...(keep ? [] : [{ stream: lockStream, event: ev('SessionMadeShared', lock, i, who) }]),
      ]);
      locks.set(who.id, keep);
    }
    // A task on the builder, in a buildroot of its own.
    taskId++;
    buildrootId++;
    const failed = i % 50 === 0;
    const root = `/var/lib/mock/runroot-${taskId}`;
    yield emit([
      {
        stream: `task-${taskId}`,
        event: ev(
          'TaskCreated',
          {
            id: taskId,
            method: 'runroot',
            arch: 'x86_64',
            channel: { id: 1, name: 'default' },
            owner: who,
            priority: 15,
            weight: 2,
            parent: null,
            label: null,
            request: ['f0-build', 'x86_64', ['true']],
            assignedHost: null,
            createTime: time(i),
          },
          i,
          who,
        ),
      },
      { stream: `task-${taskId}`, event: ev('TaskOpened', { id: taskId, host, startTime: time(i) }, i) },
      {
        stream: `buildroot-${buildrootId}`,
        event: ev(
          'BuildrootCreated',
          {
            id: buildrootId,
            host,
            taskId,
            arch: 'x86_64',
            tag: { id: 1, name: 'f0-build' },
            repoId: null,
            path: root,
            createTime: time(i),
          },
          i,
        ),
      },
      {
        stream: `buildroot-${buildrootId}`,
        event: ev('BuildrootStateChanged', { id: buildrootId, state: 2, time: time(i) }, i),
      },
      failed
        ? {
            stream: `task-${taskId}`,
            event: ev(
              'TaskFailed',
              {
                id: taskId,
                host,
                fault: { faultCode: 1, faultString: 'command failed', name: 'GenericError' },
                completionTime: time(i),
              },
              i,
            ),
          }
        : {
            stream: `task-${taskId}`,
            event: ev(
              'TaskClosed',
              { id: taskId, host, result: 'true completed successfully', completionTime: time(i) },
              i,
            ),
          },
      {
        stream: `buildroot-${buildrootId}`,
        event: ev('BuildrootStateChanged', { id: buildrootId, state: 3, time: time(i) }, i),
      },
    ]);
    expected.tasks++;
    expected.buildroots++;
    if (failed) {
      // The failed task's buildroot is kept and saved as a tree by a saveFailedTree task; one tree in
      // five is expired later by the collector.
      const brId = buildrootId;
      const failedTask = taskId;
      taskId++;
      yield emit([
        {
          stream: `buildroot-${brId}`,
          event: ev('BuildrootRetained', { id: brId, keepUntil: time(i + 14400) }, i),
        },
        {
          stream: `task-${taskId}`,
          event: ev(
            'TaskCreated',
            {
              id: taskId,
              method: 'saveFailedTree',
              arch: 'noarch',
              channel: { id: 1, name: 'default' },
              owner: who,
              priority: 20,
              weight: 3,
              parent: null,
              label: null,
              request: [brId, false],
              assignedHost: host,
              createTime: time(i),
            },
            i,
            who,
          ),
        },
        { stream: `task-${taskId}`, event: ev('TaskOpened', { id: taskId, host, startTime: time(i) }, i) },
        {
          stream: `failed-tree-${taskId}`,
          event: ev(
            'TreeArchived',
            {
              taskId,
              buildrootId: brId,
              failedTaskId: failedTask,
              owner: who,
              host,
              file: `broot-${brId}.tar.gz`,
              volume: 'failed-tree',
              size: 10_485_760,
              sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
              full: false,
              entries: 1200,
              excludedByConfig: 3,
              excludedMandatory: 2,
              skipped: 0,
              time: time(i),
            },
            i,
          ),
        },
        {
          stream: `task-${taskId}`,
          event: ev(
            'TaskClosed',
            { id: taskId, host, result: `broot-${brId}.tar.gz`, completionTime: time(i) },
            i,
          ),
        },
        ...(i % 250 === 0
          ? [
              {
                stream: `failed-tree-${taskId}`,
                event: ev(
                  'TreeExpired',
                  {
                    taskId,
                    file: `broot-${brId}.tar.gz`,
                    volume: 'failed-tree',
                    size: 10_485_760,
                    reason: 'max_age_days',
                    time: time(i),
                  },
                  i,
                ),
              },
            ]
          : []),
      ]);
      expected.tasks++;
      expected.trees++;
    }
    // A build tagged into a base tag.
    buildId++;
    const base = { id: (i % bases) + 1, name: `f${i % bases}-build` };
    const build = { id: buildId, nvr: `pkg${buildId}-1.0-1` };
    yield emit([
      {
        stream: `build-${buildId}`,
        event: ev(
          'BuildCreated',
          {
            id: buildId,
            packageName: `pkg${buildId}`,
            version: '1.0',
            release: '1',
            epoch: null,
            nvr: build.nvr,
            owner: who,
            state: 1,
            taskId: null,
            time: time(i),
          },
          i,
        ),
      },
      {
        stream: `tag-${base.id}`,
        event: {
          ...ev(
            'PackageTagged',
            { tag: base, build, user: who, force: false, fromtag: null, time: time(i) },
            i,
            who,
          ),
          schemaVersion: 2,
        },
      },
    ]);
    expected.builds++;
    expected.tagged++;
    // createEmptyBuild makes the build's package; every tenth is also listed in its base tag.
    const pkg = { id: buildId, name: `pkg${buildId}` };
    yield emit([
      { stream: `package-${pkg.name}`, event: ev('PackageCreated', pkg, i) },
      ...(i % 10 === 0
        ? [
            {
              stream: `tag-${base.id}`,
              event: ev(
                'PackageListChanged',
                {
                  tag: base,
                  action: 'add',
                  entry: { package: pkg, owner: who, blocked: false, extraArches: null },
                  user: { id: 1, name: 'admin' },
                  force: false,
                },
                i,
              ),
            },
          ]
        : []),
    ]);
    expected.packages++;
    if (i % 10 === 0) expected.listed++;
    if (i % 50 === 0) {
      repoId++;
      yield emit([
        {
          stream: `repo-${repoId}`,
          event: ev(
            'RepoCreated',
            { id: repoId, tag: base, createEvent: n, taskId: null, opts: {}, builds: [], time: time(i) },
            i,
          ),
        },
        {
          stream: `repo-${repoId}`,
          event: ev('RepoStateChanged', { id: repoId, tagId: base.id, state: 1, time: time(i) }, i),
        },
      ]);
    }
    if (i % 10 === 0) {
      // A sidetag's whole life; one in five is left alive.
      tagId++;
      const st = { id: tagId, name: `${base.name}-side-${tagId}` };
      const extra = { sidetag: true, sidetag_user: who.name, sidetag_user_id: who.id };
      const life: { stream: string; event: NewEvent }[] = [
        {
          stream: `tag-${st.id}`,
          event: ev(
            'TagCreated',
            {
              id: st.id,
              name: st.name,
              arches: 'x86_64',
              locked: false,
              perm: null,
              mavenSupport: false,
              mavenIncludeAll: false,
              extra,
              inheritance: [
                {
                  parent_id: base.id,
                  name: base.name,
                  priority: 0,
                  maxdepth: null,
                  intransitive: false,
                  noconfig: false,
                  pkg_filter: '',
                },
              ],
            },
            i,
            who,
          ),
        },
        {
          stream: `target-${st.id}`,
          event: ev('BuildTargetCreated', { id: st.id, name: st.name, buildTag: st, destTag: st }, i, who),
        },
        {
          stream: `sidetag-${st.id}`,
          event: ev(
            'SideTagCreated',
            {
              id: st.id,
              name: st.name,
              user: who,
              basetag: base,
              debuginfo: false,
              suffix: null,
              time: time(i),
            },
            i,
            who,
          ),
        },
        {
          stream: `sidetag-user-${who.id}`,
          event: ev('SideTagQuotaTaken', { userId: who.id, sidetag: st }, i, who),
        },
        {
          stream: `tag-${st.id}`,
          event: {
            ...ev(
              'PackageTagged',
              { tag: st, build, user: who, force: false, fromtag: null, time: time(i) },
              i,
              who,
            ),
            schemaVersion: 2,
          },
        },
      ];
      if (i % 50 === 0) expected.sidetags++;
      else
        life.push(
          {
            stream: `tag-${st.id}`,
            event: ev(
              'PackageUntagged',
              { tag: st, build, user: who, force: false, strict: true, time: time(i) },
              i,
              who,
            ),
          },
          {
            stream: `target-${st.id}`,
            event: ev('BuildTargetDeleted', { id: st.id, name: st.name }, i, who),
          },
          {
            stream: `tag-${st.id}`,
            event: ev('TagDeleted', { id: st.id, name: st.name, untagged: [] }, i, who),
          },
          {
            stream: `sidetag-${st.id}`,
            event: ev(
              'SideTagRemoved',
              { id: st.id, name: st.name, owner: who, reason: 'empty', by: who, time: time(i) },
              i,
              who,
            ),
          },
          {
            stream: `sidetag-user-${who.id}`,
            event: ev('SideTagQuotaReleased', { userId: who.id, sidetag: st, reason: 'empty' }, i, who),
          },
        );
      yield emit(life);
    }
  }
  expected.locks = [...locks.values()].filter(Boolean).length;
}

/** The row counts before the generator made anything. */
export function noRows(): Expected {
  return {
    users: 0,
    tasks: 0,
    buildroots: 0,
    builds: 0,
    tagged: 0,
    sidetags: 0,
    sessions: 0,
    locks: 0,
    trees: 0,
    packages: 0,
    listed: 0,
  };
}

/** Appends the generated log in batches of about 2,000 events, each batch one multi-stream append. */
export async function fill(b: StoreBackend, total: number): Promise<Expected> {
  const expected = noRows();
  let batch = new Map<string, NewEvent[]>();
  let size = 0;
  let done = 0;
  const flush = async () => {
    if (!size) return;
    const writes: StreamWrite[] = [...batch].map(([stream, events]) => ({
      stream,
      events,
      expectedVersion: 'any',
    }));
    await b.events.appendMulti(writes);
    done += size;
    batch = new Map();
    size = 0;
    if (process.stderr.isTTY)
      process.stderr.write(`\r  filling ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
  };
  for (const cmd of generate(total, expected)) {
    for (const { stream, event } of cmd) {
      const list = batch.get(stream) ?? [];
      list.push(event);
      batch.set(stream, list);
      size++;
    }
    if (size >= 2000) await flush();
  }
  await flush();
  if (process.stderr.isTTY) process.stderr.write('\n');
  // Tagged builds that were untagged again do not count; base-tag taggings stay.
  expected.tagged += expected.sidetags;
  return expected;
}

async function counts(rm: ReadModelReader) {
  return {
    users: await rm.count('users'),
    tasks: await rm.count('tasks'),
    buildroots: await rm.count('buildroots'),
    builds: await rm.count('builds'),
    tagged: await rm.count('tagged_builds'),
    sidetags: await rm.count('sidetags'),
    sessions: await rm.count('sessions'),
    locks: await rm.count('session_locks'),
    trees: await rm.count('failed_trees'),
    packages: await rm.count('packages'),
    listed: await rm.count('tag_packages'),
  };
}

/** Events each projection applied in the last rebuild, and its threads' groups, for the report. */
let lastApplied: Record<string, number> = {};
let lastGroups: string[][] = [];

const threadsNote = () =>
  lastGroups.length > 1
    ? `${lastGroups.length} threads: ${lastGroups.map((g) => g.join(', ')).join(' | ')}`
    : 'one thread';

async function rebuildRun(b: StoreBackend, events: number, expected: Expected): Promise<Run> {
  const t = performance.now();
  const stats = await rebuildProjections(b, ALL_PROJECTIONS, undefined, { threads: THREADS });
  const s = (performance.now() - t) / 1000;
  lastApplied = stats.applied;
  lastGroups = stats.groups;
  const idle = Object.entries(stats.applied).filter(([, n]) => n === 0);
  if (idle.length)
    return { rate: null, note: `projections with no event to apply: ${idle.map(([p]) => p).join(', ')}` };
  return checkedRate(await counts(b.readModels.reader), expected, events / s);
}

function checkedRate(c: Expected, expected: Expected, rate: number): Run {
  return JSON.stringify(c) === JSON.stringify(expected)
    ? { rate }
    : { rate: null, note: `read-model rows ${JSON.stringify(c)}, expected ${JSON.stringify(expected)}` };
}

/**
 * The floor of a rebuild: the same projections replayed through the same scan into memory, as
 * `audit verify` does, in this thread and with no table of the store written. What a rebuild takes
 * beyond it is the store's writing (and, with threads, what they add or save).
 */
async function memoryRun(b: StoreBackend, events: number, expected: Expected): Promise<Run> {
  const t = performance.now();
  const mem = await replayIntoMemory(b, ALL_PROJECTIONS);
  const s = (performance.now() - t) / 1000;
  return checkedRate(await counts(mem.reader), expected, events / s);
}

async function benchStore(name: string, url: string, rawRead: () => Promise<number>, figures: Figure[]) {
  const b = await openBackend(url);
  try {
    await b.readModels.ensureCollections(ALL_PROJECTIONS.flatMap((p) => p.collections));
    process.stderr.write(`${name}: generating ${TOTAL.toLocaleString('en-US')} events\n`);
    const t = performance.now();
    const expected = await fill(b, TOTAL);
    const head = await b.events.headCheckpoint();
    const events = head ? b.events.positionOf(head) : 0;
    process.stderr.write(
      `${name}: ${events.toLocaleString('en-US')} events written in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    );
    // A million fresh rows leave PostgreSQL vacuuming and checkpointing for a while: the first run
    // measured that (about half the others' rate) until the bench settled the table first.
    if (b.events instanceof PostgresEventStore) {
      await b.events.pool.query('VACUUM (ANALYZE) es_events');
      // CHECKPOINT needs a superuser (or pg_checkpoint); a server the bench may not own goes without.
      await b.events.pool.query('CHECKPOINT').catch(() => {});
    }
    const fig: Figure = {
      store: name,
      name: 'full rebuild vs raw read',
      unit: 'events/s',
      adapter: [],
      raw: [],
      aim: 0.5,
    };
    const floor: Figure = {
      store: name,
      name: 'replay into memory vs raw read',
      unit: 'events/s',
      adapter: [],
      raw: [],
    };
    for (let r = 0; r < REPS; r++) {
      const doRaw = async () => {
        const t0 = performance.now();
        const n = await rawRead();
        const run = verified(n / ((performance.now() - t0) / 1000), events, n, 'rows read');
        // One raw read per repetition is the baseline of both figures.
        fig.raw.push(run);
        floor.raw.push(run);
      };
      const doRebuild = async () => {
        fig.adapter.push(await rebuildRun(b, events, expected));
      };
      const doMemory = async () => {
        floor.adapter.push(await memoryRun(b, events, expected));
      };
      // Each repetition starts with another of the three.
      const order = [doRaw, doRebuild, doMemory];
      for (let i = 0; i < order.length; i++) await order[(r + i) % order.length]();
      process.stderr.write(`${name}: run ${r + 1}/${REPS} done\n`);
    }
    figures.push(fig, floor);
    return { events, expected };
  } finally {
    await b.close();
  }
}

async function main() {
  const dir = mkdtempSync(join(DIR, 'koji-es-bench-replay-'));
  const server = STORES.includes('postgres')
    ? await startTestPostgres({ durable: true, env: 'KOJI_ES_BENCH_PG_URL' })
    : null;
  const figures: Figure[] = [];
  const notes: string[] = [];
  try {
    const path = join(dir, 'replay.sqlite');
    const sq =
      STORES.includes('sqlite') &&
      (await benchStore(
        'sqlite',
        `sqlite:${path}`,
        async () => {
          // The store's raw read rate: every row of the event table, data and metadata parsed.
          const db = new Database(path, { readonly: true });
          let n = 0;
          for (const r of db
            .prepare<[], { data: string; metadata: string }>(
              'SELECT data, metadata FROM es_events ORDER BY global_position',
            )
            .iterate()) {
            JSON.parse(r.data);
            JSON.parse(r.metadata);
            n++;
          }
          db.close();
          return n;
        },
        figures,
      ));
    if (sq)
      notes.push(
        `sqlite: ${sq.events} events, read models ${JSON.stringify(sq.expected)}, events applied ${JSON.stringify(lastApplied)}, ${threadsNote()}`,
      );
    const url = server ? await server.url() : '';
    const pgr =
      server &&
      (await benchStore(
        'postgres',
        url,
        async () => {
          // Keyset pages of 10,000 with the driver's own jsonb parsing, one connection.
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          let last = 0;
          let n = 0;
          for (;;) {
            const r = await c.query<{ global_position: string }>(
              'SELECT global_position, data, metadata FROM es_events WHERE global_position > $1 ORDER BY global_position LIMIT 10000',
              [last],
            );
            if (!r.rows.length) break;
            n += r.rows.length;
            last = Number(r.rows[r.rows.length - 1].global_position);
          }
          await c.end();
          return n;
        },
        figures,
      ));
    if (pgr)
      notes.push(
        `postgres: ${pgr.events} events, read models ${JSON.stringify(pgr.expected)}, events applied ${JSON.stringify(lastApplied)}, ${threadsNote()}`,
      );
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  header('replay', [
    `a full rebuild of every read model (${ALL_PROJECTIONS.map((p) => p.name).join(', ')}) through ReadModelStore.rebuild, beside the raw read of the same log`,
    `${REPS} runs each of the raw read, the rebuild and the replay into memory (audit verify's, one thread, no table written: the rebuild's floor), each repetition starting with another; medians; a run with wrong row counts is void`,
    `sqlite: WAL, synchronous=FULL, file under ${DIR}; postgres: ${process.env.KOJI_ES_BENCH_PG_URL ? 'KOJI_ES_BENCH_PG_URL' : `embedded, data under ${tmpdir()}`}`,
    ...notes,
  ]);
  if (!printTable(figures)) process.exitCode = 1;
}

if (require.main === module)
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
