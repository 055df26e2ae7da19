// End-to-end tests of the hub's answers to input at the edges, over JSON-RPC against a real hub: names
// and versions Koji accepts whatever the event store's stream-name rules (long names, `~` and `^`),
// Koji's name checks and limits, numbers too large for Koji's columns, an empty runroot command, and
// messages that say what to fix. Every refusal must leave the log as it was.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RecordedEvent } from 'koji-es/eventstore/port';
import { startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
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
        /permission must be shorter than or equal to 255 characters/,
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
});
