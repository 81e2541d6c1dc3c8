// A third-party adapter: SQLite files through better-sqlite3 under the made-up scheme `minisqlite:`.
// docs/adapters.md shows this file; test/contract/third-party.contract.test.ts runs it through the
// contract suite, which is how you know an adapter of yours is done.
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { registerAdapter, type Adapter, type AdapterFactory, type AdapterQueryOptions, type QueryResult } from '../src';

type Db = InstanceType<typeof Database>;

export const createMiniSqliteAdapter: AdapterFactory = (config) => {
  // `minisqlite:data/app.db` → an absolute path, resolved once, when the pool is created.
  const file = path.resolve(config.secretUrl.reveal().replace(/^minisqlite:/, '').replace(/\?.*$/, ''));

  const adapter: Adapter<Db> = {
    name: 'minisqlite',
    // SQLite has one writer per file: the pool queues writes for this key through one lane.
    writerLaneKey: file,
    // better-sqlite3 runs on the event loop, so the pool does not race its queries against timers.
    synchronous: true,

    async connect(signal) {
      signal.throwIfAborted();
      const db = new Database(file, { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      return db;
    },
    async validate(db) {
      db.prepare('SELECT 1').get();
    },
    async query<R>(db: Db, sql: string, params: readonly unknown[] = [], opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
      const statement = db.prepare(sql);
      if (statement.reader) {
        // rowMode 'array': rows as arrays in column order, so a join's two `id` columns both survive.
        const rows = statement.raw(opts?.rowMode === 'array').all(...params) as R[];
        return { rows, rowCount: rows.length, columns: statement.columns().map((column) => column.name) };
      }
      const result = statement.run(...params);
      return { rows: [], rowCount: result.changes, lastInsertId: result.lastInsertRowid };
    },
    async begin(db, opts) {
      db.exec(opts.readOnly ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE');
    },
    async commit(db) {
      db.exec('COMMIT');
    },
    async rollback(db) {
      if (db.inTransaction) db.exec('ROLLBACK');
    },
    async close(db) {
      if (db.open) db.close();
    },
    // Closed by whoever held it: the pool destroys it instead of lending it again.
    brokenBy: (db) => (db.open ? undefined : new Error('the database handle was closed')),
    // A closed handle, or a file that is damaged or gone: destroy the connection, never reuse it.
    isBroken(db, err) {
      const code = String((err as { code?: unknown } | undefined)?.code ?? '');
      return !db.open || /^SQLITE_(CORRUPT|NOTADB|IOERR|CANTOPEN)/.test(code);
    },
    isRetryable: (err) => String((err as { code?: unknown } | undefined)?.code ?? '').startsWith('SQLITE_BUSY'),
    inTransaction: (db) => db.open && db.inTransaction,
    async serverInfo(db) {
      return { version: String(db.prepare('SELECT sqlite_version()').pluck().get()) };
    },
  };
  return adapter as Adapter<unknown>;
};

registerAdapter('minisqlite', createMiniSqliteAdapter);
