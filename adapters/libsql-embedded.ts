import type { Adapter, AdapterQueryOptions, QueryResult, TransactionOptions } from './contract';
import { EmbeddedLibsqlConnection, toLibsqlError, type LibsqlDatabaseClass, type LibsqlErrorClass } from './libsql-embedded-connection';
import { isBrokenLibsqlError, isRetryableLibsqlError, libsqlErrorCode } from './libsql-errors';
import { hasParams, type IntMode } from './libsql-values';

export interface EmbeddedLibsqlOptions {
  readonly Database: LibsqlDatabaseClass;
  readonly LibsqlError: LibsqlErrorClass;
  readonly target: { readonly inMemory: boolean; readonly filePath?: string };
  readonly pragmas: Readonly<Record<string, string | number>>;
  readonly intMode: IntMode;
}

/**
 * libsql on an embedded file or :memory:. Every call runs synchronously inside the driver, so the
 * adapter is `synchronous` (timers cannot interrupt a statement) and writes share the file's writer
 * lane with `sqlite:` pools. An SQL BEGIN on a lease holds as it is: one lifeguard connection is
 * one SQLite connection, and the pool asks it whether a transaction is open.
 */
export function createEmbeddedLibsqlAdapter(options: EmbeddedLibsqlOptions): Adapter<EmbeddedLibsqlConnection> {
  const { Database, LibsqlError, target, pragmas, intMode } = options;
  const path = target.inMemory ? ':memory:' : (target.filePath as string);

  return {
    name: 'libsql',
    writerLaneKey: target.filePath,
    synchronous: true,

    async connect(signal) {
      signal.throwIfAborted();
      const conn = open(Database, path, intMode, LibsqlError);
      try {
        // The first statement reads the file: one that is not a database fails here, as a connect failure.
        if (target.inMemory) conn.execute('SELECT 1', undefined, false);
        else for (const [name, value] of Object.entries(pragmas)) conn.executeMultiple(`PRAGMA ${name} = ${value}`);
        signal.throwIfAborted();
      } catch (err) {
        conn.close();
        throw err;
      }
      return conn;
    },

    async validate(conn) {
      if (!conn.open) throw new Error('libsql database is closed');
      conn.execute('SELECT 1', undefined, false);
    },

    query<R>(conn: EmbeddedLibsqlConnection, sql: string, params?: readonly unknown[], opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
      return settle(() => conn.execute<R>(sql, hasParams(params) ? params : undefined, opts?.rowMode === 'array'));
    },

    begin(conn, opts: TransactionOptions) {
      return settle(() => conn.begin(opts.readOnly ? 'read' : 'write'));
    },
    commit: (conn) => settle(() => conn.commit()),
    rollback: (conn) => settle(() => conn.rollback()),

    async close(conn) {
      conn.close();
    },

    brokenBy(conn) {
      return conn.open ? undefined : new Error('libsql database is closed');
    },

    isBroken(conn, err) {
      return !conn.open || isBrokenLibsqlError(err);
    },

    isRetryable: isRetryableLibsqlError,
    errorCode: libsqlErrorCode,

    inTransaction(conn) {
      return conn.inTransaction;
    },

    async serverInfo(conn) {
      const result = conn.execute<{ version: unknown }>('SELECT sqlite_version() AS version', undefined, false);
      return { version: String(result.rows[0]?.version ?? 'unknown') };
    },
  };
}

function open(Database: LibsqlDatabaseClass, path: string, intMode: IntMode, LibsqlError: LibsqlErrorClass): EmbeddedLibsqlConnection {
  try {
    return new EmbeddedLibsqlConnection(new Database(path), intMode, LibsqlError);
  } catch (err) {
    throw toLibsqlError(err, LibsqlError);
  }
}

/** A synchronous driver call as the contract's promise: its result, or its error as a rejection. */
function settle<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (err) {
    return Promise.reject(err);
  }
}
