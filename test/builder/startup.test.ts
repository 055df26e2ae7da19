// `koji-es builder` as an operator starts it: a configuration it cannot run with stops it at once with
// exit status 1 and one line that names what to fix and where the value came from.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnBuilder } from '../helpers/builder.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
before(() => {
  tmp = tempDir('koji-es-builder-startup-');
});
after(() => tmp?.cleanup());

// No hub listens here: every case fails before the builder would connect.
const SERVER = 'http://127.0.0.1:1';

async function failsWithOneLine(a: Parameters<typeof spawnBuilder>[0], what: RegExp): Promise<string> {
  const r = await spawnBuilder(a).exited;
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], what);
  return lines[0];
}

test('neither a token file nor a password file: says so and names the options', async () => {
  const line = await failsWithOneLine(
    { server: SERVER, workdir: join(tmp.dir, 'w1') },
    /^koji-es: the builder has no credentials: give a token file \(--token-file FILE, KOJI_ES_BUILDER_TOKEN_FILE or \[kojid\] token_file in .*builder\.conf\) or a password file \(--password-file FILE with --host NAME, KOJI_ES_BUILDER_PASSWORD_FILE or \[kojid\] password_file\)$/,
  );
  assert.doesNotMatch(line, /not logged in/);
});

test('a number out of range names the flag, the environment variable or the file it came from', async () => {
  const token = join(tmp.dir, 'token');
  writeFileSync(token, 'tok\n', { mode: 0o600 });
  await failsWithOneLine(
    { server: SERVER, workdir: join(tmp.dir, 'w2'), tokenFile: token, env: { KOJI_ES_BUILDER_MAXJOBS: '0' } },
    /^koji-es: environment variable KOJI_ES_BUILDER_MAXJOBS: maxjobs = 0 must be at least 1$/,
  );
  await failsWithOneLine(
    { server: SERVER, workdir: join(tmp.dir, 'w3'), tokenFile: token, sleeptime: 0 },
    /^koji-es: option --sleeptime: sleeptime = 0 must be more than 0 and at most 2147483$/,
  );
  const conf = join(tmp.dir, 'conf');
  mkdirSync(join(conf, 'builder'), { recursive: true });
  writeFileSync(join(conf, 'builder', 'builder.conf'), '[kojid]\nmaxjobs = -2\n');
  await failsWithOneLine(
    { server: SERVER, workdir: join(tmp.dir, 'w4'), tokenFile: token, configDir: conf },
    new RegExp(
      `^koji-es: ${join(conf, 'builder', 'builder.conf')} \\[kojid\\] line 2: maxjobs = -2 must be at least 1$`,
    ),
  );
});
