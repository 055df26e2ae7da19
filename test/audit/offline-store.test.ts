// The offline audit commands (`--store URL`, a stopped hub) open only a store that exists: a typo
// must not make a new empty store (or its directories) and report it clean.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openBackend } from 'koji-es/eventstore/open';
import { startTestPostgres } from '../helpers/pg.js';
import { CLI, usage, type Result } from '../helpers/cli-client.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('koji-es-offline-store-');
const server = startTestPostgres();
after(async () => {
  await (await server).stop();
  dir.cleanup();
});

const execFileAsync = promisify(execFile);

async function cli(args: string[]): Promise<Result> {
  try {
    const r = await execFileAsync(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir.dir },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const r = e as { code: number; stdout: string; stderr: string };
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }
}

/** Every offline audit command, against one store URL. */
const COMMANDS: [string, string[]][] = [
  ['audit verify', ['audit', 'verify']],
  ['audit log', ['audit', 'log']],
  ['audit state', ['audit', 'state', 'tag', '1']],
  ['audit explain', ['audit', 'explain', '1']],
  ['audit rebuild', ['audit', 'rebuild', '--threads', '1']],
];

async function refusedEverywhere(url: string, message: string | RegExp): Promise<void> {
  for (const [name, args] of COMMANDS) usage(await cli([...args, '--store', url]), name, message);
}

describe('offline audit commands open only an existing event store', () => {
  test('SQLite: no file, a missing directory, a file that is no database, a database without events', async () => {
    const typo = join(dir.dir, 'typo.sqlite');
    await refusedEverywhere(
      `sqlite:${typo}`,
      `no event store at sqlite:${typo}: there is no such file (give --store the database of the stopped hub)`,
    );
    assert.ok(!existsSync(typo), 'no database made');
    const deep = join(dir.dir, 'nonexistent', 'x.sqlite');
    await refusedEverywhere(`sqlite:${deep}`, /^no event store at sqlite:\S+: there is no such file/);
    assert.ok(!existsSync(join(dir.dir, 'nonexistent')), 'no directory made');

    const text = join(dir.dir, 'notes.txt');
    writeFileSync(text, 'not a database\n'.repeat(100));
    await refusedEverywhere(
      `sqlite:${text}`,
      /^no event store at sqlite:\S+notes\.txt: file is not a database/,
    );
    assert.equal(readFileSync(text, 'utf8'), 'not a database\n'.repeat(100));

    const other = join(dir.dir, 'other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    await refusedEverywhere(
      `sqlite:${other}`,
      /^no event store at sqlite:\S+other\.sqlite: the database has no koji-es event table/,
    );
    const check = new Database(other, { readonly: true });
    const tables = check.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all();
    check.close();
    assert.deepEqual(tables, [{ name: 't' }], 'no table made');
    assert.deepEqual(
      readdirSync(dir.dir).sort(),
      ['notes.txt', 'other.sqlite'],
      'nothing else made in the directory',
    );
  });

  test('SQLite: a real store still works', async () => {
    const path = join(dir.dir, 'real', 'koji-es.sqlite');
    await (await openBackend(`sqlite:${path}`)).close();
    const r = await cli(['audit', 'verify', '--store', `sqlite:${path}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /documents checked, 0 differences/);
  });

  test('PostgreSQL: a database without the event table is refused and left as it was; a real store works', async () => {
    const url = await (await server).url();
    await refusedEverywhere(
      url,
      /^no event store at postgres:\/\/\S+: the database has no koji-es event table/,
    );
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
      );
      assert.equal(Number(r.rows[0].n), 0, 'no table made');
    } finally {
      await c.end();
    }
    await (await openBackend(url)).close();
    const r = await cli(['audit', 'log', '--store', url]);
    assert.equal(r.code, 0, r.stderr);
  });
});
