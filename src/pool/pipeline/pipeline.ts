/**
 * src/pool/pipeline/ — several autocommit statements in flight on one connection (PostgreSQL's
 * pipeline mode), for pool.query. Leases never see it: acquire(), transaction() and anything
 * holding a session get a connection of their own, out of pipeline mode.
 *
 * The placement rule, measured (docs/performance.md): on two cores a few backends with several
 * statements each beat many backends with one each, so a statement goes
 *   1. onto the shared connection with the least work queued (the learned server times of the
 *      statements in flight on it), if that is under maxStatementMs, it has fewer than `depth`
 *      statements in flight and its oldest has not been running longer than maxStatementMs;
 *   2. else onto an idle connection (or a new one, up to max), which becomes shared;
 *   3. else onto the least-queued shared connection with room, past the budget;
 *   4. else it waits, first come first served, for a free place (bounded by acquireTimeoutMs
 *      and maxWaiting like any acquire).
 * Statements not known to be short run alone (statement-times.ts), so one slow statement cannot
 * hold up the callers queued behind it. A shared connection goes back to the pool as soon as its
 * last statement is answered, and stops taking new ones while a lease is waiting for a connection,
 * so leases are never starved.
 */
import { autocommitOptions } from './autocommit-options';
import type { Adapter, PipelineSupport, QueryResult } from '../../../adapters/contract';
import { ConnectionLostError } from '../../shared/errors';
import { isReadOnlySql } from '../writer-lane';
import type { Connection } from '../connection';
import { StatementTimes } from './statement-times';

/** What the pipeline needs from its pool. */
export interface PipelineHost {
  readonly adapter: Adapter<unknown>;
  /** Takes a connection as acquire() does (lent, counted as used): at once when one is idle, else a promise. */
  take(timeoutMs: number): Connection | Promise<Connection>;
  /** True when a connection could be had without waiting for a release: one is idle or max is not reached. */
  hasSpare(): boolean;
  /** Callers of the pool's own queue (leases, statements running alone) waiting for a connection. */
  waitingForConnection(): number;
  release(conn: Connection, err?: unknown): void;
  /** A statement answered or failed after durationMs: recorded, metrics, slow-query alarm (as runQuery does). */
  statementFinished(conn: Connection, sql: string, durationMs: number): void;
  /** A statement failed: marks the connection broken when the adapter says so; returns the error without secrets. */
  statementFailed(conn: Connection, err: unknown): unknown;
  /** One run() call settled (answered, failed or refused), once per call: the pool's in-flight count for close(). */
  settled(): void;
  /** Whether the connection must not take more statements (broken, expired, used up). */
  mustRetire(conn: Connection): boolean;
  /** The PoolQueueFullError to throw when maxWaiting callers already wait, else undefined. */
  queueFull(waiting: number): Error | undefined;
  timeoutError(waitedMs: number, pending: number): Error;
}

export interface PipelineSettings {
  depth: number;
  /**
   * A statement whose recent server time is above this runs alone; and a statement is queued behind
   * a connection only while the learned work queued on it is under this (beyond, another
   * connection is opened if one is spare). With SELECT 1 (~0.05 ms) the depth bound comes first;
   * with fsync-bound INSERTs (~2 ms here) two or three share a connection before the next opens.
   */
  maxStatementMs: number;
  acquireTimeoutMs: number;
  /** No answer on a connection with statements in flight for this long: it is destroyed (0: never). */
  deadlineMs: number;
  leakDetectionMs: number;
  /** Parameterized statements may be kept prepared on their connection (AdapterQueryOptions.prepare). */
  preparedStatements: boolean;
}

/** One statement in flight, shaped as leak detection reads a loan. */
interface InFlight {
  readonly id: number;
  readonly sentAt: number;
  readonly estimateMs: number;
  borrowedAt: number;
  acquiredBy: string | undefined;
  leakReported: boolean;
}

