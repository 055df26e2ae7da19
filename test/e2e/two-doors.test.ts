// One registry, two doors (issue 11, DESIGN §3 and §6): every registered method, called on /rpc
// (JSON-RPC) and on /kojihub (Koji's XML-RPC) with the same arguments and the same kind of caller
// (anonymous, a normal user, admin, and a builder host for host.* methods), answers the same result
// or the same fault class and message.
//
// Two hubs start from the same seed at the same (frozen) time and receive the same calls in the same
// order, one through each door, so their states stay identical and even new ids must agree.
//
// A method without a fixture below fails this test, naming the method: whoever adds an API method
// adds its calls here, so the test keeps walking the whole registry.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { MethodRegistry } from 'koji-es/rpc/registry';
import { XmlRpcClient } from 'koji-es/rpc/xmlrpc/client';
import type { XmlRpcValue } from 'koji-es/rpc/xmlrpc/values';
import { startTestHub, TestClock, type Creds, type TestHub } from '../helpers/hub.js';

type Identity = 'anonymous' | 'user' | 'admin' | 'host';
const PEOPLE: Identity[] = ['anonymous', 'user', 'admin'];
const EVERYONE: Identity[] = [...PEOPLE, 'host'];

interface Call {
  /** A function when the arguments are only known once the seed ran (a Koji event id). */
  args: unknown[] | (() => unknown[]);
  kwargs?: Record<string, unknown>;
  /** Who makes this call, in this order (default: anonymous, user, admin). */
  as?: Identity[];
}

const c = (
  args: unknown[] | (() => unknown[]) = [],
  kwargs?: Record<string, unknown>,
  as?: Identity[],
): Call => ({
  args,
  kwargs,
  as,
});
const b64 = (s: string) => Buffer.from(s).toString('base64');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

// Ids the seed below creates, in the same order on both hubs.
const SPARE_SESSION = 3;
const BUILD = 'pkg-1.0-1';
const LOG = 'hello from the builder\n';
const SECOND = 'second file\n';
const SIDETAG = 'base-tag-side-3';

/**
 * The calls made for each method. They run in the registry's order (sorted by name) against the
 * world the seed built, so a method that changes something (disableUser, cancelTask…) is aimed at
 * something the later fixtures do not rely on.
 */
