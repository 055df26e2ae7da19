// The web pages over plain HTTP (DESIGN §6, issue 10 points 4–6): the login form and its cookie
// (HttpOnly, SameSite=Strict, Secure behind an https weburl), the API's own password check and
// throttle, CSRF refusal of cross-site POSTs, `next=` kept to local paths, logout; taskinfo,
// buildrootinfo, repoinfo and sidetags with every value escaped; the download rule on the task page
// (a link, "not allowed", or "expired") matching /files; the live log's JSON endpoint; 400/401/403/404.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestHub, TestClock, type Creds, type TestHub } from '../helpers/hub.js';
import { addHost, open, pattern, sha256, upload, type Host } from '../helpers/tasks.js';
import {
  addUser,
  failedTaskWithBuildroot,
  formLogin,
  getPage,
  runningLog,
  saveTree,
  type SavedTree,
} from '../helpers/web.js';

const ALICE_PW = 'alice-password';
const XSS = '<script>alert("x")</script>';

const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });
const fileUrl = (taskId: number, file: string, volume?: string) =>
  `/files/${volume ? `vol/${volume}/` : ''}work/tasks/${taskId % 10000}/${taskId}/${file}`;

/** No value reached the markup unescaped. */
function assertNoRawXss(body: string) {
  assert.ok(!body.includes('<script>alert'), 'no raw <script> from data');
  assert.ok(!body.includes('<img src=x'), 'no raw <img> from data');
}

