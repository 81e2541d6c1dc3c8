import type {
  Client,
  PoolClient,
  PoolConfig,
  QueryArrayConfig,
  QueryArrayResult,
  QueryConfig,
  QueryConfigValues,
  QueryResult,
  QueryResultRow,
  Submittable as PgSubmittable,
} from 'pg';
import type { PoolOptions } from '../../config/types';
import type { Connection } from '../../pool/connection';
import type { PooledConnection } from '../../pool/lease';
import type { Pool } from '../../pool/pool';
import { createPool } from '../../process/open-pools';
import { ConfigError } from '../../shared/errors';
import { settleCallback } from './callback';
import { LifeguardPgClient, type ClientRunner } from './client';
import { loadProjectPg } from './driver';
import { translatePgOptions, type PgClientClass, type PgPoolHooks } from './options';
import { forwardPoolLog } from './pool-log';
import { pgPoolOptionsOf } from './pool-options-view';
import { failSubmittable, isSubmittable } from './submittable';

const pg = loadProjectPg();

/** pg.Pool's options and lifeguard's (docs/integrations.md says what each becomes). */
export interface PgPoolOptions
  extends Omit<PoolConfig, 'Client' | 'onConnect' | 'verify' | 'log' | 'Promise' | 'max' | 'min' | 'maxUses' | 'ssl' | 'password'>,
    Omit<PoolOptions, 'max' | 'min' | 'maxUses' | 'logger'> {
  max?: number;
  min?: number;
  maxUses?: number;
  ssl?: PoolConfig['ssl'];
  /** The pg.Client class connections are opened with. */
  Client?: PgClientClass;
  /** Runs once on each new client, before any caller gets it; a rejection closes it. */
  onConnect?: PgPoolHooks<PoolClient>['onConnect'];
  /** pg-pool's check of each new client: `done(err)` refuses it. */
  verify?: PgPoolHooks<PoolClient>['verify'];
  /** pg-pool's log function: every log line of the pool goes to it. */
  log?: (message: string, ...details: unknown[]) => void;
  /** lifeguard's logger (not with `log`). */
  logger?: PoolOptions['logger'];
}

/** pgPool(pool) hands its pool over this way; not part of the options a user writes. */
const BOUND = Symbol('lifeguard.pg.boundPool');

type PgEvent = 'connect' | 'acquire' | 'release' | 'remove';

/**
 * A pg.Pool that is a lifeguard pool. It is `instanceof pg.Pool` of the application's own pg,
 * so Prisma (@prisma/adapter-pg), Drizzle node-postgres, Kysely's PostgresDialect and anything
 * else written for pg.Pool take it, and it behaves as pg's documentation says; but the pool
 * underneath is lifeguard's (its `lifeguard` property): sizing from the environment, the
 * acquire deadline, validation, lifetimes with jitter, backoff, the drain on SIGTERM, health and
 * metrics, and every query a lifeguard operation. pg.Pool's own machinery is never used.
 */
export class PgPool extends pg.Pool {
  readonly #core: Pool;
  readonly #hooks: PgPoolHooks<PoolClient>;
  readonly #allowExitOnIdle: boolean;
  /** One client object per connection, as with pg: what a 'connect' listener sets on it stays. */
  readonly #clients = new WeakMap<object, LifeguardPgClient>();
  /** Idle clients whose error was emitted already: pg reports a dead idle client once. */
  readonly #reported = new WeakSet<LifeguardPgClient>();
  #ending = false;
  #ended = false;

