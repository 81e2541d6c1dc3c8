import type { QueryResult } from '../../../adapters/contract';
import { executeScriptIn, libsqlInTransaction, type LibsqlConnection } from '../../../adapters/libsql';
import type { PooledConnection } from '../../pool/lease';
import { isReadOnlySql } from '../../pool/writer-lane';
import type { LibsqlErrorClasses } from './errors';
import { toResultSet, type LibsqlResultSet } from './result-set';
import type { PoolStatement } from './statement';

/** A pool or one of its leases: both run a statement the same way. */
export interface StatementRunner {
  query<R>(sql: string, params?: readonly unknown[], opts?: { rowMode?: 'array' }): Promise<QueryResult<R>>;
}

/** One statement through the pool (or a lease), answered as libsql's ResultSet. */
export async function runStatement(target: StatementRunner, statement: PoolStatement, errors: LibsqlErrorClasses): Promise<LibsqlResultSet> {
  try {
    // Named arguments (an object) go to the driver as they are: the sqlite and libsql adapters take them.
    const result = await target.query<unknown[]>(statement.sql, statement.params as unknown[] | undefined, { rowMode: 'array' });
    return toResultSet(result, !isReadOnlySql(statement.sql));
  } catch (err) {
    throw errors.fromDriver(err);
  }
}

/** Statements one after another on one connection; the one that fails is named (LibsqlBatchError's statementIndex). */
export async function runBatch(target: StatementRunner, statements: readonly PoolStatement[], errors: LibsqlErrorClasses): Promise<LibsqlResultSet[]> {
  const results: LibsqlResultSet[] = [];
  for (let i = 0; i < statements.length; i++) {
    try {
      results.push(await runStatement(target, statements[i], errors));
    } catch (err) {
      throw errors.batchError(err, i);
    }
  }
  return results;
}

/**
 * A script of several statements, as libsql's executeMultiple (no results). On a sqlite: pool the
 * adapter runs a script whole (better-sqlite3's exec), so a script may hold its own BEGIN/COMMIT.
 * On a libsql pool it runs inside a savepoint on the lease (which takes the writer lane on an
 * embedded file), through the driver's own executeMultiple: atomic, and so a script there must
 * not hold BEGIN/COMMIT of its own (SQLite refuses a nested BEGIN with a clear error).
 */
export async function runScript(lease: PooledConnection, adapterName: string, sql: string, errors: LibsqlErrorClasses): Promise<void> {
  try {
    if (adapterName === 'sqlite') {
      await lease.query(sql);
      return;
    }
    const inTransaction = libsqlInTransaction(lease.raw as LibsqlConnection);
    await lease.query('SAVEPOINT lifeguard_script');
    try {
      await executeScriptIn(lease.raw as LibsqlConnection, sql);
    } catch (err) {
      await lease.query('ROLLBACK TO lifeguard_script');
      if (!inTransaction) await lease.query('ROLLBACK');
      throw err;
    }
    await lease.query('RELEASE lifeguard_script');
  } catch (err) {
    throw errors.fromDriver(err);
  }
}
