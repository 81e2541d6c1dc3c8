import type { TransactionOptions } from '../../adapters/contract';
import type { PooledConnection } from './lease';
import type { Pool } from './pool';

/**
 * A transaction a data layer drives step by step (begin, statements, commit or rollback), as
 * @libsql/client's `transaction()` and Kysely's Driver do, run through `pool.transaction` all the
 * same: its callback is held open until the data layer decides. So the writer lane, BEGIN's and
 * COMMIT's bounds, the outcome-unknown rule and the lease's death at the end are the pool's own,
 * not a second copy of them.
 */
export interface OpenTransaction {
  /** The transaction's lease: the data layer's statements go through it. */
  readonly tx: PooledConnection;
  /** COMMIT; rejects as pool.transaction does (TransactionOutcomeUnknownError when COMMIT's fate is unknown). */
  commit(): Promise<void>;
  /** ROLLBACK; resolves once the connection is back. A second call, or one after commit(), does nothing. */
  rollback(): Promise<void>;
  /** True once commit() or rollback() was called. */
  readonly finished: boolean;
}

/** What the held callback is told to do with its transaction. */
class RolledBack extends Error {}

export function openTransaction(pool: Pool, opts: TransactionOptions & { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<OpenTransaction> {
  return new Promise<OpenTransaction>((resolveOpen, rejectOpen) => {
    let decide: ((commit: boolean) => void) | undefined;
    // Retries would run the held callback twice; a data layer that wants them retries its own callback.
    const outcome = pool.transaction(
      (tx) =>
        new Promise<void>((commit, rollback) => {
          decide = (yes) => (yes ? commit() : rollback(new RolledBack()));
          resolveOpen(handle(tx));
        }),
      { ...opts, retries: 0 },
    );
    // Before the callback ran (lane, connection or BEGIN failed) the failure is the opener's.
    outcome.catch((err: unknown) => {
      if (decide === undefined) rejectOpen(err);
    });

    function handle(tx: PooledConnection): OpenTransaction {
      let finished = false;
      const settled = outcome.catch((err: unknown) => {
        if (!(err instanceof RolledBack)) throw err;
      });
      return {
        tx,
        get finished() {
          return finished;
        },
        commit() {
          if (finished) return Promise.reject(new Error('This transaction was already committed or rolled back.'));
          finished = true;
          decide?.(true);
          return settled;
        },
        rollback() {
          if (finished) return settled.catch(() => undefined);
          finished = true;
          decide?.(false);
          return settled;
        },
      };
    }
  });
}
