import type { Adapter } from '../../adapters/contract';
import type { ResolvedConfig } from '../config/types';
import { configSecrets } from '../config/config-secrets';
import { startDeadline, stopDeadline, withDeadline } from '../shared/deadline';
import { messageOf } from '../shared/message-of';
import { redactText } from '../shared/secret';
import type { Connection } from './connection';
import type { PoolStats } from './recorder';
import { PoolQueueFullError } from '../shared/errors';
import { utilizationOf } from './utilization';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthReport {
  /**
   * healthy: the liveness check passed and callers are served. degraded: the database answers but
   * the pool is at its critical utilization (utilizationCritical reached, or callers waiting that
   * it cannot serve: utilization.ts), a caller timed out in the last minute, or no connection came
   * free for the check. unhealthy: the database did not answer
   * (connect or liveness check failed or timed out), or the pool is closed.
   */
  status: HealthStatus;
  /** How long the check took, acquiring included, in milliseconds. */
  latencyMs: number;
  pool: PoolStats;
  /** What went wrong, when status is not healthy; never holds a password or token. */
  error?: string;
}

/** What the check reads of its pool; Pool implements it. */
export interface HealthCheckTarget {
  readonly name: string;
  readonly config: ResolvedConfig;
  readonly adapter: Pick<Adapter<unknown>, 'validate'>;
  readonly isClosed: boolean;
  /** The last connection failure while connections are failing; undefined once one opens. */
  readonly connectFailure: unknown;
  readonly recorder: { readonly lastTimeoutAt: number };
  /** Waiting callers the pool cannot serve (utilization.ts). */
  readonly unservedCallers: number;
  stats(): PoolStats;
  /** `probe`: a health check, not a caller: a full maxWaiting queue refuses it without counting it as a caller turned away. */
  acquireConnection(timeoutMs: number, signal?: AbortSignal, probe?: boolean): Promise<Connection>;
  releaseConnection(conn: Connection, err?: unknown): void;
}

/** A timeout in the last minute marks the pool degraded: callers are already being turned away. */
export const RECENT_TIMEOUT_MS = 60_000;

class HealthCheckTimeoutError extends Error {
  constructor(ms: number) {
    super(`liveness check did not answer within ${Math.round(ms)} ms`);
  }
}

/**
 * Runs the adapter's liveness check on a pooled connection, acquiring included bounded by
 * timeoutMs. Never throws: every failure becomes a report, with the error's message redacted.
 */
export async function checkHealth(pool: HealthCheckTarget, timeoutMs: number): Promise<HealthReport> {
  const started = performance.now();
  try {
    await validateOnce(pool, timeoutMs, started);
  } catch (err) {
    const message = redactText(messageOf(err), configSecrets(pool.config));
    return { status: failureStatus(pool, err), latencyMs: elapsed(started), pool: pool.stats(), error: message };
  }
  const stats = pool.stats();
  const why = degradation(pool, stats);
  return { status: why ? 'degraded' : 'healthy', latencyMs: elapsed(started), pool: stats, ...(why ? { error: why } : {}) };
}

async function validateOnce(pool: HealthCheckTarget, timeoutMs: number, started: number): Promise<void> {
  const conn = await acquireForCheck(pool, timeoutMs);
  let failure: unknown;
  try {
    const limitMs = Math.max(1, timeoutMs - (performance.now() - started));
    // A connection whose check never answered is not trusted again.
    await withDeadline(pool.adapter.validate(conn.raw), limitMs, () => {
      const error = new HealthCheckTimeoutError(limitMs);
      conn.broken ??= error;
      throw error;
    });
  } catch (err) {
    failure = err;
    // validate() throws only when the connection is dead: never hand this one out again.
    conn.broken ??= err;
    throw new LivenessCheckFailed(err);
  } finally {
    pool.releaseConnection(conn, failure);
  }
}

/**
 * Waits for a connection under the check's own deadline, through an abort signal rather than the
 * acquire timeout: a probe that finds the pool busy is not a caller turned away, so it must not
 * count in acquireTimeouts, fire acquireTimeout, or mark the pool degraded for the next minute.
 */
async function acquireForCheck(pool: HealthCheckTarget, timeoutMs: number): Promise<Connection> {
  const gaveUp = new AbortController();
  // At least 1 ms: a check asked to take no time at all still gives up (it never waits unbounded).
  const deadline = startDeadline(Math.max(1, timeoutMs), () => gaveUp.abort(new NoConnectionInTime(pool, timeoutMs)));
  try {
    return await pool.acquireConnection(0, gaveUp.signal, true);
  } finally {
    stopDeadline(deadline);
  }
}

/** No connection came within the check's time: saturated (degraded) or not opening (unhealthy). */
class NoConnectionInTime extends Error {
  readonly status: HealthStatus;

  constructor(pool: HealthCheckTarget, timeoutMs: number) {
    const failure = pool.connectFailure;
    const { active, pending } = pool.stats();
    const opening = failure !== undefined || active === 0;
    // Worded like PoolTimeoutError, which scripts and the CLI already match on.
    const head = `Pool "${pool.name}" could not provide a connection within ${timeoutMs} ms`;
    super(
      opening
        ? `${head}: none could be opened.` + (failure !== undefined ? ` Last connection failure: ${messageOf(failure)}` : '')
        : `${head}: every connection stayed busy (${active} in use, ${pending} callers waiting).`,
    );
    this.status = opening ? 'unhealthy' : 'degraded';
  }
}

class LivenessCheckFailed extends Error {
  constructor(cause: unknown) {
    super(`liveness check failed: ${messageOf(cause)}`, { cause });
  }
}

/**
 * A check that could not get a connection only because every one is busy says nothing against the
 * database: the pool is saturated (degraded). One that found no connection could be opened, or
 * whose liveness check failed, is unhealthy; so is a closed pool.
 */
function failureStatus(pool: HealthCheckTarget, err: unknown): HealthStatus {
  if (pool.isClosed) return 'unhealthy';
  if (err instanceof NoConnectionInTime) return err.status;
  // maxWaiting callers already queue for busy connections: saturated, not broken.
  if (err instanceof PoolQueueFullError) return 'degraded';
  return 'unhealthy';
}

/** Degraded by the utilization events' own rule and utilizationCritical, or by a recent timeout. */
function degradation(pool: HealthCheckTarget, stats: PoolStats): string | undefined {
  const critical = pool.config.utilizationCritical;
  const unserved = stats.pending > 0 ? pool.unservedCallers : 0;
  if (unserved > 0) {
    const why = pool.connectFailure !== undefined ? 'connections cannot be opened' : `the pool is at max (${stats.active} of ${stats.max} in use)`;
    return `${unserved} ${unserved === 1 ? 'caller is' : 'callers are'} waiting for a connection the pool cannot give them: ${why}`;
  }
  if (utilizationOf(stats.active, stats.max, 0) >= critical) {
    return `utilization ${Math.round(stats.utilization * 100)} % is at or above the critical ${Math.round(critical * 100)} %`;
  }
  const sinceTimeoutMs = Date.now() - pool.recorder.lastTimeoutAt;
  if (sinceTimeoutMs < RECENT_TIMEOUT_MS) return `a caller timed out waiting for a connection ${Math.round(sinceTimeoutMs / 1000)} s ago`;
  return undefined;
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