const FIXTURES: Record<string, Call[]> = {
  // introspection
  _listapi: [c()],
  'rpc.discover': [c()],
  'system.listMethods': [c()],
  'system.methodHelp': [c(['login']), c(['nonesuch'])],
  getAPIVersion: [c()],
  getKojiVersion: [c()],
  hello: [c()],
  // sessions
  login: [c(['alice', 'alice-password'], { opts: null }), c(['alice', 'wrong'])],
  logout: [c([], { session_id: SPARE_SESSION }), c([], undefined, ['anonymous'])],
  getLoggedInUser: [c()],
  exclusiveSession: [c(), c([], { force: true }, ['user'])],
  sharedSession: [c()],
  // users, permissions, groups, tokens
  createUser: [c(['carol']), c(['bad name!'], undefined, ['admin'])],
  enableUser: [c(['bob']), c(['nobody'], undefined, ['admin'])],
  disableUser: [c(['bob'])],
  getUser: [c(['alice']), c([1], { strict: true }), c(['nobody'], { strict: true }), c([], { groups: true })],
  listUsers: [c(), c([], { prefix: 'a', queryOpts: { order: '-id' } }), c([2])],
  setUserPassword: [c(['bob', 'bob-new-password']), c(['alice', 'short'], undefined, ['user'])],
  grantPermission: [c(['bob', 'tag']), c(['bob', 'newperm'], { create: true }, ['admin'])],
  revokePermission: [c(['bob', 'tag'])],
  getPerms: [c()],
  getUserPerms: [c(['alice']), c([], { with_groups: false })],
  getAllPerms: [c()],
  newGroup: [c(['qa'])],
  addGroupMember: [c(['devs', 'bob'])],
  dropGroupMember: [c(['devs', 'bob'])],
  getGroupMembers: [c(['devs']), c(['alice'])],
  getUserGroups: [c(['alice'])],
  createAPIToken: [c([], { name: 'ci' }), c(['bob'], undefined, ['user'])],
  listAPITokens: [c(), c(['alice'], undefined, ['user', 'admin'])],
  revokeAPIToken: [c([1]), c([99])],
  // policy
  checkPolicy: [
    c(['sidetag', { number_of_tags: 3, tag: 'base-tag' }]),
    c(['nonesuch', {}], undefined, ['admin']),
  ],
  // hosts and channels
  addHost: [c(['builder2', ['x86_64', 'aarch64']]), c(['builder2', 'x86_64'], undefined, ['admin'])],
  editHost: [
    c(['builder2'], { description: 'second builder', capacity: 3.5 }),
    c(['builder2'], { bogus: 1 }, ['admin']),
  ],
  enableHost: [c(['builder2'])],
  disableHost: [c(['builder2'])],
  getHost: [c(['builder1']), c([1], { strict: true }), c(['nohost'], { strict: true })],
  listHosts: [c(), c([], { arches: ['x86_64'], enabled: true })],
  addHostToChannel: [c(['builder2', 'special'], { create: true })],
  removeHostFromChannel: [c(['builder2', 'special'])],
  listChannels: [c(), c([], { hostID: 1 })],
  getChannel: [c(['default']), c(['nochannel'], { strict: true })],
  addChannel: [c(['extra-channel'], { description: 'for tests' })],
  editChannel: [c(['extra-channel'], { description: 'changed', enabled: false })],
  // tasks
  makeTask: [
    c(['sleep', [1]], { arch: 'noarch', priority: 10 }),
    c(['sleep', [1]], { bogus: true }, ['admin']),
  ],
  getTaskInfo: [c([1]), c([1], { request: true }), c([[1, 2, 999]]), c([999], { strict: true })],
  listTasks: [c(), c([{ state: [0, 1, 4], decode: true }, { order: 'priority,create_time' }])],
  taskFinished: [c([1]), c([5])],
  getTaskResult: [c([5]), c([1]), c([999])],
  getTaskChildren: [c([1]), c([1], { request: true })],
  getTaskRequest: [c([1])],
  cancelTask: [c([2])],
  listTaskOutput: [c([4]), c([4], { all_volumes: true }), c([4], { stat: true })],
  downloadTaskOutput: [
    c([4, 'runroot.log']),
    c([4, 'runroot.log'], { offset: 6, size: 4 }),
    c([4, 'nofile']),
  ],
  getBuildroot: [c([1]), c([99], { strict: true })],
  listBuildroots: [c([], { taskID: 1 }), c()],
  // the builder's side
  'host.getID': [c([], undefined, EVERYONE)],
  'host.updateHost': [c([0.5, true], undefined, EVERYONE)],
  'host.getTasks': [c([], undefined, EVERYONE)],
  // Answered at once: the first call has no generation; the second names one long past.
  'host.waitForTasks': [c([0], undefined, EVERYONE), c([0.01, -1], undefined, ['host'])],
  'host.openTask': [c([7], undefined, EVERYONE)],
  'host.setTaskWeight': [c([6, 2.5], undefined, EVERYONE)],
  'host.closeTask': [c([1, { ok: true }], undefined, EVERYONE)],
  'host.failTask': [c([3, { faultCode: 1012, faultString: 'the buildroot broke' }], undefined, EVERYONE)],
  'host.newBuildRoot': [c([null, 'x86_64'], { task_id: 6 }, EVERYONE)],
  'host.setBuildRootState': [c([1, 'BUILDING'], undefined, EVERYONE), c([1, 'EXPIRED'], undefined, ['host'])],
  'host.setBuildRootRetention': [c([1, '2026-02-01T00:00:00.000Z'], undefined, EVERYONE)],
  'host.buildRootRemoved': [c([2, 'cleaned up'], undefined, EVERYONE)],
  'host.uploadFile': [c([4, 'third.log', 0, b64('third\n')], undefined, EVERYONE)],
  'host.finishUpload': [c([4, 'second.log', SECOND.length, sha256(SECOND)], undefined, EVERYONE)],
  'host.uploadStatus': [c([4, 'third.log'], undefined, EVERYONE)],
  // sidetags
  cleanupSideTags: [c([], { test: true }), c([], { test: true, empty: false, old_delay: 0 }, ['admin'])],
  createSideTag: [
    c(['base-tag']),
    c(['base-tag'], { debuginfo: true, suffix: 'private' }, ['user']),
    c(['base-tag'], { suffix: 'nope' }, ['user']),
    c(['side-tag'], undefined, ['user']),
    c(['base-tag'], { label: 'pr-1' }, ['user', 'user']),
    c([null], { target: 'base-target' }, ['user']),
  ],
  editSideTag: [
    c([SIDETAG], { debuginfo: true, rpm_macros: { dist: '.fc40' } }),
    c([SIDETAG], { rpm_macros: { optflags: '-O0' } }, ['user']),
    c([SIDETAG], { remove_rpm_macros: ['dist'] }, ['user']),
  ],
  holdSideTag: [c([SIDETAG, 'keeping it for a test'])],
  addSideTagOwner: [c([SIDETAG, 'admin'])],
  // The user's sidetag createSideTag made with the suffix (tag id 6): SIDETAG is removed by then.
  removeSideTagOwner: [c([SIDETAG, 'admin'], undefined, ['user']), c(['base-tag-side-6-private', 'admin'])],
  setSideTagExpiry: [
    c(['base-tag-side-6-private', 7]),
    c(['base-tag-side-6-private'], { days: null }, ['user']),
  ],
  transferSideTag: [
    c(['base-tag', 'alice'], undefined, ['admin']),
    c(['base-tag-side-6-private', 'admin'], undefined, ['admin', 'user']),
  ],
  listSideTags: [
    c(),
    c([], { user: 'alice' }),
    c([], { basetag: 'base-tag', queryOpts: { countOnly: true } }),
  ],
  releaseSideTag: [c([SIDETAG])],
  removeSideTag: [c([SIDETAG]), c(['base-tag'], undefined, ['admin'])],
  // runroot
  runroot: [
    c(['base-tag', 'x86_64', ['echo', 'hi']], { packages: [], mounts: [], repo_id: null, weight: null }),
    c(['base-tag', 'x86_64', 'echo hi'], { channel: 'nochannel' }, ['admin']),
    c(['base-tag', 'bogus arch!', ['true']], undefined, ['admin']),
  ],
  // Task 10 is the runroot task made just above (no log yet); 4 is a sleep task.
  runrootLog: [c([10]), c([4]), c([999], { offset: 3 })],
  // save failed tree: buildroot 3's task failed (anonymous and alice are refused, admin succeeds);
  // buildroot 1's task did not fail; 99 does not exist
  saveFailedTree: [c([3]), c([1], undefined, ['admin']), c([99], { full: true }, ['admin'])],
  'host.treeArchived': [
    c([1, 'broot-1.tar.gz', 'DEFAULT', 10, sha256('x'), 1, [], [], []], undefined, EVERYONE),
  ],
  listFailedTrees: [c(), c([], { owner: 'alice', expired: false })],
  failedTreeGC: [c([], { dry_run: true })],
  // audit
  auditLog: [c([], { limit: 5 }), c([], { stream: 'user-2' }, ['admin'])],
  auditState: [
    c(['tag', 1]),
    c(() => ['task', 1, String(seedHead)], undefined, ['admin']),
    c(['user', 999], undefined, ['admin']),
  ],
  // The hub's first start is stamped with the real time, so the audit looks at the seed's events.
  auditExplain: [c(() => [String(seedHead)]), c(['999999'], undefined, ['admin'])],
  auditVerify: [c([], { projection: 'users' })],
  auditRebuild: [c(['nonesuch']), c(['session_locks'], undefined, ['admin'])],
  auditRebuildStatus: [c()],
  // tags, targets, builds, repos
  createTag: [
    c(['new-tag'], { parent: 'base-tag', arches: 'x86_64' }),
    c(['base-tag'], undefined, ['admin']),
  ],
  editTag2: [c(['side-tag'], { extra: { 'repo.auto': false }, locked: false })],
  deleteTag: [c(['new-tag'])],
  getTag: [c(['base-tag']), c([1], { strict: true }), c(['notag'], { strict: true })],
  listTags: [c(), c([], { pattern: 'base*' })],
  getInheritanceData: [c(['side-tag'])],
  readInheritanceData: [c([2])],
  getFullInheritance: [c(['side-tag']), c(['base-tag'], { reverse: true })],
  getBuildConfig: [c(['side-tag'])],
  createBuildTarget: [
    c(['new-target', 'side-tag', 'side-tag']),
    c(['other-target', 'side-tag', 'side-tag'], undefined, ['admin']),
  ],
  deleteBuildTarget: [c(['new-target']), c(['new-target'], undefined, ['admin'])],
  editBuildTarget: [c(['other-target', 'other-target2', 'side-tag', 'base-tag'])],
  getBuildTarget: [c(['base-target']), c(['notarget'], { strict: true })],
  getBuildTargets: [c(), c([], { buildTagID: 1 })],
  createEmptyBuild: [c(['pkg2', '2.0', '1', null])],
  getBuild: [c([BUILD]), c([1]), c(['nope-1-1'], { strict: true })],
  listBuilds: [c(), c([], { prefix: 'pkg' })],
  tagBuild: [c(['side-tag', BUILD])],
  untagBuild: [c(['side-tag', BUILD])],
  tagBuildBypass: [c(['side-tag', 'pkg2-2.0-1'])],
  untagBuildBypass: [c(['side-tag', 'pkg2-2.0-1'])],
  listTagged: [c(['base-tag']), c(['side-tag'], { inherit: true, latest: true })],
  tagLastChangeEvent: [c(['base-tag']), c(['side-tag'], { inherit: false })],
  newRepo: [c(['base-tag'])],
  getRepo: [c(['base-tag'])],
  repoInfo: [c([1]), c([99], { strict: true })],
  'repo.get': [c(['base-tag']), c(['base-tag'], { min_event: 1 })],
  'repo.request': [c(['base-tag'])],
  'repo.checkRequest': [c([1]), c([99])],
  // package lists (in name order: add, block, remove, set…, unblock)
  checkTagPackage: [c(['base-tag', 'pkg']), c(['notag', 'pkg'])],
  getPackage: [c(['pkg']), c(['nope'], { strict: true }), c(['newpkg', false, true])],
  getPackageConfig: [c(['side-tag', 'pkg'])],
  getPackageID: [c(['pkg']), c(['nope'], { strict: true })],
  listPackages: [c(), c([], { tagID: 'side-tag', inherited: true }), c([], { tagID: 'notag' })],
  listPackagesSimple: [c([], { prefix: 'P' })],
  packageListAdd: [c(['base-tag', 'pkg', 'alice']), c(['base-tag', 'pkg2', 'bob'], undefined, ['admin'])],
  packageListBlock: [c(['side-tag', 'pkg']), c(['side-tag', 'newpkg'], undefined, ['admin'])],
  packageListRemove: [c(['base-tag', 'pkg2'])],
  packageListSetArches: [c(['base-tag', 'pkg', 'i686 s390x'])],
  packageListSetOwner: [c(['base-tag', 'pkg', 'bob'])],
  packageListUnblock: [c(['side-tag', 'pkg'])],
};

