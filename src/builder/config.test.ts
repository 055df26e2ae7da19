import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorIs, withDir } from '../config/testing.js';
import { loadBuilderConfig, requireCredentials } from './config.js';

test('a number out of range names where it came from: flag, environment variable or builder.conf', () => {
  withDir((dir) => {
    const none = { '--config-dir': join(dir, 'none') };
    assert.throws(
      () => loadBuilderConfig(none, { KOJI_ES_BUILDER_MAXJOBS: '0' }),
      errorIs('environment variable KOJI_ES_BUILDER_MAXJOBS: maxjobs = 0 must be at least 1'),
    );
    assert.throws(
      () => loadBuilderConfig({ ...none, '--sleeptime': '0' }, {}),
      errorIs('option --sleeptime: sleeptime = 0 must be more than 0 and at most 2147483'),
    );
    assert.throws(
      () => loadBuilderConfig({ ...none, '--shutdown-grace': '-1' }, {}),
      errorIs('option --shutdown-grace: shutdown_grace = -1 must be between 0 and 2147483'),
    );
    assert.throws(
      () => loadBuilderConfig(none, { KOJI_ES_BUILDER_FAILED_BUILDROOT_LIFETIME: '-5' }),
      errorIs(
        'environment variable KOJI_ES_BUILDER_FAILED_BUILDROOT_LIFETIME: failed_buildroot_lifetime = -5 must be 0 or more',
      ),
    );
    mkdirSync(join(dir, 'builder'));
    const file = join(dir, 'builder', 'builder.conf');
    writeFileSync(file, '[kojid]\nmaxjobs = 2\nsleeptime = -1\n');
    assert.throws(
      () => loadBuilderConfig({ '--config-dir': dir }, {}),
      errorIs(`${file} [kojid] line 3: sleeptime = -1 must be more than 0 and at most 2147483`),
    );
    // A good flag wins over the bad file value, so the file is never blamed for it.
    assert.equal(loadBuilderConfig({ '--config-dir': dir, '--sleeptime': '0.5' }, {}).sleeptimeMs, 500);
  });
});

test('credentials: both from one level name where each came from; none at all says what to give', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 't'), 'tok\n', { mode: 0o600 });
    writeFileSync(join(dir, 'p'), 'pw\n', { mode: 0o600 });
    mkdirSync(join(dir, 'builder'));
    const file = join(dir, 'builder', 'builder.conf');
    writeFileSync(
      file,
      `[kojid]\nuser = b1\ntoken_file = ${join(dir, 't')}\npassword_file = ${join(dir, 'p')}\n`,
    );
    assert.throws(
      () => loadBuilderConfig({ '--config-dir': dir }, {}),
      errorIs(
        `give either a token file or a password file, not both: ${file} [kojid] line 3 sets token_file and ${file} [kojid] line 4 sets password_file`,
      ),
    );
    assert.throws(
      () =>
        loadBuilderConfig(
          { '--config-dir': dir },
          { KOJI_ES_BUILDER_TOKEN_FILE: join(dir, 't'), KOJI_ES_BUILDER_PASSWORD_FILE: join(dir, 'p') },
        ),
      /not both: environment variable KOJI_ES_BUILDER_TOKEN_FILE sets token_file and environment variable KOJI_ES_BUILDER_PASSWORD_FILE sets password_file/,
    );

    const bare = loadBuilderConfig({ '--config-dir': join(dir, 'none') }, {});
    assert.throws(
      () => requireCredentials(bare),
      errorIs(
        `the builder has no credentials: give a token file (--token-file FILE, KOJI_ES_BUILDER_TOKEN_FILE or [kojid] token_file in ${join(dir, 'none', 'builder', 'builder.conf')}) or a password file (--password-file FILE with --host NAME, KOJI_ES_BUILDER_PASSWORD_FILE or [kojid] password_file)`,
      ),
    );
    requireCredentials(
      loadBuilderConfig({ '--config-dir': join(dir, 'none'), '--token-file': join(dir, 't') }, {}),
    );
  });
});
