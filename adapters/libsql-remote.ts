import type { Client, Config as LibsqlConfig, InStatement, InValue, ResultSet } from '@libsql/client';
import type { Adapter, AdapterQueryOptions, QueryResult, TransactionOptions } from './contract';
import type { RemoteLibsqlConnection } from './libsql-connection';
import { isBrokenLibsqlError, isRetryableLibsqlError, libsqlErrorCode } from './libsql-errors';
import { beginOn, commitOn, rollbackOn, runTransactionSql, settleEndedTransaction } from './libsql-transactions';
import { hasParams, type IntMode } from './libsql-values';
import { transactionControl } from './transaction-control';

export type LibsqlClientModule = { createClient(config: LibsqlConfig): Client };

/**
 * libsql on a server (sqld, Turso: `libsql://`, `http(s)://`, `ws(s)://`): one lifeguard
 * connection is one @libsql/client client with `concurrency: 1`. A transaction uses
 * `client.transaction()`, and an SQL BEGIN on a lease becomes one (libsql-transactions.ts).
 */
export function createRemoteLibsqlAdapter(driver: LibsqlClientModule, url: string, intMode: IntMode): Adapter<RemoteLibsqlConnection> {
  return {
    name: 'libsql',

    async connect(signal, credentials) {
      signal.throwIfAborted();
      const client = driver.createClient({
        url,
        // Fetched by the pool for this connection (a fixed token, or the authToken function's answer now).
        authToken: credentials?.authToken,
        concurrency: 1,
        intMode,
      });
      try {
        // Remote clients connect lazily; make the first round-trip here so connect failures
        // surface as connect failures (and are bounded by connectTimeoutMs).
        await client.execute('SELECT 1');
        signal.throwIfAborted();
      } catch (err) {
        client.close();
        throw err;
      }
      return { kind: 'remote', client, tx: undefined };
    },

    async validate(conn) {
      if (conn.client.closed) throw new Error('libsql client is closed');
      await (conn.tx ?? conn.client).execute('SELECT 1');
    },

    query<R>(conn: RemoteLibsqlConnection, sql: string, params?: readonly unknown[], opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
      const statement: InStatement = hasParams(params) ? { sql, args: params as InValue[] | Record<string, InValue> } : sql;
      const asArrays = opts?.rowMode === 'array';
      const control = transactionControl(sql);
      if (control === undefined) return execute<R>(conn, statement, asArrays);
      return runTransactionSql(conn, control, statement).then((handled) => (handled ? { rows: [], rowCount: 0, columns: [] } : execute<R>(conn, statement, asArrays)));
    },

    begin(conn, opts: TransactionOptions) {
      return beginOn(conn, opts.readOnly ? 'read' : 'write').then(ignore);
    },
    commit: commitOn,
    rollback: rollbackOn,

    async close(conn) {
      try {
        conn.tx?.close();
      } catch {
        // already closed with its client
      }
      conn.tx = undefined;
      if (!conn.client.closed) conn.client.close();
    },

    brokenBy(conn) {
      if (conn.client.closed) return new Error('libsql client is closed');
      return conn.beginFailed;
    },

    isBroken(conn, err) {
      return conn.client.closed || conn.beginFailed !== undefined || isBrokenLibsqlError(err);
    },

    isRetryable: isRetryableLibsqlError,
    errorCode: libsqlErrorCode,

    inTransaction(conn) {
      return conn.tx !== undefined;
    },

    async serverInfo(conn) {
      const result = await conn.client.execute('SELECT sqlite_version() AS version');
      return { version: String(result.rows[0]?.version ?? 'unknown') };
    },
  };
}

function ignore(): void {}

/**
 * One statement, on the connection's open transaction if it has one, else on the client. Callbacks
 * rather than an async function: one promise fewer on every statement.
 */
function execute<R>(conn: RemoteLibsqlConnection, statement: InStatement, asArrays: boolean): Promise<QueryResult<R>> {
  const running = conn.tx === undefined ? conn.client.execute(statement) : conn.tx.execute(statement);
  return running.then(
    (result) => {
      settleEndedTransaction(conn);
      return normalise<R>(result, asArrays);
    },
    (err: unknown) => {
      settleEndedTransaction(conn);
      throw err;
    },
  );
}

function normalise<R>(result: ResultSet, asArrays: boolean): QueryResult<R> {
  const isRead = result.columns.length > 0;
  const rows = result.rows.map((row) => {
    if (asArrays) return Array.from(row as ArrayLike<unknown>) as R;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < result.columns.length; i++) out[result.columns[i]] = row[i];
    return out as R;
  });
  const normalised: QueryResult<R> = {
    rows,
    rowCount: isRead ? rows.length : result.rowsAffected,
    columns: result.columns,
    columnTypes: result.columnTypes,
  };
  if (!isRead && result.lastInsertRowid !== undefined) normalised.lastInsertId = result.lastInsertRowid;
  return normalised;
}
