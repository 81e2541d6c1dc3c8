import { isReadOnlySql } from '../../pool/writer-lane';
import type { LibsqlErrorClasses } from './errors';
import type { PoolStatement } from './statement';

const MAX_SQL_IN_MESSAGE = 120;

/**
 * libsql's "read" mode accepts only reads (@libsql/client's TransactionMode). Its embedded engine
 * does not enforce that (a write in a "read" batch on a local file commits, measured with
 * @libsql/client 0.18 / libsql 0.5.29), and a read transaction here runs outside the writer lane
 * (BEGIN DEFERRED on sqlite:), so lifeguard checks every statement itself, with the lane's own
 * classifier: SQL it cannot classify counts as a write. Checked before anything runs, so a
 * refused batch has written nothing.
 */
export function refuseWritesInRead(statements: readonly PoolStatement[], where: string, errors: LibsqlErrorClasses): void {
  for (let i = 0; i < statements.length; i++) {
    if (!isReadOnlySql(statements[i].sql)) throw writeInRead(statements[i].sql, where, errors, i);
  }
}

/** The same refusal for one statement of a "read" transaction. */
export function refuseWriteInRead(statement: PoolStatement, where: string, errors: LibsqlErrorClasses): void {
  if (!isReadOnlySql(statement.sql)) throw writeInRead(statement.sql, where, errors);
}

function writeInRead(sql: string, where: string, errors: LibsqlErrorClasses, index?: number): Error {
  const text = sql.length > MAX_SQL_IN_MESSAGE ? `${sql.slice(0, MAX_SQL_IN_MESSAGE)}…` : sql;
  const which = index === undefined ? 'the statement' : `statement ${index}`;
  const message = `${where} accepts only reads (SELECT, VALUES, EXPLAIN, WITH ... SELECT, PRAGMA without =), and ${which} "${text}" is not one (SQL that cannot be classified counts as a write); nothing was run. Use mode "write" or "deferred".`;
  return index === undefined ? errors.error(message, 'SQLITE_READONLY') : errors.statementError(message, index, 'SQLITE_READONLY');
}

/** executeMultiple() in a "read" transaction: a script is not classified statement by statement, so it counts as a write. */
export function refuseScriptInRead(errors: LibsqlErrorClasses): void {
  throw errors.error(
    'A "read" transaction accepts only reads, and executeMultiple() runs a script lifeguard does not classify statement by statement (so it counts as a write); nothing was run. Use a "write" or "deferred" transaction.',
    'SQLITE_READONLY',
  );
}
