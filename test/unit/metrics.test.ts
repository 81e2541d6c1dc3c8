import { Gauge, Registry, register } from 'prom-client';
import { registerPoolMetrics, installMetricsTracker, ConfigError, PackageMissingError, type PooledConnection } from '../../src';
import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';

afterEach(closeFakePools);

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The samples of one metric, as a scrape sees them. */
async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  return (await metric.get()).values as Sample[];
}

async function valueOf(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const match = (await samples(registry, name)).find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v) && (s.metricName === undefined || s.metricName === name),
  );
  return match?.value;
}

async function histogramCount(registry: Registry, name: string, poolName: string): Promise<number | undefined> {
  const match = (await samples(registry, name)).find((s) => s.metricName === `${name}_count` && s.labels.pool_name === poolName);
  return match?.value;
}

async function histogramSum(registry: Registry, name: string, poolName: string): Promise<number | undefined> {
  const match = (await samples(registry, name)).find((s) => s.metricName === `${name}_sum` && s.labels.pool_name === poolName);
  return match?.value;
}

describe('registerPoolMetrics', () => {
  it('reports every gauge live while connections are held, queued and returned', async () => {
    const { pool } = fakePool({ name: 'gauges', min: 1, max: 2 });
    const registry = new Registry();
    registerPoolMetrics(pool, registry);
    const p = { pool_name: 'gauges' };

    const a = await pool.acquire();
    const b = await pool.acquire();
    const queued = pool.acquire();
    await settle();
    expect(await valueOf(registry, 'db_client_connection_count', { ...p, state: 'used' })).toBe(2);
    expect(await valueOf(registry, 'db_client_connection_count', { ...p, state: 'idle' })).toBe(0);
    expect(await valueOf(registry, 'db_client_connection_pending_requests', p)).toBe(1);
    expect(await valueOf(registry, 'db_client_connection_max', p)).toBe(2);
    expect(await valueOf(registry, 'db_client_connection_idle_min', p)).toBe(1);
    expect(await valueOf(registry, 'db_client_connection_idle_max', p)).toBe(2);

    a.release();
    const c = await queued;
    expect(await valueOf(registry, 'db_client_connection_pending_requests', p)).toBe(0);
    expect(await valueOf(registry, 'db_client_connection_count', { ...p, state: 'used' })).toBe(2);

    b.release();
    c.release();
    await settle();
    expect(await valueOf(registry, 'db_client_connection_count', { ...p, state: 'used' })).toBe(0);
    expect(await valueOf(registry, 'db_client_connection_count', { ...p, state: 'idle' })).toBe(2);
  });

  it('counts acquire timeouts, including those before registration', async () => {
    const { pool } = fakePool({ name: 'timeouts', max: 1, acquireTimeoutMs: 30 });
    const registry = new Registry();
    const held = await pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    registerPoolMetrics(pool, registry);
    expect(await valueOf(registry, 'db_client_connection_timeouts_total', { pool_name: 'timeouts' })).toBe(1);
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    expect(await valueOf(registry, 'db_client_connection_timeouts_total', { pool_name: 'timeouts' })).toBe(3);
    // A scrape with nothing new leaves the counter where it is.
    expect(await valueOf(registry, 'db_client_connection_timeouts_total', { pool_name: 'timeouts' })).toBe(3);
    held.release();
  });

  it('observes create, wait, use and operation durations in seconds', async () => {
    const { pool } = fakePool({ name: 'durations', max: 1 });
    const registry = new Registry();
    registerPoolMetrics(pool, registry);

    await pool.query('sleep 40');
    const held = await pool.acquire();
    const waiting = pool.acquire();
    await sleep(30);
    held.release();
    (await waiting).release();

    expect(await histogramCount(registry, 'db_client_connection_create_time_seconds', 'durations')).toBe(1);
    expect(await histogramCount(registry, 'db_client_connection_wait_time_seconds', 'durations')).toBe(3);
    expect(await histogramCount(registry, 'db_client_connection_use_time_seconds', 'durations')).toBe(3);
    expect(await histogramCount(registry, 'db_client_operation_duration_seconds', 'durations')).toBe(1);
    const operationSeconds = (await histogramSum(registry, 'db_client_operation_duration_seconds', 'durations')) ?? 0;
    expect(operationSeconds).toBeGreaterThanOrEqual(0.035);
    expect(operationSeconds).toBeLessThan(5);
    // The second acquire waited about 30 ms behind the first.
    expect(await histogramSum(registry, 'db_client_connection_wait_time_seconds', 'durations')).toBeGreaterThanOrEqual(0.025);
  });

  it('tells several pools in one registry apart by pool_name', async () => {
    const one = fakePool({ name: 'orders', max: 3 }).pool;
    const two = fakePool({ name: 'billing', max: 5 }).pool;
    const registry = new Registry();
    registerPoolMetrics(one, registry);
    registerPoolMetrics(two, registry);
    const held: PooledConnection[] = [await one.acquire(), await one.acquire(), await two.acquire()];

    expect(await valueOf(registry, 'db_client_connection_count', { pool_name: 'orders', state: 'used' })).toBe(2);
    expect(await valueOf(registry, 'db_client_connection_count', { pool_name: 'billing', state: 'used' })).toBe(1);
    expect(await valueOf(registry, 'db_client_connection_max', { pool_name: 'orders' })).toBe(3);
    expect(await valueOf(registry, 'db_client_connection_max', { pool_name: 'billing' })).toBe(5);
    expect(await histogramCount(registry, 'db_client_connection_wait_time_seconds', 'orders')).toBe(2);
    expect(await histogramCount(registry, 'db_client_connection_wait_time_seconds', 'billing')).toBe(1);
    for (const lease of held) lease.release();

    const text = await registry.metrics();
    expect(text).toContain('db_client_connection_count{pool_name="orders",state="idle"} 2');
    expect(text).toContain('db_client_connection_count{pool_name="billing",state="idle"} 1');
  });

  it('treats registering the same pool twice as one registration', async () => {
    const { pool } = fakePool({ name: 'twice' });
    const registry = new Registry();
    const first = registerPoolMetrics(pool, registry);
    const second = registerPoolMetrics(pool, registry);
    expect(second).toBe(first);
    await pool.query('select 1');
    expect(await histogramCount(registry, 'db_client_operation_duration_seconds', 'twice')).toBe(1);
  });

  it('refuses a second open pool under a name already registered, naming the option to change', () => {
    const registry = new Registry();
    registerPoolMetrics(fakePool({ name: 'same' }).pool, registry);
    expect(() => registerPoolMetrics(fakePool({ name: 'same' }).pool, registry)).toThrow(ConfigError);
    expect(() => registerPoolMetrics(fakePool({ name: 'same' }).pool, registry)).toThrow(/already registered.*`name` option/);
  });

  it('lets a re-created pool take over the name of a closed one, continuing its counters', async () => {
    const registry = new Registry();
    const old = fakePool({ name: 'recreated', max: 1, acquireTimeoutMs: 20 }).pool;
    registerPoolMetrics(old, registry);
    const held = await old.acquire();
    await expect(old.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    expect(await valueOf(registry, 'db_client_connection_timeouts_total', { pool_name: 'recreated' })).toBe(1);
    held.release();
    await old.close();

    const fresh = fakePool({ name: 'recreated', max: 1, acquireTimeoutMs: 20 }).pool;
    registerPoolMetrics(fresh, registry);
    const again = await fresh.acquire();
    await expect(fresh.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    expect(await valueOf(registry, 'db_client_connection_timeouts_total', { pool_name: 'recreated' })).toBe(2);
    expect(await valueOf(registry, 'db_client_connection_count', { pool_name: 'recreated', state: 'used' })).toBe(1);
    again.release();
  });

  it('removes a pool’s series when unregistered, and its metrics when the last pool goes', async () => {
    const registry = new Registry();
    const one = fakePool({ name: 'stays' }).pool;
    const two = fakePool({ name: 'leaves' }).pool;
    const unregisterOne = registerPoolMetrics(one, registry);
    const unregisterTwo = registerPoolMetrics(two, registry);
    await two.query('select 1');
    unregisterTwo();
    await two.query('select 1');
    const text = await registry.metrics();
    expect(text).toContain('pool_name="stays"');
    expect(text).not.toContain('pool_name="leaves"');
    expect(two.tracker).toBeUndefined();

    unregisterOne();
    expect(registry.getSingleMetric('db_client_connection_count')).toBeUndefined();
    // And registering again afterwards starts clean.
    registerPoolMetrics(one, registry);
    expect(await valueOf(registry, 'db_client_connection_max', { pool_name: 'stays' })).toBe(4);
  });

  it('says which package to install when prom-client is missing', () => {
    jest.isolateModules(() => {
      jest.doMock('prom-client', () => {
        throw Object.assign(new Error("Cannot find module 'prom-client' from 'src/observability/prometheus.ts'"), { code: 'MODULE_NOT_FOUND' });
      });
      const isolated = require('../../src') as typeof import('../../src');
      const { pool } = fakePool({ name: 'no-prom' });
      let caught: unknown;
      try {
        isolated.registerPoolMetrics(pool);
      } catch (err) {
        caught = err;
      }
      expect((caught as Error).constructor.name).toBe(PackageMissingError.name);
      expect(caught).toMatchObject({ code: 'PACKAGE_MISSING', packageName: 'prom-client' });
      expect((caught as Error).message).toContain('npm install prom-client');
    });
    jest.dontMock('prom-client');
  });
});

describe('registerPoolMetrics in a registry it does not own alone', () => {
  afterEach(closeFakePools);

  it('refuses a registry that already has one of its metric names, leaving that registry untouched', () => {
    const registry = new Registry();
    new Gauge({ name: 'db_client_connection_max', help: 'someone else’s', registers: [registry] });
    const { pool } = fakePool({ name: 'clash' });
    expect(() => registerPoolMetrics(pool, registry)).toThrow(/already has a metric named "db_client_connection_max".*Registry\.merge/);
    expect(registry.getMetricsAsArray()).toHaveLength(1);
    expect(pool.tracker).toBeUndefined();
  });

  it('uses prom-client’s global registry when none is given', async () => {
    const { pool } = fakePool({ name: 'global-registry', max: 6 });
    const unregister = registerPoolMetrics(pool);
    try {
      expect(await register.metrics()).toContain('db_client_connection_max{pool_name="global-registry"} 6');
    } finally {
      unregister();
    }
    expect(register.getSingleMetric('db_client_connection_max')).toBeUndefined();
  });
});

describe('installMetricsTracker', () => {
  afterEach(closeFakePools);

  it('keeps lending and returning connections when a tracker throws, and reports its error', async () => {
    const { pool } = fakePool({ name: 'bad-tracker', max: 1 });
    const errors: Array<{ context: string; error: Error }> = [];
    pool.on('error', (e) => errors.push(e));
    const seen: number[] = [];
    installMetricsTracker(pool, {
      recordCreate: () => undefined,
      recordWait: () => {
        throw new Error('tracker bug');
      },
      recordUse: () => undefined,
      recordOperation: () => undefined,
    });
    const remove = installMetricsTracker(pool, { recordCreate: () => undefined, recordWait: (ms) => seen.push(ms), recordUse: () => undefined, recordOperation: () => undefined });
    for (let i = 0; i < 3; i++) await pool.query('select 1');
    expect(pool.stats()).toMatchObject({ active: 0, idle: 1 });
    expect(seen).toHaveLength(3);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatchObject({ context: 'metrics tracker', error: expect.objectContaining({ message: 'tracker bug' }) });
    remove();
    await pool.query('select 1');
    expect(seen).toHaveLength(3);
  });
});
