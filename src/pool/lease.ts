import type { QueryResult } from '../../adapters/contract';
import type { Connection } from './connection';
import { ConnectionReleasedError } from '../shared/errors';

/** How long to wait for a connection (acquireTimeoutMs by default), and a signal to stop waiting. */
export interface AcquireOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** What a lease needs from its pool; kept narrow so the lease stays a small per-loan object. */
export interface LeaseOwner {
  runQuery<R>(conn: Connection, sql: string, params: readonly unknown[] | undefined, timeoutMs?: number): Promise<QueryResult<R>>;
  releaseConnection(conn: Connection, err?: unknown): void;
  destroyConnection(conn: Connection, reason?: unknown): Promise<void>;
}

/**
 * One loan of a connection to a caller. A fresh object per loan, so that releasing twice is
 * caught (the second release() throws instead of returning someone else's connection).
 */
export class PooledConnection {
  #released = false;

  constructor(
    private readonly owner: LeaseOwner,
    private readonly conn: Connection,
    /** Inside transaction() the pool releases the connection after COMMIT or ROLLBACK, not the caller. */
    private readonly pinned = false,
  ) {}

  /** The pool's id for this connection: stable across loans, unique in the process. */
  get id(): number {
    return this.conn.id;
  }

  /** The driver's own connection object, for what lifeguard does not wrap. */
  get raw(): unknown {
    return this.conn.raw;
  }

  get released(): boolean {
    return this.#released;
  }

  /** @internal The pool's record of the connection, for the pool's own rooms (lane scope, integrations). */
  get record(): Connection {
    return this.conn;
  }

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: { timeoutMs?: number }): Promise<QueryResult<R>> {
    if (this.#released) return Promise.reject(new ConnectionReleasedError(this.conn.id, 'query()'));
    return this.owner.runQuery<R>(this.conn, sql, params, opts?.timeoutMs);
  }

  /**
   * Gives the connection back. As with pg's `release(err)`, passing an error destroys the
   * connection instead of reusing it.
   */
  release(err?: unknown): void {
    if (this.pinned) throw new Error('Inside transaction() the pool releases the connection after COMMIT or ROLLBACK; do not call release().');
    if (this.#released) throw new ConnectionReleasedError(this.conn.id, 'a second release()');
    this.#released = true;
    this.owner.releaseConnection(this.conn, err);
  }

  /** Closes the connection instead of returning it (the pool opens a replacement as needed). */
  destroy(reason?: unknown): Promise<void> {
    if (this.#released) return Promise.reject(new ConnectionReleasedError(this.conn.id, 'destroy()'));
    this.#released = true;
    return this.owner.destroyConnection(this.conn, reason);
  }
}

/**
 * Runs fn on a lease and gives the connection back however fn ends. An error fn threw goes back
 * with it, as with pg's release(err), so a connection that error broke is destroyed, not reused.
 */
export async function runOnLease<T>(lease: PooledConnection, fn: (conn: PooledConnection) => Promise<T>): Promise<T> {
  let failure: unknown;
  try {
    return await fn(lease);
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    if (!lease.released) lease.release(failure);
  }
}
