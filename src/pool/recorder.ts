import type { DestroyReason } from './connection';
import { SampleWindow, type Percentiles } from './sample-window';

export interface PoolCounters {
  created: number;
  destroyed: Record<DestroyReason, number>;
  acquires: number;
  acquireTimeouts: number;
  createErrors: number;
  validationFailures: number;
  queueFull: number;
  slowQueries: number;
  leaks: number;
  slowConnects: number;
}

/** A synchronous snapshot of a pool. */
export interface PoolStats {
  name: string;
  /** Open connections plus those being opened. */
  total: number;
  active: number;
  idle: number;
  /** Callers waiting for a connection. */
  pending: number;
  opening: number;
  min: number;
  max: number;
  /** active / max, 0..1. */
  utilization: number;
  closed: boolean;
  counters: PoolCounters;
  waitMs: Percentiles;
  queryMs: Percentiles;
  useMs: Percentiles;
  connectMs: Percentiles;
  /** Lifetime sums and counts behind the percentiles, for metrics exporters. */
  totals: Record<'waitMs' | 'queryMs' | 'useMs' | 'connectMs', { sum: number; count: number }>;
  /** Present when the pool has read replicas: each one's state and which reads went where. */
  reads?: ReadRoutingStats;
  /**
   * PostgreSQL with pipelineDepth > 0: connections shared by pipelined pool.query statements (they
   * count as active), statements in flight on them, statements waiting for a place, and statements
   * sent pipelined since the pool opened.
   */
  pipeline?: PipelineStats;
}

export interface PipelineStats {
  connections: number;
  statements: number;
  waiting: number;
  sent: number;
}

/** One replica as the read router sees it. */
export interface ReplicaStats {
  /** The replica pool's name: `<pool>:replica-<n>`, its pool_name in events and metrics. */
  name: string;
  /** The replica's URL, password masked. */
  url: string;
  healthy: boolean;
  /** Reads this replica served. */
  reads: number;
  /** Times it was taken out (failed health check or unreachable during a read). */
  failures: number;
  /** Why it was last taken out (never holds a secret). */
  lastError?: string;
  /** Replication lag at the last check, where maxReplicaLagMs is set and the adapter can measure it. */
  lagMs?: number;
  pool: PoolStats;
}

export interface ReadRoutingStats {
  replicas: ReplicaStats[];
  /** Reads sent to the primary because no replica was healthy. */
  primaryFallbackReads: number;
}

/** The counters and duration windows a pool keeps; every update is O(1). */
export class PoolRecorder {
  readonly counters: PoolCounters = {
    created: 0,
    destroyed: { idle: 0, lifetime: 0, maxUses: 0, broken: 0, validation: 0, keepalive: 0, drain: 0, transaction: 0 },
    acquires: 0,
    acquireTimeouts: 0,
    createErrors: 0,
    validationFailures: 0,
    queueFull: 0,
    slowQueries: 0,
    leaks: 0,
    slowConnects: 0,
  };
  readonly wait = new SampleWindow();
  readonly query = new SampleWindow();
  readonly use = new SampleWindow();
  readonly connect = new SampleWindow(256);
  /** Date.now() of the last acquire timeout; health reports degraded shortly after one. */
  lastTimeoutAt = 0;

  snapshotCounters(): PoolCounters {
    return { ...this.counters, destroyed: { ...this.counters.destroyed } };
  }

  totals(): PoolStats['totals'] {
    const of = (w: SampleWindow) => ({ sum: w.total, count: w.count });
    return { waitMs: of(this.wait), queryMs: of(this.query), useMs: of(this.use), connectMs: of(this.connect) };
  }
}
