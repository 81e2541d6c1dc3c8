import type { QueryResult } from '../../adapters/contract';
import type { Connection } from '../pool/connection';
import { PooledConnection, runOnLease, type AcquireOptions } from '../pool/lease';
import { announceRead, type ReadPrimary, type Reader, type RoutedPool } from '../pool/read-routing';
import { ConnectionError, ConnectionLostError, PoolClosedError, PoolTimeoutError, QueryTimeoutError } from '../shared/errors';
import type { Replica, ReplicaSet } from './replica-set';
import { invalidTimeout } from '../pool/call-timeout';

/**
 * `pool.reader()` of a pool with read replicas: each call goes to the least-busy healthy replica,
 * and to the primary when there is none. A replica that turns out to be unreachable during a read is taken out and the
 * read is retried on the next replica or the primary (a read has no side effects to repeat);
 * SQL errors and query timeouts are the caller's and are not retried.
 */
export class ReplicaReader<P extends RoutedPool> implements Reader {
  constructor(
    private readonly primary: ReadPrimary,
    private readonly replicas: ReplicaSet<P>,
  ) {}

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: AcquireOptions): Promise<QueryResult<R>> {
    const invalid = invalidTimeout(opts?.timeoutMs);
    if (invalid) return Promise.reject(invalid);
    return this.route(
      (replica) => this.queryOn<R>(replica, sql, params, opts),
      // Without readOnly: the primary's query() would send a readOnly read straight back here, forever.
      () => this.primary.query<R>(sql, params, withoutReadOnly(opts)),
    );
  }

  acquire(opts?: AcquireOptions): Promise<PooledConnection> {
    const invalid = invalidTimeout(opts?.timeoutMs);
    if (invalid) return Promise.reject(invalid);
    return this.route(
      async (replica) => new PooledConnection(replica.pool, await this.acquireOn(replica, opts)),
      () => this.primary.acquire(opts),
    );
  }

  async withConnection<T>(fn: (conn: PooledConnection) => Promise<T>, opts?: AcquireOptions): Promise<T> {
    return runOnLease(await this.acquire(opts), fn);
  }

  private async route<T>(onReplica: (replica: Replica<P>) => Promise<T>, onPrimary: () => Promise<T>): Promise<T> {
    const tried = new Set<Replica<P>>();
    for (let replica = this.replicas.pick(tried); replica; replica = this.replicas.pick(tried)) {
      tried.add(replica);
      try {
        const result = await onReplica(replica);
        replica.reads++;
        announceRead(this.primary, replica.pool.name, false);
        return result;
      } catch (err) {
        if (!this.unreachable(replica, err)) throw err;
      }
    }
    this.replicas.primaryFallbackReads++;
    announceRead(this.primary, this.primary.name, true);
    return onPrimary();
  }

  private async queryOn<R>(replica: Replica<P>, sql: string, params: readonly unknown[] | undefined, opts?: AcquireOptions): Promise<QueryResult<R>> {
    // A short read without its own timeout or signal shares a pipelined connection on the replica.
    const pipelined = opts?.timeoutMs === undefined && opts?.signal === undefined ? replica.pool.pipelined<R>(sql, params) : undefined;
    if (pipelined !== undefined) {
      try {
        return await pipelined;
      } catch (err) {
        throw err instanceof ConnectionLostError ? new ReplicaUnreachable(err) : err;
      }
    }
    const conn = await this.acquireOn(replica, opts);
    let failure: unknown;
    const started = performance.now();
    try {
      const result = await replica.pool.runQuery<R>(conn, sql, params, opts?.timeoutMs);
      replica.pool.learnStatement(sql, performance.now() - started);
      return result;
    } catch (err) {
      failure = err;
      if (!(err instanceof QueryTimeoutError) && replica.pool.adapter.isBroken(conn.raw, err)) {
        throw new ReplicaUnreachable(err);
      }
      throw err;
    } finally {
      replica.pool.releaseConnection(conn, failure);
    }
  }

  /** Waits on the replica's pool, but stops waiting the moment the replica is taken out. */
  private acquireOn(replica: Replica<P>, opts?: AcquireOptions): Promise<Connection> {
    const signal = opts?.signal ? AbortSignal.any([opts.signal, replica.downSignal]) : replica.downSignal;
    return replica.pool.acquireConnection(opts?.timeoutMs ?? replica.pool.config.acquireTimeoutMs, signal);
  }

  /** True (and the replica taken out) when the failure was the replica, not the caller's SQL. */
  private unreachable(replica: Replica<P>, err: unknown): boolean {
    if (err instanceof PoolClosedError && !this.primary.isClosed && replica.pool.isClosed) return true;
    if (err instanceof PoolClosedError) return false;
    if (!replica.healthy) return true;
    const cause = err instanceof ReplicaUnreachable ? err.cause : err instanceof PoolTimeoutError ? err.cause : err;
    const isConnectionFailure = err instanceof ReplicaUnreachable || err instanceof ConnectionError || (err instanceof PoolTimeoutError && err.cause !== undefined);
    if (!isConnectionFailure) return false;
    this.replicas.takeOut(replica, cause instanceof Error ? cause : new ConnectionError(String(cause)));
    return true;
  }
}

/** Internal marker: the replica's connection broke under a read, so the read may go elsewhere. */
class ReplicaUnreachable extends Error {
  constructor(cause: unknown) {
    super('read replica connection broke', { cause });
  }
}

/** The caller's options without readOnly, for the primary's own query(). */
function withoutReadOnly(opts: (AcquireOptions & { readOnly?: boolean }) | undefined): AcquireOptions | undefined {
  if (opts === undefined || !('readOnly' in opts)) return opts;
  const { readOnly: _readOnly, ...rest } = opts;
  return rest;
}
