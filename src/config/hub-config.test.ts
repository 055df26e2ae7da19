import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadHubConfig, ConfigError } from './hub-config.js';
import { parseIni } from './ini.js';
import { errorIs, withDir } from './testing.js';
import { CONFIG_KEYS, configTableMarkdown, OPEN_SECTIONS, rangeText } from './schema.js';

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
  withDir((dir) => {
    const none = loadHubConfig({ '--config-dir': dir }, {}, '/w');
    assert.equal(none.port, 8080);
    assert.equal(none.dataDir, '/w/data');
    const store = loadHubConfig({ '--config-dir': dir, '--data-dir': '/d', '--store': 'postgres://u:p@db/k' }, {});
    assert.deepEqual(store.store, { kind: 'postgres', url: 'postgres://u:p@db/k' });
  });
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
    assert.throws(() => loadHubConfig({ '--config-dir': dir }, {}), errorIs(`${dir}/hub/hub.conf [server] line 2: port = 70000 must be between 0 and 65535`));
  });
  withDir((dir) => {
    assert.throws(() => loadHubConfig({ '--config-dir': dir, '--port': 'abc' }, {}), /option --port: port = "abc" is not an integer/);
    assert.throws(() => loadHubConfig({ '--config-dir': dir, '--store': 'mysql://x' }, {}), /option --store: store: malformed store URL "mysql:\/\/x"/);
  });
  withConfig('[hub]\nDBName = koji\nKojiDir = /mnt/koji\n', (dir) => {
    const c = loadHubConfig({ '--config-dir': dir }, {});
    assert.equal(c.warnings.length, 2);
    assert.match(c.warnings[0], /\[hub\] DBName \(line 2\) is not used by koji-es/);
  });
});

test('every number key has a range, and a value outside it names its source and the range', () => {
  for (const k of CONFIG_KEYS.filter((k) => k.type === 'int' || k.type === 'float'))
    assert.ok(rangeText(k), `${k.file} [${k.section}] ${k.key} has no min/above/max in src/config/schema.ts`);
  const cases: [string, string, string][] = [
    ['hub', 'MaxRequestLength = -1', 'MaxRequestLength = -1 must be at least 1024'],
    ['hub', 'SessionLifetime = -10', 'SessionLifetime = -10 must be at least 60'],
    ['hub', 'HostTimeout = 0', 'HostTimeout = 0 must be at least 1'],
    ['hub', 'RepoInterval = 0', 'RepoInterval = 0 must be more than 0 and at most 2147483'],
    ['hub', 'MaxNameLengthInternal = -1', 'MaxNameLengthInternal = -1 must be 0 or more'],
    ['server', 'projection_wait = -5', 'projection_wait = -5 must be between 0 and 2147483'],
    ['server', 'port = -1', 'port = -1 must be between 0 and 65535'],
  ];
  for (const [section, line, message] of cases)
    withConfig(`[${section}]\n${line}\n`, (dir) => {
      assert.throws(() => loadHubConfig({ '--config-dir': dir }, {}), errorIs(`${dir}/hub/hub.conf [${section}] line 2: ${message}`));
    });
  withConfig('[hub]\nMaxNameLengthInternal = 0\nRepoInterval = 0.05\nprojection_wait = 0\n', (dir) => {
    // 0 turns the name length check off, as in Koji.
    const c = loadHubConfig({ '--config-dir': dir }, {});
    assert.equal(c.hub.maxNameLengthInternal, 0);
    assert.equal(c.hub.repoIntervalMs, 50);
  });
  withDir((dir) => {
    assert.throws(() => loadHubConfig({ '--config-dir': dir, '--port': '70000' }, {}), errorIs('option --port: port = 70000 must be between 0 and 65535'));
    assert.throws(
      () => loadHubConfig({ '--config-dir': dir }, { KOJI_ES_PORT: '99999' }),
      errorIs('environment variable KOJI_ES_PORT: port = 99999 must be between 0 and 65535'),
    );
    assert.throws(
      () => loadHubConfig({ '--config-dir': dir }, { KOJI_ES_PROJECTION_WAIT: '-5' }),
      errorIs('environment variable KOJI_ES_PROJECTION_WAIT: projection_wait = -5 must be between 0 and 2147483'),
    );
  });
});

