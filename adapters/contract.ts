/**
 * adapters/ — one module per driver (libsql, postgres, mysql, sqlite, with their error tables,
 * URL parsing and TLS), the scheme → adapter table (scheme-registry.ts) and this contract. An
 * adapter imports only src/shared/ and the config types; the pool imports adapters, never the reverse.
 *
 * The adapter contract: what lifeguard needs from one database driver, and nothing about pooling.
 * Shape borrowed from deadpool's Manager and Kysely's Driver: the pool owns every policy
 * (timeouts, recycling, validation, closing); an adapter owns only its connections.
 */
import type { ResolvedConfig } from '../src/config/types';

/** A normalised result, the same for every driver. */
export interface QueryResult<R = Record<string, unknown>> {
  rows: R[];
  /** Rows returned for a read, rows affected for a write. */
  rowCount: number;
  /** The id of the last inserted row, where the driver reports one (MySQL, SQLite, libsql). */
  lastInsertId?: number | bigint | string;
  /** Column names in result order, where the driver reports them; same-named columns (a join's two `id`s) each keep their place. */
  columns?: string[];
  /** SQLite and libsql: each column's declared type ('' for an expression), as libsql's ResultSet reports it. */
  columnTypes?: string[];
  /** PostgreSQL and MySQL: the driver's own description of each column, in result order (pg's FieldDef with its dataTypeID, mysql2's FieldPacket). */
  fields?: readonly QueryField[];
  /** PostgreSQL: the statement's command tag ('SELECT', 'INSERT', 'UPDATE', 'COMMIT', ...). */
  command?: string;
}

/** One column of a result as the driver describes it: at least its name. */
export interface QueryField {
  readonly name: string;
  /** PostgreSQL: the column's type OID (what Prisma reads to decode values). */
  readonly dataTypeID?: number;
}

/**
 * How the caller wants a query's rows (the same shape issue 13's lifeguard/pg builds on).
 * SQLite and libsql also take named parameters: `params` may be an object ({ name: value }, the
 * name with or without its `:`/`@`/`$`), passed to the driver as it is.
 */
export interface AdapterQueryOptions {
  /** 'array': each row is an array of values in column order, so same-named columns are all kept. */
  rowMode?: 'array';
  /**
   * Set by pool.query (never on a lease) for a parameterized statement: it runs in autocommit and
   * its text will likely come again, so the adapter may keep it prepared on the connection
   * (PostgreSQL's named statements). An adapter that does must run it unprepared, once, when the
   * server says it lost or outgrew the prepared form before running it.
   */
  prepare?: boolean;
}

export interface TransactionOptions {
  isolationLevel?: 'read uncommitted' | 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
  /** Retries on serialization failures and deadlocks (never after COMMIT was sent). Default 0. */
  retries?: number;
}

export interface ServerInfo {
  version: string;
  maxConnections?: number;
  openConnections?: number;
}

/** Secrets the pool fetched for one new connection; absent ones were not configured (use the URL's). */
export interface ConnectCredentials {
  password?: string;
  authToken?: string;
}

