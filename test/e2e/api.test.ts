// End-to-end tests of the API surface (issue 3): every method of the users, introspection and policy
// contracts over HTTP against a real hub on a temporary SQLite store — results in Koji's shapes, bad
// parameters with Python's TypeError texts, access rules, sessions, tokens, the login throttle and the
// JSON-RPC protocol itself.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as openRpcMetaSchema from '@open-rpc/meta-schema';
import { Ajv, type ValidateFunction } from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import { loadHubConfig } from 'koji-es/config/hub-config';
import { startHub } from 'koji-es/hub';
import { policyContract } from 'koji-es/modules/policy/policy.contract';
import { usersContract } from 'koji-es/modules/users/users.contract';
import { bindArgs } from 'koji-es/rpc/binding';
import { introspectionContract } from 'koji-es/rpc/introspection';
import { method } from 'koji-es/rpc/method';
import {
  REPO_ROOT,
  startTestHub,
  TestClock,
  type Creds,
  type RpcReply,
  type TestHub,
} from '../helpers/hub.js';
import { assertNoStack, CheckedApi, type RpcError } from '../helpers/checked-api.js';
import { tempDir } from '../helpers/tmp.js';

interface UserInfo {
  id: number;
  name: string;
  status: number;
  usertype: number;
  krb_principals?: string[];
  groups?: string[];
}

interface Session {
  'session-id': number;
  'session-key': string;
  'header-auth': boolean;
}

interface TokenRow {
  id: number;
  user_id: number;
  user_name: string;
  name: string | null;
  created: string;
  expires: string | null;
  revoked: boolean;
}

interface ListApiEntry {
  name: string;
  doc: string;
  args: (string | [string, unknown])[];
}

interface PolicyVerdict {
  policy: string;
  allowed: boolean;
  result: string;
  reason: string;
  trail: { line: number; rule: string }[];
  trace: string;
  missing: boolean;
}

const ALL_METHODS = [...usersContract, ...introspectionContract, ...policyContract];

/** Methods that returned a successful result somewhere in this file (the last test checks all were). */
const exercised = new Set<string>();

const sessionCreds = (s: Session): Creds => ({ sessionId: s['session-id'], sessionKey: s['session-key'] });

/** Calls with the assertions every reply must pass, and the users' own steps. */
class Api extends CheckedApi {
  constructor(h: TestHub) {
    super(h, exercised);
  }

  async login(user: string, password: string, creds?: Creds): Promise<Creds> {
    return sessionCreds(await this.ok<Session>('login', [user, password], creds));
  }

  async addUser(name: string, password: string | null = null): Promise<number> {
    const id = await this.ok<number>('createUser', [name], this.h.admin);
    if (password !== null) await this.ok('setUserPassword', [id, password], this.h.admin);
    return id;
  }
}

/**
 * The OpenRPC meta-schema refers to https://meta.json-schema.tools (the json-schema-tools meta-schema,
 * a draft-07 JSON Schema meta-schema) for every schema it contains; that package is not installed, so
 * ajv's own draft-07 meta-schema stands in for it under that id (nothing is fetched).
 */
function openRpcValidator(): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const {
    $schema: _s,
    $id: _i,
    ...d7
  } = draft07 as Record<string, unknown> & { definitions: Record<string, unknown> };
  const tools = {
    ...d7,
    definitions: {
      ...d7.definitions,
      JSONSchemaObject: { type: 'object', properties: { $ref: { type: 'string', format: 'uri-reference' } } },
    },
  };
  ajv.addSchema({ ...tools, $id: 'https://meta.json-schema.tools/' });
  ajv.addSchema({ $id: 'https://meta.json-schema.tools', $ref: 'https://meta.json-schema.tools/' });
  // The package's typings declare only types; its runtime export is the meta-schema document.
  const { openrpcDocument } = openRpcMetaSchema as unknown as { openrpcDocument: Record<string, unknown> };
  const { $schema: _m, ...meta } = openrpcDocument;
  return ajv.compile(meta);
}