test('sidetag.conf and save_failed_tree.conf: out-of-range numbers name the file, section, key and range; 0 stays "off"', () => {
  const plugin = (file: string, text: string, fn: (dir: string, path: string) => void) =>
    withDir((dir) => {
      mkdirSync(join(dir, 'hub', 'plugins'), { recursive: true });
      writeFileSync(join(dir, 'hub', 'hub.conf'), '');
      writeFileSync(join(dir, 'hub', 'plugins', file), text);
      fn(dir, join(dir, 'hub', 'plugins', file));
    });
  for (const [line, message] of [
    ['cleanup_interval = -60', 'cleanup_interval = -60 must be between 0 and 2147483'],
    ['cleanup_interval = 3000000', 'cleanup_interval = 3000000 must be between 0 and 2147483'],
    ['cleanup_empty_delay = -1', 'cleanup_empty_delay = -1 must be 0 or more'],
    ['cleanup_old_delay = -1', 'cleanup_old_delay = -1 must be 0 or more'],
    ['cleanup_inactive_delay = -1', 'cleanup_inactive_delay = -1 must be 0 or more'],
  ])
    plugin('sidetag.conf', `[sidetag]\n${line}\n`, (dir, path) => {
      assert.throws(() => loadHubConfig({ '--config-dir': dir }, {}), errorIs(`${path} [sidetag] line 2: ${message}`));
    });
  plugin('sidetag.conf', '[sidetag]\ncleanup_interval = 0\ncleanup_empty_delay = 0\n', (dir) => {
    const c = loadHubConfig({ '--config-dir': dir }, {});
    assert.equal(c.sidetag.cleanupIntervalMs, 0);
    assert.equal(c.sidetag.emptyDelayDays, 0);
  });
  plugin('save_failed_tree.conf', '[retention]\nmax_age_days = 0\ngc_interval = -1\n', (dir, path) => {
    assert.throws(() => loadHubConfig({ '--config-dir': dir }, {}), errorIs(`${path} [retention] line 3: gc_interval = -1 must be between 0 and 2147483`));
  });
});

test('an empty store names the file and key', () => {
  withConfig('[server]\nstore =\n', (dir) => {
    assert.throws(() => loadHubConfig({ '--config-dir': dir }, {}), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.message.startsWith(`${dir}/hub/hub.conf [server] line 2: store: malformed store URL "": use sqlite:PATH`), e.message);
      return true;
    });
  });
});

test('a configuration directory that is not there stops start-up, naming where it came from', () => {
  withDir((dir) => {
    const missing = join(dir, 'nope');
    assert.throws(
      () => loadHubConfig({ '--config-dir': missing }, {}),
      errorIs(`option --config-dir: ${missing} is not a directory (the configuration directory, with hub/hub.conf)`),
    );
    assert.throws(
      () => loadHubConfig({}, { KOJI_ES_CONFIG_DIR: missing }),
      errorIs(`environment variable KOJI_ES_CONFIG_DIR: ${missing} is not a directory (the configuration directory, with hub/hub.conf)`),
    );
    writeFileSync(join(dir, 'a-file'), '');
    assert.throws(() => loadHubConfig({ '--config-dir': join(dir, 'a-file') }, {}), /a-file is not a directory/);
    // The default ./config, from a directory that has none.
    assert.throws(
      () => loadHubConfig({}, {}, dir),
      errorIs(
        `no configuration directory: ${join(dir, 'config')} does not exist; give --config-dir DIR (or KOJI_ES_CONFIG_DIR), or start the hub in the koji-es checkout, whose config/ ships working examples`,
      ),
    );
    // From the checkout the default is the shipped config.
    assert.ok(loadHubConfig({}, {}, root).policies.sidetag);
    // A directory without hub/hub.conf starts, with a warning that no policy is configured.
    const c = loadHubConfig({ '--config-dir': dir }, {});
    assert.deepEqual(c.warnings, [
      `${join(dir, 'hub', 'hub.conf')} does not exist: every [hub] key has its default and no [policy] is configured (with MissingPolicyOk anyone may create any number of sidetags)`,
    ]);
  });
});
