// The built `koji-es` client (dist/cli/main.js) spawned against an in-process hub for every host,
// channel, task and buildroot command: stdout, stderr and exit status. A builder host completes tasks
// through the API inside the test, so watch-task, watch-logs, taskinfo and download-task see real
// state changes and real task output; KOJI_ES_POLL_INTERVAL is 0.05 s.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, CLI, fault, ok, usage, type Result } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.js';
import { countEvents, open, pattern, upload, type Host } from '../helpers/tasks.js';
import { commandExists, needTool } from '../helpers/tools.js';

const PASSWORD = 'shared-test-password';
const ADMIN = { KOJI_ES_USER: 'admin', KOJI_ES_PASSWORD: ADMIN_PASSWORD };
const BOB = { KOJI_ES_USER: 'bob', KOJI_ES_PASSWORD: PASSWORD };

const COMMANDS = [
  'add-host',
  'edit-host',
  'enable-host',
  'disable-host',
  'add-host-to-channel',
  'remove-host-from-channel',
  'list-hosts',
  'hostinfo',
  'list-channels',
  'list-tasks',
  'taskinfo',
  'watch-task',
  'watch-logs',
  'cancel',
  'download-task',
  'buildrootinfo',
];

/** Python's `%` for the conversions Koji's list commands use: %-8s, %4.1f, %-4.1f, %6d, %%. */
function pyfmt(format: string, ...args: (string | number)[]): string {
  let i = 0;
  return format.replace(
    /%(-?)(\d*)(?:\.(\d+))?([sdf%])/g,
    (_m, left: string, width: string, prec: string, conv: string) => {
      if (conv === '%') return '%';
      const v = args[i++];
      const text =
        conv === 's'
          ? String(v)
          : conv === 'd'
            ? String(Math.trunc(Number(v)))
            : Number(v).toFixed(prec ? Number(prec) : 6);
      const w = width ? Number(width) : 0;
      return left ? text.padEnd(w) : text.padStart(w);
    },
  );
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Python's time.asctime in UTC (the CLI runs with TZ=UTC): `Tue Jan  1 04:00:00 2030`. */
function asctime(ts: number): string {
  const d = new Date(ts * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

interface TaskInfo {
  id: number;
  state: number;
  create_ts: number;
  start_ts: number | null;
  completion_ts: number | null;
}

/** A stand-in file server for download-task: it records requests and serves `body` (honouring Range). */
class FakeFiles {
  server: Server;
  requests: { url: string; headers: IncomingHttpHeaders }[] = [];
  body: Buffer = Buffer.alloc(0);
  /** Answer with this many bytes whatever was asked (to test the size check). */
  short: number | null = null;

  constructor() {
    this.server = createServer((req, res) => {
      this.requests.push({ url: req.url ?? '', headers: req.headers });
      if (this.short !== null) {
        res.writeHead(200, { 'content-length': this.short });
        res.end(this.body.subarray(0, this.short));
        return;
      }
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (m) {
        const start = Number(m[1]);
        res.writeHead(206, {
          'content-range': `bytes ${start}-${this.body.length - 1}/${this.body.length}`,
          'content-length': this.body.length - start,
        });
        res.end(this.body.subarray(start));
        return;
      }
      res.writeHead(200, { 'content-length': this.body.length });
      res.end(this.body);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('koji-es host, channel, task and buildroot commands against an in-process hub', () => {
  let h: TestHub;
  let cli: Client;
  let b1: Host;
  let b2: Host;
  const hostIds: Record<string, number> = {};

  const task = (id: number) => h.call<TaskInfo>('getTaskInfo', [id]);
  const makeTask = (opts: Record<string, unknown> = {}, args: unknown[] = [1]) =>
    h.call<number>('makeTask', ['sleep', args, { ...opts, __starstar: true }], h.admin);
  const hostToken = async (name: string): Promise<Host> => {
    const t = await h.call<{ token: string }>('createAPIToken', [name], h.admin);
    return { id: hostIds[name], name, creds: { token: t.token } };
  };

  before(async () => {
    h = await startTestHub();
    cli = new Client(h.url);
    for (const name of ['bob', 'legacy']) {
      await h.call('createUser', [name], h.admin);
      await h.call('setUserPassword', [name, PASSWORD], h.admin);
    }
  });
  after(async () => {
    cli?.cleanup();
    await h?.close();
  });

  describe('--help and usage errors', () => {
    test('--help on every command: its usage on stdout, exit 0', async () => {
      const top = await cli.run(['--help']);
      for (const c of COMMANDS)
        assert.match(top.stdout, new RegExp(`\\n  ${c} `), `koji-es --help lists ${c}`);
      const helps = await Promise.all(COMMANDS.map((c) => cli.run([c, '--help'])));
      COMMANDS.forEach((c, i) => ok(helps[i], new RegExp(`^Usage: koji-es ${c} `)));
      ok(await cli.run(['help', 'watch-task']), /^Usage: koji-es watch-task \[options\] \[task_id\.\.\.\]/);
      assert.match(helps[COMMANDS.indexOf('download-task')].stdout, /--noprogress/);
      assert.match(helps[COMMANDS.indexOf('list-hosts')].stdout, /--not-ready/);
    });

    test('unknown options, missing arguments and non-numeric ids: `koji-es <command>: error: …`, exit 2', async () => {
      const unknown = await Promise.all(COMMANDS.map((c) => cli.run([c, '--frobnicate'])));
      COMMANDS.forEach((c, i) => usage(unknown[i], c, "unknown option '--frobnicate'"));
      const missing: [string[], string, string][] = [
        [['add-host', 'b9'], 'add-host', "missing required argument 'arch'"],
        [['edit-host'], 'edit-host', "missing required argument 'hostname'"],
        [['add-host-to-channel', 'b9'], 'add-host-to-channel', "missing required argument 'channel'"],
        [['hostinfo'], 'hostinfo', "missing required argument 'hostname'"],
        [['taskinfo'], 'taskinfo', "missing required argument 'task_id'"],
        [['cancel'], 'cancel', "missing required argument 'task_id'"],
        [['download-task'], 'download-task', "missing required argument 'task_id'"],
        [['buildrootinfo'], 'buildrootinfo', "missing required argument 'buildroot_id'"],
        [['watch-task'], 'watch-task', 'at least one task id must be specified'],
        [['watch-logs'], 'watch-logs', 'at least one task id must be specified'],
        [['taskinfo', 'x'], 'taskinfo', 'task id must be a positive integer, not "x"'],
        [['watch-task', '1', 'two'], 'watch-task', 'task id must be a positive integer, not "two"'],
        [['download-task', '1.5'], 'download-task', 'task id must be a positive integer, not "1.5"'],
        [['buildrootinfo', 'br'], 'buildrootinfo', 'buildroot id must be a positive integer, not "br"'],
        [['cancel', '1', 'foo-1.0-1'], 'cancel', 'please specify only task ids (integer)'],
        // Negative and zero ids are refused as such; ids beyond 2^53 would round to another id.
        [['taskinfo', '-1'], 'taskinfo', 'task id must be a positive integer, not "-1"'],
        [['buildrootinfo', '0'], 'buildrootinfo', 'buildroot id must be a positive integer, not "0"'],
        [['cancel', '-3'], 'cancel', 'task id must be a positive integer, not "-3"'],
        [
          ['taskinfo', '99999999999999999999'],
          'taskinfo',
          'task id 99999999999999999999 is too large: the largest id is 9007199254740991',
        ],
        [
          ['cancel', '9007199254740993'],
          'cancel',
          'task id 9007199254740993 is too large: the largest id is 9007199254740991',
        ],
        [
          ['save-failed-tree', '99999999999999999999'],
          'save-failed-tree',
          'ID 99999999999999999999 is too large',
        ],

        [
          ['edit-host', 'b1', '--capacity', 'lots'],
          'edit-host',
          "option --capacity: invalid floating-point value: 'lots'",
        ],
        [
          ['watch-task', '1', '--mine'],
          'watch-task',
          'Selection options cannot be combined with a task list',
        ],
        [
          ['watch-logs', '1', '--mine'],
          'watch-logs',
          'Selection options cannot be combined with a task list',
        ],
        [['list-tasks', '--after', 'whenever'], 'list-tasks', 'Invalid time specification: whenever'],
        [
          ['list-hosts', '--ready', '--not-ready'],
          'list-hosts',
          '--ready and --not-ready are mutually exclusive',
        ],
        [
          ['list-channels', '--enabled', '--disabled'],
          'list-channels',
          '--enabled and --not-enabled are mutually exclusive',
        ],
      ];
      const results = await Promise.all(missing.map(([args]) => cli.run(args, { env: ADMIN })));
      missing.forEach(([, c, msg], i) => usage(results[i], c, msg));
      usage(await cli.run(['download-task', '1', '2']), 'download-task', /too many arguments/);
    });
  });

  describe('hosts and channels', () => {
    test('add-host: "<host> added: id N"; Koji\'s refusals; --krb-principal and --force', async () => {
      for (const [name, args] of [
        ['builder1', ['x86_64', 'i686']],
        ['builder2', ['aarch64', '--krb-principal', 'host/builder2@EXAMPLE.COM']],
      ] as const) {
        const r = await cli.run(['add-host', name, ...args], { env: ADMIN });
        ok(r, new RegExp(`^${name} added: id (\\d+)\\n$`));
        hostIds[name] = Number(/id (\d+)/.exec(r.stdout)![1]);
        assert.equal((await h.call<{ id: number }>('getHost', [name])).id, hostIds[name]);
      }
      b1 = await hostToken('builder1');
      b2 = await hostToken('builder2');
      assert.deepEqual((await h.call<{ krb_principals: string[] }>('getUser', ['builder2'])).krb_principals, [
        'host/builder2@EXAMPLE.COM',
      ]);
      fault(
        await cli.run(['add-host', 'builder1', 'x86_64'], { env: ADMIN }),
        'GenericError',
        'builder1 is already in the database',
      );
      fault(
        await cli.run(['add-host', 'legacy', 'x86_64'], { env: ADMIN }),
        'GenericError',
        'user legacy already exists and it is not a host',
      );
      const forced = await cli.run(['add-host', 'legacy', 'x86_64', '--force'], { env: ADMIN });
      ok(forced, /^legacy added: id \d+\n$/);
      hostIds.legacy = Number(/id (\d+)/.exec(forced.stdout)![1]);
      assert.equal((await h.call<{ usertype: number }>('getUser', ['legacy'])).usertype, 1);
      fault(
        await cli.run(['add-host', 'b9', 'x86_64'], { env: BOB }),
        'ActionNotAllowed',
        'host permission required (logged in as bob)',
      );
      fault(
        await cli.run(['add-host', 'b9', 'x86_64'], {
          env: { XDG_CONFIG_HOME: join(cli.home, 'no-sessions') },
        }),
        'AuthError',
        'Unable to log in, no authentication methods available',
      );
      fault(
        await cli.run(['add-host', 'b9', 'x86;64'], { env: ADMIN }),
        'GenericError',
        'Architecture can be only [a-zA-Z0-9_-]',
      );
    });

    test('edit-host: "Edited" or "No changes made to"; every host must exist first', async () => {
      ok(
        await cli.run(['edit-host', 'builder1', '--capacity', '4', '--description', 'fast\nbox'], {
          env: ADMIN,
        }),
        'Edited builder1\n',
      );
      ok(
        await cli.run(['edit-host', 'builder1', '--capacity', '4'], { env: ADMIN }),
        'No changes made to builder1\n',
      );
      ok(
        await cli.run(['edit-host', 'builder1', 'builder2', '--arches', 'x86_64,i686 noarch'], {
          env: ADMIN,
        }),
        'Edited builder1\nEdited builder2\n',
      );
      ok(
        await cli.run(['edit-host', 'builder2', '--arches', 'aarch64'], { env: ADMIN }),
        'Edited builder2\n',
      );
      const h1 = await h.call<{ capacity: number; description: string; arches: string }>('getHost', [
        'builder1',
      ]);
      assert.deepEqual([h1.capacity, h1.description, h1.arches], [4, 'fast\nbox', 'x86_64 i686 noarch']);
      fault(
        await cli.run(['edit-host', 'builder1', 'nope', '--capacity', '9'], { env: ADMIN }),
        'GenericError',
        'No such host: nope; no changes made',
      );
      assert.equal((await h.call<{ capacity: number }>('getHost', ['builder1'])).capacity, 4);
      fault(
        await cli.run(['edit-host', 'builder1', '--capacity', '-1'], { env: ADMIN }),
        'GenericError',
        'capacity must be a number >= 0',
      );
    });

    test('disable-host and enable-host, with --comment', async () => {
      ok(await cli.run(['disable-host', 'builder2', 'legacy', '--comment', 'disk swap'], { env: ADMIN }), '');
      for (const n of ['builder2', 'legacy']) {
        const x = await h.call<{ enabled: boolean; comment: string }>('getHost', [n]);
        assert.deepEqual([x.enabled, x.comment], [false, 'disk swap']);
      }
      ok(await cli.run(['enable-host', 'legacy'], { env: ADMIN }), '');
      assert.equal((await h.call<{ enabled: boolean }>('getHost', ['legacy'])).enabled, true);
      fault(
        await cli.run(['enable-host', 'nope', 'legacy'], { env: ADMIN }),
        'GenericError',
        'No such host: nope; no changes made',
      );
      fault(
        await cli.run(['disable-host', 'legacy'], { env: BOB }),
        'ActionNotAllowed',
        'host permission required (logged in as bob)',
      );
    });

    test("add-host-to-channel (--new) and remove-host-from-channel, with Koji's messages", async () => {
      ok(await cli.run(['add-host-to-channel', 'builder1', 'runroot'], { env: ADMIN }), '');
      fault(
        await cli.run(['add-host-to-channel', 'builder1', 'runroot'], { env: ADMIN }),
        'GenericError',
        'Host builder1 is already subscribed to the runroot channel',
      );
      fault(
        await cli.run(['add-host-to-channel', 'builder1', 'lab'], { env: ADMIN }),
        'GenericError',
        'No such channel: lab',
      );
      fault(
        await cli.run(['add-host-to-channel', 'nope', 'runroot'], { env: ADMIN }),
        'GenericError',
        'No such host: nope',
      );
      ok(await cli.run(['add-host-to-channel', 'builder1', 'lab', '--new'], { env: ADMIN }), '');
      assert.ok(await h.call('getChannel', ['lab']));
      ok(await cli.run(['remove-host-from-channel', 'builder1', 'lab'], { env: ADMIN }), '');
      fault(
        await cli.run(['remove-host-from-channel', 'builder1', 'lab'], { env: ADMIN }),
        'GenericError',
        'Host builder1 is not a member of channel lab',
      );
      fault(
        await cli.run(['remove-host-from-channel', 'nope', 'lab'], { env: ADMIN }),
        'GenericError',
        'No such host: nope',
      );
      await h.call('editChannel', ['lab', { enabled: false, __starstar: true }], h.admin);
      fault(
        await cli.run(['add-host-to-channel', 'builder1', 'lab'], { env: ADMIN }),
        'GenericError',
        'channel lab is disabled',
      );
      ok(await cli.run(['add-host-to-channel', 'builder1', 'lab', '--force'], { env: ADMIN }), '');
      ok(await cli.run(['remove-host-from-channel', 'builder1', 'lab'], { env: ADMIN }), '');
    });

    test("list-hosts: Koji's columns (Hostname, Enb, Rdy, Load/Cap, Arches, Last Update) and filters", async () => {
      await h.call('host.updateHost', [0, true], b1.creds);
      const info = await h.call<{ update_ts: number }>('getHost', ['builder1']);
      const hdr = 'Hostname Enb Rdy Load/Cap  Arches           Last Update                         ';
      const mask = '%-8s %-3s %-3s %4.1f/%-4.1f %-16s %-35s';
      const update = new Date(info.update_ts * 1000).toUTCString().replace('GMT', 'UTC');
      const rows = {
        builder1: pyfmt(mask, 'builder1', 'Y', 'Y', 0, 4, 'x86_64,i686,noarch', update),
        builder2: pyfmt(mask, 'builder2', 'N', 'N', 0, 2, 'aarch64', '-'),
        legacy: pyfmt(mask, 'legacy', 'Y', 'N', 0, 2, 'x86_64', '-'),
      };
      ok(
        await cli.run(['list-hosts']),
        [hdr, '-'.repeat(hdr.length), rows.builder1, rows.builder2, rows.legacy, ''].join('\n'),
      );
      ok(
        await cli.run(['list-hosts', '--quiet']),
        [rows.builder1, rows.builder2, rows.legacy, ''].join('\n'),
      );
      ok(await cli.run(['-q', 'list-hosts']), [rows.builder1, rows.builder2, rows.legacy, ''].join('\n'));
      ok(
        await cli.run(['list-hosts', '--quiet', '--arch', 'aarch64', '--arch', 'ppc64le']),
        `${rows.builder2}\n`,
      );
      ok(await cli.run(['list-hosts', '--quiet', '--channel', 'runroot']), `${rows.builder1}\n`);
      ok(await cli.run(['list-hosts', '--quiet', '--ready']), `${rows.builder1}\n`);
      // The name column is as wide as the longest name listed.
      ok(
        await cli.run(['list-hosts', '--quiet', '--not-ready', '--enabled']),
        `${pyfmt(mask.replace('%-8s', '%-6s'), 'legacy', 'Y', 'N', 0, 2, 'x86_64', '-')}\n`,
      );
      ok(await cli.run(['list-hosts', '--quiet', '--disabled']), `${rows.builder2}\n`);
      usage(await cli.run(['list-hosts', '--channel', 'nope']), 'list-hosts', 'No such channel: nope');
      const none = await cli.run(['list-hosts', '--arch', 's390x']);
      assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', 'No hosts found.\n']);
      const wide = await cli.run(['list-hosts', '--show-channels', '--description', '--arch', 'x86_64']);
      const whdr = `${hdr}${'Description'.padEnd(51)}Channels`;
      ok(
        wide,
        [
          whdr,
          '-'.repeat(whdr.length),
          `${rows.builder1} ${'fast box'.padEnd(50)} default,runroot`,
          `${rows.legacy} ${''.padEnd(50)} default`,
          '',
        ].join('\n'),
      );
    });

    test("hostinfo: Koji's fields, channels and active buildroots; a missing host fails the run", async () => {
      const expect2 = [
        'Name: builder2',
        `ID: ${hostIds.builder2}`,
        'Arches: aarch64',
        'Capacity: 2.0',
        'Task Load: 0.00',
        'Description:',
        'Comment: disk swap',
        'Enabled: no',
        'Ready: no',
        'Last Update: never',
        'Channels: default',
        'Active Buildroots:',
        'None',
        '',
      ].join('\n');
      ok(await cli.run(['hostinfo', 'builder2']), expect2);
      ok(await cli.run(['hostinfo', String(hostIds.builder2)]), expect2);
      const t = await makeTask({ arch: 'x86_64' });
      await open(h, b1, t);
      const br = await h.call<number>(
        'host.newBuildRoot',
        [4, 'x86_64', t, { id: 12, name: 'f40-build' }],
        b1.creds,
      );
      await h.call('host.setBuildRootState', [br, 'BUILDING'], b1.creds);
      const b = await h.call<{ create_event_time: string }>('getBuildroot', [br]);
      const r = await cli.run(['hostinfo', 'builder1']);
      const update = new Date((await h.call<{ update_ts: number }>('getHost', ['builder1'])).update_ts * 1000)
        .toUTCString()
        .replace('GMT', 'UTC');
      ok(
        r,
        [
          'Name: builder1',
          `ID: ${hostIds.builder1}`,
          'Arches: x86_64 i686 noarch',
          'Capacity: 4.0',
          'Task Load: 1.00',
          'Description: fast',
          '             box',
          'Comment:',
          'Enabled: yes',
          'Ready: yes',
          `Last Update: ${update}`,
          'Channels: default runroot',
          'Active Buildroots:',
          pyfmt('%-50s %-10s %-20s', 'NAME', 'STATE', 'CREATION TIME'),
          pyfmt('%-50s %-10s %-20s', `f40-build-${br}-4`, 'BUILDING', b.create_event_time.slice(0, 19)),
          '',
        ].join('\n'),
      );
      const missing = await cli.run(['hostinfo', 'nope', 'builder2']);
      assert.equal(missing.code, 1);
      assert.equal(missing.stdout, expect2);
      assert.equal(missing.stderr, 'koji-es: GenericError: No such host: nope\n');
      await h.call('host.setBuildRootState', [br, 'EXPIRED'], b1.creds);
      await h.call('host.closeTask', [t, null], b1.creds);
    });

    test("list-channels: Koji's columns, --simple, --quiet, --description, filters", async () => {
      // Columns follow the longest name: "lab [disabled]" when it is listed, "createrepo" otherwise.
      const table = (width: number, rows: [string, ...number[]][]) => {
        const mask = `%-${width}s %6d %6d %6d %6d %6d %6d%%`;
        return rows.map(([name, ...n]) => pyfmt(mask, name, ...n));
      };
      const header = (width: number) =>
        `${'Channel'.padEnd(width)}Enabled  Ready Disbld   Load    Cap   Perc    `;
      const all = table(14, [
        ['createrepo', 0, 0, 0, 0, 0, 0],
        ['default', 2, 1, 1, 0, 8, 0],
        ['lab [disabled]', 0, 0, 0, 0, 0, 0],
        ['runroot', 1, 1, 0, 0, 4, 0],
      ]);
      const enabled = table(10, [
        ['createrepo', 0, 0, 0, 0, 0, 0],
        ['default', 2, 1, 1, 0, 8, 0],
        ['runroot', 1, 1, 0, 0, 4, 0],
      ]);
      ok(
        await cli.run(['list-channels']),
        [header(14), '-'.repeat(header(14).length), ...all, ''].join('\n'),
      );
      ok(await cli.run(['list-channels', '--quiet']), [...all, ''].join('\n'));
      ok(
        await cli.run(['list-channels', '--enabled']),
        [header(10), '-'.repeat(header(10).length), ...enabled, ''].join('\n'),
      );
      ok(await cli.run(['list-channels', '--not-enabled', '--quiet', '--simple']), 'lab [disabled]\n');
      ok(
        await cli.run(['list-channels', '--simple']),
        'Channel\n-------\ncreaterepo\ndefault\nlab [disabled]\nrunroot\n',
      );
      await h.call(
        'editChannel',
        ['runroot', { description: 'for runroot tasks', __starstar: true }],
        h.admin,
      );
      const descr = ['', '', 'for runroot tasks'];
      ok(
        await cli.run(['list-channels', '--enabled', '--quiet', '--description']),
        [...enabled.map((r, i) => `${r}   ${descr[i].padEnd(50)}`), ''].join('\n'),
      );
    });
  });

  describe('tasks', () => {
    test('list-tasks: "(no tasks)", then Koji\'s listing with subtasks indented; filters', async () => {
      ok(await cli.run(['list-tasks', '--method', 'nothing']), '(no tasks)\n');
      const a = await makeTask({ priority: 20 });
      const b = await makeTask({ parent: a });
      const c = await makeTask({ parent: b });
      const x = await makeTask({ arch: 'x86_64', priority: 10 });
      const line = (id: number, pri: number, state: string, arch: string, label: string) =>
        pyfmt('%-8s %-4s %-20s %-8s %-10s ', id, pri, 'admin', state, arch) + label;
      const header = 'ID       Pri  Owner                State    Arch       Name';
      const expected = [
        line(x, 10, 'FREE', 'x86_64', 'sleep (x86_64)'),
        line(a, 20, 'FREE', 'noarch', 'sleep (noarch)'),
        line(b, 20, 'FREE', 'noarch', ' +sleep (noarch)'),
        line(c, 20, 'FREE', 'noarch', '   +sleep (noarch)'),
      ];
      const mine = await cli.run(['list-tasks', '--method', 'sleep', '--mine'], { env: ADMIN });
      ok(mine, [header, ...expected, ''].join('\n'));
      ok(await cli.run(['list-tasks', '--method', 'sleep', '--quiet']), [...expected, ''].join('\n'));
      ok(await cli.run(['list-tasks', '--quiet', '--arch', 'x86_64']), `${expected[0]}\n`);
      ok(
        await cli.run([
          'list-tasks',
          '--quiet',
          '--user',
          'admin',
          '--channel',
          'default',
          '--method',
          'sleep',
        ]),
        [...expected, ''].join('\n'),
      );
      ok(await cli.run(['list-tasks', '--user', 'bob']), '(no tasks)\n');
      ok(await cli.run(['list-tasks', '--channel', 'runroot']), '(no tasks)\n');
      fault(await cli.run(['list-tasks', '--user', 'nobody']), 'GenericError', 'No such user: nobody');
      fault(await cli.run(['list-tasks', '--channel', 'nochan']), 'GenericError', 'No such channel: nochan');
      fault(await cli.run(['list-tasks', '--host', 'nope']), 'GenericError', 'No such host: nope');
      usage(
        await cli.run(['list-tasks', '--mine', '--user', 'bob'], { env: ADMIN }),
        'list-tasks',
        "Can't specify 'mine' and 'user' in same time",
      );
      await open(h, b1, x);
      ok(
        await cli.run(['list-tasks', '--quiet', '--host', 'builder1']),
        `${line(x, 10, 'OPEN', 'x86_64', 'sleep (x86_64)')}\n`,
      );
      await h.call('host.closeTask', [x, null], b1.creds);
      ok(await cli.run(['list-tasks', '--quiet', '--arch', 'x86_64']), '(no tasks)\n');
      const all = await cli.run(['list-tasks', '--quiet', '--all', '--arch', 'x86_64']);
      ok(all, new RegExp(`^${line(x, 10, 'CLOSED', 'x86_64', 'sleep \\(x86_64\\)')}\\n`, 'm'));
      const started = (await task(x)).start_ts!;
      ok(
        await cli.run(['list-tasks', '--quiet', '--all', '--after', String(started - 1), '--arch', 'x86_64']),
        `${line(x, 10, 'CLOSED', 'x86_64', 'sleep (x86_64)')}\n`,
      );
      ok(
        await cli.run(['list-tasks', '--all', '--after', new Date((started + 3600) * 1000).toISOString()]),
        '(no tasks)\n',
      );
      await h.call('cancelTask', [a], h.admin);
    });

    test("taskinfo: Koji's layout, -v request parameters, -r children, log and output URLs under topurl", async () => {
      const t = await makeTask({ arch: 'x86_64' }, [7, { opt: 'x', __starstar: true }]);
      const kid = await makeTask({ parent: t }, [1]);
      await open(h, b1, t);
      const br = await h.call<number>(
        'host.newBuildRoot',
        [4, 'x86_64', t, { id: 12, name: 'f40-build' }, '/var/lib/mock/f40-build-x-4'],
        b1.creds,
      );
      await upload(h, b1, t, 'build.log', Buffer.from('log\n'));
      await upload(h, b1, t, 'out.bin', Buffer.from('out'));
      await upload(h, b1, t, 'build.log', Buffer.from('log\n'), 1024, 'archive');
      await h.call('host.closeTask', [t, 'ok'], b1.creds);
      const info = await task(t);
      const files = `${h.url}/files/work/tasks/${t % 10000}/${t}`;
      const body = [
        `Owner: admin`,
        'State: closed',
        `Created: ${asctime(info.create_ts)}`,
        `Started: ${asctime(info.start_ts!)}`,
        `Finished: ${asctime(info.completion_ts!)}`,
        'Host: builder1',
        'Buildroots:',
        '  /var/lib/mock/f40-build-x-4/',
        'Log Files:',
        `  ${files}/build.log`,
        `  ${h.url}/files/vol/archive/work/tasks/${t % 10000}/${t}/build.log`,
        'Output:',
        `  ${files}/out.bin`,
        '',
      ];
      ok(await cli.run(['taskinfo', String(t)]), [`Task: ${t}`, 'Type: sleep', ...body, ''].join('\n'));
      const kidInfo = await task(kid);
      const kidBlock = [
        `  Task: ${kid}`,
        '  Type: sleep',
        '  Request Parameters:',
        '    Parameters: 1',
        '  Owner: admin',
        '  State: free',
        `  Created: ${asctime(kidInfo.create_ts)}`,
        '',
      ];
      ok(
        await cli.run(['taskinfo', '-v', '-r', String(t)]),
        [
          `Task: ${t}`,
          'Type: sleep',
          'Request Parameters:',
          '  Parameters: 7',
          '  Options:',
          '    opt: x',
          ...body,
          ...kidBlock,
          '',
        ].join('\n'),
      );
      ok(await cli.run(['taskinfo', String(kid), String(kid)]), /^Task: \d+\n[^]*\n\nTask: \d+\n/);
      ok(
        await cli.run(['taskinfo', String(t)], {
          env: { KOJI_ES_TOPURL: 'https://koji.example.com/kojifiles/' },
        }),
        new RegExp(`  https://koji\\.example\\.com/kojifiles/work/tasks/${t % 10000}/${t}/build\\.log\\n`),
      );
      fault(await cli.run(['taskinfo', '99999']), 'GenericError', 'No such task: 99999');
      assert.ok(br > 0);
      await h.call('cancelTask', [kid], h.admin);
    });

    test("cancel: a FREE task; a finished one warns and exits 0 (Koji's status); --justone; not the owner", async () => {
      const t = await makeTask();
      const kid = await makeTask({ parent: t });
      ok(await cli.run(['cancel', '--justone', String(t)], { env: ADMIN }), '');
      assert.equal((await task(t)).state, 3);
      assert.equal((await task(kid)).state, 0);
      const events = await countEvents(h, 'TaskCanceled');
      const again = await cli.run(['cancel', String(t)], { env: ADMIN });
      assert.deepEqual(
        [again.code, again.stdout, again.stderr],
        [0, '', `koji-es: warning: task ${t} is already CANCELED; nothing to cancel\n`],
      );
      assert.equal(
        await countEvents(h, 'TaskCanceled'),
        events + 1,
        'the child was still FREE and is now CANCELED',
      );
      assert.equal((await task(kid)).state, 3);
      const other = await makeTask();
      fault(
        await cli.run(['cancel', String(other)], { env: BOB }),
        'ActionNotAllowed',
        'Cannot cancel task, not owner',
      );
      fault(await cli.run(['cancel', '99999'], { env: ADMIN }), 'GenericError', 'No such task: 99999');
      const both = await cli.run(['cancel', '99999', String(other)], { env: ADMIN });
      assert.deepEqual(
        [both.code, both.stdout, both.stderr],
        [1, '', 'koji-es: GenericError: No such task: 99999\n'],
      );
      assert.equal((await task(other)).state, 3, 'the other tasks are still cancelled');
    });
  });

  describe('watch-task', () => {
    test("follows a task and its subtasks to CLOSED: Koji's lines, the summary, exit 0", async () => {
      const p = await makeTask();
      const c = await makeTask({ parent: p });
      const w = cli.start(['watch-task', String(p)]);
      await w.waitFor(new RegExp(`  ${c} sleep \\(noarch\\): free\\n`));
      await open(h, b1, p);
      await w.waitFor(/-> open \(builder1\)\n/);
      await open(h, b1, c);
      await w.waitFor(new RegExp(`  ${c} sleep \\(noarch\\): free -> open \\(builder1\\)\\n`));
      await h.call('host.closeTask', [c, null], b1.creds);
      await w.waitFor(/1 done/);
      await h.call('host.closeTask', [p, null], b1.creds);
      const r = await w.done;
      ok(
        r,
        [
          'Watching tasks (this may be safely interrupted)...',
          `${p} sleep (noarch): free`,
          `  ${c} sleep (noarch): free`,
          `${p} sleep (noarch): free -> open (builder1)`,
          `  ${c} sleep (noarch): free -> open (builder1)`,
          `  ${c} sleep (noarch): open (builder1) -> closed`,
          '  0 free  1 open  1 done  0 failed',
          `${p} sleep (noarch): open (builder1) -> closed`,
          '  0 free  0 open  2 done  0 failed',
          '',
          `${p} sleep (noarch) completed successfully`,
          '',
        ].join('\n'),
      );
    });

    test('a failure: FAILED: <Class>: <message>, the relevant logs under topurl, exit 1', async () => {
      const t = await makeTask({ arch: 'x86_64' });
      await open(h, b1, t);
      const w = cli.start(['watch-task', String(t)]);
      await w.waitFor(/: open \(builder1\)\n/);
      await upload(h, b1, t, 'root.log', Buffer.from('root\n'));
      await upload(h, b1, t, 'result.json', Buffer.from('{}'));
      await h.call(
        'host.failTask',
        [t, { faultCode: 1005, faultString: 'mock exited with status 30', name: 'BuildError' }],
        b1.creds,
      );
      const r = await w.done;
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(
        r.stdout,
        [
          'Watching tasks (this may be safely interrupted)...',
          `${t} sleep (x86_64): open (builder1)`,
          `${t} sleep (x86_64): open (builder1) -> FAILED: BuildError: mock exited with status 30`,
          '  Relevant logs:',
          `  ${h.url}/files/work/tasks/${t % 10000}/${t}/root.log`,
          '  0 free  0 open  0 done  1 failed',
          '',
          `${t} sleep (x86_64) failed`,
          '',
        ].join('\n'),
      );
    });

    test('canceled and closed tasks together: "was canceled", exit 1; --quiet prints nothing', async () => {
      const good = await makeTask();
      const bad = await makeTask();
      await open(h, b1, good);
      await h.call('host.closeTask', [good, null], b1.creds);
      const w = cli.start(['watch-task', String(good), String(bad)]);
      await w.waitFor(new RegExp(`${bad} sleep \\(noarch\\): free\\n`));
      await h.call('cancelTask', [bad], h.admin);
      const r = await w.done;
      assert.equal(r.code, 1);
      assert.equal(
        r.stdout,
        [
          'Watching tasks (this may be safely interrupted)...',
          `${good} sleep (noarch): closed`,
          `${bad} sleep (noarch): free`,
          `${bad} sleep (noarch): free -> canceled`,
          '  0 free  0 open  2 done  0 failed',
          '',
          `${good} sleep (noarch) completed successfully`,
          `${bad} sleep (noarch) was canceled`,
          '',
        ].join('\n'),
      );
      ok(await cli.run(['watch-task', '--quiet', String(good)]), '');
      const q = await cli.run(['-q', 'watch-task', String(good), String(bad)]);
      assert.deepEqual([q.code, q.stdout, q.stderr], [1, '', '']);
      fault(
        await cli.run(['watch-task', '99999']),
        'GenericError',
        'No such task: 99999',
        'Watching tasks (this may be safely interrupted)...\n',
      );
      ok(await cli.run(['watch-task', '--method', 'nothing']), '(no tasks)\n');
    });

    test('Ctrl-C: Koji\'s "Tasks still running" text, exit 1, nothing cancelled', async () => {
      const t = await makeTask();
      await open(h, b1, t);
      const canceled = await countEvents(h, 'TaskCanceled');
      const w = cli.start(['watch-task', String(t)]);
      await w.waitFor(/open \(builder1\)\n/);
      w.proc.kill('SIGINT');
      const r = await w.done;
      assert.equal(r.code, 1);
      assert.equal(r.stderr, '');
      assert.equal(
        r.stdout,
        [
          'Watching tasks (this may be safely interrupted)...',
          `${t} sleep (noarch): open (builder1)`,
          "Tasks still running. You can continue to watch with the 'koji-es watch-task' command.",
          'Running Tasks:',
          `${t} sleep (noarch): open (builder1)`,
          '',
        ].join('\n'),
      );
      assert.equal((await task(t)).state, 1);
      assert.equal(await countEvents(h, 'TaskCanceled'), canceled);
      // Watching again picks up where it left off.
      const again = cli.start(['watch-task', String(t)]);
      await again.waitFor(/open \(builder1\)\n/);
      await h.call('host.closeTask', [t, null], b1.creds);
      ok(await again.done, new RegExp(`${t} sleep \\(noarch\\) completed successfully\\n$`));
    });

    test('--mine selects your unfinished tasks', async () => {
      const t = await makeTask({ arch: 'ppc64le' });
      const w = cli.start(['watch-task', '--mine', '--arch', 'ppc64le'], { env: ADMIN });
      await w.waitFor(new RegExp(`${t} sleep \\(ppc64le\\): free\\n`));
      await h.call('cancelTask', [t], h.admin);
      const r = await w.done;
      assert.equal(r.code, 1);
      assert.match(r.stdout, /was canceled\n$/);
    });
  });

  describe('watch-logs', () => {
    test('streams the new bytes of each log until the task finishes', async () => {
      const t = await makeTask();
      await open(h, b1, t);
      await upload(h, b1, t, 'build.log', Buffer.from('one\n'));
      await upload(h, b1, t, 'data.bin', Buffer.from('not a log'));
      const w = cli.start(['watch-logs', String(t)]);
      await w.waitFor(/one\n$/);
      // A builder re-publishes a growing log; only what is new is printed.
      await upload(h, b1, t, 'build.log', Buffer.from('one\ntwo ünïcödé\n'));
      await w.waitFor(/two ünïcödé\n$/);
      await upload(h, b1, t, 'root.log', Buffer.from('root\n'));
      await w.waitFor(/root\n$/);
      await upload(h, b1, t, 'build.log', Buffer.from('one\ntwo ünïcödé\nthree\n'));
      await w.waitFor(/three\n$/);
      await h.call('host.closeTask', [t, null], b1.creds);
      ok(
        await w.done,
        [
          'Watching logs (this may be safely interrupted)...',
          `==> ${t}:DEFAULT:build.log: <==`,
          'one',
          'two ünïcödé',
          '',
          `==> ${t}:DEFAULT:root.log: <==`,
          'root',
          '',
          `==> ${t}:DEFAULT:build.log: <==`,
          'three',
          '',
        ].join('\n'),
      );
      ok(
        await cli.run(['watch-logs', '--log', 'root.log', String(t)]),
        `Watching logs (this may be safely interrupted)...\n==> ${t}:DEFAULT:root.log: <==\nroot\n`,
      );
    });

    test('--follow takes the logs of subtasks too; a missing task fails', async () => {
      const p = await makeTask();
      const c = await makeTask({ parent: p });
      await open(h, b1, p);
      await open(h, b1, c);
      await upload(h, b1, c, 'child.log', Buffer.from('from the child\n'));
      const w = cli.start(['watch-logs', '--follow', String(p)]);
      await w.waitFor(/from the child\n/);
      await h.call('host.closeTask', [c, null], b1.creds);
      await h.call('host.closeTask', [p, null], b1.creds);
      ok(
        await w.done,
        `Watching logs (this may be safely interrupted)...\n==> ${c}:DEFAULT:child.log: <==\nfrom the child\n`,
      );
      fault(
        await cli.run(['watch-logs', '99999']),
        'GenericError',
        'No such task: 99999',
        'Watching logs (this may be safely interrupted)...\n',
      );
      ok(
        await cli.run(['watch-logs', '--mine'], { env: { KOJI_ES_USER: 'bob', KOJI_ES_PASSWORD: PASSWORD } }),
        "You've no active tasks.\n",
      );
    });
  });

  describe('download-task', () => {
    let t: number;
    const out = pattern(300_000);
    const extra = pattern(5000, 13);
    const log = Buffer.from('build log\n');

    before(async () => {
      t = await makeTask({ arch: 'x86_64' });
      await open(h, b1, t);
      await upload(h, b1, t, 'out.bin', out);
      await upload(h, b1, t, 'build.log', log);
      await upload(h, b1, t, 'extra.bin', extra, 1024, 'archive');
    });

    test('refused while the task runs; then every output file, volumes in their own directory', async () => {
      fault(await cli.run(['download-task', String(t)]), 'GenericError', `Task ${t} has not finished yet.`);
      await h.call('host.closeTask', [t, null], b1.creds);
      const dir = join(cli.home, 'dl1');
      ok(
        await cli.run(['download-task', String(t), '--dirpath', 'dl1']),
        `Downloading [1/2]: dl1/archive/extra.bin\nDownloading [2/2]: dl1/out.bin\n`,
      );
      assert.deepEqual(readFileSync(join(dir, 'out.bin')), out);
      assert.deepEqual(readFileSync(join(dir, 'archive', 'extra.bin')), extra);
      assert.ok(!existsSync(join(dir, 'build.log')), 'logs only with --logs');
      ok(
        await cli.run(['download-task', String(t), '--dirpath', 'dl1']),
        'Downloading [1/2]: dl1/archive/extra.bin\nFile dl1/archive/extra.bin already downloaded, skipping\n' +
          'Downloading [2/2]: dl1/out.bin\nFile dl1/out.bin already downloaded, skipping\n',
      );
      // A partial local file is resumed, and the result checked against the hub's size.
      truncateSync(join(dir, 'out.bin'), 123_456);
      ok(
        await cli.run(['download-task', String(t), '--dirpath', 'dl1', '--volume', 'DEFAULT']),
        'Downloading [1/1]: dl1/out.bin\nAppending to existing file dl1/out.bin\n',
      );
      assert.deepEqual(readFileSync(join(dir, 'out.bin')), out);
      // A local file longer than the remote one is fetched again.
      writeFileSync(join(dir, 'out.bin'), Buffer.concat([out, Buffer.from('junk')]));
      ok(await cli.run(['download-task', String(t), '--dirpath', 'dl1', '--volume', 'DEFAULT', '-q']), '');
      assert.deepEqual(readFileSync(join(dir, 'out.bin')), out);
      mkdirSync(join(cli.home, 'here'));
      ok(
        await cli.run(['download-task', String(t), '--logs', '--volume', 'DEFAULT'], {
          cwd: join(cli.home, 'here'),
        }),
        'Downloading [1/2]: build.log\nDownloading [2/2]: out.bin\n',
      );
      assert.deepEqual(readFileSync(join(cli.home, 'here', 'build.log')), log);
      fault(
        await cli.run(['download-task', String(t), '--volume', 'nope']),
        'GenericError',
        'No files for download found.',
      );
      fault(await cli.run(['download-task', '99999']), 'GenericError', 'No such task: 99999');
    });

    test('--dirpath that is a file, lies under one, or takes no files: an error naming it, nothing made', async () => {
      const file = join(cli.home, 'a-file');
      writeFileSync(file, 'x');
      usage(
        await cli.run(['download-task', String(t), '--dirpath', file]),
        'download-task',
        `--dirpath ${file} is not a directory`,
      );
      usage(
        await cli.run(['download-task', String(t), '--dirpath', join(file, 'sub')]),
        'download-task',
        `--dirpath ${file}/sub: ${file} is not a directory`,
      );
      // /proc/1 is a directory even root cannot create files in (access() would say yes to root).
      usage(
        await cli.run(['download-task', String(t), '--dirpath', '/proc/1']),
        'download-task',
        /^--dirpath \/proc\/1 cannot be written: /,
      );
      assert.equal(readFileSync(file, 'utf8'), 'x');
      // A directory that cannot be made further down (a file where a volume's directory goes) fails
      // when it is reached, in words, and names the file.
      mkdirSync(join(cli.home, 'dl-blocked'));
      writeFileSync(join(cli.home, 'dl-blocked', 'archive'), 'x');
      const blocked = await cli.run(['download-task', String(t), '--dirpath', 'dl-blocked']);
      assert.deepEqual(
        [blocked.code, blocked.stdout, blocked.stderr],
        [
          1,
          'Downloading [1/2]: dl-blocked/archive/extra.bin\n',
          'koji-es: cannot write dl-blocked/archive/extra.bin: a file of that name is in the way (EEXIST)\n',
        ],
      );
    });

    test('resumes with a Range request; a file of the wrong size is deleted (a stand-in file server)', async () => {
      const fake = new FakeFiles();
      const topurl = await fake.listen();
      try {
        fake.body = out;
        const dir = join(cli.home, 'dl2');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'out.bin'), out.subarray(0, 1000));
        const env = { KOJI_ES_TOPURL: topurl };
        ok(
          await cli.run(['download-task', String(t), '--dirpath', 'dl2', '--volume', 'DEFAULT'], { env }),
          /Appending to existing file dl2\/out\.bin\n$/,
        );
        // The local bytes are asked for again (all of them, under 64 KiB) and compared.
        assert.equal(fake.requests.length, 1);
        assert.equal(fake.requests[0].url, `/work/tasks/${t % 10000}/${t}/out.bin`);
        assert.equal(fake.requests[0].headers.range, 'bytes=0-');
        assert.deepEqual(readFileSync(join(dir, 'out.bin')), out);
        // A longer part: its last 64 KiB are compared.
        writeFileSync(join(dir, 'out.bin'), out.subarray(0, 100_000));
        ok(
          await cli.run(['download-task', String(t), '--dirpath', 'dl2', '--volume', 'DEFAULT'], { env }),
          /Appending to existing file dl2\/out\.bin\n$/,
        );
        assert.equal(fake.requests[1].headers.range, `bytes=${100_000 - 65_536}-`);
        assert.deepEqual(readFileSync(join(dir, 'out.bin')), out);
        // A local file of that name that is not the start of the hub's (another tree of the same
        // buildroot) is fetched whole, not appended to.
        writeFileSync(join(dir, 'out.bin'), pattern(100_000, 11));
        ok(
          await cli.run(['download-task', String(t), '--dirpath', 'dl2', '--volume', 'DEFAULT'], { env }),
          "Downloading [1/1]: dl2/out.bin\nExisting file dl2/out.bin is not the start of the hub's: downloading it whole\n",
        );
        assert.equal(fake.requests.length, 4);
        assert.equal(fake.requests[3].headers.range, undefined);
        assert.deepEqual(readFileSync(join(dir, 'out.bin')), out);
        fake.requests.length = 0;
        fake.short = 3;
        const r = await cli.run(['download-task', String(t), '--dirpath', 'dl3', '--volume', 'DEFAULT'], {
          env,
        });
        assert.equal(r.code, 1);
        assert.equal(r.stdout, 'Downloading [1/1]: dl3/out.bin\n');
        assert.equal(
          r.stderr,
          `koji-es: Downloaded file dl3/out.bin has 3 bytes, the hub lists ${out.length}; deleted it\n`,
        );
        assert.ok(!existsSync(join(cli.home, 'dl3', 'out.bin')));
      } finally {
        await fake.close();
      }
      const gone = await cli.run(['download-task', String(t), '--dirpath', 'dl4', '--volume', 'DEFAULT'], {
        env: { KOJI_ES_TOPURL: `${h.url}/nowhere` },
      });
      assert.equal(gone.code, 1);
      assert.match(
        gone.stderr,
        /^koji-es: cannot download http:\/\/127\.0\.0\.1:\d+\/nowhere\/work\/tasks\/\d+\/\d+\/out\.bin: HTTP 404 Not Found\n$/,
      );
    });

    test('a progress bar on a terminal (bytes, percent, rate); none with --noprogress', async (ctx) => {
      if (!needTool(ctx, 'script', commandExists('script'), 'apt-get install bsdutils')) return;
      const viaTty = (args: string[]): Promise<Result> =>
        new Promise((resolve, reject) => {
          const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
          const p = spawn('script', ['-qfec', cmd, '/dev/null'], {
            env: cli.env({ TERM: 'dumb' }),
            cwd: cli.home,
          });
          let stdout = '';
          p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
          p.on('error', reject);
          p.on('close', (code) => resolve({ code, stdout, stderr: '' }));
          p.stdin.end();
        });
      const r = await viaTty(['download-task', String(t), '--dirpath', 'tty1']);
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, /Downloading \[2\/2\]: tty1\/out\.bin/);
      assert.match(r.stdout, /\[={36}\] 100% +292\.97 KiB \/ 292\.97 KiB +[\d.]+ [KMG]?i?B\/sec\r/);
      assert.deepEqual(readFileSync(join(cli.home, 'tty1', 'out.bin')), out);
      const quiet = await viaTty(['download-task', String(t), '--dirpath', 'tty2', '--noprogress']);
      assert.equal(quiet.code, 0, quiet.stdout);
      assert.doesNotMatch(quiet.stdout, /\[=|\/sec/);
    });
  });

  describe('buildrootinfo', () => {
    test('id, host, task, tag, arch, repo, state, created/retired, path, retention', async () => {
      const t = await makeTask({ arch: 'x86_64' });
      await open(h, b1, t);
      const br = await h.call<number>(
        'host.newBuildRoot',
        [4, 'x86_64', t, { id: 12, name: 'f40-build' }, '/var/lib/mock/f40-build-9-4'],
        b1.creds,
      );
      const fresh = await h.call<number>('host.newBuildRoot', { repo: null, arch: 'noarch' }, b1.creds);
      await h.call('host.setBuildRootState', [br, 'BUILDING'], b1.creds);
      await h.call('host.setBuildRootState', [br, 'EXPIRED'], b1.creds);
      await h.call('host.setBuildRootRetention', [br, '2030-01-01T04:00:00Z'], b1.creds);
      await h.call('host.buildRootRemoved', [br, 'lifetime over'], b1.creds);
      const b = await h.call<{ create_ts: number; retire_ts: number; removed_at: string }>('getBuildroot', [
        br,
      ]);
      const f = await h.call<{ create_ts: number }>('getBuildroot', [fresh]);
      ok(
        await cli.run(['buildrootinfo', String(br), String(fresh)]),
        [
          `BuildRoot: ${br}`,
          'Host: builder1',
          `Task: ${t}`,
          'Tag: f40-build',
          'Arch: x86_64',
          'Repo: 4',
          'State: EXPIRED',
          `Created: ${asctime(b.create_ts)}`,
          `Retired: ${asctime(b.retire_ts)}`,
          'Path: /var/lib/mock/f40-build-9-4',
          'Keep until: Tue Jan  1 04:00:00 2030',
          `Removed: ${asctime(Date.parse(b.removed_at) / 1000)} (lifetime over)`,
          '',
          `BuildRoot: ${fresh}`,
          'Host: builder1',
          'Task: -',
          'Tag: -',
          'Arch: noarch',
          'Repo: -',
          'State: INIT',
          `Created: ${asctime(f.create_ts)}`,
          'Retired: -',
          'Path: -',
          'Keep until: -',
          'Removed: -',
          '',
        ].join('\n'),
      );
      fault(await cli.run(['buildrootinfo', '99999']), 'GenericError', 'No such buildroot: 99999');
      await h.call('host.closeTask', [t, null], b1.creds);
      assert.ok(b2.id > 0);
    });
  });

  describe('save-failed-tree: finding the buildroot (spec §7 S11, S5)', () => {
    const newBuildroot = (t: number, arch: string) =>
      h.call<number>('host.newBuildRoot', [null, arch, t, null, `/var/lib/mock/br-${t}-${arch}`], b1.creds);

    test("a parent task: Koji's line, then the subtasks that have buildroots, failed first; exit 1", async () => {
      const parent = await makeTask({});
      const ok1 = await makeTask({ parent, arch: 'x86_64' });
      const bad = await makeTask({ parent, arch: 'aarch64' });
      const grandchild = await makeTask({ parent: ok1, arch: 'x86_64' });
      for (const t of [ok1, bad, grandchild]) await open(h, b1, t);
      await newBuildroot(ok1, 'x86_64');
      await newBuildroot(bad, 'aarch64');
      await newBuildroot(grandchild, 'x86_64');
      await h.call('host.closeTask', [ok1, null], b1.creds);
      await h.call('host.closeTask', [grandchild, null], b1.creds);
      await h.call(
        'host.failTask',
        [bad, { faultCode: 1005, faultString: 'x', name: 'BuildError' }],
        b1.creds,
      );
      const r = await cli.run(['save-failed-tree', String(parent)], { env: ADMIN });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stdout,
        [
          `No buildroots for task ${parent}`,
          `Subtasks with buildroots: ${bad} sleep (aarch64, FAILED), ${ok1} sleep (x86_64, CLOSED), ${grandchild} sleep (x86_64, CLOSED)`,
          `Save one with: koji-es save-failed-tree ${bad}`,
          '',
        ].join('\n'),
      );
      // a task with no subtasks: Koji's line alone
      const lone = await makeTask({});
      const none = await cli.run(['save-failed-tree', String(lone)], { env: ADMIN });
      assert.equal(none.code, 1, none.stderr);
      assert.equal(none.stdout, `No buildroots for task ${lone}\n`);
    });

    test('several buildroots: the last one, and the others named; a buildroot no task made is refused in words', async () => {
      const t = await makeTask({ arch: 'x86_64' });
      await open(h, b1, t);
      const first = await newBuildroot(t, 'x86_64');
      const second = await newBuildroot(t, 'i686');
      const last = await newBuildroot(t, 'noarch');
      await h.call('host.failTask', [t, { faultCode: 1005, faultString: 'x', name: 'BuildError' }], b1.creds);
      // sleep is not in the shipped allowed_methods: the hub refuses after the CLI chose
      fault(
        await cli.run(['save-failed-tree', '--nowait', String(t)], { env: ADMIN }),
        'PreBuildError',
        `Only buildArch, runroot tasks can upload their buildroots (Task ${t} is sleep).`,
        [
          `Multiple buildroots for task. Choosing last one (${last})`,
          `Other buildroots of the task: ${first}, ${second} (--buildroot ID)`,
          '',
        ].join('\n'),
      );
      const external = await h.call<number>('host.newBuildRoot', { repo: null, arch: 'noarch' }, b1.creds);
      fault(
        await cli.run(['save-failed-tree', '--buildroot', String(external)], { env: ADMIN }),
        'GenericError',
        `Buildroot ${external} was not made by a task (an external or content generator buildroot): there is no failed task to save it for`,
      );
    });
  });
});
