import type { EventEmitter } from 'eventemitter3';
import type { Adapter } from '../../adapters/contract';
import type { Logger, ResolvedConfig } from '../config/types';
import { configSecrets } from '../config/config-secrets';
import { newConnection, retirementReason, type Connection, type DestroyReason } from './connection';
import type { ConnectionObserver } from './connection-observer';
import type { Connector } from './connector';
import { ConnectionError } from '../shared/errors';
import { messageOf } from '../shared/message-of';
import type { PoolEvents } from './events';
import { FleetCheck } from '../sizing/fleet-check';
import type { MetricsTracker } from './metrics-tracker';
import { redactError } from '../shared/secret';
import type { PoolRecorder } from './recorder';

/** What the lifecycle reads of its pool: its name, its events, and the tracker installed after it was built. */
export interface LifecycleOwner extends EventEmitter<PoolEvents> {
  readonly name: string;
  readonly tracker: MetricsTracker | undefined;
}

/**
 * What happens to a connection outside the acquire/release path: opened, closed, failing to
 * open, or judged by the idle evictor. The Engine calls these hooks; the pool only reports its
 * own background failures here and stops the lifecycle when its drain is over.
 */
export class ConnectionLifecycle {
  /** The drain is over: create failures from now on are the pool closing, not news. */
  private stopped = false;
  /** Once per pool, on its first connection: does max × instances fit the server? */
  private readonly fleetCheck: FleetCheck;
  /** Data-layer facades listening (lifeguard/pg); none costs one size check per open. */
  private readonly observers = new Set<ConnectionObserver>();

  constructor(
    private readonly owner: LifecycleOwner,
    private readonly config: ResolvedConfig,
    private readonly adapter: Adapter<unknown>,
    private readonly connector: Connector<unknown>,
    private readonly recorder: PoolRecorder,
    private readonly logger: Logger,
    /** Sends broken idle connections away now (the engine's evictor). */
    private readonly evictIdle: () => void,
  ) {
    this.fleetCheck = new FleetCheck(config, adapter, logger);
  }

  /** Adds an observer (see connection-observer.ts); returns the function that removes it. */
  observe(observer: ConnectionObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  async openConnection(): Promise<Connection> {
    const started = performance.now();
    const { raw, attemptMs } = await this.connector.open();
    const conn = newConnection(raw, this.config.maxLifetimeMs);
    try {
      this.adapter.onIdleError?.(raw, (err) => {
        conn.broken ??= err;
        for (const observer of this.observers) observer.failed?.(conn, err);
        // An idle connection that broke goes now, not when someone next asks for it.
        if (conn.borrowedAt === 0) this.evictIdle();
        this.reportError(err, 'idle connection');
      });
    } catch (err) {
      // Opened but never handed to the engine: nobody else would close it.
      await this.adapter.close(raw).catch(() => undefined);
      throw err;
    }
    if (this.observers.size > 0) await this.runOpenedHooks(conn);
    this.connector.gate.succeeded();
    const durationMs = performance.now() - started;
    this.recorder.counters.created++;
    this.recorder.connect.record(durationMs);
    this.owner.tracker?.recordCreate(durationMs);
    this.owner.emit('connect', { pool: this.owner.name, connectionId: conn.id, durationMs });
    this.reportSlowConnect(conn, attemptMs);
    // Not awaited: the check must never hold a connection back from callers (a server that stops
    // answering would keep it from them). Drivers queue commands per connection, so the caller's
    // first query simply runs after this one.
    void this.fleetCheck.afterConnect(raw);
    return conn;
  }

  /** The observers' setup of a new connection; one that fails closes it and counts as a failed attempt. */
  private async runOpenedHooks(conn: Connection): Promise<void> {
    try {
      for (const observer of [...this.observers]) await observer.opened?.(conn);
    } catch (err) {
      this.connector.gate.failed(err);
      conn.broken ??= err;
      await this.adapter.close(conn.raw).catch(() => undefined);
      throw redactError(err instanceof Error ? err : new ConnectionError(String(err)), configSecrets(this.config));
    }
  }

  /** An attempt over slowConnectMs (backoff waits excluded): an event, a warn log and a count. */
  private reportSlowConnect(conn: Connection, attemptMs: number): void {
    const { slowConnectMs } = this.config;
    if (slowConnectMs <= 0 || attemptMs < slowConnectMs) return;
    this.recorder.counters.slowConnects++;
    const event = { pool: this.owner.name, connectionId: conn.id, durationMs: Math.round(attemptMs), slowConnectMs };
    this.owner.emit('slowConnect', event);
    this.logger.warn(event, 'lifeguard: slow connect');
  }

  async closeConnection(conn: Connection): Promise<void> {
    const reason: DestroyReason = conn.destroyReason ?? 'broken';
    this.recorder.counters.destroyed[reason]++;
    const error = conn.broken instanceof Error ? conn.broken : undefined;
    this.owner.emit('destroy', { pool: this.owner.name, connectionId: conn.id, reason, ...(error ? { error } : {}) });
    try {
      await this.adapter.close(conn.raw);
    } catch (err) {
      // Closing a dead connection fails as often as not; it is gone either way.
      this.logger.debug({ pool: this.owner.name, connectionId: conn.id, err: messageOf(err) }, 'lifeguard: close failed');
    }
    for (const observer of this.observers) observer.closed?.(conn, reason);
  }

  onCreateError(err: unknown): void {
    if (this.stopped) return;
    this.recorder.counters.createErrors++;
    const error = err instanceof Error ? err : new ConnectionError(String(err));
    const { attempts, consecutiveFailures } = this.connector.gate;
    this.owner.emit('createError', { pool: this.owner.name, error, attempt: attempts, consecutiveFailures });
    if (consecutiveFailures === 1) this.logger.warn({ pool: this.owner.name, err: error.message }, 'lifeguard: cannot connect, retrying with backoff');
  }

  idleEvictionReason(conn: Connection, total: number, now: number): DestroyReason | undefined {
    const retire = retirementReason(conn, this.config.maxUses, now);
    if (retire !== undefined) return retire;
    const { idleTimeoutMs, min } = this.config;
    if (idleTimeoutMs > 0 && total > min && now - conn.lastUsedAt >= idleTimeoutMs) return 'idle';
    return undefined;
  }

  /** A failure the pool handled on its own, in the background: told to listeners, never thrown. */
  reportError(err: unknown, context: string): void {
    const error = redactError(err instanceof Error ? err : new Error(String(err)), configSecrets(this.config));
    this.owner.emit('error', { pool: this.owner.name, error, context });
    this.logger.debug({ pool: this.owner.name, context, err: error.message }, 'lifeguard: background error handled');
  }

  /** The drain is over: attempts under way are aborted and their failures go unreported. */
  stop(): void {
    this.stopped = true;
    this.connector.stop();
  }
}
