import { PoolClosedError, PoolTimeoutError, WriterLaneDeadlockError } from '../shared/errors';
import type { Connection } from './connection';
import { callerHoldsLane } from './lane-scope';
import type { LaneHolder, LeaveLane, WriterLane } from './writer-lane';

/** What the lane needs from its pool. */
export interface PoolLaneHost {
  readonly name: string;
  readonly acquireTimeoutMs: number;
  readonly stopped: boolean;
  /** Takes a connection: synchronously when one is idle and nobody waits, else a promise. */
  takeConnection(timeoutMs: number, signal?: AbortSignal): Connection | Promise<Connection>;
  giveBack(conn: Connection, err?: unknown): void;
  /** The driver's word on whether the connection is inside a transaction; undefined when it cannot tell. */
  inTransaction(conn: Connection): boolean | undefined;
  /** The queue-full error (counted) when the connection waiters and `laneWaiting` reach maxWaiting, else undefined. */
  queueFull(laneWaiting: number): Error | undefined;
  /** Counts and reports the timeout as an acquire timeout (event, counters). */
  timedOut(error: PoolTimeoutError): PoolTimeoutError;
}

/**
 * How one pool's callers take the writer lane of its embedded file. The rule:
 * - pool.query of a write and a write transaction() take the lane before a connection (so
 *   queued writers hold no connection that readers could use). When no connection is idle they
 *   give the lane back while they wait for one, then queue for it again: a lane holder waiting
 *   for a connection that lane waiters hold would wait forever.
 * - A lease (acquire(), withConnection) takes it at its first statement that is not a plain read
 *   (BEGIN, SAVEPOINT, INSERT/UPDATE/DELETE, DDL, anything not recognised) and keeps it while the
 *   driver reports an open transaction, else gives it back after the statement; release() always
 *   gives it back, after the rollback of a transaction left open.
 * - Waits are bounded by the acquire timeout, counted in stats().pending, and bounded with the
 *   connection waiters by maxWaiting; an already-aborted signal is refused at once.
 * - A write from code running inside the holder's own transaction fails at once (lane-scope.ts).
 */
export class PoolLane {
  /** This pool's callers waiting for the lane (the lane may be shared with other pools on the file). */
  waiting = 0;

  constructor(
    readonly lane: WriterLane,
    private readonly host: PoolLaneHost,
  ) {}

  /** A connection holding the lane for the whole loan, for a write known before it starts. */
  async acquireWriter(timeoutMs: number, signal?: AbortSignal): Promise<Connection> {
    const startedAt = Date.now();
    const holder = this.holder();
    let leave = await this.enter(holder, timeoutMs, signal, startedAt);
    let conn: Connection;
    const taken = this.takeOrLeave(leave, timeoutMs, startedAt, signal);
    if (taken instanceof Promise) {
      conn = await taken;
      try {
        leave = await this.enter(holder, remaining(timeoutMs, startedAt), signal, startedAt);
      } catch (err) {
        this.host.giveBack(conn);
        throw err;
      }
    } else conn = taken;
    this.hold(conn, holder, leave, true);
    return conn;
  }

  /** Before a lease's statement that may write: its connection joins the lane, unless it is there already. */
  async enterFor(conn: Connection): Promise<void> {
    if (conn.laneHold !== undefined) return;
    const holder = this.holder();
    const leave = await this.enter(holder, this.host.acquireTimeoutMs, undefined, Date.now());
    this.hold(conn, holder, leave, false);
    holder.connectionId = conn.id;
  }

  /** After a lease's statement: a hold no open transaction needs any more goes to the next writer. */
  afterStatement(conn: Connection): void {
    const hold = conn.laneHold;
    if (hold !== undefined && !hold.untilRelease && this.host.inTransaction(conn) === false) this.leave(conn);
  }

  leave(conn: Connection): void {
    const hold = conn.laneHold;
    conn.laneHold = undefined;
    hold?.leave();
  }

  private takeOrLeave(leave: LeaveLane, timeoutMs: number, startedAt: number, signal?: AbortSignal): Connection | Promise<Connection> {
    let taken: Connection | Promise<Connection>;
    try {
      taken = this.host.takeConnection(remaining(timeoutMs, startedAt), signal);
    } catch (err) {
      leave();
      throw err;
    }
    // Waiting for a connection with the lane held could deadlock (see the class comment): give it up meanwhile.
    if (taken instanceof Promise) leave();
    return taken;
  }

  private hold(conn: Connection, holder: LaneHolder, leave: LeaveLane, untilRelease: boolean): void {
    holder.connectionId = conn.id;
    holder.acquiredBy = conn.acquiredBy;
    conn.laneHold = { lane: this.lane, leave, untilRelease };
  }

  private holder(): LaneHolder {
    return { poolName: this.host.name, connectionId: undefined, since: Date.now(), acquiredBy: undefined };
  }

  private async enter(holder: LaneHolder, timeoutMs: number, signal: AbortSignal | undefined, startedAt: number): Promise<LeaveLane> {
    if (this.host.stopped) throw new PoolClosedError(this.host.name);
    if (callerHoldsLane(this.lane)) throw new WriterLaneDeadlockError(this.host.name, this.lane.key);
    const busy = this.lane.heldBy !== undefined;
    const full = busy ? this.host.queueFull(this.waiting) : undefined;
    if (full !== undefined) throw full;
    if (busy) this.waiting++;
    try {
      return await this.lane.enter(holder, timeoutMs, (heldBy) => this.timeout(startedAt, heldBy), signal);
    } finally {
      if (busy) this.waiting--;
    }
  }

  private timeout(startedAt: number, heldBy: LaneHolder | undefined): PoolTimeoutError {
    const error = PoolTimeoutError.writerLaneBusy(this.host.name, Date.now() - startedAt, this.waiting - 1, this.lane.key, heldBy);
    return this.host.timedOut(error);
  }
}

function remaining(timeoutMs: number, startedAt: number): number {
  if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) return timeoutMs;
  return Math.max(1, timeoutMs - (Date.now() - startedAt));
}
