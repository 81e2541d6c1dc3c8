export type UtilizationLevel = 'normal' | 'warning' | 'critical';

export interface UtilizationThresholds {
  /** utilizationWarning and utilizationCritical: shares of max, 0..1. */
  warning: number;
  critical: number;
}

/** Falling is reported only this far (in share of max) under the line, at most half the warning line... */
const HYSTERESIS = 0.1;
/** ...and no sooner than this long after the level was raised. */
const HOLD_MS = 5000;

/**
 * Utilization as the alarms and the health check judge it: `active / max`, except that callers
 * the pool cannot serve make it 100 %. Those are the callers that no idle, opening or
 * still-openable connection will serve (the pool is at max and they wait for a release), or,
 * while the pool cannot open connections, every waiting caller. Callers waiting for connections
 * being opened below max are not counted: a pool still opening its first connections is not
 * saturated, however many callers briefly wait for them.
 */
export function utilizationOf(active: number, max: number, unserved: number): number {
  return unserved > 0 ? 1 : active / max;
}

/** The level a utilization is at, by the thresholds alone. */
export function levelOf(utilization: number, thresholds: UtilizationThresholds): UtilizationLevel {
  return utilization >= thresholds.critical ? 'critical' : utilization >= thresholds.warning ? 'warning' : 'normal';
}

const LINE = (level: UtilizationLevel, t: UtilizationThresholds) => (level === 'critical' ? t.critical : t.warning);

/**
 * Tracks the level with hysteresis, so a pool hovering at a line reports one change, not one per
 * acquire. Rising is reported at once. Falling is reported once utilization is well under the
 * line of the level it held (by 10 points, or half the warning line when that is lower) and the
 * level has been held for 5 s. Every level reported is levelOf() of the utilization reported with
 * it: the event's level and utilization always agree.
 */
export class UtilizationTracker {
  level: UtilizationLevel = 'normal';
  private raisedAt = 0;
  private readonly hysteresis: number;

  constructor(private readonly thresholds: UtilizationThresholds) {
    this.hysteresis = Math.min(HYSTERESIS, thresholds.warning / 2);
  }

  /** The new level when it changed, else undefined. */
  update(utilization: number, now: number): UtilizationLevel | undefined {
    const measured = levelOf(utilization, this.thresholds);
    if (measured === this.level) return undefined;
    const rising = measured === 'critical' || this.level === 'normal';
    if (!rising) {
      if (now - this.raisedAt < HOLD_MS || utilization >= LINE(this.level, this.thresholds) - this.hysteresis) return undefined;
    }
    this.level = measured;
    this.raisedAt = now;
    return measured;
  }
}
