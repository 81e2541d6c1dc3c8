/**
 * The pool's side of read routing: what `pool.reader()` promises, what a read router is given of
 * the primary and of each replica's pool, and the registration point through which replicas/
 * supplies the router. The pool never imports replicas/: the package entry (src/index.ts) and the
 * CLI install replicas/'s router once, as third parties add adapters with registerAdapter.
 */
import type { EventEmitter } from 'eventemitter3';
import type { Adapter, AdapterQueryOptions, QueryResult } from '../../adapters/contract';
import type { Logger, PoolOptions, ResolvedConfig } from '../config/types';
import { ConfigError } from '../shared/errors';
import type { Connection } from './connection';
import type { PoolEvents } from './events';
import type { HealthReport } from './health-check';
import { runOnLease, type AcquireOptions, type LeaseOwner, type PooledConnection } from './lease';
import type { PoolStats, ReadRoutingStats } from './recorder';

/** A read's options: how long to wait for a connection, and how its rows come back. */
export type ReadQueryOptions = AcquireOptions & Omit<AdapterQueryOptions, 'prepare'>;

/** The read side of a pool (`pool.reader()`): reads on the least-busy healthy replica, or on the primary. */
export interface Reader {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: ReadQueryOptions): Promise<QueryResult<R>>;
  /** A connection from a replica (or the primary): the caller releases it. */
  acquire(opts?: AcquireOptions): Promise<PooledConnection>;
  /** Runs fn on one read connection. Failures inside fn are not retried: fn may have done anything. */
  withConnection<T>(fn: (conn: PooledConnection) => Promise<T>, opts?: AcquireOptions): Promise<T>;
}

/** What a read router uses of the primary: where it reports, and where reads go when no replica can take them. */
export interface ReadPrimary extends EventEmitter<PoolEvents> {
  readonly name: string;
  readonly config: ResolvedConfig;
  readonly isClosed: boolean;
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: ReadQueryOptions): Promise<QueryResult<R>>;
  acquire(opts?: AcquireOptions): Promise<PooledConnection>;
}

/** A replica's own pool as the router uses it; Pool implements it. */
export interface RoutedPool extends LeaseOwner, EventEmitter<PoolEvents> {
  readonly name: string;
  readonly config: ResolvedConfig;
  readonly adapter: Adapter<unknown>;
  readonly isClosed: boolean;
  /** Borrowed plus waiting, per connection slot: how the router compares replicas. */
  readonly load: number;
  acquireConnection(timeoutMs: number, signal?: AbortSignal): Promise<Connection>;
  /** Runs sql on a pipelined connection when the pool pipelines it (see pipeline/); undefined when it would run alone. */
  pipelined<R>(sql: string, params: readonly unknown[] | undefined): Promise<QueryResult<R>> | undefined;
  /** Teaches the pipeline a statement's server time from a run alone. */
  learnStatement(sql: string, serverMs: number): void;
  withConnection<T>(fn: (conn: PooledConnection) => Promise<T>): Promise<T>;
  health(): Promise<HealthReport>;
  stats(): PoolStats;
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

/** The read replicas beside one primary, as the primary holds them. */
export interface ReadRouter<P> {
  readonly reader: Reader;
  /** The replicas' own pools (named `<pool>:replica-<n>`), for their events and metrics. */
  readonly pools: readonly P[];
  stats(): ReadRoutingStats;
  /** Stops the health checks and closes every replica's pool. */
  close(opts: { timeoutMs?: number }): Promise<void>;
}

export interface ReadRouterSetup<P> {
  primary: ReadPrimary;
  /** The primary's options as given (replica pools inherit its logger). */
  options: PoolOptions;
  /** Builds one replica's pool (a Pool, which replicas/ never names). */
  makePool(options: PoolOptions): P;
  logger: Logger;
}

export type ReadRouterFactory = <P extends RoutedPool>(setup: ReadRouterSetup<P>) => ReadRouter<P>;

let installedFactory: ReadRouterFactory | undefined;

/** Sets the router every pool with readReplicaUrls builds from now on (replicas/'s, installed by the package entry). */
export function installReadRouter(factory: ReadRouterFactory): void {
  installedFactory = factory;
}

export function createReadRouter<P extends RoutedPool>(setup: ReadRouterSetup<P>): ReadRouter<P> {
  if (installedFactory === undefined) {
    throw new ConfigError(
      'readReplicaUrls',
      'readReplicaUrls is set, but no read router is installed: import lifeguard from its package entry, which installs it.',
    );
  }
  return installedFactory(setup);
}

/** Tells `readRouted` listeners which pool served a read; costs nothing while nobody listens. */
export function announceRead(primary: ReadPrimary, servedBy: string, fallback: boolean): void {
  if (primary.listenerCount('readRouted') > 0) primary.emit('readRouted', { pool: primary.name, servedBy, fallback });
}

/** `pool.reader()` of a pool without read replicas: every read goes to the primary. */
export class PrimaryReader implements Reader {
  constructor(private readonly primary: ReadPrimary) {}

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: ReadQueryOptions): Promise<QueryResult<R>> {
    announceRead(this.primary, this.primary.name, false);
    return this.primary.query<R>(sql, params, opts);
  }

  acquire(opts?: AcquireOptions): Promise<PooledConnection> {
    announceRead(this.primary, this.primary.name, false);
    return this.primary.acquire(opts);
  }

  async withConnection<T>(fn: (conn: PooledConnection) => Promise<T>, opts?: AcquireOptions): Promise<T> {
    return runOnLease(await this.acquire(opts), fn);
  }
}
