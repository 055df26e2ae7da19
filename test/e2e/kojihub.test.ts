// Koji's XML-RPC door at POST /kojihub, end to end over HTTP (issue 11, spec/koji-xmlrpc.md): the
// §6.1 password-login sequence with callnums, SequenceError/RetryError, bad and expired sessions and
// the renew login, multiCall, the value types through real methods, exclusive sessions, the legacy
// query-string session, introspection shapes, and the hardened parser under hostile bodies.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { postXml, XmlRpcClient, type XmlRpcReply } from 'koji-es/rpc/xmlrpc/client';
import { serializeCall } from 'koji-es/rpc/xmlrpc/serializer';
import { XmlRpcDateTime, type XmlRpcValue } from 'koji-es/rpc/xmlrpc/values';
import { ADMIN_PASSWORD, REPO_ROOT, startTestHub, TestClock, type TestHub } from '../helpers/hub.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'xmlrpc');
const KOJI_HEADERS = {
  'Content-Type': 'text/xml',
  'User-Agent': 'koji/1',
  'Accept-Encoding': 'gzip, deflate',
};

let h: TestHub;
let hub: string;
const clock = new TestClock();

before(async () => {
  h = await startTestHub({ clock });
  hub = `${h.url}/kojihub`;
  await h.call('createUser', ['alice'], h.admin);
  await h.call('setUserPassword', ['alice', 'alice-password'], h.admin);
  await h.call('createUser', ['bob'], h.admin);
  await h.call('setUserPassword', ['bob', 'bob-password'], h.admin);
});
after(async () => {
  await h?.close();
});

function fault(r: XmlRpcReply, code: number, text?: string | RegExp) {
  assert.equal(r.status, 200, 'faults travel in HTTP 200 replies');
  assert.ok(r.fault, `expected fault ${code}, got ${JSON.stringify(r.result)}`);
  assert.equal(r.fault.faultCode, code, r.fault.faultString);
  if (typeof text === 'string') assert.equal(r.fault.faultString, text);
  else if (text) assert.match(r.fault.faultString, text);
}

function ok(r: XmlRpcReply): XmlRpcValue {
  assert.equal(r.status, 200);
  assert.equal(r.fault, undefined, r.fault && `${r.fault.faultCode}: ${r.fault.faultString}`);
  return r.result as XmlRpcValue;
}

async function loggedIn(user = 'alice', password = 'alice-password'): Promise<XmlRpcClient> {
  const c = new XmlRpcClient(hub);
  await c.login(user, password);
  return c;
}

/** A call with explicit session headers (a client whose numbering we control). */
function raw(c: XmlRpcClient, method: string, params: unknown[], callnum: number | string) {
  return postXml(hub, serializeCall(method, params), {
    ...KOJI_HEADERS,
    'Koji-Session-Id': String(c.session!['session-id']),
    'Koji-Session-Key': c.session!['session-key'],
    'Koji-Session-Callnum': String(callnum),
  });
}