describe('API end to end (SQLite store)', () => {
  let h: TestHub;
  let api: Api;
  let bob: Creds;
  let carol: Creds;
  let bobId: number;
  let carolId: number;

  before(async () => {
    h = await startTestHub({ clock: new TestClock() });
    api = new Api(h);
    bobId = await api.addUser('bob', 'bob-password');
    carolId = await api.addUser('carol', 'carol-password');
    bob = await api.login('bob', 'bob-password');
    carol = await api.login('carol', 'carol-password');
  });
  after(async () => {
    await h?.close();
  });

  describe('introspection', () => {
    test('hello, getAPIVersion and getKojiVersion (dotted integers only)', async () => {
      assert.equal(await api.ok('hello'), 'Hello World');
      assert.equal(await api.ok('getAPIVersion'), 1);
      const v = await api.ok<string>('getKojiVersion');
      assert.match(v, /^\d+\.\d+\.\d+$/);
    });

    test("_listapi: Koji's shape (name, doc, args with [name, default] pairs), every declared method", async () => {
      const list = await api.ok<ListApiEntry[]>('_listapi');
      const names = list.map((e) => e.name);
      for (const d of ALL_METHODS) assert.ok(names.includes(d.name), `_listapi lacks ${d.name}`);
      assert.equal(new Set(names).size, names.length, 'no method listed twice');
      for (const e of list) {
        assert.equal(typeof e.doc, 'string');
        assert.ok(e.doc.length > 0, `${e.name} has a doc`);
        assert.ok(Array.isArray(e.args));
      }
      const createUser = list.find((e) => e.name === 'createUser')!;
      assert.deepEqual(createUser.args, ['username', ['status', null], ['krb_principal', null]]);
      assert.match(createUser.doc, /admin/);
      const login = list.find((e) => e.name === 'login')!;
      assert.deepEqual(login.args, [
        'user',
        'password',
        ['opts', null],
        ['renew', false],
        ['exclusive', false],
      ]);
      assert.deepEqual(list.find((e) => e.name === 'hello')!.args, []);
    });

    test('system.listMethods names every method _listapi lists', async () => {
      const names = await api.ok<string[]>('system.listMethods');
      const listed = (await api.ok<ListApiEntry[]>('_listapi')).map((e) => e.name);
      assert.deepEqual([...names].sort(), [...listed].sort());
      assert.ok(names.includes('system.methodHelp'));
    });

    test("system.methodHelp: the signature with Python defaults, then the description; '' for an unknown method", async () => {
      const help = await api.ok<string>('system.methodHelp', ['createUser']);
      const [sig, desc] = help.split('\n');
      assert.equal(sig, 'createUser(username, status=None, krb_principal=None)');
      assert.match(desc, /^description: .*Access: the admin permission/);
      assert.equal(
        (await api.ok<string>('system.methodHelp', { method: 'login' })).split('\n')[0],
        'login(user, password, opts=None, renew=False, exclusive=False)',
      );
      assert.equal(await api.ok<string>('system.methodHelp', ['nope']), '');
    });

    test('rpc.discover is a valid OpenRPC document (meta-schema) describing every method', async () => {
      const validate = openRpcValidator();
      const doc = await api.ok<{
        openrpc: string;
        methods: {
          name: string;
          params: { name: string; required: boolean; schema: Record<string, unknown> }[];
        }[];
      }>('rpc.discover');
      assert.equal(validate(doc), true, JSON.stringify(validate.errors, null, 2));
      const names = await api.ok<string[]>('system.listMethods');
      assert.deepEqual(doc.methods.map((m) => m.name).sort(), [...names].sort());
      const cu = doc.methods.find((m) => m.name === 'createUser')!;
      assert.deepEqual(
        cu.params.map((p) => [p.name, p.required]),
        [
          ['username', true],
          ['status', false],
          ['krb_principal', false],
        ],
      );
      assert.equal(cu.params[0].schema.type, 'string');
      // The validator is real: a broken document fails it.
      const broken = structuredClone(doc);
      broken.methods[0].params = [{ name: 'x', required: true, schema: { type: 5 } }];
      assert.equal(validate(broken), false);
      assert.equal(validate({ openrpc: '9.9', info: {}, methods: [] }), false);
    });
  });

  describe('users', () => {
    test('createUser returns the new id; getUser finds it by id, name, principal or dict', async () => {
      const id = await api.ok<number>('createUser', ['dave', null, 'dave@EXAMPLE.COM'], h.admin);
      assert.ok(Number.isInteger(id) && id > 0);
      const expected: UserInfo = {
        id,
        name: 'dave',
        status: 0,
        usertype: 0,
        krb_principals: ['dave@EXAMPLE.COM'],
      };
      assert.deepEqual(await api.ok('getUser', [id]), expected);
      assert.deepEqual(await api.ok('getUser', ['dave']), expected);
      assert.deepEqual(await api.ok('getUser', ['dave@EXAMPLE.COM']), expected);
      assert.deepEqual(await api.ok('getUser', [{ name: 'dave' }]), expected);
      assert.deepEqual(await api.ok('getUser', [{ id }]), expected);
      assert.deepEqual(await api.ok('getUser', { userInfo: 'dave', krb_princs: false }), {
        id,
        name: 'dave',
        status: 0,
        usertype: 0,
      });
      assert.deepEqual(await api.ok('getUser', ['dave', false, true, true]), { ...expected, groups: [] });
    });

    test('getUser: None for nobody, strict raises GenericError, no userInfo means the caller', async () => {
      assert.equal(await api.ok('getUser', ['nobody']), null);
      await api.fault('getUser', ['nobody', true], undefined, 'GenericError', "No such user: 'nobody'");
      await api.fault(
        'getUser',
        { userInfo: 999, strict: true },
        undefined,
        'GenericError',
        'No such user: 999',
      );
      assert.equal(await api.ok('getUser', []), null);
      assert.equal((await api.ok<UserInfo>('getUser', [], bob)).name, 'bob');
    });

    test('createUser: blocked status, duplicate names, invalid names', async () => {
      const id = await api.ok<number>('createUser', ['erin', 1], h.admin);
      assert.equal((await api.ok<UserInfo>('getUser', [id])).status, 1);
      await api.fault('createUser', ['erin'], h.admin, 'GenericError', 'user already exists: erin');
      await api.fault('createUser', ['has space'], h.admin, 'GenericError', /does not match/);
      await api.badParams(
        'createUser',
        ['frank', 2],
        h.admin,
        /status must be 0 \(normal\) or 1 \(blocked\)/,
        'status',
      );
    });

    test('listUsers: normal users by default, groups by type, prefix, permission and queryOpts', async () => {
      const users = await api.ok<UserInfo[]>('listUsers');
      assert.ok(users.every((u) => u.usertype === 0));
      for (const n of ['admin', 'bob', 'carol'])
        assert.ok(
          users.some((u) => u.name === n),
          n,
        );
      assert.deepEqual(
        (await api.ok<UserInfo[]>('listUsers', { prefix: 'car' })).map((u) => u.name),
        ['carol'],
      );
      assert.deepEqual(
        (await api.ok<UserInfo[]>('listUsers', { perm: 'admin' })).map((u) => u.name),
        ['admin'],
      );
      assert.equal(await api.ok('listUsers', { queryOpts: { countOnly: true } }), users.length);
      const desc = await api.ok<UserInfo[]>('listUsers', [0, null, { order: '-id', limit: 2 }]);
      assert.equal(desc.length, 2);
      assert.ok(desc[0].id > desc[1].id);
      await api.ok('newGroup', ['listed-group'], h.admin);
      const groups = await api.ok<UserInfo[]>('listUsers', [2]);
      assert.ok(groups.some((g) => g.name === 'listed-group' && g.usertype === 2));
      await api.badParams(
        'listUsers',
        { queryOpts: { limit: -1 } },
        undefined,
        /queryOpts\.limit/,
        'queryOpts.limit',
      );
    });

    test('enableUser / disableUser change the status (None result); unknown users are GenericError', async () => {
      const id = await api.addUser('gina');
      assert.equal(await api.ok('disableUser', ['gina'], h.admin), null);
      assert.equal((await api.ok<UserInfo>('getUser', [id])).status, 1);
      assert.equal(await api.ok('enableUser', [id], h.admin), null);
      assert.equal((await api.ok<UserInfo>('getUser', [id])).status, 0);
      await api.fault('disableUser', ['nobody'], h.admin, 'GenericError', "No such user: 'nobody'");
    });

    test('a blocked user can neither log in, nor use a token, nor an existing session', async () => {
      await api.addUser('hank', 'hank-password');
      const session = await api.login('hank', 'hank-password');
      const { token } = await api.ok<{ id: number; token: string }>('createAPIToken', [], session);
      assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], { token })).name, 'hank');
      await api.ok('disableUser', ['hank'], h.admin);
      await api.fault(
        'login',
        ['hank', 'hank-password'],
        undefined,
        'AuthError',
        'logins by hank are blocked',
      );
      // A wrong password says nothing about the block.
      await api.fault(
        'login',
        ['hank', 'wrong-password'],
        undefined,
        'AuthError',
        'invalid username or password',
      );
      await api.fault('getLoggedInUser', [], { token }, 'AuthError', 'user hank is blocked');
      await api.fault('getLoggedInUser', [], session, 'AuthError', 'logins by hank are blocked');
      await api.fault('hello', [], session, 'AuthError', 'logins by hank are blocked');
      await api.ok('enableUser', ['hank'], h.admin);
      assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], session)).name, 'hank');
      assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], { token })).name, 'hank');
    });
  });

  describe('login, logout, passwords', () => {
    test("login returns Koji's session-id and session-key; the headers authenticate; getLoggedInUser", async () => {
      const s = await api.ok<Session>('login', ['bob', 'bob-password']);
      assert.ok(Number.isInteger(s['session-id']));
      assert.equal(typeof s['session-key'], 'string');
      assert.ok(s['session-key'].length >= 20);
      const me = await api.ok<UserInfo & { authtype_name: string }>('getLoggedInUser', [], sessionCreds(s));
      assert.equal(me.id, bobId);
      assert.equal(me.name, 'bob');
      assert.equal(me.authtype_name, 'session');
      assert.equal(await api.ok('getLoggedInUser'), null);
    });

    test('login fails with the same text for an unknown user and a wrong password', async () => {
      const a = await api.fault('login', ['no-such-user', 'whatever-password'], undefined, 'AuthError', /./);
      const b = await api.fault('login', ['bob', 'wrong-password'], undefined, 'AuthError', /./);
      assert.equal(a.message, b.message);
      assert.equal(a.message, 'invalid username or password');
      assert.doesNotMatch(a.message, /no-such-user|exist/);
    });

    test('a second login on a live session is refused; a wrong key is AuthError', async () => {
      await api.fault('login', ['bob', 'bob-password'], bob, 'AuthError', 'Already logged in');
      await api.fault(
        'getLoggedInUser',
        [],
        { sessionId: bob.sessionId, sessionKey: 'not-the-key' },
        'AuthError',
        'Invalid session or bad credentials',
      );
      await api.fault(
        'hello',
        [],
        { sessionId: 424242, sessionKey: 'x' },
        'AuthError',
        'Invalid session or bad credentials',
      );
    });

    test("logout ends the caller's session; others' sessions only for admin", async () => {
      const s = await api.login('carol', 'carol-password');
      const other = await api.login('carol', 'carol-password');
      await api.fault(
        'logout',
        [other.sessionId],
        bob,
        'ActionNotAllowed',
        `session ${other.sessionId} belongs to another user`,
      );
      assert.equal(await api.ok('logout', [], s), null);
      await api.fault('getLoggedInUser', [], s, 'AuthError', 'Invalid session or bad credentials');
      assert.equal(await api.ok('logout', [other.sessionId], h.admin), null);
      await api.fault('getLoggedInUser', [], other, 'AuthError', 'Invalid session or bad credentials');
      assert.equal(await api.ok('logout'), null, 'anonymous logout is a no-op');
      await api.fault('logout', [99999], h.admin, 'GenericError', 'No such session: 99999');
    });

    test('setUserPassword: the user themself or an admin, never another user', async () => {
      const id = await api.addUser('ivan', 'ivan-password');
      const ivan = await api.login('ivan', 'ivan-password');
      assert.equal(await api.ok('setUserPassword', ['ivan', 'ivan-new-password'], ivan), null);
      await api.fault(
        'login',
        ['ivan', 'ivan-password'],
        undefined,
        'AuthError',
        'invalid username or password',
      );
      await api.login('ivan', 'ivan-new-password');
      await api.fault(
        'setUserPassword',
        ['carol', 'stolen-password'],
        ivan,
        'ActionNotAllowed',
        'only an admin may set the password of another user (logged in as ivan)',
      );
      await api.login('carol', 'carol-password');
      assert.equal(
        await api.ok('setUserPassword', { userInfo: id, password: 'set-by-admin' }, h.admin),
        null,
      );
      await api.login('ivan', 'set-by-admin');
      await api.badParams(
        'setUserPassword',
        ['ivan', 'short'],
        ivan,
        /password must be between 8 and 1024/,
        'password',
      );
      await api.fault(
        'setUserPassword',
        ['nobody', 'long-enough'],
        h.admin,
        'GenericError',
        "No such user: 'nobody'",
      );
    });
  });

  describe('permissions and groups', () => {
    test('grantPermission: an existing permission, a new one only with create=True; revokePermission', async () => {
      await api.addUser('judy');
      assert.equal(await api.ok('grantPermission', ['judy', 'runroot'], h.admin), null);
      assert.deepEqual(await api.ok('getUserPerms', ['judy']), ['runroot']);
      await api.fault(
        'grantPermission',
        ['judy', 'runroot'],
        h.admin,
        'GenericError',
        'user judy already has permission: runroot',
      );
      await api.fault(
        'grantPermission',
        ['judy', 'frobnicate'],
        h.admin,
        'GenericError',
        /^No such permission: frobnicate/,
      );
      assert.ok(!(await api.ok<{ name: string }[]>('getAllPerms')).some((p) => p.name === 'frobnicate'));
      assert.equal(
        await api.ok(
          'grantPermission',
          ['judy', 'frobnicate', { create: true, description: 'frobs things', __starstar: true }],
          h.admin,
        ),
        null,
      );
      const all = await api.ok<{ id: number; name: string; description: string | null }[]>('getAllPerms');
      const frob = all.find((p) => p.name === 'frobnicate');
      assert.ok(frob && Number.isInteger(frob.id));
      assert.equal(frob.description, 'frobs things');
      for (const seeded of ['admin', 'host', 'repo', 'runroot', 'sidetag_admin'])
        assert.ok(
          all.some((p) => p.name === seeded),
          seeded,
        );
      assert.deepEqual(await api.ok('getUserPerms', ['judy']), ['frobnicate', 'runroot']);
      assert.equal(await api.ok('revokePermission', ['judy', 'runroot'], h.admin), null);
      assert.deepEqual(await api.ok('getUserPerms', ['judy']), ['frobnicate']);
      await api.fault(
        'revokePermission',
        ['judy', 'runroot'],
        h.admin,
        'GenericError',
        'user judy does not have permission: runroot',
      );
      await api.fault(
        'revokePermission',
        ['judy', 'never-made'],
        h.admin,
        'GenericError',
        'No such permission: never-made',
      );
    });

    test('getPerms: the caller’s permissions (empty when anonymous); getUserPerms defaults to the caller', async () => {
      assert.deepEqual(await api.ok('getPerms', [], h.admin), ['admin']);
      assert.deepEqual(await api.ok('getPerms'), []);
      assert.deepEqual(await api.ok('getUserPerms', [], h.admin), ['admin']);
      assert.deepEqual(await api.ok('getUserPerms'), []);
    });

    test('groups: members, the groups of a user, and group permissions inherited one level', async () => {
      const gid = await api.ok<number>('newGroup', ['packagers'], h.admin);
      assert.ok(Number.isInteger(gid));
      await api.fault('newGroup', ['packagers'], h.admin, 'GenericError', 'user already exists: packagers');
      assert.equal(await api.ok('addGroupMember', ['packagers', 'bob'], h.admin), null);
      assert.equal(await api.ok('addGroupMember', [gid, carolId], h.admin), null);
      await api.fault(
        'addGroupMember',
        ['packagers', 'bob'],
        h.admin,
        'GenericError',
        'User bob is already a member of group packagers',
      );
      await api.fault('addGroupMember', ['bob', 'carol'], h.admin, 'GenericError', 'Not a group: bob');
      const members = await api.ok<UserInfo[]>('getGroupMembers', ['packagers']);
      assert.deepEqual(
        members.map((m) => m.name),
        ['bob', 'carol'],
      );
      assert.deepEqual(members[0], { id: bobId, name: 'bob', status: 0, usertype: 0, krb_principals: [] });
      assert.deepEqual(await api.ok('getUserGroups', ['bob']), [{ id: gid, name: 'packagers' }]);
      assert.deepEqual((await api.ok<UserInfo>('getUser', { userInfo: 'bob', groups: true })).groups, [
        'packagers',
      ]);
      assert.equal((await api.ok<UserInfo>('getUser', ['packagers'])).usertype, 2);

      await api.ok('grantPermission', ['packagers', 'sidetag_admin'], h.admin);
      // Credentials are resolved per request: bob's existing session sees the group's permission.
      assert.deepEqual(await api.ok('getPerms', [], bob), ['sidetag_admin']);
      assert.deepEqual(await api.ok('getUserPerms', ['bob']), ['sidetag_admin']);
      assert.deepEqual(await api.ok('getUserPerms', ['bob', false]), []);
      assert.deepEqual(
        (await api.ok<UserInfo[]>('listUsers', { perm: 'sidetag_admin', inherited_perm: true })).map(
          (u) => u.name,
        ),
        ['bob', 'carol'],
      );
      assert.deepEqual(await api.ok('listUsers', { perm: 'sidetag_admin' }), []);

      assert.equal(await api.ok('dropGroupMember', ['packagers', 'bob'], h.admin), null);
      assert.deepEqual(await api.ok('getUserGroups', ['bob']), []);
      assert.deepEqual(await api.ok('getPerms', [], bob), []);
      assert.deepEqual(
        (await api.ok<UserInfo[]>('getGroupMembers', [gid])).map((m) => m.name),
        ['carol'],
      );
      await api.fault('getGroupMembers', ['bob'], undefined, 'GenericError', 'Not a group: bob');
      await api.ok('revokePermission', ['packagers', 'sidetag_admin'], h.admin);
      await api.ok('dropGroupMember', ['packagers', 'carol'], h.admin);
    });

    test("a group's admin permission makes its members admins", async () => {
      await api.ok('newGroup', ['admins'], h.admin);
      await api.addUser('kate', 'kate-password');
      const kate = await api.login('kate', 'kate-password');
      await api.fault(
        'createUser',
        ['made-by-kate'],
        kate,
        'ActionNotAllowed',
        'admin permission required (logged in as kate)',
      );
      await api.ok('grantPermission', ['admins', 'admin'], h.admin);
      await api.ok('addGroupMember', ['admins', 'kate'], h.admin);
      assert.ok(Number.isInteger(await api.ok('createUser', ['made-by-kate'], kate)));
    });
  });

  describe('API tokens', () => {
    test('createAPIToken returns {id, token} once; the Bearer token authenticates', async () => {
      const t = await api.ok<{ id: number; token: string }>('createAPIToken', [null, 'laptop'], bob);
      assert.deepEqual(Object.keys(t).sort(), ['id', 'token']);
      const me = await api.ok<UserInfo & { authtype_name: string }>('getLoggedInUser', [], {
        token: t.token,
      });
      assert.equal(me.name, 'bob');
      assert.equal(me.authtype_name, 'token');
      await api.fault(
        'hello',
        [],
        { token: 'kojies_1_not-a-real-token-at-all-xx' },
        'AuthError',
        'Invalid API token',
      );
      await api.fault('hello', [], { token: 'garbage' }, 'AuthError', 'Invalid API token');
    });

    test('listAPITokens never returns a secret or a hash; others’ tokens only for admin', async () => {
      const t = await api.ok<{ id: number; token: string }>('createAPIToken', { name: 'ci' }, carol);
      const rows = await api.ok<TokenRow[]>('listAPITokens', [], carol);
      const row = rows.find((r) => r.id === t.id);
      assert.ok(row);
      assert.deepEqual(Object.keys(row).sort(), [
        'created',
        'expires',
        'id',
        'name',
        'revoked',
        'user_id',
        'user_name',
      ]);
      assert.equal(row.name, 'ci');
      assert.equal(row.user_name, 'carol');
      assert.equal(row.revoked, false);
      assert.equal(row.expires, null);
      const text = JSON.stringify(rows);
      assert.ok(!text.includes(t.token), 'the token itself');
      assert.ok(!text.includes(t.token.split('_').slice(2).join('_')), 'its secret');
      assert.doesNotMatch(text, /[0-9a-f]{64}|hash/i, 'no hash');
      const byAdmin = await api.ok<TokenRow[]>('listAPITokens', ['carol'], h.admin);
      assert.ok(byAdmin.some((r) => r.id === t.id));
      assert.doesNotMatch(JSON.stringify(byAdmin), /[0-9a-f]{64}|hash/i);
      await api.fault(
        'listAPITokens',
        ['carol'],
        bob,
        'ActionNotAllowed',
        'only an admin may list the API tokens of another user (logged in as bob)',
      );
      assert.ok(
        !(await api.ok<TokenRow[]>('listAPITokens', ['bob'], bob)).some((r) => r.user_name !== 'bob'),
      );
    });

    test('an admin creates tokens for others; a user cannot; groups cannot have tokens', async () => {
      const t = await api.ok<{ id: number; token: string }>(
        'createAPIToken',
        ['carol', 'for-carol'],
        h.admin,
      );
      assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], { token: t.token })).name, 'carol');
      await api.fault(
        'createAPIToken',
        ['carol'],
        bob,
        'ActionNotAllowed',
        'only an admin may create an API token for another user (logged in as bob)',
      );
      await api.ok('newGroup', ['tokenless'], h.admin);
      await api.fault(
        'createAPIToken',
        ['tokenless'],
        h.admin,
        'GenericError',
        'tokenless is a group; groups cannot authenticate',
      );
    });

    test('revokeAPIToken: by the owner or an admin; a revoked token is refused', async () => {
      const t = await api.ok<{ id: number; token: string }>('createAPIToken', [], bob);
      await api.fault(
        'revokeAPIToken',
        [t.id],
        carol,
        'ActionNotAllowed',
        `API token ${t.id} belongs to another user (logged in as carol)`,
      );
      assert.equal(await api.ok('revokeAPIToken', [t.id], bob), null);
      await api.fault(
        'getLoggedInUser',
        [],
        { token: t.token },
        'AuthError',
        `API token ${t.id} has been revoked`,
      );
      await api.fault('hello', [], { token: t.token }, 'AuthError', `API token ${t.id} has been revoked`);
      assert.equal(
        (await api.ok<TokenRow[]>('listAPITokens', [], bob)).find((r) => r.id === t.id)?.revoked,
        true,
      );
      await api.fault('revokeAPIToken', [t.id], bob, 'GenericError', `API token ${t.id} is already revoked`);
      await api.fault('revokeAPIToken', [99999], h.admin, 'GenericError', 'No such API token: 99999');
      const t2 = await api.ok<{ id: number; token: string }>('createAPIToken', [], carol);
      assert.equal(await api.ok('revokeAPIToken', { id: t2.id }, h.admin), null);
      await api.fault('hello', [], { token: t2.token }, 'AuthError', `API token ${t2.id} has been revoked`);
    });

    test('createAPIToken: expires in seconds or ISO time; past, malformed or absurd values are ParameterError', async () => {
      const t = await api.ok<{ id: number; token: string }>('createAPIToken', { expires: 3600 }, bob);
      const row = (await api.ok<TokenRow[]>('listAPITokens', [], bob)).find((r) => r.id === t.id)!;
      assert.ok(row.expires && Date.parse(row.expires) > Date.parse(row.created));
      const iso = new Date(Date.now() + 86_400_000 * 30).toISOString();
      await api.ok('createAPIToken', { expires: iso }, bob);
      await api.fault(
        'createAPIToken',
        { expires: '2001-01-01T00:00:00Z' },
        bob,
        'ParameterError',
        /is in the past/,
      );
      await api.fault(
        'createAPIToken',
        { expires: 'tomorrow' },
        bob,
        'ParameterError',
        /is not an ISO 8601 time/,
      );
      await api.fault('createAPIToken', { expires: -5 }, bob, 'ParameterError', /expires must be/);
      await api.fault('createAPIToken', { expires: {} }, bob, 'ParameterError', /expires must be/);
      // Too far for any date: refused as a bad parameter, not an internal error.
      await api.fault('createAPIToken', { expires: 1e300 }, bob, 'ParameterError', /expires/);
    });
  });

  describe('access rules', () => {
    const adminOnly: [string, unknown[]][] = [
      ['createUser', ['someone']],
      ['enableUser', ['bob']],
      ['disableUser', ['bob']],
      ['grantPermission', ['bob', 'repo']],
      ['revokePermission', ['bob', 'repo']],
      ['newGroup', ['some-group']],
      ['addGroupMember', ['packagers', 'bob']],
      ['dropGroupMember', ['packagers', 'bob']],
      ['checkPolicy', ['sidetag', {}]],
    ];
    const loginOnly: [string, unknown[]][] = [
      ['setUserPassword', ['bob', 'new-password']],
      ['createAPIToken', []],
      ['listAPITokens', []],
      ['revokeAPIToken', [1]],
    ];

    test('every admin method: "admin permission required" naming the caller, or "(user not logged in)"', async () => {
      const carolToken = { token: (await api.ok<{ token: string }>('createAPIToken', [], carol)).token };
      for (const [m, params] of adminOnly) {
        await api.fault(m, params, bob, 'ActionNotAllowed', 'admin permission required (logged in as bob)');
        await api.fault(
          m,
          params,
          undefined,
          'ActionNotAllowed',
          'admin permission required (user not logged in)',
        );
        await api.fault(
          m,
          params,
          carolToken,
          'ActionNotAllowed',
          'admin permission required (logged in as carol)',
        );
      }
      assert.equal((await api.ok<UserInfo>('getUser', ['bob'])).status, 0, 'nothing happened');
      assert.deepEqual(await api.ok('getUserPerms', ['bob']), []);
    });

    test('every logged-in method: "you must be logged in for this operation"', async () => {
      for (const [m, params] of loginOnly)
        await api.fault(m, params, undefined, 'ActionNotAllowed', 'you must be logged in for this operation');
    });

    test('anonymous methods need no credentials', async () => {
      const anon = ALL_METHODS.filter((d) => d.access.kind === 'anonymous').map((d) => d.name);
      for (const m of [
        'hello',
        'getUser',
        'listUsers',
        'getAllPerms',
        'getGroupMembers',
        'login',
        'logout',
        'rpc.discover',
      ])
        assert.ok(anon.includes(m), m);
      const covered = new Set([...adminOnly, ...loginOnly].map(([m]) => m));
      for (const d of ALL_METHODS)
        if (d.access.kind !== 'anonymous') assert.ok(covered.has(d.name), `access of ${d.name} is tested`);
    });
  });

  describe('checkPolicy (dry run)', () => {
    test("the shipped sidetag policy: admin allowed, a plain user with 12 tags denied with Koji's reason and the line", async () => {
      const asAdmin = await api.ok<PolicyVerdict>(
        'checkPolicy',
        ['sidetag', { number_of_tags: 12 }],
        h.admin,
      );
      assert.equal(asAdmin.policy, 'sidetag');
      assert.equal(asAdmin.allowed, true);
      assert.equal(asAdmin.result, 'allow');
      assert.deepEqual(
        asAdmin.trail.map((s) => s.rule),
        ['has_perm admin sidetag_admin :: allow'],
      );
      const denied = await api.ok<PolicyVerdict>(
        'checkPolicy',
        { name: 'sidetag', data: { number_of_tags: 12, user_id: bobId } },
        h.admin,
      );
      assert.equal(denied.allowed, false);
      assert.equal(denied.result, 'deny');
      assert.match(denied.reason, /you already have 10 sidetags/);
      assert.equal(denied.trail.length, 1);
      assert.match(denied.trail[0].rule, /^compare number_of_tags >= 10 :: deny/);
      assert.ok(Number.isInteger(denied.trail[0].line) && denied.trail[0].line > 1);
      const few = await api.ok<PolicyVerdict>(
        'checkPolicy',
        ['sidetag', { number_of_tags: 3, user_id: bobId }],
        h.admin,
      );
      assert.equal(few.allowed, true);
      assert.deepEqual(
        few.trail.map((s) => s.rule),
        ['all :: allow'],
      );
      const missing = await api.ok<PolicyVerdict>('checkPolicy', ['no_such_policy', {}], h.admin);
      assert.equal(missing.missing, true);
      assert.equal(missing.allowed, true, 'MissingPolicyOk = true in the shipped hub.conf');
    });
  });

  describe('bad parameters', () => {
    const WRONG_TYPES: Record<string, { params: unknown[] | Record<string, unknown>; param: string }> = {
      login: { params: [5, 'password'], param: 'user' },
      logout: { params: ['x'], param: 'session_id' },
      createUser: { params: [5], param: 'username' },
      enableUser: { params: [true], param: 'username' },
      disableUser: { params: [[1]], param: 'username' },
      getUser: { params: { userInfo: 'admin', strict: 'yes' }, param: 'strict' },
      listUsers: { params: { userType: 7 }, param: 'userType' },
      setUserPassword: { params: ['bob', 12345678], param: 'password' },
      grantPermission: { params: ['bob', 'repo', 'yes'], param: 'create' },
      revokePermission: { params: ['bob', 5], param: 'permission' },
      getUserPerms: { params: ['bob', 1], param: 'with_groups' },
      newGroup: { params: [5], param: 'name' },
      addGroupMember: { params: ['packagers', -1], param: 'user' },
      dropGroupMember: { params: [0, 'bob'], param: 'group' },
      getGroupMembers: { params: [null], param: 'group' },
      getUserGroups: { params: [{}], param: 'user' },
      createAPIToken: { params: [null, 5], param: 'name' },
      listAPITokens: { params: [3.5], param: 'userInfo' },
      revokeAPIToken: { params: ['x'], param: 'id' },
      'system.methodHelp': { params: [5], param: 'method' },
      checkPolicy: { params: ['sidetag', 'x'], param: 'data' },
    };

    test('wrong types: -32602, ParameterError 1019, naming the parameter', async () => {
      for (const d of ALL_METHODS) {
        if (d.args.length === 0) continue;
        const bad = WRONG_TYPES[d.name];
        assert.ok(bad, `add a wrong-type case for ${d.name}`);
        await api.badParams(
          d.name,
          bad.params,
          h.admin,
          new RegExp(`^invalid parameter ${bad.param.replace('.', '\\.')} of ${d.name}: `),
          bad.param,
        );
      }
    });

    test('a wrong type is reported as a wrong type, not as a violated range', async () => {
      await api.badParams(
        'createUser',
        [5],
        h.admin,
        'invalid parameter username of createUser: username must be a string, got 5',
        'username',
      );
      await api.badParams(
        'revokeAPIToken',
        ['x'],
        h.admin,
        "invalid parameter id of revokeAPIToken: id must be an integer, got 'x'",
        'id',
      );
      await api.badParams(
        'revokeAPIToken',
        [0],
        h.admin,
        'invalid parameter id of revokeAPIToken: id must be at least 1, got 0',
        'id',
      );
    });

    test("unexpected keyword arguments, for every method, with Python's TypeError text", async () => {
      for (const d of ALL_METHODS)
        await api.badParams(
          d.name,
          { x: 1 },
          h.admin,
          `${d.name}() got an unexpected keyword argument 'x'`,
          'x',
        );
      await api.badParams(
        'createUser',
        ['u', { x: 1, __starstar: true }],
        h.admin,
        "createUser() got an unexpected keyword argument 'x'",
      );
    });

    test("too many positional arguments, for every method, with Python's TypeError text", async () => {
      for (const d of ALL_METHODS) {
        const params = Array.from({ length: d.args.length + 1 }, (_, i) => i + 1);
        await api.badParams(
          d.name,
          params,
          h.admin,
          new RegExp(`^${d.name.replace('.', '\\.')}\\(\\) takes .* but ${params.length} (was|were) given$`),
        );
      }
      await api.badParams('hello', [1], undefined, 'hello() takes 0 positional arguments but 1 was given');
      await api.badParams(
        'revokeAPIToken',
        [1, 2],
        h.admin,
        'revokeAPIToken() takes 1 positional argument but 2 were given',
      );
      await api.badParams(
        'createUser',
        ['a', 0, null, 4],
        h.admin,
        'createUser() takes from 1 to 3 positional arguments but 4 were given',
      );
    });

    test("missing and doubled arguments with Python's TypeError text", async () => {
      for (const d of ALL_METHODS) {
        const required = d.args.filter((a) => !a.hasDefault);
        if (!required.length) continue;
        const e = await api.badParams(
          d.name,
          [],
          h.admin,
          new RegExp(
            `^${d.name.replace('.', '\\.')}\\(\\) missing ${required.length} required positional arguments?: '${required[0].name}'`,
          ),
        );
        assert.equal(e.data?.param, required[0].name);
      }
      await api.badParams(
        'createUser',
        [],
        h.admin,
        "createUser() missing 1 required positional argument: 'username'",
        'username',
      );
      await api.badParams(
        'setUserPassword',
        [],
        h.admin,
        "setUserPassword() missing 2 required positional arguments: 'userInfo' and 'password'",
      );
      await api.badParams(
        'login',
        { password: 'x' },
        undefined,
        "login() missing 1 required positional argument: 'user'",
        'user',
      );
      await api.badParams(
        'getUser',
        ['admin', { userInfo: 'bob', __starstar: true }],
        undefined,
        "getUser() got multiple values for argument 'userInfo'",
        'userInfo',
      );
    });

    test('Python texts for three or more missing arguments (bindArgs)', () => {
      class P {}
      const d = method({
        name: 'runroot',
        summary: 's',
        access: { kind: 'anonymous' },
        args: ['tagInfo', 'arch', 'command', ['channel', null]],
        params: P,
        result: {},
      });
      assert.throws(() => bindArgs(d, [], {}), {
        message: "runroot() missing 3 required positional arguments: 'tagInfo', 'arch', and 'command'",
      });
      assert.throws(() => bindArgs(d, ['t'], {}), {
        message: "runroot() missing 2 required positional arguments: 'arch' and 'command'",
      });
      assert.throws(() => bindArgs(d, [1, 2, 3, 4, 5], {}), {
        message: 'runroot() takes from 3 to 4 positional arguments but 5 were given',
      });
    });
  });

  describe('JSON-RPC protocol', () => {
    const post = async (body: unknown, creds?: Creds) => {
      const res = await h.post(typeof body === 'string' ? body : JSON.stringify(body), creds);
      const text = await res.text();
      assertNoStack(text);
      return { status: res.status, text, json: text ? (JSON.parse(text) as unknown) : undefined };
    };

    test('params by position, by name, and with Koji’s trailing {…, "__starstar": true}', async () => {
      const want = { id: 1, name: 'admin', status: 0, usertype: 0, groups: [] };
      assert.deepEqual(await api.ok('getUser', ['admin', false, false, true]), want);
      assert.deepEqual(await api.ok('getUser', { userInfo: 'admin', krb_princs: false, groups: true }), want);
      assert.deepEqual(
        await api.ok('getUser', ['admin', { krb_princs: false, groups: true, __starstar: true }]),
        want,
      );
      const r = await post({ jsonrpc: '2.0', id: 'str-id', method: 'hello' });
      assert.deepEqual(r.json, { jsonrpc: '2.0', id: 'str-id', result: 'Hello World' });
    });

    test('a batch: replies in order, mixed success and failure, one set of credentials for all', async () => {
      const r = await post(
        [
          { jsonrpc: '2.0', id: 1, method: 'getLoggedInUser' },
          { jsonrpc: '2.0', id: 2, method: 'createUser', params: ['batch-user'] },
          { jsonrpc: '2.0', id: 3, method: 'createUser', params: ['batch-user'] },
          { jsonrpc: '2.0', id: 4, method: 'nope' },
          { jsonrpc: '2.0', method: 'createUser', params: ['batch-notified'] },
          { jsonrpc: '2.0', id: 5, method: 'getUser', params: ['batch-user'] },
          { jsonrpc: '2.0', id: 6, method: 'createUser', params: [5] },
        ],
        h.admin,
      );
      assert.equal(r.status, 200);
      const replies = r.json as { id: number; result?: unknown; error?: RpcError }[];
      assert.deepEqual(
        replies.map((x) => x.id),
        [1, 2, 3, 4, 5, 6],
        'the notification gets no reply',
      );
      assert.equal((replies[0].result as UserInfo).name, 'admin');
      assert.equal(typeof replies[1].result, 'number');
      assert.equal(replies[2].error?.message, 'user already exists: batch-user');
      assert.equal(replies[3].error?.code, -32601);
      assert.equal((replies[4].result as UserInfo).name, 'batch-user');
      assert.equal(replies[5].error?.code, -32602);
      assert.ok(await api.ok('getUser', ['batch-notified']), 'the notification ran');
      // As bob, every call of the batch is bob's.
      const asBob = await post(
        [
          { jsonrpc: '2.0', id: 1, method: 'getLoggedInUser' },
          { jsonrpc: '2.0', id: 2, method: 'createUser', params: ['bob-made'] },
        ],
        bob,
      );
      const [me, denied] = asBob.json as { result?: UserInfo; error?: RpcError }[];
      assert.equal(me.result?.name, 'bob');
      assert.equal(denied.error?.message, 'admin permission required (logged in as bob)');
    });

    test('notifications: no reply; a batch of only notifications is HTTP 204', async () => {
      const one = await post({ jsonrpc: '2.0', method: 'createUser', params: ['notified-user'] }, h.admin);
      assert.equal(one.status, 204);
      assert.equal(one.text, '');
      assert.ok(await api.ok('getUser', ['notified-user']));
      const failing = await post({ jsonrpc: '2.0', method: 'nope' });
      assert.equal(failing.status, 204);
      const batch = await post([
        { jsonrpc: '2.0', method: 'hello' },
        { jsonrpc: '2.0', method: 'nope' },
      ]);
      assert.equal(batch.status, 204);
      assert.equal(batch.text, '');
    });

    test('a GET (or PUT, DELETE) of /rpc: 405 with Allow: POST and a JSON-RPC error, not a 404 page', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const r = await fetch(`${h.url}/rpc`, { method });
        assert.equal(r.status, 405, method);
        assert.equal(r.headers.get('allow'), 'POST');
        assert.deepEqual(await r.json(), {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: 'JSON-RPC 2.0 requests are POSTed to /rpc' },
        });
      }
      // POST still reaches the endpoint.
      assert.equal((await post({ jsonrpc: '2.0', id: 1, method: 'hello' })).status, 200);
    });

    test('-32700 parse error', async () => {
      for (const body of ['{bad json', '', '[{"jsonrpc": "2.0",']) {
        const r = await post(body);
        assert.equal(r.status, 200);
        const reply = r.json as { id: unknown; error: RpcError };
        assert.equal(reply.id, null);
        assert.equal(reply.error.code, -32700);
        assert.match(reply.error.message, /^parse error/);
      }
    });

    test('-32600 invalid request: bad jsonrpc, method not a string, bad params, bad id, empty batch, non-object call', async () => {
      const cases: [unknown, RegExp][] = [
        [{ jsonrpc: '1.0', id: 1, method: 'hello' }, /"jsonrpc" must be "2.0"/],
        [{ id: 1, method: 'hello' }, /"jsonrpc" must be "2.0"/],
        [{ jsonrpc: '2.0', id: 1, method: 5 }, /"method" must be a string/],
        [{ jsonrpc: '2.0', id: 1 }, /"method" must be a string/],
        [{ jsonrpc: '2.0', id: 1, method: 'hello', params: 'x' }, /"params" must be an array or an object/],
        [{ jsonrpc: '2.0', id: { x: 1 }, method: 'hello' }, /id must be/],
        [[], /empty batch/],
        [5, /must be an object/],
      ];
      for (const [body, message] of cases) {
        const r = await post(body);
        assert.equal(r.status, 200);
        const reply = r.json as { error: RpcError };
        assert.equal(reply.error.code, -32600, JSON.stringify(body));
        assert.match(reply.error.message, message);
      }
      const batch = await post([1, { jsonrpc: '2.0', id: 7, method: 'hello' }]);
      const [bad, good] = batch.json as { id: unknown; result?: unknown; error?: RpcError }[];
      assert.equal(bad.error?.code, -32600);
      assert.equal(bad.id, null);
      assert.deepEqual(good, { jsonrpc: '2.0', id: 7, result: 'Hello World' });
    });

    test('-32601 unknown method, with data {name: GenericError, faultCode: 1000, faultString}', async () => {
      const r = await api.reply('no.such.method', [], h.admin);
      assert.deepEqual(r.body.error, {
        code: -32601,
        message: 'Invalid method: no.such.method',
        data: { name: 'GenericError', faultCode: 1000, faultString: 'Invalid method: no.such.method' },
      });
    });

    test('odd bodies (prototype keys, deep nesting) get plain replies, never a stack trace', async () => {
      const bodies = [
        '{"jsonrpc":"2.0","id":1,"method":"createUser","params":[{"__proto__":{"x":1}}]}',
        '{"jsonrpc":"2.0","id":1,"method":"getUser","params":{"constructor":1}}',
        '[' + '['.repeat(5000) + ']'.repeat(5000) + ']',
        '{"jsonrpc":"2.0","id":1,"method":"hello","params":[' + '['.repeat(3000) + ']'.repeat(3000) + ']}',
      ];
      for (const b of bodies) {
        const r = await post(b, h.admin);
        assert.ok(r.status === 200 || r.status === 204, `HTTP ${r.status}`);
      }
    });
  });

  test('every method of the users, introspection and policy contracts succeeded at least once', () => {
    const missing = ALL_METHODS.map((d) => d.name).filter((n) => !exercised.has(n));
    assert.deepEqual(missing, []);
  });
});

