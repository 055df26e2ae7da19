// The package-list commands of the built client (dist/cli/main.js) against an in-process hub:
// add-pkg, block-pkg, unblock-pkg, remove-pkg, list-pkgs, set-pkg-owner and set-pkg-arches, with
// Koji's usage errors, warnings, messages and list-pkgs's column layout (trailing spaces included).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, fault, ok, usage, loginEnv, type Result } from '../helpers/cli-client.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from '../helpers/hub.js';

const PASSWORD = 'packages-cli-password';
const as = (user: string, password = PASSWORD) => loginEnv(user, password);
const ADMIN = as('admin', ADMIN_PASSWORD);
const BOB = as('bob');
const PACKAGER = as('packager');

const USAGES: [string, string][] = [
  ['add-pkg', '[options] --owner <owner> <tag> <package> [<package> ...]'],
  ['block-pkg', '[options] <tag> <package> [<package> ...]'],
  ['unblock-pkg', '[options] <tag> <package> [<package> ...]'],
  ['remove-pkg', '[options] <tag> <package> [<package> ...]'],
  ['list-pkgs', '[options]'],
  ['set-pkg-owner', '[options] <owner> <tag> <package> [<package> ...]'],
  ['set-pkg-arches', '[options] <arches> <tag> <package> [<package> ...]'],
];

const kw = (o: Record<string, unknown>) => ({ ...o, __starstar: true });

interface Row {
  package_name: string;
  tag_name: string;
  extra_arches: string | null;
  blocked: boolean;
  owner_name: string;
}

/** Koji's list-pkgs header, byte for byte (`%-23s %-23s %-16s %-15s`). */
const HEADER =
  'Package                 Tag                     Extra Arches     Owner          \n' +
  '----------------------- ----------------------- ---------------- ---------------\n';

/** One list-pkgs row: `%(package_name)-23s %(tag_name)-23s %(extra_arches)-16s %(owner_name)-15s`. */
const row = (pkg: string, tag: string, arches: string, owner: string, blocked = false) =>
  `${pkg.padEnd(23)} ${tag.padEnd(23)} ${arches.padEnd(16)} ${owner.padEnd(15)}${blocked ? ' [BLOCKED]' : ''}\n`;

/** Exit status 1, nothing on stdout, exactly these warning lines on stderr. */
function warned(r: Result, stderr: string): void {
  assert.equal(r.code, 1, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, stderr);
}

