// The built `koji-es` client (dist/cli/main.js) spawned against an in-process hub: stdout, stderr and
// exit status of every command, the output rules (usage errors exit 2 as `koji-es <cmd>: error: …`,
// Koji faults exit 1 as `koji-es: <Class>: <message>`), global options and their precedence (flag >
// environment > profile file), and the per-profile session cache.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KOJI_ES_VERSION, KOJI_VERSION } from 'koji-es/version';
import { loginEnv } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD, REPO_ROOT, startTestHub, TestClock, type TestHub } from '../helpers/hub.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const PASSWORD = 'shared-test-password';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Added to the base environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  input?: string;
}

/** A client home: its own HOME and XDG_CONFIG_HOME, so profiles and cached sessions stay per test. */
class Client {
  readonly home: string;
  private readonly cleanupDir: () => void;

  constructor(private readonly server: string) {
    const t = tempDir('koji-es-cli-home-');
    this.home = t.dir;
    this.cleanupDir = t.cleanup;
  }

  get configDir(): string {
    return join(this.home, '.config', 'koji-es');
  }

  sessionFile(profile = 'koji-es'): string {
    return join(this.configDir, 'sessions', `${profile}.json`);
  }

  writeConfig(text: string): void {
    mkdirSync(this.configDir, { recursive: true });
    writeFileSync(join(this.configDir, 'config'), text);
  }

  forgetSessions(): void {
    rmSync(join(this.configDir, 'sessions'), { recursive: true, force: true });
  }

  /** Spawns the CLI asynchronously (the hub answers from this same process). */
  run(args: string[], o: RunOptions = {}): Promise<Result> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      KOJI_ES_POLL_INTERVAL: '0.05',
      KOJI_ES_SERVER: this.server,
    };
    for (const [k, v] of Object.entries(o.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [CLI, ...args], {
        env,
        cwd: this.home,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code, stdout, stderr }));
      p.stdin.end(o.input ?? '');
    });
  }

  cleanup(): void {
    this.cleanupDir();
  }
}

/**
 * Credentials of one user, in a profile of its own (KOJI_ES_PROFILE), so each user's cached session is
 * reused across commands instead of one shared cache being replaced at every change of user.
 */
const as = (user: string, password = PASSWORD) => loginEnv(user, password);
const ADMIN = as('admin', ADMIN_PASSWORD);
/** Admin in the default profile. */
const ADMIN_DEFAULT = { KOJI_ES_USER: 'admin', KOJI_ES_PASSWORD: ADMIN_PASSWORD };

function ok(r: Result, stdout?: string | RegExp): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stderr, '');
  if (typeof stdout === 'string') assert.equal(r.stdout, stdout);
  else if (stdout) assert.match(r.stdout, stdout);
}

/** Koji's parser.error: one line `koji-es <cmd>: error: <message>`, exit status 2, nothing on stdout. */
function usage(r: Result, command: string, message: string | RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const line = r.stderr.replace(/\n$/, '');
  assert.ok(!line.includes('\n'), `one line: ${r.stderr}`);
  const prefix = `koji-es ${command}: error: `;
  assert.ok(line.startsWith(prefix), line);
  if (typeof message === 'string') assert.equal(line.slice(prefix.length), message);
  else assert.match(line.slice(prefix.length), message);
}

