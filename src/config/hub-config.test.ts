import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadHubConfig, ConfigError } from './hub-config.js';
import { parseIni } from './ini.js';
import { CONFIG_KEYS, configTableMarkdown, OPEN_SECTIONS } from './schema.js';

const root = join(__dirname, '..', '..');

function withConfig(hubConf: string, fn: (dir: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  mkdirSync(join(dir, 'hub'), { recursive: true });
  writeFileSync(join(dir, 'hub', 'hub.conf'), hubConf);
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('every key of the shipped config/ is in the documented table, and the README carries the table', () => {
  const shipped = join(root, 'config');
  for (const path of files(shipped).filter((p) => p.endsWith('.conf'))) {
    const file = relative(shipped, path);
    const ini = parseIni(readFileSync(path, 'utf8'), path);
    for (const [section, sec] of ini.sections) {
      if (OPEN_SECTIONS.some((s) => s.file === file && s.section === section)) continue;
      for (const v of sec.values.values()) {
        const known = CONFIG_KEYS.some((k) => k.file === file && k.section === section && k.key.toLowerCase() === v.key.toLowerCase());
        assert.ok(known, `${file} [${section}] ${v.key} is not in the config table (src/config/schema.ts)`);
      }
    }
  }
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.ok(
    readme.includes(configTableMarkdown()),
    'README.md must carry the table from src/config/schema.ts: run `npm run build && node scripts/update-readme.mjs`',
  );
});

test('the shipped config loads with its defaults and its sidetag policy', () => {
  const c = loadHubConfig({ '--config-dir': join(root, 'config') }, {}, '/srv/koji');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, '/srv/koji/data');
  assert.deepEqual(c.store, { kind: 'sqlite', path: '/srv/koji/data/koji-es.sqlite' });
  assert.equal(c.hub.maxRequestLength, 10 * 1024 * 1024);
  assert.equal(c.hub.missingPolicyOk, true);
  assert.ok(c.policies.sidetag.text.includes('number_of_tags'));
  assert.deepEqual(c.warnings, []);
});

test('precedence: flag > KOJI_ES_* environment > file > default', () => {
  withConfig('[server]\nport = 9000\nhost = 0.0.0.0\n', (dir) => {
    assert.equal(loadHubConfig({ '--config-dir': dir }, {}).port, 9000);
    assert.equal(loadHubConfig({ '--config-dir': dir }, { KOJI_ES_PORT: '9100' }).port, 9100);
    assert.equal(loadHubConfig({ '--config-dir': dir, '--port': '9200' }, { KOJI_ES_PORT: '9100' }).port, 9200);
    assert.equal(loadHubConfig({ '--config-dir': dir }, {}).host, '0.0.0.0');
    const viaEnv = loadHubConfig({}, { KOJI_ES_CONFIG_DIR: dir });
    assert.equal(viaEnv.port, 9000);
  });
  const none = loadHubConfig({ '--config-dir': '/nonexistent' }, {}, '/w');
  assert.equal(none.port, 8080);
  assert.equal(none.dataDir, '/w/data');
  const store = loadHubConfig({ '--config-dir': '/nonexistent', '--data-dir': '/d', '--store': 'postgres://u:p@db/k' }, {});
  assert.deepEqual(store.store, { kind: 'postgres', url: 'postgres://u:p@db/k' });
});

test('a bad value is one error naming the file, the section and the key; unknown keys are warnings', () => {
  withConfig('[hub]\nMaxRequestLength = lots\n', (dir) => {
    assert.throws(
      () => loadHubConfig({ '--config-dir': dir }, {}),
      (e: unknown) =>
        e instanceof ConfigError && e.message === `${dir}/hub/hub.conf [hub] line 2: MaxRequestLength = "lots" is not an integer`,
    );
  });
  withConfig('[hub]\nVerbosePolicy = perhaps\n', (dir) => {
    assert.throws(() => loadHubConfig({ '--config-dir': dir }, {}), /\[hub\] line 2: VerbosePolicy = "perhaps" is not a boolean/);
  });
  withConfig('[server]\nport = 70000\n', (dir) => {
    assert.throws(() => loadHubConfig({ '--config-dir': dir }, {}), /port 70000 is out of range/);
  });
  assert.throws(() => loadHubConfig({ '--config-dir': '/x', '--port': 'abc' }, {}), /option --port: port = "abc" is not an integer/);
  assert.throws(() => loadHubConfig({ '--config-dir': '/x', '--store': 'mysql://x' }, {}), /malformed store URL "mysql:\/\/x"/);
  withConfig('[hub]\nDBName = koji\nKojiDir = /mnt/koji\n', (dir) => {
    const c = loadHubConfig({ '--config-dir': dir }, {});
    assert.equal(c.warnings.length, 2);
    assert.match(c.warnings[0], /\[hub\] DBName \(line 2\) is not used by koji-es/);
  });
});