describe('request size limit', () => {
  let h: TestHub;
  before(async () => {
    h = await startTestHub({ tweak: (c) => void (c.hub.maxRequestLength = 1000) });
  });
  after(async () => {
    await h?.close();
  });

  test('a body over MaxRequestLength is refused with HTTP 413 and a clear message', async () => {
    const res = await h.post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getUser', params: ['x'.repeat(2000)] }),
    );
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: RpcError };
    assert.match(body.error.message, /exceeds MaxRequestLength \(1000 bytes\)/);
    assertNoStack(JSON.stringify(body));
    // Under the limit, the same hub answers.
    assert.equal(await h.call('hello'), 'Hello World');
  });

  test('a chunked body (no Content-Length) is cut off as soon as it passes the limit', async () => {
    const url = new URL(h.rpcUrl);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write('{"jsonrpc":"2.0","id":1,"method":"hello","params":["');
      for (let i = 0; i < 10; i++) req.write('y'.repeat(300));
      req.end('"]}');
    });
    assert.equal(status, 413);
    assert.match(text, /MaxRequestLength/);
  });
});

describe('sessions and tokens expire (TestClock)', () => {
  let h: TestHub;
  let api: Api;
  let clock: TestClock;
  before(async () => {
    clock = new TestClock();
    h = await startTestHub({ clock });
    api = new Api(h);
    await api.addUser('lena', 'lena-password');
  });
  after(async () => {
    await h?.close();
  });

  test('past SessionLifetime a session is AuthExpired (1007); login(renew=True) with its headers re-keys it', async () => {
    const s = await api.login('lena', 'lena-password');
    assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], s)).name, 'lena');
    clock.advance(h.config.hub.sessionLifetimeSec * 1000 - 1000);
    assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], s)).name, 'lena', 'still valid just before');
    clock.advance(2000);
    await api.fault(
      'getLoggedInUser',
      [],
      s,
      'AuthExpired',
      `session ${s.sessionId} has expired; log in again`,
    );
    await api.fault('hello', [], s, 'AuthExpired', /has expired/);
    const renewed = await api.ok<Session>('login', ['lena', 'lena-password', null, true], s);
    assert.equal(renewed['session-id'], s.sessionId, 'the same session, re-keyed');
    assert.notEqual(renewed['session-key'], s.sessionKey);
    assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], sessionCreds(renewed))).name, 'lena');
    await api.fault('getLoggedInUser', [], s, 'AuthError', 'Invalid session or bad credentials');
    // The renewed session lives a full lifetime again.
    clock.advance(h.config.hub.sessionLifetimeSec * 1000 - 1000);
    assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], sessionCreds(renewed))).name, 'lena');
  });

  test('login without renew on an expired session starts a new one', async () => {
    const s = await api.login('lena', 'lena-password');
    clock.advance(h.config.hub.sessionLifetimeSec * 1000 + 1);
    const fresh = await api.ok<Session>('login', ['lena', 'lena-password'], s);
    assert.notEqual(fresh['session-id'], s.sessionId);
    await api.fault('getLoggedInUser', [], s, 'AuthExpired', /has expired/);
  });

  test('a token with expires stops working when the time comes', async () => {
    const s = await api.login('lena', 'lena-password');
    const t = await api.ok<{ id: number; token: string }>('createAPIToken', { expires: 60 }, s);
    assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], { token: t.token })).name, 'lena');
    clock.advance(61_000);
    await api.fault(
      'getLoggedInUser',
      [],
      { token: t.token },
      'AuthError',
      new RegExp(`^API token ${t.id} expired at `),
    );
    const never = await api.ok<{ id: number; token: string }>('createAPIToken', [], s);
    clock.advance(365 * 86_400_000);
    assert.equal((await api.ok<UserInfo>('getLoggedInUser', [], { token: never.token })).name, 'lena');
  });
});

