// End-to-end tests of the tasks module (issue 5) over JSON-RPC against a real hub on a temporary
// SQLite store: every method of the tasks contract (Koji's shapes, bad parameters, access rules,
// Koji's errors for a missing host, task, channel or buildroot), the builder side (`host.*`) and
// its ownership rules, resumable sha256-checked uploads — including an uploader killed with SIGKILL
// — `GET /files` with Range, two hosts racing to open the same tasks, cancel recursion, and the host
// timeout that returns tasks to FREE.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CommandService } from 'koji-es/eventstore/commands.service';
import { HostTimeoutScanner } from 'koji-es/modules/tasks/host-liveness';
import { TaskFactory, type TaskSpec } from 'koji-es/modules/tasks/tasks.commands';
import { tasksContract } from 'koji-es/modules/tasks/tasks.contract';
import { internalContext } from 'koji-es/rpc/context';
import { REPO_ROOT, startTestHub, TestClock, type Creds, type TestHub } from '../helpers/hub.js';
import { CheckedApi } from '../helpers/checked-api.js';
import {
  addHost,
  countEvents,
  eventually,
  open,
  pattern,
  sha256,
  upload,
  type Host,
} from '../helpers/tasks.js';

const FREE = 0;
const OPEN = 1;
const CLOSED = 2;
const CANCELED = 3;
const ASSIGNED = 4;
const FAILED = 5;

interface TaskInfo {
  id: number;
  state: number;
  host_id: number | null;
  parent: number | null;
  owner: number;
  method: string;
  arch: string;
  channel_id: number;
  priority: number;
  weight: number;
  label: string | null;
  start_ts: number | null;
  completion_ts: number | null;
  request?: unknown[];
  result?: unknown;
  owner_name?: string;
}

interface HostInfo {
  id: number;
  user_id: number;
  name: string;
  update_ts: number | null;
  ready: boolean;
  task_load: number;
  arches: string;
  capacity: number;
  description: string | null;
  comment: string | null;
  enabled: boolean;
}

interface ChannelInfo {
  id: number;
  name: string;
  description: string | null;
  enabled: boolean;
  comment: string | null;
}

interface BuildrootInfo {
  id: number;
  br_type: number;
  arch: string;
  host_id: number;
  host_name: string;
  task_id: number | null;
  tag_id: number | null;
  tag_name: string | null;
  repo_id: number | null;
  state: number;
  path: string | null;
  create_event_id: number;
  create_event_time: string;
  create_ts: number;
  retire_event_id: number | null;
  retire_ts: number | null;
  keep_until: string | null;
  removed_at: string | null;
  removed_reason: string | null;
}

interface FileStat {
  st_size: string;
  st_atime: number;
  st_mtime: number;
  st_ctime: number;
}

/** The fields of Koji's getTaskInfo (spec §9); koji-es may add more, never fewer. */
const KOJI_TASK_FIELDS = [
  'id',
  'state',
  'create_time',
  'create_ts',
  'start_time',
  'start_ts',
  'completion_time',
  'completion_ts',
  'channel_id',
  'host_id',
  'parent',
  'label',
  'waiting',
  'awaited',
  'owner',
  'method',
  'arch',
  'priority',
  'weight',
];
const KOJI_HOST_FIELDS = [
  'id',
  'user_id',
  'name',
  'update_ts',
  'ready',
  'task_load',
  'arches',
  'capacity',
  'description',
  'comment',
  'enabled',
];
const KOJI_BUILDROOT_FIELDS = [
  'id',
  'br_type',
  'arch',
  'host_id',
  'host_name',
  'repo_id',
  'tag_id',
  'tag_name',
  'task_id',
  'state',
  'create_event_id',
  'create_event_time',
  'create_ts',
  'retire_event_id',
  'retire_ts',
];

const exercised = new Set<string>();

function hasFields(o: unknown, fields: string[], what: string): void {
  assert.ok(o && typeof o === 'object', `${what} is an object`);
  for (const f of fields) assert.ok(f in (o as object), `${what} has ${f}: ${JSON.stringify(o)}`);
}

class Api extends CheckedApi {
  constructor(h: TestHub) {
    super(h, exercised);
  }

  denied(m: string, params: unknown[] | Record<string, unknown>, creds: Creds | undefined, message: string) {
    return this.fault(m, params, creds, 'ActionNotAllowed', message);
  }

  task(id: number, request = false): Promise<TaskInfo> {
    return this.ok<TaskInfo>('getTaskInfo', [id, request]);
  }

  makeTask(arglist: unknown[] = [1], opts: Record<string, unknown> = {}): Promise<number> {
    return this.ok<number>('makeTask', ['sleep', arglist, { ...opts, __starstar: true }], this.h.admin);
  }
}

