// The log of a runroot command that was stopped: canceled on the hub (`koji-es cancel`), or stopped by
// the builder's shutdown (SIGTERM, after shutdown_grace). What the command wrote is task output
// `runroot.log` — listTaskOutput, downloadTaskOutput and /files have it, runrootLog says complete,
// and `koji-es runroot` and `watch-logs`, waiting on the task meanwhile, print it — as a failed
// runroot's log is in Koji. A real builder process runs real commands in a busybox sandbox.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { STATE } from '../helpers/builder.js';
import { needSandbox } from '../helpers/buildroot.js';
import { Client } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD } from '../helpers/hub.js';
import { eventually } from '../helpers/tasks.js';
import { startWorld, TAG, type World } from './world.js';

const ADMIN = { KOJI_ES_USER: 'admin', KOJI_ES_PASSWORD: ADMIN_PASSWORD };

let w: World | null = null;
let cli: Client | null = null;

before(async () => {
  w = await startWorld({ builderEnv: { KOJI_ES_BUILDER_SHUTDOWN_GRACE: '0.5' } });
  cli = new Client(w.h.url);
});
after(async () => {
  cli?.cleanup();
  await w?.close();
});

function world(t: TestContext): World | null {
  if (!needSandbox(t)) return null;
  return w!;
}

interface LogChunk {
  data: string;
  size: number;
  complete: boolean;
}

const runrootLog = async (w: World, id: number) => {
  const c = await w.h.call<LogChunk>('runrootLog', [id, 0]);
  return { text: Buffer.from(c.data, 'base64').toString('utf8'), complete: c.complete };
};

/** The log is task output, whole, on every path to it. */
async function published(w: World, id: number, text: string): Promise<void> {
  assert.deepEqual(await w.outputs(id), ['runroot.log']);
  assert.equal(await w.log(id), text);
  const res = await fetch(`${w.h.url}/files/work/tasks/${id % 10000}/${id}/runroot.log`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), text);
  assert.deepEqual(await runrootLog(w, id), { text, complete: true });
}

describe('the runroot.log of a stopped command', () => {
  test('canceled: runroot and watch-logs, waiting meanwhile, print it; it is task output', async (t) => {
    const w = world(t);
    if (!w) return;
    const c = cli!;
    const running = c.start(
      ['runroot', '--task-id', TAG, 'x86_64', 'sh', '-c', 'echo before the cancel; sleep 7431'],
      { env: ADMIN },
    );
    await running.waitFor(/^\d+\n/);
    const id = Number(running.stdout.split('\n')[0]);
    // The command is running and its output is streaming to the hub.
    await eventually(async () => assert.equal((await runrootLog(w, id)).text, 'before the cancel\n'), 20_000);
    assert.equal((await runrootLog(w, id)).complete, false);
    const watching = c.start(['watch-logs', String(id)], { env: ADMIN });
    await watching.waitFor(/Watching logs/);

    const cancel = await c.run(['cancel', String(id)], { env: ADMIN });
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal((await w.wait(id)).state, STATE.CANCELED);

    const r = await running.done;
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, `${id}\nbefore the cancel\n`);
    assert.equal(r.stderr, `koji-es: runroot task ${id} was canceled\n`);
    const wl = await watching.done;
    assert.equal(wl.code, 0, wl.stderr);
    assert.match(wl.stdout, new RegExp(`==> ${id}:DEFAULT:runroot\\.log: <==\\nbefore the cancel\\n`));
    await published(w, id, 'before the cancel\n');
    assert.match(
      w.builder.stderr(),
      new RegExp(`task ${id} \\(runroot\\): runroot\\.log of the stopped command uploaded \\(18 bytes\\)`),
    );
  });

  test('canceled during --install: what the installer wrote is task output install.log', async (t) => {
    const w = world(t);
    if (!w) return;
    w.conf({ runroot: 'install_command = /usr/local/bin/fake-install' });
    try {
      const id = await w.runroot(['echo', 'never'], { packages: ['slow-pkg'] });
      // The installer wrote its line (in the task's directory on the builder); now it is canceled.
      const local = join(w.workdir, 'tasks', String(id % 10000), String(id), 'install.log');
      await eventually(
        async () => assert.equal(readFileSync(local, 'utf8'), 'installing slow-pkg\n'),
        20_000,
      );
      await eventually(async () => {
        const r = await w.h.call<boolean>('cancelTask', [id], w.h.admin);
        assert.notEqual(r, false);
      });
      assert.equal((await w.wait(id)).state, STATE.CANCELED);
      await eventually(async () => assert.deepEqual(await w.outputs(id), ['install.log']), 20_000);
      assert.equal(await w.log(id, 'install.log'), 'installing slow-pkg\n');
      assert.match(
        w.builder.stderr(),
        new RegExp(`task ${id} \\(runroot\\): install\\.log of the stopped install uploaded`),
      );
    } finally {
      w.conf();
    }
  });

  // Last: it stops the world's builder.
  test('stopped by the builder shutdown: the log is there when the task FAILS', async (t) => {
    const w = world(t);
    if (!w) return;
    const id = await w.runroot(['sh', '-c', 'echo before the shutdown; sleep 7432']);
    await eventually(
      async () => assert.equal((await runrootLog(w, id)).text, 'before the shutdown\n'),
      20_000,
    );
    w.builder.p.kill('SIGTERM');
    const info = await w.wait(id);
    assert.equal(info.state, STATE.FAILED);
    assert.match((await w.fault(id)).message, /shut down before the task finished/);
    // No waiting: the builder uploaded it while the task was still OPEN.
    await published(w, id, 'before the shutdown\n');
    const exit = await w.builder.exited;
    assert.equal(exit.code, 0, exit.stderr);
  });
});