  constructor(options: PgPoolOptions = {}) {
    const bound = (options as { [BOUND]?: Pool })[BOUND];
    const translated = bound ? undefined : translatePgOptions<PoolClient>(options as Record<string, unknown>);
    const core = bound ?? createPool(translated?.pool);
    super(pgPoolOptionsOf(core.config, translated?.allowExitOnIdle ?? false));
    this.#core = core;
    this.#hooks = translated?.hooks ?? {};
    this.#allowExitOnIdle = translated?.allowExitOnIdle ?? false;
    // pg-pool's constructor sets these as plain fields; here they read the lifeguard pool.
    Object.defineProperties(this, {
      ending: { get: () => this.#ending || core.isClosed, enumerable: true, configurable: true },
      ended: { get: () => this.#ended, enumerable: true, configurable: true },
    });
    // Before any connection can open: createPool() only starts opening `min` connections.
    core.observeConnections({
      opened: (conn) => this.#opened(conn),
      closed: (conn) => this.#emit('remove', this.#clientFor(conn)),
      failed: (conn, err) => this.#failed(conn, err),
    });
    if (translated?.log) forwardPoolLog(core, translated.log);
  }

  /** The lifeguard pool underneath: stats(), health(), its events, registerPoolMetrics(pgPool.lifeguard). */
  get lifeguard(): Pool {
    return this.#core;
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<PoolClient> | void {
    const checkout = this.#checkout() as unknown as Promise<PoolClient>;
    if (!callback) return checkout;
    // pg's rule: never called back synchronously, and outside the promise chain.
    checkout.then(
      (client) => process.nextTick(callback, undefined, client, client.release),
      (err: Error) => process.nextTick(callback, err, undefined, () => undefined),
    );
  }

  override query<T extends PgSubmittable>(queryStream: T): T;
  override query<R extends unknown[] = unknown[], I = unknown[]>(queryConfig: QueryArrayConfig<I>, values?: QueryConfigValues<I>): Promise<QueryArrayResult<R>>;
  override query<R extends QueryResultRow = QueryResultRow, I = unknown[]>(queryConfig: QueryConfig<I>): Promise<QueryResult<R>>;
  override query<R extends QueryResultRow = QueryResultRow, I = unknown[]>(queryTextOrConfig: string | QueryConfig<I>, values?: QueryConfigValues<I>): Promise<QueryResult<R>>;
  override query<R extends unknown[] = unknown[], I = unknown[]>(queryConfig: QueryArrayConfig<I>, callback: (err: Error, result: QueryArrayResult<R>) => void): void;
  override query<R extends QueryResultRow = QueryResultRow, I = unknown[]>(queryTextOrConfig: string | QueryConfig<I>, callback: (err: Error, result: QueryResult<R>) => void): void;
  override query<R extends QueryResultRow = QueryResultRow, I = unknown[]>(queryText: string, values: QueryConfigValues<I>, callback: (err: Error, result: QueryResult<R>) => void): void;
  override query(config: unknown, values?: unknown, callback?: unknown): unknown {
    if (typeof config === 'function') {
      process.nextTick(config as (err: Error) => void, new Error('Passing a function as the first parameter to pool.query is not supported'));
      return undefined;
    }
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    if (isSubmittable(config)) {
      // pg.Pool never releases the client of a Submittable (node-postgres#2013); here the
      // connection is held until the cursor or stream is done, then given back.
      this.#checkout().then(
        (client) => {
          client.query(config, values);
          void client.submitted(config).then(() => client.release());
        },
        (err: Error) => failSubmittable(config, err),
      );
      return config;
    }
    const running = this.#checkout().then(async (client) => {
      try {
        return await (client.query(config, values) as Promise<unknown>);
      } finally {
        // Without the error: an SQL error leaves the connection usable; one that broke it was
        // marked broken on the way (pg.Pool's query destroys the client on any error).
        client.release();
      }
    });
    if (typeof callback !== 'function') return running;
    settleCallback(running, callback as (err: Error | undefined, result?: unknown) => void);
    return undefined;
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: (err?: Error) => void): Promise<void> | void {
    let ending: Promise<void>;
    if (this.#ending) ending = Promise.reject(new Error('Called end on pool more than once'));
    else {
      this.#ending = true;
      ending = this.#core.close().then(() => {
        this.#ended = true;
      });
    }
    if (!callback) return ending;
    settleCallback(ending, callback);
  }

  async #checkout(): Promise<LifeguardPgClient> {
    const lease = await this.#core.acquire();
    const client = this.#clientFor(lease.record);
    client.attach(leaseRunner(this.#core, lease));
    if (this.#allowExitOnIdle) client.ref();
    let released = false;
    client.release = (err?: Error | boolean) => {
      if (released) throw new Error('Release called on client which has already been released to the pool.');
      released = true;
      client.attach(undefined);
      if (this.#allowExitOnIdle) client.unref();
      // Any truthy err destroys the connection, as with pg.
      lease.release(err);
      this.#emit('release', err, client);
    };
    this.#emit('acquire', client);
    return client;
  }

  #clientFor(conn: Pick<Connection, 'id' | 'raw'>): LifeguardPgClient {
    const raw = conn.raw as Client;
    let client = this.#clients.get(raw);
    if (!client) {
      client = new LifeguardPgClient(raw, conn.id);
      this.#clients.set(raw, client);
    }
    return client;
  }

  /** A new connection: onConnect and verify may use it (their queries are lifeguard operations), then 'connect'. */
  async #opened(conn: Connection): Promise<void> {
    const client = this.#clientFor(conn);
    if (this.#allowExitOnIdle) client.unref();
    const setup = trackedRunner(setupRunner(this.#core, conn));
    client.attach(setup.runner);
    try {
      await this.#hooks.onConnect?.(client as unknown as PoolClient);
      const verify = this.#hooks.verify;
      if (verify) await new Promise<void>((resolve, reject) => verify(client as unknown as PoolClient, (err) => (err ? reject(err) : resolve())));
      // Emitted while the client is still in setup: what a listener sends runs before the first caller's queries.
      this.#emit('connect', client);
      // A 'connect' listener cannot await (pg's own example sends a SET and returns); pg ran the
      // caller's query after it in the client's queue. The connection is lent only once what the
      // setup sent is done, so nothing (lifeguard's check on acquire included) calls query() on a
      // client that is still executing one, the use pg deprecates.
      await setup.settled();
    } finally {
      client.attach(undefined);
    }
  }

  /** pg's rule: an idle client's error goes to the pool's 'error', a lent client's to the client's own. Never thrown. */
  #failed(conn: Connection, err: unknown): void {
    const client = this.#clientFor(conn);
    const error = err instanceof Error ? err : new Error(String(err));
    if (conn.borrowedAt !== 0) client.connectionFailed(error);
    else if (!this.#reported.has(client)) {
      this.#reported.add(client);
      if (this.listenerCount('error') > 0) this.emit('error', error, client);
    }
  }

  /** Emitted after the pool's own bookkeeping: a listener that throws cannot corrupt the counts. */
  #emit(event: PgEvent, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (this.listenerCount('error') > 0) this.emit('error', error, args[args.length - 1]);
      else this.#core.emit('error', { pool: this.#core.name, error, context: `PgPool '${event}' listener` });
    }
  }
}

