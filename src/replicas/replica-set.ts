import { setMaxListeners } from 'node:events';
import type { Logger, PoolOptions, PoolSettings, ResolvedConfig } from '../config/types';
import { resolveConfig } from '../config';
import { SETTINGS } from '../config/options';
import { secretOption } from '../config/secret-options';
import type { ReadPrimary, RoutedPool } from '../pool/read-routing';
import type { ReadRoutingStats } from '../pool/recorder';
import { ConfigError, ConnectionError, ReplicaLagError } from '../shared/errors';
import { messageOf } from '../shared/message-of';

/** Used when replicaCheckIntervalMs is 0: a replica taken out must still come back. */
export const DEFAULT_REPLICA_CHECK_INTERVAL_MS = 5000;

export class Replica<P extends RoutedPool = RoutedPool> {
  healthy = true;
  reads = 0;
  failures = 0;
  lastError: string | undefined;
  lagMs: number | undefined;
  private down = Replica.downController();

  constructor(
    readonly pool: P,
    readonly url: string,
  ) {}

  /** Aborts when this replica is taken out, so reads waiting on it can go elsewhere at once. */
  get downSignal(): AbortSignal {
    return this.down.signal;
  }

  markDown(error: Error): boolean {
    if (!this.healthy) return false;
    this.healthy = false;
    this.failures++;
    this.lastError = error.message;
    this.down.abort(new ConnectionError(`Read replica ${this.url} was taken out: ${error.message}`, error));
    return true;
  }

  markUp(): boolean {
    if (this.healthy) return false;
    this.healthy = true;
    this.down = Replica.downController();
    return true;
  }

  /** Every read waiting on this replica listens to one signal: many listeners are expected, not a leak. */
  private static downController(): AbortController {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  }

  /** Callers in flight or waiting, per connection slot: the least busy replica gets the next read. */
  get load(): number {
    return this.pool.load;
  }
}

/**
 * The read replicas beside a primary: one pool each, health-checked on a timer. A replica that
 * fails a check, or cannot be reached during a read, is taken out; the timer keeps checking it
 * and puts it back when a check passes.
 */
export class ReplicaSet<P extends RoutedPool = RoutedPool> {
  readonly members: Replica<P>[];
  primaryFallbackReads = 0;
  private readonly timer: NodeJS.Timeout;
  private nextStart = 0;
  private checking = false;

  constructor(
    private readonly host: ReadPrimary,
    options: PoolOptions,
    makePool: (options: PoolOptions) => P,
    private readonly logger: Logger,
  ) {
    const { config } = host;
    // Every replica's settings are checked before any pool opens, so a bad one leaves nothing behind.
    const replicaOptions = config.secretReadReplicaUrls.map((secret, i) => replicaPoolOptions(config, options, secret.reveal(), i));
    this.members = [];
    try {
      for (const [i, opts] of replicaOptions.entries()) {
        const replica = new Replica(makePool(opts), config.readReplicaUrls[i]);
        // A replica that cannot be connected to is out now, not at the next check.
        replica.pool.on('createError', ({ error }) => this.takeOut(replica, error));
        this.members.push(replica);
      }
    } catch (err) {
      for (const replica of this.members) void replica.pool.close({ timeoutMs: 0 });
      throw err;
    }
    const intervalMs = config.replicaCheckIntervalMs > 0 ? config.replicaCheckIntervalMs : DEFAULT_REPLICA_CHECK_INTERVAL_MS;
    this.timer = setInterval(() => void this.checkAll(), intervalMs);
    this.timer.unref();
  }

  /** The healthy replica with the least load among those not yet tried; ties rotate. */
  pick(tried: ReadonlySet<Replica<P>>): Replica<P> | undefined {
    let best: Replica<P> | undefined;
    let bestLoad = Infinity;
    const count = this.members.length;
    for (let k = 0; k < count; k++) {
      const replica = this.members[(this.nextStart + k) % count];
      if (!replica.healthy || tried.has(replica) || replica.pool.isClosed) continue;
      const load = replica.load;
      if (load < bestLoad) {
        best = replica;
        bestLoad = load;
      }
    }
    this.nextStart = (this.nextStart + 1) % Math.max(count, 1);
    return best;
  }

