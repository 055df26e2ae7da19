// The tag, target, build and repo commands of the built client (dist/cli/main.js) against an
// in-process hub: stdout, stderr and exit status of each, with Koji's layouts (taginfo, list-targets,
// list-tagged, list-builds), tag-build and regen-repo watching their tasks, and wait-repo's lines,
// warnings, --request/--build waits and timeout (fractions of a minute, KOJI_ES_POLL_INTERVAL=0.05).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, fault, ok, usage, loginEnv, type Result } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.js';

const PASSWORD = 'tags-cli-password';
const as = (user: string, password = PASSWORD) => loginEnv(user, password);
const ADMIN = as('admin', ADMIN_PASSWORD);
const BOB = as('bob');

const COMMANDS = [
  'add-tag',
  'edit-tag',
  'remove-tag',
  'list-tags',
  'taginfo',
  'add-target',
  'edit-target',
  'remove-target',
  'list-targets',
  'tag-build',
  'untag-build',
  'list-tagged',
  'list-builds',
  'wait-repo',
  'regen-repo',
];

interface TagInfo {
  id: number;
  name: string;
  arches: string | null;
  locked: boolean;
  perm: string | null;
  extra: Record<string, unknown>;
}

/** Exit 0 with the expected stdout, and exactly these stderr lines (Koji's warnings). */
function okWarn(r: Result, stdout: string | RegExp, stderr: string): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stderr, stderr);
  if (typeof stdout === 'string') assert.equal(r.stdout, stdout);
  else assert.match(r.stdout, stdout);
}

const pad = (s: string, n: number) => s.padEnd(n);

