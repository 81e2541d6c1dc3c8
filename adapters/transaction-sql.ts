import type { TransactionOptions } from './contract';
import { ConfigError } from '../src/shared/errors';

const ISOLATION_LEVELS = new Set(['read uncommitted', 'read committed', 'repeatable read', 'serializable']);

/** The isolation level in SQL, checked against the four the standard names (it is spliced into SQL). */
export function isolationSql(opts: TransactionOptions): string | undefined {
  const level = opts.isolationLevel;
  if (level === undefined) return undefined;
  if (!ISOLATION_LEVELS.has(level)) {
    throw new ConfigError('isolationLevel', `isolationLevel ${JSON.stringify(level)} is not one of: ${[...ISOLATION_LEVELS].join(', ')}.`);
  }
  return level.toUpperCase();
}

/** PostgreSQL takes everything in one statement: BEGIN ISOLATION LEVEL ... READ ONLY. */
export function postgresBeginSql(opts: TransactionOptions): string {
  const level = isolationSql(opts);
  return ['BEGIN', level ? `ISOLATION LEVEL ${level}` : '', opts.readOnly ? 'READ ONLY' : ''].filter(Boolean).join(' ');
}

/**
 * MySQL/MariaDB set the level for the next transaction only with SET TRANSACTION (no SESSION),
 * then START TRANSACTION [READ ONLY].
 */
export function mysqlBeginSql(opts: TransactionOptions): string[] {
  const level = isolationSql(opts);
  const statements = level ? [`SET TRANSACTION ISOLATION LEVEL ${level}`] : [];
  statements.push(opts.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
  return statements;
}