/** Methods whose fixtures cannot succeed for any caller (each with the reason). */
const NEVER_SUCCEEDS: Record<string, string> = {
  'host.treeArchived':
    'it records the upload of an open saveFailedTree task, which the walk reaches only after it (test/failed-tree covers its success)',
};

const argsOf = (call: Call) => (typeof call.args === 'function' ? call.args() : call.args);

type Outcome = { result: unknown } | { fault: { faultCode: number; faultString: string } };

/** Values that are random by design (secrets, request ids) are compared by shape only. */
function normalize(v: unknown, key = ''): unknown {
  if (key === 'session-key' || key === 'token') return typeof v === 'string' ? '<secret>' : v;
  // listTaskOutput(stat=True) reports the files' real times, which differ between the two hubs.
  if (/^st_[acm]time$/.test(key)) return typeof v === 'number' ? '<file time>' : v;
  // auditRebuild reports how long it took.
  if (key === 'seconds') return typeof v === 'number' ? '<duration>' : v;
  if (typeof v === 'string')
    return v.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');
  if (Array.isArray(v)) return v.map((x) => normalize(x));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalize(x, k);
    return out;
  }
  return v;
}

interface Door {
  hub: TestHub;
  call(who: Identity, method: string, call: Call): Promise<Outcome>;
}

