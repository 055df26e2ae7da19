// `koji-es runroot` against a real hub and a real builder (spec §4.3, Koji's test_runroot_cli.py
// cases of spec §6.4), plus what koji-es adds: the live log with --watch, --json, the failure reason
// on stderr, raw bytes, options stopping at the first positional, and Ctrl-C cancelling the task.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { eventually, STATE } from '../helpers/builder.js';
import { needSandbox } from '../helpers/buildroot.js';
import { CLI, Client, fault, ok, usage } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD } from '../helpers/hub.js';
import { startWorld, TAG, type World } from './world.js';

const ADMIN = { KOJI_ES_USER: 'admin', KOJI_ES_PASSWORD: ADMIN_PASSWORD };
const PLUGIN_MISSING =
  '* The runroot plugin appears to not be installed on the koji hub.  Please contact the administrator.';

let w: World | null = null;
let cli: Client;

before(async () => {
  w = await startWorld();
  cli = new Client(w.h.url);
  w.conf({ runroot: 'install_command = /usr/local/bin/fake-install --yes' });
});
after(async () => {
  cli?.cleanup();
  await w?.close();
});

function world(t: TestContext): World | null {
  return needSandbox(t) ? w! : null;
}

const run = (args: string[], env: Record<string, string | undefined> = ADMIN) => cli.run(args, { env });

/** The CLI's stdout as bytes (the log is written raw). */
function runRaw(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      env: cli.env(ADMIN),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

/** The option lines of a help text, each as `flags  text` with the padding collapsed to one space. */
function optionLines(help: string): string[] {
  const after = help.split('\nOptions:\n')[1] ?? '';
  return after
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().replace(/\s{2,}/g, ' '));
}

const lastTask = async (w: World) =>
  (await w.h.call<{ id: number }[]>('listTasks', [{ method: 'runroot' }, { order: '-id', limit: 1 }]))[0]
    ?.id ?? 0;

