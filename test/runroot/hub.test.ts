// The hub method `runroot(tagInfo, arch, command, channel=None, **opts)` with real hosts and
// channels: Koji's test_runroot_hub.py cases (spec §6.3) and the rest of spec §4.1 — permission,
// arch parsing, channel checks, priority 15, the stored request, the noarch choice from the enabled
// hosts of the channel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestHub, type Creds, type TestHub } from '../helpers/hub.js';
import { sidetagConfigDir } from '../helpers/sidetag.js';

let h: TestHub;
let bob: Creds;

interface Task {
  id: number;
  method: string;
  arch: string;
  priority: number;
  channel_id: number;
  state: number;
}

before(async () => {
  h = await startTestHub();
  await h.call('createUser', ['bob'], h.admin);
  await h.call('setUserPassword', ['bob', 'bob-password-123'], h.admin);
  bob = await h.login('bob', 'bob-password-123');
  await h.call('createTag', ['some_tag'], h.admin);
  // Hosts: every arch the hub knows comes from them; only `rr` is in the runroot channel.
  await h.call('addHost', ['s390-host', ['s390']], h.admin);
  await h.call('addHost', ['s390x-host', ['s390x']], h.admin);
  await h.call('addHost', ['rr', ['i386', 'x86_64']], h.admin);
  await h.call('addHostToChannel', ['rr', 'runroot'], h.admin);
  await h.call('addHost', ['off', ['ppc64le']], h.admin);
  await h.call('addHostToChannel', ['off', 'runroot'], h.admin);
  await h.call('disableHost', ['off'], h.admin);
});
after(async () => {
  await h?.close();
});

const runroot = (params: unknown[], creds: Creds = h.admin) => h.rpc<number>('runroot', params, creds);
const faultOf = (r: Awaited<ReturnType<typeof runroot>>) => {
  assert.ok(r.body.error, `expected a fault, got ${JSON.stringify(r.body.result)}`);
  const d = r.body.error.data as { name: string; faultString: string };
  return { name: d.name, message: d.faultString };
};
const setArches = (arches: string) => h.call('editTag2', ['some_tag', { arches, __starstar: true }], h.admin);
const taskCount = async () => (await h.call<Task[]>('listTasks', [{ method: 'runroot' }])).length;

describe("Koji's hub cases (spec §6.3)", () => {
  test('item 1: a concrete arch with no tag arches: a runroot task in channel runroot, priority 15', async () => {
    await setArches('');
    const id = (await runroot(['some_tag', 'x86_64', 'ls'])).body.result!;
    const t = await h.call<Task>('getTaskInfo', [id]);
    const channel = await h.call<{ id: number }>('getChannel', ['runroot']);
    assert.deepEqual(
      { method: t.method, arch: t.arch, priority: t.priority, channel: t.channel_id, state: t.state },
      { method: 'runroot', arch: 'x86_64', priority: 15, channel: channel.id, state: 0 },
    );
    const request = await h.call<unknown[]>('getTaskRequest', [id]);
    assert.deepEqual(request.slice(0, 3), ['some_tag', 'x86_64', 'ls']);
    assert.equal((request[3] as { __starstar: boolean }).__starstar, true);
  });

  test('item 2: noarch with no tag arches', async () => {
    await setArches('');
    assert.deepEqual(faultOf(await runroot(['some_tag', 'noarch', 'ls'])), {
      name: 'GenericError',
      message: 'no arches defined for tag some_tag',
    });
  });

  test("item 3: noarch, tag arches not covering the hosts': a tag arch the channel's enabled hosts have; the args keep noarch", async () => {
    await setArches('s390 x86_64');
    const id = (await runroot(['some_tag', 'noarch', 'ls'])).body.result!;
    assert.equal((await h.call<Task>('getTaskInfo', [id])).arch, 'x86_64');
    assert.deepEqual((await h.call<unknown[]>('getTaskRequest', [id])).slice(0, 3), [
      'some_tag',
      'noarch',
      'ls',
    ]);
  });

  test('item 4: noarch with no arch in common with the channel: an error, no task', async () => {
    await setArches('s390');
    const before = await taskCount();
    assert.deepEqual(faultOf(await runroot(['some_tag', 'noarch', 'ls'])), {
      name: 'GenericError',
      message: 'no common arches for tag/channel: some_tag/runroot',
    });
    // The disabled ppc64le host of the channel does not count either.
    await setArches('ppc64le');
    assert.deepEqual(faultOf(await runroot(['some_tag', 'noarch', 'ls'])), {
      name: 'GenericError',
      message: 'no common arches for tag/channel: some_tag/runroot',
    });
    assert.equal(await taskCount(), before);
  });

  test('item 5: a command that is neither str nor list fails before the tag and channel are looked up', async () => {
    assert.deepEqual(faultOf(await runroot(['no-such-tag', 'x86_64', { ls: 1 }, 'non-exist-channel'])), {
      name: 'GenericError',
      message: "Invalid type for value '{'ls': 1}': <class 'dict'>",
    });
    assert.deepEqual(faultOf(await runroot(['some_tag', 'x86_64', 7])), {
      name: 'GenericError',
      message: "Invalid type for value '7': <class 'int'>",
    });
  });
});