describe('password login, as koji --user alice --password pw (spec §6.1)', () => {
  test('the golden login body → sinfo; getAPIVersion … logout with callnums 0, 1, 2…', async () => {
    const body = readFileSync(join(FIXTURES, 'login.request.xml'), 'utf8').replace(
      '<string>pw</string>',
      '<string>alice-password</string>',
    );
    const login = await postXml(hub, body, KOJI_HEADERS);
    assert.equal(login.headers.get('koji-version'), '1.35.3');
    assert.equal(login.headers.get('content-type'), 'text/xml');
    const sinfo = ok(login) as Record<string, XmlRpcValue>;
    assert.equal(typeof sinfo['session-id'], 'number');
    assert.match(login.body, /<name>session-id<\/name>\n<value><int>\d+<\/int><\/value>/);
    assert.equal(typeof sinfo['session-key'], 'string');
    assert.equal(sinfo['header-auth'], true);
    const c = new XmlRpcClient(hub);
    c.session = {
      'session-id': sinfo['session-id'] as number,
      'session-key': sinfo['session-key'] as string,
      callnum: 0,
    };
    assert.equal(ok(await c.send('getAPIVersion')), 1);
    const me = ok(await c.send('getLoggedInUser')) as Record<string, XmlRpcValue>;
    assert.equal(me.name, 'alice');
    assert.equal(me.authtype, 0);
    assert.equal(ok(await c.send('getKojiVersion')), '1.35.3');
    const logout = readFileSync(join(FIXTURES, 'logout.request.xml'));
    const out = await postXml(hub, logout, {
      ...KOJI_HEADERS,
      'Koji-Session-Id': String(sinfo['session-id']),
      'Koji-Session-Key': String(sinfo['session-key']),
      'Koji-Session-Callnum': '3',
    });
    assert.equal(ok(out), null);
    assert.equal(out.body, readFileSync(join(FIXTURES, 'nil.response.xml'), 'utf8'));
    fault(await c.send('getAPIVersion'), 1002, 'Invalid session or bad credentials');
  });

  test('a wrong password and an unknown user: AuthError "invalid username or password"', async () => {
    const c = new XmlRpcClient(hub);
    fault(await c.send('login', ['alice', 'nope'], { opts: null }), 1002, 'invalid username or password');
    fault(await c.send('login', ['nobody', 'nope'], { opts: null }), 1002, 'invalid username or password');
  });

  test('login on a live session: AuthError "Already logged in"', async () => {
    const c = await loggedIn();
    fault(await c.send('login', ['alice', 'alice-password'], { opts: null }), 1002, 'Already logged in');
  });

  test('every reply carries Koji-Version, faults too', async () => {
    const r = await new XmlRpcClient(hub).send('frobnicate');
    fault(r, 1000, 'Invalid method: frobnicate');
    assert.equal(r.headers.get('koji-version'), '1.35.3');
    assert.equal(r.body, readFileSync(join(FIXTURES, 'fault-1000.response.xml'), 'utf8'));
  });
});

describe('session headers and callnum (spec §6.2)', () => {
  test('a callnum lower than the last one: SequenceError 1008', async () => {
    const c = await loggedIn();
    ok(await raw(c, 'getAPIVersion', [], 0));
    ok(await raw(c, 'getAPIVersion', [], 5));
    const id = c.session!['session-id'];
    fault(await raw(c, 'getAPIVersion', [], 4), 1008, `5 > 4 (session ${id})`);
    fault(await raw(c, 'getLoggedInUser', [], 0), 1008, `5 > 0 (session ${id})`);
    ok(await raw(c, 'getAPIVersion', [], 6));
  });

  test('the same callnum again: re-run when nothing was committed, RetryError 1009 when it was', async () => {
    const c = await loggedIn('admin', ADMIN_PASSWORD);
    const id = c.session!['session-id'];
    ok(await raw(c, 'getLoggedInUser', [], 7));
    assert.equal((ok(await raw(c, 'getLoggedInUser', [], 7)) as { name: string }).name, 'admin');
    const created = ok(await raw(c, 'createUser', ['retried'], 8));
    assert.equal(typeof created, 'number');
    fault(
      await raw(c, 'createUser', ['retried'], 8),
      1009,
      `unable to retry call 8 (method createUser) for session ${id}`,
    );
    // A failed call committed nothing, so its retry runs again (and fails again the same way).
    fault(await raw(c, 'createUser', ['retried'], 9), 1000, 'user already exists: retried');
    fault(await raw(c, 'createUser', ['retried'], 9), 1000, 'user already exists: retried');
  });

  test('a callnum that is not an integer: AuthError', async () => {
    const c = await loggedIn();
    fault(await raw(c, 'getAPIVersion', [], 'abc'), 1002, "Invalid callnum: 'abc'");
  });

  test('a wrong key or an unknown session: AuthError "Invalid session or bad credentials"', async () => {
    const c = await loggedIn();
    c.session!['session-key'] = 'not-the-key';
    fault(await c.send('getAPIVersion'), 1002, 'Invalid session or bad credentials');
    c.session!['session-id'] = 999999;
    fault(await c.send('getAPIVersion'), 1002, 'Invalid session or bad credentials');
    // The method is looked up first, as Koji: an unknown name is reported as such.
    fault(await c.send('frobnicate'), 1000, 'Invalid method: frobnicate');
  });

  test('an expired session: AuthExpired 1007, then login(renew=True) with the old headers re-keys it', async () => {
    const c = await loggedIn('bob', 'bob-password');
    const id = c.session!['session-id'];
    ok(await c.send('getAPIVersion'));
    clock.advance((h.config.hub.sessionLifetimeSec + 60) * 1000);
    fault(await c.send('getLoggedInUser'), 1007, /expired/);
    // What koji.ClientSession sends on AuthExpired (spec §6.2), still with the old session headers.
    const renewed = ok(
      await c.send('login', ['bob', 'bob-password'], { opts: null, renew: true, exclusive: false }),
    ) as Record<string, XmlRpcValue>;
    assert.equal(renewed['session-id'], id);
    assert.notEqual(renewed['session-key'], c.session!['session-key']);
    const old = c.session!['session-key'];
    c.session = { 'session-id': id, 'session-key': renewed['session-key'] as string, callnum: 0 };
    // The client numbers from 0 again after the login: a re-keyed session is a new sequence.
    assert.equal((ok(await c.send('getLoggedInUser')) as { name: string }).name, 'bob');
    c.session['session-key'] = old;
    fault(await c.send('getAPIVersion'), 1002, 'Invalid session or bad credentials');
    // Every other session expired with the clock: the tests after this one use a fresh admin.
    h.admin = await h.login('admin', ADMIN_PASSWORD);
  });

  test('the legacy ?session-id=&session-key=&callnum= query string, for hubs without header-auth', async () => {
    const c = await loggedIn();
    const s = c.session!;
    const q = `?session-id=${s['session-id']}&session-key=${encodeURIComponent(s['session-key'])}`;
    const me = await postXml(`${hub}${q}&callnum=0`, serializeCall('getLoggedInUser', []), KOJI_HEADERS);
    assert.equal((ok(me) as { name: string }).name, 'alice');
    fault(
      await postXml(`${hub}${q}&callnum=0`, serializeCall('getLoggedInUser', []), {
        ...KOJI_HEADERS,
        'Koji-Session-Id': 'x',
      }),
      1002,
      'Invalid session or bad credentials',
    );
    const anon = await postXml(
      `${hub}?session-id=${s['session-id']}&session-key=bad`,
      serializeCall('getLoggedInUser', []),
    );
    fault(anon, 1002, 'Invalid session or bad credentials');
  });
});