/** Any other failure: `koji-es: <Class>: <message>` on stderr, exit status 1. */
function fault(r: Result, cls: string, message: string | RegExp): void {
  assert.equal(r.code, 1, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const line = r.stderr.replace(/\n$/, '');
  assert.ok(!line.includes('\n'), `one line: ${r.stderr}`);
  const prefix = `koji-es: ${cls}: `;
  assert.ok(line.startsWith(prefix), line);
  if (typeof message === 'string') assert.equal(line.slice(prefix.length), message);
  else assert.match(line.slice(prefix.length), message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function countEvents(h: TestHub, type: string): Promise<number> {
  let n = 0;
  let afterCp: string | null = null;
  for (;;) {
    const page = await h.hub.backend.events.readAll({
      after: afterCp,
      maxCount: 500,
      filter: { types: [type] },
    });
    n += page.events.length;
    if (page.atEnd) return n;
    afterCp = page.checkpoint;
  }
}

interface TokenRow {
  id: number;
  name: string | null;
  user_name: string;
  created: string;
  expires: string | null;
  revoked: boolean;
}

const COMMANDS = [
  'hello',
  'version',
  'list-api',
  'call',
  'add-user',
  'set-password',
  'enable-user',
  'disable-user',
  'grant-permission',
  'revoke-permission',
  'list-permissions',
  'add-group',
  'add-group-member',
  'create-token',
  'list-tokens',
  'revoke-token',
  'test-policy',
];

describe('koji-es CLI against an in-process hub', () => {
  let h: TestHub;
  let hubStartMs = 0;
  let cli: Client;
  const ids: Record<string, number> = {};

  before(async () => {
    const t0 = performance.now();
    h = await startTestHub();
    hubStartMs = performance.now() - t0;
    cli = new Client(h.url);
    for (const name of ['bob', 'carol', 'dave']) {
      ids[name] = await h.call<number>('createUser', [name], h.admin);
      await h.call('setUserPassword', [name, PASSWORD], h.admin);
    }
  });
  after(async () => {
    cli?.cleanup();
    await h?.close();
  });

  test('--client-version starts quickly, without the hub', async (t) => {
    const t0 = performance.now();
    const r = await cli.run(['--client-version'], { env: { KOJI_ES_SERVER: undefined } });
    const ms = performance.now() - t0;
    ok(r, `${KOJI_ES_VERSION}\n`);
    t.diagnostic(
      `koji-es --client-version: ${ms.toFixed(0)} ms (the hub started in ${hubStartMs.toFixed(0)} ms)`,
    );
  });

  describe('commands', () => {
    test('hello: anonymous, with a password, with a token, with --noauth', async () => {
      const rpc = `${h.url}/rpc`;
      ok(
        await cli.run(['hello']),
        `Hello, anonymous user!\n\nYou are using the hub at ${rpc} (Koji ${KOJI_VERSION})\nNot authenticated\n`,
      );
      cli.forgetSessions();
      ok(
        await cli.run(['hello'], { env: ADMIN }),
        `Hello, admin!\n\nYou are using the hub at ${rpc} (Koji ${KOJI_VERSION})\nAuthenticated via password\n`,
      );
      const { token } = await h.call<{ token: string }>('createAPIToken', ['bob'], h.admin);
      ok(
        await cli.run(['hello'], { env: { KOJI_ES_TOKEN: token } }),
        /^Hello, bob!\n[\s\S]*Authenticated via API token\n$/,
      );
      ok(
        await cli.run(['--noauth', 'hello'], { env: ADMIN }),
        /^Hello, anonymous user!\n[\s\S]*Not authenticated\n$/,
      );
    });

    test('version', async () => {
      ok(await cli.run(['version']), `Client: koji-es ${KOJI_ES_VERSION}\nHub:    ${KOJI_VERSION}\n`);
    });

    test('list-api: every method, one method, an unknown method', async () => {
      const all = await cli.run(['list-api']);
      ok(all);
      const lines = all.stdout.trimEnd().split('\n');
      const names = lines.filter((l) => !l.startsWith('  ')).map((l) => l.slice(0, l.indexOf('(')));
      assert.deepEqual(names, [...names].sort(), 'sorted by name');
      assert.deepEqual(names.sort(), (await h.call<string[]>('system.listMethods')).sort());
      assert.ok(lines.includes('createUser(username, status=None, krb_principal=None)'));
      assert.ok(lines.includes('login(user, password, opts=None, renew=False, exclusive=False)'));
      assert.ok(lines.some((l) => /^ {2}description: .*Access: the admin permission/.test(l)));
      ok(
        await cli.run(['list-api', 'createUser', 'hello']),
        /^createUser\(username, status=None, krb_principal=None\)\ndescription: .+\nhello\(\)\ndescription: .+\n$/,
      );
      usage(await cli.run(['list-api', 'nope']), 'list-api', 'Unknown method: nope');
    });

    test("call: Koji's argument syntax (ints, floats, True/False/None, key=value), --kwargs, --json-output", async () => {
      cli.forgetSessions(); // anonymous calls: no cached session of an earlier test
      // An int is an id, a string a name: `1` finds admin, `'1'` would not.
      ok(
        await cli.run(['call', 'getUser', '1']),
        "{'id': 1, 'name': 'admin', 'status': 0, 'usertype': 0, 'krb_principals': []}\n",
      );
      ok(
        await cli.run(['call', 'getUser', 'bob', 'False', 'False', 'True']),
        `{'id': ${ids.bob}, 'name': 'bob', 'status': 0, 'usertype': 0, 'groups': []}\n`,
      );
      ok(
        await cli.run(['call', 'getUser', 'carol', 'groups=True', 'krb_princs=False']),
        `{'id': ${ids.carol}, 'name': 'carol', 'status': 0, 'usertype': 0, 'groups': []}\n`,
      );
      ok(await cli.run(['call', 'getUser', 'nobody']), 'None\n');
      ok(await cli.run(['call', 'getUser', 'None']), 'None\n');
      ok(
        await cli.run(['call', 'getUser', 'bob', '--kwargs', '{"groups": true, "krb_princs": false}']),
        /'groups': \[\]/,
      );
      const json = await cli.run(['call', '--json-output', 'getUser', 'dave']);
      ok(json);
      assert.deepEqual(JSON.parse(json.stdout), {
        id: ids.dave,
        name: 'dave',
        status: 0,
        usertype: 0,
        krb_principals: [],
      });
      // A float stays a number: 1.5 is not a valid id (a string would have been a name).
      fault(
        await cli.run(['call', 'getUser', '1.5']),
        'ParameterError',
        /^invalid parameter userInfo of getUser: /,
      );
      const t = await cli.run(['call', '--json-output', 'createAPIToken', 'expires=90.5', 'name=float'], {
        env: as('dave'),
      });
      ok(t);
      const created = JSON.parse(t.stdout) as { id: number; token: string };
      const rows = await h.call<TokenRow[]>('listAPITokens', ['dave'], h.admin);
      const row = rows.find((r) => r.id === created.id)!;
      assert.equal(row.name, 'float');
      assert.equal(Date.parse(row.expires!) - Date.parse(row.created), 90_500);
      ok(await cli.run(['call', 'getAPIVersion']), '1\n');
      ok(await cli.run(['call', 'hello']), "'Hello World'\n");
      fault(await cli.run(['call', 'nope']), 'GenericError', 'Invalid method: nope');
      fault(
        await cli.run(['call', 'createUser', 'x', 'bogus=1'], { env: ADMIN }),
        'ParameterError',
        "createUser() got an unexpected keyword argument 'bogus'",
      );
      usage(await cli.run(['call', 'getUser', '--kwargs', '[1]']), 'call', '--kwargs must be a JSON object');
      usage(await cli.run(['call', 'getUser', '--kwargs', '{nope']), 'call', /^--kwargs is not JSON/);
      // --json-input: text that opens like JSON and does not parse is refused, naming it; plain text
      // is still a string (Koji's arg_filter), and valid JSON is sent as such.
      usage(
        await cli.run(['call', '--json-input', 'getUser', '{bad']),
        'call',
        /^argument "\{bad" is not valid JSON: /,
      );
      usage(
        await cli.run(['call', '--json-input', 'getUser', 'bob', 'groups=[True']),
        'call',
        /^argument "groups=\[True" is not valid JSON: /,
      );
      ok(await cli.run(['call', '--json-input', 'getUser', 'nobody']), 'None\n');
      ok(await cli.run(['call', '--json-input', 'getUser', '"bob"']), /'name': 'bob'/);
    });

    test('add-user NAME [--password-stdin]', async () => {
      const r = await cli.run(['add-user', 'erin'], { env: ADMIN });
      ok(r, /^Added user erin \(\d+\)\n$/);
      assert.equal(r.stdout, `Added user erin (${(await h.call<{ id: number }>('getUser', ['erin'])).id})\n`);
      const withPw = await cli.run(['add-user', 'frank', '--password-stdin'], {
        env: ADMIN,
        input: 'frank-password\n',
      });
      ok(withPw, /^Added user frank \(\d+\)\n$/);
      ok(await cli.run(['hello'], { env: as('frank', 'frank-password') }), /^Hello, frank!/);
      ok(await cli.run(['-q', 'add-user', 'quiet-user'], { env: ADMIN }), '');
      fault(await cli.run(['add-user', 'erin'], { env: ADMIN }), 'GenericError', 'user already exists: erin');
      fault(
        await cli.run(['add-user', 'gary'], { env: as('bob') }),
        'ActionNotAllowed',
        'admin permission required (logged in as bob)',
      );
      cli.forgetSessions();
      fault(
        await cli.run(['add-user', 'gary']),
        'AuthError',
        'Unable to log in, no authentication methods available',
      );
      usage(
        await cli.run(['add-user', 'gary', '--password-stdin'], { env: ADMIN, input: '' }),
        'add-user',
        'no password on standard input',
      );
    });

    test('set-password NAME --password-stdin: by an admin, by the user themself, never another user', async () => {
      await h.call('createUser', ['gina'], h.admin);
      ok(
        await cli.run(['set-password', 'gina', '--password-stdin'], {
          env: ADMIN,
          input: 'gina-password-1\n',
        }),
        '',
      );
      ok(await cli.run(['hello'], { env: as('gina', 'gina-password-1') }), /^Hello, gina!/);
      ok(
        await cli.run(['set-password', 'gina', '--password-stdin'], {
          env: as('gina', 'gina-password-1'),
          input: 'gina-password-2\n',
        }),
        '',
      );
      cli.forgetSessions();
      fault(
        await cli.run(['hello'], { env: as('gina', 'gina-password-1') }),
        'AuthError',
        'invalid username or password',
      );
      ok(await cli.run(['hello'], { env: as('gina', 'gina-password-2') }), /^Hello, gina!/);
      fault(
        await cli.run(['set-password', 'bob', '--password-stdin'], {
          env: as('gina', 'gina-password-2'),
          input: 'not-yours-123\n',
        }),
        'ActionNotAllowed',
        'only an admin may set the password of another user (logged in as gina)',
      );
      usage(
        await cli.run(['set-password', 'gina'], { env: ADMIN }),
        'set-password',
        'give the password on standard input with --password-stdin',
      );
      usage(
        await cli.run(['set-password', 'gina', '--password-stdin'], { env: ADMIN, input: '\n' }),
        'set-password',
        'no password on standard input',
      );
      fault(
        await cli.run(['set-password', 'gina', '--password-stdin'], { env: ADMIN, input: 'short\n' }),
        'ParameterError',
        /password must be between 8 and 1024 characters long/,
      );
    });

    test('disable-user blocks logins; enable-user restores them', async () => {
      await h.call('createUser', ['hank'], h.admin);
      await h.call('setUserPassword', ['hank', PASSWORD], h.admin);
      ok(await cli.run(['hello'], { env: as('hank') }), /^Hello, hank!/);
      ok(await cli.run(['disable-user', 'hank'], { env: ADMIN }), '');
      // Hank's cached session is refused, and so is a fresh login.
      fault(await cli.run(['hello'], { env: as('hank') }), 'AuthError', 'logins by hank are blocked');
      assert.equal((await h.call<{ status: number }>('getUser', ['hank'])).status, 1);
      ok(await cli.run(['enable-user', 'hank'], { env: ADMIN }), '');
      ok(await cli.run(['hello'], { env: as('hank') }), /^Hello, hank!/);
      fault(
        await cli.run(['disable-user', 'nobody'], { env: ADMIN }),
        'GenericError',
        "No such user: 'nobody'",
      );
      fault(
        await cli.run(['enable-user', 'hank'], { env: as('bob') }),
        'ActionNotAllowed',
        'admin permission required (logged in as bob)',
      );
    });

    test('grant-permission [--new] PERM USER…, revoke-permission, list-permissions [--user U] [--mine]', async () => {
      fault(
        await cli.run(['grant-permission', 'frobnicate', 'bob'], { env: ADMIN }),
        'GenericError',
        /^No such permission: frobnicate/,
      );
      ok(
        await cli.run(['grant-permission', '--new', '--description', 'frobs', 'frobnicate', 'bob', 'carol'], {
          env: ADMIN,
        }),
        '',
      );
      ok(await cli.run(['list-permissions', '--user', 'bob']), 'frobnicate\n');
      ok(await cli.run(['list-permissions', '--user', 'carol']), 'frobnicate\n');
      ok(await cli.run(['grant-permission', 'repo', 'bob'], { env: ADMIN }), '');
      ok(await cli.run(['list-permissions', '--user', 'bob']), 'frobnicate\nrepo\n');
      const all = await cli.run(['list-permissions']);
      ok(all);
      const lines = all.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^Permission name\s+Description$/);
      assert.ok(lines.some((l) => /^frobnicate\s+frobs$/.test(l)));
      assert.ok(lines.some((l) => l.trim() === 'admin'));
      const quiet = await cli.run(['-q', 'list-permissions']);
      ok(quiet);
      assert.ok(!quiet.stdout.includes('Permission name'));
      assert.equal(quiet.stdout.trimEnd().split('\n').length, lines.length - 1);
      ok(await cli.run(['list-permissions', '--mine'], { env: ADMIN }), 'admin\n');
      ok(await cli.run(['list-permissions', '--mine'], { env: as('bob') }), 'frobnicate\nrepo\n');
      usage(
        await cli.run(['list-permissions', '--user', 'bob', '--mine']),
        'list-permissions',
        'Cannot specify both --user and --mine',
      );
      cli.forgetSessions();
      fault(
        await cli.run(['list-permissions', '--mine']),
        'AuthError',
        'Unable to log in, no authentication methods available',
      );
      ok(await cli.run(['revoke-permission', 'repo', 'bob'], { env: ADMIN }), '');
      ok(await cli.run(['revoke-permission', 'frobnicate', 'bob', 'carol'], { env: ADMIN }), '');
      ok(await cli.run(['list-permissions', '--user', 'bob']), '');
      // Every user is looked up (one batch) before anything changes: Koji's usage error, and a
      // missing user leaves the others as they were.
      usage(
        await cli.run(['grant-permission', 'repo', 'bob', 'nosuchuser'], { env: ADMIN }),
        'grant-permission',
        'No such user: nosuchuser',
      );
      ok(await cli.run(['list-permissions', '--user', 'bob']), '');
      usage(
        await cli.run(['grant-permission', '--new', 'newperm', 'nosuch1', 'bob', 'nosuch2'], { env: ADMIN }),
        'grant-permission',
        'No such users: nosuch1, nosuch2',
      );
      ok(await cli.run(['list-permissions', '--user', 'bob']), '');
      assert.ok(!(await cli.run(['list-permissions'])).stdout.includes('newperm'), 'no permission created');
      ok(await cli.run(['grant-permission', 'repo', 'carol'], { env: ADMIN }), '');
      usage(
        await cli.run(['revoke-permission', 'repo', 'carol', 'nosuch'], { env: ADMIN }),
        'revoke-permission',
        'No such user: nosuch',
      );
      ok(await cli.run(['list-permissions', '--user', 'carol']), 'repo\n');
      ok(await cli.run(['revoke-permission', 'repo', 'carol'], { env: ADMIN }), '');
      fault(
        await cli.run(['revoke-permission', 'repo', 'bob'], { env: ADMIN }),
        'GenericError',
        'user bob does not have permission: repo',
      );
      usage(
        await cli.run(['grant-permission', '--description', 'x', 'repo', 'bob'], { env: ADMIN }),
        'grant-permission',
        '--description only works with --new',
      );
      fault(
        await cli.run(['grant-permission', 'repo', 'carol'], { env: as('bob') }),
        'ActionNotAllowed',
        'admin permission required (logged in as bob)',
      );
    });

    test('add-group, add-group-member GROUP USER…', async () => {
      const r = await cli.run(['add-group', 'packagers'], { env: ADMIN });
      ok(r, /^Added group packagers \(\d+\)\n$/);
      const gid = (await h.call<{ id: number }>('getUser', ['packagers'])).id;
      assert.equal(r.stdout, `Added group packagers (${gid})\n`);
      ok(await cli.run(['add-group-member', 'packagers', 'bob', 'dave'], { env: ADMIN }), '');
      const members = await h.call<{ name: string }[]>('getGroupMembers', ['packagers']);
      assert.deepEqual(
        members.map((m) => m.name),
        ['bob', 'dave'],
      );
      usage(
        await cli.run(['add-group-member', 'packagers', 'admin', 'nosuch'], { env: ADMIN }),
        'add-group-member',
        'No such user: nosuch',
      );
      assert.deepEqual(
        (await h.call<{ name: string }[]>('getGroupMembers', ['packagers'])).map((m) => m.name),
        ['bob', 'dave'],
      );
      fault(
        await cli.run(['add-group-member', 'packagers', 'bob'], { env: ADMIN }),
        'GenericError',
        'User bob is already a member of group packagers',
      );
      fault(
        await cli.run(['add-group', 'packagers'], { env: ADMIN }),
        'GenericError',
        'user already exists: packagers',
      );
      fault(
        await cli.run(['add-group-member', 'bob', 'dave'], { env: ADMIN }),
        'GenericError',
        'Not a group: bob',
      );
      // A group's permission reaches its members.
      ok(await cli.run(['grant-permission', 'runroot', 'packagers'], { env: ADMIN }), '');
      ok(await cli.run(['list-permissions', '--mine'], { env: as('dave') }), 'runroot\n');
    });

    test('create-token [--user U] [--name N], list-tokens, revoke-token ID', async () => {
      const mine = await cli.run(['create-token', '--name', 'laptop'], { env: as('carol') });
      ok(mine, /^Created API token (\d+)\. It is shown only this once:\nkojies_\d+_\S+\n$/);
      const [, idText] = /token (\d+)\./.exec(mine.stdout)!;
      const token = mine.stdout.trimEnd().split('\n')[1];
      ok(
        await cli.run(['hello'], { env: { KOJI_ES_TOKEN: token } }),
        /^Hello, carol!\n[\s\S]*Authenticated via API token\n$/,
      );

      const forBob = await cli.run(['create-token', '--user', 'bob', '--name', 'ci'], { env: ADMIN });
      ok(forBob, /^Created API token \d+ for bob\. It is shown only this once:\nkojies_\S+\n$/);
      const quiet = await cli.run(['-q', 'create-token'], { env: as('carol') });
      ok(quiet, /^kojies_\d+_\S+\n$/);

      const list = await cli.run(['list-tokens'], { env: as('carol') });
      ok(list);
      const lines = list.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^ID\s+Name\s+User\s+Created\s+Expires\s+State$/);
      assert.ok(
        lines.some((l) => new RegExp(`^${idText}\\s+laptop\\s+carol\\s+\\S+\\s+never\\s+active$`).test(l)),
        list.stdout,
      );
      assert.ok(!list.stdout.includes(token), 'the secret is never listed');
      assert.ok(!lines.some((l) => /\bbob\b/.test(l)), "only carol's tokens");
      const bobs = await cli.run(['list-tokens', '--user', 'bob'], { env: ADMIN });
      ok(bobs, /\bci\s+bob\b/);
      fault(
        await cli.run(['list-tokens', '--user', 'bob'], { env: as('carol') }),
        'ActionNotAllowed',
        'only an admin may list the API tokens of another user (logged in as carol)',
      );
      fault(
        await cli.run(['create-token', '--user', 'bob'], { env: as('carol') }),
        'ActionNotAllowed',
        'only an admin may create an API token for another user (logged in as carol)',
      );

      ok(await cli.run(['revoke-token', idText], { env: as('carol') }), '');
      ok(
        await cli.run(['list-tokens'], { env: as('carol') }),
        new RegExp(`^${idText}\\s+laptop\\s+carol\\s+\\S+\\s+never\\s+revoked$`, 'm'),
      );
      fault(
        await cli.run(['hello'], { env: { KOJI_ES_TOKEN: token } }),
        'AuthError',
        `API token ${idText} has been revoked`,
      );
      fault(
        await cli.run(['revoke-token', idText], { env: as('carol') }),
        'GenericError',
        `API token ${idText} is already revoked`,
      );
      usage(
        await cli.run(['revoke-token', 'abc'], { env: as('carol') }),
        'revoke-token',
        'token id must be a positive integer, not "abc"',
      );
      usage(
        await cli.run(['revoke-token', '-1'], { env: as('carol') }),
        'revoke-token',
        'token id must be a positive integer, not "-1"',
      );
      usage(
        await cli.run(['revoke-token', '99999999999999999999'], { env: as('carol') }),
        'revoke-token',
        'token id 99999999999999999999 is too large: the largest id is 9007199254740991',
      );
    });

    test('test-policy sidetag number_of_tags=12: a non-admin user is denied, with the reason and the matched line', async () => {
      const conf = readFileSync(join(REPO_ROOT, 'config', 'hub', 'hub.conf'), 'utf8').split('\n');
      const denyLine = conf.findIndex((l) => l.includes('compare number_of_tags >= 10')) + 1;
      const allowAll = conf.findIndex((l) => l.trim() === 'all :: allow') + 1;
      const adminLine = conf.findIndex((l) => l.includes('has_perm admin sidetag_admin')) + 1;
      assert.ok(denyLine > 0 && allowAll > 0 && adminLine > 0);

      const denied = await cli.run(['test-policy', 'sidetag', 'number_of_tags=12', `user_id=${ids.carol}`], {
        env: ADMIN,
      });
      assert.equal(denied.code, 1, denied.stderr);
      assert.equal(denied.stderr, '');
      assert.equal(
        denied.stdout,
        'denied: deny (you already have 10 sidetags; remove one with koji-es remove-sidetag)\n' +
          `  line ${denyLine}: compare number_of_tags >= 10 :: deny you already have 10 sidetags; remove one with koji-es remove-sidetag\n`,
      );
      ok(
        await cli.run(['test-policy', 'sidetag', 'number_of_tags=3', `user_id=${ids.carol}`], { env: ADMIN }),
        `allowed: allow\n  line ${allowAll}: all :: allow\n`,
      );
      ok(
        await cli.run(['test-policy', 'sidetag', 'number_of_tags=12'], { env: ADMIN }),
        `allowed: allow\n  line ${adminLine}: has_perm admin sidetag_admin :: allow\n`,
      );
      ok(
        await cli.run(['test-policy', 'no_such_policy'], { env: ADMIN }),
        'allowed: allow (missing policy)\npolicy no_such_policy is not configured\n',
      );
      // Dry runs are for admins.
      fault(
        await cli.run(['test-policy', 'sidetag', 'number_of_tags=12'], { env: as('carol') }),
        'ActionNotAllowed',
        'admin permission required (logged in as carol)',
      );
      usage(
        await cli.run(['test-policy', 'sidetag', 'twelve'], { env: ADMIN }),
        'test-policy',
        'policy data must be key=value, not "twelve"',
      );
    });
  });

  describe('output rules', () => {
    test('--help on every command exits 0 with its usage on stdout', async () => {
      const top = await cli.run(['--help']);
      ok(top, /^Usage: koji-es \[options\] \[command\]/);
      const listed = top.stdout
        .slice(top.stdout.indexOf('Commands:'))
        .split('\n')
        .slice(1)
        .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
        .filter((c): c is string => !!c && c !== 'help');
      for (const c of COMMANDS) assert.ok(listed.includes(c), `koji-es --help lists ${c}`);
      const helps = await Promise.all(listed.map((c) => cli.run([c, '--help'])));
      listed.forEach((c, i) => ok(helps[i], new RegExp(`^Usage: koji-es ${c} `)));
      ok(await cli.run(['help', 'add-user']), /^Usage: koji-es add-user \[options\] <username>/);
    });

    test('usage errors: a missing argument or an unknown option → `koji-es <command>: error: …`, exit 2', async () => {
      const needArgs: [string, string][] = [
        ['call', 'method'],
        ['add-user', 'username'],
        ['set-password', 'username'],
        ['enable-user', 'username'],
        ['disable-user', 'username'],
        ['grant-permission', 'permission'],
        ['revoke-permission', 'permission'],
        ['add-group', 'group'],
        ['add-group-member', 'group'],
        ['revoke-token', 'id'],
        ['test-policy', 'policy'],
      ];
      const missing = await Promise.all(needArgs.map(([c]) => cli.run([c], { env: ADMIN })));
      needArgs.forEach(([c, arg], i) => usage(missing[i], c, `missing required argument '${arg}'`));
      usage(
        await cli.run(['grant-permission', 'repo'], { env: ADMIN }),
        'grant-permission',
        "missing required argument 'user'",
      );
      usage(
        await cli.run(['add-group-member', 'packagers'], { env: ADMIN }),
        'add-group-member',
        "missing required argument 'user'",
      );
      const unknown = await Promise.all(COMMANDS.map((c) => cli.run([c, '--frobnicate'])));
      COMMANDS.forEach((c, i) => usage(unknown[i], c, "unknown option '--frobnicate'"));
      usage(
        await cli.run(['enable-user', 'bob', 'carol'], { env: ADMIN }),
        'enable-user',
        /too many arguments/,
      );
    });

    test('an unknown command or global option: `koji-es: error: …`, exit 2', async () => {
      const r = await cli.run(['frobnicate']);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, "koji-es: error: unknown command 'frobnicate'\n");
      const o = await cli.run(['--frobnicate', 'hello']);
      assert.equal(o.code, 2);
      assert.equal(o.stderr, "koji-es: error: unknown option '--frobnicate'\n");
    });

    test('-d/--debug shows requests and replies on stderr, never the password or the session key', async () => {
      const env = { ...as('dave'), KOJI_ES_PROFILE: 'debugging' };
      const r = await cli.run(['-d', 'hello'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Hello, dave!/);
      assert.match(
        r.stderr,
        /^koji-es: debug: POST \S+\/rpc \{"jsonrpc":"2\.0","id":1,"method":"login","params":\["dave","\*\*\*"\]\}$/m,
      );
      assert.match(r.stderr, /^koji-es: debug: 200 .*"session-key":"\*\*\*"/m);
      assert.match(r.stderr, /"method":"getLoggedInUser"/);
      assert.ok(!r.stderr.includes(PASSWORD), 'no password in the debug output');
      const cached = JSON.parse(readFileSync(cli.sessionFile('debugging'), 'utf8')) as { sessionKey: string };
      assert.ok(!r.stderr.includes(cached.sessionKey), 'no session key in the debug output');
    });

    test('an unreachable hub: exit 1 with a clear message', async () => {
      const port = await deadPort();
      const r = await cli.run(['-s', `http://127.0.0.1:${port}`, 'hello']);
      fault(
        r,
        'ServerOffline',
        new RegExp(`^cannot reach the hub at http://127\\.0\\.0\\.1:${port}/rpc: ECONNREFUSED$`),
      );
      assert.equal(r.stdout, '');
      fault(await cli.run(['-s', 'not a url', 'hello']), 'ConfigurationError', /is not a URL/);
    });

    test('a reply that is not JSON-RPC names the URL and the HTTP status; a fault of no Koji class keeps its own name', async () => {
      // The hub's web framework answers an unknown path with JSON of its own, not a JSON-RPC reply.
      const wrong = await cli.run(['-s', `${h.url}/nonexistent`, 'hello']);
      fault(
        wrong,
        'ServerOffline',
        `the hub at ${h.url}/nonexistent/rpc answered HTTP 404 with something that is not JSON-RPC (is the server URL right?)`,
      );
      assert.equal(wrong.stdout, '');
      // A stand-in hub answering with an internal error (fault 1, which no Koji class has) or with a
      // JSON-RPC protocol error without Koji's data.
      let answer: unknown = null;
      const srv = createHttpServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(answer));
        });
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const standIn = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
      try {
        const said = "internal error (request 0b1c); the hub's log has the details";
        answer = {
          jsonrpc: '2.0',
          id: 1,
          error: {
            code: -32603,
            message: said,
            data: { name: 'InternalError', faultCode: 1, faultString: said },
          },
        };
        fault(await cli.run(['-s', standIn, 'call', 'hello']), 'InternalError', said);
        answer = { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'Invalid Request' } };
        fault(await cli.run(['-s', standIn, 'call', 'hello']), 'JSON-RPC error -32600', 'Invalid Request');
        answer = { jsonrpc: '2.0', id: 1, error: { code: 1003, message: 'no data, a Koji code' } };
        fault(await cli.run(['-s', standIn, 'call', 'hello']), 'TagError', 'no data, a Koji code');
        answer = { error: 'Bad Gateway', statusCode: 502 };
        fault(
          await cli.run(['-s', standIn, 'call', 'hello']),
          'ServerOffline',
          `the hub at ${standIn}/rpc answered HTTP 200 with something that is not JSON-RPC (is the server URL right?)`,
        );
      } finally {
        await new Promise<void>((r) => srv.close(() => r()));
      }
    });
  });

  describe('global options: flag > environment > profile file', () => {
    let p: Client;
    let good: string;
    let dead: string;
    const tokens: Record<string, string> = {};
    before(async () => {
      p = new Client(h.url);
      good = h.url;
      dead = `http://127.0.0.1:${await deadPort()}`;
      for (const u of ['bob', 'carol', 'dave'])
        tokens[u] = (await h.call<{ token: string }>('createAPIToken', [u], h.admin)).token;
    });
    after(() => p?.cleanup());

    test('server', async () => {
      p.writeConfig(`[koji-es]\nserver = ${dead}\n\n[good]\nserver = ${good}\n`);
      const noEnv = { KOJI_ES_SERVER: undefined };
      fault(
        await p.run(['hello'], { env: noEnv }),
        'ServerOffline',
        new RegExp(`cannot reach the hub at ${dead}/rpc`),
      );
      ok(await p.run(['hello'], { env: { KOJI_ES_SERVER: good } }), /^Hello, anonymous user!/);
      fault(
        await p.run(['-s', dead, 'hello'], { env: { KOJI_ES_SERVER: good } }),
        'ServerOffline',
        /cannot reach the hub/,
      );
      ok(
        await p.run(['--server', `${good}/rpc`, 'hello'], { env: { KOJI_ES_SERVER: dead } }),
        /^Hello, anonymous user!/,
      );
      ok(await p.run(['-p', 'good', 'hello'], { env: noEnv }), /^Hello, anonymous user!/);
      ok(
        await p.run(['--profile', 'good', 'version'], { env: noEnv }),
        `Client: koji-es ${KOJI_ES_VERSION}\nHub:    ${KOJI_VERSION}\n`,
      );
      fault(
        await p.run(['-p', 'missing', 'hello']),
        'ConfigurationError',
        `no profile [missing] in ${join(p.configDir, 'config')}`,
      );
    });

    test('user and password', async () => {
      p.writeConfig(`[koji-es]\nuser = bob\n`);
      const pw = { KOJI_ES_PASSWORD: PASSWORD };
      p.forgetSessions();
      ok(await p.run(['hello'], { env: pw }), /^Hello, bob!/);
      p.forgetSessions();
      ok(await p.run(['hello'], { env: { ...pw, KOJI_ES_USER: 'carol' } }), /^Hello, carol!/);
      p.forgetSessions();
      ok(
        await p.run(['--user', 'dave', 'hello'], { env: { ...pw, KOJI_ES_USER: 'carol' } }),
        /^Hello, dave!/,
      );
      p.forgetSessions();
      ok(
        await p.run(['--password', PASSWORD, 'hello'], { env: { KOJI_ES_PASSWORD: 'wrong-password' } }),
        /^Hello, bob!/,
      );
      p.forgetSessions();
      fault(
        await p.run(['--password', 'wrong-password', 'hello'], { env: { KOJI_ES_PASSWORD: PASSWORD } }),
        'AuthError',
        'invalid username or password',
      );
    });

    test('token', async () => {
      p.writeConfig(`[koji-es]\ntoken = ${tokens.bob}\n`);
      p.forgetSessions();
      ok(await p.run(['hello']), /^Hello, bob!\n[\s\S]*API token/);
      ok(await p.run(['hello'], { env: { KOJI_ES_TOKEN: tokens.carol } }), /^Hello, carol!/);
      ok(
        await p.run(['--token', tokens.dave, 'hello'], { env: { KOJI_ES_TOKEN: tokens.carol } }),
        /^Hello, dave!/,
      );
    });

    test('poll_interval', async () => {
      p.writeConfig(`[koji-es]\npoll_interval = soon\n`);
      fault(
        await p.run(['hello'], { env: { KOJI_ES_POLL_INTERVAL: undefined } }),
        'ConfigurationError',
        'poll_interval "soon" must be a positive number of seconds',
      );
      ok(await p.run(['hello'], { env: { KOJI_ES_POLL_INTERVAL: '0.05' } }), /^Hello, anonymous user!/);
      fault(
        await p.run(['hello'], { env: { KOJI_ES_POLL_INTERVAL: '-1' } }),
        'ConfigurationError',
        /poll_interval "-1"/,
      );
    });

    test('profiles carry server, user and token; weburl/topurl keys are accepted', async () => {
      p.writeConfig(
        `[koji-es]\nserver = ${dead}\n\n[alt]\nserver = ${good}\nuser = carol\nweburl = ${good}/koji\ntopurl = ${good}/files\npoll_interval = 0.05\n\n[tok]\nserver = ${good}\ntoken = ${tokens.dave}\n`,
      );
      const noEnv = { KOJI_ES_SERVER: undefined, KOJI_ES_POLL_INTERVAL: undefined };
      ok(
        await p.run(['-p', 'alt', 'hello'], { env: { ...noEnv, KOJI_ES_PASSWORD: PASSWORD } }),
        /^Hello, carol!/,
      );
      ok(await p.run(['-p', 'tok', 'hello'], { env: noEnv }), /^Hello, dave!/);
    });
  });
});

