// The web pages in headless Chromium (Debian's `chromium`, driven by playwright-core): log in through
// the form, open a saved tree's task page, follow the tarball link and check the download's sha256
// against the page; another user sees "not allowed"; a running task's runroot.log grows on the page
// while the test uploads chunks through host.uploadFile, without a reload; an expired tree says so;
// the sidetags page leads to a tag's page with its package list.
// Every page runs under the strict CSP: a violation (the inline script's hash wrong) fails the test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, type Browser } from '../helpers/browser.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.js';
import { addHost, sha256, type Host } from '../helpers/tasks.js';
import { needTool } from '../helpers/tools.js';
import { addUser, failedTaskWithBuildroot, runningLog, saveTree, type SavedTree } from '../helpers/web.js';

const INSTALL = 'apt-get install chromium';

/**
 * Polls from the test's side: the page's CSP forbids the string evaluation waitForFunction would use.
 */
async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`not true within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('web pages in headless Chromium', () => {
  let h: TestHub;
  let host: Host;
  let browser: Browser | null = null;
  let tree: SavedTree;
  const cspViolations: string[] = [];

  before(async () => {
    h = await startTestHub({
      tweak: (c) => {
        c.failedTree.gcIntervalMs = 0;
      },
    });
    host = await addHost(h, 'builder-1');
    await addUser(h, 'alice', 'alice-pw');
    const failed = await failedTaskWithBuildroot(h, host);
    tree = await saveTree(h, host, failed.buildrootId);
    if (chromiumAvailable()) browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  async function newPage(): Promise<Page> {
    const page = await browser!.context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    return page;
  }

  async function logIn(page: Page, user: string, password: string) {
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', password);
    await Promise.all([
      page.waitForURL((u) => !u.pathname.endsWith('/login')),
      page.click('form.login button[type=submit]'),
    ]);
  }

  const treeRow = (page: Page) => page.locator(`#output tr[data-file="${tree.file}"]`);

  test('log in from the task page, follow the tarball link, the download has the sha256 shown', async (t) => {
    if (!needTool(t, 'chromium', chromiumAvailable(), INSTALL)) return;
    const page = await newPage();
    const taskUrl = `${h.url}/koji/taskinfo?taskID=${tree.taskId}`;
    await page.goto(taskUrl);
    assert.match((await treeRow(page).textContent())!, /not allowed/);
    await Promise.all([
      page.waitForURL(/\/koji\/login\?next=/),
      treeRow(page).locator('a:has-text("log in")').click(),
    ]);
    await logIn(page, 'admin', ADMIN_PASSWORD);
    assert.equal(page.url(), taskUrl, 'next= brought the browser back to the task');
    assert.match((await page.textContent('header'))!, /logged in as admin/);

    const cookies = await browser!.context.cookies(h.url);
    const session = cookies.find((c) => c.name === 'koji_es_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/');
    assert.equal(await page.evaluate('document.cookie'), '', 'scripts cannot read the session cookie');

    const shown = (await treeRow(page).locator('td.hash').textContent())!.trim();
    assert.equal(shown, tree.sha256);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      treeRow(page).locator('a[download]').click(),
    ]);
    const saved = join(browser!.dir, 'download.tar.gz');
    await download.saveAs(saved);
    assert.equal(download.suggestedFilename(), tree.file);
    assert.equal(sha256(readFileSync(saved)), shown);
    await page.screenshot({ path: join(browser!.dir, 'taskinfo.png'), fullPage: true });
    await page.close();
  });

  test('another user sees "not allowed" instead of the link', async (t) => {
    if (!needTool(t, 'chromium', chromiumAvailable(), INSTALL)) return;
    await browser!.context.clearCookies();
    const page = await newPage();
    await page.goto(`${h.url}/koji/login`);
    await logIn(page, 'alice', 'alice-pw');
    assert.match((await page.textContent('#viewer'))!, /Logged in as alice/);
    await page.goto(`${h.url}/koji/taskinfo?taskID=${tree.taskId}`);
    const row = treeRow(page);
    assert.match(
      (await row.textContent())!,
      /not allowed: only admin, who owns failed task \d+, or an admin/,
    );
    assert.equal(await row.locator('a[download]').count(), 0);
    assert.equal(await row.locator('a').count(), 0, 'no log-in link for someone logged in');
    await page.close();
  });

  test("a running task's runroot.log grows on the page without a reload", async (t) => {
    if (!needTool(t, 'chromium', chromiumAvailable(), INSTALL)) return;
    const run = await runningLog(h, host);
    await run.append('first line\n');
    const page = await newPage();
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    await page.goto(`${h.url}/koji/taskinfo?taskID=${run.taskId}`);
    const log = page.locator('#live-log');
    assert.equal(await log.textContent(), 'first line\n');
    const status = page.locator('#live-log-status');
    await until(async () => /following/.test((await status.textContent()) ?? ''));
    const state = page.locator('#task-state');
    assert.equal(await state.textContent(), 'OPEN');
    for (const line of ['second line <b>not bold</b>\n', 'third line ✓\n']) {
      await run.append(line);
      await until(async () => ((await log.textContent()) ?? '').endsWith(line));
    }
    assert.equal(await log.locator('b').count(), 0, 'log text is text, never markup');
    await run.append('last line\n');
    await run.finish();
    await until(async () => /the log is complete/.test((await status.textContent()) ?? ''));
    // The state row follows the task too, not only the status line under the log.
    assert.equal(await state.textContent(), 'CLOSED');
    assert.equal(
      await log.textContent(),
      'first line\nsecond line <b>not bold</b>\nthird line ✓\nlast line\n',
    );
    assert.equal(navigations, 1, 'the page was never reloaded');
    assert.deepEqual(cspViolations, [], 'the inline script runs under the CSP');
    await page.close();
  });

  test('an expired tree says "expired" where the link was', async (t) => {
    if (!needTool(t, 'chromium', chromiumAvailable(), INSTALL)) return;
    await browser!.context.clearCookies();
    const page = await newPage();
    await page.goto(`${h.url}/koji/login`);
    await logIn(page, 'admin', ADMIN_PASSWORD);
    const failed = await failedTaskWithBuildroot(h, host);
    const old = await saveTree(h, host, failed.buildrootId);
    // Retention as the collector applies it: every tree is over a total of one byte.
    h.config.failedTree.maxTotalBytes = 1;
    try {
      await h.call('failedTreeGC', [], h.admin);
    } finally {
      h.config.failedTree.maxTotalBytes = 0;
    }
    await page.goto(`${h.url}/koji/taskinfo?taskID=${old.taskId}`);
    const row = page.locator(`#output tr[data-file="${old.file}"]`);
    assert.match(
      (await row.textContent())!,
      /expired \(max_total_bytes, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/,
    );
    assert.equal(await row.locator('a').count(), 0);
    await page.close();
  });

  test("from the sidetags page to a sidetag's tag page: the package its owner blocked, then its base tag", async (t) => {
    if (!needTool(t, 'chromium', chromiumAvailable(), INSTALL)) return;
    const alice = await h.login('alice', 'alice-pw');
    await h.call('createTag', ['br-base', { arches: 'x86_64', __starstar: true }], h.admin);
    await h.call('packageListAdd', ['br-base', 'bash', 'alice'], h.admin);
    const side = await h.call<{ name: string; id: number }>('createSideTag', ['br-base'], alice);
    await h.call('packageListBlock', [side.name, 'bash'], alice);
    const page = await newPage();
    await page.goto(`${h.url}/koji/sidetags?user=alice`);
    await Promise.all([page.waitForURL(/\/koji\/taginfo\?tagID=/), page.click(`text=${side.name}`)]);
    const blocked = page.locator('#packages tr.blocked');
    assert.equal(await blocked.count(), 1);
    assert.match((await blocked.textContent())!, /bash[\s\S]*alice[\s\S]*blocked/);
    await Promise.all([
      page.waitForURL(/\/koji\/taginfo\?tagID=\d+$/),
      page.locator('#tag tr', { hasText: 'parents' }).locator('a').click(),
    ]);
    assert.match((await page.locator('#tag').textContent())!, /br-base/);
    assert.equal(await page.locator('#packages tr.blocked').count(), 0, 'the base tag lists bash unblocked');
    assert.deepEqual(cspViolations, []);
    await page.close();
  });
});
