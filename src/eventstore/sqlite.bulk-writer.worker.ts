// The thread of SqliteBulkWriter: writes a rebuild's fresh tables on a connection of its own, so the
// replay (reading the log, running the projections) goes on in the main thread meanwhile.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { BulkBatch, BulkReply } from './sqlite.bulk-writer.js';

const SHADOW_TABLE = /^rmnext_[a-z][a-z0-9_]{0,50}$/;

const db = new Database((workerData as { path: string }).path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
// Fresh tables are thrown away if the machine stops mid-rebuild, so their commits need not wait
// for the disk; NORMAL still keeps the WAL consistent.
db.pragma('synchronous = NORMAL');

const statements = new Map<string, { put: Database.Statement; del: Database.Statement }>();
function statementsFor(table: string) {
  let s = statements.get(table);
  if (!s) {
    if (!SHADOW_TABLE.test(table)) throw new Error(`not a rebuild table: ${table}`);
    s = {
      // json_each gives each member's key, and its value (a document: an object or array) as JSON text.
      // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT, not to a join.
      put: db.prepare(
        `INSERT INTO ${table} (key, doc) SELECT key, value FROM json_each(?) WHERE true
         ON CONFLICT(key) DO UPDATE SET doc = excluded.doc`,
      ),
      del: db.prepare(`DELETE FROM ${table} WHERE key = ?`),
    };
    statements.set(table, s);
  }
  return s;
}

const write = db.transaction((batch: BulkBatch) => {
  for (const t of batch.tables) {
    const s = statementsFor(t.table);
    for (const k of t.deletes) s.del.run(k);
    s.put.run(t.puts);
  }
});

parentPort!.on('message', (batch: BulkBatch) => {
  let reply: BulkReply;
  try {
    write.immediate(batch);
    reply = { id: batch.id };
  } catch (e) {
    reply = { id: batch.id, error: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});
