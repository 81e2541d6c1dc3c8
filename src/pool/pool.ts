/**
 * src/pool/ — the pool core: the Pool class and everything a query, an acquire or a transaction
 * goes through (the loan, the writer lane, the statement deadline, the transaction runner), the
 * connection records and their lifecycle (connector, backoff), what the pool reports (events,
 * recorder, alarms, health check), and the seams the edges plug into: the metrics tracker
 * (metrics-tracker.ts), the read router (read-routing.ts) and the narrow view observability reads
 * (observed-pool.ts). Its generic-pool engine is the room below, engine/. Nothing here imports
 * replicas/, observability/, process/, cli/ or integrations/ (.dependency-cruiser.cjs).
 */
import { inspect } from 'node:util';
import { EventEmitter } from 'eventemitter3';
import type { Adapter, AdapterQueryOptions, QueryResult, TransactionOptions } from '../../adapters/contract';
import { adapterFactoryFor } from '../../adapters/scheme-registry';
import { autocommitOptions } from './pipeline/autocommit-options';
import { resolveConfig } from '../config';
import { configSecrets } from '../config/config-secrets';
import type { Logger, PoolOptions, ResolvedConfig } from '../config/types';
import { withDeadline } from '../shared/deadline';
import { ConnectionError, PoolClosedError, PoolQueueFullError, PoolTimeoutError } from '../shared/errors';
import { defaultLogger, guardedLogger } from '../shared/logger';
import { messageOf } from '../shared/message-of';
import { redactError } from '../shared/secret';
import { retirementReason, type Connection, type DestroyReason } from './connection';
import { ConnectionLifecycle } from './connection-lifecycle';
import type { ConnectionObserver } from './connection-observer';
import { Connector } from './connector';
import { Engine } from './engine/generic-pool-engine';
import { checkHealth, type HealthCheckTarget, type HealthReport } from './health-check';
import { Keepalive } from './keepalive';
import { PooledConnection, runOnLease, type AcquireOptions, type LeaseOwner, type OperationOptions } from './lease';
import { TrackerList, type MetricsTracker, type Trackable } from './metrics-tracker';
import type { ObservedPool, PoolSizes } from './observed-pool';
import { emitIsolated } from './listener-isolation';
import type { PoolEvents } from './events';
import { tracerFor, type OperationTrace, type OperationTracer } from './operation-tracer';
import { PoolAlarms } from './pool-alarms';
import { createReadRouter, PrimaryReader, type Reader, type ReadPrimary, type ReadRouter, type RoutedPool } from './read-routing';
import { PoolRecorder, type PoolStats } from './recorder';
import { StatementCanceller } from './statement-cancel';
import { clientStatementTimeoutMs, withQueryDeadline } from './statement-deadline';
import { runTransaction } from './transaction';
import { runInLaneScope } from './lane-scope';
import { PoolLane, type PoolLaneHost } from './pool-lane';
import { isReadOnlySql, writerLaneFor, type LaneHold } from './writer-lane';
import { Pipeline } from './pipeline/pipeline';
import { invalidTimeout, MAX_TIMER_MS } from './call-timeout';
import { untilAborted } from './abort';
import { connectionLossError } from './connection-loss';

/** HikariCP's rule: a connection used this recently is alive; skip the validation round-trip. */
export const VALIDATION_SKIP_WINDOW_MS = 500;

export interface QueryOptions extends AcquireOptions, Omit<AdapterQueryOptions, 'prepare'> {
  /** Route to a healthy read replica (the primary when there is none); see reader(). */
  readOnly?: boolean;
}

