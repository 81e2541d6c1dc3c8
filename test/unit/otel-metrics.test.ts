import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type MetricData, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { registerPoolOtelMetrics, type PooledConnection } from '../../src';
import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';

/** A reader the test pulls from, as an exporter's reader would on its schedule. */
class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

let provider: MeterProvider;
let reader: PullReader;

beforeEach(() => {
  reader = new PullReader();
  provider = new MeterProvider({ readers: [reader] });
});
afterEach(async () => {
  await closeFakePools();
  await provider.shutdown();
  metrics.disable();
});

async function collect(): Promise<MetricData[]> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
}

function point(all: MetricData[], name: string, attrs: Record<string, string>): unknown {
  const metric = all.find((m) => m.descriptor.name === name);
  const found = metric?.dataPoints.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
  return found?.value;
}

function histogramCount(all: MetricData[], name: string, pool: string): number | undefined {
  const metric = all.find((m) => m.descriptor.name === name) as HistogramMetricData | undefined;
  return metric?.dataPoints.find((p) => p.attributes['db.client.connection.pool.name'] === pool)?.value.count;
}

describe('registerPoolOtelMetrics with a real MeterProvider', () => {
  it('observes every count under the semantic-convention names while connections are held and queued', async () => {
    const { pool } = fakePool({ name: 'otel-live', min: 1, max: 2 });
    registerPoolOtelMetrics(pool, provider.getMeter('test'));
    const p = { 'db.client.connection.pool.name': 'otel-live' };

    const held: PooledConnection[] = [await pool.acquire(), await pool.acquire()];
    const queued = pool.acquire();
    await settle();
    let all = await collect();
    expect(point(all, 'db.client.connection.count', { ...p, 'db.client.connection.state': 'used' })).toBe(2);
    expect(point(all, 'db.client.connection.count', { ...p, 'db.client.connection.state': 'idle' })).toBe(0);
    expect(point(all, 'db.client.connection.pending_requests', p)).toBe(1);
    expect(point(all, 'db.client.connection.max', p)).toBe(2);
    expect(point(all, 'db.client.connection.idle.min', p)).toBe(1);
    expect(point(all, 'db.client.connection.idle.max', p)).toBe(2);
    expect(all.find((m) => m.descriptor.name === 'db.client.connection.count')?.descriptor.unit).toBe('{connection}');

    held[0].release();
    held.push(await queued);
    held[1].release();
    held[2].release();
    await settle();
    all = await collect();
    expect(point(all, 'db.client.connection.count', { ...p, 'db.client.connection.state': 'used' })).toBe(0);
    expect(point(all, 'db.client.connection.count', { ...p, 'db.client.connection.state': 'idle' })).toBe(2);
    expect(point(all, 'db.client.connection.pending_requests', p)).toBe(0);
  });

  it('counts timeouts and records the four duration histograms in seconds', async () => {
    const { pool } = fakePool({ name: 'otel-durations', max: 1, acquireTimeoutMs: 30 });
    registerPoolOtelMetrics(pool, provider.getMeter('test'));
    await pool.query('sleep 20');
    const held = await pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    held.release();

    const all = await collect();
    expect(point(all, 'db.client.connection.timeouts', { 'db.client.connection.pool.name': 'otel-durations' })).toBe(1);
    expect(histogramCount(all, 'db.client.connection.create_time', 'otel-durations')).toBe(1);
    expect(histogramCount(all, 'db.client.connection.wait_time', 'otel-durations')).toBe(2);
    expect(histogramCount(all, 'db.client.connection.use_time', 'otel-durations')).toBe(2);
    expect(histogramCount(all, 'db.client.operation.duration', 'otel-durations')).toBe(1);
    const operation = all.find((m) => m.descriptor.name === 'db.client.operation.duration') as HistogramMetricData;
    expect(operation.descriptor.unit).toBe('s');
    expect(operation.dataPoints[0].attributes['db.system.name']).toBe('fake');
    expect(operation.dataPoints[0].value.sum).toBeGreaterThanOrEqual(0.015);
    expect(operation.dataPoints[0].value.sum).toBeLessThan(5);
  });

  it('tells pools on one meter apart, and stops reporting a pool once unregistered', async () => {
    const meter = provider.getMeter('test');
    const one = fakePool({ name: 'otel-a', max: 3 }).pool;
    const two = fakePool({ name: 'otel-b', max: 7 }).pool;
    registerPoolOtelMetrics(one, meter);
    const unregisterTwo = registerPoolOtelMetrics(two, meter);
    expect(registerPoolOtelMetrics(two, meter)).toBe(unregisterTwo);

    let all = await collect();
    expect(point(all, 'db.client.connection.max', { 'db.client.connection.pool.name': 'otel-a' })).toBe(3);
    expect(point(all, 'db.client.connection.max', { 'db.client.connection.pool.name': 'otel-b' })).toBe(7);

    unregisterTwo();
    expect(two.tracker).toBeUndefined();
    const held = [await one.acquire(), await two.acquire()];
    all = await collect();
    const used = (name: string) => point(all, 'db.client.connection.count', { 'db.client.connection.pool.name': name, 'db.client.connection.state': 'used' });
    expect(used('otel-a')).toBe(1);
    // No longer observed: the SDK may keep the last cumulative point (0), but never sees the new loan.
    expect(used('otel-b')).not.toBe(1);
    expect(histogramCount(all, 'db.client.connection.wait_time', 'otel-b')).toBeUndefined();
    for (const lease of held) lease.release();
  });

  it('uses the global MeterProvider when no meter is given', async () => {
    metrics.setGlobalMeterProvider(provider);
    const { pool } = fakePool({ name: 'otel-global', max: 4 });
    registerPoolOtelMetrics(pool);
    await pool.query('select 1');
    await sleep(1);
    const all = await collect();
    expect(point(all, 'db.client.connection.max', { 'db.client.connection.pool.name': 'otel-global' })).toBe(4);
    expect(histogramCount(all, 'db.client.operation.duration', 'otel-global')).toBe(1);
  });
});

describe('registerPoolOtelMetrics without @opentelemetry/api', () => {
  it('says which package to install when no meter is given and the API is missing', () => {
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        throw Object.assign(new Error("Cannot find module '@opentelemetry/api' from 'src/observability/otel-metrics.ts'"), { code: 'MODULE_NOT_FOUND' });
      });
      const isolated = require('../../src') as typeof import('../../src');
      const { pool } = fakePool({ name: 'no-otel' });
      expect(() => isolated.registerPoolOtelMetrics(pool)).toThrow(/npm install @opentelemetry\/api/);
      expect(() => isolated.registerPoolOtelMetrics(pool)).toThrow(expect.objectContaining({ code: 'PACKAGE_MISSING', packageName: '@opentelemetry/api' }));
    });
    jest.dontMock('@opentelemetry/api');
  });
});
