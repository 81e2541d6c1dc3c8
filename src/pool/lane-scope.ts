import { AsyncLocalStorage } from 'node:async_hooks';
import type { Connection } from './connection';
import type { WriterLane } from './writer-lane';

/**
 * The self-deadlock rule. Code that runs inside a write transaction on an embedded file (the fn
 * of pool.transaction, or of withConnection once its lease holds the lane) and sends a write
 * through another call — pool.query, pool.transaction, another lease — would wait for the lane
 * its own transaction holds, until the acquire timeout (forever with acquireTimeoutMs 0). The
 * pool knows it is such code by an AsyncLocalStorage scope set around fn, and refuses that write
 * at once instead (WriterLaneDeadlockError).
 *
 * Only code whose fn the pool calls has a scope: a data layer that begins a transaction on a lease
 * and calls its user's code itself (Drizzle's db.transaction over libsqlClient, Kysely's) is not
 * seen — there a mistaken write through the pool waits out the acquire timeout, and its
 * PoolTimeoutError names the lane's holder.
 */
const scope = new AsyncLocalStorage<{ conn: Connection; loan: number }>();

/** Runs fn inside the scope of the current loan of `conn`. */
export function runInLaneScope<T>(conn: Connection, fn: () => Promise<T>): Promise<T> {
  return scope.run({ conn, loan: conn.uses }, fn);
}

/**
 * True when the calling code runs inside a scope whose loan still holds `lane`. The loan is
 * checked, not only the connection: after the scope's transaction ended, the same connection may
 * hold the lane again for someone else, whom a late call from the old scope may wait for.
 */
export function callerHoldsLane(lane: WriterLane): boolean {
  const inside = scope.getStore();
  if (inside === undefined) return false;
  const { conn, loan } = inside;
  return conn.uses === loan && conn.borrowedAt !== 0 && conn.laneHold?.lane === lane;
}
