import type { Connection, ConnectionOptions, FieldPacket, ResultSetHeader } from 'mysql2';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Adapter, AdapterFactory, AdapterQueryOptions, ConnectCredentials, QueryResult, ServerInfo } from './contract';
import { loadDriver } from './load-driver';
import { killRunningStatement } from './mysql-cancel';
import { explainPlainTextRefusal, isBrokenMysqlError, isRetryableMysqlError, mysqlErrorCode, mysqlRefusedTls, mysqlRequiresTls } from './mysql-errors';
import { parseServerUrl } from './server-url';
import { connectByTlsPlan, readTlsFiles, tlsPlanFor } from './tls';
import { mysqlBeginSql } from './transaction-sql';
import { withDeadline } from '../src/shared/deadline';

/**
 * MySQL and MariaDB through `mysql2` (callback API, wrapped: one promise per call, no extra layer).
 * One lifeguard connection is one mysql2 Connection, and `lease.raw` is that connection.
 */
type MysqlModule = { createConnection(options: ConnectionOptions): Connection };
type MysqlSsl = NonNullable<ConnectionOptions['ssl']>;

interface ConnectionState {
  broken: unknown;
  /** From the server's status flags in each OK packet (SERVER_STATUS_IN_TRANS), and our own BEGIN/COMMIT. */
  inTransaction: boolean;
  mariadb: boolean;
  idleListener: ((err: unknown) => void) | undefined;
  /** What opened it (its TLS choice and secret included): KILL QUERY comes from a second connection opened the same way. */
  options: ConnectionOptions;
}

interface Handshake {
  serverVersion?: string;
}

const SERVER_STATUS_IN_TRANS = 1;
const CLOSE_WAIT_MS = 2000;

/**
 * Pure: mysql2 takes Node's TLS settings but checks the host name only through its own
 * `verifyIdentity` flag, not `checkServerIdentity`; verify-full is the plan without an override.
 */
export function mysqlSslOptions(tls: TlsOptions | false): MysqlSsl | undefined {
  if (tls === false) return undefined;
  const ssl: MysqlSsl = { rejectUnauthorized: tls.rejectUnauthorized !== false };
  if (tls.ca !== undefined) ssl.ca = tls.ca as string;
  if (tls.cert !== undefined) ssl.cert = tls.cert as string;
  if (tls.key !== undefined) ssl.key = tls.key as string;
  ssl.verifyIdentity = tls.rejectUnauthorized === true && tls.checkServerIdentity === undefined;
  return ssl;
}

