import type { Connection } from './connection';
import { ConnectionError, LifeguardError } from '../shared/errors';

/**
 * What a caller sees when the driver failed a statement because its connection is gone. pg says
 * so in plain words without a code ("Client has encountered a connection error and is not
 * queryable", "Connection terminated unexpectedly"), which no program can branch on: such an
 * error becomes a ConnectionError (CONNECTION_FAILED) with the driver's error as its cause.
 * Errors with a code (a SQLSTATE, a MySQL or socket code) are the database's own and pass as they are.
 */
export function connectionLossError(conn: Connection, err: unknown): unknown {
  if (conn.broken === undefined || err instanceof LifeguardError || hasCode(err)) return err;
  const message = typeof (err as { message?: unknown } | null)?.message === 'string' ? (err as Error).message : String(err);
  return new ConnectionError(`Connection ${conn.id} was lost: ${message}`, err);
}

function hasCode(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && code !== '') || typeof code === 'number';
}