describe('session cache', () => {
  let h: TestHub;
  let clock: TestClock;
  let cli: Client;
  before(async () => {
    clock = new TestClock();
    h = await startTestHub({ clock });
    cli = new Client(h.url);
  });
  after(async () => {
    cli?.cleanup();
    await h?.close();
  });

  test('a run of commands logs in once; the cache file is mode 0600', async () => {
    const before = await countEvents(h, 'SessionStarted');
    ok(await cli.run(['hello'], { env: ADMIN_DEFAULT }), /^Hello, admin!/);
    assert.equal(await countEvents(h, 'SessionStarted'), before + 1);
    const file = cli.sessionFile();
    assert.ok(existsSync(file), file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { sessionId: number; user: string };
    assert.equal(cached.user, 'admin');
    ok(await cli.run(['list-permissions', '--mine'], { env: ADMIN_DEFAULT }), 'admin\n');
    ok(await cli.run(['add-user', 'olga'], { env: ADMIN_DEFAULT }), /^Added user olga/);
    ok(await cli.run(['list-tokens'], { env: ADMIN_DEFAULT }));
    assert.equal(await countEvents(h, 'SessionStarted'), before + 1, 'no second login');
    // The cached session works without the password at all.
    ok(await cli.run(['hello'], { env: { KOJI_ES_USER: 'admin' } }), /^Hello, admin!/);
    // Sessions are cached per profile.
    cli.writeConfig(`[other]\nserver = ${h.url}\n`);
    ok(await cli.run(['-p', 'other', 'hello'], { env: ADMIN_DEFAULT }), /^Hello, admin!/);
    assert.equal(await countEvents(h, 'SessionStarted'), before + 2);
    assert.ok(existsSync(cli.sessionFile('other')));
    assert.equal(statSync(cli.sessionFile('other')).mode & 0o777, 0o600);
  });

  test('a stale cached session is replaced by one fresh login', async () => {
    const oldSession = (JSON.parse(readFileSync(cli.sessionFile(), 'utf8')) as { sessionId: number })
      .sessionId;
    clock.advance(h.config.hub.sessionLifetimeSec * 1000 + 1000);
    const before = await countEvents(h, 'SessionStarted');
    ok(await cli.run(['list-permissions', '--mine'], { env: ADMIN_DEFAULT }), 'admin\n');
    assert.equal(await countEvents(h, 'SessionStarted'), before + 1, 'exactly one new login');
    const fresh = (JSON.parse(readFileSync(cli.sessionFile(), 'utf8')) as { sessionId: number }).sessionId;
    assert.notEqual(fresh, oldSession);
    assert.equal(statSync(cli.sessionFile()).mode & 0o777, 0o600);
    ok(await cli.run(['hello'], { env: ADMIN_DEFAULT }), /^Hello, admin!/);
    assert.equal(await countEvents(h, 'SessionStarted'), before + 1);
    // A stale session without a password to log in again: the hub's refusal is reported.
    clock.advance(h.config.hub.sessionLifetimeSec * 1000 + 1000);
    fault(
      await cli.run(['list-permissions', '--mine'], { env: { KOJI_ES_USER: 'admin' } }),
      'AuthExpired',
      /has expired/,
    );
  });
});