describe('login throttle (TestClock)', () => {
  let h: TestHub;
  let api: Api;
  let clock: TestClock;
  before(async () => {
    clock = new TestClock();
    h = await startTestHub({ clock });
    api = new Api(h);
    await api.addUser('mike', 'mike-password');
    clock.slept.length = 0;
  });
  after(async () => {
    await h?.close();
  });

  test('5 failures are free; then 1 s, 2 s, 4 s … up to 30 s; the same text every time', async () => {
    for (let i = 0; i < 5; i++)
      await api.fault(
        'login',
        ['mike', `wrong-${i}`],
        undefined,
        'AuthError',
        'invalid username or password',
      );
    assert.deepEqual(clock.slept, [], 'no delay for the first five');
    await api.fault('login', ['mike', 'wrong-6'], undefined, 'AuthError', 'invalid username or password');
    assert.deepEqual(clock.slept, [1000], "the 6th attempt's delay");
    for (let i = 7; i <= 12; i++)
      await api.fault(
        'login',
        ['mike', `wrong-${i}`],
        undefined,
        'AuthError',
        'invalid username or password',
      );
    assert.deepEqual(clock.slept, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    // A right password is delayed too (the attempt is throttled before it is checked), then succeeds.
    await api.login('mike', 'mike-password');
    assert.equal(clock.slept.at(-1), 30000);
  });

  test('the window is 60 s: after it passes, attempts are free again', async () => {
    clock.advance(61_000);
    clock.slept.length = 0;
    await api.fault('login', ['mike', 'wrong'], undefined, 'AuthError', 'invalid username or password');
    await api.login('mike', 'mike-password');
    assert.deepEqual(clock.slept, []);
  });

  test('an unknown user is throttled the same way (nothing tells it apart)', async () => {
    clock.advance(61_000);
    clock.slept.length = 0;
    for (let i = 0; i < 6; i++)
      await api.fault(
        'login',
        ['ghost', `guess-${i}`],
        undefined,
        'AuthError',
        'invalid username or password',
      );
    assert.deepEqual(clock.slept, [1000]);
  });
});

describe('internal errors', () => {
  test('an internal failure is -32603 with a request id, and no details or stack reach the client', async () => {
    const h = await startTestHub({ tweak: (c) => void (c.hub.kojiDebug = true) });
    try {
      // Pull the database out from under the hub: every read now fails inside the driver.
      await h.hub.backend.readModels.close();
      const r = await h.rpc('getUser', ['admin']);
      assert.equal(r.status, 200);
      const e = r.body.error!;
      assert.equal(e.code, -32603);
      assert.match(e.message, /^internal error \(request [0-9a-f-]{36}\); the hub's log has the details$/);
      assert.deepEqual(e.data, { name: 'InternalError', faultCode: 1, faultString: e.message });
      assertNoStack(JSON.stringify(r.body));
    } finally {
      await h.close().catch(() => undefined);
    }
  });
});

describe('bootstrap', () => {
  test('the first start creates admin (perm admin, the given password); a second hub on the same store does not', async () => {
    const tmp = tempDir('koji-es-bootstrap-');
    const config = () =>
      loadHubConfig(
        {
          '--config-dir': join(REPO_ROOT, 'config'),
          '--data-dir': tmp.dir,
          '--port': '0',
          '--host': '127.0.0.1',
        },
        {},
      );
    try {
      const first = await startHub(config(), {
        logger: false,
        adminPassword: 'first-admin-password',
        announce: () => undefined,
      });
      let rpcUrl = `${first.url}/rpc`;
      const call = async (m: string, params: unknown[], creds?: Creds) => {
        const res = await fetch(rpcUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(creds?.sessionId
              ? { 'Koji-Session-Id': String(creds.sessionId), 'Koji-Session-Key': creds.sessionKey! }
              : {}),
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params }),
        });
        return (await res.json()) as RpcReply['body'];
      };
      try {
        const s = (await call('login', ['admin', 'first-admin-password'])).result as Session;
        const me = (await call('getLoggedInUser', [], sessionCreds(s))).result as UserInfo;
        assert.equal(me.name, 'admin');
        assert.deepEqual((await call('getPerms', [], sessionCreds(s))).result, ['admin']);
        await call('createUser', ['nora'], sessionCreds(s));
      } finally {
        await first.close();
      }
      const announced: string[] = [];
      const second = await startHub(config(), {
        logger: false,
        adminPassword: 'second-admin-password',
        announce: (l) => announced.push(l),
      });
      rpcUrl = `${second.url}/rpc`;
      try {
        assert.equal(
          (await call('login', ['admin', 'second-admin-password'])).error?.message,
          'invalid username or password',
        );
        const s = (await call('login', ['admin', 'first-admin-password'])).result as Session;
        assert.ok(s['session-id']);
        const users = (await call('listUsers', [])).result as UserInfo[];
        assert.deepEqual(
          users.map((u) => u.name),
          ['admin', 'nora'],
        );
        const page = await second.backend.events.readAll({
          filter: { types: ['UserCreated'] },
          maxCount: 100,
        });
        assert.equal(page.events.length, 2);
        assert.deepEqual(announced, []);
      } finally {
        await second.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  test('without a given password one is generated and announced once', async () => {
    const tmp = tempDir('koji-es-bootstrap-');
    const saved = process.env.KOJI_ES_ADMIN_PASSWORD;
    delete process.env.KOJI_ES_ADMIN_PASSWORD;
    const announced: string[] = [];
    try {
      const config = loadHubConfig(
        { '--config-dir': join(REPO_ROOT, 'config'), '--data-dir': tmp.dir, '--port': '0' },
        {},
      );
      const hub = await startHub(config, { logger: false, announce: (l) => announced.push(l) });
      try {
        assert.equal(announced.length, 1);
        const m = /created user admin with password (\S+) /.exec(announced[0]);
        assert.ok(m, announced[0]);
        const res = await fetch(`${hub.url}/rpc`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'login', params: ['admin', m[1]] }),
        });
        assert.ok(((await res.json()) as RpcReply['body']).result);
      } finally {
        await hub.close();
      }
      const again = await startHub(config, { logger: false, announce: (l) => announced.push(l) });
      await again.close();
      assert.equal(announced.length, 1, 'announced once only');
    } finally {
      if (saved !== undefined) process.env.KOJI_ES_ADMIN_PASSWORD = saved;
      tmp.cleanup();
    }
  });
});