/** What both hubs are given before the walk, through the JSON door (setup is not under test). */
async function seed(h: TestHub): Promise<Record<Identity, Creds>> {
  const admin = h.admin;
  const as = <T>(creds: Creds, m: string, params: unknown[] = []) => h.call<T>(m, params, creds);
  await as(admin, 'createUser', ['alice']);
  await as(admin, 'setUserPassword', ['alice', 'alice-password']);
  await as(admin, 'createUser', ['bob']);
  await as(admin, 'newGroup', ['devs']);
  await as(admin, 'addGroupMember', ['devs', 'alice']);
  const user = await h.login('alice', 'alice-password');
  const spare = await h.login('alice', 'alice-password');
  assert.equal(spare.sessionId, SPARE_SESSION);
  await as(admin, 'addHost', ['builder1', ['x86_64']]);
  await as(admin, 'setUserPassword', ['builder1', 'builder-password']);
  const host = await h.login('builder1', 'builder-password');
  for (let i = 1; i <= 7; i++)
    await as(admin, 'makeTask', ['sleep', [i], { __starstar: true, arch: 'noarch' }]);
  for (const t of [1, 3, 4, 5, 6]) await as(host, 'host.openTask', [t]);
  await as(host, 'host.closeTask', [5, 'five']);
  await as(host, 'host.newBuildRoot', [null, 'x86_64', { __starstar: true, task_id: 1 }]);
  await as(host, 'host.newBuildRoot', [null, 'x86_64', { __starstar: true, task_id: 4 }]);
  // Buildroot 3 is task 3's, which host.failTask fails before saveFailedTree runs.
  await as(host, 'host.newBuildRoot', [null, 'x86_64', { __starstar: true, task_id: 3 }]);
  await as(host, 'host.uploadFile', [4, 'runroot.log', 0, b64(LOG)]);
  await as(host, 'host.finishUpload', [4, 'runroot.log', LOG.length, sha256(LOG)]);
  await as(host, 'host.uploadFile', [4, 'second.log', 0, b64(SECOND)]);
  await as(admin, 'createTag', [
    'base-tag',
    {
      __starstar: true,
      arches: 'x86_64',
      extra: { sidetag_debuginfo_allowed: true, sidetag_rpm_macros_allowed: 'dist*' },
    },
  ]);
  await as(admin, 'createTag', ['side-tag', { __starstar: true, parent: 'base-tag' }]);
  const st = await as<{ name: string }>(user, 'createSideTag', ['base-tag']);
  assert.equal(st.name, SIDETAG);
  await as(admin, 'createBuildTarget', ['base-target', 'base-tag', 'base-tag']);
  await as(admin, 'createEmptyBuild', ['pkg', '1.0', '1', null]);
  await as(admin, 'tagBuildBypass', ['base-tag', BUILD]);
  return { anonymous: {}, user, admin, host };
}