export class Pool
  extends EventEmitter<PoolEvents>
  implements LeaseOwner, Trackable, ObservedPool, HealthCheckTarget, ReadPrimary, RoutedPool
{
  readonly name: string;
  readonly config: ResolvedConfig;
  readonly adapter: Adapter<unknown>;
  /** @internal */ readonly recorder = new PoolRecorder();
  /** The metrics trackers installed (registerPoolMetrics, registerPoolOtelMetrics); none costs one property read. */
  private readonly trackers = new TrackerList((err) => this.lifecycle.reportError(err, 'metrics tracker'));
  private readonly engine: Engine<unknown>;
  private readonly connector: Connector<unknown>;
  private readonly borrowed = new Set<Connection>();
  private readonly canceller: StatementCanceller;
  /** Released inside a transaction, ROLLBACK under way: neither lent nor idle yet. */
  private readonly rollingBack = new Map<Connection, { work: Promise<void>; hold: LaneHold | undefined }>();
  private readonly alarms: PoolAlarms;
  /** Spans for queries, acquires and transactions (operation-tracer.ts); undefined with tracing off. */
  private readonly tracer: OperationTracer | undefined;
  private readonly logger: Logger;
  /** When the pool gives up on a statement the server should have cancelled (0: never); see statement-deadline.ts. */
  private readonly statementDeadlineMs: number;
  /** The writer lane of an embedded file (pool-lane.ts); undefined for servers. */
  private readonly lane: PoolLane | undefined;
  private readonly housekeeping: NodeJS.Timeout | undefined;
  /** Background checks of idle connections (keepaliveMs); none for embedded databases, which have no network path. */
  private readonly keepalive: Keepalive | undefined;
  /** close() was called: new calls are refused, calls made before it still run to the end. */
  private closing = false;
  /** The drain is over (finished or past its deadline): nothing is lent or opened any more. */
  private stopped = false;
  /** Calls accepted before close() that have not settled yet (query, acquire, transaction, warmup). */
  private inFlight = 0;
  private closed: Promise<void> | undefined;
  private onDrained: (() => void) | undefined;
  /** The read replicas and their router, when readReplicaUrls is set (built by replicas/, see read-routing.ts). */
  private readonly replicas: ReadRouter<Pool> | undefined;
  private readonly readView: Reader;
  private readonly lifecycle: ConnectionLifecycle;
  /** pool.query's shared connections, when the adapter can pipeline and pipelineDepth > 0; see pipeline/pipeline.ts. */
  private readonly pipeline: Pipeline | undefined;

  constructor(options: PoolOptions = {}) {
    super();
    this.config = resolveConfig(options);
    this.name = this.config.name;
    this.logger = guardedLogger(options.logger ?? defaultLogger);
    this.alarms = new PoolAlarms(this, this.config, this.recorder, this.logger);
    this.statementDeadlineMs = clientStatementTimeoutMs(this.config.statementTimeoutMs);
    this.adapter = adapterFactoryFor(this.config.scheme)(this.config);
    this.canceller = new StatementCanceller(this.adapter);
    this.adapter.onPreparingStopped?.((reason) => this.logger.warn({ pool: this.name, reason }, 'lifeguard: stopped preparing statements'));
    this.tracer = tracerFor(this);
    this.lane = this.adapter.writerLaneKey ? new PoolLane(writerLaneFor(this.adapter.writerLaneKey), this.laneHost()) : undefined;
    this.connector = new Connector(this.adapter, {
      poolName: this.name,
      maskedUrl: this.config.url,
      connectTimeoutMs: this.config.connectTimeoutMs,
      secrets: () => configSecrets(this.config),
      credentials: { password: this.config.password, authToken: this.config.authToken },
    });
    const lifecycle = new ConnectionLifecycle(this, this.config, this.adapter, this.connector, this.recorder, this.logger, () => this.engine.evictIdle());
    this.lifecycle = lifecycle;
    this.engine = new Engine(
      {
        create: () => lifecycle.openConnection(),
        destroy: (conn) => lifecycle.closeConnection(conn),
        onCreateError: (err) => {
          lifecycle.onCreateError(err);
          // Callers waiting on a pool that cannot open connections are unserved: that is critical.
          this.trackUtilization(Date.now());
        },
        idleEvictionReason: (conn, total, now) => lifecycle.idleEvictionReason(conn, total, now),
        timeoutError: (waitedMs, pending) => this.timeoutError(waitedMs, pending),
      },
      { min: this.config.min, max: this.config.max },
    );
    // Before anything starts: a replica that cannot be set up fails createPool with nothing left running.
    this.replicas =
      this.config.readReplicaUrls.length > 0
        ? createReadRouter({ primary: this, options, makePool: (o) => new Pool(o), logger: this.logger })
        : undefined;
    this.readView = this.replicas?.reader ?? new PrimaryReader(this);
    this.pipeline = this.adapter.pipelining && this.config.pipelineDepth > 0 ? this.createPipeline() : undefined;
    if (this.config.evictionIntervalMs > 0) {
      this.housekeeping = setInterval(() => this.runHousekeeping(), this.config.evictionIntervalMs);
      // Housekeeping must never be the reason a process stays alive.
      this.housekeeping.unref();
    }
    this.keepalive =
      this.config.keepaliveMs > 0 && !this.adapter.synchronous
        ? new Keepalive(this.engine, this.adapter, {
            keepaliveMs: this.config.keepaliveMs,
            connectTimeoutMs: this.config.connectTimeoutMs,
            maxUses: this.config.maxUses,
            redact: (err) => redactError(err, configSecrets(this.config)),
            reportFailure: (err) => lifecycle.reportError(err, 'keepalive check'),
          })
        : undefined;
    this.engine.start();
  }

  /** Every emit of the pool: a listener that throws never reaches the pool's work (see listener-isolation.ts). */
  override emit<T extends EventEmitter.EventNames<PoolEvents>>(event: T, ...args: EventEmitter.EventArgs<PoolEvents, T>): boolean {
    return emitIsolated(this, this.logger, String(event), () => super.emit(event, ...args), (e, payload) => super.emit(e, payload));
  }

  /**
   * What util.inspect and console.log show of a pool: its name, masked URL and sizes. The object
   * graph behind it holds driver clients, whose own fields carry the password in clear.
   */
  [inspect.custom](): string {
    const { total, active, idle, pending } = this.sizesForInspect();
    return `Pool ${JSON.stringify({ name: this.name, url: this.config.url, total, active, idle, pending, closed: this.closing })}`;
  }

  private sizesForInspect(): { total: number; active: number; idle: number; pending: number } {
    return { total: this.engine.size, active: this.borrowed.size, idle: this.engine.idle, pending: this.engine.pending };
  }

  // ---- public API -------------------------------------------------------------------------

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
    if (opts?.readOnly && this.replicas) return this.readView.query<R>(sql, params, opts);
    if (this.closing) return Promise.reject(new PoolClosedError(this.name));
    const invalid = opts?.timeoutMs === undefined ? undefined : invalidTimeout(opts.timeoutMs);
    if (invalid) return Promise.reject(invalid);
    // A caller's own timeout or signal needs a statement it can cancel alone: it runs alone.
    const estimateMs =
      this.pipeline !== undefined && opts?.timeoutMs === undefined && opts?.signal === undefined && opts?.rowMode === undefined ? this.pipeline.estimate(sql) : undefined;
    if (estimateMs !== undefined) return this.runPipelined<R>(sql, params, estimateMs);
    return this.queryNow<R>(sql, params, opts);
  }

  /** Counted in flight like queryNow, without its async frame: the pipeline reports each call settled (PipelineHost.settled). */
  private runPipelined<R>(sql: string, params: readonly unknown[] | undefined, estimateMs: number): Promise<QueryResult<R>> {
    this.inFlight++;
    // Made here, in the caller's context: the pipeline sends the statement from whichever call frees its turn.
    const trace = this.tracer?.query(sql, params !== undefined && params.length > 0, undefined);
    const running = (this.pipeline as Pipeline).run<R>(sql, params, estimateMs);
    if (trace === undefined) return running;
    trace.pipelined();
    return running.then(
      (result) => {
        trace.end();
        return result;
      },
      (err: unknown) => {
        trace.failed(err);
        trace.end();
        throw err;
      },
    );
  }

  /**
   * The hot path, without an async frame (a statement costs pg a few µs of client CPU, so each
   * promise shows): counted in flight like accepted() counts, an idle connection taken without a
   * promise, the statement sent at once, and the connection released in the same callback its
   * answer settles in. Two promises per call: the adapter's and this one's `then`. On an embedded
   * file (the writer lane) it goes through queryInLane instead.
   */
  private queryNow<R>(sql: string, params: readonly unknown[] | undefined, opts: QueryOptions | undefined): Promise<QueryResult<R>> {
    if (this.lane !== undefined) return this.queryInLane<R>(this.lane, sql, params, opts);
    this.inFlight++;
    // The span covers the call as its caller sees it, the wait for a connection included.
    let trace: OperationTrace | undefined;
    let taken: Connection | Promise<Connection> | Waiting;
    const timeoutMs = opts?.timeoutMs ?? this.config.acquireTimeoutMs;
    try {
      trace = this.tracer?.query(sql, params !== undefined && params.length > 0, undefined);
      taken = this.takeOrWait(timeoutMs, opts?.signal, false);
    } catch (err) {
      taken = Promise.reject(err);
    }
    if (taken instanceof Waiting) {
      // Admitted and sent in the callback that hands the connection over: one promise fewer than acquireNow's.
      const { granted, startedAt } = taken;
      return granted.then(
        (conn) => {
          const admitted = this.admit(conn, startedAt, timeoutMs, opts?.signal);
          if (!(admitted instanceof Promise)) return this.sendAlone<R>(admitted, sql, params, opts, trace);
          return admitted.then(
            (validated) => this.sendAlone<R>(validated, sql, params, opts, trace),
            (err: unknown) => this.notAcquired(err, trace),
          );
        },
        (err: unknown) => this.notAcquired(err, trace),
      );
    }
    if (!(taken instanceof Promise)) return this.sendAlone<R>(taken, sql, params, opts, trace);
    return taken.then(
      (conn) => this.sendAlone<R>(conn, sql, params, opts, trace),
      (err: unknown) => this.notAcquired(err, trace),
    );
  }

  /** pool.query got no connection (timed out, aborted, queue full, closed): its span ends failed and it leaves the in-flight count. */
  private notAcquired(err: unknown, trace: OperationTrace | undefined): never {
    trace?.failed(err);
    this.settledInFlight();
    trace?.end();
    throw err;
  }

  /**
   * pool.query's statement on the connection it took, with all runOperation gives a statement
   * (duration, slowQuery, the statement deadline, a broken connection marked, no secret in the
   * error); on a pipelining pool its server time teaches the pipeline whether it may share next time.
   */
  private sendAlone<R>(conn: Connection, sql: string, params: readonly unknown[] | undefined, opts: QueryOptions | undefined, trace: OperationTrace | undefined): Promise<QueryResult<R>> {
    trace?.acquired(conn);
    const started = performance.now();
    // Run alone, so close() may cancel it on the server (runOperation counts its statements the same way).
    conn.statementsRunning++;
    let running: Promise<QueryResult<R>>;
    try {
      running = this.adapter.query<R>(conn.raw, sql, params, autocommitOptions(this.config.preparedStatements, params, opts?.rowMode));
      running = this.boundedByStatementTimeout(conn, running, opts?.timeoutMs);
    } catch (err) {
      running = Promise.reject(err);
    }
    return running.then(
      (result) => {
        conn.statementsRunning--;
        const durationMs = performance.now() - started;
        // One clock reading for the query's sample and the release.
        const now = Date.now();
        this.statementFinished(conn, sql, durationMs, now);
        this.pipeline?.learn(sql, durationMs);
        this.releaseConnection(conn, undefined, now);
        this.settledInFlight();
        trace?.end();
        return result;
      },
      (err: unknown) => {
        conn.statementsRunning--;
        const error = this.statementFailed(conn, err);
        const now = Date.now();
        this.statementFinished(conn, sql, performance.now() - started, now);
        trace?.failed(error);
        this.releaseConnection(conn, error, now);
        this.settledInFlight();
        trace?.end();
        throw error;
      },
    );
  }

  /** pool.query on an embedded file: a statement that may write takes the writer lane first. */
  private async queryInLane<R>(lane: PoolLane, sql: string, params: readonly unknown[] | undefined, opts: QueryOptions | undefined): Promise<QueryResult<R>> {
    this.inFlight++;
    const trace = this.tracer?.query(sql, params !== undefined && params.length > 0, undefined);
    let conn: Connection | undefined;
    let failure: unknown;
    try {
      const timeoutMs = opts?.timeoutMs ?? this.config.acquireTimeoutMs;
      if (!isReadOnlySql(sql)) conn = await lane.acquireWriter(timeoutMs, opts?.signal);
      else {
        const taken = this.acquireNow(timeoutMs, opts?.signal);
        conn = taken instanceof Promise ? await taken : taken;
      }
      trace?.acquired(conn);
      return await this.runQuery<R>(conn, sql, params, opts?.timeoutMs, true, opts?.rowMode === undefined ? undefined : { rowMode: opts.rowMode }, true);
    } catch (err) {
      failure = err;
      trace?.failed(err);
      throw err;
    } finally {
      if (conn !== undefined) this.releaseConnection(conn, failure);
      this.settledInFlight();
      trace?.end();
    }
  }

  /** @internal A read routed here as a replica: pipelined (and counted in flight) when the pipeline takes it; undefined when it runs alone. */
  pipelined<R>(sql: string, params: readonly unknown[] | undefined): Promise<QueryResult<R>> | undefined {
    const estimateMs = this.closing ? undefined : this.pipeline?.estimate(sql);
    return estimateMs === undefined ? undefined : this.runPipelined<R>(sql, params, estimateMs);
  }

  /** @internal */
  learnStatement(sql: string, serverMs: number): void {
    this.pipeline?.learn(sql, serverMs);
  }

  private createPipeline(): Pipeline {
    return new Pipeline(
      {
        adapter: this.adapter,
        take: (timeoutMs) => this.acquireNow(timeoutMs),
        hasSpare: () => this.engine.idle > 0 || this.engine.size < this.config.max,
        waitingForConnection: () => this.engine.pending,
        release: (conn, err) => this.releaseConnection(conn, err),
        statementFinished: (conn, sql, durationMs) => this.statementFinished(conn, sql, durationMs),
        statementFailed: (conn, err) => this.statementFailed(conn, err),
        settled: () => this.settledInFlight(),
        mustRetire: (conn) => retirementReason(conn, this.config.maxUses, Date.now()) !== undefined,
        queueFull: (waiting) => this.queueFull(waiting),
        timeoutError: (waitedMs, pending) => this.timeoutError(waitedMs, pending),
      },
      {
        depth: this.config.pipelineDepth,
        maxStatementMs: this.config.pipelineMaxStatementMs,
        acquireTimeoutMs: this.config.acquireTimeoutMs,
        deadlineMs: this.statementDeadlineMs,
        leakDetectionMs: this.config.leakDetectionMs,
        preparedStatements: this.config.preparedStatements,
      },
    );
  }

  /** Reads on the least-busy healthy replica, or the primary when none is healthy or none is configured. */
  reader(): Reader {
    return this.readView;
  }

  /** The read replicas' own pools (named `<pool>:replica-<n>`), for their events and metrics. */
  get replicaPools(): readonly Pool[] {
    return this.replicas?.pools ?? [];
  }

  acquire(opts?: AcquireOptions): Promise<PooledConnection> {
    if (this.closing) return Promise.reject(new PoolClosedError(this.name));
    const invalid = opts?.timeoutMs === undefined ? undefined : invalidTimeout(opts.timeoutMs);
    if (invalid) return Promise.reject(invalid);
    return this.acquireLease(opts);
  }

  /** acquire() counted in flight as accepted() counts, without its closure and extra promise. */
  private async acquireLease(opts: AcquireOptions | undefined): Promise<PooledConnection> {
    this.inFlight++;
    const trace = this.tracer?.acquire();
    try {
      const taken = this.acquireNow(opts?.timeoutMs ?? this.config.acquireTimeoutMs, opts?.signal);
      const conn = taken instanceof Promise ? await taken : taken;
      trace?.acquired(conn);
      return new PooledConnection(this, conn);
    } catch (err) {
      trace?.failed(err);
      throw err;
    } finally {
      this.settledInFlight();
      trace?.end();
    }
  }

  /** On an embedded file, fn runs in the lease's lane scope: a write it sends through the pool while its lease holds the lane is refused at once (lane-scope.ts). */
  async withConnection<T>(fn: (conn: PooledConnection) => Promise<T>, opts?: AcquireOptions): Promise<T> {
    const lease = await this.acquire(opts);
    return this.lane === undefined ? runOnLease(lease, fn) : runInLaneScope(lease.record, () => runOnLease(lease, fn));
  }

  transaction<T>(fn: (tx: PooledConnection) => Promise<T>, opts: TransactionOptions & AcquireOptions = {}): Promise<T> {
    if (this.closing) return Promise.reject(new PoolClosedError(this.name));
    const invalid = invalidTimeout(opts.timeoutMs);
    if (invalid) return Promise.reject(invalid);
    return this.accepted(() => runTransaction(this.transactionHost, fn, opts));
  }

  /** Opens `min` connections now; rejects with ConnectionError when they cannot be opened. */
  warmup(): Promise<void> {
    return this.accepted(() => this.openWarmConnections());
  }

  private async openWarmConnections(): Promise<void> {
    const wanted = Math.max(this.config.min, 0);
    const leases: Connection[] = [];
    try {
      for (let i = 0; i < wanted; i++) leases.push(await this.acquireConnection(this.config.acquireTimeoutMs || this.config.connectTimeoutMs));
    } catch (err) {
      const cause = err instanceof PoolTimeoutError && err.cause !== undefined ? err.cause : err;
      throw new ConnectionError(`Pool "${this.name}" could not open its ${wanted} warm connections to ${this.config.url}: ${messageOf(cause)}`, cause);
    } finally {
      for (const conn of leases) this.releaseConnection(conn);
    }
  }

  stats(): PoolStats {
    const active = this.borrowed.size;
    return {
      name: this.name,
      total: this.engine.size,
      active,
      idle: this.engine.idle,
      pending: this.pending,
      opening: this.engine.opening,
      min: this.config.min,
      max: this.config.max,
      utilization: active / this.config.max,
      closed: this.closing,
      counters: this.recorder.snapshotCounters(),
      waitMs: this.recorder.wait.percentiles(),
      queryMs: this.recorder.query.percentiles(),
      useMs: this.recorder.use.percentiles(),
      connectMs: this.recorder.connect.percentiles(),
      totals: this.recorder.totals(),
      ...(this.replicas ? { reads: this.replicas.stats() } : {}),
      ...(this.pipeline ? { pipeline: { connections: this.pipeline.connections, statements: this.pipeline.statements, waiting: this.pipeline.waiting, sent: this.pipeline.sent } } : {}),
    };
  }

  /**
   * Callers waiting: the engine's queue, statements waiting for a place on a shared connection
   * (the pipeline's own requests counted once), and on an embedded file the writer lane's waiters.
   */
  private get pending(): number {
    const { pipeline } = this;
    const waiting = pipeline === undefined ? this.engine.pending : this.engine.pending - pipeline.requests + pipeline.waiting;
    return waiting + (this.lane?.waiting ?? 0);
  }

  /** @internal The sizes alone, without stats()' percentiles and copies: what metrics read at every scrape. */
  sizes(): PoolSizes {
    return { total: this.engine.size, active: this.borrowed.size, idle: this.engine.idle, pending: this.pending, min: this.config.min, max: this.config.max };
  }

  /** @internal Open connections past their lifetime, still to be closed (pg.Pool's expiredCount). */
  expiredCount(now = Date.now()): number {
    let expired = 0;
    for (const conn of this.engine.connections()) if (now >= conn.expiresAt) expired++;
    return expired;
  }

  /** @internal How lifeguard/pg hears of each connection opening, closing and failing (connection-observer.ts). */
  observeConnections(observer: ConnectionObserver): () => void {
    return this.lifecycle.observe(observer);
  }

  health(opts?: { timeoutMs?: number }): Promise<HealthReport> {
    return checkHealth(this, opts?.timeoutMs ?? Math.min(this.config.acquireTimeoutMs || 5000, 5000));
  }

  /** @internal The trackers' fan-out, read by the connection lifecycle; undefined while none is installed. */
  get tracker(): MetricsTracker | undefined {
    return this.trackers.current;
  }

  /** @internal installMetricsTracker is the public way; returns the function that removes the tracker. */
  addTracker(tracker: MetricsTracker): () => void {
    return this.trackers.add(tracker);
  }

  /** Connection attempts made so far (successes and failures); the reliability tests read it. */
  get connectAttempts(): number {
    return this.connector.gate.attempts;
  }

  get isClosed(): boolean {
    return this.closing;
  }

  /** @internal The last connection failure while connections are failing; undefined once one opens. */
  get connectFailure(): unknown {
    return this.connector.gate.consecutiveFailures > 0 ? this.connector.lastError : undefined;
  }

  /** @internal Borrowed plus waiting, per slot: how the read router compares replicas, without stats()' percentiles. */
  get load(): number {
    return (this.borrowed.size + this.pending) / this.config.max;
  }

  /**
   * Drains: refuses new work at once, rejects waiters, lets borrowed connections finish until
   * timeoutMs, then destroys every connection. Idempotent; leaves no timer behind.
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.closed ??= Promise.all([this.drain(opts.timeoutMs ?? 30_000), this.replicas?.close(opts)]).then(() => undefined);
    return this.closed;
  }

  // ---- acquire and release ----------------------------------------------------------------

  /**
   * Runs a call unless close() was called before it. A call accepted before close() runs to its
   * end (within close's timeoutMs), even one still queued for the writer lane or a connection:
   * a service draining on SIGTERM must not fail requests it had already taken on.
   */
  private accepted<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new PoolClosedError(this.name));
    this.inFlight++;
    return work().finally(() => this.settledInFlight());
  }

  private settledInFlight(): void {
    this.inFlight--;
    if (this.closing) this.checkDrained();
  }

  private checkDrained(): void {
    if (this.inFlight === 0 && this.borrowed.size === 0 && this.rollingBack.size === 0) this.onDrained?.();
  }

  /** @internal */
  acquireConnection(timeoutMs: number, signal?: AbortSignal, probe = false): Promise<Connection> {
    try {
      const taken = this.acquireNow(timeoutMs, signal, probe);
      return taken instanceof Promise ? taken : Promise.resolve(taken);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Takes a connection. An idle one, when nobody is waiting, comes back synchronously: no promise,
   * no closure, no timer. Otherwise the caller waits in the engine's queue (sharing the pool's one
   * deadline timer).
   */
  private acquireNow(timeoutMs: number, signal?: AbortSignal, probe = false): Connection | Promise<Connection> {
    const taken = this.takeOrWait(timeoutMs, signal, probe);
    return taken instanceof Waiting ? taken.granted.then((conn) => this.admit(conn, taken.startedAt, timeoutMs, signal)) : taken;
  }

  /** acquireNow, except that a caller who has to wait gets the engine's promise, not yet admitted: pool.query admits and sends in one callback. */
  private takeOrWait(timeoutMs: number, signal: AbortSignal | undefined, probe: boolean): Connection | Promise<Connection> | Waiting {
    if (this.stopped) return Promise.reject(new PoolClosedError(this.name));
    const full = this.queueFull((this.pipeline?.waiting ?? 0) + (this.lane?.waiting ?? 0), probe);
    if (full !== undefined) return Promise.reject(full);
    const startedAt = Date.now();
    const idle = signal?.aborted ? undefined : this.engine.takeIdle(startedAt);
    if (idle !== undefined) return this.admit(idle, startedAt, timeoutMs, signal, startedAt);
    const granted = this.engine.take(timeoutMs, signal, startedAt);
    // A caller now waits: at max, or with connections failing, that is saturation, reported now.
    this.trackUtilization(startedAt);
    return new Waiting(granted, startedAt);
  }

  /** PoolQueueFullError when maxWaiting callers already wait for a release (`alsoWaiting`: the pipeline's), counted; else undefined. */
  private queueFull(alsoWaiting: number, probe = false): PoolQueueFullError | undefined {
    const { maxWaiting } = this.config;
    if (maxWaiting <= 0 || this.engine.waitingForRelease + alsoWaiting < maxWaiting) return undefined;
    // A health probe that finds the queue full was not a caller turned away: not counted.
    if (!probe) this.recorder.counters.queueFull++;
    return new PoolQueueFullError(this.name, maxWaiting);
  }

  /** The hot path: a healthy connection used moments ago goes straight out, with no round-trip. */
  private admit(conn: Connection, startedAt: number, timeoutMs: number, signal?: AbortSignal, now = Date.now()): Connection | Promise<Connection> {
    this.noteDriverState(conn);
    if (retirementReason(conn, this.config.maxUses, now) === undefined && !this.needsValidation(conn, now)) {
      return this.lend(conn, startedAt, now);
    }
    return this.admitAfterChecks(conn, startedAt, timeoutMs, signal);
  }

  /** Retires expired connections and validates stale ones, taking others until one passes or time runs out. */
  private async admitAfterChecks(conn: Connection, startedAt: number, timeoutMs: number, signal?: AbortSignal): Promise<Connection> {
    const deadline = timeoutMs > 0 ? startedAt + timeoutMs : Infinity;
    let validated = false;
    for (;;) {
      const now = Date.now();
      // Checked again after a validation too: a backend killed while SELECT 1 was answered is
      // known to the driver only a moment later.
      this.noteDriverState(conn);
      const reason = retirementReason(conn, this.config.maxUses, now);
      if (reason === undefined && (validated || !this.needsValidation(conn, now))) break;
      if (reason !== undefined) {
        if (reason === 'broken' && conn.uses === 0) this.connector.gate.arrivedDead(redactError(conn.broken, configSecrets(this.config)));
        this.engine.retire(conn, reason);
      } else if (await this.passesValidation(conn, deadline - now, signal)) {
        validated = true;
        continue;
      }
      validated = false;
      if (this.stopped) throw new PoolClosedError(this.name);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.timeoutError(Date.now() - startedAt, this.engine.pending);
      conn = await this.engine.take(remaining === Infinity ? 0 : remaining, signal);
    }
    return this.lend(conn, startedAt, Date.now());
  }

  /**
   * What the driver already knows, without a round trip: a connection whose socket closed, whose
   * session was killed or whose holder ended it is marked broken here and never lent. pg can
   * deliver a backend's FATAL in the same read as its ReadyForQuery, before any listener of ours
   * exists, so a connection can be dead on arrival.
   */
  private noteDriverState(conn: Connection): void {
    if (conn.broken !== undefined || this.adapter.brokenBy === undefined) return;
    const cause = this.adapter.brokenBy(conn.raw);
    if (cause !== undefined) conn.broken = cause;
  }

  /**
   * testOnAcquire's round trip, skipped (HikariCP's rule) for a connection that came back from a
   * caller moments ago. Not for a brand-new one: nothing has run on it since the handshake, and a
   * backend killed right after it is only found by asking.
   */
  private needsValidation(conn: Connection, now: number): boolean {
    return this.config.testOnAcquire && (conn.uses === 0 || now - conn.lastUsedAt >= VALIDATION_SKIP_WINDOW_MS);
  }

  private lend(conn: Connection, startedAt: number, now: number): Connection {
    if (conn.uses === 0 && this.connector.gate.deadArrivals > 0) this.connector.gate.arrivedAlive();
    conn.uses++;
    conn.loan++;
    conn.borrowedAt = now;
    conn.leakReported = false;
    if (this.config.leakDetectionMs > 0) conn.acquiredBy = new Error('acquired here').stack;
    this.borrowed.add(conn);
    const waitMs = now - startedAt;
    this.recorder.counters.acquires++;
    this.recorder.wait.record(waitMs, now);
    this.trackers.current?.recordWait(waitMs);
    if (this.listenerCount('acquire') > 0) this.emit('acquire', { pool: this.name, connectionId: conn.id, waitMs });
    this.trackUtilization(now);
    return conn;
  }

  /** @internal */
  releaseConnection(conn: Connection, err?: unknown, now = Date.now()): void {
    if (!this.borrowed.delete(conn)) return;
    const useMs = now - conn.borrowedAt;
    this.recorder.use.record(useMs, now);
    this.trackers.current?.recordUse(useMs);
    conn.borrowedAt = 0;
    // The loan is over: every lease made for it is dead from here on, whoever still holds one.
    conn.loan++;
    conn.lastUsedAt = now;
    if (err !== undefined && conn.broken === undefined && this.adapter.isBroken(conn.raw, err)) conn.broken = err;
    // A connection its holder ended (pg's client.end()) goes now, not at the next loan.
    this.noteDriverState(conn);
    // The lane goes to the next writer only once this connection can no longer write: after the
    // rollback of a transaction left open, which must not overlap the next writer's BEGIN.
    const hold = conn.laneHold;
    conn.laneHold = undefined;
    const reason = this.stopped ? 'drain' : retirementReason(conn, this.config.maxUses, now);
    if (reason !== undefined) this.retire(conn, reason, hold);
    else if (this.adapter.inTransaction?.(conn.raw)) this.rollbackThenReturn(conn, hold);
    else {
      this.engine.give(conn, now);
      hold?.leave();
    }
    this.engine.forgetServedDeadlines();
    // The pool's own bookkeeping is done: whatever a listener does from here sees a consistent pool.
    if (this.listenerCount('release') > 0) this.emit('release', { pool: this.name, connectionId: conn.id, useMs });
    this.trackUtilization(now);
    if (this.closing && this.borrowed.size === 0) this.checkDrained();
  }

  /** @internal */
  async destroyConnection(conn: Connection, reason?: unknown): Promise<void> {
    if (conn.broken === undefined) conn.broken = reason ?? new Error('destroyed by its holder');
    this.releaseConnection(conn);
  }

  /**
   * @internal A statement on a borrowed connection. On an embedded file, a lease's statement that
   * may write first takes the writer lane for its connection (pool-lane.ts).
   */
  runQuery<R>(
    conn: Connection,
    sql: string,
    params: readonly unknown[] | undefined,
    timeoutMs?: number,
    bounded = true,
    opts?: AdapterQueryOptions,
    /** pool.query's own statement: its span was made by queryNow. */
    untraced = false,
  ): Promise<QueryResult<R>> {
    const lane = this.lane;
    if (lane === undefined || conn.laneHold !== undefined || isReadOnlySql(sql)) return this.runStatement<R>(conn, sql, params, timeoutMs, bounded, opts, untraced);
    return lane.enterFor(conn).then(() => this.runStatement<R>(conn, sql, params, timeoutMs, bounded, opts, untraced));
  }

  private runStatement<R>(
    conn: Connection,
    sql: string,
    params: readonly unknown[] | undefined,
    timeoutMs: number | undefined,
    bounded: boolean,
    opts: AdapterQueryOptions | undefined,
    untraced: boolean,
  ): Promise<QueryResult<R>> {
    // A pipelined statement (bounded false) is bounded per connection instead (the pipeline's
    // watchdog): its answer waits for the statements ahead of it, which the server times out one by one.
    const parameterized = params !== undefined && params.length > 0;
    return this.runOperation(conn, sql, (raw) => this.adapter.query<R>(raw, sql, params, opts), { timeoutMs, deadline: bounded, parameterized, untraced });
  }

  /**
   * @internal One statement on a borrowed connection, with all a query gets: its duration in the
   * operation histogram and the trackers, slowQuery, the statement deadline (none with
   * `deadline: false`: a pipelined statement, or a cursor that lives as long as its reader), a
   * connection the error broke marked broken, and no secret in the error. Every statement runs
   * this way: pool.query, leases, transactions, the pipeline, and lifeguard/pg, which sends pg's
   * own query objects (types, named statements, cursors) through `run`. Each is a span of its own
   * (a child of its transaction's, inside one), except pool.query's, whose span queryNow made
   * (`untraced`); `parameterized` says its values travel as parameters (db.query.text as written).
   */
  async runOperation<T>(conn: Connection, sql: string, run: (raw: unknown) => Promise<T>, opts?: OperationOptions): Promise<T> {
    const trace = opts?.untraced === true ? undefined : this.tracer?.query(sql, opts?.parameterized === true, conn.traceParent);
    const started = performance.now();
    // A pipelined statement or a cursor (deadline false) is never cancelled from outside: see Adapter.cancel.
    const cancellable = opts?.deadline !== false;
    if (cancellable) conn.statementsRunning++;
    try {
      const running = run(conn.raw);
      return await (cancellable ? this.boundedByStatementTimeout(conn, running, opts?.timeoutMs) : running);
    } catch (err) {
      const error = this.statementFailed(conn, err);
      trace?.failed(error);
      throw error;
    } finally {
      if (cancellable) conn.statementsRunning--;
      trace?.end();
      this.statementFinished(conn, sql, performance.now() - started);
      this.lane?.afterStatement(conn);
    }
  }

  /** Marks the connection broken when the error broke it; returns the error without secrets (drivers echo connection strings). */
  private statementFailed(conn: Connection, err: unknown): unknown {
    if (conn.broken === undefined && this.adapter.isBroken(conn.raw, err)) conn.broken = err;
    return redactError(connectionLossError(conn, err), configSecrets(this.config));
  }

  /** Every statement's duration: the recorder, the metrics trackers and the slow-query alarm. */
  private statementFinished(conn: Connection, sql: string, durationMs: number, now = Date.now()): void {
    this.recorder.query.record(durationMs, now);
    this.trackers.current?.recordOperation(durationMs);
    this.alarms.queryFinished(conn, sql, durationMs);
  }

  /** A statement bounded by the caller's timeoutMs, else by statementTimeoutMs plus its grace (see statement-deadline.ts). */
  private boundedByStatementTimeout<T>(conn: Connection, running: Promise<T>, limitMs = this.statementDeadlineMs): Promise<T> {
    return limitMs > 0 && !this.adapter.synchronous ? withQueryDeadline(conn, running, limitMs, this.canceller.cancel) : running;
  }

  /**
   * The liveness round trip, bounded by what is left of the caller's wait (and connectTimeoutMs)
   * and cut short by the caller's signal: health() passes its own deadline that way, and must
   * answer by it even when the network under an idle connection went silent.
   */
  private async passesValidation(conn: Connection, remainingMs: number, signal?: AbortSignal): Promise<boolean> {
    const limit = Math.min(remainingMs, this.config.connectTimeoutMs > 0 ? this.config.connectTimeoutMs : remainingMs);
    try {
      const validating = withQueryDeadline(conn, this.adapter.validate(conn.raw), Number.isFinite(limit) ? Math.max(limit, 1) : MAX_TIMER_MS);
      await (signal ? untilAborted(validating, signal) : validating);
      return true;
    } catch (err) {
      if (signal?.aborted && err === signal.reason) {
        // Given up on while its check was unanswered: not to be trusted with the next caller either.
        conn.broken ??= new Error('validation did not answer before the caller gave up');
        this.engine.retire(conn, 'validation');
        throw err;
      }
      this.recorder.counters.validationFailures++;
      conn.broken ??= redactError(err, configSecrets(this.config));
      if (conn.uses === 0) this.connector.gate.arrivedDead(conn.broken);
      this.engine.retire(conn, 'validation');
      return false;
    }
  }

  /**
   * A connection released inside a transaction is rolled back before anyone else gets it. The
   * drain waits for these like for borrowed connections; one still rolling back when the drain's
   * time is up is destroyed then (closeRollingBack, which also gives up its lane), and whatever
   * comes back after that is not returned to a pool that has stopped.
   */
  private rollbackThenReturn(conn: Connection, hold: LaneHold | undefined): void {
    const work = (async () => {
      try {
        await this.adapter.rollback(conn.raw);
        if (!this.rollingBack.has(conn)) return;
        hold?.leave();
        if (this.stopped) this.engine.retire(conn, 'drain');
        else this.engine.give(conn);
      } catch (err) {
        if (!this.rollingBack.has(conn)) return;
        hold?.leave();
        conn.broken ??= err;
        this.engine.retire(conn, 'transaction');
        this.lifecycle.reportError(err, 'rollback on release');
      } finally {
        this.rollingBack.delete(conn);
        if (this.closing) this.checkDrained();
      }
    })();
    this.rollingBack.set(conn, { work, hold });
  }

  /** The drain is over: connections still rolling back are destroyed now (the server rolls back as their sessions end). */
  private closeRollingBack(): void {
    for (const [conn, { hold }] of [...this.rollingBack]) {
      this.rollingBack.delete(conn);
      hold?.leave();
      conn.broken ??= new PoolClosedError(this.name);
      this.engine.retire(conn, 'drain');
    }
  }

  /**
   * Retires a connection. One that holds the writer lane inside a transaction is rolled back
   * first (embedded drivers do it within the call), so the next writer never meets its lock.
   */
  private retire(conn: Connection, reason: DestroyReason, hold: LaneHold | undefined): void {
    if (hold === undefined || conn.broken !== undefined || !this.adapter.inTransaction?.(conn.raw)) {
      this.engine.retire(conn, reason);
      hold?.leave();
      return;
    }
    const rolledBack = this.adapter.rollback(conn.raw).catch(() => undefined);
    this.engine.retire(conn, reason);
    void rolledBack.finally(() => hold.leave());
  }

  /** What the writer lane needs from its pool (pool-lane.ts). */
  private laneHost(): PoolLaneHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const pool = this;
    return {
      name: this.name,
      acquireTimeoutMs: this.config.acquireTimeoutMs,
      get stopped() {
        return pool.stopped;
      },
      takeConnection: (timeoutMs, signal) => this.acquireNow(timeoutMs, signal),
      giveBack: (conn, err) => this.releaseConnection(conn, err),
      inTransaction: (conn) => this.adapter.inTransaction?.(conn.raw),
      queueFull: (laneWaiting) => this.queueFull(laneWaiting),
      timedOut: (error) => this.reportTimeout(error),
    };
  }

  /** @internal the narrow view of the pool that transactions need. */
  get transactionHost() {
    return {
      adapter: this.adapter,
      acquireTimeoutMs: this.config.acquireTimeoutMs,
      acquireConnection: (timeoutMs: number, signal: AbortSignal | undefined, write: boolean) =>
        write && this.lane !== undefined ? this.lane.acquireWriter(timeoutMs, signal) : this.acquireConnection(timeoutMs, signal),
      inLaneScope: <T>(conn: Connection, fn: () => Promise<T>) => (this.lane === undefined ? fn() : runInLaneScope(conn, fn)),
      releaseConnection: (conn: Connection, err?: unknown) => this.releaseConnection(conn, err),
      lease: (conn: Connection) => new PooledConnection(this, conn, true),
      bounded: <T>(conn: Connection, running: Promise<T>) => this.boundedByStatementTimeout(conn, running),
      tracer: this.tracer,
    };
  }

  private timeoutError(waitedMs: number, pending: number): PoolTimeoutError {
    return this.reportTimeout(new PoolTimeoutError(this.name, waitedMs, pending, this.connectFailure));
  }

  /** Counts a caller that gave up waiting (for a connection or the writer lane) and emits acquireTimeout. */
  private reportTimeout(error: PoolTimeoutError): PoolTimeoutError {
    const { waitedMs, pending } = error;
    this.recorder.counters.acquireTimeouts++;
    this.recorder.lastTimeoutAt = Date.now();
    this.emit('acquireTimeout', { pool: this.name, waitedMs, pending, error });
    return error;
  }

  private trackUtilization(now: number): void {
    this.alarms.usageChanged(this.borrowed.size, this.pending, now);
  }

  /** @internal The last attempt to open a connection failed (none has succeeded since). */
  get cannotConnect(): boolean {
    return this.connector.gate.consecutiveFailures > 0;
  }

  /**
   * @internal Waiting callers the pool cannot serve: those no idle, opening or still-openable
   * connection will serve (they wait for a release), or every one while connections cannot be opened.
   */
  get unservedCallers(): number {
    return this.cannotConnect ? this.engine.pending : this.engine.waitingForRelease;
  }

  private runHousekeeping(): void {
    // Also lets a level fall back once the pool has gone quiet (nothing else would report it).
    this.trackUtilization(Date.now());
    this.engine.evictIdle();
    const now = Date.now();
    const { pipeline } = this;
    if (pipeline === undefined) this.alarms.findLeaks(this.borrowed, now);
    else {
      // A shared loan lasts as long as statements keep coming: each pipelined statement is watched instead.
      this.alarms.findLeaks([...this.borrowed].filter((conn) => !pipeline.isShared(conn)), now);
      this.alarms.findLeaks(pipeline.inFlight(), now);
    }
  }

  /**
   * Two phases. Until every call accepted before close() has settled and every lease is back (or
   * timeoutMs passes), the pool works as usual for them, new calls excepted. Then it stops: no
   * more connections are opened, whatever still waits is rejected, whatever is still borrowed is
   * destroyed under its holder, and the idle connections are closed.
   */
  private async drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    if (this.inFlight > 0 || this.borrowed.size > 0 || this.rollingBack.size > 0) {
      const drained = new Promise<void>((resolve) => (this.onDrained = resolve));
      // At least 1 ms, as before: close({ timeoutMs: 0 }) stops at once rather than waiting unbounded.
      await withDeadline(drained, Math.max(1, timeoutMs), () => undefined);
      this.onDrained = undefined;
    }
    this.stopped = true;
    this.engine.stopCreating();
    this.lifecycle.stop();
    if (this.housekeeping) clearInterval(this.housekeeping);
    const keepaliveStopped = this.keepalive?.stop();
    this.engine.rejectWaiters(new PoolClosedError(this.name));
    this.pipeline?.stop(new PoolClosedError(this.name));
    // Given up on while a statement still runs: closing the socket would not stop it on the server.
    this.canceller.cancelRunning(this.borrowed);
    for (const conn of [...this.borrowed]) {
      conn.broken ??= new PoolClosedError(this.name);
      this.releaseConnection(conn);
    }
    this.closeRollingBack();
    // A connection out for its keepalive check is neither idle nor lent: it is retired when the check ends.
    await keepaliveStopped;
    await Promise.all([this.engine.shutdown(), this.canceller.settled()]);
  }
}

/** A caller that waits for a connection: the engine's promise, not yet admitted (validated, lent). */
class Waiting {
  constructor(
    readonly granted: Promise<Connection>,
    readonly startedAt: number,
  ) {}
}
