import type { QueryResult } from './contract';
import { fromSqlValue, toSqlArgs, type IntMode } from './libsql-values';
import { isSqliteError, sqliteBaseCode } from './sqlite-codes';

/** The part of libsql's Database (the `libsql` package, better-sqlite3's API) the adapter uses. */
export interface LibsqlDatabase {
  readonly open: boolean;
  readonly inTransaction: boolean;
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): void;
  close(): void;
}

export interface LibsqlStatement {
  readonly reader: boolean;
  raw(on?: boolean): this;
  safeIntegers(on?: boolean): this;
  run(args?: unknown): { changes: number; lastInsertRowid: number | bigint };
  all(args?: unknown): unknown[][];
  columns(): Array<{ name: string; type: string | null }>;
}

export type LibsqlDatabaseClass = new (path: string) => LibsqlDatabase;

/** @libsql/client's error class: what code written for createClient() catches. */
export type LibsqlErrorClass = new (message: string, code: string, extendedCode?: string, rawCode?: number, cause?: Error) => Error;

/** Statement texts kept prepared on one connection, oldest dropped first. */
const MAX_CACHED_STATEMENTS = 200;

interface CachedStatement {
  readonly statement: LibsqlStatement;
  /** It returns rows (SELECT, RETURNING, a PRAGMA that reads): raw(true) works on it. */
  readonly reader: boolean;
  /** What it was bound with last: a count of positional arguments, or the names. */
  readonly shape: number | string;
}

const BEGIN_SQL = { write: 'BEGIN IMMEDIATE', read: 'BEGIN TRANSACTION READONLY', deferred: 'BEGIN DEFERRED' } as const;

/**
 * One lifeguard connection on an embedded libsql file (or :memory:): one libsql Database, used
 * directly rather than through @libsql/client, and `lease.raw` on such a pool.
 *
 * Why not the client: on a file @libsql/client prepares every statement afresh and probes it with
 * `raw(true)`, which throws (and is caught) for every statement that returns no rows. A two-UPDATE
 * write transaction cost 48 µs of CPU through a hand-serialized client and 64 µs through the pool
 * on it (docs/performance.md, issue 16). Here each statement is prepared once per connection and
 * reused, and `reader` says which ones return rows, so nothing is thrown on the way.
 *
 * Two things libsql does that a kept statement must not let through (both seen on libsql 0.5):
 * - It does not clear a statement's bindings, so a call with fewer arguments than the last would
 *   run with the last call's values in the rest, where a fresh statement has NULL. A kept statement
 *   is reused only with arguments of the same shape (the same count, or the same names).
 * - Before a statement runs, its column names are those of the schema this connection last read,
 *   so after another connection's ALTER TABLE they are the old ones (@libsql/client reports those).
 *   They are read after the rows, when SQLite has re-prepared the statement against the new schema.
 *
 * Values convert as @libsql/client converts them (libsql-values.ts), and driver errors become its
 * LibsqlError (code SQLITE_CONSTRAINT, extendedCode SQLITE_CONSTRAINT_PRIMARYKEY), so a pool moved
 * onto this path sees what it saw before.
 */
export class EmbeddedLibsqlConnection {
  readonly kind = 'embedded';
  readonly db: LibsqlDatabase;
  readonly #intMode: IntMode;
  readonly #LibsqlError: LibsqlErrorClass;
  readonly #kept = new Map<string, CachedStatement>();

  constructor(db: LibsqlDatabase, intMode: IntMode, LibsqlError: LibsqlErrorClass) {
    this.db = db;
    this.#intMode = intMode;
    this.#LibsqlError = LibsqlError;
  }

  get open(): boolean {
    return this.db.open;
  }

  /** Reading inTransaction on a closed libsql Database aborts the process (noted in @libsql/client), hence the check. */
  get inTransaction(): boolean {
    return this.db.open && this.db.inTransaction;
  }

