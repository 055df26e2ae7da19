// Selecting and opening the KurrentDB store, without a server: the URL forms, the read store from
// the configuration, and start-up stopping with one line for a bad URL or an unreachable server
// (127.0.0.1:1, where nothing listens).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBackend } from 'koji-es/eventstore/open';
import { EventStoreUnavailableError } from 'koji-es/eventstore/errors';
import { parseReadStoreUrl, parseStoreUrl, StoreUrlError } from 'koji-es/eventstore/store-url';
import { ConfigError, loadHubConfig } from 'koji-es/config/hub-config';
import { MAIN } from '../helpers/hub-process.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('koji-es-kdb-open-');
process.on('exit', tmp.cleanup);

describe('KurrentDB store URLs', () => {
  test('every scheme alias selects KurrentDB; esdb is rewritten, streamPrefix is ours', () => {
    const cases: [string, string][] = [
      ['kurrentdb://admin:changeit@db1:2113?tls=false', 'kurrentdb://admin:changeit@db1:2113?tls=false'],
      ['kurrent://db1:2113', 'kurrent://db1:2113'],
      ['kdb://db1', 'kdb://db1'],
      ['esdb://db1:2113/', 'kurrentdb://db1:2113'],
      ['esdb+discover://db1:2113,db2:2113', 'kurrentdb+discover://db1:2113,db2:2113'],
      [
        'kurrentdb+discover://u:p@db1:2113,db2:2113,[::1]:2113?nodePreference=leader',
        'kurrentdb+discover://u:p@db1:2113,db2:2113,[::1]:2113?nodePreference=leader',
      ],
      [
        'KurrentDB://db1?TLS=false&keep-alive-interval=5000',
        'kurrentdb://db1?TLS=false&keep-alive-interval=5000',
      ],
    ];
    for (const [text, url] of cases) assert.deepEqual(parseStoreUrl(text), { kind: 'kurrentdb', url }, text);
    assert.deepEqual(
      parseStoreUrl('kurrentdb://db1:2113?tls=false&streamPrefix=hub1-&nodePreference=leader'),
      {
        kind: 'kurrentdb',
        url: 'kurrentdb://db1:2113?tls=false&nodePreference=leader',
        streamPrefix: 'hub1-',
      },
    );
  });

  test('a malformed KurrentDB URL is one line without the password', () => {
    const bad: [string, RegExp][] = [
      ['kurrentdb://', /no host/],
      ['kurrentdb://u:s3cret@', /no host/],
      ['kurrentdb://u:s3cret@db1:abc', /"db1:abc" is not host or host:port/],
      ['kurrentdb://db1:70000', /port 70000 is out of range/],
      ['kurrentdb://db1:2113/events', /has no path/],
      ['kurrentdb://u:s3cret@db1?tsl=false', /unknown option "tsl"/],
      ['kurrentdb://db1?tls', /"tls" is not key=value/],
      ['kurrentdb://db1?streamPrefix=$all', /streamPrefix "\$all" may hold only/],
    ];
    for (const [text, re] of bad) {
      assert.throws(
        () => parseStoreUrl(text),
        (e: unknown) => {
          assert.ok(e instanceof StoreUrlError, `${text}: ${String(e)}`);
          assert.match(e.message, re, text);
          assert.ok(!e.message.includes('s3cret') && !e.message.includes('\n'), e.message);
          return true;
        },
      );
    }
  });

  test('the read store is a SQL database', () => {
    assert.deepEqual(parseReadStoreUrl('sqlite:rm.sqlite', '/w'), { kind: 'sqlite', path: '/w/rm.sqlite' });
    assert.deepEqual(parseReadStoreUrl('postgres://u:p@db/rm'), {
      kind: 'postgres',
      url: 'postgres://u:p@db/rm',
    });
    assert.throws(() => parseReadStoreUrl('kurrentdb://u:s3cret@db1'), /must be a SQL database/);
  });
});

