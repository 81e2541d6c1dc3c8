import type { Adapter, TransactionOptions } from '../../adapters/contract';
import type { Connection } from './connection';
import { QueryTimeoutError, TransactionOutcomeUnknownError, TransactionRolledBackError } from '../shared/errors';
import type { PooledConnection } from './lease';
import { connectionLossError } from './connection-loss';
import type { OperationTracer, TransactionTrace } from './operation-tracer';

export interface TransactionHost {
  adapter: Adapter<unknown>;
  acquireTimeoutMs: number;
  /** A write transaction's connection comes with the writer lane of an embedded file, held to its release. */
  acquireConnection(timeoutMs: number, signal: AbortSignal | undefined, write: boolean): Promise<Connection>;
  /** Runs fn in the connection's lane scope, so a write fn sends through the pool fails at once (lane-scope.ts). */
  inLaneScope<T>(conn: Connection, fn: () => Promise<T>): Promise<T>;
  releaseConnection(conn: Connection, err?: unknown): void;
  lease(conn: Connection): PooledConnection;
  /**
   * Bounds BEGIN, COMMIT and ROLLBACK like any statement (statementTimeoutMs plus a grace): a
   * server that stopped answering must not hold the transaction, and its connection, forever.
   * Past the bound the connection is marked broken and the promise rejects with QueryTimeoutError.
   */
  bounded<T>(conn: Connection, running: Promise<T>): Promise<T>;
  /** The pool's tracer, when tracing is on: a span for the transaction, its statements its children. */
  tracer: OperationTracer | undefined;
}

type Options = TransactionOptions & { timeoutMs?: number; signal?: AbortSignal };

/** COMMIT was sent and its fate is unknown: never retried, whatever `retries` says. */
const outcomeUnknown = new WeakSet<object>();
/** The connection died before COMMIT was sent: the server rolled back, a retry is safe. */
const lostBeforeCommit = new WeakSet<object>();

/**
 * BEGIN, the caller's function, COMMIT; ROLLBACK on any error. Serialization failures and
 * deadlocks (the adapter's isRetryable), including those reported by COMMIT itself (the server
 * then rolled back), and connections lost before COMMIT was sent, are retried up to `retries`
 * times with backoff, each time on a fresh BEGIN. A COMMIT whose connection broke or whose answer
 * never came surfaces as TransactionOutcomeUnknownError and is never retried: it may have been
 * applied. A ROLLBACK that fails, or a connection that broke, destroys the connection. On
 * embedded files, write transactions go through the single-writer lane.
 */
export function runTransaction<T>(host: TransactionHost, fn: (tx: PooledConnection) => Promise<T>, opts: Options): Promise<T> {
  const trace = host.tracer?.transaction();
  if (trace !== undefined) return traced(trace, host, fn, opts);
  // No retries asked for (the default): the attempt itself, without a loop around it.
  return (opts.retries ?? 0) > 0 ? withRetries(host, fn, opts, undefined) : attemptOnce(host, fn, opts, undefined);
}

async function withRetries<T>(host: TransactionHost, fn: (tx: PooledConnection) => Promise<T>, opts: Options, trace: TransactionTrace | undefined): Promise<T> {
  const retries = Math.max(0, opts.retries ?? 0);
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce(host, fn, opts, trace);
    } catch (err) {
      if (attempt >= retries || !mayRetry(host, err)) throw err;
      trace?.retrying(attempt + 1, err);
      await retryBackoff(attempt);
    }
  }
}

/** The transaction as one span, run within it; its retries and how it ended are recorded on it. */
async function traced<T>(trace: TransactionTrace, host: TransactionHost, fn: (tx: PooledConnection) => Promise<T>, opts: Options): Promise<T> {
  try {
    const result = await trace.within(() => withRetries(host, fn, opts, trace));
    trace.outcome('committed');
    return result;
  } catch (err) {
    trace.outcome(err instanceof TransactionOutcomeUnknownError ? 'outcome_unknown' : trace.began ? 'rolled_back' : 'not_started');
    trace.failed(err);
    throw err;
  } finally {
    trace.end();
  }
}

/**
 * BEGIN, COMMIT and ROLLBACK, bounded, and children of the transaction's span when it has one
 * (untraced, no closure is made for them).
 */
function sent(host: TransactionHost, conn: Connection, trace: TransactionTrace | undefined, operation: 'BEGIN' | 'COMMIT' | 'ROLLBACK', opts?: Options): Promise<void> {
  if (trace === undefined) return host.bounded(conn, sendNow(host, conn, operation, opts));
  return trace.statement(operation, () => host.bounded(conn, sendNow(host, conn, operation, opts)));
}

function sendNow(host: TransactionHost, conn: Connection, operation: 'BEGIN' | 'COMMIT' | 'ROLLBACK', opts: Options | undefined): Promise<void> {
  if (operation === 'BEGIN') return host.adapter.begin(conn.raw, opts ?? {});
  return operation === 'COMMIT' ? host.adapter.commit(conn.raw) : host.adapter.rollback(conn.raw);
}