describe('keyword arguments and Python argument errors (spec §4)', () => {
  test('__starstar kwargs bind by name; the golden createSideTag body reaches the registry', async () => {
    const c = await loggedIn();
    const me = ok(await c.send('getUser', ['alice'], { strict: true, krb_princs: false })) as Record<
      string,
      XmlRpcValue
    >;
    assert.deepEqual(Object.keys(me), ['id', 'name', 'status', 'usertype']);
    const body = readFileSync(join(FIXTURES, 'createSideTag.request.xml'));
    // Anonymous, as the body carries no session: Koji's assertLogin text, which the CLI shows as a policy violation.
    fault(await postXml(hub, body, KOJI_HEADERS), 1004, 'you must be logged in for this operation');
  });

  test("ParameterError 1019 with Python's TypeError text", async () => {
    const c = await loggedIn();
    fault(
      await c.send('getUser', [], { suffix: 'x' }),
      1019,
      "getUser() got an unexpected keyword argument 'suffix'",
    );
    fault(
      await c.send('logout', [], { session_id: null, extra: 1 }),
      1019,
      "logout() got an unexpected keyword argument 'extra'",
    );
    fault(
      await c.send('login', ['alice']),
      1019,
      "login() missing 1 required positional argument: 'password'",
    );
    fault(
      await c.send('getAPIVersion', [1]),
      1019,
      'getAPIVersion() takes 0 positional arguments but 1 was given',
    );
    fault(
      await c.send('getUser', ['alice'], { userInfo: 'bob' }),
      1019,
      "getUser() got multiple values for argument 'userInfo'",
    );
  });
});