describe('KurrentDB store: configuration', () => {
  // The shipped config: a config directory must exist, and this one sets no store of its own.
  const base = { '--config-dir': join(MAIN, '..', '..', 'config'), '--data-dir': '/d' };

  test('--read-store, KOJI_ES_READ_STORE and the default under the data directory', () => {
    const dflt = loadHubConfig({ ...base, '--store': 'kurrentdb://db1:2113?tls=false' }, {}, '/w');
    assert.deepEqual(dflt.store, {
      kind: 'kurrentdb',
      url: 'kurrentdb://db1:2113?tls=false',
      readStore: { kind: 'sqlite', path: '/d/read-models.sqlite' },
    });
    const env = loadHubConfig(
      { ...base },
      { KOJI_ES_STORE: 'esdb://db1', KOJI_ES_READ_STORE: 'postgres://u:p@pg/rm' },
    );
    assert.deepEqual(env.store, {
      kind: 'kurrentdb',
      url: 'kurrentdb://db1',
      readStore: { kind: 'postgres', url: 'postgres://u:p@pg/rm' },
    });
    const flag = loadHubConfig(
      { ...base, '--store': 'kdb://db1', '--read-store': 'sqlite:rm.sqlite' },
      { KOJI_ES_READ_STORE: 'postgres://u:p@pg/rm' },
      '/w',
    );
    assert.deepEqual(flag.store.kind === 'kurrentdb' && flag.store.readStore, {
      kind: 'sqlite',
      path: '/w/rm.sqlite',
    });
    assert.deepEqual(flag.warnings, []);
  });

  test('a read store beside a SQL event store is a warning; a bad one stops start-up', () => {
    const sql = loadHubConfig({ ...base, '--read-store': 'sqlite:rm.sqlite' }, {});
    assert.equal(sql.store.kind, 'sqlite');
    assert.match(sql.warnings.join('\n'), /read_store is used only with a KurrentDB store/);
    assert.throws(
      () => loadHubConfig({ ...base, '--store': 'kurrentdb://db1', '--read-store': 'kurrentdb://db2' }, {}),
      (e: unknown) => e instanceof ConfigError && /read_store: .*must be a SQL database/.test(e.message),
    );
    assert.throws(
      () => loadHubConfig({ ...base, '--store': 'kurrentdb://u:s3cret@db1:x' }, {}),
      (e: unknown) => e instanceof ConfigError && !e.message.includes('s3cret'),
    );
  });
});

describe('KurrentDB store: opening without a server', () => {
  const unavailable = async (url: string, reason: RegExp, readStore = 'memory:') => {
    const started = Date.now();
    const parsed = parseStoreUrl(url);
    if (parsed.kind !== 'kurrentdb') throw new Error(`${url} is not a KurrentDB URL`);
    await assert.rejects(
      openBackend({ ...parsed, readStore: parseReadStoreUrl(readStore) }),
      (e: unknown) => {
        assert.ok(e instanceof EventStoreUnavailableError, String(e));
        assert.match(e.message, reason);
        assert.ok(!e.message.includes('s3cret'), `the password leaked: ${e.message}`);
        assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
        return true;
      },
    );
    assert.ok(Date.now() - started < 15_000, 'fails fast');
  };

  test('nothing listening is one clear line, the password redacted', async () => {
    await unavailable(
      'kurrentdb://127.0.0.1:1?tls=false',
      /^cannot reach KurrentDB at kurrentdb:\/\/127\.0\.0\.1:1\?tls=false: connection refused/,
    );
    await unavailable(
      'kurrentdb://admin:s3cret@127.0.0.1:1?tls=false',
      /kurrentdb:\/\/admin:\*\*\*@127\.0\.0\.1:1/,
    );
  });

  test('a URL only the client rejects is one line too', async () => {
    await unavailable(
      'kurrentdb://admin:s3cret@127.0.0.1:1?tls=maybe',
      /^malformed store URL "kurrentdb:\/\/admin:\*\*\*@/,
    );
  });

  test('without a read store named anywhere, the store says where to name one', async () => {
    const saved = process.env.KOJI_ES_READ_STORE;
    delete process.env.KOJI_ES_READ_STORE;
    try {
      await assert.rejects(
        openBackend('kurrentdb://127.0.0.1:1?tls=false'),
        /--read-store sqlite:PATH or postgres/,
      );
    } finally {
      if (saved !== undefined) process.env.KOJI_ES_READ_STORE = saved;
    }
  });

  test('the hub stops start-up with one line on stderr and exit status 1, no stack trace', () => {
    const cfg = join(tmp.dir, 'config');
    mkdirSync(join(cfg, 'hub'), { recursive: true });
    writeFileSync(join(cfg, 'hub', 'hub.conf'), '');
    const r = spawnSync(
      process.execPath,
      [
        MAIN,
        '--store',
        'kurrentdb://admin:s3cret@127.0.0.1:1?tls=false',
        '--read-store',
        `sqlite:${join(tmp.dir, 'rm.sqlite')}`,
        '--config-dir',
        cfg,
        '--data-dir',
        join(tmp.dir, 'data'),
        '--port',
        '0',
      ],
      {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.dir },
      },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      r.stderr,
      'koji-es: cannot reach KurrentDB at kurrentdb://admin:***@127.0.0.1:1?tls=false: connection refused (is the server running and listening there?)\n',
    );
  });
});