describe('the rest of spec §4.1', () => {
  test("the runroot permission, with Koji's messages; admin passes", async () => {
    assert.deepEqual(faultOf(await runroot(['some_tag', 'x86_64', 'ls'], bob)), {
      name: 'ActionNotAllowed',
      message: 'runroot permission required (logged in as bob)',
    });
    assert.deepEqual(faultOf(await runroot(['some_tag', 'x86_64', 'ls'], {})), {
      name: 'ActionNotAllowed',
      message: 'runroot permission required (user not logged in)',
    });
    await h.call('grantPermission', ['bob', 'runroot'], h.admin);
    assert.ok((await runroot(['some_tag', 'x86_64', 'ls'], bob)).body.result! > 0);
  });

  test("arches: Koji's syntax, and one arch (Koji keeps '' and 'x86_64 i686': tasks no host takes, spec §7 R6)", async () => {
    assert.deepEqual(faultOf(await runroot(['some_tag', 'x86_64,i686', 'ls'])), {
      name: 'GenericError',
      message: 'Architecture can be only [a-zA-Z0-9_-]',
    });
    const before = await h.call<Task[]>('listTasks', []);
    assert.deepEqual(faultOf(await runroot(['some_tag', 'x86_64 i686', 'ls'])), {
      name: 'GenericError',
      message: "runroot runs on one arch, not 'x86_64 i686': give one of them (or noarch)",
    });
    for (const empty of ['', '  '])
      assert.deepEqual(faultOf(await runroot(['some_tag', empty, 'ls'])), {
        name: 'GenericError',
        message: "runroot needs an arch: one of the tag's arches, or noarch",
      });
    assert.equal((await h.call<Task[]>('listTasks', [])).length, before.length, 'no task was made');
    const id = (await runroot(['some_tag', ' x86_64 ', 'ls'])).body.result!;
    assert.equal((await h.call<Task>('getTaskInfo', [id])).arch, 'x86_64');
  });

  test("channels: a missing or disabled one, with Koji's messages; a chosen channel is used", async () => {
    assert.deepEqual(faultOf(await runroot(['some_tag', 'x86_64', 'ls', 'nochannel'])), {
      name: 'GenericError',
      message: 'No such channel: nochannel',
    });
    await h.call('addChannel', ['quiet-channel'], h.admin);
    await h.call('editChannel', ['quiet-channel', { enabled: false, __starstar: true }], h.admin);
    assert.deepEqual(faultOf(await runroot(['some_tag', 'x86_64', 'ls', 'quiet-channel'])), {
      name: 'GenericError',
      message: 'Channel quiet-channel is disabled.',
    });
    await h.call('addChannel', ['busy-channel'], h.admin);
    const id = (await runroot(['some_tag', 'x86_64', 'ls', 'busy-channel'])).body.result!;
    const c = await h.call<{ id: number }>('getChannel', ['busy-channel']);
    assert.equal((await h.call<Task>('getTaskInfo', [id])).channel_id, c.id);
  });

  test('a tag that does not exist; noarch staying noarch when the tag covers every known arch', async () => {
    assert.deepEqual(faultOf(await runroot(['no-such-tag', 'x86_64', 'ls'])), {
      name: 'GenericError',
      message: "No such tagInfo: 'no-such-tag'",
    });
    await setArches('s390 s390x i386 x86_64 ppc64le');
    const id = (await runroot(['some_tag', 'noarch', ['ls', '-l']])).body.result!;
    assert.equal((await h.call<Task>('getTaskInfo', [id])).arch, 'noarch');
  });

  test('options are checked at the hub (Koji leaves them to fail on the builder)', async () => {
    const bad = await runroot(['some_tag', 'x86_64', 'ls', null, { frobnicate: 1, __starstar: true }]);
    assert.deepEqual(faultOf(bad), {
      name: 'ParameterError',
      message: "runroot() got an unexpected keyword argument 'frobnicate'",
    });
    const ok = await runroot([
      'some_tag',
      'x86_64',
      ['ls'],
      null,
      {
        packages: ['a'],
        mounts: ['/mnt/x'],
        weight: 3.5,
        upload_logs: ['/x.log'],
        new_chroot: false,
        __starstar: true,
      },
    ]);
    const request = await h.call<unknown[]>('getTaskRequest', [ok.body.result!]);
    assert.deepEqual(request[3], {
      packages: ['a'],
      mounts: ['/mnt/x'],
      repo_id: null,
      skip_setarch: false,
      weight: 3.5,
      upload_logs: ['/x.log'],
      new_chroot: false,
      __starstar: true,
    });
  });
});

