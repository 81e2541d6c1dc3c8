import type { PoolStats } from './stats';
import type { Pool } from './pool';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthReport {
  status: HealthStatus;
  latencyMs: number;
  pool: PoolStats;
  error?: string;
}

/** A timeout in the last minute marks the pool degraded: callers are already being turned away. */
const RECENT_TIMEOUT_MS = 60_000;

/**
 * Runs the adapter's liveness check on a pooled connection, bounded by timeoutMs. Never throws:
 * a failure is an `unhealthy` report with the error's message (which never holds a secret).
 */
export async function checkHealth(pool: Pool, timeoutMs: number): Promise<HealthReport> {
  const started = performance.now();
  try {
    const conn = await pool.acquireConnection(timeoutMs);
    let failure: unknown;
    try {
      await withTimeout(pool.adapter.validate(conn.raw), Math.max(1, timeoutMs - (performance.now() - started)));
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      pool.releaseConnection(conn, failure);
    }
  } catch (err) {
    return { status: 'unhealthy', latencyMs: elapsed(started), pool: pool.stats(), error: err instanceof Error ? err.message : String(err) };
  }
  const stats = pool.stats();
  const degraded =
    stats.utilization >= 0.95 || stats.pending > 0 || Date.now() - pool.recorder.lastTimeoutAt < RECENT_TIMEOUT_MS;
  return { status: degraded ? 'degraded' : 'healthy', latencyMs: elapsed(started), pool: stats };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`health check timed out after ${Math.round(ms)} ms`)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