  takeOut(replica: Replica<P>, error: Error): void {
    if (!replica.markDown(error)) return;
    const event = { pool: this.host.name, replica: replica.pool.name, url: replica.url, error };
    this.host.emit('replicaDown', event);
    this.logger.warn({ pool: this.host.name, replica: replica.pool.name, url: replica.url, err: error.message }, 'lifeguard: read replica taken out; reads go to the other replicas or the primary');
  }

  /** Runs every replica's health check; one round at a time. */
  async checkAll(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(this.members.map((replica) => this.check(replica)));
    } finally {
      this.checking = false;
    }
  }

  private async check(replica: Replica<P>): Promise<void> {
    if (replica.pool.isClosed) return;
    const report = await replica.pool.health();
    if (report.status === 'unhealthy') {
      this.takeOut(replica, new ConnectionError(`health check failed: ${report.error ?? 'unknown error'}`));
      return;
    }
    const lagError = await this.lagError(replica);
    if (lagError) {
      this.takeOut(replica, lagError);
    } else if (replica.markUp()) {
      this.host.emit('replicaUp', { pool: this.host.name, replica: replica.pool.name, url: replica.url });
      this.logger.info({ pool: this.host.name, replica: replica.pool.name, url: replica.url }, 'lifeguard: read replica healthy again; reads return to it');
    }
  }

  /** A ReplicaLagError when the replica is further behind than maxReplicaLagMs; undefined when fine or unmeasurable. */
  private async lagError(replica: Replica<P>): Promise<Error | undefined> {
    const maxLagMs = this.host.config.maxReplicaLagMs;
    const { adapter } = replica.pool;
    const measure = adapter.replicationLagMs;
    if (maxLagMs <= 0 || measure === undefined) return undefined;
    try {
      replica.lagMs = await replica.pool.withConnection((conn) => measure.call(adapter, conn.raw));
    } catch (err) {
      return err instanceof Error ? err : new ConnectionError(String(err));
    }
    if (replica.lagMs === undefined || replica.lagMs <= maxLagMs) return undefined;
    return new ReplicaLagError(replica.url, replica.lagMs, maxLagMs);
  }

  stats(): ReadRoutingStats {
    return {
      primaryFallbackReads: this.primaryFallbackReads,
      replicas: this.members.map((r) => ({
        name: r.pool.name,
        url: r.url,
        healthy: r.healthy,
        reads: r.reads,
        failures: r.failures,
        ...(r.lastError !== undefined ? { lastError: r.lastError } : {}),
        ...(r.lagMs !== undefined ? { lagMs: r.lagMs } : {}),
        pool: r.pool.stats(),
      })),
    };
  }

  async close(opts: { timeoutMs?: number }): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.members.map((r) => r.pool.close(opts)));
  }
}

/**
 * A replica pool takes every setting the primary resolved, except those its own URL sets (a
 * replica may need its own sslmode, say), and never has replicas of its own.
 */
function replicaPoolOptions(primary: ResolvedConfig, options: PoolOptions, url: string, index: number): PoolOptions {
  const name = `${primary.name.slice(0, 50)}:replica-${index + 1}`;
  let ownUrlSettings: ResolvedConfig['sources'];
  try {
    ownUrlSettings = resolveConfig({ url, env: {}, name }).sources;
  } catch (err) {
    throw new ConfigError(primary.origins.readReplicaUrls ?? 'readReplicaUrls', `Read replica ${index + 1} (${primary.readReplicaUrls[index]}) is not usable: ${messageOf(err)}`);
  }
  const inherited: Partial<Record<keyof PoolSettings, unknown>> = {};
  for (const { key } of SETTINGS) {
    if (ownUrlSettings[key] !== 'url') inherited[key] = primary[key];
  }
  return {
    ...(inherited as Partial<PoolSettings>),
    readReplicaUrls: [],
    name,
    url,
    env: {},
    profile: primary.profile,
    // A rotated password is the same role's on every replica (replication copies it); a function is asked per connection there too.
    ...(primary.authToken ? { authToken: secretOption(primary.authToken) } : {}),
    ...(primary.password ? { password: secretOption(primary.password) } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    adapterOptions: primary.adapterOptions,
  };
}