/** GET or HEAD under /files, with optional headers. */
function files(h: TestHub, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${h.url}/files/${path}`, init);
}

const rel = (taskId: number, vol = '') => `${vol ? `vol/${vol}/` : ''}work/tasks/${taskId % 10000}/${taskId}`;

/** Creates a task the way another module does (saveFailedTree assigns one to a host on purpose). */
async function createTask(h: TestHub, spec: TaskSpec, now = new Date()): Promise<number> {
  const app = h.hub.app;
  const { result } = await app
    .get(CommandService)
    .run(internalContext(`test-${Math.random()}`, now), (uow) => app.get(TaskFactory).createIn(uow, spec));
  return result;
}

describe('tasks API end to end (SQLite store)', () => {
  let h: TestHub;
  let api: Api;
  let bob: Creds;
  let carol: Creds;
  let bobId: number;
  let b1: Host;
  let b2: Host;

  before(async () => {
    h = await startTestHub();
    api = new Api(h);
    bobId = await h.call<number>('createUser', ['bob'], h.admin);
    await h.call('setUserPassword', ['bob', 'bob-password'], h.admin);
    await h.call('createUser', ['carol'], h.admin);
    await h.call('setUserPassword', ['carol', 'carol-password'], h.admin);
    bob = await h.login('bob', 'bob-password');
    carol = await h.login('carol', 'carol-password');
    b1 = await addHost(h, 'builder1', ['x86_64', 'i686']);
    b2 = await addHost(h, 'builder2', ['aarch64']);
  });
  after(async () => {
    await h?.close();
  });

  describe('channels', () => {
    test("default, runroot and createrepo exist from the start, in Koji's shape", async () => {
      const list = await api.ok<ChannelInfo[]>('listChannels');
      assert.deepEqual(
        list.slice(0, 3).map((c) => c.name),
        ['default', 'runroot', 'createrepo'],
      );
      for (const c of list)
        assert.deepEqual(Object.keys(c).sort(), ['comment', 'description', 'enabled', 'id', 'name']);
      const runroot = list[1];
      assert.deepEqual(await api.ok('getChannel', ['runroot']), runroot);
      assert.deepEqual(await api.ok('getChannel', [runroot.id]), runroot);
      assert.deepEqual(await api.ok('getChannel', [{ name: 'runroot' }]), runroot);
      assert.equal(await api.ok('getChannel', ['nope']), null);
      await api.fault('getChannel', ['nope', true], undefined, 'GenericError', 'No such channel: nope');
      await api.fault('getChannel', [999, true], undefined, 'GenericError', 'No such channel: 999');
    });

    test('addChannel and editChannel (admin): ids, duplicates, disabled channels', async () => {
      const id = await api.ok<number>('addChannel', ['image', 'image builds'], h.admin);
      assert.deepEqual(await api.ok('getChannel', [id]), {
        id,
        name: 'image',
        description: 'image builds',
        enabled: true,
        comment: null,
      });
      await api.fault('addChannel', ['image'], h.admin, 'GenericError', 'channel image already exists');
      await api.fault('addChannel', ['a b'], h.admin, 'GenericError', 'Invalid channel name: a b');
      await api.denied('addChannel', ['x'], bob, 'admin permission required (logged in as bob)');
      await api.denied('addChannel', ['x'], undefined, 'admin permission required (user not logged in)');
      assert.equal(
        await api.ok('editChannel', ['image', { comment: 'lab', __starstar: true }], h.admin),
        true,
      );
      assert.equal(
        await api.ok('editChannel', ['image', { comment: 'lab', __starstar: true }], h.admin),
        false,
      );
      assert.equal(await api.ok('editChannel', [id, { enabled: false, __starstar: true }], h.admin), true);
      assert.deepEqual(
        (await api.ok<ChannelInfo[]>('listChannels', { enabled: false })).map((c) => c.name),
        ['image'],
      );
      await api.fault(
        'editChannel',
        ['image', { bogus: 1, __starstar: true }],
        h.admin,
        'GenericError',
        "editChannel() got an unexpected keyword argument 'bogus'",
      );
      await api.fault(
        'editChannel',
        ['nope', { comment: 'x', __starstar: true }],
        h.admin,
        'GenericError',
        'No such channel: nope',
      );
      await api.denied(
        'editChannel',
        ['image', { comment: 'x', __starstar: true }],
        bob,
        'admin permission required (logged in as bob)',
      );
    });
  });

  describe('hosts', () => {
    test("addHost: the host id; a host user (usertype 1); the default channel; Koji's getHost shape", async () => {
      const h3 = await api.ok<number>(
        'addHost',
        ['builder3', 'x86_64 ppc64le', 'host/builder3@EXAMPLE.COM'],
        h.admin,
      );
      const info = await api.ok<HostInfo>('getHost', ['builder3']);
      hasFields(info, KOJI_HOST_FIELDS, 'getHost');
      assert.equal(info.id, h3);
      assert.equal(info.arches, 'x86_64 ppc64le');
      assert.equal(info.capacity, 2);
      assert.equal(info.enabled, true);
      assert.equal(info.ready, false);
      assert.equal(info.task_load, 0);
      assert.equal(info.update_ts, null);
      assert.deepEqual(await api.ok('getHost', [h3]), info);
      assert.deepEqual(await api.ok('getHost', [{ name: 'builder3' }]), info);
      const user = await api.ok<{ id: number; usertype: number; krb_principals: string[] }>('getUser', [
        'builder3',
      ]);
      assert.equal(user.id, info.user_id);
      assert.equal(user.usertype, 1);
      assert.deepEqual(user.krb_principals, ['host/builder3@EXAMPLE.COM']);
      assert.deepEqual(
        (await api.ok<ChannelInfo[]>('listChannels', [h3])).map((c) => c.name),
        ['default'],
      );
    });

    test('addHost refusals: an existing host or user, bad arches, non-admins', async () => {
      await api.fault(
        'addHost',
        ['builder1', ['x86_64']],
        h.admin,
        'GenericError',
        'host already exists: builder1',
      );
      await api.fault(
        'addHost',
        ['bob', ['x86_64']],
        h.admin,
        'GenericError',
        'user bob already exists and it is not a host',
      );
      await api.fault(
        'addHost',
        ['b9', ['x86_64;rm']],
        h.admin,
        'GenericError',
        'Architecture can be only [a-zA-Z0-9_-]',
      );
      await api.denied('addHost', ['b9', ['x86_64']], bob, 'host permission required (logged in as bob)');
      await api.denied(
        'addHost',
        ['b9', ['x86_64']],
        undefined,
        'host permission required (user not logged in)',
      );
      // Host management needs the host permission, not admin (Koji's assertPerm('host')).
      await h.call('createUser', ['hostadmin'], h.admin);
      await h.call('setUserPassword', ['hostadmin', 'hostadmin-password'], h.admin);
      await h.call('grantPermission', ['hostadmin', 'host'], h.admin);
      const hostadmin = await h.login('hostadmin', 'hostadmin-password');
      const b11 = await api.ok<number>('addHost', ['b11', ['x86_64']], hostadmin);
      assert.equal(await api.ok('editHost', [b11, { capacity: 3, __starstar: true }], hostadmin), true);
      await api.ok('disableHost', ['b11'], hostadmin);
      await api.ok('enableHost', ['b11'], hostadmin);
      await api.ok('addHostToChannel', ['b11', 'runroot'], hostadmin);
      await api.ok('removeHostFromChannel', ['b11', 'runroot'], hostadmin);
      await api.denied('addChannel', ['x'], hostadmin, 'admin permission required (logged in as hostadmin)');
      // force turns an existing normal user into the host's user.
      const userId = await h.call<number>('createUser', ['b10'], h.admin);
      const id = await api.ok<number>('addHost', ['b10', ['noarch'], null, true], h.admin);
      const info = await api.ok<HostInfo>('getHost', [id]);
      assert.equal(info.user_id, userId);
      assert.equal((await api.ok<{ usertype: number }>('getUser', ['b10'])).usertype, 1);
    });

    test("getHost: None, or with strict Koji's \"No such host: 'x'\"", async () => {
      assert.equal(await api.ok('getHost', ['nope']), null);
      await api.fault('getHost', ['nope', true], undefined, 'GenericError', "No such host: 'nope'");
      await api.fault('getHost', [9999, true], undefined, 'GenericError', 'No such host: 9999');
      for (const [m, params] of [
        ['editHost', ['nope', { capacity: 3, __starstar: true }]],
        ['enableHost', ['nope']],
        ['disableHost', ['nope']],
        ['addHostToChannel', ['nope', 'default']],
        ['removeHostFromChannel', ['nope', 'default']],
      ] as const)
        await api.fault(m, [...params], h.admin, 'GenericError', "No such host: 'nope'");
    });

    test('editHost changes only what differs and says whether it changed anything', async () => {
      const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });
      assert.equal(
        await api.ok('editHost', ['builder1', kw({ capacity: 4, description: 'fast' })], h.admin),
        true,
      );
      assert.equal(
        await api.ok('editHost', ['builder1', kw({ capacity: 4, description: 'fast' })], h.admin),
        false,
      );
      assert.equal(await api.ok('editHost', ['builder1', kw({})], h.admin), false);
      assert.equal(
        await api.ok(
          'editHost',
          [b1.id, kw({ arches: ['x86_64', 'i686', 'noarch'], comment: 'rack 4' })],
          h.admin,
        ),
        true,
      );
      const info = await api.ok<HostInfo>('getHost', ['builder1']);
      assert.equal(info.capacity, 4);
      assert.equal(info.description, 'fast');
      assert.equal(info.comment, 'rack 4');
      assert.equal(info.arches, 'x86_64 i686 noarch');
      await api.fault(
        'editHost',
        ['builder1', kw({ name: 'x' })],
        h.admin,
        'GenericError',
        "editHost() got an unexpected keyword argument 'name'",
      );
      await api.fault(
        'editHost',
        ['builder1', kw({ capacity: -1 })],
        h.admin,
        'GenericError',
        'capacity must be a number >= 0',
      );
      await api.fault(
        'editHost',
        ['builder1', kw({ arches: 'x86 64!' })],
        h.admin,
        'GenericError',
        'Architecture can be only [a-zA-Z0-9_-]',
      );
      await api.denied(
        'editHost',
        ['builder1', kw({ capacity: 1 })],
        bob,
        'host permission required (logged in as bob)',
      );
      await api.ok('editHost', ['builder1', kw({ capacity: 2, description: null, comment: null })], h.admin);
    });

    test('enableHost and disableHost (admin), idempotent', async () => {
      assert.equal(await api.ok('disableHost', ['builder2'], h.admin), null);
      assert.equal((await api.ok<HostInfo>('getHost', ['builder2'])).enabled, false);
      const before = await countEvents(h, 'HostEnabledChanged');
      await api.ok('disableHost', ['builder2'], h.admin);
      assert.equal(
        await countEvents(h, 'HostEnabledChanged'),
        before,
        'disabling a disabled host appends nothing',
      );
      assert.equal(await api.ok('enableHost', [b2.id], h.admin), null);
      assert.equal((await api.ok<HostInfo>('getHost', ['builder2'])).enabled, true);
      await api.denied('enableHost', ['builder2'], carol, 'host permission required (logged in as carol)');
      await api.denied(
        'disableHost',
        ['builder2'],
        b1.creds,
        'host permission required (logged in as builder1)',
      );
    });

    test("addHostToChannel / removeHostFromChannel with Koji's messages; create and force", async () => {
      assert.equal(await api.ok('addHostToChannel', ['builder1', 'runroot'], h.admin), null);
      await api.fault(
        'addHostToChannel',
        ['builder1', 'runroot'],
        h.admin,
        'GenericError',
        'Host builder1 is already subscribed to the runroot channel',
      );
      await api.fault(
        'addHostToChannel',
        ['builder1', 'nochan'],
        h.admin,
        'GenericError',
        'No such channel: nochan',
      );
      await api.ok('addHostToChannel', ['builder1', 'lab', true], h.admin);
      assert.ok(await api.ok('getChannel', ['lab']));
      // image was disabled above: only with force.
      await api.fault(
        'addHostToChannel',
        ['builder2', 'image'],
        h.admin,
        'GenericError',
        'channel image is disabled',
      );
      await api.ok('addHostToChannel', { hostname: 'builder2', channel_name: 'image', force: true }, h.admin);
      assert.deepEqual(
        (await api.ok<ChannelInfo[]>('listChannels', { hostID: 'builder1' })).map((c) => c.name),
        ['default', 'runroot', 'lab'],
      );
      assert.equal(await api.ok('removeHostFromChannel', ['builder1', 'lab'], h.admin), null);
      await api.fault(
        'removeHostFromChannel',
        ['builder1', 'lab'],
        h.admin,
        'GenericError',
        'Host builder1 is not subscribed to the lab channel',
      );
      await api.fault(
        'removeHostFromChannel',
        ['builder1', 'nochan'],
        h.admin,
        'GenericError',
        'No such channel: nochan',
      );
      await api.denied(
        'addHostToChannel',
        ['builder1', 'lab'],
        bob,
        'host permission required (logged in as bob)',
      );
      await api.denied(
        'removeHostFromChannel',
        ['builder1', 'runroot'],
        bob,
        'host permission required (logged in as bob)',
      );
      assert.deepEqual(await api.ok('listChannels', ['nope']), []);
    });

    test('listHosts filters: arches, channel, ready, enabled, user; queryOpts', async () => {
      const names = async (q: Record<string, unknown>) =>
        (await api.ok<HostInfo[]>('listHosts', q)).map((x) => x.name).sort();
      const all = await api.ok<HostInfo[]>('listHosts');
      for (const x of all) hasFields(x, KOJI_HOST_FIELDS, 'listHosts');
      assert.ok(all.length >= 4);
      assert.deepEqual(await names({ arches: ['aarch64'] }), ['builder2']);
      assert.deepEqual(await names({ channelID: 'runroot' }), ['builder1']);
      assert.deepEqual(await names({ channelID: 'nope' }), []);
      assert.deepEqual(await names({ userID: 'builder2' }), ['builder2']);
      await api.ok('disableHost', ['b10'], h.admin);
      assert.deepEqual(await names({ enabled: false }), ['b10']);
      await api.ok('enableHost', ['b10'], h.admin);
      assert.deepEqual(await names({ ready: true }), []);
      assert.equal(await api.ok('listHosts', { queryOpts: { countOnly: true } }), all.length);
      assert.deepEqual(
        (await api.ok<HostInfo[]>('listHosts', { queryOpts: { order: '-id', limit: 1 } })).map((x) => x.id),
        [Math.max(...all.map((x) => x.id))],
      );
    });
  });

  describe('tasks', () => {
    test("makeTask (admin): Koji's sleep task with defaults, or channel, arch, priority, label, parent", async () => {
      const id = await api.makeTask([5]);
      const t = await api.task(id, true);
      hasFields(t, KOJI_TASK_FIELDS, 'getTaskInfo');
      assert.deepEqual(
        {
          state: t.state,
          method: t.method,
          arch: t.arch,
          priority: t.priority,
          weight: t.weight,
          parent: t.parent,
          label: t.label,
          host_id: t.host_id,
          request: t.request,
        },
        {
          state: FREE,
          method: 'sleep',
          arch: 'noarch',
          priority: 20,
          weight: 1,
          parent: null,
          label: null,
          host_id: null,
          request: [5],
        },
      );
      assert.equal(t.owner, 1);
      assert.equal('request' in (await api.task(id)), false, 'request only when asked');
      const runroot = (await api.ok<ChannelInfo>('getChannel', ['runroot'])).id;
      const child = await api.makeTask([1], {
        channel: 'runroot',
        arch: 'x86_64',
        priority: 10,
        label: 'x',
        parent: id,
      });
      const c = await api.task(child);
      assert.deepEqual(
        { channel_id: c.channel_id, arch: c.arch, priority: c.priority, label: c.label, parent: c.parent },
        { channel_id: runroot, arch: 'x86_64', priority: 10, label: 'x', parent: id },
      );
      // A child without a channel inherits its parent's.
      assert.equal((await api.task(await api.makeTask([1], { parent: child }))).channel_id, runroot);
      await api.fault(
        'makeTask',
        ['sleep', [1], { bogus: 1, __starstar: true }],
        h.admin,
        'GenericError',
        "makeTask() got an unexpected keyword argument 'bogus'",
      );
      await api.fault(
        'makeTask',
        ['sleep', [1], { channel: 'nope', __starstar: true }],
        h.admin,
        'GenericError',
        'No such channel: nope',
      );
      await api.fault(
        'makeTask',
        ['sleep', [1], { channel: 'image', __starstar: true }],
        h.admin,
        'GenericError',
        'Channel image is disabled.',
      );
      await api.fault(
        'makeTask',
        ['sleep', [1], { parent: 99999, __starstar: true }],
        h.admin,
        'GenericError',
        'No such task: 99999',
      );
      await api.fault(
        'makeTask',
        ['sleep', [1], { arch: 'x86;64', __starstar: true }],
        h.admin,
        'GenericError',
        'Architecture can be only [a-zA-Z0-9_-]',
      );
      await api.denied('makeTask', ['sleep', [1]], bob, 'admin permission required (logged in as bob)');
      await api.denied(
        'makeTask',
        ['sleep', [1]],
        undefined,
        'admin permission required (user not logged in)',
      );
    });

    test('getTaskInfo: None, strict, a list of ids', async () => {
      const id = await api.makeTask();
      assert.equal(await api.ok('getTaskInfo', [99999]), null);
      await api.fault('getTaskInfo', [99999, false, true], undefined, 'GenericError', 'No such task: 99999');
      const both = await api.ok<(TaskInfo | null)[]>('getTaskInfo', [[id, 99999]]);
      assert.equal(both[0]?.id, id);
      assert.equal(both[1], null);
      await api.fault('getTaskInfo', [['x']], undefined, 'GenericError', "Invalid task id: 'x'");
    });

    test("listTasks: Koji's filters and queryOpts; the CLI's call as Koji sends it", async () => {
      const a = await api.makeTask([1], { arch: 'x86_64', priority: 30 });
      const b = await api.makeTask([2], { arch: 'aarch64', parent: a });
      const ids = async (opts: Record<string, unknown>, q: Record<string, unknown> | null = null) =>
        (await api.ok<TaskInfo[]>('listTasks', [opts, q])).map((t) => t.id);
      assert.deepEqual(await ids({ parent: a }), [b]);
      assert.deepEqual((await ids({ arch: ['aarch64'] })).includes(b), true);
      assert.deepEqual((await ids({ arch: 'aarch64', not_parent: [a] })).includes(b), false);
      assert.ok((await ids({ method: 'sleep', state: [FREE] })).includes(a));
      assert.deepEqual(await ids({ id: [a, b] }), [a, b]);
      assert.deepEqual(await ids({ owner: 1, parent: a, not_state: [FREE] }), []);
      assert.ok((await ids({ createdAfter: 0 })).includes(a));
      assert.deepEqual(await ids({ id: [a, b], createdBefore: '2000-01-01' }), []);
      await api.fault(
        'listTasks',
        [{ createdAfter: 'yesterday' }],
        undefined,
        'GenericError',
        "Invalid value for createdAfter: 'yesterday'",
      );
      const rows = await api.ok<TaskInfo[]>('listTasks', [
        { decode: true, state: [FREE, OPEN, ASSIGNED], id: [a, b] },
        { order: 'priority,create_time' },
      ]);
      assert.deepEqual(rows.map((t) => t.id).sort(), [a, b]);
      for (const t of rows) {
        hasFields(t, [...KOJI_TASK_FIELDS, 'request', 'owner_name'], 'listTasks');
        assert.equal(t.owner_name, 'admin');
      }
      assert.equal(await api.ok('listTasks', [{ id: [a, b] }, { countOnly: true }]), 2);
      assert.deepEqual(await ids({ id: [a, b] }, { order: '-id', limit: 1 }), [b]);
    });

    test('taskFinished, getTaskRequest, getTaskChildren, and their missing-task errors', async () => {
      const parent = await api.makeTask([3, { extra: 1, __starstar: true }]);
      const kid = await api.makeTask([1], { parent });
      assert.equal(await api.ok('taskFinished', [parent]), false);
      assert.deepEqual(await api.ok('getTaskRequest', [parent]), [3, { extra: 1, __starstar: true }]);
      const kids = await api.ok<TaskInfo[]>('getTaskChildren', [parent]);
      assert.deepEqual(
        kids.map((k) => k.id),
        [kid],
      );
      assert.equal('request' in kids[0], false);
      assert.deepEqual((await api.ok<TaskInfo[]>('getTaskChildren', [parent, true]))[0].request, [1]);
      assert.deepEqual(await api.ok('getTaskChildren', [99999]), []);
      await api.fault(
        'getTaskChildren',
        [99999, false, true],
        undefined,
        'GenericError',
        'No such task: 99999',
      );
      await api.fault('taskFinished', [99999], undefined, 'GenericError', 'No such task: 99999');
      await api.fault('getTaskRequest', [99999], undefined, 'GenericError', 'No such task: 99999');
      await api.fault('getTaskResult', [99999], undefined, 'GenericError', 'No such task: 99999');
      await api.fault('cancelTask', [99999], h.admin, 'GenericError', 'No such task: 99999');
    });

    test('cancelTask: owner or admin; recursive by default; a finished task appends nothing', async () => {
      const top = await api.makeTask();
      const mid = await api.makeTask([1], { parent: top });
      const leaf = await api.makeTask([1], { parent: mid });
      const other = await api.makeTask([1], { parent: top });
      await api.denied('cancelTask', [top], bob, 'Cannot cancel task, not owner');
      await api.denied('cancelTask', [top], undefined, 'you must be logged in for this operation');
      assert.equal(await api.ok('cancelTask', [top], h.admin), true);
      for (const id of [top, mid, leaf, other]) assert.equal((await api.task(id)).state, CANCELED);
      assert.equal(await api.ok('taskFinished', [top]), true);
      await api.fault('getTaskResult', [top], undefined, 'GenericError', `Task ${top} is canceled`);
      const events = await countEvents(h, 'TaskCanceled');
      assert.equal(await api.ok('cancelTask', [top], h.admin), false);
      assert.equal(
        await countEvents(h, 'TaskCanceled'),
        events,
        'cancelling a finished task appends nothing',
      );
      // recurse=False leaves the children alone.
      const p2 = await api.makeTask();
      const c2 = await api.makeTask([1], { parent: p2 });
      assert.equal(await api.ok('cancelTask', { task_id: p2, recurse: false }, h.admin), true);
      assert.equal((await api.task(p2)).state, CANCELED);
      assert.equal((await api.task(c2)).state, FREE);
      // The owner may cancel their own task without being admin.
      const mine = await createTask(h, { method: 'sleep', request: [1], owner: { id: bobId, name: 'bob' } });
      await api.denied('cancelTask', [mine], carol, 'Cannot cancel task, not owner');
      assert.equal(await api.ok('cancelTask', [mine], bob), true);
    });
  });

  describe('the builder side (host.*)', () => {
    test('only host users may call host.*', async () => {
      for (const d of tasksContract.filter((m) => m.name.startsWith('host.'))) {
        const args = d.args.filter((a) => !a.hasDefault).map(() => 1);
        await api.denied(d.name, args, bob, 'host permission required (logged in as bob)');
        await api.denied(d.name, args, h.admin, 'host permission required (logged in as admin)');
        await api.denied(d.name, args, undefined, 'host permission required (user not logged in)');
      }
    });

    test('host.getID and host.updateHost: readiness and the last update, throttled check-ins', async () => {
      assert.equal(await api.ok('host.getID', [], b1.creds), b1.id);
      assert.equal(await api.ok('host.getID', [], b2.creds), b2.id);
      const before = await countEvents(h, 'HostCheckedIn');
      assert.equal(await api.ok('host.updateHost', [0, true], b1.creds), null);
      const info = await api.ok<HostInfo>('getHost', [b1.id]);
      assert.equal(info.ready, true);
      assert.ok(info.update_ts && Math.abs(info.update_ts - Date.now() / 1000) < 60);
      for (let i = 0; i < 5; i++) await api.ok('host.updateHost', { task_load: 0, ready: true }, b1.creds);
      assert.equal(
        await countEvents(h, 'HostCheckedIn'),
        before + 1,
        'heartbeats within a minute append nothing',
      );
      await api.ok('host.updateHost', [0, false], b1.creds);
      assert.equal(await countEvents(h, 'HostCheckedIn'), before + 2, 'a change of readiness is recorded');
      await api.ok('host.updateHost', [0, true, { cpu: 4 }], b1.creds);
    });

    test('host.getTasks: its channels and arches (noarch fits any), within its capacity, assigned ones first', async () => {
      const ch = await api.ok<number>('addChannel', ['sched'], h.admin);
      const s1 = await api.ok<number>('addHost', ['sched1', ['x86_64']], h.admin);
      const t = await h.call<{ token: string }>('createAPIToken', ['sched1'], h.admin);
      const host: Host = { id: s1, name: 'sched1', creds: { token: t.token } };
      await api.ok('removeHostFromChannel', ['sched1', 'default'], h.admin);
      assert.deepEqual(await api.ok('host.getTasks', [], host.creds), []);
      await api.ok('addHostToChannel', ['sched1', 'sched'], h.admin);
      const x86 = await api.makeTask([1], { channel: 'sched', arch: 'x86_64', priority: 30 });
      const noarch = await api.makeTask([1], { channel: 'sched', priority: 10 });
      const arm = await api.makeTask([1], { channel: 'sched', arch: 'aarch64' });
      const heavy = await api.makeTask([1], { channel: 'sched', weight: 5, priority: 40 });
      const elsewhere = await api.makeTask([1], { channel: 'runroot' });
      const assigned = await createTask(h, {
        method: 'saveFailedTree',
        request: [1, false],
        owner: { id: 1, name: 'admin' },
        channel: 'sched',
        assignHost: { id: host.id, name: host.name },
      });
      const list = await api.ok<TaskInfo[]>('host.getTasks', [], host.creds);
      for (const x of list) hasFields(x, [...KOJI_TASK_FIELDS, 'request'], 'host.getTasks');
      // An idle host takes a task heavier than its capacity, or the task would never run.
      assert.deepEqual(
        list.map((x) => x.id),
        [assigned, noarch, x86, heavy],
      );
      assert.ok(!list.some((x) => x.id === arm || x.id === elsewhere));
      assert.equal(list[0].state, ASSIGNED);
      await open(h, host, noarch);
      await open(h, host, x86);
      // Load 2 of capacity 2: nothing more fits but what is assigned to it.
      assert.deepEqual(
        (await api.ok<TaskInfo[]>('host.getTasks', [], host.creds)).map((x) => x.id),
        [assigned],
      );
      assert.equal((await api.ok<HostInfo>('getHost', ['sched1'])).task_load, 2);
      await api.ok('disableHost', ['sched1'], h.admin);
      assert.deepEqual(await api.ok('host.getTasks', [], host.creds), []);
      await api.fault('host.openTask', [heavy], host.creds, 'ActionNotAllowed', 'host sched1 is disabled');
      await api.ok('editChannel', ['sched', { enabled: false, __starstar: true }], h.admin);
      await api.ok('enableHost', ['sched1'], h.admin);
      assert.deepEqual(
        (await api.ok<TaskInfo[]>('host.getTasks', [], host.creds)).map((x) => x.id),
        [assigned],
        'a disabled channel gives no new tasks',
      );
      await api.ok('cancelTask', [assigned], h.admin);
      for (const id of [x86, noarch, arm, heavy, elsewhere]) await api.ok('cancelTask', [id], h.admin);
      assert.ok(ch > 0);
    });

    test('host.waitForTasks: at once without a generation; woken when a task is made while it waits', async () => {
      type Answer = { woken: boolean; generation: number };
      const first = await api.ok<Answer>('host.waitForTasks', [0], b1.creds);
      assert.equal(first.woken, false);
      const waiting = api.ok<Answer>('host.waitForTasks', [10, first.generation], b1.creds);
      await api.makeTask([1], {});
      const r = await waiting;
      assert.equal(r.woken, true);
      assert.ok(r.generation > first.generation);
    });

    test('host.openTask: FREE or assigned to it → OPEN; never twice; not a task assigned to another host', async () => {
      const id = await api.makeTask();
      const t = await api.ok<TaskInfo>('host.openTask', [id], b1.creds);
      hasFields(t, [...KOJI_TASK_FIELDS, 'request'], 'host.openTask');
      assert.equal(t.state, OPEN);
      assert.equal(t.host_id, b1.id);
      assert.ok(t.start_ts);
      await api.fault('host.openTask', [id], b2.creds, 'GenericError', `task ${id} is not free: it is OPEN`);
      await api.fault('host.openTask', [id], b1.creds, 'GenericError', `task ${id} is not free: it is OPEN`);
      await api.fault('host.openTask', [99999], b1.creds, 'GenericError', 'No such task: 99999');
      const mine = await createTask(h, {
        method: 'saveFailedTree',
        request: [1, false],
        owner: { id: 1, name: 'admin' },
        assignHost: { id: b1.id, name: b1.name },
      });
      assert.equal((await api.task(mine)).state, ASSIGNED);
      assert.equal((await api.task(mine)).host_id, b1.id);
      await api.fault(
        'host.openTask',
        [mine],
        b2.creds,
        'ActionNotAllowed',
        `task ${mine} is assigned to host builder1`,
      );
      await open(h, b1, mine);
      await api.ok('host.closeTask', [mine, null], b1.creds);
      await api.ok('host.closeTask', [id, null], b1.creds);
    });

    test('host.setTaskWeight, host.closeTask, host.failTask — only by the host that owns the task', async () => {
      const id = await api.makeTask();
      await open(h, b1, id);
      const owns = `host ${b2.id} does not own task ${id}`;
      await api.denied('host.setTaskWeight', [id, 2], b2.creds, owns);
      await api.denied('host.closeTask', [id, 'x'], b2.creds, owns);
      await api.denied('host.failTask', [id, { faultCode: 1000, faultString: 'x' }], b2.creds, owns);
      assert.equal(await api.ok('host.setTaskWeight', [id, 2.5], b1.creds), null);
      assert.equal((await api.task(id)).weight, 2.5);
      assert.equal((await api.ok<HostInfo>('getHost', [b1.id])).task_load, 2.5);
      assert.equal(await api.ok('host.closeTask', [id, { rpms: ['a.rpm'] }], b1.creds), null);
      const t = await api.task(id);
      assert.equal(t.state, CLOSED);
      assert.ok(t.completion_ts);
      assert.deepEqual(await api.ok('getTaskResult', [id]), { rpms: ['a.rpm'] });
      assert.equal(await api.ok('taskFinished', [id]), true);
      await api.denied('host.closeTask', [id, 'again'], b1.creds, `host ${b1.id} does not own task ${id}`);

      const bad = await api.makeTask();
      await api.fault('getTaskResult', [bad], undefined, 'GenericError', `Task ${bad} is not finished`);
      await open(h, b1, bad);
      assert.equal(
        await api.ok(
          'host.failTask',
          [bad, { faultCode: 1005, faultString: 'mock exited with status 30', name: 'BuildError' }],
          b1.creds,
        ),
        null,
      );
      assert.equal((await api.task(bad)).state, FAILED);
      // Koji raises the task's own fault again.
      await api.fault('getTaskResult', [bad], undefined, 'BuildError', 'mock exited with status 30');
      assert.deepEqual(await api.ok('getTaskResult', [bad, false]), {
        faultCode: 1005,
        faultString: 'mock exited with status 30',
      });
      await api.denied(
        'host.failTask',
        [bad, { faultCode: 1000, faultString: 'x' }],
        b1.creds,
        `host ${b1.id} does not own task ${bad}`,
      );
      await api.fault(
        'host.setTaskWeight',
        [bad, 1],
        b1.creds,
        'ActionNotAllowed',
        `host ${b1.id} does not own task ${bad}`,
      );
    });
  });

  describe('buildroots', () => {
    let task: number;
    let br: number;

    test("host.newBuildRoot and getBuildroot: Koji's fields plus path and retention", async () => {
      task = await api.makeTask([1], { arch: 'x86_64' });
      await open(h, b1, task);
      br = await api.ok<number>(
        'host.newBuildRoot',
        [4, 'x86_64', task, { id: 12, name: 'f40-build' }, '/var/lib/mock/f40-build-1-4'],
        b1.creds,
      );
      const b = await api.ok<BuildrootInfo>('getBuildroot', [br]);
      hasFields(b, KOJI_BUILDROOT_FIELDS, 'getBuildroot');
      assert.deepEqual(
        {
          host_id: b.host_id,
          host_name: b.host_name,
          task_id: b.task_id,
          tag_id: b.tag_id,
          tag_name: b.tag_name,
          repo_id: b.repo_id,
          arch: b.arch,
          state: b.state,
          path: b.path,
          br_type: b.br_type,
        },
        {
          host_id: b1.id,
          host_name: 'builder1',
          task_id: task,
          tag_id: 12,
          tag_name: 'f40-build',
          repo_id: 4,
          arch: 'x86_64',
          state: 0,
          path: '/var/lib/mock/f40-build-1-4',
          br_type: 0,
        },
      );
      assert.match(b.create_event_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      assert.equal(b.retire_ts, null);
      assert.equal(b.keep_until, null);
      assert.equal(await api.ok('getBuildroot', [99999]), null);
      await api.fault('getBuildroot', [99999, true], undefined, 'GenericError', 'No such buildroot: 99999');
      // A buildroot without a task or a tag.
      const loose = await api.ok<number>('host.newBuildRoot', { repo: null, arch: 'noarch' }, b2.creds);
      assert.equal((await api.ok<BuildrootInfo>('getBuildroot', [loose])).task_id, null);
      await api.denied(
        'host.newBuildRoot',
        [null, 'x86_64', task],
        b2.creds,
        `host ${b2.id} does not own task ${task}`,
      );
      await api.fault(
        'host.newBuildRoot',
        [null, 'x86_64', 99999],
        b1.creds,
        'GenericError',
        'No such task: 99999',
      );
      await api.fault(
        'host.newBuildRoot',
        [null, 'x86_64', task, 'f40-build'],
        b1.creds,
        'GenericError',
        'tag must be given as {id, name}',
      );
    });

    test("host.setBuildRootState: Koji's rules and owner check; retention and removal", async () => {
      assert.equal(await api.ok('host.setBuildRootState', [br, 'BUILDING'], b1.creds), null);
      assert.equal((await api.ok<BuildrootInfo>('getBuildroot', [br])).state, 2);
      await api.fault(
        'host.setBuildRootState',
        [br, 0],
        b1.creds,
        'GenericError',
        'Cannot change buildroot state to INIT',
      );
      await api.denied(
        'host.setBuildRootState',
        [br, 3],
        b2.creds,
        `Host ${b2.id} not owner of buildroot ${br}`,
      );
      await api.fault(
        'host.setBuildRootState',
        [99999, 3],
        b1.creds,
        'GenericError',
        'No such buildroot: 99999',
      );
      await api.ok('host.setBuildRootState', { brootid: br, state: 3 }, b1.creds);
      const expired = await api.ok<BuildrootInfo>('getBuildroot', [br]);
      assert.equal(expired.state, 3);
      assert.ok(expired.retire_event_id && expired.retire_event_id > expired.create_event_id);
      assert.ok(expired.retire_ts);
      await api.fault(
        'host.setBuildRootState',
        [br, 'BUILDING'],
        b1.creds,
        'GenericError',
        `buildroot ${br} is EXPIRED`,
      );
      await api.ok('host.setBuildRootState', [br, 'EXPIRED'], b1.creds);

      assert.equal(await api.ok('host.setBuildRootRetention', [br, '2030-01-01T04:00:00Z'], b1.creds), null);
      assert.equal(
        (await api.ok<BuildrootInfo>('getBuildroot', [br])).keep_until,
        '2030-01-01T04:00:00.000Z',
      );
      await api.fault(
        'host.setBuildRootRetention',
        [br, 'someday'],
        b1.creds,
        'GenericError',
        'keep_until someday is not an ISO time',
      );
      await api.denied(
        'host.setBuildRootRetention',
        [br, '2030-01-01T00:00:00Z'],
        b2.creds,
        `Host ${b2.id} not owner of buildroot ${br}`,
      );
      assert.equal(
        await api.ok('host.buildRootRemoved', [br, 'failed_buildroot_lifetime over'], b1.creds),
        null,
      );
      const removed = await api.ok<BuildrootInfo>('getBuildroot', [br]);
      assert.ok(removed.removed_at);
      assert.equal(removed.removed_reason, 'failed_buildroot_lifetime over');
      const events = await countEvents(h, 'BuildrootRemoved');
      await api.ok('host.buildRootRemoved', [br, 'again'], b1.creds);
      assert.equal(await countEvents(h, 'BuildrootRemoved'), events, 'removed once');
      await api.denied(
        'host.buildRootRemoved',
        [br, 'x'],
        b2.creds,
        `Host ${b2.id} not owner of buildroot ${br}`,
      );
    });

    test('listBuildroots: by host, tag, state, task, id, repo; queryOpts', async () => {
      const ids = async (q: Record<string, unknown>) =>
        (await api.ok<BuildrootInfo[]>('listBuildroots', q)).map((b) => b.id);
      assert.deepEqual(await ids({ taskID: task }), [br]);
      assert.deepEqual(await ids({ tagID: 12 }), [br]);
      assert.deepEqual(await ids({ repoID: 4 }), [br]);
      assert.deepEqual(await ids({ buildrootID: br }), [br]);
      assert.ok((await ids({ hostID: b1.id })).includes(br));
      assert.ok(!(await ids({ hostID: b2.id })).includes(br));
      assert.ok((await ids({ state: 3 })).includes(br));
      assert.ok(!(await ids({ state: [0, 1, 2] })).includes(br));
      assert.deepEqual(await ids({ taskID: 99999 }), []);
      assert.deepEqual(await ids({ rpmID: 1 }), []);
      for (const b of await api.ok<BuildrootInfo[]>('listBuildroots', { hostID: b1.id }))
        hasFields(b, KOJI_BUILDROOT_FIELDS, 'listBuildroots');
      assert.equal(await api.ok('listBuildroots', { taskID: task, queryOpts: { countOnly: true } }), 1);
      await api.ok('host.closeTask', [task, null], b1.creds);
    });
  });

  describe('task output: uploads, listTaskOutput, downloadTaskOutput, GET /files', () => {
    let task: number;
    const log = Buffer.from('line one\nline two\nline three\n');
    const big = pattern(200_000);

    before(async () => {
      task = await api.makeTask([1], { arch: 'x86_64' });
      await open(h, b1, task);
    });

    test('a chunked upload: status while it grows, nothing listed until finishUpload checks it', async () => {
      const chunk = 65536;
      for (let off = 0; off < 3 * chunk; off += chunk) {
        const r = await api.ok<{ size: number }>(
          'host.uploadFile',
          [task, 'big.bin', off, big.subarray(off, off + chunk).toString('base64')],
          b1.creds,
        );
        assert.equal(r.size, off + chunk);
        assert.deepEqual(await api.ok('host.uploadStatus', [task, 'big.bin'], b1.creds), {
          size: off + chunk,
        });
        assert.deepEqual(await api.ok('listTaskOutput', [task]), []);
      }
      // A resent chunk rewrites the tail; a chunk past the end says where to resume.
      await api.ok(
        'host.uploadFile',
        [task, 'big.bin', chunk, big.subarray(chunk, 2 * chunk).toString('base64')],
        b1.creds,
      );
      assert.deepEqual(await api.ok('host.uploadStatus', [task, 'big.bin'], b1.creds), { size: 2 * chunk });
      await api.fault(
        'host.uploadFile',
        [task, 'big.bin', 3 * chunk + 1, 'AAAA'],
        b1.creds,
        'GenericError',
        `upload of big.bin for task ${task}: offset ${3 * chunk + 1} is past the ${2 * chunk} bytes received; resume at ${2 * chunk}`,
      );
      await api.fault(
        'host.finishUpload',
        [task, 'big.bin', big.length, sha256(big)],
        b1.creds,
        'GenericError',
        `upload of big.bin for task ${task} has ${2 * chunk} bytes, expected ${big.length}; resume it`,
      );
      for (let off = 2 * chunk; off < big.length; off += chunk)
        await api.ok(
          'host.uploadFile',
          {
            task_id: task,
            name: 'big.bin',
            offset: off,
            data: big.subarray(off, off + chunk).toString('base64'),
          },
          b1.creds,
        );
      const done = await api.ok<{ size: number; sha256: string; path: string }>(
        'host.finishUpload',
        [task, 'big.bin', big.length, sha256(big)],
        b1.creds,
      );
      assert.deepEqual(done, { size: big.length, sha256: sha256(big), path: `${rel(task)}/big.bin` });
      assert.deepEqual(await api.ok('listTaskOutput', [task]), ['big.bin']);
      assert.deepEqual(await api.ok('host.uploadStatus', [task, 'big.bin'], b1.creds), { size: 0 });
      await upload(h, b1, task, 'build.log', log);
      await upload(h, b1, task, 'logs/mock_output.log', Buffer.from('mock\n'));
      await upload(h, b1, task, 'empty.txt', Buffer.alloc(0));
    });

    test('a sha256 mismatch is refused and the upload discarded; a missing upload is named', async () => {
      const data = Buffer.from('corrupted on the way');
      await api.ok('host.uploadFile', [task, 'bad.bin', 0, data.toString('base64')], b1.creds);
      await api.fault(
        'host.finishUpload',
        [task, 'bad.bin', data.length, sha256(Buffer.from('something else entirely'))],
        b1.creds,
        'GenericError',
        `upload of bad.bin for task ${task} is corrupt (sha256 ${sha256(data)}, expected ${sha256(Buffer.from('something else entirely'))}); upload it again`,
      );
      assert.deepEqual(await api.ok('host.uploadStatus', [task, 'bad.bin'], b1.creds), { size: 0 });
      assert.ok(!(await api.ok<string[]>('listTaskOutput', [task])).includes('bad.bin'));
      await api.fault(
        'host.finishUpload',
        [task, 'nothing.bin', 1, sha256(data)],
        b1.creds,
        'GenericError',
        `no upload of nothing.bin in progress for task ${task}`,
      );
      await api.fault(
        'host.uploadFile',
        [task, 'x.bin', 0, 'not base64!'],
        b1.creds,
        'GenericError',
        'data must be base64',
      );
    });

    test('`..`, absolute paths and NUL bytes: Koji\'s "Invalid file name: …"', async () => {
      for (const name of ['../escape.log', 'a/../../b', '/etc/passwd', 'nul\0byte.log', '..']) {
        const msg = `Invalid file name: ${name}`;
        await api.fault('host.uploadFile', [task, name, 0, 'AAAA'], b1.creds, 'GenericError', msg);
        await api.fault('host.uploadStatus', [task, name], b1.creds, 'GenericError', msg);
        await api.fault(
          'host.finishUpload',
          [task, name, 3, sha256(Buffer.alloc(3))],
          b1.creds,
          'GenericError',
          msg,
        );
        await api.fault('downloadTaskOutput', [task, name], undefined, 'GenericError', msg);
      }
      await api.fault(
        'host.uploadFile',
        [task, 'v.log', 0, 'AAAA', '..'],
        b1.creds,
        'GenericError',
        'Invalid volume name: ..',
      );
      assert.ok(!existsSync(join(h.dataDir, 'files', 'escape.log')));
      assert.ok(!existsSync(join(h.dataDir, 'files', 'work', 'escape.log')));
    });

    test('a host cannot upload for a task it does not own', async () => {
      const owns = `host ${b2.id} does not own task ${task}`;
      await api.denied('host.uploadFile', [task, 'x.log', 0, 'AAAA'], b2.creds, owns);
      await api.denied('host.uploadStatus', [task, 'x.log'], b2.creds, owns);
      await api.denied('host.finishUpload', [task, 'x.log', 3, sha256(Buffer.alloc(3))], b2.creds, owns);
      await api.fault(
        'host.uploadFile',
        [99999, 'x.log', 0, 'AAAA'],
        b1.creds,
        'GenericError',
        'No such task: 99999',
      );
    });

    test("listTaskOutput in Koji's four shapes; st_size is a string", async () => {
      await upload(h, b1, task, 'build.log', log, 1024, 'archive');
      const names = ['big.bin', 'build.log', 'empty.txt', 'logs/mock_output.log'];
      assert.deepEqual(await api.ok('listTaskOutput', [task]), names);
      const st = await api.ok<Record<string, FileStat>>('listTaskOutput', [task, true]);
      assert.deepEqual(Object.keys(st), names);
      assert.equal(st['big.bin'].st_size, String(big.length));
      assert.equal(st['empty.txt'].st_size, '0');
      for (const s of Object.values(st)) {
        assert.equal(typeof s.st_size, 'string');
        for (const k of ['st_atime', 'st_mtime', 'st_ctime'] as const) assert.equal(typeof s[k], 'number');
      }
      const vols = await api.ok<Record<string, string[]>>('listTaskOutput', {
        taskID: task,
        all_volumes: true,
      });
      assert.deepEqual(vols['build.log'], ['DEFAULT', 'archive']);
      assert.deepEqual(vols['big.bin'], ['DEFAULT']);
      const both = await api.ok<Record<string, Record<string, FileStat>>>('listTaskOutput', [
        task,
        true,
        true,
      ]);
      assert.deepEqual(Object.keys(both['build.log']).sort(), ['DEFAULT', 'archive']);
      assert.equal(both['build.log'].archive.st_size, String(log.length));
      const none = await api.makeTask();
      assert.deepEqual(await api.ok('listTaskOutput', [none]), []);
      assert.deepEqual(await api.ok('listTaskOutput', [none, true, true]), {});
      assert.deepEqual(await api.ok('listTaskOutput', [99999]), []);
      await api.fault(
        'listTaskOutput',
        [99999, false, false, true],
        undefined,
        'GenericError',
        'No such task: 99999',
      );
    });

    test('downloadTaskOutput: base64 text, offset and size, volumes, a missing file', async () => {
      const dl = async (params: unknown[] | Record<string, unknown>) =>
        Buffer.from(await api.ok<string>('downloadTaskOutput', params), 'base64');
      assert.deepEqual(await dl([task, 'build.log']), log);
      assert.deepEqual(await dl([task, 'build.log', 5]), log.subarray(5));
      assert.deepEqual(await dl([task, 'build.log', 5, 3]), log.subarray(5, 8));
      assert.deepEqual(
        await dl({ taskID: task, fileName: 'build.log', offset: log.length }),
        Buffer.alloc(0),
      );
      assert.deepEqual(await dl([task, 'build.log', 1000, 10]), Buffer.alloc(0));
      assert.deepEqual(await dl([task, 'build.log', 0, -1, 'archive']), log);
      assert.deepEqual(await dl([task, 'build.log', 0, -1, 'DEFAULT']), log);
      assert.deepEqual(await dl([task, 'big.bin', 70000, 100]), big.subarray(70000, 70100));
      assert.deepEqual(await dl([task, 'logs/mock_output.log']), Buffer.from('mock\n'));
      assert.equal(typeof (await api.ok('downloadTaskOutput', [task, 'build.log'])), 'string');
      await api.fault(
        'downloadTaskOutput',
        [task, 'nope.log'],
        undefined,
        'GenericError',
        `no file "nope.log" output by task ${task}`,
      );
      await api.fault(
        'downloadTaskOutput',
        [task, 'big.bin', 0, -1, 'archive'],
        undefined,
        'GenericError',
        `no file "big.bin" output by task ${task}`,
      );
      await api.fault(
        'downloadTaskOutput',
        [task, 'logs'],
        undefined,
        'GenericError',
        `no file "logs" output by task ${task}`,
      );
    });

    test('GET /files: the whole file, Range (206), an unsatisfiable range (416), HEAD, 404s', async () => {
      const url = `${rel(task)}/big.bin`;
      const full = await files(h, url);
      assert.equal(full.status, 200);
      assert.equal(full.headers.get('accept-ranges'), 'bytes');
      assert.equal(full.headers.get('content-length'), String(big.length));
      assert.deepEqual(Buffer.from(await full.arrayBuffer()), big);
      const part = await files(h, url, { headers: { range: 'bytes=1000-1999' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 1000-1999/${big.length}`);
      assert.equal(part.headers.get('content-length'), '1000');
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), big.subarray(1000, 2000));
      const tail = await files(h, url, { headers: { range: 'bytes=199000-' } });
      assert.equal(tail.status, 206);
      assert.deepEqual(Buffer.from(await tail.arrayBuffer()), big.subarray(199000));
      const suffix = await files(h, url, { headers: { range: 'bytes=-10' } });
      assert.equal(suffix.status, 206);
      assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), big.subarray(big.length - 10));
      for (const range of [`bytes=${big.length}-`, 'bytes=500-100', 'bytes=x-y', 'bytes=-']) {
        const r = await files(h, url, { headers: { range } });
        assert.equal(r.status, 416, range);
        assert.equal(r.headers.get('content-range'), `bytes */${big.length}`);
        await r.arrayBuffer();
      }
      const head = await files(h, url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(big.length));
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      const headRange = await files(h, url, { method: 'HEAD', headers: { range: 'bytes=0-9' } });
      assert.equal(headRange.status, 206);
      assert.equal(headRange.headers.get('content-length'), '10');
      const text = await files(h, `${rel(task)}/build.log`);
      assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(await text.text(), log.toString());
      assert.equal(await (await files(h, `${rel(task, 'archive')}/build.log`)).text(), log.toString());
      assert.equal(await (await files(h, `${rel(task)}/logs/mock_output.log`)).text(), 'mock\n');
      const empty = await files(h, `${rel(task)}/empty.txt`);
      assert.equal(empty.status, 200);
      assert.equal(empty.headers.get('content-length'), '0');
      for (const p of [
        `${rel(task)}/nope.bin`,
        `${rel(task)}`,
        '../koji-es.sqlite',
        `${rel(task)}/..%2f..%2f..%2f..%2fkoji-es.sqlite`,
        '.uploads',
        `.uploads/${task}`,
        'koji-es.sqlite',
      ]) {
        const r = await files(h, p);
        assert.equal(r.status, 404, p);
        await r.arrayBuffer();
      }
    });
  });

  describe('an interrupted upload never shows a partial file under its final name', () => {
    test('the uploader is killed with SIGKILL mid-upload; resuming from host.uploadStatus completes it', async () => {
      const task = await api.makeTask();
      await open(h, b1, task);
      const size = 12 * 65536;
      const chunk = 65536;
      const child = spawn(
        process.execPath,
        [
          join(REPO_ROOT, 'dist', 'test', 'helpers', 'uploader.js'),
          h.rpcUrl,
          b1.creds.token!,
          String(task),
          'image.iso',
          String(size),
          String(chunk),
          '40',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes(`sent ${4 * chunk}\n`)) resolve();
        });
        child.on('exit', () => reject(new Error(`the uploader ended before it was killed: ${out} ${err}`)));
      });
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      assert.ok(!out.includes('done'));

      const finalDir = join(h.dataDir, 'files', rel(task));
      assert.ok(!existsSync(join(finalDir, 'image.iso')), 'no file under its final name');
      assert.deepEqual(existsSync(finalDir) ? readdirSync(finalDir) : [], []);
      assert.deepEqual(await api.ok('listTaskOutput', [task]), []);
      assert.deepEqual(await api.ok('listTaskOutput', [task, true, true]), {});
      const get = await files(h, `${rel(task)}/image.iso`);
      assert.equal(get.status, 404);
      await get.arrayBuffer();
      await api.fault(
        'downloadTaskOutput',
        [task, 'image.iso'],
        undefined,
        'GenericError',
        `no file "image.iso" output by task ${task}`,
      );

      const { size: have } = await api.ok<{ size: number }>(
        'host.uploadStatus',
        [task, 'image.iso'],
        b1.creds,
      );
      assert.ok(have >= 4 * chunk && have < size && have % chunk === 0, `resume point ${have}`);
      const data = pattern(size);
      for (let off = have; off < size; off += chunk)
        await api.ok(
          'host.uploadFile',
          [task, 'image.iso', off, data.subarray(off, off + chunk).toString('base64')],
          b1.creds,
        );
      await api.ok('host.finishUpload', [task, 'image.iso', size, sha256(data)], b1.creds);
      assert.deepEqual(await api.ok('listTaskOutput', [task]), ['image.iso']);
      const whole = await files(h, `${rel(task)}/image.iso`);
      assert.equal(whole.status, 200);
      assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), sha256(data));
      await api.ok('host.closeTask', [task, null], b1.creds);
    });
  });

  describe('two hosts racing to open 100 tasks never open one twice', () => {
    test('every task ends OPEN exactly once, by exactly one host', async () => {
      const channel = await api.ok<number>('addChannel', ['race'], h.admin);
      const racers: Host[] = [];
      for (const name of ['racer1', 'racer2']) {
        const host = await addHost(h, name, ['noarch']);
        await api.ok('removeHostFromChannel', [name, 'default'], h.admin);
        await api.ok('addHostToChannel', [name, 'race'], h.admin);
        await api.ok('editHost', [name, { capacity: 1000, __starstar: true }], h.admin);
        racers.push(host);
      }
      const ids: number[] = [];
      for (let i = 0; i < 100; i++) ids.push(await api.makeTask([i], { channel: 'race' }));
      const openedBefore = await countEvents(h, 'TaskOpened');

      const race = async (host: Host) => {
        const won: number[] = [];
        let refused = 0;
        for (;;) {
          const offered = await h.call<TaskInfo[]>('host.getTasks', [], host.creds);
          if (!offered.length) return { won, refused };
          for (const t of offered) {
            const r = await h.rpc<TaskInfo>('host.openTask', [t.id], host.creds);
            if (r.body.error) {
              assert.match(r.body.error.message, /^task \d+ is not free: it is OPEN$/);
              refused++;
            } else won.push(t.id);
          }
        }
      };
      const [r1, r2] = await Promise.all(racers.map(race));
      assert.equal(r1.won.length + r2.won.length, 100);
      assert.ok(r1.refused + r2.refused > 0, 'the hosts did race for the same tasks');
      assert.deepEqual(
        [...r1.won, ...r2.won].sort((a, b) => a - b),
        ids,
      );

      const tasks = await api.ok<TaskInfo[]>('listTasks', [{ channel_id: channel }]);
      assert.equal(tasks.length, 100);
      for (const t of tasks) {
        assert.equal(t.state, OPEN);
        const winner = r1.won.includes(t.id) ? racers[0] : racers[1];
        assert.equal(t.host_id, winner.id);
      }
      const opened = new Map<number, number[]>();
      let after: string | null = null;
      for (;;) {
        const page = await h.hub.backend.events.readAll({
          after,
          maxCount: 500,
          filter: { types: ['TaskOpened'] },
        });
        for (const e of page.events) {
          const d = e.data as { id: number; host: { id: number } };
          if (ids.includes(d.id)) opened.set(d.id, [...(opened.get(d.id) ?? []), d.host.id]);
        }
        if (page.atEnd) break;
        after = page.checkpoint;
      }
      assert.equal(opened.size, 100);
      for (const [id, hosts] of opened) {
        assert.equal(hosts.length, 1, `task ${id} opened ${hosts.length} times`);
        assert.equal(hosts[0], tasks.find((t) => t.id === id)!.host_id);
      }
      assert.equal(await countEvents(h, 'TaskOpened'), openedBefore + 100);
    });
  });

  describe('bad parameters', () => {
    const WRONG_TYPES: Record<string, { params: unknown[] | Record<string, unknown>; param: string }> = {
      addHost: { params: [5, ['x86_64']], param: 'hostname' },
      editHost: { params: [true], param: 'hostInfo' },
      enableHost: { params: [[1]], param: 'hostname' },
      disableHost: { params: [true], param: 'hostname' },
      getHost: { params: { hostInfo: 'builder1', strict: 'yes' }, param: 'strict' },
      listHosts: { params: { ready: 'yes' }, param: 'ready' },
      addHostToChannel: { params: ['builder1', 5], param: 'channel_name' },
      removeHostFromChannel: { params: ['builder1', 5], param: 'channel_name' },
      listChannels: { params: { enabled: 'x' }, param: 'enabled' },
      getChannel: { params: { channelInfo: 'default', strict: 1 }, param: 'strict' },
      addChannel: { params: [5], param: 'channel_name' },
      editChannel: { params: [true], param: 'channelInfo' },
      makeTask: { params: [5, []], param: 'method' },
      getTaskInfo: { params: { task_id: 1, request: 'x' }, param: 'request' },
      listTasks: { params: { opts: 5 }, param: 'opts' },
      taskFinished: { params: ['x'], param: 'taskId' },
      getTaskResult: { params: [1, 'x'], param: 'raise_fault' },
      getTaskChildren: { params: ['x'], param: 'task_id' },
      getTaskRequest: { params: ['x'], param: 'taskId' },
      cancelTask: { params: [1, 'x'], param: 'recurse' },
      listTaskOutput: { params: [1, 'x'], param: 'stat' },
      downloadTaskOutput: { params: [1, 5], param: 'fileName' },
      getBuildroot: { params: ['x'], param: 'buildrootID' },
      listBuildroots: { params: { hostID: 'x' }, param: 'hostID' },
      'host.updateHost': { params: ['x', true], param: 'task_load' },
      'host.openTask': { params: ['x'], param: 'task_id' },
      'host.setTaskWeight': { params: [1, 'x'], param: 'weight' },
      'host.closeTask': { params: ['x', null], param: 'task_id' },
      'host.failTask': { params: ['x', { faultCode: 1000, faultString: 'x' }], param: 'task_id' },
      'host.newBuildRoot': { params: [null, 5], param: 'arch' },
      'host.setBuildRootState': { params: [1, 'BOGUS'], param: 'state' },
      'host.setBuildRootRetention': { params: [1, 5], param: 'keep_until' },
      'host.buildRootRemoved': { params: [1, 5], param: 'reason' },
      'host.uploadFile': { params: [1, 'f', 'x', ''], param: 'offset' },
      'host.finishUpload': { params: [1, 'f', 1, 'nothex'], param: 'sha256' },
      'host.uploadStatus': { params: [1, 5], param: 'name' },
      'host.waitForTasks': { params: ['x'], param: 'timeout' },
    };
    const credsFor = (name: string) => (name.startsWith('host.') ? b1.creds : h.admin);

    test('wrong types: -32602, ParameterError 1019, naming the parameter', async () => {
      for (const d of tasksContract) {
        if (d.args.length === 0) continue;
        const bad = WRONG_TYPES[d.name];
        assert.ok(bad, `add a wrong-type case for ${d.name}`);
        const e = await api.badParams(
          d.name,
          bad.params,
          credsFor(d.name),
          new RegExp(`^invalid parameter ${bad.param} of ${d.name.replace('.', '\\.')}: `),
        );
        assert.equal(e.data?.param, bad.param);
      }
    });

    test('ranges and shapes: ids start at 1, a fault needs faultCode and faultString, sha256 is hex', async () => {
      await api.badParams('taskFinished', [0], undefined, /taskId must be at least 1, got 0$/);
      await api.badParams(
        'downloadTaskOutput',
        [1, 'f', -1],
        undefined,
        /offset must be at least 0, got -1$/,
      );
      await api.badParams(
        'downloadTaskOutput',
        [1, 'f', 0, -2],
        undefined,
        /size must be at least -1, got -2$/,
      );
      await api.badParams(
        'host.failTask',
        [1, { faultString: 'x' }],
        b1.creds,
        /^invalid parameter response\.faultCode of host\.failTask/,
      );
      await api.badParams(
        'host.finishUpload',
        [1, 'f', 1, 'A'.repeat(64)],
        b1.creds,
        /sha256 must be 64 lower-case hex digits/,
      );
      await api.badParams(
        'host.newBuildRoot',
        [null, 'x86;64'],
        b2.creds,
        /arch can be only \[a-zA-Z0-9_-\]/,
      );
      await api.badParams('host.setTaskWeight', [1, -1], b1.creds, /weight must be at least 0, got -1$/);
      await api.badParams('makeTask', ['not a method!', []], h.admin, /method must be a task method name/);
    });

    test("unexpected keyword arguments and missing arguments, with Python's TypeError text", async () => {
      for (const d of tasksContract) {
        if (d.starstar) continue;
        await api.badParams(
          d.name,
          { x: 1 },
          credsFor(d.name),
          `${d.name}() got an unexpected keyword argument 'x'`,
        );
      }
      await api.badParams(
        'addHost',
        ['b'],
        h.admin,
        "addHost() missing 1 required positional argument: 'arches'",
      );
      await api.badParams(
        'host.uploadFile',
        [1, 'f'],
        b1.creds,
        "host.uploadFile() missing 2 required positional arguments: 'offset' and 'data'",
      );
    });

    test('too many positional arguments, for every method', async () => {
      for (const d of tasksContract) {
        const params = Array.from({ length: d.args.length + 1 }, (_, i) => i + 1);
        await api.badParams(
          d.name,
          params,
          credsFor(d.name),
          new RegExp(`^${d.name.replace('.', '\\.')}\\(\\) takes .* but ${params.length} (was|were) given$`),
        );
      }
    });
  });

  test('every method of the tasks contract succeeded at least once', () => {
    assert.deepEqual(
      tasksContract.map((d) => d.name).filter((n) => !exercised.has(n)),
      [],
    );
  });
});