class SharedConnection {
  readonly statements: InFlight[] = [];
  /** Sum of the learned server times of the statements in flight. */
  queuedMs = 0;
  /** performance.now() of the last answer (or of the first statement after a quiet spell). */
  lastAnswerAt = 0;
  /** Takes no new statements; goes back to the pool (or is retired) once the last is answered. */
  draining = false;
  /** The server ended this session (a FATAL reached the statement at the head): those behind it never started. */
  serverEnded = false;
  /** Set when the pool destroyed the connection itself (no answer within deadlineMs). */
  lost: Error | undefined;
  watchdog: NodeJS.Timeout | undefined;
  /** Set while it has nothing in flight: once the answer's microtasks have run it goes back to the pool unless a statement came. */
  idleCheck = false;

  constructor(readonly conn: Connection) {}
}

interface Waiter {
  sql: string;
  params: readonly unknown[] | undefined;
  estimateMs: number;
  isRetry: boolean;
  since: number;
  resolve(result: QueryResult<unknown>): void;
  reject(err: unknown): void;
}

export class Pipeline {
  readonly times: StatementTimes;
  private readonly shared: SharedConnection[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly support: PipelineSupport<unknown>;
  /** Connections asked of the pool for the waiters and not yet granted. */
  private requesting = 0;
  private waitTimer: NodeJS.Timeout | undefined;
  private stopped: Error | undefined;
  /** Statements in flight on shared connections. */
  private statementsInFlight = 0;
  /** Statements sent pipelined since the pool opened. */
  sent = 0;

  constructor(
    private readonly host: PipelineHost,
    private readonly settings: PipelineSettings,
  ) {
    this.support = host.adapter.pipelining as PipelineSupport<unknown>;
    this.times = new StatementTimes(settings.maxStatementMs);
  }

  /** The statement's learned server time when pool.query should pipeline it; undefined: it runs alone (see statement-times.ts). */
  estimate(sql: string): number | undefined {
    return this.stopped === undefined ? this.times.shortEstimate(sql) : undefined;
  }

  /** Learns a statement's server time from a run alone on a connection. */
  learn(sql: string, serverMs: number): void {
    this.times.record(sql, serverMs);
  }

  run<R>(sql: string, params: readonly unknown[] | undefined, estimateMs: number): Promise<QueryResult<R>> {
    const placed = this.waiters.length === 0 ? this.placeOrAdopt() : undefined;
    if (placed !== undefined) return this.send<R>(placed, sql, params, estimateMs);
    return this.wait<R>(sql, params, estimateMs);
  }

  get connections(): number {
    return this.shared.length;
  }
  get statements(): number {
    return this.statementsInFlight;
  }
  get waiting(): number {
    return this.waiters.length;
  }
  /** The pool's own queue less the pipeline's requests: what pending should not count twice. */
  get requests(): number {
    return this.requesting;
  }

  isShared(conn: Connection): boolean {
    return this.shared.some((s) => s.conn === conn);
  }

  /** Each pipelined statement in flight, for leak detection (a shared loan itself is not a leak). */
  *inFlight(): Iterable<InFlight> {
    for (const s of this.shared) yield* s.statements;
  }

  /** close() is past its drain: waiters are refused, shared connections take nothing new. */
  stop(reason: Error): void {
    this.stopped = reason;
    for (const s of this.shared) s.draining = true;
    for (const s of this.shared.filter((kept) => kept.statements.length === 0)) this.giveBack(s);
    this.clearWaitTimer();
    for (let w = this.waiters.shift(); w; w = this.waiters.shift()) this.refuse(w, reason);
  }

  // ---- placement -----------------------------------------------------------------------------

  /** Rules 1 to 3 of the placement (top of the file); undefined: wait. */
  private placeOrAdopt(): SharedConnection | undefined {
    const best = this.leastQueued(performance.now());
    if (best !== undefined && best.queuedMs < this.settings.maxStatementMs) return best;
    return this.adoptSpare() ?? best;
  }

  /** The shared connection with the least work queued that can take a statement now. */
  private leastQueued(now: number): SharedConnection | undefined {
    let best: SharedConnection | undefined;
    for (const s of this.shared) {
      const depth = s.statements.length;
      if (s.draining || depth >= this.settings.depth) continue;
      // Its oldest statement is taking long (a lock wait, a plan gone bad): queue nothing behind it.
      if (depth > 0 && now - Math.max(s.statements[0].sentAt, s.lastAnswerAt) > this.settings.maxStatementMs) continue;
      if (best === undefined || s.queuedMs < best.queuedMs) best = s;
    }
    return best;
  }

  /** An idle connection, taken at once and made shared; undefined when none is idle now. */
  private adoptSpare(): SharedConnection | undefined {
    // One connection on its way is enough: the statements past the budget meanwhile queue where they can.
    if (this.stopped !== undefined || this.requesting > 0 || !this.host.hasSpare() || this.host.waitingForConnection() > 0) return undefined;
    let taken: Connection | Promise<Connection>;
    try {
      taken = this.host.take(this.settings.acquireTimeoutMs);
    } catch {
      return undefined;
    }
    if (!(taken instanceof Promise)) return this.adopt(taken);
    // Opening (or validating) takes a while: the statement waits like the others, and the
    // connection, once there, serves whoever waits first.
    this.requesting++;
    taken.then(
      (conn) => this.granted(conn),
      (err: unknown) => this.refused(err),
    );
    return undefined;
  }

  private adopt(conn: Connection): SharedConnection {
    const s = new SharedConnection(conn);
    this.support.setPipelined(conn.raw, true);
    this.shared.push(s);
    return s;
  }

  private granted(conn: Connection): void {
    this.requesting--;
    if (this.stopped !== undefined) {
      this.host.release(conn);
      return;
    }
    const s = this.adopt(conn);
    this.serveWaiters(s);
    if (s.statements.length === 0) this.giveBack(s);
    this.requestIfNeeded();
  }

  private refused(err: unknown): void {
    this.requesting--;
    // The oldest waiter waited as long as this request did: it gets the reason.
    const oldest = this.waiters.shift();
    if (oldest !== undefined) this.refuse(oldest, err);
    this.armWaitTimer();
    this.requestIfNeeded();
  }

  /** Asks the pool for one more connection when the waiters are more than the requests under way will serve. */
  private requestIfNeeded(): void {
    if (this.stopped !== undefined || this.waiters.length <= this.requesting * this.settings.depth) return;
    // With shared connections about and no spare one, places free up as statements are answered.
    if (!this.host.hasSpare() && this.shared.some((s) => !s.draining)) return;
    this.requesting++;
    let taken: Connection | Promise<Connection>;
    try {
      taken = this.host.take(this.settings.acquireTimeoutMs);
    } catch (err) {
      this.refused(err);
      return;
    }
    if (taken instanceof Promise) taken.then((conn) => this.granted(conn), (err: unknown) => this.refused(err));
    else this.granted(taken);
  }

  private wait<R>(sql: string, params: readonly unknown[] | undefined, estimateMs: number, isRetry = false): Promise<QueryResult<R>> {
    const refused = this.stopped ?? this.host.queueFull(this.waiters.length);
    if (refused !== undefined) {
      this.host.settled();
      return Promise.reject(refused);
    }
    return new Promise<QueryResult<R>>((resolve, reject) => {
      this.waiters.push({ sql, params, estimateMs, isRetry, since: Date.now(), resolve: resolve as (r: QueryResult<unknown>) => void, reject });
      if (this.waiters.length === 1) this.armWaitTimer();
      this.requestIfNeeded();
    });
  }

  /** Sends waiting statements onto s while it has room. */
  private serveWaiters(s: SharedConnection): void {
    while (this.waiters.length > 0 && !s.draining && s.statements.length < this.settings.depth) {
      const w = this.waiters.shift() as Waiter;
      this.send(s, w.sql, w.params, w.estimateMs, w.isRetry).then(w.resolve, w.reject);
    }
    if (this.waiters.length === 0) this.clearWaitTimer();
  }

  // ---- one statement -------------------------------------------------------------------------

  /**
   * Sends one statement on s. No async frame of its own: one promise per statement on top of the
   * driver's (a pipelined statement costs a few µs of client CPU in all, so each frame shows).
   */
  private send<R>(s: SharedConnection, sql: string, params: readonly unknown[] | undefined, estimateMs: number, isRetry = false): Promise<QueryResult<R>> {
    const sentAt = performance.now();
    const leakMs = this.settings.leakDetectionMs;
    const entry: InFlight = {
      id: s.conn.id,
      sentAt,
      estimateMs,
      borrowedAt: leakMs > 0 ? Date.now() : 0,
      acquiredBy: leakMs > 0 ? new Error('queried here').stack : undefined,
      leakReported: false,
    };
    if (s.statements.length === 0) {
      s.lastAnswerAt = sentAt;
      this.armWatchdog(s);
    }
    // Behind other statements in flight, the writes of one turn are corked into one. The only
    // statement in flight (one caller in a loop) goes out at once: held to the end of the turn,
    // its write would wait for the caller's remaining work, and its answer would more often find
    // the process asleep (measured: docs/performance.md).
    const coalesce = this.statementsInFlight > 0;
    s.statements.push(entry);
    s.queuedMs += estimateMs;
    s.conn.uses++;
    this.statementsInFlight++;
    this.sent++;
    let running: Promise<QueryResult<R>>;
    try {
      if (coalesce) this.support.coalesceWrites?.(s.conn.raw);
      running = this.host.adapter.query<R>(s.conn.raw, sql, params, autocommitOptions(this.settings.preparedStatements, params, undefined));
    } catch (err) {
      running = Promise.reject(err);
    }
    return running.then(
      (result) => {
        const now = performance.now();
        this.finish(s, entry, sql, true, now);
        this.host.settled();
        this.host.statementFinished(s.conn, sql, now - sentAt);
        return result;
      },
      (err: unknown) => this.failed<R>(s, entry, sql, params, isRetry, err),
    );
  }

  private failed<R>(s: SharedConnection, entry: InFlight, sql: string, params: readonly unknown[] | undefined, isRetry: boolean, err: unknown): Promise<QueryResult<R>> {
    const now = performance.now();
    const behindTheEnd = s.serverEnded;
    if (!s.serverEnded && this.support.endsSession(err)) s.serverEnded = true;
    const redacted = this.host.statementFailed(s.conn, err);
    const lost = s.lost !== undefined || s.serverEnded || s.conn.broken !== undefined;
    if (lost) {
      s.draining = true;
      s.conn.broken ??= s.lost ?? redacted;
    }
    this.finish(s, entry, sql, !lost, now);
    this.host.statementFinished(s.conn, sql, now - entry.sentAt);
    // PostgreSQL runs a pipeline in order and flushes each answer: behind the statement the
    // server ended the session on, nothing started. Such a read is sent again, once; a write
    // never is (the caller decides). The retry settles this call.
    if (lost && behindTheEnd && !isRetry && this.stopped === undefined && isReadOnlySql(sql)) return this.retry<R>(sql, params, entry.estimateMs);
    this.host.settled();
    return Promise.reject(lost ? this.lostError(s, redacted, behindTheEnd) : redacted);
  }

  private retry<R>(sql: string, params: readonly unknown[] | undefined, estimateMs: number): Promise<QueryResult<R>> {
    const placed = this.placeOrAdopt();
    if (placed !== undefined) return this.send<R>(placed, sql, params, estimateMs, true);
    return this.wait<R>(sql, params, estimateMs, true);
  }

  /** Books one statement out of s (idempotent per entry), learns its time, and hands s on. */
  private finish(s: SharedConnection, entry: InFlight, sql: string, answered: boolean, now: number): void {
    const at = s.statements.indexOf(entry);
    if (at === -1) return;
    s.statements.splice(at, 1);
    s.queuedMs = s.statements.length === 0 ? 0 : s.queuedMs - entry.estimateMs;
    this.statementsInFlight--;
    if (answered) {
      // Server time: from when the server could start on it (sent, and the one before answered) to its answer.
      this.times.record(sql, now - Math.max(entry.sentAt, s.lastAnswerAt));
      s.lastAnswerAt = now;
    }
    this.afterAnswer(s);
  }

  private afterAnswer(s: SharedConnection): void {
    // Its last statement answered and no statement waiting for a place (one caller in a loop):
    // back to the pool (whose release retires it if it is due) once the microtasks this answer
    // runs are over. The caller's next statement, sent from them, finds it still shared: no take,
    // release and two pipeline-mode switches per statement. A tick, not setImmediate: the same for
    // a caller that awaits pool.query in a loop, without an Immediate, its ref toggles and a
    // check-phase callback per statement at 1 caller (measured: docs/performance.md). A lease
    // waiting, a connection due to retire or a closing pool get it back at once.
    if (s.statements.length === 0 && this.waiters.length === 0) {
      if (s.draining || this.host.mustRetire(s.conn) || this.leaseWaits()) this.giveBack(s);
      else if (!s.idleCheck) {
        s.idleCheck = true;
        process.nextTick(() => this.giveBackIfIdle(s));
      }
      return;
    }
    if (!s.draining && (this.host.mustRetire(s.conn) || this.leaseWaits())) s.draining = true;
    if (!s.draining && this.waiters.length > 0) this.serveWaiters(s);
    if (s.statements.length === 0) this.giveBack(s);
  }

  /** A lease (or a statement running alone) waits and no shared connection is on its way back yet. */
  private leaseWaits(): boolean {
    return this.host.waitingForConnection() > this.requesting && !this.shared.some((s) => s.draining);
  }

  private giveBackIfIdle(s: SharedConnection): void {
    s.idleCheck = false;
    if (s.statements.length === 0) this.giveBack(s);
  }

  private giveBack(s: SharedConnection): void {
    const at = this.shared.indexOf(s);
    if (at === -1) return;
    this.shared.splice(at, 1);
    if (s.watchdog !== undefined) clearTimeout(s.watchdog);
    if (s.conn.broken === undefined) this.support.setPipelined(s.conn.raw, false);
    this.host.release(s.conn, s.conn.broken);
    // Waiters left without a place (this was the last shared connection): ask for another.
    this.requestIfNeeded();
  }

  private lostError(s: SharedConnection, cause: unknown, notStarted: boolean): ConnectionLostError {
    const why = s.lost !== undefined ? s.lost.message : notStarted ? 'the server ended the session before reaching this statement' : 'the connection broke while this statement was in flight';
    return new ConnectionLostError(s.conn.id, why, notStarted ? 'no' : 'unknown', s.lost ?? cause);
  }

  // ---- timers ---------------------------------------------------------------------------------

  /**
   * The last resort when the server stops answering: statementTimeoutMs makes the server cancel
   * each statement itself, so a connection with statements in flight and no answer for deadlineMs
   * is not working. It is destroyed, and every caller on it gets ConnectionLostError.
   */
  private armWatchdog(s: SharedConnection): void {
    const limitMs = this.settings.deadlineMs;
    if (limitMs <= 0 || s.watchdog !== undefined) return;
    const check = () => {
      s.watchdog = undefined;
      if (s.statements.length === 0 || s.lost !== undefined) return;
      const quietMs = performance.now() - Math.max(s.lastAnswerAt, s.statements[0].sentAt);
      if (quietMs < limitMs) {
        s.watchdog = setTimeout(check, limitMs - quietMs + 1);
        s.watchdog.unref();
        return;
      }
      s.lost = new Error(`no statement on it was answered within ${limitMs} ms (statementTimeoutMs plus its grace), so the pool destroyed it`);
      s.draining = true;
      s.conn.broken ??= s.lost;
      this.support.abort(s.conn.raw, s.lost);
    };
    s.watchdog = setTimeout(check, limitMs);
    s.watchdog.unref();
  }

  /** One timer for the waiters: they share acquireTimeoutMs and are served in order, so the oldest expires first. */
  private armWaitTimer(): void {
    this.clearWaitTimer();
    const oldest = this.waiters[0];
    const limitMs = this.settings.acquireTimeoutMs;
    if (oldest === undefined || limitMs <= 0) return;
    this.waitTimer = setTimeout(() => this.expireWaiters(), Math.max(0, oldest.since + limitMs - Date.now()));
  }

  private expireWaiters(): void {
    this.waitTimer = undefined;
    const now = Date.now();
    const limitMs = this.settings.acquireTimeoutMs;
    while (this.waiters.length > 0 && now - this.waiters[0].since >= limitMs) {
      const w = this.waiters.shift() as Waiter;
      this.refuse(w, this.host.timeoutError(now - w.since, this.waiters.length));
    }
    this.armWaitTimer();
  }

  private refuse(w: Waiter, reason: unknown): void {
    this.host.settled();
    w.reject(reason);
  }

  private clearWaitTimer(): void {
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
  }
}
