import type BetterSqlite3 from 'better-sqlite3';
import type { Adapter, AdapterFactory, AdapterQueryOptions, QueryResult, TransactionOptions } from './contract';
import { loadDriver } from './load-driver';
import { errorCode } from './server-url';
import { parseSqliteUrl } from './sqlite-url';
import { isolationSql } from './transaction-sql';
import { ConfigError } from '../src/shared/errors';

/**
 * SQLite through `better-sqlite3`. One lifeguard connection is one Database handle, and
 * `lease.raw` is that handle. Every call is synchronous: a write that waits for another
 * connection's lock blocks the event loop for up to busy_timeout (DRIVER-NOTES.md), so writes to
 * one file go through the single-writer lane the pool shares with embedded libsql.
 */
type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement<unknown[]>;
type DatabaseConstructor = new (filename: string, options?: BetterSqlite3.Options) => Database;

/** What a service wants from a file: WAL (readers never block the writer), a busy timeout, FKs enforced. */
export const SQLITE_DEFAULT_PRAGMAS: Readonly<Record<string, string | number>> = {
  journal_mode: 'WAL',
  synchronous: 'NORMAL',
  busy_timeout: 5000,
  foreign_keys: 'ON',
};

const STATEMENT_CACHE_SIZE = 100;

/**
 * Codes after which the handle cannot be trusted: the file is damaged, gone or replaced, or the
 * disk under it failed. SQLITE_BUSY and constraint errors are ordinary query errors.
 */
const BROKEN_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', 'SQLITE_READONLY_DBMOVED', 'SQLITE_MISUSE']);

export function isBrokenSqliteError(err: unknown): boolean {
  const code = errorCode(err);
  if (code !== undefined && (BROKEN_CODES.has(code) || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CORRUPT'))) return true;
  // better-sqlite3 throws a TypeError, not a SqliteError, for a closed handle.
  return typeof err === 'object' && err !== null && String((err as Error).message).includes('The database connection is not open');
}

export function isRetryableSqliteError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

/**
 * Defaults merged with `adapterOptions.pragmas`; a value of null drops a default. Names and values
 * are spliced into PRAGMA statements, so both are checked here.
 */
export function sqlitePragmas(overrides: unknown, inMemory: boolean): Array<[string, string | number]> {
  if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null)) {
    throw new ConfigError('adapterOptions.pragmas', 'adapterOptions.pragmas must be an object such as { cache_size: -20000, temp_store: "MEMORY" }.');
  }
  const merged: Record<string, unknown> = { ...SQLITE_DEFAULT_PRAGMAS, ...(overrides as Record<string, unknown> | undefined) };
  // WAL needs a file; an in-memory database keeps its own journal.
  if (inMemory) delete merged.journal_mode;
  const out: Array<[string, string | number]> = [];
  for (const [name, value] of Object.entries(merged)) {
    if (value === null || value === undefined) continue;
    if (!/^[a-z_]+$/i.test(name) || (typeof value !== 'number' && (typeof value !== 'string' || !/^[\w.-]+$/.test(value)))) {
      throw new ConfigError(`adapterOptions.pragmas.${name}`, `PRAGMA ${name} = ${JSON.stringify(value)} is not valid: expected a pragma name and a number or a word.`);
    }
    out.push([name, value as string | number]);
  }
  // journal_mode first: the others are per-connection, but WAL must be in place before any write.
  return out.sort(([a], [b]) => Number(b === 'journal_mode') - Number(a === 'journal_mode'));
}

