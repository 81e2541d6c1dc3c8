import type * as OtelApi from '@opentelemetry/api';
import { DURATION_BUCKETS_SECONDS, OTEL, POOL_DURATION_BUCKETS_SECONDS, dbSystemName } from './metric-names';
import type { MetricsTracker } from '../pool/metrics-tracker';
import { loadOptionalPackage } from '../shared/optional-package';
import type { ObservedPool } from '../pool/observed-pool';

type Meter = OtelApi.Meter;

/** The instruments of one meter, created once and shared by every pool measured through it. */
interface Instruments {
  count: OtelApi.ObservableUpDownCounter;
  max: OtelApi.ObservableUpDownCounter;
  idleMin: OtelApi.ObservableUpDownCounter;
  idleMax: OtelApi.ObservableUpDownCounter;
  pending: OtelApi.ObservableUpDownCounter;
  timeouts: OtelApi.ObservableCounter;
  createTime: OtelApi.Histogram;
  waitTime: OtelApi.Histogram;
  useTime: OtelApi.Histogram;
  operationDuration: OtelApi.Histogram;
}

const instrumentsByMeter = new WeakMap<Meter, Instruments>();
const registrations = new WeakMap<Meter, Map<ObservedPool, () => void>>();

const METER_NAME = 'lifeguard';

/**
 * Reports a pool through the OpenTelemetry metrics API under the semantic-convention names for
 * database client connection pools (db.client.connection.count with db.client.connection.state,
 * ...max, ...idle.min, ...idle.max, ...pending_requests, ...timeouts, ...create_time, ...wait_time,
 * ...use_time, and db.client.operation.duration), each with db.client.connection.pool.name.
 * Counts are observable instruments read at collection time; durations are histograms fed by the
 * pool's metrics tracker. Without a meter it uses the global MeterProvider's meter "lifeguard", so
 * an application that has set up the OpenTelemetry SDK needs nothing else (and no Prometheus).
 *
 * Registering the same pool on the same meter again returns the same unregister function.
 * @opentelemetry/api is an optional peer dependency, loaded on first use.
 */
export function registerPoolOtelMetrics(pool: ObservedPool, meter?: Meter): () => void {
  const target = meter ?? loadOptionalPackage<typeof OtelApi>('@opentelemetry/api', 'registerPoolOtelMetrics (OpenTelemetry metrics)').metrics.getMeter(METER_NAME);
  const byPool = registrations.get(target) ?? new Map<ObservedPool, () => void>();
  registrations.set(target, byPool);
  const existing = byPool.get(pool);
  if (existing) return existing;

  const instruments = instrumentsByMeter.get(target) ?? createInstruments(target);
  instrumentsByMeter.set(target, instruments);
  const poolAttrs = { [OTEL.attrPoolName]: pool.name };
  const observe: OtelApi.BatchObservableCallback = (result) => observePool(result, instruments, pool, poolAttrs);
  const observables = [instruments.count, instruments.max, instruments.idleMin, instruments.idleMax, instruments.pending, instruments.timeouts];
  target.addBatchObservableCallback(observe, observables);
  const uninstall = pool.addTracker(otelTracker(instruments, poolAttrs, { ...poolAttrs, [OTEL.attrSystem]: dbSystemName(pool.adapter.name) }));

  const unregister = () => {
    if (byPool.get(pool) !== unregister) return;
    byPool.delete(pool);
    uninstall();
    target.removeBatchObservableCallback(observe, observables);
  };
  byPool.set(pool, unregister);
  return unregister;
}

function observePool(result: OtelApi.BatchObservableResult, i: Instruments, pool: ObservedPool, attrs: OtelApi.Attributes): void {
  const s = pool.sizes();
  result.observe(i.count, s.idle, { ...attrs, [OTEL.attrState]: 'idle' });
  result.observe(i.count, s.active, { ...attrs, [OTEL.attrState]: 'used' });
  result.observe(i.max, s.max, attrs);
  result.observe(i.idleMin, s.min, attrs);
  result.observe(i.idleMax, s.max, attrs);
  result.observe(i.pending, s.pending, attrs);
  result.observe(i.timeouts, pool.recorder.counters.acquireTimeouts, attrs);
}

function otelTracker(i: Instruments, poolAttrs: OtelApi.Attributes, operationAttrs: OtelApi.Attributes): MetricsTracker {
  return {
    recordCreate: (ms) => i.createTime.record(ms / 1000, poolAttrs),
    recordWait: (ms) => i.waitTime.record(ms / 1000, poolAttrs),
    recordUse: (ms) => i.useTime.record(ms / 1000, poolAttrs),
    recordOperation: (ms) => i.operationDuration.record(ms / 1000, operationAttrs),
  };
}

function createInstruments(meter: Meter): Instruments {
  const connections = (name: string, description: string) => meter.createObservableUpDownCounter(name, { description, unit: '{connection}' });
  const seconds = (name: string, description: string, buckets: readonly number[]) =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: [...buckets] } });
  return {
    count: connections(OTEL.connectionCount, 'Open connections by state: idle (in the pool) or used (borrowed).'),
    max: connections(OTEL.connectionMax, 'The most open connections the pool allows.'),
    idleMin: connections(OTEL.idleMin, 'The fewest idle connections the pool keeps open.'),
    idleMax: connections(OTEL.idleMax, 'The most idle connections the pool keeps open.'),
    pending: meter.createObservableUpDownCounter(OTEL.pendingRequests, { description: 'Callers waiting for a connection.', unit: '{request}' }),
    timeouts: meter.createObservableCounter(OTEL.timeouts, { description: 'Callers that gave up waiting for a connection.', unit: '{timeout}' }),
    createTime: seconds(OTEL.createTime, 'Time it took to open a connection.', POOL_DURATION_BUCKETS_SECONDS),
    waitTime: seconds(OTEL.waitTime, 'Time callers waited for a connection from the pool.', POOL_DURATION_BUCKETS_SECONDS),
    useTime: seconds(OTEL.useTime, 'Time between borrowing a connection and returning it.', POOL_DURATION_BUCKETS_SECONDS),
    operationDuration: seconds(OTEL.operationDuration, 'Duration of queries run through the pool.', DURATION_BUCKETS_SECONDS),
  };
}