async function startDoor(kind: 'rpc' | 'kojihub', t0: number): Promise<Door> {
  const hub = await startTestHub({
    clock: new TestClock(t0),
    // The repo manager works on a timer; left on, the two hubs would interleave its writes differently.
    tweak: (cfg) => {
      cfg.hub.repoManager = false;
      // The seed's tasks are sleep tasks; saveFailedTree takes them so one of its calls succeeds.
      cfg.failedTree.allowedMethods = ['buildArch', 'runroot', 'sleep'];
    },
  });
  const creds = await seed(hub);
  if (kind === 'rpc') {
    return {
      hub,
      async call(who, m, call) {
        const args = argsOf(call);
        const params = call.kwargs ? [...args, { ...call.kwargs, __starstar: true }] : args;
        const r = await hub.rpc(m, params, creds[who]);
        assert.equal(r.status, 200);
        const e = r.body.error;
        if (e)
          return {
            fault: { faultCode: e.data!.faultCode as number, faultString: e.data!.faultString as string },
          };
        return { result: r.body.result };
      },
    };
  }
  const clients = {} as Record<Identity, XmlRpcClient>;
  for (const who of EVERYONE) {
    clients[who] = new XmlRpcClient(`${hub.url}/kojihub`);
    const s = creds[who];
    if (s.sessionId !== undefined)
      clients[who].session = { 'session-id': s.sessionId, 'session-key': s.sessionKey!, callnum: 0 };
  }
  return {
    hub,
    async call(who, m, call) {
      const r = await clients[who].send(m, argsOf(call), call.kwargs);
      assert.equal(r.status, 200, `${m}: HTTP ${r.status}`);
      if (r.fault) return { fault: r.fault };
      return { result: r.result as XmlRpcValue };
    },
  };
}