  /** One statement, run synchronously; a driver error is thrown as @libsql/client's LibsqlError. */
  execute<R>(sql: string, params: readonly unknown[] | Record<string, unknown> | undefined, asArrays: boolean): QueryResult<R> {
    this.#checkOpen();
    const args = params === undefined ? undefined : toSqlArgs(params, this.#intMode);
    const shape = args === undefined ? 0 : Array.isArray(args) ? args.length : Object.keys(args).join(',');
    try {
      let kept = this.#kept.get(sql);
      if (kept === undefined || kept.shape !== shape) kept = this.#prepare(sql, shape);
      return kept.reader ? this.#read<R>(kept.statement, args, asArrays) : written(kept.statement.run(args));
    } catch (err) {
      throw toLibsqlError(err, this.#LibsqlError);
    }
  }

  /** A script of several statements, as @libsql/client's executeMultiple: no results. */
  executeMultiple(sql: string): void {
    this.#checkOpen();
    try {
      this.db.exec(sql);
    } catch (err) {
      throw toLibsqlError(err, this.#LibsqlError);
    }
  }

  begin(mode: keyof typeof BEGIN_SQL): void {
    if (this.inTransaction) throw new Error('libsql connection already has an open transaction');
    this.execute(BEGIN_SQL[mode], undefined, false);
  }

  /** COMMIT; if it fails the transaction is rolled back, as @libsql/client's commit() leaves it. */
  commit(): void {
    try {
      this.execute('COMMIT', undefined, false);
    } catch (err) {
      try {
        this.rollback();
      } catch {
        // the caller needs COMMIT's error; a transaction still open is ended at release (inTransaction)
      }
      throw err;
    }
  }

  rollback(): void {
    if (this.inTransaction) this.execute('ROLLBACK', undefined, false);
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.rollback();
    } catch {
      // closing discards the transaction anyway
    }
    this.#kept.clear();
    try {
      this.db.close();
    } catch {
      // the pool closes dead connections too: nothing is left to release
    }
  }

  #read<R>(statement: LibsqlStatement, args: unknown, asArrays: boolean): QueryResult<R> {
    const raw = statement.all(args);
    // After the rows, not before: see the class comment.
    const described = statement.columns();
    const columns = described.map((column) => column.name);
    const columnTypes = described.map((column) => column.type ?? '');
    const intMode = this.#intMode;
    const rows = new Array<R>(raw.length);
    for (let r = 0; r < raw.length; r++) {
      const values = raw[r];
      if (asArrays) {
        for (let i = 0; i < values.length; i++) values[i] = fromSqlValue(values[i], intMode);
        rows[r] = values as R;
      } else {
        const row: Record<string, unknown> = {};
        for (let i = 0; i < columns.length; i++) row[columns[i]] = fromSqlValue(values[i], intMode);
        rows[r] = row as R;
      }
    }
    return { rows, rowCount: rows.length, columns, columnTypes };
  }

  #prepare(sql: string, shape: number | string): CachedStatement {
    const statement = this.db.prepare(sql);
    const reader = statement.reader;
    // Integers arrive as bigints and convert by intMode, as @libsql/client has them.
    if (reader) statement.raw(true).safeIntegers(true);
    if (this.#kept.size >= MAX_CACHED_STATEMENTS && !this.#kept.has(sql)) {
      const oldest = this.#kept.keys().next().value;
      if (oldest !== undefined) this.#kept.delete(oldest);
    }
    const kept = { statement, reader, shape };
    this.#kept.set(sql, kept);
    return kept;
  }

  #checkOpen(): void {
    if (!this.db.open) throw new this.#LibsqlError('The client is closed', 'CLIENT_CLOSED');
  }
}

function written<R>(info: { changes: number; lastInsertRowid: number | bigint }): QueryResult<R> {
  return { rows: [], rowCount: info.changes, columns: [], columnTypes: [], lastInsertId: BigInt(info.lastInsertRowid) };
}

/** A driver error as @libsql/client raises it (LibsqlError, base code in `code`); anything else unchanged. */
export function toLibsqlError(err: unknown, LibsqlError: LibsqlErrorClass): unknown {
  if (err instanceof LibsqlError || !isSqliteError(err)) return err;
  return new LibsqlError(err.message, sqliteBaseCode(err.code), err.code, err.rawCode, err);
}
