// Two hub processes on one PostgreSQL database and a builder talking to one of them: the other hub,
// which runs the host-timeout scan, must not take the builder's running task away while its
// heartbeats keep coming — it knows of them only through the host's recorded check-ins.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnBuilder, STATE, type BuilderProcess } from '../helpers/builder.js';
import { startHubProcess, type HubProcess } from '../helpers/hub-process.js';
import { startTestPostgres, type TestPostgres } from '../helpers/pg.js';
import { eventually, sidetagConfigDir } from '../helpers/sidetag.js';
import { tempDir } from '../helpers/tmp.js';

const PASSWORD = 'multi-hub-hosts-admin-password';
/** Seconds; far below the minute at which check-ins were recorded before. */
const HOST_TIMEOUT = 3;
const TASK_SECONDS = 4 * HOST_TIMEOUT;

describe('a builder on one hub, the host-timeout scan in the other', () => {
  let server: TestPostgres;
  let cfg: { dir: string; cleanup: () => void };
  const work = tempDir('koji-es-multi-hub-hosts-');
  const hubs: HubProcess[] = [];
  let builder: BuilderProcess | null = null;

  before(async () => {
    server = await startTestPostgres();
    // No built-in builders: both hubs would otherwise be one host (this machine's name).
    cfg = sidetagConfigDir({ hub: { HostTimeout: String(HOST_TIMEOUT) }, server: { builder: 'false' } });
  });

  after(async () => {
    await builder?.kill();
    for (const h of hubs) await h.kill('SIGKILL');
    await server?.stop();
    cfg?.cleanup();
    work.cleanup();
  });

  test('a task longer than HostTimeout runs to the end once', async () => {
    const store = await server.url();
    // Hub A starts first, so it holds the scheduler lock and runs the host-timeout scan.
    const a = await startHubProcess({ store, configDir: cfg.dir, adminPassword: PASSWORD });
    hubs.push(a);
    const b = await startHubProcess({ store, configDir: cfg.dir, adminPassword: PASSWORD });
    hubs.push(b);
    const adminB = await b.client.login('admin', PASSWORD);
    await b.client.ok('addHost', ['hosts-b1', ['x86_64']], adminB);
    const { token } = await b.client.ok<{ token: string }>('createAPIToken', ['hosts-b1', 'daemon'], adminB);
    const tokenFile = join(work.dir, 'hosts-b1.token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    builder = spawnBuilder({ server: b.url, tokenFile, workdir: join(work.dir, 'builder') });
    await builder.waitFor(/ready: capacity/);

    const adminA = await a.client.login('admin', PASSWORD);
    const id = await a.client.ok<number>('makeTask', ['sleep', [TASK_SECONDS]], adminA);
    const done = await eventually(
      'the sleep task to end',
      async () => {
        const t = await a.client.ok<{ state: number }>('getTaskInfo', [id]);
        return t.state === STATE.OPEN || t.state === STATE.FREE ? undefined : t.state;
      },
      TASK_SECONDS * 1000 * 3,
    );
    assert.equal(done, STATE.CLOSED, `task ${id} closed`);
    assert.doesNotMatch(a.stderr(), /stopped reporting/, "hub A never took the live builder's task away");
    assert.doesNotMatch(builder.stderr(), /no longer this host's/, 'the builder never lost its task');
  });
});
