import type { AdapterQueryOptions, QueryResult } from '../../adapters/contract';
import type { Connection } from './connection';
import { ConnectionReleasedError } from '../shared/errors';

/** How long to wait for a connection (acquireTimeoutMs by default), and a signal to stop waiting. */
export interface AcquireOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}
import { invalidTimeout } from './call-timeout';

/** How Pool.runOperation runs one driver call. */
export interface OperationOptions {
  timeoutMs?: number;
  /** false: no statement deadline (a pipelined statement, or a cursor that lives as long as its reader). */
  deadline?: boolean;
  /** Its values travel as parameters: its span records the SQL as written, not with literals replaced. */
  parameterized?: boolean;
  /** Its span is made by its caller (pool.query, in the caller's context), not here. */
  untraced?: boolean;
}

/** What a lease needs from its pool; kept narrow so the lease stays a small per-loan object. */
export interface LeaseOwner {
  runQuery<R>(conn: Connection, sql: string, params: readonly unknown[] | undefined, timeoutMs?: number, bounded?: boolean, opts?: AdapterQueryOptions): Promise<QueryResult<R>>;
  runOperation<T>(conn: Connection, sql: string, run: (raw: unknown) => Promise<T>, opts?: OperationOptions): Promise<T>;
  releaseConnection(conn: Connection, err?: unknown): void;
  destroyConnection(conn: Connection, reason?: unknown): Promise<void>;
}

const TAKEN_BACK = 'close() took the connection back';

/**
 * One loan of a connection to a caller. A fresh object per loan, dead the moment that loan ends:
 * after release(), destroy(), the end of its transaction, or close() taking the connection back,
 * every use fails with ConnectionReleasedError instead of reaching a connection that is idle or,
 * worse, lent to someone else (a late query would run inside their transaction).
 */
export class PooledConnection {
  /** How this lease's loan ended, once it has. */
  #endedBy: string | undefined;
  readonly #loan: number;

  constructor(
    private readonly owner: LeaseOwner,
    private readonly conn: Connection,
    /** Inside transaction() the pool releases the connection after COMMIT or ROLLBACK, not the caller. */
    private readonly pinned = false,
  ) {
    this.#loan = conn.loan;
  }

  /** The pool's id for this connection: stable across loans, unique in the process. */
  get id(): number {
    return this.conn.id;
  }

  /** The driver's own connection object, for what lifeguard does not wrap. */
  get raw(): unknown {
    return this.conn.raw;
  }

  /** True once this loan is over, whoever ended it. */
  get released(): boolean {
    return this.endedBy !== undefined;
  }

  private get endedBy(): string | undefined {
    if (this.#endedBy === undefined && this.conn.loan !== this.#loan) this.#endedBy = TAKEN_BACK;
    return this.#endedBy;
  }

  /** @internal The pool's record of the connection, for the pool's own rooms (lane scope, integrations). */
  get record(): Connection {
    return this.conn;
  }

  /** `rowMode: 'array'` gives each row as an array of values in column order (same-named columns all kept). */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: { timeoutMs?: number } & Omit<AdapterQueryOptions, 'prepare'>): Promise<QueryResult<R>> {
    const endedBy = this.endedBy;
    if (endedBy !== undefined) return Promise.reject(new ConnectionReleasedError(this.conn.id, 'query()', endedBy));
    const invalid = opts?.timeoutMs === undefined ? undefined : invalidTimeout(opts.timeoutMs);
    if (invalid) return Promise.reject(invalid);
    return this.owner.runQuery<R>(this.conn, sql, params, opts?.timeoutMs, true, opts?.rowMode === undefined ? undefined : { rowMode: opts.rowMode });
  }

  /**
   * @internal A driver call on this connection run as a lifeguard operation (Pool.runOperation):
   * how lifeguard/pg sends pg's own query objects (rowMode, types, named statements, cursors).
   */
  run<T>(sql: string, fn: (raw: unknown) => Promise<T>, opts?: Pick<OperationOptions, 'deadline' | 'parameterized'>): Promise<T> {
    const endedBy = this.endedBy;
    if (endedBy !== undefined) return Promise.reject(new ConnectionReleasedError(this.conn.id, 'query()', endedBy));
    return this.owner.runOperation(this.conn, sql, fn, opts);
  }

  /**
   * Gives the connection back. As with pg's `release(err)`, any truthy argument (an Error, `true`)
   * destroys the connection instead of reusing it: the holder knows something the pool does not.
   */
  release(err?: unknown): void {
    const endedBy = this.endedBy;
    // close() took it back past its timeout: the holder finishing late is no bug of theirs, and a
    // throw from the release in their finally would only fail a request the drain already ended.
    if (endedBy === TAKEN_BACK) return;
    if (endedBy !== undefined) throw new ConnectionReleasedError(this.conn.id, endedBy === 'release()' ? 'a second release()' : 'release()', endedBy);
    if (this.pinned) throw new Error('Inside transaction() the pool releases the connection after COMMIT or ROLLBACK; do not call release().');
    this.#endedBy = 'release()';
    if (err) void this.owner.destroyConnection(this.conn, err);
    else this.owner.releaseConnection(this.conn);
  }

  /**
   * @internal Gives the connection back after `failure`, destroying it only when the adapter says
   * that failure broke it (runOnLease: a business error thrown by the caller's function keeps it).
   */
  giveBack(failure: unknown): void {
    if (this.endedBy !== undefined) return;
    this.#endedBy = 'release()';
    this.owner.releaseConnection(this.conn, failure);
  }

  /** Closes the connection instead of returning it (the pool opens a replacement as needed). */
  destroy(reason?: unknown): Promise<void> {
    const endedBy = this.endedBy;
    if (endedBy === TAKEN_BACK) return Promise.resolve();
    if (endedBy !== undefined) return Promise.reject(new ConnectionReleasedError(this.conn.id, 'destroy()', endedBy));
    this.#endedBy = 'destroy()';
    return this.owner.destroyConnection(this.conn, reason);
  }

  /** @internal The transaction's function returned or threw: the lease it was given is dead from now on. */
  endLoan(why: string): void {
    this.#endedBy ??= why;
  }

  /** @internal How the loan ended, when it has: transaction() reads whether its fn destroyed the connection. */
  get endedHow(): string | undefined {
    return this.endedBy;
  }
}

/**
 * Runs fn on a lease and gives the connection back however fn ends. An error fn threw goes back
 * with it, so a connection that error broke is destroyed, while one a business error came out of
 * is reused (release(err) would destroy it whatever the error).
 */
export async function runOnLease<T>(lease: PooledConnection, fn: (conn: PooledConnection) => Promise<T>): Promise<T> {
  let failure: unknown;
  try {
    return await fn(lease);
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    lease.giveBack(failure);
  }
}