export const createSqliteAdapter: AdapterFactory = (config) => {
  const Driver = loadDriver<DatabaseConstructor>('better-sqlite3', config.scheme);
  const target = parseSqliteUrl(config.secretUrl.reveal());
  const pragmas = sqlitePragmas(config.adapterOptions.pragmas, target.inMemory);
  const busyTimeoutMs = Number(pragmas.find(([name]) => name === 'busy_timeout')?.[1] ?? 0);
  const safeIntegers = config.adapterOptions.safeIntegers === true;
  const caches = new WeakMap<Database, Map<string, Statement>>();

  function prepare(db: Database, sql: string): Statement {
    let cache = caches.get(db);
    if (!cache) caches.set(db, (cache = new Map()));
    let statement = cache.get(sql);
    if (statement) {
      // Move to the back: the map's insertion order is the least-recently-used order.
      cache.delete(sql);
    } else {
      statement = db.prepare(sql) as Statement;
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    }
    cache.set(sql, statement);
    return statement;
  }

  const adapter: Adapter<Database> = {
    name: 'sqlite',
    writerLaneKey: target.inMemory ? undefined : target.filename,
    synchronous: true,

    async connect(signal) {
      signal.throwIfAborted();
      const db = new Driver(target.filename, { readonly: target.readOnly, timeout: busyTimeoutMs });
      try {
        if (safeIntegers) db.defaultSafeIntegers(true);
        for (const [name, value] of pragmas) {
          if (name === 'journal_mode' && target.readOnly) continue;
          db.pragma(`${name} = ${value}`);
        }
      } catch (err) {
        db.close();
        throw err;
      }
      return db;
    },

    async validate(db) {
      if (!db.open) throw new TypeError('The database connection is not open');
      prepare(db, 'SELECT 1').get();
    },

    async query<R>(db: Database, sql: string, params?: readonly unknown[], opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
      const values = bindValues(params);
      let statement: Statement;
      try {
        statement = prepare(db, sql);
      } catch (err) {
        // prepare() takes one statement; a migration script of several runs whole through exec().
        if (values.length === 0 && /more than one statement/.test((err as Error).message)) {
          db.exec(sql);
          return { rows: [], rowCount: 0, columns: [] };
        }
        throw err;
      }
      if (statement.reader) {
        const columns = statement.columns();
        // The statement is cached: its row mode is set on every use.
        const rows = statement.raw(opts?.rowMode === 'array').all(...values) as R[];
        return { rows, rowCount: rows.length, columns: columns.map((column) => column.name), columnTypes: columns.map((column) => column.type ?? '') };
      }
      const result = statement.run(...values);
      return { rows: [], rowCount: result.changes, columns: [], lastInsertId: result.lastInsertRowid };
    },

    async begin(db, opts: TransactionOptions) {
      isolationSql(opts); // SQLite transactions are serializable; only an unknown level is an error.
      // A writer takes the write lock at BEGIN, so it never fails later on a lock upgrade.
      prepare(db, opts.readOnly ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE').run();
    },

    async commit(db) {
      prepare(db, 'COMMIT').run();
    },

    async rollback(db) {
      if (db.inTransaction) prepare(db, 'ROLLBACK').run();
    },

    async close(db) {
      caches.delete(db);
      if (db.open) db.close();
    },

    brokenBy(db) {
      return db.open ? undefined : new Error('better-sqlite3 database connection is closed');
    },

    isBroken(db, err) {
      return !db.open || isBrokenSqliteError(err);
    },

    isRetryable: isRetryableSqliteError,

    inTransaction(db) {
      return db.open && db.inTransaction;
    },

    async serverInfo(db) {
      const row = prepare(db, 'SELECT sqlite_version() AS version').get() as { version: string };
      return { version: row.version };
    },
  };
  return adapter as Adapter<unknown>;
};

/**
 * Positional parameters as arguments; named ones (an object) as better-sqlite3's one object
 * argument, the names without their `:`/`@`/`$`.
 */
function bindValues(params: unknown): unknown[] {
  if (params === undefined || params === null) return [];
  if (Array.isArray(params)) return params.map(bindable);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params as Record<string, unknown>)) named[name.replace(/^[:@$]/, '')] = bindable(value);
  return [named];
}

/** better-sqlite3 refuses booleans; SQLite stores them as 0 and 1 anyway. */
function bindable(value: unknown): unknown {
  return typeof value === 'boolean' ? Number(value) : value;
}