describe('run_as (koji-es, spec §8.3): the host user a runroot runs as', () => {
  test('UID or UID:GID, numbers other than 0; stored as UID:GID, and only when given', async () => {
    for (const bad of ['alice', '0', '1000:0', '-1', '1000:1000:1', 1.5, true])
      assert.deepEqual(
        faultOf(await runroot(['some_tag', 'x86_64', 'ls', null, { run_as: bad, __starstar: true }])),
        {
          name: 'ParameterError',
          message: `run_as must be a host uid, or uid:gid, as numbers other than 0 (leave it out to run as root), not ${typeof bad === 'string' ? `'${bad}'` : bad === true ? 'True' : String(bad)}`,
        },
        String(bad),
      );
    for (const [given, stored] of [
      ['1000', '1000:1000'],
      ['1000:2000', '1000:2000'],
      [1001, '1001:1001'],
    ] as const) {
      const id = (await runroot(['some_tag', 'x86_64', 'ls', null, { run_as: given, __starstar: true }])).body
        .result!;
      const request = await h.call<Record<string, unknown>[]>('getTaskRequest', [id]);
      assert.equal(request[3].run_as, stored);
    }
    const plain = (await runroot(['some_tag', 'x86_64', 'ls'])).body.result!;
    assert.ok(!('run_as' in (await h.call<Record<string, unknown>[]>('getTaskRequest', [plain]))[3]));
  });

  test('the runroot policy sees it', async () => {
    const cfg = sidetagConfigDir({
      policies: { runroot: ['match run_as 1000:* :: allow', 'all :: deny run as your compose user (1000)'] },
    });
    const p = await startTestHub({ configDir: cfg.dir });
    try {
      await p.call('createTag', ['t', { __starstar: true, arches: 'x86_64' }], p.admin);
      const call = (runAs?: string) =>
        p.rpc<number>(
          'runroot',
          ['t', 'x86_64', 'true', null, { ...(runAs ? { run_as: runAs } : {}), __starstar: true }],
          p.admin,
        );
      assert.ok((await call('1000')).body.result! > 0);
      assert.equal(
        (await call()).body.error?.message,
        'policy violation (runroot): run as your compose user (1000)',
      );
      assert.equal(
        (await call('2000')).body.error?.message,
        'policy violation (runroot): run as your compose user (1000)',
      );
    } finally {
      await p.close();
      cfg.cleanup();
    }
  });
});

describe('a runroot policy in hub.conf (koji-es: which tags, channels and mounts a user may use)', () => {
  test('decides after the permission, with the tag, channel, arch, mounts and packages of the call', async () => {
    const cfg = sidetagConfigDir({
      policies: {
        runroot: [
          'has_perm admin :: allow',
          'tag f40-* && match channel runroot && match_all mounts /mnt/koji/compose/* :: allow',
          'all :: deny runroot here is for f40 tags with /mnt/koji/compose mounts',
        ],
      },
    });
    const p = await startTestHub({ configDir: cfg.dir });
    try {
      await p.call('createUser', ['carol'], p.admin);
      await p.call('setUserPassword', ['carol', 'carol-password-123'], p.admin);
      const carol = await p.login('carol', 'carol-password-123');
      for (const tag of ['f40-build', 'other-build'])
        await p.call('createTag', [tag, { __starstar: true, arches: 'x86_64' }], p.admin);
      const call = (tag: string, mounts: string[], creds: Creds) =>
        p.rpc<number>('runroot', [tag, 'x86_64', 'true', null, { mounts, __starstar: true }], creds);
      const denied = (r: Awaited<ReturnType<typeof call>>) => {
        const d = r.body.error?.data as { name: string; faultString: string; trace?: string } | undefined;
        return d ? { name: d.name, faultString: d.faultString, trace: d.trace } : null;
      };

      // The permission still comes first: without it, Koji's refusal, whatever the policy says.
      const noPerm = denied(await call('f40-build', ['/mnt/koji/compose/a'], carol));
      assert.equal(noPerm?.name, 'ActionNotAllowed');
      assert.doesNotMatch(noPerm!.faultString, /policy violation/);

      await p.call('grantPermission', ['carol', 'runroot'], p.admin);
      assert.equal(typeof (await call('f40-build', ['/mnt/koji/compose/a'], carol)).body.result, 'number');
      for (const [tag, mounts] of [
        ['f40-build', ['/mnt/koji/compose/a', '/etc']],
        ['other-build', ['/mnt/koji/compose/a']],
      ] as const) {
        assert.deepEqual(denied(await call(tag, [...mounts], carol)), {
          name: 'ActionNotAllowed',
          faultString:
            'policy violation (runroot): runroot here is for f40 tags with /mnt/koji/compose mounts',
          trace: 'all :: deny runroot here is for f40 tags with /mnt/koji/compose mounts',
        });
      }
      assert.equal(typeof (await call('other-build', ['/etc'], p.admin)).body.result, 'number');
    } finally {
      await p.close();
      cfg.cleanup();
    }
  });
});