describe('package-list CLI against an in-process hub', () => {
  let h: TestHub;
  let cli: Client;
  const entries = async (tag: string, inherited = false) =>
    (await h.call<Row[]>('listPackages', [kw({ tagID: tag, inherited })])).map(
      (r) =>
        `${r.package_name}@${r.tag_name}:${r.owner_name}${r.extra_arches ? `:${r.extra_arches}` : ''}` +
        (r.blocked ? '!' : ''),
    );

  before(async () => {
    h = await startTestHub({ tweak: (c) => (c.hub.repoManager = false) });
    cli = new Client(h.url);
    for (const [name, perms] of [
      ['alice', []],
      ['bob', []],
      ['packager', ['tag']],
    ] as const) {
      await h.call('createUser', [name], h.admin);
      await h.call('setUserPassword', [name, PASSWORD], h.admin);
      for (const p of perms) await h.call('grantPermission', [name, p], h.admin);
    }
    await h.call('createTag', ['pbase'], h.admin);
    await h.call('createTag', ['pchild', 'pbase'], h.admin);
    await h.call('createTag', ['plone'], h.admin);
  });
  after(async () => {
    cli?.cleanup();
    await h?.close();
  });

  test("--help on every command: Koji's usage lines", async () => {
    for (const [cmd, line] of USAGES) {
      const r = await cli.run([cmd, '--help']);
      ok(r, new RegExp(`^Usage: koji-es ${cmd} ${line.replace(/[[\].]/g, '\\$&')}\n`));
    }
    assert.match(
      (await cli.run(['add-pkg', '--help'])).stdout,
      /--extra-arches <arches>\s+Specify extra arches/,
    );
    const help = (await cli.run(['list-pkgs', '--help'])).stdout;
    assert.match(help, /--event <EVENT#>\s+query at event/);
    assert.doesNotMatch(help, /--ts|--repo/);
  });

  test('add-pkg: usage errors, unknown owner or tag, then the packages that are not listed yet', async () => {
    const msg = 'Please specify a tag and at least one package';
    usage(await cli.run(['add-pkg'], { env: ADMIN }), 'add-pkg', msg);
    usage(await cli.run(['add-pkg', '--owner', 'alice', 'pbase'], { env: ADMIN }), 'add-pkg', msg);
    usage(
      await cli.run(['add-pkg', 'pbase', 'foo'], { env: ADMIN }),
      'add-pkg',
      'Please specify an owner for the package(s)',
    );
    fault(
      await cli.run(['add-pkg', '--owner', 'nobody', 'pbase', 'foo'], { env: ADMIN }),
      'GenericError',
      'No such user: nobody',
    );
    // The owner is checked before logging in, as Koji does.
    fault(
      await cli.run(['add-pkg', '--owner', 'nobody', 'pbase', 'foo']),
      'GenericError',
      'No such user: nobody',
    );
    fault(
      await cli.run(['add-pkg', '--owner', 'alice', 'nope', 'foo'], { env: ADMIN }),
      'GenericError',
      'No such tag: nope',
    );
    assert.deepEqual(await entries('pbase'), []);

    // The adds go in one request, as Koji's multicall: a JSON-RPC batch (--debug shows the requests).
    const two = await cli.run(['--debug', 'add-pkg', '--owner', 'alice', 'pbase', 'foo', 'bar'], {
      env: PACKAGER,
    });
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stdout, 'Adding 2 packages to tag pbase\n');
    const posts = two.stderr.split('\n').filter((l) => l.includes('debug: POST'));
    const adds = posts.filter((l) => l.includes('packageListAdd'));
    assert.equal(adds.length, 1, posts.join('\n'));
    assert.match(
      adds[0],
      /POST \S+ \[\{"jsonrpc":"2\.0".*"method":"packageListAdd".*"method":"packageListAdd"/,
    );
    ok(
      await cli.run(['add-pkg', '--owner', 'alice', '--extra-arches', 'i686, s390x', 'pbase', 'bar', 'baz'], {
        env: ADMIN,
      }),
      'Package bar already exists in tag pbase\nAdding 1 packages to tag pbase\n',
    );
    ok(
      await cli.run(['add-pkg', '--owner', 'alice', 'pbase', 'foo'], { env: ADMIN }),
      'Package foo already exists in tag pbase\nAdding 0 packages to tag pbase\n',
    );
    assert.deepEqual(await entries('pbase'), [
      'bar@pbase:alice',
      'baz@pbase:alice:i686 s390x',
      'foo@pbase:alice',
    ]);

    // The hub's package_list policy: admin or the tag permission.
    fault(
      await cli.run(['add-pkg', '--owner', 'alice', 'pbase', 'qux'], { env: BOB }),
      'ActionNotAllowed',
      /^policy violation \(package_list\)/,
      'Adding 1 packages to tag pbase\n',
    );
    fault(
      await cli.run(['add-pkg', '--owner', 'alice', 'pbase', 'qux']),
      'AuthError',
      'Unable to log in, no authentication methods available',
    );
    fault(
      await cli.run(['add-pkg', '--owner', 'alice', '--extra-arches', 'x/y', 'pbase', 'qux'], { env: ADMIN }),
      'GenericError',
      'Architecture can be only [a-zA-Z0-9_-]',
    );
    assert.deepEqual(await entries('pbase'), [
      'bar@pbase:alice',
      'baz@pbase:alice:i686 s390x',
      'foo@pbase:alice',
    ]);
  });

  test("list-pkgs: Koji's columns, inheritance, --noinherit, --quiet, the listing of every package", async () => {
    const base =
      row('bar', 'pbase', '', 'alice') +
      row('baz', 'pbase', 'i686 s390x', 'alice') +
      row('foo', 'pbase', '', 'alice');
    ok(await cli.run(['list-pkgs', '--tag', 'pbase']), HEADER + base);
    assert.equal(
      (await cli.run(['list-pkgs', '--tag', 'pbase'])).stdout.split('\n')[2],
      'bar                     pbase                                    alice          ',
    );
    ok(await cli.run(['list-pkgs', '--tag', 'pchild']), HEADER + base);
    ok(await cli.run(['list-pkgs', '--tag', 'pchild', '--quiet']), base);
    ok(await cli.run(['-q', 'list-pkgs', '--tag', 'pchild']), base);
    fault(
      await cli.run(['list-pkgs', '--tag', 'pchild', '--noinherit']),
      'GenericError',
      '(no matching packages)',
    );
    ok(await cli.run(['list-pkgs', '--owner', 'alice']), HEADER + base);
    ok(await cli.run(['list-pkgs', '--package', 'baz']), HEADER + row('baz', 'pbase', 'i686 s390x', 'alice'));
    fault(await cli.run(['list-pkgs', '--owner', 'bob']), 'GenericError', '(no matching packages)');

    // No filter: every package, names only, in the hub's order.
    ok(await cli.run(['list-pkgs']), `Package\n${'-'.repeat(23)}\nfoo\nbar\nbaz\n`);
    ok(await cli.run(['list-pkgs', '--quiet']), 'foo\nbar\nbaz\n');
    ok(await cli.run(['list-pkgs', '--noinherit']), `Package\n${'-'.repeat(23)}\nfoo\nbar\nbaz\n`);
  });

  test('list-pkgs: usage errors, --event (no --ts or --repo), unknown package', async () => {
    usage(await cli.run(['list-pkgs', 'extra']), 'list-pkgs', 'This command takes no arguments');
    usage(await cli.run(['list-pkgs', '--tag', 'nope']), 'list-pkgs', 'No such tag: nope');
    usage(await cli.run(['list-pkgs', '--owner', 'nobody']), 'list-pkgs', 'No such user: nobody');
    usage(
      await cli.run(['list-pkgs', '--show-blocked']),
      'list-pkgs',
      '--show-blocked makes sense only with --tag, --owner or --package',
    );
    for (const opt of ['--ts', '--repo'])
      usage(await cli.run(['list-pkgs', '--tag', 'pbase', opt, '1']), 'list-pkgs', `unknown option '${opt}'`);
    // Checked first: Koji prints "Querying at event 5" before this error; koji-es prints nothing.
    usage(
      await cli.run(['list-pkgs', '--event', '5']),
      'list-pkgs',
      '--event and --ts makes sense only with --tag, --owner or --package',
    );
    usage(
      await cli.run(['list-pkgs', '--tag', 'pbase', '--event', '-1']),
      'list-pkgs',
      'option --event: an event id is not negative: -1',
    );
    // Event 1 is before the tag was made: nothing was listed then.
    const before = await cli.run(['list-pkgs', '--tag', 'pbase', '--event', '1']);
    assert.equal(before.stdout, 'Querying at event 1\n');
    fault(before, 'GenericError', '(no matching packages)', 'Querying at event 1\n');
    const now = await cli.run(['list-pkgs', '--tag', 'pbase', '--event', '999999999', '--quiet']);
    ok(now);
    assert.equal(
      now.stdout,
      (await cli.run(['list-pkgs', '--tag', 'pbase', '--quiet'])).stdout.replace(
        /^/,
        'Querying at event 999999999\n',
      ),
    );
    fault(
      await cli.run(['list-pkgs', '--package', 'nope']),
      'GenericError',
      'No such entry in table package: nope',
    );
  });

  test('block-pkg: every missing package warned, nothing blocked; then blocked rows and --show-blocked', async () => {
    const msg = 'Please specify a tag and at least one package';
    usage(await cli.run(['block-pkg'], { env: ADMIN }), 'block-pkg', msg);
    usage(await cli.run(['block-pkg', 'pchild'], { env: ADMIN }), 'block-pkg', msg);
    fault(await cli.run(['block-pkg', 'nope', 'foo'], { env: ADMIN }), 'GenericError', 'No such tag: nope');
    warned(
      await cli.run(['block-pkg', 'pchild', 'nope1', 'foo', 'nope2'], { env: ADMIN }),
      "Package nope1 doesn't exist in tag pchild\nPackage nope2 doesn't exist in tag pchild\n",
    );
    assert.deepEqual(await entries('pchild'), []);
    fault(
      await cli.run(['block-pkg', 'pchild', 'foo'], { env: BOB }),
      'ActionNotAllowed',
      /^policy violation \(package_list\)/,
    );

    // An inherited package is blocked in the child only.
    ok(await cli.run(['block-pkg', 'pchild', 'foo'], { env: ADMIN }), '');
    assert.deepEqual(await entries('pchild'), ['foo@pchild:alice!']);
    assert.deepEqual(await entries('pbase'), [
      'bar@pbase:alice',
      'baz@pbase:alice:i686 s390x',
      'foo@pbase:alice',
    ]);
    // Blocked again (with --force): the same entry.
    ok(await cli.run(['block-pkg', '--force', 'pchild', 'foo'], { env: ADMIN }), '');
    assert.deepEqual(await entries('pchild'), ['foo@pchild:alice!']);

    const inherited = row('bar', 'pbase', '', 'alice') + row('baz', 'pbase', 'i686 s390x', 'alice');
    ok(await cli.run(['list-pkgs', '--tag', 'pchild']), HEADER + inherited);
    ok(
      await cli.run(['list-pkgs', '--tag', 'pchild', '--show-blocked']),
      HEADER + row('foo', 'pchild', '', 'alice', true) + inherited,
    );
    assert.equal(
      (await cli.run(['list-pkgs', '--tag', 'pchild', '--show-blocked', '--quiet'])).stdout.split('\n')[0],
      'foo                     pchild                                   alice           [BLOCKED]',
    );
    ok(
      await cli.run(['list-pkgs', '--tag', 'pchild', '--show-blocked', '--show-dups', '--quiet']),
      row('foo', 'pchild', '', 'alice', true) + inherited + row('foo', 'pbase', '', 'alice'),
    );
    ok(
      await cli.run(['list-pkgs', '--package', 'foo', '--show-blocked']),
      HEADER + row('foo', 'pbase', '', 'alice') + row('foo', 'pchild', '', 'alice', true),
    );
    ok(await cli.run(['list-pkgs', '--package', 'foo']), HEADER + row('foo', 'pbase', '', 'alice'));
    // A direct entry, blocked or not, counts as listed for add-pkg.
    ok(
      await cli.run(['add-pkg', '--owner', 'bob', 'pchild', 'foo'], { env: ADMIN }),
      'Package foo already exists in tag pchild\nAdding 0 packages to tag pchild\n',
    );

    // A tag whose only entry is blocked: the header alone, exit 0.
    ok(
      await cli.run(['add-pkg', '--owner', 'bob', 'plone', 'qux'], { env: ADMIN }),
      'Adding 1 packages to tag plone\n',
    );
    ok(await cli.run(['block-pkg', 'plone', 'qux'], { env: ADMIN }), '');
    ok(await cli.run(['list-pkgs', '--tag', 'plone']), HEADER);
    ok(await cli.run(['list-pkgs', '--tag', 'plone', '--quiet']), '');
    ok(
      await cli.run(['list-pkgs', '--tag', 'plone', '--show-blocked', '--quiet']),
      row('qux', 'plone', '', 'bob', true),
    );
  });

  test('unblock-pkg: no checks of its own, the hub says what is wrong', async () => {
    const msg = 'Please specify a tag and at least one package';
    usage(await cli.run(['unblock-pkg'], { env: ADMIN }), 'unblock-pkg', msg);
    usage(await cli.run(['unblock-pkg', 'pchild'], { env: ADMIN }), 'unblock-pkg', msg);
    usage(
      await cli.run(['unblock-pkg', '--force', 'pchild', 'foo'], { env: ADMIN }),
      'unblock-pkg',
      "unknown option '--force'",
    );
    fault(
      await cli.run(['unblock-pkg', 'pchild', 'foo'], { env: BOB }),
      'ActionNotAllowed',
      /^policy violation \(package_list\)/,
    );
    ok(await cli.run(['unblock-pkg', 'pchild', 'foo'], { env: ADMIN }), '');
    // The child's own blocking entry is gone: the parent's shows again.
    assert.deepEqual(await entries('pchild'), []);
    ok(
      await cli.run(['list-pkgs', '--tag', 'pchild', '--quiet']),
      row('bar', 'pbase', '', 'alice') +
        row('baz', 'pbase', 'i686 s390x', 'alice') +
        row('foo', 'pbase', '', 'alice'),
    );
    fault(
      await cli.run(['unblock-pkg', 'pchild', 'foo'], { env: ADMIN }),
      'GenericError',
      'package foo NOT blocked in tag pchild',
    );
    ok(await cli.run(['unblock-pkg', 'plone', 'qux'], { env: ADMIN }), '');
    assert.deepEqual(await entries('plone'), ['qux@plone:bob']);
  });

  test('remove-pkg: only direct entries; every missing one warned, nothing removed', async () => {
    const msg = 'Please specify a tag and at least one package';
    usage(await cli.run(['remove-pkg'], { env: ADMIN }), 'remove-pkg', msg);
    usage(await cli.run(['remove-pkg', 'pbase'], { env: ADMIN }), 'remove-pkg', msg);
    fault(await cli.run(['remove-pkg', 'nope', 'foo'], { env: ADMIN }), 'GenericError', 'No such tag: nope');
    // bar is inherited by pchild, not in its own list.
    warned(
      await cli.run(['remove-pkg', 'pchild', 'bar'], { env: ADMIN }),
      'Package bar is not in tag pchild\n',
    );
    warned(
      await cli.run(['remove-pkg', 'pbase', 'baz', 'zzz', 'foo', 'yyy'], { env: ADMIN }),
      'Package zzz is not in tag pbase\nPackage yyy is not in tag pbase\n',
    );
    assert.deepEqual(await entries('pbase'), [
      'bar@pbase:alice',
      'baz@pbase:alice:i686 s390x',
      'foo@pbase:alice',
    ]);
    fault(
      await cli.run(['remove-pkg', 'pbase', 'baz'], { env: BOB }),
      'ActionNotAllowed',
      /^policy violation \(package_list\)/,
    );
    ok(await cli.run(['remove-pkg', '--force', 'pbase', 'baz'], { env: ADMIN }), '');
    ok(await cli.run(['remove-pkg', 'plone', 'qux'], { env: PACKAGER }), '');
    assert.deepEqual(await entries('pbase'), ['bar@pbase:alice', 'foo@pbase:alice']);
    assert.deepEqual(await entries('plone'), []);
    ok(
      await cli.run(['list-pkgs', '--tag', 'pchild', '--quiet']),
      row('bar', 'pbase', '', 'alice') + row('foo', 'pbase', '', 'alice'),
    );
  });

  test('set-pkg-owner: each package in turn, the first fault reported after all of them ran', async () => {
    const msg = 'Please specify an owner, a tag, and at least one package';
    usage(await cli.run(['set-pkg-owner'], { env: ADMIN }), 'set-pkg-owner', msg);
    usage(await cli.run(['set-pkg-owner', 'bob', 'pbase'], { env: ADMIN }), 'set-pkg-owner', msg);
    ok(await cli.run(['set-pkg-owner', 'bob', 'pbase', 'foo', 'bar'], { env: PACKAGER }), '');
    ok(
      await cli.run(['list-pkgs', '--tag', 'pbase', '--quiet']),
      row('bar', 'pbase', '', 'bob') + row('foo', 'pbase', '', 'bob'),
    );
    // Koji's multiCall(strict=True): foo is still changed, the fault for nope comes afterwards.
    fault(
      await cli.run(['set-pkg-owner', 'alice', 'pbase', 'nope', 'foo'], { env: ADMIN }),
      'GenericError',
      'cannot update: tag pbase has no data for package nope',
    );
    assert.deepEqual(await entries('pbase'), ['bar@pbase:bob', 'foo@pbase:alice']);
    fault(
      await cli.run(['set-pkg-owner', 'nobody', 'pbase', 'foo'], { env: ADMIN }),
      'GenericError',
      /^No such user: /,
    );
    fault(
      await cli.run(['set-pkg-owner', 'bob', 'pbase', 'foo'], { env: BOB }),
      'ActionNotAllowed',
      /^policy violation \(package_list\)/,
    );
  });

  test('set-pkg-arches: commas or spaces, joined by spaces', async () => {
    const msg = 'Please specify an archlist, a tag, and at least one package';
    usage(await cli.run(['set-pkg-arches'], { env: ADMIN }), 'set-pkg-arches', msg);
    usage(await cli.run(['set-pkg-arches', 'x86_64', 'pbase'], { env: ADMIN }), 'set-pkg-arches', msg);
    ok(await cli.run(['set-pkg-arches', 'x86_64,aarch64', 'pbase', 'foo'], { env: ADMIN }), '');
    ok(
      await cli.run(['list-pkgs', '--tag', 'pbase', '--quiet']),
      row('bar', 'pbase', '', 'bob') + row('foo', 'pbase', 'x86_64 aarch64', 'alice'),
    );
    fault(
      await cli.run(['set-pkg-arches', 'x/y', 'pbase', 'foo'], { env: ADMIN }),
      'GenericError',
      'Architecture can be only [a-zA-Z0-9_-]',
    );
    fault(
      await cli.run(['set-pkg-arches', 'ppc64le', 'plone', 'foo'], { env: ADMIN }),
      'GenericError',
      'cannot update: tag plone has no data for package foo',
    );
    ok(await cli.run(['set-pkg-arches', '--force', '', 'pbase', 'foo'], { env: ADMIN }), '');
    assert.deepEqual(await entries('pbase'), ['bar@pbase:bob', 'foo@pbase:alice']);
  });
});
