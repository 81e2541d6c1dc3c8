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

/** Sends every measurement to several trackers: Prometheus and OpenTelemetry on one pool, say. */
class TrackerFanout implements MetricsTracker {
  constructor(readonly trackers: readonly MetricsTracker[]) {}

  recordCreate(durationMs: number): void {
    for (const t of this.trackers) t.recordCreate(durationMs);
  }

  recordWait(durationMs: number): void {
    for (const t of this.trackers) t.recordWait(durationMs);
  }

  recordUse(durationMs: number): void {
    for (const t of this.trackers) t.recordUse(durationMs);
  }

  recordOperation(durationMs: number): void {
    for (const t of this.trackers) t.recordOperation(durationMs);
  }
}

function installed(pool: Pool): readonly MetricsTracker[] {
  const current = pool.tracker;
  if (current === undefined) return [];
  return current instanceof TrackerFanout ? current.trackers : [current];
}

function setTrackers(pool: Pool, trackers: readonly MetricsTracker[]): void {
  pool.tracker = trackers.length === 0 ? undefined : trackers.length === 1 ? trackers[0] : new TrackerFanout(trackers);
}

/**
 * Installs a tracker on a pool beside any already there; returns the function that removes it.
 * Measurements taken before installation are not replayed (stats() keeps the recent window).
 */
export function installMetricsTracker(pool: Pool, tracker: MetricsTracker): () => void {
  setTrackers(pool, [...installed(pool), tracker]);
  return () => setTrackers(pool, installed(pool).filter((t) => t !== tracker));
}