describe("Koji's CLI cases (spec §6.4)", () => {
  test('item 1: every option; the task id first, then runroot.log; the call as Koji makes it', async (t) => {
    const w = world(t);
    if (!w) return;
    await w.h.call(
      'addHostToChannel',
      { hostname: 'rr1', channel_name: 'rr-channel', create: true },
      w.h.admin,
    );
    for (const d of ['cli_a', 'cli_b']) mkdirSync(join(w.hostWork, 'tmp', d), { recursive: true });
    // A repo of the tag exists once one runroot task has run.
    await w.wait(await w.runroot(['true']));
    const repoId = (await w.h.call<{ id: number }>('getRepo', [TAG])).id;
    const r = await run([
      'runroot',
      '--skip-setarch',
      '--use-shell',
      '--new-chroot',
      '--task-id',
      '--package',
      'rpm_a',
      '--package',
      'rpm_b',
      '--mount',
      '/mnt/workdir/tmp/cli_a',
      '--mount',
      '/mnt/workdir/tmp/cli_b',
      '--weight',
      '3',
      '--channel-override',
      'rr-channel',
      '--repo-id',
      String(repoId),
      TAG,
      'x86_64',
      'cat /builddir/installed;',
      'echo task output > /mnt/workdir/tmp/cli_b/f;',
      'echo task output',
    ]);
    ok(r);
    const id = Number(r.stdout.split('\n')[0]);
    assert.ok(id > 0, r.stdout);
    assert.equal(r.stdout, `${id}\n--yes rpm_a rpm_b\ntask output\n`);
    const request = await w.h.call<unknown[]>('getTaskRequest', [id]);
    assert.deepEqual(request.slice(0, 3), [
      TAG,
      'x86_64',
      'cat /builddir/installed; echo task output > /mnt/workdir/tmp/cli_b/f; echo task output',
    ]);
    const kw = request[3] as Record<string, unknown>;
    assert.deepEqual(
      {
        packages: kw.packages,
        mounts: kw.mounts,
        repo_id: kw.repo_id,
        skip_setarch: kw.skip_setarch,
        weight: kw.weight,
        new_chroot: kw.new_chroot,
        __starstar: kw.__starstar,
      },
      {
        packages: ['rpm_a', 'rpm_b'],
        mounts: ['/mnt/workdir/tmp/cli_a', '/mnt/workdir/tmp/cli_b'],
        repo_id: repoId,
        skip_setarch: true,
        weight: 3,
        new_chroot: true,
        __starstar: true,
      },
    );
    const info = await w.h.call<{ channel_id: number; weight: number; priority: number }>('getTaskInfo', [
      id,
    ]);
    const channel = await w.h.call<{ id: number }>('getChannel', ['rr-channel']);
    assert.equal(info.channel_id, channel.id);
    assert.equal(info.weight, 3);
    assert.equal(info.priority, 15);
  });

  test('item 2: --watch is watch_tasks, and shows runroot.log live as the command writes it', async (t) => {
    const w = world(t);
    if (!w) return;
    const p = cli.start(
      ['runroot', '--watch', TAG, 'x86_64', 'sh', '-c', 'echo first line; sleep 1.5; printf "second line"'],
      { env: ADMIN },
    );
    await p.waitFor(/first line\n/, 20_000);
    const id = await lastTask(w);
    assert.equal(
      (await w.h.call<{ state: number }>('getTaskInfo', [id])).state,
      STATE.OPEN,
      'the first line is shown while the command still runs',
    );
    const r = await p.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Watching tasks \(this may be safely interrupted\)\.\.\.\n/);
    assert.match(r.stdout, /first line\n/);
    assert.match(r.stdout, /second line\n/, 'a watch line after an unfinished log line starts on a new line');
    assert.match(r.stdout, new RegExp(`\\n${id} runroot \\(x86_64\\): open \\(rr1\\) -> closed\\n`));
    assert.match(r.stdout, new RegExp(`\\n${id} runroot \\(x86_64\\) completed successfully\\n$`));
  });

  test('item 3: two positionals are a usage error, and nothing is called', async (t) => {
    const w = world(t);
    if (!w) return;
    const before = await lastTask(w);
    usage(await run(['runroot', TAG, 'ls']), 'runroot', 'Incorrect number of arguments');
    usage(await run(['runroot']), 'runroot', 'Incorrect number of arguments');
    assert.equal(await lastTask(w), before);
  });

  test('item 4: --nowait makes the task and returns at once', async (t) => {
    const w = world(t);
    if (!w) return;
    const before = await lastTask(w);
    ok(await run(['runroot', '--nowait', TAG, 'x86_64', 'true']), '');
    const id = await lastTask(w);
    assert.ok(id > before);
    assert.equal((await w.wait(id)).state, STATE.CLOSED);
  });

  test("item 5: the hub's error with --nowait propagates", async (t) => {
    const w = world(t);
    if (!w) return;
    fault(
      await run(['runroot', '--nowait', 'no-such-tag', 'x86_64', 'true']),
      'GenericError',
      "No such tagInfo: 'no-such-tag'",
    );
    fault(
      await run(['runroot', '--nowait', TAG, 'x86,64', 'true']),
      'GenericError',
      'Architecture can be only [a-zA-Z0-9_-]',
    );
  });

  test('item 6: a hub without the plugin: the hint on stdout, then the error', async (t) => {
    if (!world(t)) return;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const { id, method } = JSON.parse(body) as { id: number; method: string };
        const message = `Invalid method: ${method}`;
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id,
            error: {
              code: -32601,
              message,
              data: { name: 'GenericError', faultCode: 1000, faultString: message },
            },
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await cli.run(['runroot', TAG, 'x86_64', 'true'], {
        env: { KOJI_ES_SERVER: url, KOJI_ES_TOKEN: 'some-token' },
      });
      fault(r, 'GenericError', 'Invalid method: runroot', `${PLUGIN_MISSING}\n`);
    } finally {
      server.close();
    }
  });

  test("item 7: --help has Koji's usage, description and option texts", async (t) => {
    if (!world(t)) return;
    const r = await run(['runroot', '--help']);
    ok(r);
    assert.match(
      r.stdout,
      /^Usage: koji-es runroot \[options\] <tag> <arch> <command>\n\n\[admin\] Run a command in a buildroot\n/,
    );
    assert.deepEqual(optionLines(r.stdout), [
      '-p, --package <PACKAGE> make sure this package is in the chroot',
      '-m, --mount <MOUNT> mount this directory read-write in the chroot',
      '--skip-setarch bypass normal setarch in the chroot',
      '-w, --weight <WEIGHT> set task weight',
      '--channel-override <CHANNEL_OVERRIDE> use a non-standard channel',
      '--task-id Print the ID of the runroot task',
      '--use-shell Run command through a shell, otherwise uses exec',
      '--new-chroot Run command with the --new-chroot (systemd-nspawn) option to mock',
      '--old-chroot Run command with the --old-chroot (systemd-nspawn) option to mock',
      '--repo-id <REPO_ID> ID of the repo to use',
      '--nowait Do not wait on task',
      '--watch Watch task instead of printing runroot.log',
      '--quiet Do not print the task information',
      '--json Print {task_id, state, exit_status, log} as JSON instead of runroot.log (koji-es)',
      '--run-as <UID[:GID]> Run as this host user: root in the buildroot, but what the command writes on mounts is theirs (koji-es)',
      '-h, --help display help for command',
    ]);
  });
});