describe('the host timeout returns tasks to FREE (HostTimeout 1 s, a test clock)', () => {
  let h: TestHub;
  let api: Api;
  const clock = new TestClock();

  before(async () => {
    h = await startTestHub({ clock, tweak: (c) => void (c.hub.hostTimeoutSec = 1) });
    api = new Api(h);
  });
  after(async () => {
    await h?.close();
  });

  test('a silent host loses its OPEN tasks (FREE) and fails those assigned to it; a reporting host keeps its own', async () => {
    const dead = await addHost(h, 'dead', ['noarch']);
    const alive = await addHost(h, 'alive', ['noarch']);
    const admin = { id: 1, name: 'admin' };
    const t1 = await api.makeTask();
    const t2 = await api.makeTask();
    const sft = (host: Host) =>
      createTask(
        h,
        {
          method: 'saveFailedTree',
          request: [1, false],
          owner: admin,
          assignHost: { id: host.id, name: host.name },
        },
        clock.now(),
      );
    const assignedDead = await sft(dead);
    const assignedDeadOpen = await sft(dead);
    const assignedAlive = await sft(alive);
    await open(h, dead, t1);
    await open(h, dead, assignedDeadOpen);
    await open(h, alive, t2);
    await open(h, alive, assignedAlive);
    await api.ok('host.updateHost', [0, true], alive.creds);
    const scanner = h.hub.app.get(HostTimeoutScanner);

    // Within the timeout nothing moves.
    clock.advance(600);
    await scanner.scan();
    assert.equal((await api.task(t1)).state, OPEN);
    await api.ok('host.updateHost', [1, true], alive.creds);
    clock.advance(600);

    await eventually(async () => {
      await scanner.scan();
      const t = await api.task(t1);
      assert.equal(t.state, FREE);
      assert.equal(t.host_id, null);
      assert.equal(t.start_ts, null);
      for (const id of [assignedDead, assignedDeadOpen]) assert.equal((await api.task(id)).state, FAILED);
    });
    for (const id of [assignedDead, assignedDeadOpen])
      await api.fault('getTaskResult', [id], undefined, 'GenericError', 'host dead stopped reporting');
    assert.equal(await countEvents(h, 'TaskFreed'), 1);

    // The host that keeps reporting keeps its tasks, round after round.
    for (let i = 0; i < 4; i++) {
      await api.ok('host.updateHost', [2, true], alive.creds);
      clock.advance(600);
      await scanner.scan();
      for (const id of [t2, assignedAlive]) {
        const t = await api.task(id);
        assert.equal(t.state, OPEN);
        assert.equal(t.host_id, alive.id);
      }
    }
    // The freed task goes to the host that is alive; the dead host cannot finish what it lost.
    await open(h, alive, t1);
    for (const [m, params] of [
      ['host.closeTask', [t1, null]],
      ['host.failTask', [t1, { faultCode: 1000, faultString: 'late' }]],
      ['host.uploadFile', [t1, 'late.log', 0, 'AAAA']],
    ] as const)
      await api.denied(m, [...params], dead.creds, `host ${dead.id} does not own task ${t1}`);
    await api.ok('host.closeTask', [t1, null], alive.creds);
    assert.equal(await countEvents(h, 'TaskFreed'), 1, 'each task freed once');
  });

  test('a ready host that stops reporting is marked not ready (Koji check_hosts); its next heartbeat makes it ready', async () => {
    const quiet = await addHost(h, 'quiet', ['noarch']);
    const ready = async () => (await api.ok<{ ready: boolean }>('getHost', ['quiet'])).ready;
    await api.ok('host.updateHost', [0, true], quiet.creds);
    const scanner = h.hub.app.get(HostTimeoutScanner);
    await scanner.scan();
    assert.equal(await ready(), true, 'within HostTimeout it stays ready');
    const before = await countEvents(h, 'HostMarkedNotReady');
    clock.advance(5_000);
    await eventually(async () => {
      await scanner.scan();
      assert.equal(await ready(), false);
    });
    const quietHosts = await api.ok<{ name: string }[]>('listHosts', { ready: false });
    assert.ok(
      quietHosts.some((x) => x.name === 'quiet'),
      'listed among the hosts not ready',
    );
    await scanner.scan();
    const marked = await countEvents(h, 'HostMarkedNotReady');
    await scanner.scan();
    assert.equal(await countEvents(h, 'HostMarkedNotReady'), marked, 'marked once, not at every scan');
    assert.ok(marked > before);
    await api.ok('host.updateHost', [0, true], quiet.creds);
    await eventually(async () => assert.equal(await ready(), true));
  });
});
