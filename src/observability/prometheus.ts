import type * as PromClient from 'prom-client';
import { ConfigError } from '../shared/errors';
import { PROMETHEUS, POOL_DURATION_BUCKETS_SECONDS, DURATION_BUCKETS_SECONDS } from './metric-names';
import type { MetricsTracker } from '../pool/metrics-tracker';
import { loadOptionalPackage } from '../shared/optional-package';
import type { ObservedPool, PoolSizes } from '../pool/observed-pool';
import { COUNTER_FEEDS, type CounterFeed } from './metric-counters';
import { PoolHistogram } from './bucket-histogram';

type Prom = typeof PromClient;
type Histogram = PoolHistogram;

export interface PoolMetricsOptions {
  /** Histogram boundaries for wait, create and use times, in seconds. */
  poolBucketsSeconds?: readonly number[];
  /** Histogram boundaries for db_client_operation_duration_seconds, in seconds. */
  operationBucketsSeconds?: readonly number[];
}

/** Everything lifeguard registered in one prom-client registry, shared by the pools it serves. */
interface RegistryState {
  readonly pools: Map<string, ObservedPool>;
  readonly unregister: Map<ObservedPool, () => void>;
  readonly metrics: PromClient.Metric[];
  readonly histograms: { create: Histogram; wait: Histogram; use: Histogram; operation: Histogram };
  readonly counters: ReadonlyMap<CounterFeed, PromClient.Counter<string>>;
  /** Last counter values seen per pool, so each scrape adds only what happened since. */
  readonly seen: Map<ObservedPool, Map<string, number>>;
}

const states = new WeakMap<PromClient.Registry, RegistryState>();

/**
 * Exposes a pool through prom-client under the OpenTelemetry names (db_client_connection_count,
 * ..._wait_time_seconds, ...), labelled `pool_name`. Gauges and counters are read from the pool at
 * scrape time; the four duration histograms are fed through the pool's metrics tracker.
 *
 * Several pools share one registry, told apart by `pool_name`. Registering the same pool again
 * returns the same unregister function; registering a second open pool under a name already
 * registered is a ConfigError (their series would mix), while a closed pool of that name is
 * replaced (a service that re-created its pool). Returns a function that removes the pool's series.
 *
 * prom-client is an optional peer dependency, loaded on first use.
 */
export function registerPoolMetrics(pool: ObservedPool, registry?: PromClient.Registry, options: PoolMetricsOptions = {}): () => void {
  const prom = loadOptionalPackage<Prom>('prom-client', 'registerPoolMetrics (Prometheus metrics)');
  const target = registry ?? prom.register;
  const state = states.get(target) ?? createState(prom, target, options);
  const existing = state.unregister.get(pool);
  if (existing) return existing;
  const holder = state.pools.get(pool.name);
  if (holder !== undefined) {
    if (!holder.isClosed) {
      throw new ConfigError(
        'name',
        `Another open pool named "${pool.name}" is already registered in this metrics registry; their series would mix. ` +
          'Give each pool its own name (the `name` option), or unregister the first one.',
      );
    }
  }
  state.pools.set(pool.name, pool);
  // A closed pool replaced by a new one of the same name: its counters continue in one series.
  if (holder !== undefined) state.unregister.get(holder)?.();
  state.seen.set(pool, new Map());
  const uninstall = pool.addTracker(prometheusTracker(state, pool.name));
  let done = false;
  const unregister = () => {
    if (done) return;
    done = true;
    uninstall();
    state.unregister.delete(pool);
    state.seen.delete(pool);
    if (state.pools.get(pool.name) !== pool) return;
    state.pools.delete(pool.name);
    if (state.pools.size === 0) dropState(target, state);
    else removeSeries(state, pool);
  };
  state.unregister.set(pool, unregister);
  return unregister;
}

function prometheusTracker(state: RegistryState, poolName: string): MetricsTracker {
  // Each series is looked up once here, not per observation (see PoolHistogram).
  const create = state.histograms.create.seriesFor(poolName);
  const wait = state.histograms.wait.seriesFor(poolName);
  const use = state.histograms.use.seriesFor(poolName);
  const operation = state.histograms.operation.seriesFor(poolName);
  return {
    recordCreate: (ms) => create.observe(ms / 1000),
    recordWait: (ms) => wait.observe(ms / 1000),
    recordUse: (ms) => use.observe(ms / 1000),
    recordOperation: (ms) => operation.observe(ms / 1000),
  };
}

function createState(prom: Prom, registry: PromClient.Registry, options: PoolMetricsOptions): RegistryState {
  assertNamesFree(registry);
  const pools = new Map<string, ObservedPool>();
  const seen = new Map<ObservedPool, Map<string, number>>();
  const gauges = createGauges(prom, registry, pools);
  const counters = new Map(COUNTER_FEEDS.map((feed) => [feed, feedCounter(prom, [registry], feed, pools, seen)] as const));
  const histograms = createHistograms(registry, options);
  const metrics: PromClient.Metric[] = [...gauges, ...counters.values(), ...(Object.values(histograms) as unknown as PromClient.Metric[])];
  const state: RegistryState = { pools, unregister: new Map(), metrics, histograms, counters, seen };
  states.set(registry, state);
  return state;
}