// pg.Pool declares these as readonly fields (pg-pool implements them as getters); here they read
// the lifeguard pool, so they are defined on the prototype rather than overridden in the class.
Object.defineProperties(PgPool.prototype, {
  totalCount: {
    get(this: PgPool) {
      return this.lifeguard.sizes().total;
    },
  },
  idleCount: {
    get(this: PgPool) {
      return this.lifeguard.sizes().idle;
    },
  },
  waitingCount: {
    get(this: PgPool) {
      return this.lifeguard.sizes().pending;
    },
  },
  expiredCount: {
    get(this: PgPool) {
      return this.lifeguard.expiredCount();
    },
  },
});

const facades = new WeakMap<Pool, PgPool>();

/**
 * A PgPool over a lifeguard pool that exists already (one from getPool(), say), one per pool.
 * Its end() closes that pool, as pg.Pool's end() would (Kysely's db.destroy() calls it).
 */
export function pgPool(pool: Pool): PgPool {
  if (pool.adapter.name !== 'postgres') {
    throw new ConfigError('pool', `pgPool() needs a PostgreSQL pool; pool "${pool.name}" uses the ${pool.adapter.name} adapter.`);
  }
  let facade = facades.get(pool);
  if (!facade) {
    facade = new PgPool({ [BOUND]: pool } as unknown as PgPoolOptions);
    facades.set(pool, facade);
  }
  return facade;
}

function leaseRunner(core: Pool, lease: PooledConnection): ClientRunner {
  return {
    run: (sql, fn, opts) => lease.run(sql, (raw) => fn(raw as Client), opts),
    broken: (err) => core.adapter.isBroken(lease.raw, err),
  };
}

/**
 * A runner that remembers what it ran; settled() waits for all of it, including what was sent
 * from the callbacks of earlier queries. Errors stay the sender's (its promise rejects as before).
 */
function trackedRunner(runner: ClientRunner): { runner: ClientRunner; settled(): Promise<void> } {
  const running: Array<Promise<unknown>> = [];
  return {
    runner: {
      run: (sql, fn, opts) => {
        const result = runner.run(sql, fn, opts);
        running.push(result.then(noop, noop));
        return result;
      },
      broken: (err) => runner.broken(err),
    },
    async settled() {
      for (let seen = 0; seen < running.length; ) {
        const batch = running.slice(seen);
        seen = running.length;
        await Promise.all(batch);
      }
    },
  };
}

function noop(): void {}

function setupRunner(core: Pool, conn: Connection): ClientRunner {
  return {
    run: (sql, fn, opts) => core.runOperation(conn, sql, (raw) => fn(raw as Client), opts),
    broken: (err) => core.adapter.isBroken(conn.raw, err),
  };
}
