export type UtilizationLevel = 'normal' | 'warning' | 'critical';

export interface UtilizationThresholds {
  warning: number;
  critical: number;
  /** A level clears only once utilization falls this far below its threshold. */
  hysteresis: number;
}

export const DEFAULT_THRESHOLDS: UtilizationThresholds = { warning: 0.8, critical: 0.95, hysteresis: 0.1 };

/**
 * Tracks the pool's utilization level with hysteresis, so a pool hovering at 80 % reports one
 * change, not one per acquire. Waiters count as full utilization: someone is already queueing.
 */
export class UtilizationTracker {
  level: UtilizationLevel = 'normal';

  constructor(private readonly thresholds: UtilizationThresholds = DEFAULT_THRESHOLDS) {}

  /** The new level when it changed, else undefined. */
  update(active: number, max: number, pending: number): UtilizationLevel | undefined {
    const u = pending > 0 ? 1 : active / max;
    const { warning, critical, hysteresis } = this.thresholds;
    let next: UtilizationLevel = this.level;
    if (u >= critical) next = 'critical';
    else if (this.level === 'critical' && u >= critical - hysteresis) next = 'critical';
    else if (u >= warning) next = 'warning';
    else if (this.level !== 'normal' && u >= warning - hysteresis) next = 'warning';
    else next = 'normal';
    if (next === this.level) return undefined;
    this.level = next;
    return next;
  }
}