function mayRetry(host: TransactionHost, err: unknown): boolean {
  if (typeof err !== 'object' || err === null || outcomeUnknown.has(err)) return false;
  return lostBeforeCommit.has(err) || host.adapter.isRetryable?.(err) === true;
}

async function attemptOnce<T>(host: TransactionHost, fn: (tx: PooledConnection) => Promise<T>, opts: Options, trace: TransactionTrace | undefined): Promise<T> {
  const conn = await host.acquireConnection(opts.timeoutMs ?? host.acquireTimeoutMs, opts.signal, !opts.readOnly);
  if (trace !== undefined) {
    trace.acquired(conn);
    // Its statements' parent even without a context manager to carry the transaction's span.
    conn.traceParent = trace.context;
  }
  let failure: unknown;
  try {
    const result = await beforeCommit(host, conn, fn, opts, trace);
    await commit(host, conn, trace);
    return result;
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    conn.traceParent = undefined;
    // Leaves the writer lane too, once nothing of this transaction can still write.
    host.releaseConnection(conn, failure);
  }
}

/** BEGIN and the caller's function; on failure, ROLLBACK (or give the connection up). */
async function beforeCommit<T>(host: TransactionHost, conn: Connection, fn: (tx: PooledConnection) => Promise<T>, opts: Options, trace: TransactionTrace | undefined): Promise<T> {
  try {
    try {
      await sent(host, conn, trace, 'BEGIN', opts);
    } catch (err) {
      if (conn.broken === undefined && host.adapter.isBroken(conn.raw, err)) conn.broken = err;
      throw connectionLossError(conn, err);
    }
    // close() may have taken the connection back (or it broke) while BEGIN was under way: fn must
    // never be handed a connection the pool has already given up on.
    if (conn.broken !== undefined) throw connectionLossError(conn, conn.broken);
    return await runBody(host, conn, (tx) => host.inLaneScope(conn, () => fn(tx)));
  } catch (err) {
    if (conn.broken === undefined && host.adapter.isBroken(conn.raw, err)) conn.broken = err;
    await rollbackOrBreak(host, conn, trace);
    // A timeout says the database is slow, not gone: retrying would pile more work on it.
    // One fn destroyed on purpose is not a lost connection either.
    if (conn.broken !== undefined && !(err instanceof QueryTimeoutError) && !(err instanceof TransactionRolledBackError) && typeof err === 'object' && err !== null) lostBeforeCommit.add(err);
    throw err;
  }
}

/**
 * The caller's function on a lease that dies the moment fn settles: a query fn forgot to await
 * must fail with CONNECTION_RELEASED, not run after COMMIT in autocommit, or inside the next
 * transaction on the same connection. A lease fn destroyed means nothing can be committed: the
 * server rolls back when the session ends, and the caller is told so.
 */
async function runBody<T>(host: TransactionHost, conn: Connection, fn: (tx: PooledConnection) => Promise<T>): Promise<T> {
  const lease = host.lease(conn);
  let result: T;
  try {
    result = await fn(lease);
  } finally {
    lease.endLoan('its transaction ended');
  }
  if (lease.endedHow === 'destroy()') {
    throw new TransactionRolledBackError('the transaction function destroyed its connection, so COMMIT was never sent and the server rolled back.', true);
  }
  return result;
}

async function commit(host: TransactionHost, conn: Connection, trace: TransactionTrace | undefined): Promise<void> {
  try {
    await sent(host, conn, trace, 'COMMIT');
  } catch (err) {
    if (conn.broken !== undefined || host.adapter.isBroken(conn.raw, err)) {
      conn.broken ??= err;
      const unknown = new TransactionOutcomeUnknownError(err);
      outcomeUnknown.add(unknown);
      throw unknown;
    }
    // The server answered COMMIT with an error: it rolled back, so the outcome is known and a
    // serialization failure raised at COMMIT may be retried. Make sure nothing is left open.
    await rollbackOrBreak(host, conn, trace);
    throw err;
  }
}

async function rollbackOrBreak(host: TransactionHost, conn: Connection, trace: TransactionTrace | undefined): Promise<void> {
  // A broken connection is destroyed, and the server rolls back when its session ends; sending
  // ROLLBACK down a dead (or silent) socket would only wait.
  if (conn.broken !== undefined) return;
  try {
    await sent(host, conn, trace, 'ROLLBACK');
  } catch (err) {
    // A connection whose ROLLBACK failed may still hold the transaction: never reuse it.
    conn.broken ??= err;
  }
}

/** The wait before retry `attempt + 1` of a transaction: 20 ms doubling, capped at 1 s, jittered ±50 %. */
export function retryBackoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random())));
}
