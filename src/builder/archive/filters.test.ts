import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeFilter } from './filters.js';

test('the mandatory rules catch ccaches, keytabs and the usual credential files at any depth (hidden directories too)', () => {
  const f = makeFilter([]);
  for (const secret of [
    'tmp/krb5cc',
    'tmp/krb5cc_0',
    'tmp/krb5cc_1000_AbCdEf',
    'builddir/tmp/krb5cc_mockbuild',
    'builddir/.cache/tmp/krb5cc_hidden',
    'a/.b/.c/tmp/krb5cc',
    'etc/krb5.keytab',
    'etc/keytabs.d/x.keytab',
    'etc/.hidden/deep/y.keytab',
    'etc/.keytab',
    'builddir/etc/krb5.keytab',
    'root/.netrc',
    'builddir/.netrc',
    '.netrc',
    'builddir/.git-credentials',
    'root/.ssh/id_ed25519',
    'builddir/.ssh/id_rsa',
    'root/.pgpass',
    'builddir/.pypirc',
    'root/.aws/credentials',
    'root/.docker/config.json',
    'builddir/.config/gh/hosts.yml',
    'root/.gnupg/private-keys-v1.d/ABCD.key',
    'root/.gnupg/secring.gpg',
    'builddir/.cargo/credentials.toml',
  ])
    assert.equal(f(secret), 'mandatory', secret);
  for (const kept of [
    'tmp/notkrb5cc',
    'tmp/krb5c',
    'etc/keytab.txt',
    'etc/krb5.keytab.bak',
    'builddir/netrc.txt',
    'builddir/.ssh/known_hosts',
    'builddir/.ssh/config',
    'root/.gnupg/pubring.kbx',
    'builddir/.docker/daemon.json',
    'builddir/.cargo/config.toml',
    'tmp',
    'etc',
    'builddir/.cache/tmp',
    'TMP/krb5cc',
  ])
    assert.equal(f(kept), null, kept);
});

test("config globs have fnmatch's meaning and are tried against the name and / + the name", () => {
  const koji = makeFilter(['*/tmp/krb5cc', '*/etc/*.keytab']);
  assert.equal(koji('tmp/krb5cc'), 'config', '/tmp/krb5cc matches */tmp/krb5cc');
  assert.equal(koji('etc/keytabs.d/x.keytab'), 'config', '* crosses /');
  assert.equal(koji('builddir/.cache/tmp/krb5cc'), 'config', 'a dot is nothing special');
  assert.equal(koji('tmp/krb5cc_1000'), 'mandatory', "Koji's pattern has no trailing *");
  const docs = makeFilter(['/etc/*.keytab', '/tmp/secret_data']);
  assert.equal(docs('etc/krb5.keytab'), 'config', "the docs' leading-/ example works here");
  assert.equal(docs('tmp/secret_data'), 'config');
  const literal = makeFilter(['a{b,c}', '!foo', '+(x|y)', 'q?r', '[!a]z']);
  assert.equal(literal('ab'), null, 'no braces');
  assert.equal(literal('a{b,c}'), 'config');
  assert.equal(literal('bar'), null, 'no negation');
  assert.equal(literal('!foo'), 'config');
  assert.equal(literal('x'), null, 'no extglobs');
  assert.equal(literal('q/r'), 'config', '? matches /');
  assert.equal(literal('bz'), 'config');
  assert.equal(literal('az'), null);
  assert.equal(makeFilter(['*.LOG'])('build.log'), null, 'case-sensitive');
  assert.equal(makeFilter(['', '  '.trim()])('anything'), null, 'empty globs match nothing');
});
