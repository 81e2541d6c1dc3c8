import type { Kysely, Transaction, TransactionBuilder } from 'kysely';
import type { Pool } from '../../pool/pool';
import { retryBackoff } from '../../pool/transaction';
import { ConfigError, QueryTimeoutError, TransactionOutcomeUnknownError } from '../../shared/errors';

/**
 * Failures a Kysely transaction on a lifeguard pool may be run again after, marked where they
 * happened (the Kysely connection knows its pool's adapter; retryTransaction only sees the error).
 */
const retryable = new WeakSet<object>();

/**
 * pool.transaction's rule (src/pool/transaction.ts): a serialization failure or deadlock (the
 * adapter's isRetryable), from a statement or from COMMIT itself (the server then rolled back),
 * and a connection lost before COMMIT was sent (the server rolled back when the session ended).
 * Never a TransactionOutcomeUnknownError (COMMIT sent, its answer lost: it may have been applied),
 * nor a timeout (the database is slow, not gone: a retry would pile more work on it).
 */
export function noteTransactionFailure(pool: Pool, err: unknown, connectionLost: boolean): void {
  if (typeof err !== 'object' || err === null || err instanceof TransactionOutcomeUnknownError || err instanceof QueryTimeoutError) return;
  if (connectionLost || pool.adapter.isRetryable?.(err) === true) retryable.add(err);
}

export interface RetryTransactionOptions {
  /** How many times fn may be run again after a retryable failure (0: never). */
  retries: number;
}

/**
 * Kysely's `transaction().execute(fn)`, run again from a fresh BEGIN on a serialization failure,
 * a deadlock or a connection lost before COMMIT, up to `retries` times, with pool.transaction's
 * backoff. lifeguard never re-runs a Kysely transaction's function unasked: fn may have done
 * what a retry would do twice outside the database, so retrying is the caller's decision, made by
 * calling this. `db` is a Kysely instance on a LifeguardDialect, or a TransactionBuilder
 * (`db.transaction().setIsolationLevel('serializable')`) whose settings every attempt keeps.
 */
export async function retryTransaction<DB, T>(db: Kysely<DB> | TransactionBuilder<DB>, fn: (trx: Transaction<DB>) => Promise<T>, opts: RetryTransactionOptions): Promise<T> {
  const retries = opts?.retries;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0) {
    throw new ConfigError('retries', `retryTransaction(): retries must be a whole number of at least 0, got ${String(retries)}.`);
  }
  const builder = typeof (db as Kysely<DB>).transaction === 'function' ? (db as Kysely<DB>).transaction() : (db as TransactionBuilder<DB>);
  for (let attempt = 0; ; attempt++) {
    try {
      return await builder.execute(fn);
    } catch (err) {
      if (attempt >= retries || typeof err !== 'object' || err === null || !retryable.has(err)) throw err;
      await retryBackoff(attempt);
    }
  }
}