describe('multiCall (spec §7)', () => {
  test('each call succeeds ([value]) or faults ({faultCode, faultString}) on its own, in order', async () => {
    const c = await loggedIn('admin', ADMIN_PASSWORD);
    const results = ok(
      await c.send('multiCall', [
        [
          { methodName: 'getAPIVersion', params: [] },
          { methodName: 'frobnicate', params: [] },
          { methodName: 'createUser', params: ['multi1'] },
          { methodName: 'createUser', params: ['multi1'] },
          {
            methodName: 'getUser',
            params: ['multi1', { strict: true, krb_princs: false, __starstar: true }],
          },
          { methodName: 'getUser', params: [{ suffix: 1, __starstar: true }] },
          { methodName: 'multiCall', params: [[]] },
          { oops: true },
          'not a struct',
          { methodName: 'getLoggedInUser', params: [] },
        ],
      ]),
    ) as XmlRpcValue[];
    assert.equal(results.length, 10);
    assert.deepEqual(results[0], [1]);
    assert.deepEqual(results[1], { faultCode: 1000, faultString: 'Invalid method: frobnicate' });
    const id = (results[2] as number[])[0];
    assert.equal(typeof id, 'number');
    assert.deepEqual(results[3], { faultCode: 1000, faultString: 'user already exists: multi1' });
    assert.deepEqual(results[4], [{ id, name: 'multi1', status: 0, usertype: 0 }]);
    assert.deepEqual(results[5], {
      faultCode: 1019,
      faultString: "getUser() got an unexpected keyword argument 'suffix'",
    });
    assert.deepEqual(results[6], { faultCode: 1000, faultString: 'multiCall cannot be nested' });
    assert.equal((results[7] as { faultCode: number }).faultCode, 1019);
    assert.equal((results[8] as { faultCode: number }).faultCode, 1019);
    assert.equal(((results[9] as XmlRpcValue[])[0] as { name: string }).name, 'admin');
    // The multicall used one callnum; the session goes on from the next.
    ok(await c.send('getAPIVersion'));
  });

  test('system.multicall is the same; the calls share the session; a bad session faults the whole request', async () => {
    const c = await loggedIn();
    const r = ok(
      await c.send('system.multicall', [[{ methodName: 'getLoggedInUser', params: [] }]]),
    ) as XmlRpcValue[][];
    assert.equal((r[0][0] as { name: string }).name, 'alice');
    const none = ok(await c.send('multiCall', [[]]));
    assert.deepEqual(none, []);
    fault(await c.send('multiCall', []), 1019, "multiCall() missing 1 required positional argument: 'calls'");
    c.session!['session-key'] = 'wrong';
    fault(
      await c.send('multiCall', [[{ methodName: 'getAPIVersion', params: [] }]]),
      1002,
      'Invalid session or bad credentials',
    );
  });

  test('the golden multiCall request (remove-sidetag) answers one entry per call', async () => {
    const c = await loggedIn();
    const r = await postXml(hub, readFileSync(join(FIXTURES, 'multiCall.request.xml')), {
      ...KOJI_HEADERS,
      'Koji-Session-Id': String(c.session!['session-id']),
      'Koji-Session-Key': c.session!['session-key'],
      'Koji-Session-Callnum': '0',
    });
    const entries = ok(r) as XmlRpcValue[];
    assert.equal(entries.length, 2);
  });
});

describe('value types through real methods (spec §3)', () => {
  test('nil, int, i8, beyond 2^53, boolean, double, string, untyped value, base64, dateTime', async () => {
    const anon = new XmlRpcClient(hub);
    assert.equal(ok(await anon.send('getUser', [null])), null);
    assert.equal((ok(await anon.send('getUser', [1])) as { name: string }).name, 'admin');
    assert.equal(ok(await anon.send('getUser', [3000000000])), null);
    assert.match((await anon.send('getUser', [3000000000])).body, /<nil\/>/);
    fault(await anon.send('getUser', [2n ** 53n + 1n]), 1019, /userInfo must be an id/);
    fault(await anon.send('getUser', ['nobody'], { strict: true }), 1000, "No such user: 'nobody'");
    fault(await anon.send('getUser', [1.5]), 1019, /userInfo must be an id/);
    fault(await anon.send('getUser', [Buffer.from('admin')]), 1019, /userInfo must be an id/);
    // A dateTime reaches methods as ISO 8601 text, here a user name nobody has.
    assert.equal(ok(await anon.send('getUser', [new XmlRpcDateTime('20240131T12:34:56')])), null);
    const untyped = await postXml(
      hub,
      "<?xml version='1.0'?><methodCall><methodName>getUser</methodName><params><param><value>admin</value></param></params></methodCall>",
    );
    assert.equal((ok(untyped) as { id: number }).id, 1);
    const admin = await loggedIn('admin', ADMIN_PASSWORD);
    fault(await admin.send('createUser', ['a<b&c>']), 1000, 'Name a<b&c> does not match RegexUserName value');
    // A dateTime.iso8601 argument reaches the method as ISO 8601 text.
    const token = ok(
      await admin.send('createAPIToken', [], {
        name: 'dated',
        expires: new XmlRpcDateTime('20990131T12:34:56Z'),
      }),
    ) as { id: number };
    const tokens = ok(await admin.send('listAPITokens')) as { id: number; expires: string }[];
    assert.equal(tokens.find((t) => t.id === token.id)?.expires, '2099-01-31T12:34:56.000Z');
    const sinfo = (await admin.send('getLoggedInUser')).body;
    assert.match(
      sinfo,
      /<value><array><data>\n<\/data><\/array><\/value>/,
      'an empty array (krb_principals)',
    );
  });
});

