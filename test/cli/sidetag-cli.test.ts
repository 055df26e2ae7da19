// The sidetag commands of the built client (dist/cli/main.js) against an in-process hub: every case of
// Koji's test_sidetag_cli.py (spec §6.2) — help texts as far as commander allows, usage errors with
// Koji's words and exit 2 before any hub call, the calls and their output — plus holds, --verbose and
// --json, and sidetag-cleanup's `[stage] name (timedelta)` lines in test and real mode (TestClock).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, fault, ok, usage, loginEnv, type Result } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD, startTestHub, TestClock, type TestHub } from '../helpers/hub.js';
import { sidetagConfigDir, type SidetagRow, type TagRow } from '../helpers/sidetag.js';

const PASSWORD = 'sidetag-cli-password';
const as = (user: string, password = PASSWORD) => loginEnv(user, password);
const ADMIN = as('admin', ADMIN_PASSWORD);
const TESTUSER = as('testuser');
const BOB = as('bob');
const DAY_MS = 86_400_000;

async function deadServer(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** The option lines of a help text, each as `flags  text` with the padding collapsed to one space. */
function optionLines(help: string): string[] {
  const after = help.split('\nOptions:\n')[1] ?? '';
  return after
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.trim().replace(/\s{2,}/g, ' '));
}

