// Two hubs on one PostgreSQL database whose `<data_dir>/files` are not shared (a set-up the README
// warns against): a runroot task's log is only on the hub its builder uploaded to. `koji-es runroot`
// asking the other hub says on stderr that it found no runroot.log and where it looked, instead of
// printing nothing; the exit status stays Koji's (0 for a CLOSED task).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.js';
import { startTestPostgres, type TestPostgres } from '../helpers/pg.js';
import { addHost, eventually, sha256, type Host } from '../helpers/tasks.js';

const ADMIN = { KOJI_ES_USER: 'admin', KOJI_ES_PASSWORD: ADMIN_PASSWORD };

describe('koji-es runroot when the hub it asks has no runroot.log', () => {
  let server: TestPostgres;
  let a: TestHub;
  let b: TestHub;
  let host: Host;
  let cli: Client;

  before(async () => {
    server = await startTestPostgres();
    const store = await server.url();
    a = await startTestHub({ store });
    b = await startTestHub({ store });
    await a.call('createTag', ['split-build', { arches: 'x86_64', __starstar: true }], a.admin);
    host = await addHost(a, 'split-1');
    await a.call('addHostToChannel', ['split-1', 'runroot'], a.admin);
    cli = new Client(b.url);
  });
  after(async () => {
    cli?.cleanup();
    await b?.close();
    await a?.close();
    await server?.stop();
  });

  test('a warning naming the hub and the path, exit 0 for the CLOSED task', async () => {
    const running = cli.start(['runroot', '--task-id', 'split-build', 'x86_64', 'echo', 'hi'], {
      env: ADMIN,
    });
    await running.waitFor(/^\d+\n/);
    const id = Number(running.stdout.split('\n')[0]);
    // The builder talks to hub a: the log lands in a's files only.
    await eventually(() => a.call('host.openTask', [id], host.creds), 10_000);
    const log = Buffer.from('hi\n');
    await a.call('host.uploadFile', [id, 'runroot.log', 0, log.toString('base64')], host.creds);
    await a.call('host.finishUpload', [id, 'runroot.log', log.length, sha256(log)], host.creds);
    await a.call('host.closeTask', [id, 'echo completed successfully'], host.creds);

    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${id}\n`);
    const path = `work/tasks/${id % 10000}/${id}/runroot.log`;
    assert.equal(
      r.stderr,
      `koji-es: warning: runroot.log of task ${id} not found: ${b.url}/rpc lists no runroot.log in its output (${b.url}/files/${path})\n`,
    );
    // It is there, on the other hub.
    assert.deepEqual(await a.call('listTaskOutput', [id]), ['runroot.log']);
    assert.deepEqual(await b.call('listTaskOutput', [id]), []);
  });
});
