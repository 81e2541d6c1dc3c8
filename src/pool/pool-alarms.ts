import type { EventEmitter } from 'eventemitter3';
import type { Logger, ResolvedConfig } from '../config/types';
import type { Connection } from './connection';
import type { PoolEvents } from './events';
import type { PoolRecorder } from './recorder';
import { UtilizationTracker, utilizationOf } from './utilization';

/** A loan, or one pipelined statement: what leak detection reads. */
export type LeakWatched = Pick<Connection, 'id' | 'borrowedAt' | 'acquiredBy' | 'leakReported'>;

const SQL_IN_EVENTS_MAX = 200;

/**
 * What a pool tells operators without being asked: slow queries, saturation and connections held
 * too long. Each alarm is an event plus a log line; none of them changes what the pool does.
 */
export class PoolAlarms {
  private readonly utilization: UtilizationTracker;

  constructor(
    private readonly pool: EventEmitter<PoolEvents> & { readonly name: string; readonly cannotConnect: boolean; readonly unservedCallers: number },
    private readonly config: ResolvedConfig,
    private readonly recorder: PoolRecorder,
    private readonly logger: Logger,
  ) {
    this.utilization = new UtilizationTracker({ warning: config.utilizationWarning, critical: config.utilizationCritical });
  }

  /** Above slowQueryMs a warning, above criticalQueryMs an error; the SQL truncated, never its parameters. */
  queryFinished(conn: Connection, sql: string, durationMs: number): void {
    const { slowQueryMs, criticalQueryMs } = this.config;
    if (slowQueryMs <= 0 || durationMs < slowQueryMs) return;
    const level = criticalQueryMs > 0 && durationMs >= criticalQueryMs ? 'critical' : 'warn';
    const text = sql.length > SQL_IN_EVENTS_MAX ? `${cutAt(sql, SQL_IN_EVENTS_MAX)}…` : sql;
    this.recorder.counters.slowQueries++;
    const event = { pool: this.pool.name, sql: text, durationMs: Math.round(durationMs), level, connectionId: conn.id } as const;
    this.pool.emit('slowQuery', event);
    if (level === 'critical') this.logger.error(event, 'lifeguard: critical slow query');
    else this.logger.warn(event, 'lifeguard: slow query');
  }

  /**
   * Called on every acquire and release, when a caller starts waiting, after a failed connection
   * attempt and by housekeeping: reports a change of utilization level, with hysteresis.
   */
  usageChanged(active: number, pending: number, now: number): void {
    const { max, utilizationWarning, utilizationCritical } = this.config;
    // The common case, on every acquire and release: a quiet pool staying quiet.
    if (this.utilization.level === 'normal' && pending === 0 && active < max * utilizationWarning) return;
    // The other common case, under load: a saturated pool staying saturated. Its utilization is at
    // least active / max whoever waits, so the level stays critical without counting the unserved.
    if (this.utilization.level === 'critical' && active / max >= utilizationCritical) return;
    const unserved = pending > 0 ? this.pool.unservedCallers : 0;
    const utilization = utilizationOf(active, max, unserved);
    const level = this.utilization.update(utilization, now);
    if (level === undefined) return;
    const event = { pool: this.pool.name, level, utilization, active, max, pending, unserved, cannotConnect: this.pool.cannotConnect };
    this.pool.emit('utilization', event);
    if (level === 'critical') this.logger.warn(event, 'lifeguard: pool utilization critical');
    else this.logger.info(event, `lifeguard: pool utilization ${level}`);
  }

  /** Reports, once per loan, each connection held longer than leakDetectionMs, with the stack that took it. */
  findLeaks(borrowed: Iterable<LeakWatched>, now: number): void {
    const { leakDetectionMs } = this.config;
    if (leakDetectionMs <= 0) return;
    for (const conn of borrowed) {
      const heldMs = now - conn.borrowedAt;
      if (conn.leakReported || heldMs < leakDetectionMs) continue;
      conn.leakReported = true;
      this.recorder.counters.leaks++;
      const event = { pool: this.pool.name, connectionId: conn.id, heldMs, stack: conn.acquiredBy };
      this.pool.emit('leak', event);
      this.logger.warn(event, 'lifeguard: connection held longer than leakDetectionMs (possible leak)');
    }
  }
}

/** The first `max` UTF-16 units of `text`, one fewer when the cut would split a surrogate pair (an emoji, say). */
export function cutAt(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