export const createMysqlAdapter: AdapterFactory = (config) => {
  const driver = loadDriver<MysqlModule>('mysql2', config.scheme);
  const target = parseServerUrl(config.secretUrl.reveal(), 3306);
  const tlsPlan = tlsPlanFor(config.sslMode, target.host, readTlsFiles(config.adapterOptions, target.params));
  const driverOptions = (config.adapterOptions.driverOptions ?? {}) as Partial<ConnectionOptions>;
  const states = new WeakMap<Connection, ConnectionState>();

  const options = (tls: TlsOptions | false, credentials?: ConnectCredentials): ConnectionOptions => ({
    // Numbers beyond 2^53 come back as strings instead of silently losing digits.
    supportBigNumbers: true,
    ...driverOptions,
    host: target.host,
    port: target.port,
    user: target.user,
    // mysql2 takes only a string: the pool fetched this connection's password just before.
    password: credentials?.password ?? target.password,
    database: target.database,
    ssl: mysqlSslOptions(tls),
    connectTimeout: config.connectTimeoutMs > 0 ? config.connectTimeoutMs : undefined,
    // Where performance_schema is on, operators find the pool in session_connect_attrs.
    connectAttributes: { program_name: config.applicationName },
  });

  async function open(tls: TlsOptions | false, signal: AbortSignal, credentials?: ConnectCredentials): Promise<Connection> {
    signal.throwIfAborted();
    const opened = options(tls, credentials);
    const conn = driver.createConnection(opened);
    const state: ConnectionState = { broken: undefined, inTransaction: false, mariadb: false, idleListener: undefined, options: opened };
    states.set(conn, state);
    // Attached before anything can fail: an 'error' with no listener crashes the process.
    conn.on('error', (err: unknown) => {
      state.broken ??= err;
      state.idleListener?.(err);
    });
    conn.on('end', () => {
      state.broken ??= new Error('Connection lost: the MySQL connection ended.');
    });
    const onAbort = () => conn.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const handshake = await new Promise<Handshake | undefined>((resolve, reject) => {
        // mysql2 hands the server's handshake to the callback; its types omit that argument.
        const connect = conn.connect.bind(conn) as (cb: (err: unknown, handshake?: Handshake) => void) => void;
        connect((err, hello) => (err ? reject(err) : resolve(hello)));
      });
      state.mariadb = /mariadb/i.test(handshake?.serverVersion ?? '');
      if (config.statementTimeoutMs > 0) {
        // MariaDB counts max_statement_time in seconds; MySQL's max_execution_time (SELECT only) in ms.
        const set = state.mariadb
          ? `SET SESSION max_statement_time = ${config.statementTimeoutMs / 1000}`
          : `SET SESSION max_execution_time = ${Math.round(config.statementTimeoutMs)}`;
        await run(conn, set);
      }
      return conn;
    } catch (err) {
      conn.destroy();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  function run(conn: Connection, sql: string, params?: readonly unknown[], rowsAsArray = false): Promise<[unknown, FieldPacket[] | undefined]> {
    return new Promise((resolve, reject) => {
      const done = (err: unknown, result: unknown, fields: FieldPacket[] | undefined) => {
        if (err) return reject(err);
        const state = states.get(conn);
        const header = okPacket(result);
        if (state && header && typeof header.serverStatus === 'number') {
          state.inTransaction = (header.serverStatus & SERVER_STATUS_IN_TRANS) !== 0;
        }
        resolve([result, fields]);
      };
      const values = params && params.length > 0 ? (params as unknown[]) : undefined;
      if (rowsAsArray) conn.query({ sql, values, rowsAsArray: true }, done);
      else if (values) conn.query(sql, values, done);
      else conn.query(sql, done);
    });
  }

  const adapter: Adapter<Connection> = {
    name: 'mysql',

    connect: connectByTlsPlan(tlsPlan, {
      open,
      refusedTls: mysqlRefusedTls,
      requiresTls: mysqlRequiresTls,
      explainPlainFailure: explainPlainTextRefusal,
    }),

    async validate(conn) {
      const state = states.get(conn);
      if (state?.broken !== undefined) throw state.broken;
      await new Promise<void>((resolve, reject) => conn.ping((err) => (err ? reject(err) : resolve())));
    },

    async query<R>(conn: Connection, sql: string, params?: readonly unknown[], opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
      const [result, fields] = await run(conn, sql, params, opts?.rowMode === 'array');
      return normalise<R>(result, fields);
    },

    async begin(conn, opts) {
      for (const statement of mysqlBeginSql(opts)) await run(conn, statement);
    },

    async commit(conn) {
      await run(conn, 'COMMIT');
    },

    async rollback(conn) {
      await run(conn, 'ROLLBACK');
    },

    cancel: (conn) => killRunningStatement((opts) => driver.createConnection(opts), conn, states.get(conn)?.options),

    close: (conn) => endConnection(conn),

    isBroken(conn, err) {
      return states.get(conn)?.broken !== undefined || isBrokenMysqlError(err);
    },

    isRetryable: isRetryableMysqlError,
    errorCode: mysqlErrorCode,

    brokenBy(conn) {
      const state = states.get(conn);
      if (state?.broken !== undefined) return state.broken;
      const internals = conn as unknown as { _closing?: boolean; _fatalError?: unknown; stream?: { destroyed?: boolean }; addCommand?: unknown; _addCommandClosedState?: unknown };
      if (internals._fatalError) return internals._fatalError;
      // end() swaps addCommand for its closed state at once; _closing waits for the server's answer.
      const ended = internals.addCommand !== undefined && internals.addCommand === internals._addCommandClosedState;
      if (internals._closing || internals.stream?.destroyed || ended) return new Error('Connection lost: the MySQL connection was closed.');
      return undefined;
    },

    onIdleError(conn, listener) {
      const state = states.get(conn);
      if (state) state.idleListener = listener;
    },

    inTransaction(conn) {
      return states.get(conn)?.inTransaction === true;
    },

    async serverInfo(conn): Promise<ServerInfo> {
      const [rows] = await run(conn, "SELECT VERSION() AS version, @@max_connections AS max_connections");
      const [status] = await run(conn, "SHOW GLOBAL STATUS LIKE 'Threads_connected'");
      const row = (rows as Array<{ version: string; max_connections: number }>)[0];
      const threads = (status as Array<{ Value: string }>)[0];
      return { version: row.version, maxConnections: Number(row.max_connections), openConnections: Number(threads?.Value) };
    },
  };
  return adapter as Adapter<unknown>;
};

function okPacket(result: unknown): ResultSetHeader | undefined {
  if (Array.isArray(result)) return undefined;
  return typeof result === 'object' && result !== null && 'affectedRows' in result ? (result as ResultSetHeader) : undefined;
}

function normalise<R>(result: unknown, fields: FieldPacket[] | undefined): QueryResult<R> {
  const header = okPacket(result);
  if (header) {
    const normalised: QueryResult<R> = { rows: [], rowCount: header.affectedRows, columns: [] };
    if (header.insertId) normalised.lastInsertId = header.insertId;
    return normalised;
  }
  let rows = result as unknown[];
  let columns = fields;
  // A CALL returns its result sets followed by an OK packet: the first result set is the answer.
  if (Array.isArray(rows[0]) && Array.isArray(fields?.[0])) {
    rows = rows[0] as unknown[];
    columns = fields?.[0] as unknown as FieldPacket[];
  }
  return { rows: rows as R[], rowCount: rows.length, columns: (columns ?? []).map((field) => field.name), fields: columns ?? [] };
}


/** end() sends COM_QUIT and waits for the server; a dead or silent server gets destroy(). */
async function endConnection(conn: Connection): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    try {
      conn.end(() => resolve());
    } catch {
      conn.destroy();
      resolve();
    }
  });
  await withDeadline(ended, CLOSE_WAIT_MS, () => conn.destroy());
}
