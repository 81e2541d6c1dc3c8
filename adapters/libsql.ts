import * as path from 'node:path';
import type { Client, Config as LibsqlConfig, InStatement, InValue, ResultSet, Transaction } from '@libsql/client';
import type { Adapter, AdapterFactory, QueryResult, TransactionOptions } from './contract';
import { loadDriver } from './load-driver';

/**
 * libsql, the primary adapter: embedded files (`file:`, `:memory:`) and remote sqld/Turso
 * (`libsql://`, `http(s)://`, `ws(s)://`, with an auth token).
 *
 * One lifeguard connection is one libsql client with `concurrency: 1`, so it is exactly one
 * SQLite connection on an embedded file. A transaction uses `client.transaction()`: on a local
 * file `execute('BEGIN')` does not hold across calls (DRIVER-NOTES.md).
 */
export interface LibsqlConnection {
  readonly client: Client;
  /** The open transaction, if any; queries go through it while it is open. */
  tx: Transaction | undefined;
  /** Set when a BEGIN failed: the client is unusable for transactions from then on (see begin). */
  beginFailed?: unknown;
}

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
        intMode: 'number',
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
      return { client, tx: undefined };
    },

    async validate(conn) {
      if (conn.client.closed) throw new Error('libsql client is closed');
      await (conn.tx ?? conn.client).execute('SELECT 1');
    },

    async query<R>(conn: LibsqlConnection, sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const statement: InStatement = params && params.length > 0 ? { sql, args: params as InValue[] } : sql;
      const result = await (conn.tx ?? conn.client).execute(statement);
      return normalise<R>(result);
    },

    async begin(conn, opts: TransactionOptions) {
      if (conn.tx) throw new Error('libsql connection already has an open transaction');
      try {
        conn.tx = await conn.client.transaction(opts.readOnly ? 'read' : 'write');
      } catch (err) {
        // @libsql/client 0.18 on a file: after a BEGIN that failed (SQLITE_BUSY from a writer in
        // another process), every later COMMIT on that client fails with "SQLITE_BUSY: cannot
        // commit transaction - SQL statements in progress". The client is retired; a retry gets a
        // fresh one (test/faults/transactions-mysql-sqlite.test.ts).
        conn.beginFailed = err;
        throw err;
      }
    },

    async commit(conn) {
      const tx = conn.tx;
      conn.tx = undefined;
      if (!tx) throw new Error('commit without an open transaction');
      try {
        await tx.commit();
      } finally {
        tx.close();
      }
    },

    async rollback(conn) {
      const tx = conn.tx;
      conn.tx = undefined;
      if (!tx) return;
      try {
        await tx.rollback();
      } finally {
        tx.close();
      }
    },

    async close(conn) {
      try {
        conn.tx?.close();
      } catch {
        // already closed with its client
      }
      conn.tx = undefined;
      if (!conn.client.closed) conn.client.close();
    },

    isBroken(conn, err) {
      return conn.client.closed || conn.beginFailed !== undefined || isBrokenLibsqlError(err);
    },

    isRetryable: isRetryableLibsqlError,

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

function normalise<R>(result: ResultSet): QueryResult<R> {
  const isRead = result.columns.length > 0;
  const rows = result.rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < result.columns.length; i++) out[result.columns[i]] = row[i];
    return out as R;
  });
  const normalised: QueryResult<R> = {
    rows,
    rowCount: isRead ? rows.length : result.rowsAffected,
    columns: result.columns,
  };
  if (!isRead && result.lastInsertRowid !== undefined) normalised.lastInsertId = result.lastInsertRowid;
  return normalised;
}
