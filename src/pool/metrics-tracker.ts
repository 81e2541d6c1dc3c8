/**
 * The one seam between the pool and a metrics backend (HikariCP's metrics tracker). The pool calls
 * these only when a tracker is installed — `trackers.current?.recordWait(ms)` — so a pool without
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

/** A pool that metrics backends can install a tracker on; Pool implements it. */
export interface Trackable {
  /** Installs a tracker beside any already there; returns the function that removes it. */
  addTracker(tracker: MetricsTracker): () => void;
}

/**
 * The trackers installed on one pool. A tracker is called in the middle of lending or returning a
 * connection, so one that throws must not unwind that (the connection would be lost to the pool):
 * its error goes to `onError` (the pool's `error` event) instead, and the other trackers still run.
 */
export class TrackerList {
  /** What the pool calls: undefined while no tracker is installed. */
  current: MetricsTracker | undefined;
  private trackers: readonly MetricsTracker[] = [];

  constructor(private readonly onError: (err: unknown) => void) {}

  add(tracker: MetricsTracker): () => void {
    this.set([...this.trackers, tracker]);
    return () => this.set(this.trackers.filter((t) => t !== tracker));
  }

  private set(trackers: readonly MetricsTracker[]): void {
    this.trackers = trackers;
    if (trackers.length === 0) {
      this.current = undefined;
      return;
    }
    // One guard for the four measurements; each still reads its method by name (t.recordWait),
    // which stays a monomorphic load on the acquire/release path, unlike t[measure].
    const guard = (measure: (this: MetricsTracker, durationMs: number) => void, tracker: MetricsTracker, durationMs: number) => {
      try {
        measure.call(tracker, durationMs);
      } catch (err) {
        this.onError(err);
      }
    };
    this.current = {
      recordCreate: (ms) => {
        for (const t of trackers) guard(t.recordCreate, t, ms);
      },
      recordWait: (ms) => {
        for (const t of trackers) guard(t.recordWait, t, ms);
      },
      recordUse: (ms) => {
        for (const t of trackers) guard(t.recordUse, t, ms);
      },
      recordOperation: (ms) => {
        for (const t of trackers) guard(t.recordOperation, t, ms);
      },
    };
  }
}

/**
 * Installs a tracker on a pool beside any already there; returns the function that removes it.
 * Measurements taken before installation are not replayed (stats() keeps the recent window).
 */
export function installMetricsTracker(pool: Trackable, tracker: MetricsTracker): () => void {
  return pool.addTracker(tracker);
}
