import type { DestroyReason } from './connection';

/**
 * Every event a pool emits, with its payload. Payloads carry the pool's name and never a password,
 * a token or query parameters.
 */
export interface PoolEvents {
  connect: (e: { pool: string; connectionId: number; durationMs: number }) => void;
  /** Opening a connection took at least slowConnectMs (`durationMs`: the attempt, backoff waits excluded). */
  slowConnect: (e: { pool: string; connectionId: number; durationMs: number; slowConnectMs: number }) => void;
  acquire: (e: { pool: string; connectionId: number; waitMs: number }) => void;
  release: (e: { pool: string; connectionId: number; useMs: number }) => void;
  destroy: (e: { pool: string; connectionId: number; reason: DestroyReason; error?: Error }) => void;
  createError: (e: { pool: string; error: Error; attempt: number; consecutiveFailures: number }) => void;
  acquireTimeout: (e: { pool: string; waitedMs: number; pending: number; error: Error }) => void;
  slowQuery: (e: { pool: string; sql: string; durationMs: number; level: 'warn' | 'critical'; connectionId: number }) => void;
  leak: (e: { pool: string; connectionId: number; heldMs: number; stack: string | undefined }) => void;
  /**
   * The utilization level changed. `utilization` is active / max, or 1 while `unserved` callers
   * wait that the pool cannot serve (at max, or `cannotConnect`); `level` is what that share is
   * by utilizationWarning and utilizationCritical.
   */
  utilization: (e: {
    pool: string;
    level: 'normal' | 'warning' | 'critical';
    utilization: number;
    active: number;
    max: number;
    pending: number;
    /** Waiting callers no idle, opening or still-openable connection will serve; all of them while connections cannot be opened. */
    unserved: number;
    /** The pool's last attempt to open a connection failed. */
    cannotConnect: boolean;
  }) => void;
  error: (e: { pool: string; error: Error; context: string }) => void;
  /** A read replica failed its health check or could not be reached; reads go elsewhere. */
  replicaDown: (e: { pool: string; replica: string; url: string; error: Error }) => void;
  /** A read replica passed its health check again and takes reads. */
  replicaUp: (e: { pool: string; replica: string; url: string }) => void;
  /** Which pool served a read (`pool.reader()`, `query(..., { readOnly: true })`); only emitted while someone listens. */
  readRouted: (e: ReadRoutedEvent) => void;
}

export type PoolEventName = keyof PoolEvents;

/** Which pool served a read: a replica's pool name, or the primary's with `fallback` true. */
export interface ReadRoutedEvent {
  pool: string;
  servedBy: string;
  fallback: boolean;
}
