import type { InStatement, Transaction, TransactionMode } from '@libsql/client';
import type { RemoteLibsqlConnection as LibsqlConnection } from './libsql-connection';
import type { TransactionControl } from './transaction-control';

/**
 * Transactions on one libsql connection, whether they come from the pool's transaction() or as
 * SQL from a lease. On @libsql/client an SQL `BEGIN` does not hold: each execute() may take
 * another connection of the client's own, and that connection is rolled back when it goes back
 * (measured on 0.18: `BEGIN`, `INSERT`, `COMMIT` fails with "no transaction is active" and the
 * INSERT stays, committed on its own). So an SQL BEGIN (or a SAVEPOINT outside a transaction,
 * which SQLite treats as one) becomes `client.transaction()`, and every statement after it goes
 * through that Transaction until COMMIT or ROLLBACK — sent as SQL or through the pool.
 */
export function beginOn(conn: LibsqlConnection, mode: TransactionMode): Promise<Transaction> {
  if (conn.tx) return Promise.reject(new Error('libsql connection already has an open transaction'));
  // Callbacks, not an async function: one promise fewer on every transaction's path.
  return conn.client.transaction(mode).then(
    (tx) => (conn.tx = tx),
    (err: unknown) => {
      // @libsql/client 0.18 on a file (before the adapter ran files on libsql's Database itself):
      // after a BEGIN that failed (SQLITE_BUSY from a writer in another process), every later
      // COMMIT on that client failed with "SQLITE_BUSY: cannot commit transaction - SQL statements
      // in progress". A remote client whose BEGIN failed is retired the same way, as the safe
      // choice: a retry gets a fresh one.
      conn.beginFailed = err;
      throw err;
    },
  );
}

export async function commitOn(conn: LibsqlConnection): Promise<void> {
  const tx = conn.tx;
  forget(conn);
  if (!tx) throw new Error('commit without an open transaction');
  try {
    await tx.commit();
  } finally {
    tx.close();
  }
}

export async function rollbackOn(conn: LibsqlConnection): Promise<void> {
  const tx = conn.tx;
  forget(conn);
  if (!tx) return;
  try {
    await tx.rollback();
  } finally {
    tx.close();
  }
}

/**
 * Acts on a transaction statement sent as SQL. Returns true when it was handled here; false when
 * it goes to the driver as it is (a COMMIT with no transaction open gets libsql's own error, a
 * nested BEGIN SQLite's).
 */
export async function runTransactionSql(conn: LibsqlConnection, control: TransactionControl, statement: InStatement): Promise<boolean> {
  if (conn.tx === undefined) {
    if (control.kind === 'begin') {
      await beginOn(conn, control.mode);
      return true;
    }
    if (control.kind === 'savepoint') {
      const tx = await beginOn(conn, 'deferred');
      try {
        await tx.execute(statement);
      } catch (err) {
        await rollbackOn(conn);
        throw err;
      }
      conn.savepointRoot = control.name;
      return true;
    }
    return false;
  }
  if (control.kind === 'commit') await commitOn(conn);
  else if (control.kind === 'rollback') await rollbackOn(conn);
  else if (control.kind === 'release' && control.name === conn.savepointRoot) {
    // Releasing the savepoint that opened the transaction commits it, as in SQLite.
    await conn.tx.execute(statement);
    await commitOn(conn);
  } else return false;
  return true;
}

/** After a statement: a transaction the database ended by itself (some errors roll back) is let go. */
export function settleEndedTransaction(conn: LibsqlConnection): void {
  const tx = conn.tx;
  if (tx !== undefined && tx.closed) {
    forget(conn);
    tx.close();
  }
}

function forget(conn: LibsqlConnection): void {
  conn.tx = undefined;
  conn.savepointRoot = undefined;
}
