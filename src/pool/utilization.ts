export type UtilizationLevel = 'normal' | 'warning' | 'critical';

export interface UtilizationThresholds {
  warning: number;
  critical: number;
  /** A level clears only once utilization falls this far below its threshold... */
  hysteresis: number;
  /** ...and no sooner than this long after it was raised. */
  holdMs: number;
}

export const DEFAULT_THRESHOLDS: UtilizationThresholds = { warning: 0.8, critical: 0.95, hysteresis: 0.1, holdMs: 5000 };

const RANK: Record<UtilizationLevel, number> = { normal: 0, warning: 1, critical: 2 };

/**
 * Tracks the pool's utilization level with hysteresis, so a pool hovering at a line reports one
 * change, not one per acquire. Rising is reported at once; falling only once utilization is well
 * below the line and the level has been held for holdMs. Waiters count as full utilization:
 * someone is already queueing.
 */
export class UtilizationTracker {
  level: UtilizationLevel = 'normal';
  private raisedAt = 0;

  constructor(private readonly thresholds: UtilizationThresholds = DEFAULT_THRESHOLDS) {}

  /** The new level when it changed, else undefined. */
  update(active: number, max: number, pending: number, now: number): UtilizationLevel | undefined {
    // The common case, on every acquire and release: a quiet pool staying quiet.
    if (this.level === 'normal' && pending === 0 && active < max * this.thresholds.warning) return undefined;
    const u = pending > 0 ? 1 : active / max;
    const { warning, critical, hysteresis, holdMs } = this.thresholds;
    const measured: UtilizationLevel = u >= critical ? 'critical' : u >= warning ? 'warning' : 'normal';
    if (RANK[measured] > RANK[this.level]) {
      this.level = measured;
      this.raisedAt = now;
      return measured;
    }
    if (RANK[measured] === RANK[this.level] || now - this.raisedAt < holdMs) return undefined;
    const clearedTo: UtilizationLevel = u >= critical - hysteresis ? 'critical' : u >= warning - hysteresis ? 'warning' : 'normal';
    if (RANK[clearedTo] >= RANK[this.level]) return undefined;
    this.level = clearedTo;
    this.raisedAt = now;
    return clearedTo;
  }
}