let rpc: Door;
let kojihub: Door;
/** The Koji event id of the seed's last event (the same on both hubs). */
let seedHead = 0;

before(async () => {
  const t0 = Date.parse('2026-01-15T10:00:00.000Z');
  [rpc, kojihub] = await Promise.all([startDoor('rpc', t0), startDoor('kojihub', t0)]);
  const events = rpc.hub.hub.backend.events;
  seedHead = events.positionOf((await events.headCheckpoint())!);
});
after(async () => {
  await Promise.all([rpc?.hub.close(), kojihub?.hub.close()]);
});

test('every registered method has a two-doors fixture', () => {
  const names = rpc.hub.hub.app
    .get(MethodRegistry)
    .list()
    .map((d) => d.name);
  const missing = names.filter((n) => !(n in FIXTURES));
  const stale = Object.keys(FIXTURES).filter((n) => !names.includes(n));
  if (missing.length)
    console.log(
      `# methods without a two-doors fixture (add them to FIXTURES in test/e2e/two-doors.test.ts): ${missing.join(', ')}`,
    );
  assert.deepEqual(missing, [], `methods without a two-doors fixture: ${missing.join(', ')}`);
  assert.deepEqual(stale, [], `fixtures for methods that are not registered: ${stale.join(', ')}`);
});

test('/rpc and /kojihub answer every method alike, for every kind of caller', async () => {
  const registry = rpc.hub.hub.app.get(MethodRegistry);
  const neverOk: string[] = [];
  let compared = 0;
  for (const d of registry.list()) {
    const calls = FIXTURES[d.name];
    if (!calls) continue;
    let succeeded = false;
    for (const call of calls) {
      for (const who of call.as ?? PEOPLE) {
        const viaRpc = await rpc.call(who, d.name, call);
        const viaKojihub = await kojihub.call(who, d.name, call);
        const label = `${d.name}(${JSON.stringify(argsOf(call)).slice(1, -1)}${call.kwargs ? `, **${JSON.stringify(call.kwargs)}` : ''}) as ${who}`;
        assert.deepEqual(normalize(viaKojihub), normalize(viaRpc), label);
        if ('result' in viaRpc) succeeded = true;
        if (process.env.TWO_DOORS_TRACE) console.log(`${label} → ${JSON.stringify(viaRpc).slice(0, 160)}`);
        compared++;
      }
    }
    if (!succeeded && !(d.name in NEVER_SUCCEEDS)) neverOk.push(d.name);
  }
  assert.deepEqual(
    neverOk,
    [],
    `no fixture call of these methods succeeds on either door, so only their faults were compared: ${neverOk.join(', ')}`,
  );
  assert.ok(compared > 300, `only ${compared} calls were compared`);
});

test('after the walk both hubs hold the same state and the identities still work', async () => {
  for (const who of ['user', 'admin', 'host'] as Identity[]) {
    const a = await rpc.call(who, 'getLoggedInUser', c());
    const b = await kojihub.call(who, 'getLoggedInUser', c());
    assert.deepEqual(b, a);
    assert.ok('result' in a && a.result !== null, `${who} is still logged in`);
  }
  const head = async (d: Door) =>
    d.hub.hub.backend.events.positionOf((await d.hub.hub.backend.events.headCheckpoint())!);
  assert.equal(await head(kojihub), await head(rpc), 'both logs have the same length');
});
