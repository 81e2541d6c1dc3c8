import type { Adapter } from '../../adapters/contract';
import { retirementReason, type Connection } from './connection';
import type { Engine } from './engine/generic-pool-engine';
import { withQueryDeadline } from './statement-deadline';

/** How long a check may take when connectTimeoutMs is 0 (no limit): a check must never hang. */
const UNBOUNDED_CHECK_LIMIT_MS = 5000;
/** HikariCP's variance: each connection is due up to 10 % early, so those opened together spread out. */
const JITTER_SHARE = 0.1;

export interface KeepaliveOptions {
  keepaliveMs: number;
  /** Bounds each check, like the validation on acquire (0: UNBOUNDED_CHECK_LIMIT_MS). */
  connectTimeoutMs: number;
  maxUses: number;
  /** A check that failed, told to the pool's `error` listeners (already redacted by the caller's rules). */
  reportFailure(err: unknown): void;
  /** Drivers echo secrets in some errors; the error kept on the connection is redacted with this. */
  redact(err: unknown): unknown;
}

interface KeepaliveState {
  /** This connection's share of the variance, drawn once. */
  earlyMs: number;
  /** Date.now() of its last check that passed; 0 before the first. */
  checkedAt: number;
}

/**
 * Idle keepalive (keepaliveMs; HikariCP's keepaliveTime). A NAT, load balancer or firewall that
 * forgets a quiet TCP connection does it silently: the next caller's query on it hangs until a
 * timeout. With keepaliveMs set, an idle connection unused (and unchecked) for that long is taken
 * out of the idle list, so no caller can be handed it meanwhile, checked with the adapter's
 * liveness check, and put back. Its traffic is what keeps the path's state alive. One that fails
 * is destroyed (reason `keepalive`), and generic-pool opens its replacement to keep `min` before any
 * caller can meet the dead one.
 *
 * Spread out, never all at once: each connection is due keepaliveMs after its last use or check,
 * minus its own random 0–10 %; the pool checks one connection at a time, the next as soon as the
 * previous is done; a tick every tenth of keepaliveMs (at most 1 s) finds those that came due.
 * The check does not count as use: idleTimeoutMs still closes idle connections above `min`.
 */
export class Keepalive {
  private readonly states = new WeakMap<Connection, KeepaliveState>();
  private readonly ticker: NodeJS.Timeout;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly engine: Pick<Engine<unknown>, 'takeIdleWhere' | 'give' | 'retire'>,
    private readonly adapter: Pick<Adapter<unknown>, 'validate'>,
    private readonly options: KeepaliveOptions,
  ) {
    const tickMs = Math.min(1000, Math.max(10, Math.floor(options.keepaliveMs / 10)));
    this.ticker = setInterval(() => this.checkNextDue(), tickMs);
    // A pool keeping its connections alive must never be the reason a process stays alive.
    this.ticker.unref();
  }

  /** Stops checking; resolves when the check under way (if any) has put its connection back or retired it. */
  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    return this.checking ?? Promise.resolve();
  }

  private checkNextDue(): void {
    if (this.checking !== undefined || this.stopped) return;
    const now = Date.now();
    const conn = this.engine.takeIdleWhere((candidate) => this.isDue(candidate, now));
    if (conn === undefined) return;
    this.checking = this.check(conn).finally(() => {
      this.checking = undefined;
      // Others may have come due meanwhile: one after another, never two at once.
      this.checkNextDue();
    });
  }

  private isDue(conn: Connection, now: number): boolean {
    // An expired one is the evictor's to retire; checking it would be a wasted round-trip.
    if (retirementReason(conn, this.options.maxUses, now) !== undefined) return false;
    let state = this.states.get(conn);
    if (state === undefined) {
      state = { earlyMs: Math.random() * JITTER_SHARE * this.options.keepaliveMs, checkedAt: 0 };
      this.states.set(conn, state);
    }
    return now - Math.max(conn.lastUsedAt, state.checkedAt) >= this.options.keepaliveMs - state.earlyMs;
  }

  private async check(conn: Connection): Promise<void> {
    const limitMs = this.options.connectTimeoutMs > 0 ? this.options.connectTimeoutMs : UNBOUNDED_CHECK_LIMIT_MS;
    try {
      await withQueryDeadline(conn, this.adapter.validate(conn.raw), limitMs);
    } catch (err) {
      conn.broken ??= this.options.redact(err);
      this.engine.retire(conn, 'keepalive');
      this.options.reportFailure(err);
      return;
    }
    const state = this.states.get(conn);
    if (state) state.checkedAt = Date.now();
    // The pool closed during the check: the connection goes with the others.
    if (this.stopped) this.engine.retire(conn, 'drain');
    else this.engine.give(conn);
  }
}
