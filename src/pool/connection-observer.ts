import type { Connection, DestroyReason } from './connection';

/**
 * What a data-layer facade learns about each connection of a pool, with the connection itself:
 * pg.Pool's 'connect', 'remove' and 'error' events carry the client, and its onConnect hook sets
 * each new client up before anyone gets it. lifeguard/pg installs one with
 * `pool.observeConnections(observer)`; the pool never knows who listens.
 */
export interface ConnectionObserver {
  /**
   * A connection opened. Awaited before it is lent: what the observer runs on it comes first. A
   * rejection closes the connection and counts as a failed attempt (backoff, then another try).
   */
  opened?(conn: Connection): void | Promise<void>;
  /** A connection was closed and is gone from the pool. */
  closed?(conn: Connection, reason: DestroyReason): void;
  /** The driver reported an error on a connection: idle, or in use when `conn.borrowedAt` is not 0. */
  failed?(conn: Connection, err: unknown): void;
}
