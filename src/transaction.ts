import type { Adapter, TransactionOptions } from '../adapters/contract';
import type { Connection } from './connection';
import { TransactionOutcomeUnknownError } from './errors';
import type { PooledConnection } from './lease';

export interface TransactionHost {
  adapter: Adapter<unknown>;
  acquireTimeoutMs: number;
  enterLane: ((opts: { timeoutMs?: number; signal?: AbortSignal }) => Promise<() => void>) | undefined;
  acquireConnection(timeoutMs: number, signal?: AbortSignal): Promise<Connection>;
  releaseConnection(conn: Connection, err?: unknown): void;
  lease(conn: Connection): PooledConnection;
}

type Options = TransactionOptions & { timeoutMs?: number; signal?: AbortSignal };

/** Errors raised at or after COMMIT: the transaction may have been applied, so never retried. */
const afterCommit = new WeakSet<object>();

/**
 * BEGIN, the caller's function, COMMIT; ROLLBACK on any error. Serialization failures and
 * deadlocks (the adapter's isRetryable) are retried up to `retries` times with backoff, each time
 * on a fresh BEGIN; nothing is retried once COMMIT was sent. A COMMIT that fails because the
 * connection broke surfaces as TransactionOutcomeUnknownError; a ROLLBACK that fails destroys the
 * connection. On embedded files, write transactions go through the single-writer lane.
 */
export async function runTransaction<T>(host: TransactionHost, fn: (tx: PooledConnection) => Promise<T>, opts: Options): Promise<T> {
  const retries = Math.max(0, opts.retries ?? 0);
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce(host, fn, opts);
    } catch (err) {
      const retryable =
        attempt < retries && typeof err === 'object' && err !== null && !afterCommit.has(err) && host.adapter.isRetryable?.(err) === true;
      if (!retryable) throw err;
      await sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}

async function attemptOnce<T>(host: TransactionHost, fn: (tx: PooledConnection) => Promise<T>, opts: Options): Promise<T> {
  const leave = host.enterLane && !opts.readOnly ? await host.enterLane(opts) : undefined;
  try {
    const conn = await host.acquireConnection(opts.timeoutMs ?? host.acquireTimeoutMs, opts.signal);
    let failure: unknown;
    try {
      await host.adapter.begin(conn.raw, opts);
      let result: T;
      try {
        result = await fn(host.lease(conn));
      } catch (err) {
        await rollbackOrBreak(host, conn);
        throw err;
      }
      try {
        await host.adapter.commit(conn.raw);
      } catch (err) {
        if (host.adapter.isBroken(conn.raw, err)) {
          const unknown = new TransactionOutcomeUnknownError(err);
          afterCommit.add(unknown);
          throw unknown;
        }
        // The server refused the COMMIT and rolled back; make sure nothing is left open.
        await rollbackOrBreak(host, conn);
        if (typeof err === 'object' && err !== null) afterCommit.add(err);
        throw err;
      }
      return result;
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      host.releaseConnection(conn, failure);
    }
  } finally {
    leave?.();
  }
}

async function rollbackOrBreak(host: TransactionHost, conn: Connection): Promise<void> {
  try {
    await host.adapter.rollback(conn.raw);
  } catch (err) {
    // A connection whose ROLLBACK failed may still hold the transaction: never reuse it.
    conn.broken ??= err;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
