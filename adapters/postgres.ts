import type { Client, ClientConfig, QueryConfig, QueryResult as PgResult, Submittable } from 'pg';
import type { ConnectionOptions } from 'node:tls';
import type { Adapter, AdapterFactory, AdapterQueryOptions, ConnectCredentials, QueryResult, ServerInfo } from './contract';
import { loadDriver } from './load-driver';
import { PreparedStatements } from './postgres-prepared';
import { sendCancelRequest, type PgWireConnectionClass } from './postgres-cancel';
import { isBrokenPostgresError, isRetryablePostgresError, postgresErrorCode, serverRefusedTls, serverRequiresTls } from './postgres-errors';
import { parseServerUrl } from './server-url';
import { connectByTlsPlan, readTlsFiles, tlsPlanFor } from './tls';
import { postgresBeginSql } from './transaction-sql';
import { withDeadline } from '../src/shared/deadline';
import { TransactionRolledBackError } from '../src/shared/errors';

/**
 * PostgreSQL through `pg`. One lifeguard connection is one `pg.Client`, and `lease.raw` is that
 * client, so COPY, LISTEN and the rest of pg stay reachable.
 */
type PgModule = { Client: PgClientClass; Connection?: PgWireConnectionClass };
type PgClientClass = (new (config: ClientConfig) => Client) & { Query?: PgQueryClass };

/** pg's own Query class (pg.Client.Query): a query object handed to client.query() is run as it is. */
type PgQueryClass = new (text: string, values: unknown[] | undefined, callback: (err: Error | null, result: PgResult) => void) => { name?: string };

/** What the adapter knows about each client beyond what pg exposes. */
interface ClientState {
  /** The first error pg emitted on the client: the socket or the session is gone. */
  broken: unknown;
  ended: boolean;
  idleListener: ((err: unknown) => void) | undefined;
  /** The socket is corked until the end of this turn of the event loop (coalesceWrites). */
  corked: boolean;
}

const CLOSE_WAIT_MS = 2000;

