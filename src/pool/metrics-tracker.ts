import type { Pool } from './pool';

/**
 * The one seam between the pool and a metrics backend (HikariCP's metrics tracker). The pool calls
 * these only when a tracker is installed — `pool.tracker?.recordWait(ms)` — so a pool without
 * metrics pays one property read per measurement and allocates nothing. Durations are in
 * milliseconds; backends convert to their own unit.
 */
export interface MetricsTracker {
  /** A connection was opened; how long connecting took. */
  recordCreate(durationMs: number): void;
  /** A caller got a connection; how long it waited. */
  recordWait(durationMs: number): void;
  /** A connection came back; how long its holder kept it. */
  recordUse(durationMs: number): void;
  /** A query finished (or failed); how long it ran. */
  recordOperation(durationMs: number): void;
}

/**
 * What the pool actually holds: the installed trackers behind one guard. A tracker is called in
 * the middle of lending or returning a connection, so one that throws must not unwind that (the
 * connection would be lost to the pool): its error goes to the pool's `error` event instead.
 */
class GuardedTrackers implements MetricsTracker {
  constructor(
    readonly trackers: readonly MetricsTracker[],
    private readonly pool: Pool,
  ) {}

  recordCreate(durationMs: number): void {
    for (const t of this.trackers) {
      try {
        t.recordCreate(durationMs);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  recordWait(durationMs: number): void {
    for (const t of this.trackers) {
      try {
        t.recordWait(durationMs);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  recordUse(durationMs: number): void {
    for (const t of this.trackers) {
      try {
        t.recordUse(durationMs);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  recordOperation(durationMs: number): void {
    for (const t of this.trackers) {
      try {
        t.recordOperation(durationMs);
      } catch (err) {
        this.fail(err);
      }
    }
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.pool.emit('error', { pool: this.pool.name, error, context: 'metrics tracker' });
  }
}

function installed(pool: Pool): readonly MetricsTracker[] {
  const current = pool.tracker;
  return current instanceof GuardedTrackers ? current.trackers : [];
}

function setTrackers(pool: Pool, trackers: readonly MetricsTracker[]): void {
  pool.tracker = trackers.length === 0 ? undefined : new GuardedTrackers(trackers, pool);
}

/**
 * Installs a tracker on a pool beside any already there; returns the function that removes it.
 * Measurements taken before installation are not replayed (stats() keeps the recent window).
 */
export function installMetricsTracker(pool: Pool, tracker: MetricsTracker): () => void {
  setTrackers(pool, [...installed(pool), tracker]);
  return () => setTrackers(pool, installed(pool).filter((t) => t !== tracker));
}
