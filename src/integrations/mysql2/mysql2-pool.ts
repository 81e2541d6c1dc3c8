import { EventEmitter } from 'node:events';
import type { Connection as RawConnection } from 'mysql2';
import type { Connection } from '../../pool/connection';
import type { PooledConnection } from '../../pool/lease';
import type { Pool } from '../../pool/pool';
import { ConfigError } from '../../shared/errors';
import { callBackLater, parseQueryCall, settle, settleVoid, unsupported, type QueryCall } from './call';
import { LifeguardMysqlConnection, type ConnectionRunner } from './pool-connection';

type GetConnectionCallback = (err: Error | null, connection?: LifeguardMysqlConnection) => void;
type Mysql2Event = 'connection' | 'acquire' | 'release' | 'enqueue';

/**
 * A mysql2 Pool (callback and promise style in one object) over a lifeguard mysql pool, as
 * drizzle-orm/mysql2 and Kysely's MysqlDialect use it. Every query is a lifeguard operation on a
 * lifeguard connection; mysql2's own pool machinery is never used.
 */
export class LifeguardMysql2Pool extends EventEmitter {
  readonly #core: Pool;
  /** One PoolConnection object per driver connection, as with mysql2. */
  readonly #connections = new WeakMap<object, LifeguardMysqlConnection>();
  #ending: Promise<void> | undefined;

  constructor(core: Pool) {
    super();
    this.#core = core;
    core.observeConnections({ opened: (conn) => this.#opened(conn) });
  }

  /** The lifeguard pool underneath: stats(), health(), its events, metrics. */
  get lifeguard(): Pool {
    return this.#core;
  }

  /** mysql2/promise's Pool is this same object (drizzle-orm calls promise() on a callback pool). */
  promise(): this {
    return this;
  }

  getConnection(callback?: GetConnectionCallback): Promise<LifeguardMysqlConnection> | undefined {
    if (callback !== undefined && typeof callback !== 'function') {
      throw new ConfigError('getConnection', `getConnection(): the callback must be a function, got ${typeof callback}.`);
    }
    const checkout = this.#checkout();
    if (!callback) return checkout;
    callBackLater(checkout.then((conn): [LifeguardMysqlConnection] => [conn]), callback);
    return undefined;
  }

  query(...args: unknown[]): unknown {
    return this.#once('query', parseQueryCall('Pool.query', args));
  }

  execute(...args: unknown[]): unknown {
    return this.#once('execute', parseQueryCall('Pool.execute', args));
  }

  /** Closes the lifeguard pool (as mysql2's end() closes its pool; Kysely's destroy() calls it). */
  end(callback?: unknown): Promise<void> | undefined {
    this.#ending ??= this.#core.close();
    return settleVoid(this.#ending, callback);
  }

  releaseConnection(connection: LifeguardMysqlConnection): void {
    connection.release();
  }

  getConnectionAsync(): never {
    return unsupported('Pool.getConnectionAsync()', 'use getConnection()');
  }

  /** One statement on a connection of its own, given back however it ends. */
  #once(method: 'query' | 'execute', call: QueryCall): unknown {
    const running = this.#checkout().then(async (conn) => {
      try {
        return (await conn[method](call.options, ...(call.values === undefined ? [] : [call.values]))) as [unknown, unknown];
      } finally {
        // A connection the error broke was marked broken on the way and is destroyed on release.
        conn.release();
      }
    });
    return settle(running, call.callback, `Pool.${method}`);
  }

  async #checkout(): Promise<LifeguardMysqlConnection> {
    // mysql2 emits 'enqueue' when a caller has to wait for a connection.
    const sizes = this.#core.sizes();
    if (sizes.idle === 0 && sizes.total >= this.#core.config.max) this.#emit('enqueue');
    const lease = await this.#core.acquire();
    const conn = this.#connectionFor(lease.record);
    // Kysely and drizzle release through the connection. As with mysql2, 'release' says the
    // connection went back to the pool: not after destroy(), nor for one an error broke (the
    // pool closes it on release, as mysql2 drops a connection that failed).
    const end = (destroy: boolean) => {
      const returned = !destroy && lease.record.broken === undefined;
      if (destroy) void lease.destroy(new Error('PoolConnection.destroy() was called'));
      else lease.release();
      if (returned) this.#emit('release', conn);
    };
    conn.attach({ ...leaseRunner(lease), end });
    this.#emit('acquire', conn);
    return conn;
  }

  #connectionFor(conn: Pick<Connection, 'id' | 'raw'>): LifeguardMysqlConnection {
    const raw = conn.raw as RawConnection;
    let facade = this.#connections.get(raw);
    if (!facade) {
      facade = new LifeguardMysqlConnection(raw, conn.id);
      this.#connections.set(raw, facade);
    }
    return facade;
  }

  /** A new connection: 'connection' listeners may use it (their queries are lifeguard operations) before any caller gets it. */
  #opened(conn: Connection): void {
    const facade = this.#connectionFor(conn);
    facade.attach({
      run: (sql, fn, parameterized) => this.#core.runOperation(conn, sql, (raw) => fn(raw as RawConnection), { parameterized }),
      end: () => unsupported('release() inside a \'connection\' listener', 'the pool lends the connection after the listeners ran'),
    });
    try {
      this.#emit('connection', facade);
    } finally {
      facade.attach(undefined);
    }
  }

  /** Emitted after the pool's own bookkeeping: a listener that throws cannot corrupt the counts. */
  #emit(event: Mysql2Event, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.#core.emit('error', { pool: this.#core.name, error, context: `mysql2Pool '${event}' listener` });
    }
  }
}

function leaseRunner(lease: PooledConnection): Omit<ConnectionRunner, 'end'> {
  return { run: (sql, fn, parameterized) => lease.run(sql, (raw) => fn(raw as RawConnection), { parameterized }) };
}

const facades = new WeakMap<Pool, LifeguardMysql2Pool>();

/**
 * A mysql2-Pool-compatible facade over a lifeguard mysql pool, one per pool:
 * `drizzle({ client: mysql2Pool(pool) })`, `new MysqlDialect({ pool: mysql2Pool(pool) })`.
 */
export function mysql2Pool(pool: Pool): LifeguardMysql2Pool {
  if (pool === null || typeof pool !== 'object' || typeof (pool as { acquire?: unknown }).acquire !== 'function') {
    throw new ConfigError('pool', 'mysql2Pool() needs a lifeguard pool (createPool({ url: "mysql://..." })).');
  }
  if (pool.adapter.name !== 'mysql') {
    throw new ConfigError('pool', `mysql2Pool() needs a MySQL/MariaDB pool; pool "${pool.name}" uses the ${pool.adapter.name} adapter.`);
  }
  let facade = facades.get(pool);
  if (!facade) {
    facade = new LifeguardMysql2Pool(pool);
    facades.set(pool, facade);
  }
  return facade;
}