export interface Adapter<Raw = unknown> {
  /** 'postgres' | 'mysql' | 'sqlite' | 'libsql' | a third party's name. */
  readonly name: string;
  /**
   * Embedded databases with one writer at a time return a key (the absolute file path) so the pool
   * can run writes on that file through one lane. Servers return undefined.
   */
  readonly writerLaneKey?: string;
  /** True when a query cannot be interrupted by a timer (the driver runs synchronously). */
  readonly synchronous?: boolean;
  /**
   * Open one connection. The signal aborts when connectTimeoutMs passes or the pool closes.
   * `credentials` are this connection's secrets, fetched by the pool just before (from the
   * `password` and `authToken` options, fixed or functions): each replaces the URL's own.
   */
  connect(signal: AbortSignal, credentials?: ConnectCredentials): Promise<Raw>;
  /** Cheap liveness check; throws when the connection is dead. */
  validate(raw: Raw): Promise<void>;
  query<R = Record<string, unknown>>(raw: Raw, sql: string, params?: readonly unknown[], opts?: AdapterQueryOptions): Promise<QueryResult<R>>;
  begin(raw: Raw, opts: TransactionOptions): Promise<void>;
  commit(raw: Raw): Promise<void>;
  rollback(raw: Raw): Promise<void>;
  /**
   * Asks the server to stop the statement running on this connection, from outside it (PostgreSQL's
   * cancel request on a new socket, MySQL's KILL QUERY from a second connection). The pool calls it
   * when a statement's deadline passes and when close() gives up on a connection still running one,
   * never for a pipelined statement: those share the connection with other callers' statements, and
   * the server's own statement_timeout stops each alone. The connection is destroyed either way; the
   * cancel is what frees the server's worker and the statement's locks, which a closed socket alone
   * does not. Resolves once the request was delivered or given up on; never rejects.
   */
  cancel?(raw: Raw): Promise<void>;
  /**
   * Where the adapter keeps statements prepared (AdapterQueryOptions.prepare): the pool's listener
   * for the moment it stops doing so for good (the server keeps losing them), with why, to log it.
   */
  onPreparingStopped?(listener: (reason: string) => void): void;
  /** Close one connection; must not throw for a connection that is already dead. */
  close(raw: Raw): Promise<void>;
  /** True: this error means the connection must be destroyed, never handed out again. */
  isBroken(raw: Raw, err: unknown): boolean;
  /** True: the error is a serialization failure or deadlock, and the transaction may be retried. */
  isRetryable?(err: unknown): boolean;
  /**
   * The database's own code for an error its server (or engine) reported: the SQLSTATE on
   * PostgreSQL, the error number on MySQL/MariaDB, the result code on SQLite. Undefined for a
   * failure the client saw itself (a socket, a timeout). Spans carry it as db.response.status_code.
   */
  errorCode?(err: unknown): string | undefined;
  /**
   * The error that already broke this connection as far as the driver knows, without a round
   * trip (its socket closed, its session was killed, its holder ended it); undefined while it
   * looks usable. The pool asks before every loan and never lends a connection that has one.
   */
  brokenBy?(raw: Raw): unknown;
  /** Subscribe to errors a connection raises while nobody is using it; returns an unsubscribe. */
  onIdleError?(raw: Raw, listener: (err: unknown) => void): void;
  /** True while the connection is inside a transaction the caller left open. */
  inTransaction?(raw: Raw): boolean;
  /**
   * Several autocommit statements in flight on one connection (PostgreSQL's pipeline mode), used
   * by pool.query when pipelineDepth > 0. Absent: every statement has a connection to itself.
   */
  readonly pipelining?: PipelineSupport<Raw>;
  /**
   * The server's version and connection limits. The pool calls it once, on its first connection,
   * without waiting for it before lending that connection: the driver must queue commands on one
   * connection (pg and mysql2 do).
   */
  serverInfo?(raw: Raw): Promise<ServerInfo>;
  /**
   * On a read replica: how far it is behind its primary, in ms (0 when it has replayed all it
   * received). Undefined when the server is not a replica or cannot tell.
   */
  replicationLagMs?(raw: Raw): Promise<number | undefined>;
}

/** What an adapter offers so that the pool can send several statements on one connection without waiting. */
export interface PipelineSupport<Raw = unknown> {
  /**
   * Puts the connection into (true) or out of (false) pipeline mode. The pool calls it with none
   * of its own statements in flight, and lends a connection to a lease only out of pipeline mode.
   */
  setPipelined(raw: Raw, on: boolean): void;
  /** Drops the connection's socket at once: every statement in flight on it fails. */
  abort(raw: Raw, reason: Error): void;
  /**
   * True when err is the server ending the session (a FATAL error). The server answers a
   * pipeline in order, so the statements sent behind the one that got it never started.
   */
  endsSession(err: unknown): boolean;
  /**
   * Called before each pipelined statement is sent: lets the adapter gather the statements sent in
   * the same turn of the event loop into one socket write (optional).
   */
  coalesceWrites?(raw: Raw): void;
}

/** Builds an adapter for one resolved configuration. Loading the driver happens here, lazily. */
export type AdapterFactory = (config: ResolvedConfig) => Adapter<unknown>;