describe('web pages over HTTP', () => {
  let h: TestHub;
  let host: Host;
  let alice: Creds;
  let adminCookie: string;
  let aliceCookie: string;

  before(async () => {
    h = await startTestHub({
      tweak: (c) => {
        c.failedTree.gcIntervalMs = 0;
        // The hub's own sidetag cleanup, hourly (its first pass, a second after start-up, finds nothing
        // due; the next never comes here): the sidetags page shows its schedule.
        c.sidetag.cleanupIntervalMs = 3_600_000;
      },
    });
    host = await addHost(h, 'builder-1');
    alice = await addUser(h, 'alice', ALICE_PW);
    adminCookie = (await formLogin(h, { user: 'admin', password: 'admin-password-for-tests' })).cookie!;
    aliceCookie = (await formLogin(h, { user: 'alice', password: ALICE_PW })).cookie!;
  });
  after(() => h?.close());

  test("/favicon.ico: 204, no content (no 404 in every page's console)", async () => {
    const r = await fetch(`${h.url}/favicon.ico`);
    assert.equal(r.status, 204);
    assert.equal(await r.text(), '');
  });

  describe('login and logout', () => {
    test('GET /koji/login: the form, a strict CSP, no script on the page', async () => {
      const r = await getPage(h, '/koji/login?next=/koji/sidetags');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type')!, /^text\/html; charset=utf-8/);
      const csp = r.headers.get('content-security-policy')!;
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.match(r.flat, /<form class="login" method="post" action="\/koji\/login">/);
      assert.match(r.flat, /<input type="hidden" name="next" value="\/koji\/sidetags">/);
      assert.ok(!r.body.includes('<script'), 'the login page runs no script');
    });

    test('POST /koji/login: 303 to /koji/, the session cookie with its flags, then the pages know the user', async () => {
      const r = await formLogin(h, { user: 'alice', password: ALICE_PW });
      assert.equal(r.status, 303);
      assert.equal(r.location, '/koji/');
      const flags = r.setCookie!.split(';').map((s) => s.trim());
      assert.match(flags[0], /^koji_es_session=\d+:[A-Za-z0-9_-]+$/);
      assert.ok(flags.includes('HttpOnly'));
      assert.ok(flags.includes('SameSite=Strict'));
      assert.ok(flags.includes('Path=/'));
      assert.ok(!flags.includes('Secure'), 'plain http: no Secure flag');
      assert.match(
        flags.find((f) => f.startsWith('Max-Age='))!,
        /^Max-Age=\d+$/,
      );
      const index = await getPage(h, '/koji/', r.cookie);
      assert.match(index.body, /Logged in as <b>alice<\/b>/);
      // The cookie is a Koji session: the API accepts its id and key as session headers.
      const [id, key] = r.cookie!.split('=')[1].split(':');
      const me = await h.call<{ name: string }>('getLoggedInUser', [], {
        sessionId: Number(id),
        sessionKey: key,
      });
      assert.equal(me.name, 'alice');
    });

    test("a wrong password: 401, the form again with Koji's message, the user name escaped", async () => {
      const r = await formLogin(h, { user: XSS, password: 'nope' });
      assert.equal(r.status, 401);
      assert.equal(r.setCookie, null);
      assert.match(r.body, /invalid username or password/);
      assert.ok(r.body.includes('value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"'));
      assertNoRawXss(r.body);
      const bad = await formLogin(h, { user: 'alice', password: 'wrong' });
      assert.equal(bad.status, 401);
      assert.match(bad.body, /invalid username or password/);
      const empty = await formLogin(h, { user: 'alice', password: '' });
      assert.equal(empty.status, 400);
    });

    test('a blocked user is told so (after the right password), as by the API', async () => {
      await addUser(h, 'blocked', 'blocked-pw');
      await h.call('disableUser', ['blocked'], h.admin);
      const r = await formLogin(h, { user: 'blocked', password: 'blocked-pw' });
      assert.equal(r.status, 401);
      assert.match(r.body, /logins by blocked are blocked/);
    });

    test('next=: a local path is followed; another site, //host, /\\host or a scheme is not', async () => {
      const ok = await formLogin(h, { user: 'alice', password: ALICE_PW, next: '/koji/taskinfo?taskID=7' });
      assert.equal(ok.location, '/koji/taskinfo?taskID=7');
      const viaQuery = await formLogin(
        h,
        { user: 'alice', password: ALICE_PW },
        { origin: h.url },
        '?next=%2Fkoji%2Fsidetags',
      );
      assert.equal(viaQuery.location, '/koji/sidetags');
      for (const next of [
        'https://evil.example/',
        '//evil.example/koji/',
        '/\\evil.example/',
        'javascript:alert(1)',
        '/koji/\r\nSet-Cookie: x=y',
        'koji/relative',
      ]) {
        const r = await formLogin(h, { user: 'alice', password: ALICE_PW, next });
        assert.equal(r.status, 303, next);
        assert.equal(r.location, '/koji/', `next=${JSON.stringify(next)} is refused`);
      }
    });

    test('CSRF: a POST from another origin, or with no Origin and no Referer, is refused with 403', async () => {
      const evil = await formLogin(
        h,
        { user: 'alice', password: ALICE_PW },
        { origin: 'https://evil.example' },
      );
      assert.equal(evil.status, 403);
      assert.equal(evil.setCookie, null);
      assert.match(evil.body, /not sent from a page of this hub/);
      const none = await formLogin(h, { user: 'alice', password: ALICE_PW }, {});
      assert.equal(none.status, 403);
      const evilReferer = await formLogin(
        h,
        { user: 'alice', password: ALICE_PW },
        { referer: 'https://evil.example/koji/login' },
      );
      assert.equal(evilReferer.status, 403);
      const referer = await formLogin(
        h,
        { user: 'alice', password: ALICE_PW },
        { referer: `${h.url}/koji/login` },
      );
      assert.equal(referer.status, 303, 'a Referer of the hub itself will do when Origin is missing');
      // A cross-site logout does not end the session.
      const out = await fetch(`${h.url}/koji/logout`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', cookie: aliceCookie },
        redirect: 'manual',
      });
      assert.equal(out.status, 403);
      assert.match((await getPage(h, '/koji/', aliceCookie)).body, /Logged in as <b>alice<\/b>/);
    });

    test('the form: urlencoded only, and small', async () => {
      const json = await fetch(`${h.url}/koji/login`, {
        method: 'POST',
        headers: { origin: h.url, 'content-type': 'application/json' },
        body: '{"user":"alice"}',
      });
      assert.equal(json.status, 415);
      const big = await fetch(`${h.url}/koji/login`, {
        method: 'POST',
        headers: { origin: h.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: `user=alice&password=${'x'.repeat(20000)}`,
      });
      assert.equal(big.status, 413);
    });

    test('POST /koji/logout ends the session and clears the cookie', async () => {
      const r = await formLogin(h, { user: 'alice', password: ALICE_PW });
      const [id, key] = r.cookie!.split('=')[1].split(':');
      const out = await fetch(`${h.url}/koji/logout`, {
        method: 'POST',
        headers: { origin: h.url, cookie: r.cookie! },
        redirect: 'manual',
      });
      assert.equal(out.status, 303);
      assert.equal(out.headers.get('location'), '/koji/');
      assert.match(
        out.headers.get('set-cookie')!,
        /^koji_es_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/,
      );
      assert.match((await getPage(h, '/koji/', r.cookie)).body, /Not logged in/);
      const api = await h.rpc('getLoggedInUser', [], { sessionId: Number(id), sessionKey: key });
      assert.equal(api.body.error?.data?.name, 'AuthError', JSON.stringify(api.body));
    });

    test("logging in again ends the browser's previous session", async () => {
      const first = await formLogin(h, { user: 'alice', password: ALICE_PW });
      const second = await formLogin(
        h,
        { user: 'admin', password: 'admin-password-for-tests' },
        { origin: h.url, cookie: first.cookie! },
      );
      assert.equal(second.status, 303);
      assert.match((await getPage(h, '/koji/', first.cookie)).body, /Not logged in/);
      assert.match((await getPage(h, '/koji/', second.cookie)).body, /Logged in as <b>admin<\/b>/);
    });
  });

  describe('taskinfo', () => {
    test("unknown and malformed task ids: 404 with Koji's words, 400", async () => {
      const r = await getPage(h, '/koji/taskinfo?taskID=999999');
      assert.equal(r.status, 404);
      assert.match(r.body, /No such task: 999999/);
      const bad = await getPage(h, `/koji/taskinfo?taskID=${encodeURIComponent(XSS)}`);
      assert.equal(bad.status, 400);
      assertNoRawXss(bad.body);
      assert.equal((await getPage(h, '/koji/taskinfo')).status, 400);
      const page = await getPage(h, `/koji/no-such-page/${encodeURIComponent(XSS)}`);
      assert.equal(page.status, 404);
      assert.match(page.body, /No such page: \/koji\/no-such-page\//);
      assertNoRawXss(page.body);
    });

    test('a failed task: its fields, the fault, its buildroot, a label and parameters holding markup escaped', async () => {
      const { taskId, buildrootId } = await failedTaskWithBuildroot(h, host, {
        label: XSS,
        arglist: ['f40-build', 'x86_64', ['<img src=x onerror=alert(1)>']],
      });
      const r = await getPage(h, `/koji/taskinfo?taskID=${taskId}`);
      assert.equal(r.status, 200);
      assertNoRawXss(r.flat);
      assert.ok(
        r.flat.includes(
          `<title>Task ${taskId}: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | koji-es</title>`,
        ),
      );
      assert.ok(r.flat.includes('&lt;img src=x onerror=alert(1)&gt;'));
      for (const [k, v] of [
        ['method', 'runroot'],
        ['state', '<span id="task-state">FAILED</span>'],
        ['owner', 'admin'],
        ['host', 'builder-1'],
        ['arch', 'x86_64'],
        ['channel', 'default'],
      ])
        assert.match(r.flat, new RegExp(`<tr><th>${k}</th><td>${v}</td></tr>`), k);
      assert.match(r.flat, /<tr><th>created<\/th><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/td><\/tr>/);
      assert.match(r.flat, /<tr><th>finished<\/th><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/td><\/tr>/);
      assert.match(r.flat, /GenericError: command exited with status 1/);
      assert.ok(
        r.flat.includes(`<a href="/koji/buildrootinfo?buildrootID=${buildrootId}">${buildrootId}</a>`),
      );
      assert.ok(!r.flat.includes('<script>'), 'a finished task needs no live log script');
    });

    test('output files: size, a sha256 computed by the hub, a public download link', async () => {
      const { taskId } = await failedTaskWithBuildroot(h, host);
      const t = await h.call<number>(
        'makeTask',
        ['runroot', ['t', 'x86_64', ['true']], kw({ arch: 'x86_64' })],
        h.admin,
      );
      await open(h, host, t);
      const data = pattern(70_000);
      await upload(h, host, t, 'runroot.log', data);
      await upload(h, host, t, 'sub dir/o<u>t.txt', Buffer.from('odd name'));
      await h.call('host.closeTask', [t, 0], host.creds);
      const r = await getPage(h, `/koji/taskinfo?taskID=${t}`);
      assert.ok(r.flat.includes(sha256(data)), 'the sha256 of runroot.log');
      assert.ok(r.flat.includes('68.36 KiB (70000 bytes)'));
      assert.ok(r.flat.includes(`<a href="${fileUrl(t, 'runroot.log')}" download>download</a>`));
      assert.ok(r.flat.includes('sub dir/o&lt;u&gt;t.txt'));
      assert.ok(r.flat.includes(`href="${fileUrl(t, 'sub%20dir/o%3Cu%3Et.txt')}"`));
      const file = await fetch(`${h.url}${fileUrl(t, 'sub%20dir/o%3Cu%3Et.txt')}`);
      assert.equal(await file.text(), 'odd name');
      assert.ok(taskId > 0);
    });

    test('parent and children link to each other', async () => {
      const parent = await h.call<number>('makeTask', ['sleep', [1]], h.admin);
      const child = await h.call<number>('makeTask', ['sleep', [2], kw({ parent })], h.admin);
      const p = await getPage(h, `/koji/taskinfo?taskID=${parent}`);
      assert.ok(
        p.flat.includes(`<a href="/koji/taskinfo?taskID=${child}">${child}</a> sleep (noarch): FREE`),
      );
      const c = await getPage(h, `/koji/taskinfo?taskID=${child}`);
      assert.ok(c.flat.includes(`<a href="/koji/taskinfo?taskID=${parent}">${parent}</a> sleep (noarch)`));
    });
  });

  describe('saved trees: the download rule on the page and on /files', () => {
    let failed: { taskId: number; buildrootId: number };
    let tree: SavedTree;

    before(async () => {
      failed = await failedTaskWithBuildroot(h, host);
      tree = await saveTree(h, host, failed.buildrootId);
    });

    test('the owner (admin) sees the recorded sha256 and a link that downloads the bytes', async () => {
      const r = await getPage(h, `/koji/taskinfo?taskID=${tree.taskId}`, adminCookie);
      const url = fileUrl(tree.taskId, tree.file, 'failed-tree');
      assert.ok(r.flat.includes(tree.sha256));
      assert.ok(r.flat.includes(`<a href="${url}" download>download</a>`));
      const file = await fetch(`${h.url}${url}`, { headers: { cookie: adminCookie } });
      assert.equal(file.status, 200);
      assert.equal(sha256(Buffer.from(await file.arrayBuffer())), tree.sha256);
    });

    test('another user sees "not allowed" and why, no link; /files answers 403', async () => {
      const r = await getPage(h, `/koji/taskinfo?taskID=${tree.taskId}`, aliceCookie);
      const url = fileUrl(tree.taskId, tree.file, 'failed-tree');
      assert.ok(!r.flat.includes(`href="${url}"`));
      assert.match(
        r.flat,
        /not allowed: only admin, who owns failed task \d+, or an admin may download its tree \(logged in as alice\)/,
      );
      assert.ok(r.flat.includes(tree.sha256), 'the recorded sha256 is still shown');
      const file = await fetch(`${h.url}${url}`, { headers: { cookie: aliceCookie } });
      assert.equal(file.status, 403);
    });

    test('nobody logged in: "not allowed", a login link back to the page; /files answers 401', async () => {
      const r = await getPage(h, `/koji/taskinfo?taskID=${tree.taskId}`);
      assert.match(r.flat, /not allowed: only admin/);
      assert.ok(
        r.flat.includes(`<a href="/koji/login?next=%2Fkoji%2Ftaskinfo%3FtaskID%3D${tree.taskId}">log in</a>`),
      );
      const file = await fetch(`${h.url}${fileUrl(tree.taskId, tree.file, 'failed-tree')}`);
      assert.equal(file.status, 401);
    });

    test('the failed task and its buildroot page list the saved tree', async () => {
      const t = await getPage(h, `/koji/taskinfo?taskID=${failed.taskId}`);
      assert.match(t.flat, /<h2>Saved trees<\/h2>/);
      assert.ok(t.flat.includes(`<a href="/koji/taskinfo?taskID=${tree.taskId}">${tree.taskId}</a>`));
      const b = await getPage(h, `/koji/buildrootinfo?buildrootID=${failed.buildrootId}`);
      assert.ok(b.flat.includes(`<a href="/koji/taskinfo?taskID=${tree.taskId}">task ${tree.taskId}</a>`));
    });

    const failedPages = () => [
      `/koji/taskinfo?taskID=${failed.taskId}`,
      `/koji/buildrootinfo?buildrootID=${failed.buildrootId}`,
    ];

    for (const who of ['admin (the owner)', 'an admin who is not the owner'] as const) {
      test(`${who}: the failed task's and the buildroot's pages link the tree, and the link downloads it`, async () => {
        let cookie = adminCookie;
        if (who === 'an admin who is not the owner') {
          await addUser(h, 'boss', 'boss-password');
          await h.call('grantPermission', ['boss', 'admin'], h.admin);
          cookie = (await formLogin(h, { user: 'boss', password: 'boss-password' })).cookie!;
        }
        const url = fileUrl(tree.taskId, tree.file, 'failed-tree');
        for (const page of failedPages()) {
          const r = await getPage(h, page, cookie);
          assert.equal(r.status, 200);
          assert.ok(r.flat.includes(`<a href="${url}" download>download</a>`), page);
          assert.ok(!r.flat.includes('not allowed'), page);
        }
        const file = await fetch(`${h.url}${url}`, { headers: { cookie } });
        assert.equal(file.status, 200);
        const bytes = Buffer.from(await file.arrayBuffer());
        assert.ok(bytes.equals(tree.data), 'the same bytes as were saved');
        assert.equal(sha256(bytes), tree.sha256);
      });
    }

    test("another user: the save task's refusal on both pages, no link", async () => {
      const url = fileUrl(tree.taskId, tree.file, 'failed-tree');
      for (const page of failedPages()) {
        const r = await getPage(h, page, aliceCookie);
        assert.ok(!r.flat.includes(`href="${url}"`), page);
        assert.match(
          r.flat,
          /not allowed: only admin, who owns failed task \d+, or an admin may download its tree \(logged in as alice\)/,
        );
        assert.ok(!r.flat.includes('log in</a>'), page);
      }
    });

    test('nobody logged in: the refusal and a login link back to each page', async () => {
      const url = fileUrl(tree.taskId, tree.file, 'failed-tree');
      for (const page of failedPages()) {
        const r = await getPage(h, page);
        assert.ok(!r.flat.includes(`href="${url}"`), page);
        assert.match(r.flat, /not allowed: only admin, who owns failed task \d+/);
        assert.ok(r.flat.includes(`<a href="/koji/login?next=${encodeURIComponent(page)}">log in</a>`), page);
      }
    });
  });

  describe('buildrootinfo, repoinfo, sidetags', () => {
    test('buildrootinfo: host, task, arch, state, retention; 404 for an unknown one', async () => {
      const { taskId, buildrootId } = await failedTaskWithBuildroot(h, host);
      await h.call('host.setBuildRootRetention', [buildrootId, '2030-01-02T03:04:05.000Z'], host.creds);
      const r = await getPage(h, `/koji/buildrootinfo?buildrootID=${buildrootId}`);
      assert.equal(r.status, 200);
      assert.match(r.flat, /<tr><th>host<\/th><td>builder-1<\/td><\/tr>/);
      assert.ok(r.flat.includes(`<a href="/koji/taskinfo?taskID=${taskId}">${taskId}</a>`));
      assert.match(r.flat, /<tr><th>arch<\/th><td>x86_64<\/td><\/tr>/);
      assert.match(r.flat, /<tr><th>state<\/th><td>(INIT|WAITING|BUILDING|EXPIRED)<\/td><\/tr>/);
      assert.match(r.flat, /<tr><th>keep_until<\/th><td>2030-01-02 03:04:05 UTC<\/td><\/tr>/);
      const missing = await getPage(h, '/koji/buildrootinfo?buildrootID=424242');
      assert.equal(missing.status, 404);
      assert.match(missing.flat, /No such buildroot: 424242/);
    });

    test('repoinfo: tag, state, create_event, task and builds; 404 for an unknown one', async () => {
      await h.call('createTag', ['web-base', kw({ arches: 'x86_64' })], h.admin);
      await h.call('createEmptyBuild', ['pkg', '1.0', '1', null], h.admin);
      await h.call('tagBuildBypass', ['web-base', 'pkg-1.0-1'], h.admin);
      const t = await h.call<number>('newRepo', ['web-base'], h.admin);
      const [repoId, event] = await h.call<[number, number]>('getTaskResult', [t]);
      const r = await getPage(h, `/koji/repoinfo?repoID=${repoId}`);
      assert.equal(r.status, 200);
      assert.match(
        r.flat,
        /<tr><th>tag<\/th><td><a href="\/koji\/taginfo\?tagID=\d+">web-base<\/a> \(\d+\)<\/td><\/tr>/,
      );
      assert.match(r.flat, /<tr><th>state<\/th><td>READY<\/td><\/tr>/);
      assert.ok(r.flat.includes(`<tr><th>create_event</th><td>${event}</td></tr>`));
      assert.ok(r.flat.includes(`<a href="/koji/taskinfo?taskID=${t}">${t}</a>`));
      assert.match(r.flat, /<li>pkg-1\.0-1<\/li>/);
      const missing = await getPage(h, '/koji/repoinfo?repoID=9999');
      assert.equal(missing.status, 404);
      assert.match(missing.flat, /No such repo: 9999/);
      // A repo outlives its tag: the name stays, without a link to a page that is gone.
      await h.call('createTag', ['web-gone', kw({ arches: 'x86_64' })], h.admin);
      const gone = await h.call<number>('newRepo', ['web-gone'], h.admin);
      const [goneRepo] = await h.call<[number, number]>('getTaskResult', [gone]);
      await h.call('deleteTag', ['web-gone'], h.admin);
      const orphan = await getPage(h, `/koji/repoinfo?repoID=${goneRepo}`);
      assert.equal(orphan.status, 200);
      assert.match(orphan.flat, /<tr><th>tag<\/th><td>web-gone \(\d+, removed\)<\/td><\/tr>/);
      assert.doesNotMatch(orphan.flat, /taginfo\?tagID/);
    });

    test('sidetags: the list with label, owner, base tag, builds, expiry and hold (escaped); the filters', async () => {
      await h.call('createTag', ['side-base', kw({ arches: 'x86_64' })], h.admin);
      const mine = await h.call<{ name: string; id: number }>(
        'createSideTag',
        ['side-base', kw({ label: 'pr-7' })],
        alice,
      );
      await h.call('holdSideTag', [mine.name, '<b>release</b> blocker'], alice);
      await h.call('setSideTagExpiry', [mine.name, 10], alice);
      const other = await h.call<{ name: string }>('createSideTag', ['web-base'], h.admin);
      const all = await getPage(h, '/koji/sidetags');
      assert.equal(all.status, 200);
      assert.ok(all.flat.includes(mine.name) && all.flat.includes(other.name));
      assert.ok(all.flat.includes('&lt;b&gt;release&lt;/b&gt; blocker (alice,'));
      const cell = `<td><a href="/koji/taginfo?tagID=${mine.id}">${mine.name}</a> (${mine.id})</td>`;
      assert.ok(all.flat.includes(cell), 'the name links to the tag page');
      const row = all.flat.slice(all.flat.indexOf(cell));
      assert.match(row, /^<td><a [^>]+>[^<]+<\/a>[^<]+<\/td><td>pr-7<\/td>/, 'the label beside the name');
      const [{ expires_ts }] = await h.call<{ expires_ts: number }[]>('listSideTags', [
        kw({ user: 'alice', label: 'pr-7', queryOpts: { extra: true } }),
      ]);
      const expires = `${new Date(expires_ts * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
      assert.ok(row.slice(0, row.indexOf('</tr>')).includes(`<td>${expires}</td>`), row);
      const held = row.slice(0, row.indexOf('</tr>'));
      assert.ok(held.endsWith('<td></td>'), `a held sidetag has no removal due: ${held}`);
      const otherRow = all.flat.slice(all.flat.indexOf(`>${other.name}</a>`));
      assert.match(
        otherRow.slice(0, otherRow.indexOf('</tr>')),
        /<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(empty\)<\/td>$/,
      );
      const byUser = await getPage(h, '/koji/sidetags?user=alice');
      assert.ok(byUser.flat.includes(mine.name) && !byUser.flat.includes(other.name));
      const byBase = await getPage(h, '/koji/sidetags?basetag=web-base');
      assert.ok(!byBase.flat.includes(mine.name) && byBase.flat.includes(other.name));
      const nobody = await getPage(h, `/koji/sidetags?user=${encodeURIComponent(XSS)}`);
      assert.equal(nobody.status, 404);
      assert.match(nobody.body, /No such user: /);
      assertNoRawXss(nobody.body);
    });
  });

  describe('taginfo', () => {
    test('settings, parents and children, targets, the package list with inheritance and blocks, builds (escaped); 400/404', async () => {
      await h.call('createTag', ['ti-base', kw({ arches: 'x86_64', extra: { note: XSS } })], h.admin);
      await h.call('createTag', ['ti-child', 'ti-base'], h.admin);
      await h.call('createBuildTarget', ['ti-target', 'ti-child', 'ti-base'], h.admin);
      await h.call('packageListAdd', ['ti-base', 'bash', 'alice', kw({ extra_arches: 'i686' })], h.admin);
      await h.call('packageListAdd', ['ti-base', 'zsh', 'alice'], h.admin);
      await h.call('packageListBlock', ['ti-child', 'zsh'], h.admin);
      await h.call('createEmptyBuild', ['bash', '5', '1', null], h.admin);
      await h.call('tagBuildBypass', ['ti-child', 'bash-5-1'], h.admin);
      const base = await h.call<{ id: number }>('getTag', ['ti-base']);
      const child = await h.call<{ id: number }>('getTag', ['ti-child']);
      const r = await getPage(h, `/koji/taginfo?tagID=${child.id}`);
      assert.equal(r.status, 200);
      assert.match(r.flat, /<title>[^<]*Tag ti-child/);
      const toBase = `<a href="/koji/taginfo?tagID=${base.id}">ti-base</a>`;
      assert.ok(r.flat.includes(`<tr><th>parents</th><td>${toBase} (priority 0)</td></tr>`), r.flat);
      assert.ok(r.flat.includes(`<tr><th>targets building from it</th><td>ti-target (${toBase})</td></tr>`));
      assert.ok(
        r.flat.includes(`<tr><td>bash</td><td>${toBase}</td><td>i686</td><td>alice</td><td></td></tr>`),
      );
      assert.ok(
        r.flat.includes(
          '<tr class="blocked"><td>zsh</td><td>ti-child</td><td></td><td>alice</td><td>blocked</td></tr>',
        ),
      );
      assert.match(r.flat, /<tr><td>bash-5-1<\/td><td>[^<]+ UTC<\/td><td>admin<\/td><\/tr>/);
      const byName = await getPage(h, '/koji/taginfo?tagID=ti-base');
      assert.equal(byName.status, 200);
      assert.ok(
        byName.flat.includes(`<a href="/koji/taginfo?tagID=${child.id}">ti-child</a>`),
        'children linked',
      );
      assert.ok(byName.flat.includes('&lt;script&gt;'), 'extra shown escaped');
      assertNoRawXss(byName.body);
      const none = await getPage(h, '/koji/taginfo?tagID=424242');
      assert.equal(none.status, 404);
      assert.match(none.flat, /No such tag: 424242/);
      const evil = await getPage(h, `/koji/taginfo?tagID=${encodeURIComponent(XSS)}`);
      assert.equal(evil.status, 404);
      assertNoRawXss(evil.body);
      assert.equal((await getPage(h, '/koji/taginfo')).status, 400);
      const empty = await getPage(h, '/koji/taginfo?tagID=web-base');
      assert.match(empty.flat, /No package list: any package may be tagged in\./);
    });
  });

  describe('the live log endpoint', () => {
    test('new bytes from an offset, cut at a character boundary, done once the task finished', async () => {
      const run = await runningLog(h, host);
      const api = async (offset: number) => {
        const r = await fetch(`${h.url}/koji/api/tasklog?taskID=${run.taskId}&offset=${offset}`);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type')!, /^application\/json/);
        return (await r.json()) as {
          offset: number;
          text: string;
          done: boolean;
          state: string;
          reset: boolean;
        };
      };
      let d = await api(0);
      assert.deepEqual([d.offset, d.text, d.done, d.state], [0, '', false, 'OPEN']);
      await run.append('line 1\n');
      d = await api(0);
      assert.deepEqual([d.offset, d.text, d.done], [7, 'line 1\n', false]);
      // "é" is two bytes; the first arrives alone and waits for the second.
      const e = Buffer.from('é');
      await run.append(e.subarray(0, 1));
      d = await api(7);
      assert.deepEqual([d.offset, d.text], [7, '']);
      await run.append(e.subarray(1));
      d = await api(7);
      assert.deepEqual([d.offset, d.text], [9, 'é']);
      // An offset past the end (the upload started over): read again from 0.
      d = await api(1000);
      assert.equal(d.reset, true);
      assert.equal(d.offset, 9);
      const page = await getPage(h, `/koji/taskinfo?taskID=${run.taskId}`);
      assert.match(
        page.body,
        /<pre id="live-log" data-src="\/koji\/api\/tasklog\?taskID=\d+" data-offset="9"/,
      );
      assert.ok(page.body.includes('line 1\né</pre>'));
      assert.match(page.body, /<script>/, 'a running task follows its log');
      await run.append('line 2\n');
      await run.finish();
      d = await api(9);
      assert.deepEqual([d.text, d.done, d.state], ['line 2\n', true, 'CLOSED']);
    });

    test('bad parameters: 400; an unknown task: 404', async () => {
      assert.equal((await fetch(`${h.url}/koji/api/tasklog?taskID=x`)).status, 400);
      assert.equal((await fetch(`${h.url}/koji/api/tasklog?taskID=1&offset=-1`)).status, 400);
      const r = await fetch(`${h.url}/koji/api/tasklog?taskID=777777`);
      assert.equal(r.status, 404);
      assert.deepEqual(await r.json(), { error: 'No such task: 777777' });
    });
  });

  describe('expired trees', () => {
    test('after the collector: "expired (<reason>, <time>)" and no link', async () => {
      const failed = await failedTaskWithBuildroot(h, host);
      const tree = await saveTree(h, host, failed.buildrootId);
      h.config.failedTree.maxTotalBytes = 1;
      try {
        const gone = await h.call<{ task_id: number; reason: string }[]>('failedTreeGC', [], h.admin);
        assert.ok(gone.some((g) => g.task_id === tree.taskId && g.reason === 'max_total_bytes'));
      } finally {
        h.config.failedTree.maxTotalBytes = 0;
      }
      const r = await getPage(h, `/koji/taskinfo?taskID=${tree.taskId}`, adminCookie);
      assert.match(r.body, /expired \(max_total_bytes, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/);
      assert.ok(!r.body.includes(`href="${fileUrl(tree.taskId, tree.file, 'failed-tree')}"`));
      assert.ok(r.body.includes(tree.sha256));
      for (const page of [
        `/koji/taskinfo?taskID=${failed.taskId}`,
        `/koji/buildrootinfo?buildrootID=${failed.buildrootId}`,
      ]) {
        const p = await getPage(h, page, adminCookie);
        assert.match(p.flat, /expired \(max_total_bytes, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/, page);
        assert.ok(!p.flat.includes(`href="${fileUrl(tree.taskId, tree.file, 'failed-tree')}"`), page);
      }
    });
  });
});

describe("the login throttle is the API's", () => {
  let h: TestHub;
  const clock = new TestClock();

  before(async () => {
    h = await startTestHub({ clock });
    await addUser(h, 'carol', 'carol-pw');
  });
  after(() => h?.close());

  test('five failures through the form delay the next attempt, through the form or the API', async () => {
    clock.slept.length = 0;
    for (let i = 0; i < 5; i++)
      assert.equal((await formLogin(h, { user: 'carol', password: 'bad' })).status, 401);
    assert.deepEqual(clock.slept, []);
    assert.equal((await formLogin(h, { user: 'carol', password: 'bad' })).status, 401);
    assert.deepEqual(clock.slept, [1000]);
    await h.rpc('login', ['carol', 'bad']);
    assert.deepEqual(clock.slept, [1000, 2000], 'the API waits for the failures made through the form');
  });
});

describe('behind an https weburl', () => {
  let h: TestHub;

  before(async () => {
    h = await startTestHub({
      tweak: (c) => {
        c.weburl = 'https://koji.example.test/koji';
        c.topurl = 'https://koji.example.test/files';
      },
    });
  });
  after(() => h?.close());

  test('the cookie is Secure, the weburl origin may post, links use weburl and topurl', async () => {
    const r = await formLogin(
      h,
      { user: 'admin', password: 'admin-password-for-tests' },
      { origin: 'https://koji.example.test' },
    );
    assert.equal(r.status, 303);
    assert.equal(r.location, 'https://koji.example.test/koji/');
    assert.ok(
      r
        .setCookie!.split(';')
        .map((s) => s.trim())
        .includes('Secure'),
    );
    const index = await getPage(h, '/koji/', r.cookie);
    assert.ok(index.body.includes('<a href="https://koji.example.test/koji/sidetags">'));
    const host = await addHost(h, 'b');
    const t = await h.call<number>('makeTask', ['sleep', [1]], h.admin);
    await open(h, host, t);
    await upload(h, host, t, 'out.txt', Buffer.from('x'));
    const page = await getPage(h, `/koji/taskinfo?taskID=${t}`);
    assert.ok(page.body.includes(`href="https://koji.example.test${fileUrl(t, 'out.txt')}"`));
  });
});