describe('exclusive sessions (exclusiveSession(force=False), sharedSession())', () => {
  test("one exclusive session locks the user's other sessions out until it is shared or logged out", async () => {
    await h.call('createUser', ['carol'], h.admin);
    await h.call('setUserPassword', ['carol', 'carol-password'], h.admin);
    const a = await loggedIn('carol', 'carol-password');
    const b = await loggedIn('carol', 'carol-password');
    assert.equal(ok(await a.send('exclusiveSession')), null);
    fault(await a.send('exclusiveSession'), 1000, 'session is already exclusive');
    fault(await b.send('getLoggedInUser'), 1006, 'User locked by another session');
    fault(await b.send('exclusiveSession'), 1006, 'Cannot get exclusive session');
    // Other users are not affected.
    assert.equal((ok(await (await loggedIn()).send('getLoggedInUser')) as { name: string }).name, 'alice');
    assert.equal(ok(await a.send('sharedSession')), null);
    assert.equal((ok(await b.send('getLoggedInUser')) as { name: string }).name, 'carol');
    ok(await a.send('exclusiveSession'));
    fault(await b.send('sharedSession'), 1006, 'User locked by another session');
    // force=True logs the holder out and takes the lock.
    assert.equal(ok(await b.send('exclusiveSession', [], { force: true })), null);
    fault(await a.send('getLoggedInUser'), 1002, 'Invalid session or bad credentials');
    // A locked-out session may still log out; the holder's logout frees the others.
    const c = await loggedIn('carol', 'carol-password');
    fault(await c.send('getAPIVersion'), 1006);
    assert.equal(ok(await c.send('logout')), null);
    ok(await b.send('logout'));
    const d = await loggedIn('carol', 'carol-password');
    assert.equal((ok(await d.send('getLoggedInUser')) as { name: string }).name, 'carol');
  });

  test('login(exclusive=True) takes the lock; anonymous and token callers cannot', async () => {
    await h.call('createUser', ['dave'], h.admin);
    await h.call('setUserPassword', ['dave', 'dave-password'], h.admin);
    const other = await loggedIn('dave', 'dave-password');
    const x = new XmlRpcClient(hub);
    const sinfo = ok(
      await x.send('login', ['dave', 'dave-password'], { opts: null, exclusive: true }),
    ) as Record<string, XmlRpcValue>;
    x.session = {
      'session-id': sinfo['session-id'] as number,
      'session-key': sinfo['session-key'] as string,
      callnum: 0,
    };
    fault(await other.send('getAPIVersion'), 1006, 'User locked by another session');
    fault(
      await new XmlRpcClient(hub).send('login', ['dave', 'dave-password'], { opts: null, exclusive: true }),
      1006,
      'Cannot get exclusive session',
    );
    ok(await x.send('sharedSession'));
    fault(
      await new XmlRpcClient(hub).send('exclusiveSession'),
      1004,
      'you must be logged in for this operation',
    );
    const token = await h.call<{ token: string }>('createAPIToken', [], h.admin);
    const viaToken = await postXml(hub, serializeCall('exclusiveSession', []), {
      Authorization: `Bearer ${token.token}`,
    });
    fault(viaToken, 1000, /API token has none/);
  });
});

