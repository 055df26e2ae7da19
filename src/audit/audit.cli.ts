import type { Command } from 'commander';
import { action, parseId, subcommand, UsageError, type Runtime } from '../cli/runtime.js';
import type { Explanation } from './explain.js';
import type { LogEntry } from './log.js';
import type { RebuildStats } from './rebuild.js';
import type { Progress } from './replay.js';
import type { Difference } from './verify.js';

const KINDS = ['tag', 'sidetag', 'task', 'buildroot', 'user'];

/** A progress bar on stderr, only on a terminal. */
function progressBar(rt: Runtime) {
  const tty = process.stderr.isTTY;
  let last = 0;
  return {
    show(p: Progress | null) {
      if (!tty || !p || !p.projection) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const pct = p.head ? Math.min(100, Math.floor((p.position / p.head) * 100)) : 100;
      const width = 30;
      const bar = '#'.repeat(Math.round((pct / 100) * width)).padEnd(width, '.');
      rt.io.err(`\r${p.projection.padEnd(12)} [${bar}] ${String(pct).padStart(3)}%  ${p.events} events`);
    },
    done() {
      if (tty) rt.io.err('\r\x1b[K');
    },
  };
}

function printEntry(rt: Runtime, e: LogEntry) {
  const who = e.user ? ` by ${e.user}` : '';
  const from = e.address ? ` from ${e.address}` : '';
  const rule = e.rule ? ` [policy ${e.rule}]` : '';
  rt.print(`${e.time}  #${e.position}  ${e.type}  ${e.stream}${who}${from}: ${e.summary}${rule}`);
}

/**
 * `koji-es audit …`: online through the hub's admin methods, or offline with `--store URL` on a
 * stopped hub's store (the offline code is loaded only then, and never pulls NestJS in).
 */