describe('sidetag CLI against an in-process hub', () => {
  let cfg: { dir: string; cleanup: () => void };
  let h: TestHub;
  let cli: Client;
  let dead: Client;
  let clock: TestClock;

  const run = (args: string[], env: Record<string, string> = {}) => cli.run(args, { env });
  const tag = (name: string) => h.call<TagRow | null>('getTag', [name]);
  const mine = async (user: string) =>
    (await h.call<SidetagRow[]>('listSideTags', { user })).map((r) => r.name);
  /** Creates a sidetag with the CLI and returns its name (the one line it prints). */
  const addSidetag = async (env: Record<string, string>, ...args: string[]) => {
    const r = await run(['add-sidetag', ...args], env);
    ok(r, /^\S+\n$/);
    return r.stdout.trim();
  };

  before(async () => {
    clock = new TestClock(Date.parse('2026-04-01T12:00:00Z'));
    cfg = sidetagConfigDir({
      policies: { sidetag: ['tag denied-base :: deny no sidetags here', 'all :: allow'] },
      sidetag: { allowed_suffixes: 'test-suffix', trigger_new_repo: 'true' },
    });
    h = await startTestHub({ configDir: cfg.dir, clock, tweak: (c) => (c.hub.repoIntervalMs = 100) });
    cli = new Client(h.url);
    dead = new Client(await deadServer());
    await h.call(
      'createTag',
      [
        'base',
        null,
        'x86_64',
        false,
        null,
        false,
        false,
        { sidetag_debuginfo_allowed: true, sidetag_rpm_macros_allowed: ['macroname*'] },
      ],
      h.admin,
    );
    await h.call('createTag', ['denied-base'], h.admin);
    for (const name of ['testuser', 'bob']) {
      await h.call('createUser', [name], h.admin);
      await h.call('setUserPassword', [name, PASSWORD], h.admin);
    }
  });

  after(async () => {
    cli?.cleanup();
    dead?.cleanup();
    await h?.close();
    cfg?.cleanup();
  });

  describe('add-sidetag', () => {
    test("item 1: --help has Koji's usage, description and option texts", async () => {
      const r = await run(['add-sidetag', '--help']);
      ok(r);
      assert.match(r.stdout, /^Usage: koji-es add-sidetag \[options\] <basetag>\n\nCreate sidetag\n/);
      assert.deepEqual(optionLines(r.stdout), [
        '-q, --quiet Do not print tag name',
        '-w, --wait Wait until repo is ready.',
        '--debuginfo Buildroot repo will contain debuginfos',
        '--suffix <suffix> Suffix from hub-supported ones',
        '--label <label> Get or create your sidetag with this label',
        '--target <target> Base it on the build tag of this target',
        '-h, --help display help for command',
      ]);
    });

    test('item 2: no argument (or two) → "Only argument is basetag", exit 2, no hub call', async () => {
      usage(await dead.run(['add-sidetag'], { env: TESTUSER }), 'add-sidetag', 'Only argument is basetag');
      usage(
        await dead.run(['add-sidetag', 'a', 'b'], { env: TESTUSER }),
        'add-sidetag',
        'Only argument is basetag',
      );
    });

    test('item 3: --debuginfo --suffix → createSideTag(basetag, debuginfo=True, suffix=…); the name on stdout', async () => {
      const name = await addSidetag(TESTUSER, '--debuginfo', '--suffix', 'test-suffix', 'base');
      assert.match(name, /^base-side-\d+-test-suffix$/);
      const t = (await tag(name))!;
      assert.deepEqual(t.extra, {
        sidetag: true,
        sidetag_user: 'testuser',
        sidetag_user_id: t.extra.sidetag_user_id,
        with_debuginfo: true,
      });
      const plain = await addSidetag(TESTUSER, 'base');
      assert.equal((await tag(plain))!.extra.with_debuginfo, undefined, 'no --debuginfo: debuginfo=False');
      // -q (or the global --quiet) prints nothing.
      ok(await run(['add-sidetag', '-q', 'base'], TESTUSER), '');
      ok(await run(['--quiet', 'add-sidetag', 'base'], TESTUSER), '');
      assert.equal((await mine('testuser')).length, 4);
    });

    test('item 4: ActionNotAllowed → "Policy violation" with the reason, exit 2', async () => {
      usage(
        await run(['add-sidetag', 'denied-base'], TESTUSER),
        'add-sidetag',
        'Policy violation (sidetag): no sidetags here',
      );
    });

    test("the suffix message: a suffix the hub does not allow is Koji's GenericError, exit 1", async () => {
      fault(
        await run(['add-sidetag', '--suffix', 'nope', 'base'], TESTUSER),
        'GenericError',
        'nope suffix is not allowed for sidetag',
      );
      fault(
        await run(['add-sidetag', 'no-such-base'], TESTUSER),
        'GenericError',
        "No such tagInfo: 'no-such-base'",
      );
    });

    test('--label: the first call creates the sidetag, the next prints the same name; list-sidetags --label finds it', async () => {
      const first = await run(['add-sidetag', '--label', 'cli-pr-1', 'base'], TESTUSER);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^base-side-\d+\n$/);
      const again = await run(['add-sidetag', '--label', 'cli-pr-1', 'base'], TESTUSER);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, first.stdout);
      const listed = await run(['list-sidetags', '--mine', '--label', 'cli-pr-1'], TESTUSER);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(listed.stdout, first.stdout);
      fault(
        await run(['add-sidetag', '--label', 'no spaces', 'base'], TESTUSER),
        'GenericError',
        /^Invalid sidetag label "no spaces": 1 to 64 letters/,
      );
    });

    test('--target: the base is the build tag of the target; with a basetag too, a usage error', async () => {
      await h.call('createBuildTarget', ['cli-rawhide', 'base', 'base'], h.admin);
      const r = await run(['add-sidetag', '--target', 'cli-rawhide'], TESTUSER);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^base-side-\d+\n$/);
      usage(
        await dead.run(['add-sidetag', '--target', 'cli-rawhide', 'base'], { env: TESTUSER }),
        'add-sidetag',
        'Give a basetag or --target, not both',
      );
    });

    test('--wait waits for the new repo as wait-repo --target <name> does', async () => {
      const r = await run(['add-sidetag', '--wait', 'base'], TESTUSER);
      assert.equal(r.code, 0, r.stderr);
      const [name, ...rest] = r.stdout.trimEnd().split('\n');
      assert.match(name, /^base-side-\d+$/);
      assert.match(rest.join('\n'), /^Got repo \d+\nRepo info: \S+\/repoinfo\?repoID=\d+$/);
      // Koji's --wait runs wait-repo without --request and prints its warnings; ours asks for the repo.
      assert.equal(r.stderr, '');
      const quiet = await run(['add-sidetag', '-q', '-w', 'base'], TESTUSER);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.equal(quiet.stdout, '', '--quiet is passed on to wait-repo');
    });
  });

  describe('edit-sidetag', () => {
    let st: string;
    before(async () => {
      st = await addSidetag(TESTUSER, 'base');
    });

    test("item 6: --help has Koji's options and texts", async () => {
      const r = await run(['edit-sidetag', '--help']);
      ok(r);
      assert.match(r.stdout, /^Usage: koji-es edit-sidetag \[options\] <sidetag>\n\nEdit sidetag\n/);
      assert.deepEqual(optionLines(r.stdout), [
        '--debuginfo Generate debuginfo repository',
        '--no-debuginfo',
        '--rpm-macro <key=value> Set tag-specific rpm macros',
        '--remove-rpm-macro <key> Remove rpm macros',
        '-h, --help display help for command',
      ]);
    });

    test('item 7: no argument → "Only argument is sidetag"', async () => {
      usage(
        await dead.run(['edit-sidetag', '--debuginfo'], { env: TESTUSER }),
        'edit-sidetag',
        'Only argument is sidetag',
      );
      usage(
        await dead.run(['edit-sidetag', 'a', 'b', '--debuginfo'], { env: TESTUSER }),
        'edit-sidetag',
        'Only argument is sidetag',
      );
    });

    test('item 8: no option → "At least one option needs to be specified", before any hub call', async () => {
      usage(
        await dead.run(['edit-sidetag', 'sidetag'], { env: TESTUSER }),
        'edit-sidetag',
        'At least one option needs to be specified',
      );
    });

    test('item 9: --debuginfo, two --rpm-macro and a --remove-rpm-macro → one editSideTag; no output', async () => {
      ok(await run(['edit-sidetag', '--rpm-macro', 'macroname3=x', st], TESTUSER), '');
      ok(
        await run(
          [
            'edit-sidetag',
            '--debuginfo',
            '--rpm-macro',
            'macroname1=macrovalue1',
            '--rpm-macro',
            'macroname2=macrovalue2',
            '--remove-rpm-macro',
            'macroname3',
            st,
          ],
          TESTUSER,
        ),
        '',
      );
      const extra = (await tag(st))!.extra;
      assert.equal(extra.with_debuginfo, true);
      assert.equal(extra['rpm.macro.macroname1'], 'macrovalue1');
      assert.equal(extra['rpm.macro.macroname2'], 'macrovalue2');
      assert.equal(extra['rpm.macro.macroname3'], undefined);
    });

    test("--no-debuginfo; values through Koji's arg_filter; a value may contain '='", async () => {
      ok(
        await run(
          [
            'edit-sidetag',
            '--no-debuginfo',
            '--rpm-macro',
            'macronameInt=1',
            '--rpm-macro',
            'macronameFloat=1.5',
            '--rpm-macro',
            'macronameBool=True',
            '--rpm-macro',
            'macronameEq=a=b',
            st,
          ],
          TESTUSER,
        ),
        '',
      );
      const extra = (await tag(st))!.extra;
      assert.equal(extra.with_debuginfo, false);
      assert.deepEqual(
        [
          extra['rpm.macro.macronameInt'],
          extra['rpm.macro.macronameFloat'],
          extra['rpm.macro.macronameBool'],
          extra['rpm.macro.macronameEq'],
        ],
        [1, 1.5, true, 'a=b'],
      );
    });

    test("the hub's refusals are Koji faults, exit 1; --rpm-macro without = is a usage error", async () => {
      fault(
        await run(['edit-sidetag', '--rpm-macro', 'other=1', st], TESTUSER),
        'GenericError',
        'RPM macro other editing is not allowed via parent tag',
      );
      fault(
        await run(['edit-sidetag', '--debuginfo', st], BOB),
        'ActionNotAllowed',
        'This is not your sidetag',
      );
      fault(
        await run(['edit-sidetag', '--debuginfo', 'base'], TESTUSER),
        'GenericError',
        'Not a sidetag: base',
      );
      usage(
        await dead.run(['edit-sidetag', '--rpm-macro', 'foo', st], { env: TESTUSER }),
        'edit-sidetag',
        /key=value/,
      );
    });
  });

  describe('add-sidetag-owner and remove-sidetag-owner (koji-es)', () => {
    test('the owner adds co-owners and takes them off; anybody else is refused; usage', async () => {
      const st = await addSidetag(TESTUSER, 'base');
      ok(await run(['add-sidetag-owner', st, 'bob', 'admin'], TESTUSER), '');
      const bob = await h.call<{ id: number }>('getUser', ['bob']);
      const admin = await h.call<{ id: number }>('getUser', ['admin']);
      assert.deepEqual((await tag(st))!.extra.sidetag_co_owners, [bob.id, admin.id]);
      fault(
        await run(['remove-sidetag-owner', st, 'admin'], BOB),
        'ActionNotAllowed',
        'This is not your sidetag',
      );
      ok(await run(['remove-sidetag-owner', st, 'admin'], TESTUSER), '');
      assert.deepEqual((await tag(st))!.extra.sidetag_co_owners, [bob.id]);
      // Every user is looked up first: one missing changes nothing for the others.
      usage(
        await run(['add-sidetag-owner', st, 'admin', 'nosuch'], TESTUSER),
        'add-sidetag-owner',
        'No such user: nosuch',
      );
      usage(
        await run(['remove-sidetag-owner', st, 'nosuch', 'bob', 'nosuch2'], TESTUSER),
        'remove-sidetag-owner',
        'No such users: nosuch, nosuch2',
      );
      assert.deepEqual((await tag(st))!.extra.sidetag_co_owners, [bob.id]);
      usage(
        await dead.run(['add-sidetag-owner', st]),
        'add-sidetag-owner',
        'Give a sidetag and at least one user',
      );
    });

    test('expire-sidetag sets and clears the expiry list-sidetags --verbose shows; days are checked first', async () => {
      const st = await addSidetag(TESTUSER, 'base');
      ok(await run(['expire-sidetag', st, '3'], TESTUSER), '');
      const row = (
        await h.call<(SidetagRow & { expires_ts: number })[]>('listSideTags', {
          user: 'testuser',
          queryOpts: { extra: true },
        })
      ).find((r) => r.name === st)!;
      assert.equal(typeof row.expires_ts, 'number');
      const v = await run(['list-sidetags', '--mine', '--verbose'], TESTUSER);
      const expires = new Date(row.expires_ts * 1000).toISOString().slice(0, 19).replace('T', ' ');
      assert.ok(
        v.stdout.split('\n').some((l) => l.startsWith(st) && l.includes(expires)),
        v.stdout,
      );
      ok(await run(['expire-sidetag', st, 'never'], TESTUSER), '');
      usage(
        await dead.run(['expire-sidetag', st, 'soon']),
        'expire-sidetag',
        'days must be a number above 0 or never, not "soon"',
      );
      fault(await run(['expire-sidetag', st, '1'], BOB), 'ActionNotAllowed', 'This is not your sidetag');
    });

    test('transfer-sidetag gives it to another user, who then lists it as theirs', async () => {
      const st = await addSidetag(TESTUSER, 'base');
      fault(
        await run(['transfer-sidetag', st, 'testuser'], BOB),
        'ActionNotAllowed',
        'This is not your sidetag',
      );
      ok(await run(['transfer-sidetag', st, 'admin'], TESTUSER), '');
      assert.equal((await tag(st))!.extra.sidetag_user, 'admin');
      assert.ok((await mine('admin')).includes(st));
      usage(
        await dead.run(['transfer-sidetag', st]),
        'transfer-sidetag',
        'Give a sidetag and the user to give it to',
      );
    });
  });

  describe('list-sidetags', () => {
    let names: string[];
    before(async () => {
      await h.call('createTag', ['list-base'], h.admin);
      names = [];
      for (let i = 0; i < 3; i++) names.push(await addSidetag(BOB, 'list-base'));
      await addSidetag(TESTUSER, 'list-base');
    });

    test("item 10: --help lists --basetag, --user and --mine with Koji's texts", async () => {
      const r = await run(['list-sidetags', '--help']);
      ok(r);
      assert.match(r.stdout, /^Usage: koji-es list-sidetags \[options\]\n\nList sidetags\n/);
      const lines = optionLines(r.stdout);
      for (const l of [
        '--basetag <basetag> Filter on basetag',
        '--user <user> Filter on user',
        '--mine Filter on user',
      ])
        assert.ok(lines.includes(l), `${l} in ${JSON.stringify(lines)}`);
    });

    test('item 11: a positional argument → "This command takes no arguments", no calls', async () => {
      usage(await dead.run(['list-sidetags', 'arg']), 'list-sidetags', 'This command takes no arguments');
    });

    test('item 12: --mine with --user → "Specify only one from --user --mine", no calls', async () => {
      usage(
        await dead.run(['list-sidetags', '--mine', '--user', 'testuser'], { env: TESTUSER }),
        'list-sidetags',
        'Specify only one from --user --mine',
      );
    });

    test("item 13: --mine logs in and lists the caller's sidetags, one name per line", async () => {
      ok(await run(['list-sidetags', '--mine', '--basetag', 'list-base'], BOB), `${names.join('\n')}\n`);
      const all = await run(['list-sidetags', '--mine'], TESTUSER);
      ok(all);
      assert.deepEqual(all.stdout.trimEnd().split('\n'), await mine('testuser'));
    });

    test('item 14: --user lists anonymously; --basetag filters; nothing else is printed', async () => {
      ok(await run(['list-sidetags', '--user', 'bob']), `${names.join('\n')}\n`);
      ok(
        await run(['--noauth', 'list-sidetags', '--user', 'bob', '--basetag', 'list-base']),
        `${names.join('\n')}\n`,
      );
      ok(await run(['list-sidetags', '--basetag', 'denied-base']), '');
      fault(await run(['list-sidetags', '--user', 'nobody']), 'GenericError', "No such user: 'nobody'");
    });

    test('--json prints the rows with hold; --verbose a table with owner, base, builds, created and hold', async () => {
      ok(await run(['hold-sidetag', names[1], 'bodhi update FEDORA-2026-7'], BOB), '');
      const j = await run(['list-sidetags', '--user', 'bob', '--json']);
      ok(j);
      const rows = JSON.parse(j.stdout) as SidetagRow[];
      assert.deepEqual(
        rows.map((r) => r.name),
        names,
      );
      assert.equal(rows[0].user_id, String(rows[0].user_id), 'user_id is a string');
      assert.equal(rows[0].hold, null);
      assert.deepEqual([rows[1].hold?.reason, rows[1].hold?.by], ['bodhi update FEDORA-2026-7', 'bob']);
      const v = await run(['list-sidetags', '--user', 'bob', '--verbose']);
      ok(v);
      const [header, ...lines] = v.stdout.trimEnd().split('\n');
      assert.match(header, /^Sidetag\s+Owner\s+Base tag\s+Builds\s+Created\s+Expires\s+Hold\s+Removal due$/);
      assert.equal(lines.length, 3);
      assert.match(lines[0], new RegExp(`^${names[0]}\\s+bob\\s+list-base\\s+0\\s+2026-04-01 12:00:00$`));
      assert.match(
        lines[1],
        new RegExp(
          `^${names[1]}\\s+bob\\s+list-base\\s+0\\s+2026-04-01 12:00:00\\s+bodhi update FEDORA-2026-7 \\(bob\\)$`,
        ),
      );
      // -q drops the header.
      const q = await run(['-q', 'list-sidetags', '--user', 'bob', '--verbose']);
      ok(q);
      assert.equal(q.stdout.trimEnd().split('\n').length, 3);
    });

    test('hold-sidetag and release-sidetag: the owner may, others may not; errors are Koji faults', async () => {
      fault(
        await run(['release-sidetag', names[1]], TESTUSER),
        'ActionNotAllowed',
        'This is not your sidetag',
      );
      fault(
        await run(['hold-sidetag', names[0], 'x'], TESTUSER),
        'ActionNotAllowed',
        'This is not your sidetag',
      );
      ok(await run(['release-sidetag', names[1]], BOB), '');
      fault(await run(['release-sidetag', names[1]], BOB), 'GenericError', `sidetag ${names[1]} is not held`);
      usage(
        await dead.run(['hold-sidetag', names[1]], { env: BOB }),
        'hold-sidetag',
        /missing required argument 'reason'/,
      );
      ok(await run(['hold-sidetag', names[1], 'release train'], ADMIN), '');
      const held = await h.call<SidetagRow[]>('listSideTags', { user: 'bob', queryOpts: { extra: true } });
      assert.deepEqual(held.find((r) => r.name === names[1])?.hold?.reason, 'release train');
    });
  });

  describe('remove-sidetag', () => {
    test('item 15: --help: usage "[options] <sidetag> ..." and only -h', async () => {
      const r = await run(['remove-sidetag', '--help']);
      ok(r);
      assert.match(
        r.stdout,
        /^Usage: koji-es remove-sidetag \[options\] <sidetag> \.\.\.\n\nRemove sidetag\n/,
      );
      assert.deepEqual(optionLines(r.stdout), ['-h, --help display help for command']);
    });

    test('item 16: no argument → "Sidetag argument is required", no calls', async () => {
      usage(
        await dead.run(['remove-sidetag'], { env: TESTUSER }),
        'remove-sidetag',
        'Sidetag argument is required',
      );
    });

    test('item 17: several sidetags → all removed, no output', async () => {
      const a = await addSidetag(TESTUSER, 'base');
      const b = await addSidetag(TESTUSER, 'base');
      ok(await run(['remove-sidetag', a, b], TESTUSER), '');
      assert.equal(await tag(a), null);
      assert.equal(await tag(b), null);
    });

    test("a failure is reported and the others are still removed (Koji's multicall commits the rest), exit 1", async () => {
      const a = await addSidetag(TESTUSER, 'base');
      const b = await addSidetag(TESTUSER, 'base');
      const r: Result = await run(['remove-sidetag', a, 'base', b], TESTUSER);
      fault(r, 'GenericError', 'Not a sidetag: base');
      assert.equal(await tag(a), null);
      assert.equal(await tag(b), null);
      const theirs = await addSidetag(BOB, 'base');
      fault(await run(['remove-sidetag', theirs], TESTUSER), 'ActionNotAllowed', 'This is not your sidetag');
      ok(await run(['remove-sidetag', theirs], ADMIN), '');
    });
  });

  describe('sidetag-cleanup', () => {
    const made: Record<string, string> = {};

    before(async () => {
      await h.call('createTag', ['clean-base'], h.admin);
      await h.call('createEmptyBuild', ['cleanpkg', '1', '1', null], h.admin);
      await h.call('createEmptyBuild', ['cleanpkg', '2', '1', null], h.admin);
      // Everything else in this hub is younger than a day until the clock moves; these are made now.
      made.empty = await addSidetag(TESTUSER, 'clean-base');
      made.old = await addSidetag(TESTUSER, 'clean-base');
      await h.call('tagBuildBypass', [made.old, 'cleanpkg-1-1'], h.admin);
      made.held = await addSidetag(TESTUSER, 'clean-base');
      ok(await run(['hold-sidetag', made.held, 'needed by bodhi'], TESTUSER), '');
      clock.advance(20 * DAY_MS);
      made.inactive = await addSidetag(TESTUSER, 'clean-base');
      await h.call('tagBuildBypass', [made.inactive, 'cleanpkg-2-1'], h.admin);
      clock.advance(12 * DAY_MS + 3 * 3_600_000 + 4 * 60_000 + 5_123);
    });

    const expectedLines = () => [
      `[empty] ${made.empty} (32 days, 3:04:05.123000)`,
      `[old] ${made.old} (32 days, 3:04:05.123000)`,
      `[inactive] ${made.inactive} (12 days, 3:04:05.123000)`,
    ];

    test('needs sidetag_admin; --config must exist; delays must be numbers', async () => {
      fault(await run(['sidetag-cleanup', '--test'], TESTUSER), 'ActionNotAllowed', /sidetag_admin/);
      usage(
        await dead.run(['sidetag-cleanup', '--config', '/nonexistent/koji-gc.conf'], { env: ADMIN }),
        'sidetag-cleanup',
        'No such file: /nonexistent/koji-gc.conf',
      );
      usage(
        await dead.run(['sidetag-cleanup', '--old-delay', 'soon'], { env: ADMIN }),
        'sidetag-cleanup',
        '--old-delay must be a number of days, not "soon"',
      );
    });

    test('--test prints "[stage] name (timedelta)" per selected sidetag and removes nothing', async () => {
      const r = await run(
        ['sidetag-cleanup', '--test', '--ignore-tags', 'base-*', '--ignore-tags', 'list-*'],
        ADMIN,
      );
      ok(r);
      assert.deepEqual(r.stdout.trimEnd().split('\n'), expectedLines());
      for (const n of Object.values(made)) assert.ok(await tag(n), `${n} is still there`);
      // --no-empty passes the empty one on to "old"; --no-old and --no-inactive switch those off.
      const r2 = await run(
        [
          'sidetag-cleanup',
          '-t',
          '--no-empty',
          '--no-inactive',
          '--ignore-tags',
          'base-*',
          '--ignore-tags',
          'list-*',
        ],
        ADMIN,
      );
      ok(r2, `[old] ${made.empty} (32 days, 3:04:05.123000)\n[old] ${made.old} (32 days, 3:04:05.123000)\n`);
      const r3 = await run(
        [
          'sidetag-cleanup',
          '-t',
          '--no-old',
          '--inactive-delay',
          '13',
          '--ignore-tags',
          'base-*',
          '--ignore-tags',
          'list-*',
        ],
        ADMIN,
      );
      ok(
        r3,
        `[empty] ${made.empty} (32 days, 3:04:05.123000)\n[inactive] ${made.old} (32 days, 3:04:05.123000)\n`,
      );
    });

    test('without --test it removes them and prints the same lines; the held one stays', async () => {
      const r = await run(['sidetag-cleanup', '--ignore-tags', 'base-*', '--ignore-tags', 'list-*'], ADMIN);
      ok(r);
      assert.deepEqual(r.stdout.trimEnd().split('\n'), expectedLines());
      for (const k of ['empty', 'old', 'inactive']) assert.equal(await tag(made[k]), null, k);
      assert.ok(await tag(made.held));
      ok(await run(['sidetag-cleanup', '--ignore-tags', 'base-*', '--ignore-tags', 'list-*'], ADMIN), '');
    });
  });
});