describe('introspection (spec §8)', () => {
  test('_listapi: {name, doc, argspec, argdesc, args} with [name, default] pairs', async () => {
    const list = ok(await new XmlRpcClient(hub).send('_listapi')) as Record<string, XmlRpcValue>[];
    const login = list.find((e) => e.name === 'login')!;
    for (const k of ['name', 'doc', 'argspec', 'argdesc', 'args']) assert.ok(k in login, k);
    assert.equal(login.argdesc, '(user, password, opts=None, renew=False, exclusive=False)');
    assert.deepEqual(login.args, [
      'user',
      'password',
      ['opts', null],
      ['renew', false],
      ['exclusive', false],
    ]);
    const excl = list.find((e) => e.name === 'exclusiveSession')!;
    assert.equal(excl.argdesc, '(force=False)');
    assert.ok(list.some((e) => e.name === 'system.methodHelp'));
    assert.ok(!list.some((e) => e.name === 'multiCall'), 'multiCall is the request handler, not a method');
  });

  test('system.listMethods and system.methodHelp', async () => {
    const c = new XmlRpcClient(hub);
    const names = ok(await c.send('system.listMethods')) as string[];
    for (const n of [
      '_listapi',
      'system.listMethods',
      'system.methodHelp',
      'login',
      'exclusiveSession',
      'sharedSession',
    ])
      assert.ok(names.includes(n), n);
    const help = ok(await c.send('system.methodHelp', ['login'])) as string;
    assert.match(help, /^login\(user, password, opts=None, renew=False, exclusive=False\)\ndescription: .+/);
    assert.equal(ok(await c.send('system.methodHelp', ['nonesuch'])), '');
  });

  test('getKojiVersion is dotted integers, as the client parses it', async () => {
    const v = ok(await new XmlRpcClient(hub).send('getKojiVersion')) as string;
    assert.match(v, /^\d+(\.\d+)+$/);
  });
});

describe('HTTP', () => {
  test('GET answers 405 with Allow: POST, as the real hub', async () => {
    for (const path of ['', '/ssllogin']) {
      const r = await fetch(`${hub}${path}`);
      assert.equal(r.status, 405);
      assert.equal(r.headers.get('allow'), 'POST');
      assert.match(await r.text(), /Only POST requests are accepted/);
    }
  });

  test('POST /kojihub/ssllogin: a clear AuthError until certificate login exists', async () => {
    const r = await postXml(
      `${hub}/ssllogin`,
      serializeCall('sslLogin', [{ proxyuser: null, __starstar: true }]),
    );
    fault(r, 1002, /certificate login \(sslLogin\) is not supported by koji-es yet/);
  });

  test('raw uploads (application/octet-stream) are refused with a fault', async () => {
    const r = await postXml(hub, Buffer.from('bytes'), { 'Content-Type': 'application/octet-stream' });
    fault(r, 1000, /raw uploads/);
  });
});

describe('the hardened parser over HTTP: hostile bodies get faults, quickly', () => {
  const timed = async (body: string | Buffer) => {
    const started = Date.now();
    const r = await postXml(hub, body, KOJI_HEADERS);
    return { r, ms: Date.now() - started };
  };

  test('billion laughs', async () => {
    const body = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [<!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ),
      ']>',
      '<methodCall><methodName>&lol9;</methodName></methodCall>',
    ].join('\n');
    const { r, ms } = await timed(body);
    fault(r, 1000, /^malformed XML-RPC request: DOCTYPE declarations are refused/);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  test('an external entity', async () => {
    const { r } = await timed(
      '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall><methodName>&x;</methodName></methodCall>',
    );
    fault(r, 1000, /DOCTYPE declarations are refused/);
    const { r: ref } = await timed('<methodCall><methodName>&x;</methodName></methodCall>');
    fault(ref, 1000, /undefined entity &x;/);
  });

  test('10,000-deep nesting', async () => {
    const deep = `<param>${'<value><array><data>'.repeat(3334)}${'</data></array></value>'.repeat(3334)}</param>`;
    const { r, ms } = await timed(
      `<methodCall><methodName>getUser</methodName><params>${deep}</params></methodCall>`,
    );
    fault(r, 1000, /nested deeper than 256/);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  test('a 20 MB body over MaxRequestLength, then the hub still answers', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 'a');
    const { r, ms } = await timed(big);
    fault(r, 1000, /exceeds MaxRequestLength/);
    assert.ok(ms < 5000, `${ms} ms`);
    assert.equal(ok(await new XmlRpcClient(hub).send('getAPIVersion')), 1);
  });

  test('garbage, truncation and wrong documents', async () => {
    for (const body of ['', 'not xml', '<methodCall>', '<methodResponse/>', '{"jsonrpc":"2.0"}']) {
      const { r } = await timed(body);
      fault(r, 1000, /^malformed XML-RPC request: /);
    }
  });
});