describe('beyond the catalog', () => {
  test("--run-as sends run_as, which the hub stores as UID:GID; a bad one is the hub's ParameterError", async (t) => {
    const w = world(t);
    if (!w) return;
    ok(await run(['runroot', '--nowait', '--run-as', '4242', TAG, 'x86_64', 'true']), '');
    const request = await w.h.call<Record<string, unknown>[]>('getTaskRequest', [await lastTask(w)]);
    assert.equal(request[3].run_as, '4242:4242');
    const before = await lastTask(w);
    fault(
      await run(['runroot', '--nowait', '--run-as', 'alice', TAG, 'x86_64', 'true']),
      'ParameterError',
      /^run_as must be a host uid, or uid:gid/,
    );
    assert.equal(await lastTask(w), before, 'no task');
  });

  test('the log is printed as raw bytes after the task ends', async (t) => {
    if (!world(t)) return;
    const r = await runRaw(['runroot', TAG, 'x86_64', 'printf', '\\351t\\351\\n\\377']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, Buffer.from([0xe9, 0x74, 0xe9, 0x0a, 0xff]));
  });

  test('a FAILED task: exit 1, the log, and the failure reason on stderr (Koji prints none)', async (t) => {
    if (!world(t)) return;
    const r = await run(['runroot', TAG, 'x86_64', 'sh', '-c', 'echo trying; exit 3']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'trying\n');
    assert.equal(r.stderr, 'koji-es: BuildrootError: sh exited with status 3\n');
  });

  test('--quiet prints no log; options stop at the first positional', async (t) => {
    const w = world(t);
    if (!w) return;
    ok(await run(['runroot', '--quiet', TAG, 'x86_64', 'echo', 'hidden']), '');
    const r = await run(['runroot', TAG, 'x86_64', 'echo', '-n', '--nowait', '--quiet']);
    ok(r, '--nowait --quiet');
    const id = await lastTask(w);
    assert.deepEqual((await w.h.call<unknown[]>('getTaskRequest', [id]))[2], [
      'echo',
      '-n',
      '--nowait',
      '--quiet',
    ]);
  });

  test('--old-chroot after --new-chroot sends new_chroot=False; without either it is not sent', async (t) => {
    const w = world(t);
    if (!w) return;
    ok(await run(['runroot', '--nowait', '--new-chroot', '--old-chroot', TAG, 'x86_64', 'true']));
    let kw = (await w.h.call<unknown[]>('getTaskRequest', [await lastTask(w)]))[3] as Record<string, unknown>;
    assert.equal(kw.new_chroot, false);
    ok(await run(['runroot', '--nowait', TAG, 'x86_64', 'true']));
    kw = (await w.h.call<unknown[]>('getTaskRequest', [await lastTask(w)]))[3] as Record<string, unknown>;
    assert.equal(kw.new_chroot, null);
    usage(
      await run(['runroot', '-w', 'heavy', TAG, 'x86_64', 'true']),
      'runroot',
      "option -w/--weight: invalid number value: 'heavy'",
    );
    usage(
      await run(['runroot', '--repo-id', '1.5', TAG, 'x86_64', 'true']),
      'runroot',
      "option --repo-id: invalid integer value: '1.5'",
    );
  });

  test('--json: task id, state, exit status and the log location', async (t) => {
    const w = world(t);
    if (!w) return;
    const a = await run(['runroot', '--json', TAG, 'x86_64', 'echo', 'hi']);
    ok(a);
    const ja = JSON.parse(a.stdout) as Record<string, unknown>;
    const id = ja.task_id as number;
    assert.deepEqual(ja, {
      task_id: id,
      state: 'CLOSED',
      exit_status: 0,
      log: `${w.h.url}/files/work/tasks/${id % 10000}/${id}/runroot.log`,
    });
    const logRes = await fetch(ja.log as string);
    assert.equal(await logRes.text(), 'hi\n');
    const b = await run(['runroot', '--json', TAG, 'x86_64', 'sh', '-c', 'exit 7']);
    assert.equal(b.code, 1);
    const jb = JSON.parse(b.stdout) as Record<string, unknown>;
    assert.equal(jb.state, 'FAILED');
    assert.equal(jb.exit_status, 7);
    assert.equal(b.stderr, 'koji-es: BuildrootError: sh exited with status 7\n');
    const c = await run(['runroot', '--json', TAG, 'x86_64', 'sh', '-c', 'kill -TERM $$']);
    assert.equal((JSON.parse(c.stdout) as Record<string, unknown>).exit_status, 128 + 15);
    usage(
      await run(['runroot', '--json', '--watch', TAG, 'x86_64', 'true']),
      'runroot',
      '--json cannot be used with --watch',
    );
  });

  test('Ctrl-C while waiting cancels the task and kills its command', async (t) => {
    const w = world(t);
    if (!w) return;
    const p = cli.start(['runroot', '--task-id', TAG, 'x86_64', 'sleep', '7601'], { env: ADMIN });
    await p.waitFor(/^\d+\n/);
    const id = Number(p.stdout.trim());
    await eventually(async () => {
      assert.equal((await w.h.call<{ state: number }>('getTaskInfo', [id])).state, STATE.OPEN);
      const [br] = await w.h.call<{ state: number }[]>('listBuildroots', { taskID: id });
      assert.equal(br?.state, 2);
    });
    p.proc.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${id}\nUser interrupt: canceling runroot task\n`);
    assert.equal((await w.h.call<{ state: number }>('getTaskInfo', [id])).state, STATE.CANCELED);
  });
});