describe("list-sidetags --due and the removal column, with the hub's own cleanup on", () => {
  test('a sidetag shows when the cleanup removes it and by which stage; --due DAYS lists those due; a held one never', async () => {
    const clock = new TestClock(Date.parse('2026-04-01T12:00:00Z'));
    // An hourly cleanup that never fires during the test: its schedule is what is shown.
    const cfg = sidetagConfigDir({ sidetag: { cleanup_interval: '3600', cleanup_empty_delay: '2' } });
    const h = await startTestHub({ configDir: cfg.dir, clock });
    const cli = new Client(h.url);
    try {
      await h.call('createUser', ['bob'], h.admin);
      await h.call('setUserPassword', ['bob', PASSWORD], h.admin);
      await h.call('createTag', ['due-base'], h.admin);
      const env = as('bob');
      const made = async () => (await cli.run(['add-sidetag', 'due-base'], { env })).stdout.trim();
      const empty = await made();
      const held = await made();
      ok(await cli.run(['hold-sidetag', held, 'in testing'], { env }), '');
      const v = await cli.run(['list-sidetags', '--user', 'bob', '--verbose']);
      ok(v);
      const [, ...lines] = v.stdout.trimEnd().split('\n');
      assert.match(lines[0], new RegExp(`^${empty}\\s.*\\s2026-04-03 12:00:00 \\(empty\\)$`), lines[0]);
      assert.match(lines[1], /\(bob\)$/, 'held: no removal due');
      ok(await cli.run(['list-sidetags', '--user', 'bob', '--due', '1']), '');
      ok(await cli.run(['list-sidetags', '--user', 'bob', '--due', '2.5']), `${empty}\n`);
      clock.advance(3 * 86400 * 1000);
      ok(await cli.run(['list-sidetags', '--due', '0']), `${empty}\n`);
      usage(
        await cli.run(['list-sidetags', '--due', 'soon']),
        'list-sidetags',
        '--due takes a number of days, not soon',
      );
    } finally {
      cli.cleanup();
      await h.close();
      cfg.cleanup();
    }
  });
});