/** Checked before anything is registered, so a clash leaves the registry as it was. */
function assertNamesFree(registry: PromClient.Registry): void {
  const taken = Object.values(PROMETHEUS).find((name) => registry.getSingleMetric(name) !== undefined);
  if (taken === undefined) return;
  throw new ConfigError(
    'registry',
    `The metrics registry already has a metric named "${taken}" that this registerPoolMetrics did not create ` +
      '(another library, or a second copy of lifeguard). Give lifeguard a Registry of its own and combine them with Registry.merge().',
  );
}

/** Gauges read from every registered pool at scrape time (sizes only: no percentiles to sort). */
function createGauges(prom: Prom, registry: PromClient.Registry, pools: Map<string, ObservedPool>): PromClient.Metric[] {
  const registers = [registry];
  const gauge = (name: string, help: string, read: (s: PoolSizes) => number) =>
    new prom.Gauge({
      name,
      help,
      labelNames: ['pool_name'],
      registers,
      collect() {
        this.reset();
        for (const pool of pools.values()) this.set({ pool_name: pool.name }, read(pool.sizes()));
      },
    });
  const count = new prom.Gauge({
    name: PROMETHEUS.connectionCount,
    help: 'Open connections by state: idle (in the pool) or used (borrowed).',
    labelNames: ['pool_name', 'state'],
    registers,
    collect() {
      this.reset();
      for (const pool of pools.values()) {
        const s = pool.sizes();
        this.set({ pool_name: pool.name, state: 'idle' }, s.idle);
        this.set({ pool_name: pool.name, state: 'used' }, s.active);
      }
    },
  });
  return [
    count,
    gauge(PROMETHEUS.connectionMax, 'The most open connections the pool allows (max).', (s) => s.max),
    gauge(PROMETHEUS.idleMin, 'The fewest idle connections the pool keeps open (min).', (s) => s.min),
    gauge(PROMETHEUS.idleMax, 'The most idle connections the pool keeps open (max: idle ones are capped by the pool size only).', (s) => s.max),
    gauge(PROMETHEUS.pendingRequests, 'Callers waiting for a connection right now.', (s) => s.pending),
  ];
}

function createHistograms(registry: PromClient.Registry, options: PoolMetricsOptions): RegistryState['histograms'] {
  const histogram = (name: string, help: string, buckets: readonly number[]) => {
    const metric = new PoolHistogram(name, help, buckets);
    // A custom metric (name, help, type, get, reset), which prom-client's Registry renders as its own.
    registry.registerMetric(metric as unknown as PromClient.Metric);
    return metric;
  };
  const poolBuckets = options.poolBucketsSeconds ?? POOL_DURATION_BUCKETS_SECONDS;
  return {
    create: histogram(PROMETHEUS.createTime, 'Time it took to open a connection, in seconds.', poolBuckets),
    wait: histogram(PROMETHEUS.waitTime, 'Time callers waited for a connection from the pool, in seconds.', poolBuckets),
    use: histogram(PROMETHEUS.useTime, 'Time between borrowing a connection and returning it, in seconds.', poolBuckets),
    operation: histogram(
      PROMETHEUS.operationDuration,
      'Duration of queries run through the pool, in seconds.',
      options.operationBucketsSeconds ?? DURATION_BUCKETS_SECONDS,
    ),
  };
}

/** A prom-client counter that, at each scrape, adds what the pool's own counter grew by since the last. */
function feedCounter(
  prom: Prom,
  registers: PromClient.Registry[],
  feed: CounterFeed,
  pools: Map<string, ObservedPool>,
  seen: Map<ObservedPool, Map<string, number>>,
): PromClient.Counter<string> {
  return new prom.Counter({
    name: feed.name,
    help: feed.help,
    labelNames: ['pool_name', ...(feed.labelName ? [feed.labelName] : [])],
    registers,
    collect() {
      for (const pool of pools.values()) {
        const last = seen.get(pool);
        if (last === undefined) continue;
        for (const [labelValue, value] of feed.read(pool.recorder.counters)) {
          const key = `${feed.name}|${labelValue}`;
          const grown = value - (last.get(key) ?? 0);
          last.set(key, value);
          const labels = feed.labelName ? { pool_name: pool.name, [feed.labelName]: labelValue } : { pool_name: pool.name };
          // inc(0) too, so every pool shows a zero series from its first scrape.
          this.inc(labels, Math.max(grown, 0));
        }
      }
    },
  });
}

/** A pool left the registry: its series go with it rather than freezing at their last value. */
function removeSeries(state: RegistryState, pool: ObservedPool): void {
  for (const histogram of Object.values(state.histograms)) histogram.remove({ pool_name: pool.name });
  for (const [feed, counter] of state.counters) {
    for (const [labelValue] of feed.read(pool.recorder.counters)) {
      counter.remove(feed.labelName ? { pool_name: pool.name, [feed.labelName]: labelValue } : { pool_name: pool.name });
    }
  }
}

/** The last pool left the registry: remove lifeguard's metrics so a later registration starts clean. */
function dropState(registry: PromClient.Registry, state: RegistryState): void {
  for (const metric of state.metrics) registry.removeSingleMetric((metric as unknown as { name: string }).name);
  states.delete(registry);
}