describe('tags CLI against an in-process hub', () => {
  let h: TestHub;
  let cli: Client;
  let weburl: string;
  const tagId = async (name: string) => (await h.call<TagInfo>('getTag', [name])).id;

  before(async () => {
    h = await startTestHub({ tweak: (c) => (c.hub.repoIntervalMs = 100) });
    cli = new Client(h.url);
    weburl = `${h.url}/koji`;
    await h.call('createUser', ['bob'], h.admin);
    await h.call('setUserPassword', ['bob', PASSWORD], h.admin);
    for (const [n, v, r] of [
      ['foo', '1.0', '1'],
      ['foo', '2.0', '1'],
      ['bar', '1', '1'],
    ])
      await h.call('createEmptyBuild', [n, v, r, null], h.admin);
  });
  after(async () => {
    cli?.cleanup();
    await h?.close();
  });

  test('--help on every command', async () => {
    for (const cmd of COMMANDS) {
      const r = await cli.run([cmd, '--help']);
      ok(r, new RegExp(`^Usage: koji-es ${cmd} `));
    }
    assert.match(
      (await cli.run(['wait-repo', '--help'])).stdout,
      /--request[\s\S]*--no-request[\s\S]*--timeout <minutes>/,
    );
  });

  describe('tags', () => {
    test("add-tag: options, extra through arg_filter; taginfo in Koji's layout", async () => {
      ok(
        await cli.run(
          [
            'add-tag',
            'base',
            '--arches',
            'x86_64,aarch64',
            '-x',
            'a=1',
            '-x',
            'b=text',
            '-x',
            'c={"k": [1, true]}',
          ],
          { env: ADMIN },
        ),
        '',
      );
      ok(
        await cli.run(
          ['add-tag', 'child', '--parent', 'base', '--locked', '--perm', 'admin', '-x', 'd=None'],
          { env: ADMIN },
        ),
        '',
      );
      const base = await h.call<TagInfo>('getTag', ['base']);
      assert.deepEqual(base.extra, { a: 1, b: 'text', c: { k: [1, true] } });
      assert.equal(base.arches, 'x86_64 aarch64');
      const child = await h.call<TagInfo>('getTag', ['child', { __starstar: true, blocked: true }]);
      assert.equal(child.locked, true);
      assert.equal(child.perm, 'admin');
      assert.deepEqual(child.extra, { d: null });
      ok(
        await cli.run(['taginfo', 'base', 'child']),
        [
          `Tag: base [${base.id}]`,
          'Arches: x86_64 aarch64',
          'Tag options:',
          '  a : 1',
          "  b : 'text'",
          "  c : {'k': [1, True]}",
          'Inheritance:',
          '',
          `Tag: child [${child.id}]`,
          'Arches: x86_64 aarch64',
          'LOCKED',
          "Required permission: 'admin'",
          'Tag options:',
          '  a : 1',
          "  b : 'text'",
          "  c : {'k': [1, True]}",
          'Inheritance:',
          `  0    .... base [${base.id}]`,
          '',
        ].join('\n'),
      );
    });

    test("add-tag and taginfo: usage errors and the hub's faults", async () => {
      usage(await cli.run(['add-tag'], { env: ADMIN }), 'add-tag', 'Please specify a name for the tag');
      usage(
        await cli.run(['add-tag', 'a', 'b'], { env: ADMIN }),
        'add-tag',
        'Please specify a name for the tag',
      );
      usage(
        await cli.run(['add-tag', 'x', '-x', 'novalue'], { env: ADMIN }),
        'add-tag',
        'Invalid extra option, key=value expected: novalue',
      );
      usage(
        await cli.run(['add-tag', 'x', '-x', 'a=1', '-x', 'a=2'], { env: ADMIN }),
        'add-tag',
        'Duplicate extra key: a',
      );
      fault(
        await cli.run(['add-tag', 'base'], { env: ADMIN }),
        'GenericError',
        "A tag with the name 'base' already exists",
      );
      fault(
        await cli.run(['add-tag', 'x', '--parent', 'nope'], { env: ADMIN }),
        'GenericError',
        "Parent tag 'nope' could not be found",
      );
      fault(
        await cli.run(['add-tag', 'x', '--arches', 'x/y'], { env: ADMIN }),
        'GenericError',
        'Architecture can be only [a-zA-Z0-9_-]',
      );
      fault(
        await cli.run(['add-tag', 'x'], { env: BOB }),
        'ActionNotAllowed',
        'tag permission required (logged in as bob)',
      );
      fault(
        await cli.run(['add-tag', 'x']),
        'AuthError',
        'Unable to log in, no authentication methods available',
      );
      usage(await cli.run(['taginfo']), 'taginfo', 'Please specify a tag');
      fault(await cli.run(['taginfo', 'nope']), 'GenericError', 'No such tag: nope');
    });

    test('edit-tag: arches, lock, perm, rename, extra set/remove/block, parent', async () => {
      ok(await cli.run(['add-tag', 'ed', '-x', 'k=1', '-x', 'keep=yes'], { env: ADMIN }), '');
      ok(
        await cli.run(
          [
            'edit-tag',
            'ed',
            '--arches',
            'ppc64le s390x',
            '--lock',
            '--perm',
            'admin',
            '-x',
            'n=2.5',
            '-r',
            'k',
            '--parent',
            'base',
            '-b',
            'a',
          ],
          { env: ADMIN },
        ),
        '',
      );
      let t = await h.call<TagInfo>('getTag', ['ed', { __starstar: true, blocked: true }]);
      assert.equal(t.arches, 'ppc64le s390x');
      assert.equal(t.locked, true);
      assert.equal(t.perm, 'admin');
      assert.deepEqual(t.extra, { keep: 'yes', n: 2.5, a: null });
      assert.deepEqual(
        (await h.call<{ name: string }[]>('getInheritanceData', ['ed'])).map((l) => l.name),
        ['base'],
      );
      assert.deepEqual((await h.call<TagInfo>('getBuildConfig', ['ed'])).extra, {
        b: 'text',
        c: { k: [1, true] },
        keep: 'yes',
        n: 2.5,
      });
      ok(
        await cli.run(['edit-tag', 'ed', '--unlock', '--no-perm', '--no-parent', '--rename', 'ed2'], {
          env: ADMIN,
        }),
        '',
      );
      t = await h.call<TagInfo>('getTag', ['ed2']);
      assert.equal(t.locked, false);
      assert.equal(t.perm, null);
      assert.deepEqual(await h.call('getInheritanceData', ['ed2']), []);
      usage(await cli.run(['edit-tag'], { env: ADMIN }), 'edit-tag', 'Please specify a name for the tag');
      usage(
        await cli.run(['edit-tag', 'ed2', '--lock', '--unlock'], { env: ADMIN }),
        'edit-tag',
        '--lock and --unlock are mutually exclusive',
      );
      fault(
        await cli.run(['edit-tag', 'ed2', '-x', 'keep=1', '-r', 'keep'], { env: ADMIN }),
        'GenericError',
        "Can not both add/update and remove tag-extra: 'keep'",
      );
      fault(
        await cli.run(['edit-tag', 'ed2', '-r', 'zz'], { env: ADMIN }),
        'GenericError',
        "Tag: ed2 doesn't have extra: zz",
      );
      fault(
        await cli.run(['edit-tag', 'nope', '--lock'], { env: ADMIN }),
        'GenericError',
        "No such tagInfo: 'nope'",
      );
    });

    test('list-tags: names, patterns, --show-id, --verbose, --unlocked, --build', async () => {
      const ids = { base: await tagId('base'), child: await tagId('child'), ed2: await tagId('ed2') };
      ok(await cli.run(['list-tags']), 'base\nchild\ned2\n');
      ok(await cli.run(['list-tags', 'b*', 'e*']), 'base\ned2\n');
      ok(await cli.run(['list-tags', '--show-id', 'c*']), `child [${ids.child}]\n`);
      ok(await cli.run(['list-tags', '--verbose']), 'base\nchild [LOCKED] [admin perm required]\ned2\n');
      ok(await cli.run(['list-tags', '--unlocked']), 'base\ned2\n');
      await h.call('tagBuildBypass', ['ed2', 'bar-1-1'], h.admin);
      ok(await cli.run(['list-tags', '--build', 'bar-1-1']), 'ed2\n');
      usage(await cli.run(['list-tags', '--build', 'nope-1-1']), 'list-tags', 'No such build: nope-1-1');
      await h.call('untagBuildBypass', ['ed2', 'bar-1-1'], h.admin);
    });
  });

  describe('targets', () => {
    test('add-target (dest defaults to the name), list-targets, edit-target, remove-target', async () => {
      ok(await cli.run(['add-tag', 'dest'], { env: ADMIN }), '');
      usage(await cli.run(['list-targets']), 'list-targets', 'No targets were found');
      ok(await cli.run(['add-target', 'dest', 'base'], { env: ADMIN }), '');
      ok(await cli.run(['add-target', 'base-t', 'base', 'base'], { env: ADMIN }), '');
      const line = (a: string, b: string, c: string) => `${pad(a, 30)} ${pad(b, 30)} ${pad(c, 30)}`;
      const header = `${line('Name', 'Buildroot', 'Destination')}\n${'-'.repeat(93)}\n`;
      ok(
        await cli.run(['list-targets']),
        `${header}${line('base-t', 'base', 'base')}\n${line('dest', 'base', 'dest')}\n`,
      );
      ok(await cli.run(['list-targets', '--name', 'dest', '--quiet']), `${line('dest', 'base', 'dest')}\n`);
      ok(await cli.run(['-q', 'list-targets', '--name', 'dest']), `${line('dest', 'base', 'dest')}\n`);
      usage(await cli.run(['list-targets', '--name', 'nope']), 'list-targets', 'No such build target: nope');
      usage(await cli.run(['list-targets', 'extra']), 'list-targets', 'This command takes no arguments');
      ok(
        await cli.run(['edit-target', 'base-t', '--rename', 'base-t2', '--dest-tag', 'dest'], { env: ADMIN }),
        '',
      );
      ok(
        await cli.run(['list-targets', '--name', 'base-t2', '--quiet']),
        `${line('base-t2', 'base', 'dest')}\n`,
      );
      ok(await cli.run(['remove-target', 'base-t2'], { env: ADMIN }), '');
      ok(await cli.run(['list-targets', '--quiet']), `${line('dest', 'base', 'dest')}\n`);
    });

    test("target commands: Koji's usage errors and checks", async () => {
      usage(
        await cli.run(['add-target', 'x'], { env: ADMIN }),
        'add-target',
        'Please specify a target name, a build tag, and destination tag',
      );
      usage(
        await cli.run(['add-target', 'a', 'b', 'c', 'd'], { env: ADMIN }),
        'add-target',
        'Incorrect number of arguments',
      );
      fault(
        await cli.run(['add-target', 'x', 'nope', 'dest'], { env: ADMIN }),
        'GenericError',
        'No such tag: nope',
      );
      fault(
        await cli.run(['add-target', 'x', 'dest', 'dest'], { env: ADMIN }),
        'GenericError',
        'Build tag has no arches: dest',
      );
      fault(
        await cli.run(['add-target', 'x', 'base', 'nope'], { env: ADMIN }),
        'GenericError',
        'No such destination tag: nope',
      );
      fault(
        await cli.run(['add-target', 'dest', 'base'], { env: ADMIN }),
        'GenericError',
        "A build target with the name 'dest' already exists",
      );
      fault(
        await cli.run(['add-target', 'x', 'base', 'dest'], { env: BOB }),
        'ActionNotAllowed',
        'target permission required (logged in as bob)',
      );
      usage(await cli.run(['edit-target'], { env: ADMIN }), 'edit-target', 'Please specify a build target');
      fault(
        await cli.run(['edit-target', 'nope', '--rename', 'x'], { env: ADMIN }),
        'GenericError',
        'No such build target: nope',
      );
      fault(
        await cli.run(['edit-target', 'dest', '--build-tag', 'dest'], { env: ADMIN }),
        'GenericError',
        'Build tag has no arches: dest',
      );
      fault(
        await cli.run(['edit-target', 'dest', '--dest-tag', 'nope'], { env: ADMIN }),
        'GenericError',
        'No such destination tag: nope',
      );
      usage(
        await cli.run(['remove-target'], { env: ADMIN }),
        'remove-target',
        'Please specify a build target to remove',
      );
      fault(
        await cli.run(['remove-target', 'nope'], { env: ADMIN }),
        'GenericError',
        'No such build target: nope',
      );
    });
  });

  describe('builds and tagging', () => {
    test('tag-build: the task ids, then the watch; --nowait prints the ids only', async () => {
      const r = await cli.run(['tag-build', 'dest', 'foo-1.0-1'], { env: ADMIN });
      ok(
        r,
        /^Created task (\d+)\nWatching tasks \(this may be safely interrupted\)\.\.\.\n\1 tagBuild \(noarch\): closed\n\n\1 tagBuild \(noarch\) completed successfully\n$/,
      );
      const n = await cli.run(['tag-build', '--nowait', 'base', 'foo-1.0-1', 'bar-1-1'], { env: ADMIN });
      ok(n, /^Created task \d+\nCreated task \d+\n$/);
      const [t1, t2] = [...n.stdout.matchAll(/\d+/g)].map((m) => Number(m[0]));
      for (const t of [t1, t2]) assert.equal((await h.call<{ state: number }>('getTaskInfo', [t])).state, 2);
      usage(
        await cli.run(['tag-build', 'dest'], { env: ADMIN }),
        'tag-build',
        "This command takes at least two arguments: a tag name/ID and one or more package n-v-r's",
      );
      fault(
        await cli.run(['tag-build', 'dest', 'foo-1.0-1'], { env: ADMIN }),
        'TagError',
        'build foo-1.0-1 already tagged (dest)',
      );
      fault(
        await cli.run(['tag-build', 'child', 'foo-2.0-1'], { env: BOB }),
        'ActionNotAllowed',
        'tag child is locked',
      );
      fault(
        await cli.run(['tag-build', 'dest', 'nope-1-1'], { env: ADMIN }),
        'GenericError',
        "No such build: 'nope-1-1'",
      );
    });

    test("list-tagged: Koji's columns, sorted; --inherit, --latest, a package, --quiet", async () => {
      await h.call('tagBuildBypass', ['dest', 'foo-2.0-1'], h.admin);
      const row = (nvr: string, tag: string) => `${pad(nvr, 40)}  ${pad(tag, 20)}  ${pad('admin', 16)}`;
      const header = `${pad('Build', 40)}  ${pad('Tag', 20)}  Built by\n${'-'.repeat(40)}  ${'-'.repeat(20)}  ${'-'.repeat(16)}\n`;
      ok(
        await cli.run(['list-tagged', 'dest']),
        `${header}${row('foo-1.0-1', 'dest')}\n${row('foo-2.0-1', 'dest')}\n`,
      );
      ok(await cli.run(['list-tagged', 'dest', '--latest', '--quiet']), `${row('foo-2.0-1', 'dest')}\n`);
      ok(await cli.run(['list-tagged', 'base', 'bar', '--quiet']), `${row('bar-1-1', 'base')}\n`);
      ok(
        await cli.run(['list-tagged', 'child', '--inherit', '--quiet']),
        `${row('bar-1-1', 'base')}\n${row('foo-1.0-1', 'base')}\n`,
      );
      ok(await cli.run(['list-tagged', 'child', '--quiet']), '');
      usage(await cli.run(['list-tagged']), 'list-tagged', 'A tag name must be specified');
      usage(
        await cli.run(['list-tagged', 'a', 'b', 'c']),
        'list-tagged',
        'Only one package name may be specified',
      );
      usage(
        await cli.run(['list-tagged', 'dest', '--event', 'x']),
        'list-tagged',
        "option --event: invalid integer value: 'x'",
      );
      usage(
        await cli.run(['list-tagged', 'dest', '--event', '-1']),
        'list-tagged',
        'option --event: an event id is not negative: -1',
      );
      usage(
        await cli.run(['list-tagged', 'dest', '--event', '99999999999999999999']),
        'list-tagged',
        'option --event: 99999999999999999999 is too large',
      );
      fault(await cli.run(['list-tagged', 'nope']), 'GenericError', 'No such tag: nope');
    });

    test('untag-build: exact builds, warnings for the others, --force, --non-strict, --all, -v, -n', async () => {
      const r = await cli.run(['untag-build', 'dest', 'foo-1.0-1', 'bar-1-1', 'nope-1-1'], { env: ADMIN });
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'Build bar-1-1 not in tag dest\nNo such build: nope-1-1\n');
      assert.equal((await h.call<unknown[]>('listTagged', ['dest'])).length, 2, 'nothing untagged');
      okWarn(
        await cli.run(['untag-build', '--force', '-v', 'dest', 'foo-1.0-1', 'bar-1-1'], { env: ADMIN }),
        'untagging foo-1.0-1\n',
        'Build bar-1-1 not in tag dest\n',
      );
      ok(await cli.run(['untag-build', '--non-strict', 'dest', 'foo-1.0-1'], { env: ADMIN }), '');
      fault(
        await cli.run(['untag-build', '--non-strict', 'dest', 'nope-1-1'], { env: ADMIN }),
        'GenericError',
        "No such build: 'nope-1-1'",
      );
      ok(
        await cli.run(['untag-build', '-n', '--all', 'base', 'foo', 'bar'], { env: ADMIN }),
        'would have untagged bar-1-1\nwould have untagged foo-1.0-1\n',
      );
      ok(await cli.run(['untag-build', '--all', 'base', 'foo', 'bar'], { env: ADMIN }), '');
      assert.deepEqual(await h.call('listTagged', ['base']), []);
      usage(
        await cli.run(['untag-build', 'dest'], { env: ADMIN }),
        'untag-build',
        "This command takes at least two arguments: a tag name/ID and one or more package n-v-r's or package names",
      );
      usage(
        await cli.run(['untag-build', 'nope', 'foo-2.0-1'], { env: ADMIN }),
        'untag-build',
        'No such tag: nope',
      );
    });

    test("list-builds: Koji's columns; --package, --owner, --prefix, --pattern, --state", async () => {
      const row = (nvr: string, state = 'COMPLETE') => `${pad(nvr, 55)}  ${pad('admin', 16)}  ${state}`;
      const header = `${pad('Build', 55)}  ${pad('Built by', 16)}  State\n${'-'.repeat(55)}  ${'-'.repeat(16)}  ${'-'.repeat(16)}\n`;
      ok(
        await cli.run(['list-builds', '--package', 'foo']),
        `${header}${row('foo-1.0-1')}\n${row('foo-2.0-1')}\n`,
      );
      ok(
        await cli.run(['list-builds', '--owner', 'admin', '--quiet']),
        `${row('bar-1-1')}\n${row('foo-1.0-1')}\n${row('foo-2.0-1')}\n`,
      );
      ok(await cli.run(['list-builds', '--prefix', 'foo-2', '--quiet']), `${row('foo-2.0-1')}\n`);
      ok(
        await cli.run(['list-builds', '--pattern', 'b*', '--state', 'COMPLETE', '--quiet']),
        `${row('bar-1-1')}\n`,
      );
      ok(await cli.run(['list-builds', '--pattern', 'b*', '--state', '3', '--quiet']), '');
      usage(await cli.run(['list-builds']), 'list-builds', 'Filter must be provided for list');
      usage(await cli.run(['list-builds', '--state', 'bogus']), 'list-builds', 'Invalid state: bogus');
      usage(await cli.run(['list-builds', '--owner', 'nobody']), 'list-builds', 'No such user: nobody');
      // Koji's list-builds: an unknown package name is a usage error, not an empty list.
      usage(await cli.run(['list-builds', '--package', 'nosuch']), 'list-builds', 'No such package: nosuch');
    });

    test('remove-tag', async () => {
      ok(await cli.run(['add-tag', 'gone'], { env: ADMIN }), '');
      usage(await cli.run(['remove-tag'], { env: ADMIN }), 'remove-tag', 'Please specify a tag to remove');
      fault(
        await cli.run(['remove-tag', 'gone'], { env: BOB }),
        'ActionNotAllowed',
        'tag permission required (logged in as bob)',
      );
      ok(await cli.run(['remove-tag', 'gone'], { env: ADMIN }), '');
      assert.equal(await h.call('getTag', ['gone']), null);
      fault(await cli.run(['remove-tag', 'gone'], { env: ADMIN }), 'GenericError', 'No such tag: gone');
    });
  });

  describe('repos', () => {
    test('regen-repo: the lines, then the watch; --debuginfo; --nowait; --target', async () => {
      const r = await cli.run(['regen-repo', 'base', '--debuginfo'], { env: ADMIN });
      const m =
        /^Regenerating repo for tag: base\nCreated task: (\d+)\nTask info: (\S+)\nWatching tasks \(this may be safely interrupted\)\.\.\.\n\1 newRepo \(noarch\): closed\n\n\1 newRepo \(noarch\) completed successfully\n$/.exec(
          r.stdout,
        );
      assert.ok(m, r.stdout);
      assert.equal(m[2], `${weburl}/taskinfo?taskID=${m[1]}`);
      assert.equal(r.stderr, '', 'base is the build tag of a target');
      assert.equal(r.code, 0);
      const [repoId] = await h.call<[number, number]>('getTaskResult', [Number(m[1])]);
      assert.equal(
        (await h.call<{ opts: { debuginfo: boolean } }>('repoInfo', [repoId])).opts.debuginfo,
        true,
      );
      okWarn(
        await cli.run(['regen-repo', '--nowait', 'dest'], { env: ADMIN }),
        /^Regenerating repo for tag: dest\nCreated task: \d+\nTask info: \S+\n$/,
        'dest is not a build tag\nTag dest has an empty arch list\n',
      );
      ok(
        await cli.run(['regen-repo', '--nowait', '--target', 'dest'], { env: ADMIN }),
        /^Regenerating repo for tag: base\n/,
      );
      usage(await cli.run(['regen-repo'], { env: ADMIN }), 'regen-repo', 'A tag name must be specified');
      usage(
        await cli.run(['regen-repo', 'a', 'b'], { env: ADMIN }),
        'regen-repo',
        'Only a single tag may be specified',
      );
      usage(
        await cli.run(['regen-repo', '--target', 'a', 'b'], { env: ADMIN }),
        'regen-repo',
        'Only a single target may be specified',
      );
      usage(await cli.run(['regen-repo', 'nope'], { env: ADMIN }), 'regen-repo', 'No such tag: nope');
      usage(
        await cli.run(['regen-repo', '--target', 'nope'], { env: ADMIN }),
        'regen-repo',
        'No such build target: nope',
      );
      fault(
        await cli.run(['regen-repo', 'base'], { env: BOB }),
        'ActionNotAllowed',
        'repo permission required (logged in as bob)',
      );
    });

    test('wait-repo --request: a repo request the hub answers; Got repo / Repo info', async () => {
      await h.call('tagBuildBypass', ['base', 'bar-1-1'], h.admin);
      const r = await cli.run(['wait-repo', 'base', '--request'], { env: ADMIN });
      const m = /^Got repo (\d+)\nRepo info: (\S+)\n$/.exec(r.stdout);
      assert.ok(m, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.equal(m[2], `${weburl}/repoinfo?repoID=${m[1]}`);
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
      const repo = await h.call<{ create_event: number; builds: { nvr: string }[] }>('repoInfo', [
        Number(m[1]),
      ]);
      assert.ok(repo.create_event >= (await h.call<number>('tagLastChangeEvent', ['base'])));
      assert.deepEqual(
        repo.builds.map((b) => b.nvr),
        ['bar-1-1'],
      );
      ok(await cli.run(['wait-repo', '--target', 'dest', '--request', '--quiet'], { env: ADMIN }), '');
    });

    test('wait-repo without --request: the warnings, then the repo a repo.auto tag gets', async () => {
      await h.call(
        'editTag2',
        ['dest', { __starstar: true, arches: 'x86_64', extra: { 'repo.auto': true } }],
        h.admin,
      );
      await h.call('createBuildTarget', ['dest-build', 'dest', 'dest'], h.admin);
      const r = await cli.run(['wait-repo', 'dest']);
      okWarn(
        r,
        /^Got repo \d+\nRepo info: \S+\n$/,
        'The --request option is recommended for faster results\n',
      );
      const quiet = await cli.run(['wait-repo', 'dest', '--no-request', '--quiet']);
      okWarn(quiet, '', '');
    });

    test('wait-repo --build: waits until the builds are in a repo', async () => {
      const w = cli.start(['wait-repo', 'base', '--request', '--build', 'foo-2.0-1', '-v'], { env: ADMIN });
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(w.proc.exitCode, null, `still waiting: ${w.stdout} ${w.stderr}`);
      await h.call('tagBuildBypass', ['base', 'foo-2.0-1'], h.admin);
      const r = await w.done;
      assert.equal(r.code, 0, r.stderr);
      const m = /^Got repo (\d+)\n/.exec(r.stdout);
      assert.ok(m, r.stdout);
      assert.match(
        r.stderr,
        /^Package foo is not in tag base\nWaiting on repo for base\nWaiting for nvrs \['foo-2.0-1'\] in tag base\n/,
      );
      const repo = await h.call<{ builds: { nvr: string }[] }>('repoInfo', [Number(m[1])]);
      assert.ok(
        repo.builds.some((b) => b.nvr === 'foo-2.0-1'),
        'the build is in the repo',
      );
    });

    test('wait-repo: a timeout in fractions of a minute; "Failed to get repo -- …", exit 1', async () => {
      await h.call('createTag', ['still', { __starstar: true, arches: 'x86_64' }], h.admin);
      await h.call('createBuildTarget', ['still', 'still', 'still'], h.admin);
      const t0 = Date.now();
      const r = await cli.run(['wait-repo', 'still', '--timeout', '0.01']);
      assert.ok(Date.now() - t0 >= 600, 'waited 0.6 s');
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /^The --request option is recommended for faster results\nThis tag is not configured for automatic regeneration\nFailed to get repo -- Unsuccessfully waited 0:0\d for a new still repo\n$/,
      );
      const b = await cli.run(
        ['wait-repo', 'still', '--request', '--build', 'foo-1.0-1', '--timeout', '0.005'],
        { env: ADMIN },
      );
      assert.equal(b.code, 1);
      assert.match(
        b.stderr,
        /^Package foo is not in tag still\nFailed to get repo -- Unsuccessfully waited 0:0\d for foo-1\.0-1 to appear in the still repo\n$/,
      );
    });

    test("wait-repo: Koji's usage errors and warnings for a tag that is not a build tag", async () => {
      usage(await cli.run(['wait-repo']), 'wait-repo', 'Please specify a tag name');
      usage(await cli.run(['wait-repo', 'a', 'b']), 'wait-repo', 'Only one tag may be specified');
      usage(await cli.run(['wait-repo', 'nope']), 'wait-repo', 'No such tag: nope');
      usage(await cli.run(['wait-repo', '--target', 'nope']), 'wait-repo', 'No such build target: nope');
      usage(
        await cli.run(['wait-repo', 'base', '--timeout', 'abc']),
        'wait-repo',
        "option --timeout: invalid floating-point value: 'abc'",
      );
      fault(
        await cli.run(['wait-repo', 'base', '--build', 'nonvr']),
        'GenericError',
        'invalid format: nonvr',
      );
      await h.call('createTag', ['orphan-dest'], h.admin);
      await h.call('createBuildTarget', ['od', 'base', 'orphan-dest'], h.admin);
      const r = await cli.run(['wait-repo', 'orphan-dest', '--timeout', '0.001']);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          '^orphan-dest is not a build tag for any target\\n' +
            'Suggested tags: base\\n' +
            'The --request option is recommended for faster results\\n' +
            'This tag is not configured for automatic regeneration\\n' +
            'Failed to get repo -- Unsuccessfully waited 0:0\\d for a new orphan-dest repo\\n$',
        ),
      );
    });
  });
});
