// End-to-end tests of the hub's answers to input at the edges, over JSON-RPC against a real hub: names
// and versions Koji accepts whatever the event store's stream-name rules (long names, `~` and `^`),
// Koji's name checks and limits, numbers too large for Koji's columns, an empty runroot command, and
// messages that say what to fix. Every refusal must leave the log as it was.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RecordedEvent } from 'koji-es/eventstore/port';
import { XmlRpcClient } from 'koji-es/rpc/xmlrpc/client';
import { ADMIN_PASSWORD, startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
import { CheckedApi, type FaultName, type Params } from '../helpers/checked-api.js';

const PASSWORD = 'bad-input-test-password';
const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });

describe('bad and edge input over JSON-RPC', () => {
  let h: TestHub;
  let api: CheckedApi;
  let alice: Creds;

  async function head(): Promise<number> {
    const cp = await h.hub.backend.events.headCheckpoint();
    return cp ? h.hub.backend.events.positionOf(cp) : 0;
  }

  async function eventsSince(position: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await h.hub.backend.events.readAll({ after: cursor, maxCount: 500 });
      out.push(...page.events.filter((e) => e.position > position));
      if (page.atEnd) return out;
      cursor = page.checkpoint;
    }
  }

  /** A refusal with Koji's fault name and message, and nothing appended to the log. */
  async function refused(
    m: string,
    params: Params,
    name: FaultName,
    message: string | RegExp,
    creds: Creds | undefined = h.admin,
    code?: number,
  ): Promise<void> {
    const before = await head();
    await api.fault(m, params, creds, name, message, code);
    assert.equal(await head(), before, `${m} refused, yet it appended events`);
  }

  before(async () => {
    h = await startTestHub({ tweak: (c) => (c.hub.repoManager = false) });
    api = new CheckedApi(h, new Set(), () => h.admin);
    await h.call('createUser', ['alice'], h.admin);
    await h.call('setUserPassword', ['alice', PASSWORD], h.admin);
    alice = await h.login('alice', PASSWORD);
    await h.call('createTag', ['base', null, 'x86_64'], h.admin);
  });
  after(async () => {
    await h?.close();
  });

  describe('names Koji accepts are accepted, whatever their length or characters', () => {
    test('a tag of 193 and of 256 characters: created, found, and unique', async () => {
      for (const n of [193, 256]) {
        const name = 't'.repeat(n);
        const id = await api.ok<number>('createTag', [name]);
        assert.equal((await api.ok<{ id: number }>('getTag', [name])).id, id);
        await refused('createTag', [name], 'GenericError', `A tag with the name '${name}' already exists`);
      }
    });

    test("a tag name over MaxNameLengthInternal gets Koji's error", async () => {
      const name = 't'.repeat(257);
      await refused(
        'createTag',
        [name],
        'GenericError',
        `Name ${name} is too long. Max length is 256 characters`,
      );
    });

    test('a name that fits keeps the stream it always had (existing logs stay readable)', async () => {
      const before = await head();
      await api.ok('createTag', ['short-name']);
      const streams = (await eventsSince(before)).map((e) => e.stream);
      assert.ok(streams.includes('tagname-short-name'), streams.join(' '));
    });

    test('editTag renames to a 200-character name, which is then taken', async () => {
      const id = await api.ok<number>('createTag', ['to-rename']);
      const name = 'r'.repeat(200);
      await api.ok('editTag2', [id, kw({ name })]);
      assert.equal((await api.ok<{ id: number }>('getTag', [name])).id, id);
      await refused('createTag', [name], 'GenericError', `A tag with the name '${name}' already exists`);
    });

    test('createBuildTarget with a 200-character name, unique', async () => {
      const name = 'g'.repeat(200);
      await api.ok('createBuildTarget', [name, 'base', 'base']);
      assert.equal((await api.ok<{ name: string }>('getBuildTarget', [name])).name, name);
      await refused(
        'createBuildTarget',
        [name, 'base', 'base'],
        'GenericError',
        `A build target with the name '${name}' already exists`,
      );
    });

    test('createUser, newGroup and addHost with 251 characters, unique', async () => {
      const user = 'u'.repeat(251);
      await api.ok('createUser', [user]);
      assert.equal((await api.ok<{ name: string }>('getUser', [user])).name, user);
      await refused('createUser', [user], 'GenericError', `user already exists: ${user}`);
      const group = 'g'.repeat(251);
      await api.ok('newGroup', [group]);
      await refused('newGroup', [group], 'GenericError', `user already exists: ${group}`);
      const host = 'h'.repeat(251);
      const hostId = await api.ok<number>('addHost', [host, ['x86_64']]);
      assert.equal((await api.ok<{ id: number }>('getHost', [host])).id, hostId);
      await refused('addHost', [host, ['x86_64']], 'GenericError', `host already exists: ${host}`);
    });

    test('grantPermission(create=True) of a 251-character permission; granted again without create', async () => {
      const perm = 'p'.repeat(251);
      await api.ok('grantPermission', ['alice', perm, true]);
      await api.ok('createUser', ['bob']);
      await api.ok('grantPermission', ['bob', perm]);
      assert.deepEqual(await api.ok('getUserPerms', ['bob']), [perm]);
    });

    test("Koji's name check for addHost and grantPermission(create=True), as for createTag", async () => {
      await refused(
        'addHost',
        ['bad host!', ['x86_64']],
        'GenericError',
        'Name bad host! does not match RegexNameInternal value',
      );
      await refused(
        'grantPermission',
        ['alice', 'bad perm!', true],
        'GenericError',
        'Name bad perm! does not match RegexNameInternal value',
      );
      await refused(
        'newGroup',
        ['bad group!'],
        'GenericError',
        'Name bad group! does not match RegexNameInternal value',
      );
      const long = 'p'.repeat(257);
      await refused(
        'grantPermission',
        ['alice', long, true],
        'ParameterError',
        'invalid parameter permission of grantPermission: permission is too long: at most 255 characters, got 257',
        h.admin,
        -32602,
      );
    });

    test('packageListAdd with a 200-character package and with pkg~x', async () => {
      for (const pkg of ['k'.repeat(200), 'pkg~x', 'pkg^x']) {
        await api.ok('packageListAdd', ['base', pkg, 'alice']);
        assert.equal((await api.ok<{ name: string }>('getPackage', [pkg])).name, pkg);
      }
    });

    test('createEmptyBuild with a 250-character name, and with the RPM versions 1.0~x and 1.0^git1', async () => {
      for (const [name, version] of [
        ['n'.repeat(250), '1.0'],
        ['foo', '1.0~x'],
        ['foo', '1.0^git1'],
      ]) {
        const id = await api.ok<number>('createEmptyBuild', [name, version, '1', null]);
        const nvr = `${name}-${version}-1`;
        assert.equal((await api.ok<{ id: number }>('getBuild', [nvr])).id, id);
        await refused(
          'createEmptyBuild',
          [name, version, '1', null],
          'GenericError',
          `Build already exists (id=${id}, state=COMPLETE): '${nvr}'`,
        );
      }
    });

    test('createSideTag on a 192-character base tag works; a generated name over the limit is refused clearly', async () => {
      await api.ok('createTag', ['b'.repeat(192), null, 'x86_64']);
      const made = await api.ok<{ name: string }>('createSideTag', ['b'.repeat(192)], alice);
      assert.match(made.name, /^b{192}-side-\d+$/);
      const base = 'c'.repeat(250);
      await api.ok('createTag', [base, null, 'x86_64']);
      await refused(
        'createSideTag',
        [base],
        'GenericError',
        new RegExp(
          `^Name c{250}-side-\\d+ is too long\\. Max length is 256 characters: the sidetag name is made from the base tag '${base}' .*use a shorter base tag$`,
        ),
        alice,
      );
    });
  });

  describe('numbers beyond what Koji stores', () => {
    test('setSideTagExpiry with 1e308 or 99999999999 days: a ParameterError naming the limit', async () => {
      const { name } = await api.ok<{ name: string }>('createSideTag', ['base'], alice);
      for (const [days, shown] of [
        [1e308, '1e+308'],
        [99999999999, '99999999999'],
      ] as const)
        await refused(
          'setSideTagExpiry',
          [name, days],
          'ParameterError',
          `invalid parameter days of setSideTagExpiry: days must be at most 36500, got ${shown}`,
          alice,
          -32602,
        );
      await api.ok('setSideTagExpiry', [name, 36500], alice);
    });

    test('createEmptyBuild: an epoch past INTEGER is refused, over JSON-RPC and as an XML-RPC i8', async () => {
      await refused(
        'createEmptyBuild',
        ['big', '1', '1', 1e20],
        'ParameterError',
        'invalid parameter epoch of createEmptyBuild: epoch must be at most 2147483647, got 100000000000000000000',
        h.admin,
        -32602,
      );
      const x = new XmlRpcClient(`${h.hub.url}/kojihub`);
      await x.login('admin', ADMIN_PASSWORD);
      const before = await head();
      const r = await x.send('createEmptyBuild', ['big', '1', '1', 2 ** 40]);
      assert.equal(r.fault?.faultCode, 1019, JSON.stringify(r.fault));
      assert.match(r.fault.faultString, /epoch must be at most 2147483647, got 1099511627776$/);
      assert.equal(await head(), before);
      await api.ok('createEmptyBuild', ['big', '1', '1', 2147483647]);
    });

    test('editHost capacity beyond any builder, and a negative host.updateHost load, are refused', async () => {
      await api.ok('addHost', ['cap-host', ['x86_64']]);
      await refused(
        'editHost',
        ['cap-host', kw({ capacity: 1e20 })],
        'GenericError',
        'capacity must be at most 1000000, got 100000000000000000000',
      );
      assert.equal(await api.ok('editHost', ['cap-host', kw({ capacity: 64.5 })]), true);
      const t = await api.ok<{ token: string }>('createAPIToken', ['cap-host']);
      const host = { token: t.token };
      await refused(
        'host.updateHost',
        [-5.0, true],
        'ParameterError',
        'invalid parameter task_load of host.updateHost: task_load must be at least 0, got -5',
        host,
        -32602,
      );
      await refused(
        'host.updateHost',
        ['x', true],
        'ParameterError',
        "invalid parameter task_load of host.updateHost: task_load must be a number, got 'x'",
        host,
        -32602,
      );
      assert.equal(await api.ok('host.updateHost', [1.5, true], host), null);
    });
  });

  describe('runroot refuses an empty command before any task exists', () => {
    test("'', whitespace, [] and [''] are refused with ParameterError", async () => {
      await api.ok('grantPermission', ['alice', 'runroot']);
      for (const command of ['', '   \n', [], ['', 'x']])
        await refused(
          'runroot',
          ['base', 'x86_64', command],
          'ParameterError',
          /^runroot: the command is empty \(got .*\): give the command to run, as one string for the shell or a list of arguments$/,
          alice,
        );
    });
  });

  describe("Python's type names", () => {
    test('saveFailedTree(2**62) over XML-RPC: an int, so no such buildroot, not a dict', async () => {
      const x = new XmlRpcClient(`${h.hub.url}/kojihub`);
      await x.login('alice', PASSWORD);
      const r = await x.send('saveFailedTree', [2n ** 62n]);
      assert.equal(r.fault?.faultString, 'No such buildroot: 4611686018427387904');
      const d = await x.send('saveFailedTree', [{ id: 3 }]);
      assert.equal(
        d.fault?.faultString,
        "Invalid type for value '{'id': 3}': <class 'dict'>, expected type <class 'int'>",
      );
    });
  });

  describe('messages say what was expected and what came', () => {
    test('a wrong type names the expected type and echoes the value', async () => {
      await refused(
        'setSideTagExpiry',
        ['base', '3'],
        'ParameterError',
        "invalid parameter days of setSideTagExpiry: days must be a number, got '3'",
        alice,
        -32602,
      );
      await refused(
        'listSideTags',
        { due: 'x' },
        'ParameterError',
        "invalid parameter due of listSideTags: due must be a number, got 'x'",
        alice,
        -32602,
      );
      await refused(
        'createUser',
        [5],
        'ParameterError',
        'invalid parameter username of createUser: username must be a string, got 5',
        h.admin,
        -32602,
      );
    });

    test('getUser with an empty or a 9 MB name says which', async () => {
      await refused(
        'getUser',
        [''],
        'ParameterError',
        'invalid parameter userInfo of getUser: userInfo must not be empty: give an id, a name, or a struct with id or name',
        undefined,
        -32602,
      );
      await refused(
        'getUser',
        ['u'.repeat(9_000_000)],
        'ParameterError',
        'invalid parameter userInfo of getUser: userInfo is too long: a name has at most 1024 characters, got 9000000',
        undefined,
        -32602,
      );
    });

    test('a string too long or empty for its declared length says so, with the length, not the value', async () => {
      await refused(
        'addHost',
        ['h'.repeat(300), ['x86_64']],
        'ParameterError',
        'invalid parameter hostname of addHost: hostname is too long: at most 255 characters, got 300',
        h.admin,
        -32602,
      );
      await refused(
        'createUser',
        [''],
        'ParameterError',
        'invalid parameter username of createUser: username must not be empty',
        h.admin,
        -32602,
      );
    });
  });
});
