import * as path from 'node:path';
import type { Client, Config as LibsqlConfig, InStatement, InValue, ResultSet } from '@libsql/client';
import type { Adapter, AdapterFactory, AdapterQueryOptions, QueryResult, TransactionOptions } from './contract';
import type { LibsqlConnection } from './libsql-connection';
import { beginOn, commitOn, rollbackOn, runTransactionSql, settleEndedTransaction } from './libsql-transactions';
import { loadDriver } from './load-driver';
import { onDriver, withStack } from './libsql-quiet';
import { ConfigError } from '../src/shared/errors';
import { transactionControl } from './transaction-control';

/**
 * libsql, the primary adapter: embedded files (`file:`, `:memory:`) and remote sqld/Turso
 * (`libsql://`, `http(s)://`, `ws(s)://`, with an auth token).
 *
 * One lifeguard connection is one libsql client with `concurrency: 1`, so it is exactly one
 * SQLite connection on an embedded file. A transaction uses `client.transaction()`: on a local
 * file `execute('BEGIN')` does not hold across calls (DRIVER-NOTES.md).
 */
export type { LibsqlConnection };

type LibsqlModule = { createClient(config: LibsqlConfig): Client };

/** Errors after which a connection must not be reused. SQLITE_BUSY and constraint errors are not among them. */
const BROKEN_CODES = new Set([
  'CLIENT_CLOSED',
  'TRANSACTION_CLOSED',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
  'HRANA_WEBSOCKET_ERROR',
  'HRANA_CLOSED_ERROR',
  'HRANA_PROTO_ERROR',
  'STREAM_EXPIRED',
  'SERVER_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

export function isBrokenLibsqlError(err: unknown): boolean {
  const code = errorCode(err);
  if (code === undefined) return false;
  if (BROKEN_CODES.has(code)) return true;
  return code.startsWith('SQLITE_IOERR') || code.startsWith('HRANA_');
}

/** The SQLite result code the engine or sqld raised (SQLITE_CONSTRAINT, ...). */
export function libsqlErrorCode(err: unknown): string | undefined {
  const code = errorCode(err);
  return code?.startsWith('SQLITE_') ? code : undefined;
}

export function isRetryableLibsqlError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && code !== 'UNKNOWN') return code;
  return cause === undefined || cause === err ? undefined : errorCode(cause);
}

/** Embedded files get WAL, a busy timeout and foreign keys: a fresh file has none of them. */
export const EMBEDDED_PRAGMAS: Readonly<Record<string, string | number>> = {
  journal_mode: 'WAL',
  busy_timeout: 5000,
  foreign_keys: 'ON',
  synchronous: 'NORMAL',
};

/** `file:` URLs (and ':memory:') are embedded; everything else reaches a server. */
export function describeLibsqlUrl(url: string): { embedded: boolean; inMemory: boolean; filePath?: string; driverUrl: string } {
  if (url === ':memory:' || url === 'file::memory:' || url.startsWith('file::memory:?')) {
    return { embedded: true, inMemory: true, driverUrl: ':memory:' };
  }
  if (url.startsWith('file:')) {
    let rest = url.slice('file:'.length).replace(/\?.*$/, '');
    if (rest.startsWith('//')) rest = rest.replace(/^\/\/(localhost)?/, '');
    const filePath = path.resolve(decodeURIComponent(rest));
    return { embedded: true, inMemory: false, filePath, driverUrl: `file:${filePath}` };
  }
  return { embedded: false, inMemory: false, driverUrl: url };
}

export const createLibsqlAdapter: AdapterFactory = (config) => {
  const target = describeLibsqlUrl(config.secretUrl.reveal());
  const pragmas = { ...EMBEDDED_PRAGMAS, ...((config.adapterOptions.pragmas as Record<string, string | number>) ?? {}) };
  // Loaded when the first pool for a libsql URL is created, so a missing driver fails createPool()
  // at once, naming the package, instead of surfacing later as connection timeouts.
  const driver = loadDriver<LibsqlModule>('@libsql/client', config.scheme);
  const intMode = libsqlIntMode(config.adapterOptions);

  const adapter: Adapter<LibsqlConnection> = {
    name: 'libsql',
    writerLaneKey: target.filePath,
    synchronous: target.embedded,

    async connect(signal, credentials) {
      signal.throwIfAborted();
      const client = driver.createClient({
        url: target.driverUrl,
        // Fetched by the pool for this connection (a fixed token, or the authToken function's answer now).
        authToken: credentials?.authToken,
        concurrency: 1,
        intMode,
      });
      try {
        if (target.embedded && !target.inMemory) {
          for (const [name, value] of Object.entries(pragmas)) await client.execute(`PRAGMA ${name} = ${value}`);
        } else if (!target.embedded) {
          // Remote clients connect lazily; make the first round-trip here so connect failures
          // surface as connect failures (and are bounded by connectTimeoutMs).
          await client.execute('SELECT 1');
        }
        signal.throwIfAborted();
      } catch (err) {
        client.close();
        throw err;
      }
      return { client, tx: undefined, embedded: target.embedded };
    },

    async validate(conn) {
      if (conn.client.closed) throw new Error('libsql client is closed');
      await (conn.tx ?? conn.client).execute('SELECT 1');
    },

    query<R>(conn: LibsqlConnection, sql: string, params?: readonly unknown[], opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
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
  return adapter as Adapter<unknown>;
};

function ignore(): void {}

/**
 * One statement, on the connection's open transaction if it has one, else on the client. Callbacks
 * rather than an async function: one promise fewer on every statement.
 */
function execute<R>(conn: LibsqlConnection, statement: InStatement, asArrays: boolean): Promise<QueryResult<R>> {
  const tx = conn.tx;
  // Only a Transaction's execute() runs inside the call; the client's own awaits its pool first.
  const running = tx === undefined ? conn.client.execute(statement) : onDriver(conn, () => tx.execute(statement));
  return running.then(
    (result) => {
      settleEndedTransaction(conn);
      return normalise<R>(result, asArrays);
    },
    (err: unknown) => {
      settleEndedTransaction(conn);
      throw withStack(err);
    },
  );
}

/** Positional parameters (a non-empty array) or named ones (an object). */
function hasParams(params: unknown): boolean {
  if (Array.isArray(params)) return params.length > 0;
  return typeof params === 'object' && params !== null;
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

/**
 * How integers come back: adapterOptions.intMode ('number', 'bigint' or 'string', as @libsql/client
 * names them), or safeIntegers: true for 'bigint' (the better-sqlite3 adapter's option). 'number'
 * by default, where an integer beyond 2^53 fails its row with a RangeError.
 */
export function libsqlIntMode(options: Record<string, unknown>): 'number' | 'bigint' | 'string' {
  const { intMode, safeIntegers } = options;
  if (intMode === undefined) return safeIntegers === true ? 'bigint' : 'number';
  if (intMode === 'number' || intMode === 'bigint' || intMode === 'string') return intMode;
  throw new ConfigError('adapterOptions.intMode', `adapterOptions.intMode=${JSON.stringify(intMode)} is not one of 'number', 'bigint', 'string'.`);
}