export const createPostgresAdapter: AdapterFactory = (config) => {
  // Loaded when the pool is created, so a missing driver fails createPool() naming the package.
  const driver = loadDriver<PgModule>('pg', config.scheme);
  const target = parseServerUrl(config.secretUrl.reveal(), 5432);
  const tlsPlan = tlsPlanFor(config.sslMode, target.host, readTlsFiles(config.adapterOptions, target.params));
  const driverOptions = (config.adapterOptions.driverOptions ?? {}) as Partial<ClientConfig>;
  // pg.Pool's `Client` option (lifeguard/pg passes it here): a pg.Client subclass, or pg.native.Client.
  const Client = (config.adapterOptions.Client ?? driver.Client) as PgClientClass;
  // pg copies a query config object before it reads it (utils.cloneQueryConfig, through
  // getOwnPropertyDescriptors and defineProperties: 3.2 µs of client CPU per named statement in a
  // --cpu-prof at 64 callers, a tenth of the query), but runs a pg.Query as it is. Only pg's
  // JavaScript Query, for a client that runs it (pg.Client or a subclass; pg.native.Client has
  // its own Query class, and gets the config object).
  const JsQuery = Client.Query !== undefined && Client.Query === driver.Client.Query ? Client.Query : undefined;
  /** A named statement as a pg.Query when pg runs one as it is; undefined: pass pg a config object. */
  const namedQuery = (name: string, text: string, values: unknown[], callback: (err: Error | null, result: PgResult) => void): Submittable | undefined => {
    if (JsQuery === undefined) return undefined;
    const query = new JsQuery(text, values, callback);
    query.name = name;
    return query as unknown as Submittable;
  };
  const states = new WeakMap<Client, ClientState>();
  const prepared = new PreparedStatements();

  // The password is resolved by the pool for each connection (credentials), not through pg's own
  // function-valued password: pg calls that only when the server asks (never under trust auth),
  // once per TLS fallback attempt, and reports its failure as a generic connection error.
  const clientConfig = (ssl: ConnectionOptions | false, credentials?: ConnectCredentials): ClientConfig => ({
    ...driverOptions,
    host: target.host,
    port: target.port,
    user: target.user,
    password: credentials?.password ?? target.password,
    database: target.database,
    ssl,
    application_name: config.applicationName,
    statement_timeout: config.statementTimeoutMs > 0 ? config.statementTimeoutMs : undefined,
    connectionTimeoutMillis: config.connectTimeoutMs > 0 ? config.connectTimeoutMs : undefined,
    keepAlive: driverOptions.keepAlive ?? true,
  });

  async function open(ssl: ConnectionOptions | false, signal: AbortSignal, credentials?: ConnectCredentials): Promise<Client> {
    signal.throwIfAborted();
    const client = new Client(clientConfig(ssl, credentials));
    const state: ClientState = { broken: undefined, ended: false, idleListener: undefined, corked: false };
    states.set(client, state);
    // From the moment the client exists: an unhandled 'error' (a killed backend) crashes the process.
    client.on('error', (err: unknown) => {
      state.broken ??= err;
      state.idleListener?.(err);
    });
    client.on('end', () => {
      state.ended = true;
    });
    const onAbort = () => destroySocket(client, signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
      return client;
    } catch (err) {
      destroySocket(client);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  const adapter: Adapter<Client> = {
    name: 'postgres',

    connect: connectByTlsPlan(tlsPlan, { open, refusedTls: serverRefusedTls, requiresTls: serverRequiresTls }),

    async validate(client) {
      const state = states.get(client);
      if (state?.broken !== undefined) throw state.broken;
      if (state?.ended) throw new Error('Connection terminated: the PostgreSQL client has ended.');
      await client.query('SELECT 1');
    },

    query<R>(client: Client, sql: string, params?: readonly unknown[], opts?: AdapterQueryOptions): Promise<QueryResult<R>> {
      // pg's callback form: its promise form adds a promise, a .catch and a closure per query on
      // top of this one (measured: ~0.6 µs of client CPU per query, docs/performance.md).
      return new Promise<QueryResult<R>>((resolve, reject) => {
        const settle = (err: Error | null, result: PgResult | PgResult[]) => (err ? reject(err) : resolve(normalise<R>(result)));
        const values = params && params.length > 0 ? (params as unknown[]) : undefined;
        const rowMode = opts?.rowMode;
        const name = values !== undefined && opts?.prepare === true ? prepared.nameFor(client, sql) : undefined;
        if (name !== undefined) {
          const onNamed = (err: Error | null, result: PgResult) => {
            const recovery = err === null ? undefined : prepared.recover(client, name, sql, err);
            if (recovery === undefined) {
              settle(err, result);
              return;
            }
            client.query({ text: sql, values, rowMode } as QueryConfig, (unnamedErr: Error | null, unnamedResult: PgResult) => {
              // A probe that binds unnamed: the named statement's parameter types are stale on this connection.
              if (recovery === 'probe' && unnamedErr === null) prepared.keepUnnamed(client, name, sql);
              settle(unnamedErr, unnamedResult);
            });
          };
          const query = rowMode === undefined ? namedQuery(name, sql, values as unknown[], onNamed) : undefined;
          if (query !== undefined) client.query(query);
          else client.query({ name, text: sql, values, rowMode } as QueryConfig, onNamed);
        } else if (rowMode === 'array') client.query({ text: sql, values, rowMode }, settle as (err: Error, result: PgResult) => void);
        else if (values) client.query(sql, values, settle as (err: Error, result: PgResult) => void);
        else client.query(sql, settle as (err: Error, result: PgResult) => void);
      });
    },

    onPreparingStopped: (listener) => prepared.onStopped(listener),

    async begin(client, opts) {
      await client.query(postgresBeginSql(opts));
    },

    async commit(client) {
      const result = await client.query('COMMIT');
      // A transaction that had failed answers COMMIT with ROLLBACK, and no error: say so.
      if (result.command === 'ROLLBACK') {
        throw new TransactionRolledBackError('a statement inside it had failed (SQLSTATE 25P02, the transaction was aborted).');
      }
    },

    async rollback(client) {
      await client.query('ROLLBACK');
    },

    // A driverOptions.stream (a cloud connector's socket) is not a host this process can reach itself.
    cancel: (client) => (driverOptions.stream === undefined ? sendCancelRequest(driver.Connection, client) : Promise.resolve()),

    close: (client) => endClient(client),

    isBroken(client, err) {
      const state = states.get(client);
      return state?.broken !== undefined || state?.ended === true || isBrokenPostgresError(err);
    },

    isRetryable: isRetryablePostgresError,
    errorCode: postgresErrorCode,

    brokenBy(client) {
      const state = states.get(client);
      if (state?.broken !== undefined) return state.broken;
      const internals = client as unknown as { _ending?: boolean; _queryable?: boolean };
      if (state?.ended || internals._ending || internals._queryable === false) return new Error('Connection terminated: the PostgreSQL client has ended.');
      return undefined;
    },

    // pg 8.23's pipeline mode: each query is written at once, with a Sync after it, and answers
    // are matched in order. Toggled only between loans with nothing in flight, when pg's queues
    // are empty, so a lease gets a plain client (cursors, row limits and Submittables work there;
    // pg refuses them in pipeline mode).
    pipelining: {
      setPipelined(client, on) {
        (client as { pipeline: boolean }).pipeline = on;
      },
      abort: (client, reason) => destroySocket(client, reason),
      endsSession: (err) => (err as { severity?: unknown } | undefined)?.severity === 'FATAL',
      // pg writes each query to the socket on its own, one write(2) per statement; the callers a
      // batch of answers wakes send theirs in the same turn, so the socket is corked until the
      // turn ends and they leave in one write (measured: docs/performance.md).
      coalesceWrites(client) {
        const state = states.get(client);
        const stream = (client as unknown as ClientInternals).connection?.stream;
        if (state === undefined || state.corked || stream?.cork === undefined) return;
        state.corked = true;
        stream.cork();
        process.nextTick(() => {
          state.corked = false;
          stream.uncork?.();
        });
      },
    },

    onIdleError(client, listener) {
      const state = states.get(client);
      if (state) state.idleListener = listener;
    },

    inTransaction(client) {
      // pg keeps the status byte of the server's last ReadyForQuery: I idle, T in a transaction,
      // E in a failed transaction. Both T and E need a ROLLBACK before the client is reused.
      const status = client.getTransactionStatus();
      return status === 'T' || status === 'E';
    },

    async serverInfo(client): Promise<ServerInfo> {
      const result = await client.query<{ version: string; max_connections: number; open_connections: number }>(
        `SELECT current_setting('server_version') AS version,
                current_setting('max_connections')::int AS max_connections,
                (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS open_connections`,
      );
      const row = result.rows[0];
      return { version: row.version, maxConnections: row.max_connections, openConnections: row.open_connections };
    },

    async replicationLagMs(client) {
      // Caught up when everything received has been replayed: an idle primary sends nothing, and
      // now() - last replay time would otherwise grow while the replica is perfectly current.
      const result = await client.query<{ lag_ms: number | null }>(
        `SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
                     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)
                END::float8 AS lag_ms`,
      );
      const lag = result.rows[0]?.lag_ms;
      return lag === null || lag === undefined ? undefined : Number(lag);
    },
  };
  return adapter as Adapter<unknown>;
};

function normalise<R>(result: PgResult | PgResult[]): QueryResult<R> {
  // A multi-statement text query returns one result per statement; the last one is the answer.
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  const rows = (last?.rows ?? []) as R[];
  const fields = last?.fields ?? [];
  const columns = new Array<string>(fields.length);
  for (let i = 0; i < fields.length; i++) columns[i] = fields[i].name;
  return { rows, rowCount: last?.rowCount ?? rows.length, columns, fields, command: last?.command ?? undefined };
}

interface ClientInternals {
  connection?: { stream?: { destroy(err?: Error): void; on?(event: 'error', listener: () => void): unknown; cork?(): void; uncork?(): void } };
}

/**
 * Drops the socket at once: pg's connect() has no abort, and end() waits for the server. A socket
 * destroyed with a reason emits it as 'error'; before pg's connect() has attached its listener (a
 * Client subclass that opens its socket late, a deadline that fires first) nobody would hear it,
 * and an unheard 'error' ends the process. The reason reaches the caller through the rejection.
 */
function destroySocket(client: Client, reason?: unknown): void {
  const stream = (client as unknown as ClientInternals).connection?.stream;
  if (stream === undefined) return;
  if (reason instanceof Error) stream.on?.('error', ignoreSocketError);
  stream.destroy(reason instanceof Error ? reason : undefined);
}

function ignoreSocketError(): void {
  // The client is being thrown away; what broke it is already on its way to the caller.
}

/** end() politely, but never wait on a server that does not answer. */
async function endClient(client: Client): Promise<void> {
  await withDeadline(client.end().catch(() => undefined), CLOSE_WAIT_MS, () => destroySocket(client));
}
