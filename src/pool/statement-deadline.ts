import { withDeadline } from '../shared/deadline';
import { QueryTimeoutError } from '../shared/errors';
import type { Connection } from './connection';

/** How long past statementTimeoutMs the pool waits for the server's own cancellation before it gives up on the connection. */
const STATEMENT_TIMEOUT_GRACE_MS = 1000;

/**
 * statementTimeoutMs is enforced by the server, which cancels the statement and keeps the
 * connection. A server that stopped answering (a dropped network path) cancels nothing, so the
 * pool gives up on its own a little later and destroys the connection: no caller and no slot
 * waits forever on a silent socket. 0 when statementTimeoutMs is off.
 */
export function clientStatementTimeoutMs(statementTimeoutMs: number): number {
  return statementTimeoutMs > 0 ? statementTimeoutMs + Math.min(statementTimeoutMs, STATEMENT_TIMEOUT_GRACE_MS) : 0;
}

/**
 * Rejects with QueryTimeoutError when `running` has not settled within timeoutMs, and marks the
 * connection broken: the statement may still be running on the server, so the connection cannot
 * be trusted with another one. `cancel` then asks the server to stop it: destroying the
 * connection alone would leave the statement running, holding its locks, until it ends by itself.
 */
export function withQueryDeadline<T>(conn: Connection, running: Promise<T>, timeoutMs: number, cancel?: (conn: Connection) => void): Promise<T> {
  return withDeadline(running, timeoutMs, () => {
    conn.broken ??= new QueryTimeoutError(timeoutMs);
    cancel?.(conn);
    throw new QueryTimeoutError(timeoutMs);
  });
}