export function registerAudit(program: Command, rt: Runtime): void {
  const audit = program
    .command('audit')
    .description('Audit the event log: rebuild, verify, log, state, explain');
  audit.configureOutput({
    writeOut: (s) => rt.io.out(s),
    writeErr: (s) => rt.io.err(s),
    outputError: () => undefined,
  });
  const offline = () => import('./offline.js').then((m) => m.offline);

  subcommand(
    audit,
    rt,
    'rebuild',
    'Rebuild read models from the log into fresh tables and swap them in atomically',
  )
    .option('--projection <name>', 'only this projection')
    .option('--store <url>', 'open this store directly (the hub is stopped)')
    .option(
      '--threads <n>',
      'replay the projections in up to N threads, in groups of about equal work (default for a log of 500,000 events or more: one per core on PostgreSQL, one per two cores on SQLite; else 1)',
    )
    .action(
      action(rt, 'audit rebuild', async (o: { projection?: string; store?: string; threads?: string }) => {
        const threads = o.threads === undefined ? undefined : Number(o.threads);
        if (threads !== undefined && (!/^\d+$/.test(o.threads!.trim()) || threads < 1 || threads > 64))
          throw new UsageError(`--threads must be a number from 1 to 64, not ${JSON.stringify(o.threads)}`);
        const bar = progressBar(rt);
        let stats: RebuildStats;
        if (o.store) {
          stats = await (await offline()).rebuild(o.store, o.projection ?? null, (p) => bar.show(p), threads);
        } else {
          const client = await rt.client(true);
          const poll = setInterval(() => {
            client.call<Progress | null>('auditRebuildStatus').then(
              (p) => bar.show(p),
              () => undefined,
            );
          }, 200);
          try {
            stats = await client.call<RebuildStats>('auditRebuild', [o.projection ?? null, threads ?? null]);
          } finally {
            clearInterval(poll);
          }
        }
        bar.done();
        for (const [name, n] of Object.entries(stats.applied)) rt.print(`${name}: ${n} events applied`);
        rt.print(
          `${stats.events} events in ${stats.seconds.toFixed(2)} s (${stats.eventsPerSecond} events/s)`,
        );
        if (stats.groups.length > 1)
          rt.print(`in ${stats.groups.length} threads: ${stats.groups.map((g) => g.join(', ')).join(' | ')}`);
      }),
    );

  subcommand(audit, rt, 'verify', 'Replay the log into memory and compare every read model with the live one')
    .option('--projection <name>', 'only this projection')
    .option('--store <url>', 'open this store directly (the hub is stopped)')
    .option('--json', 'print the differences as JSON')
    .action(
      action(rt, 'audit verify', async (o: { projection?: string; store?: string; json?: boolean }) => {
        const r = o.store
          ? await (await offline()).verify(o.store, o.projection ?? null)
          : await (
              await rt.client(true)
            ).call<{ differences: Difference[]; checked: number }>('auditVerify', [o.projection ?? null]);
        if (o.json) rt.print(JSON.stringify(r, null, 2));
        else {
          for (const d of r.differences) {
            rt.print(`${d.kind}: ${d.projection}/${d.collection} ${d.key}`);
            if (d.replayed !== undefined) rt.print(`  replayed: ${JSON.stringify(d.replayed)}`);
            if (d.live !== undefined) rt.print(`  live:     ${JSON.stringify(d.live)}`);
          }
          rt.print(
            `${r.checked} documents checked, ${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}`,
          );
        }
        return r.differences.length ? 1 : 0;
      }),
    );

  subcommand(audit, rt, 'log', 'Who did what, when, from where, and the policy rule that allowed it')
    .option('--stream <stream>', 'only this stream (e.g. tag-12, sidetag-12, task-7)')
    .option('--type <type>', 'only this event type (e.g. SideTagRemoved)')
    .option('--user <user>', 'only what this user did')
    .option('--since <time>', 'from this time (ISO 8601)')
    .option('--until <time>', 'up to this time (ISO 8601)')
    .option('--tag <tag>', 'only events about this tag (name or id)')
    .option('--task <id>', 'only events about this task')
    .option('--limit <n>', 'only the newest N')
    .option('--store <url>', 'open this store directly (the hub is stopped)')
    .option('--json', 'print the entries as JSON')
    .action(
      action(
        rt,
        'audit log',
        async (o: {
          stream?: string;
          type?: string;
          user?: string;
          since?: string;
          until?: string;
          tag?: string;
          task?: string;
          limit?: string;
          store?: string;
          json?: boolean;
        }) => {
          const int = (v: string | undefined, name: string) => {
            if (v === undefined) return null;
            if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v)))
              throw new UsageError(
                `${name} must be a whole number up to ${Number.MAX_SAFE_INTEGER}, not ${JSON.stringify(v)}`,
              );
            return Number(v);
          };
          const filters = {
            stream: o.stream ?? null,
            type: o.type ?? null,
            user: o.user ?? null,
            since: o.since ?? null,
            until: o.until ?? null,
            tag: o.tag === undefined ? null : /^\d+$/.test(o.tag) ? Number(o.tag) : o.tag,
            task: int(o.task, '--task'),
            limit: int(o.limit, '--limit'),
          };
          const entries = o.store
            ? await (await offline()).log(o.store, filters)
            : await (await rt.client(true)).call<LogEntry[]>('auditLog', [{ ...filters, __starstar: true }]);
          if (o.json) rt.print(JSON.stringify(entries, null, 2));
          else for (const e of entries) printEntry(rt, e);
          // Said on stderr, so a misspelt --type or --user is not taken for a quiet log; stdout and
          // the exit status stay what a script expects of an empty answer.
          if (!entries.length) rt.io.err('koji-es audit log: no event matches these filters\n');
        },
      ),
    );

  subcommand(audit, rt, 'state', 'A tag, sidetag, task, buildroot or user as it was at a moment')
    .argument('<kind>', KINDS.join('|'))
    .argument('<id>')
    .option('--at <when>', 'an ISO 8601 time or a Koji event id (default: now)')
    .option('--store <url>', 'open this store directly (the hub is stopped)')
    .action(
      action(rt, 'audit state', async (kind: string, id: string, o: { at?: string; store?: string }) => {
        if (!KINDS.includes(kind)) throw new UsageError(`kind must be one of ${KINDS.join(', ')}`);
        const n = parseId(id, 'id');
        const r = o.store
          ? await (await offline()).state(o.store, kind as 'tag', n, o.at ?? null)
          : await (await rt.client(true)).call('auditState', [kind, n, o.at ?? null]);
        rt.print(JSON.stringify(r, null, 2));
      }),
    );

  subcommand(
    audit,
    rt,
    'explain',
    'An event and its chain of causes, with the policy rule that allowed each step',
  )
    .argument('<event>', 'a Koji event id (global position) or an event uuid')
    .option('--store <url>', 'open this store directly (the hub is stopped)')
    .option('--json', 'print as JSON')
    .action(
      action(rt, 'audit explain', async (event: string, o: { store?: string; json?: boolean }) => {
        const r: Explanation = o.store
          ? await (await offline()).explain(o.store, event)
          : await (await rt.client(true)).call<Explanation>('auditExplain', [event]);
        if (o.json) {
          rt.print(JSON.stringify(r, null, 2));
          return;
        }
        r.chain.forEach((e, i) => {
          const reason =
            e.type === 'SideTagRemoved' ? ` (${String((e.data as { reason?: string }).reason)})` : '';
          rt.print(
            `${i === 0 ? '' : '  ← '}${e.type}${reason}  #${e.position} ${e.stream}: ${e.summary}${e.rule ? ` [policy ${e.rule}]` : ''}`,
          );
        });
        const q = r.request;
        rt.print(
          `  ← the request${q.id ? ` ${q.id}` : ''}${q.user ? ` by ${q.user}` : ''}${q.address ? ` from ${q.address}` : ''}${q.time ? ` at ${q.time}` : ''}`,
        );
      }),
    );
}
