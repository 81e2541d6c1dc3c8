import { Histogram, Registry } from 'prom-client';
import { PoolHistogram } from '../../src/observability/bucket-histogram';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED = [0, 0.0005, 0.001, 0.002, 0.05, 0.1, 0.7, 1, 3, 120];

type Sample = { metricName?: string; labels: Record<string, string | number>; value: number };

function normalised(values: Sample[]): string[] {
  return values.map((s) => `${s.metricName}${JSON.stringify(Object.entries(s.labels).sort())}=${s.value.toFixed(9)}`).sort();
}

describe('PoolHistogram', () => {
  it('reports exactly what prom-client’s own Histogram reports for the same observations', async () => {
    const reference = new Histogram({ name: 'ref_seconds', help: 'h', labelNames: ['pool_name'], buckets: BUCKETS, registers: [] });
    const ours = new PoolHistogram('ref_seconds', 'h', BUCKETS);
    for (const pool of ['orders', 'billing']) {
      const series = ours.seriesFor(pool);
      for (const value of OBSERVED) {
        reference.observe({ pool_name: pool }, value);
        series.observe(value);
      }
    }
    const expected = (await reference.get()).values as Sample[];
    expect(normalised(ours.get().values)).toEqual(normalised(expected));
  });

  it('is rendered by a prom-client Registry like any histogram, and leaves with its pool', async () => {
    const registry = new Registry();
    const ours = new PoolHistogram('lg_wait_seconds', 'How long callers waited.', BUCKETS);
    registry.registerMetric(ours as unknown as Histogram);
    ours.seriesFor('orders').observe(0.005);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE lg_wait_seconds histogram');
    expect(text).toContain('lg_wait_seconds_bucket{le="0.01",pool_name="orders"} 1');
    expect(text).toContain('lg_wait_seconds_bucket{le="0.001",pool_name="orders"} 0');
    expect(text).toContain('lg_wait_seconds_count{pool_name="orders"} 1');
    ours.remove({ pool_name: 'orders' });
    expect(await registry.metrics()).not.toContain('pool_name="orders"');
  });

  it('zeroes in place on Registry.resetMetrics(), so a pool keeps observing into the same series', async () => {
    const registry = new Registry();
    const ours = new PoolHistogram('lg_use_seconds', 'h', BUCKETS);
    registry.registerMetric(ours as unknown as Histogram);
    const series = ours.seriesFor('orders');
    series.observe(0.5);
    registry.resetMetrics();
    series.observe(0.05);
    const count = ours.get().values.find((s) => s.metricName === 'lg_use_seconds_count');
    expect(count?.value).toBe(1);
  });

  it('ignores a value that is not a finite number instead of corrupting the sum', () => {
    const ours = new PoolHistogram('lg_op_seconds', 'h', BUCKETS);
    const series = ours.seriesFor('orders');
    series.observe(Number.NaN);
    series.observe(0.02);
    expect(series.count).toBe(1);
    expect(series.sum).toBeCloseTo(0.02);
  });
});
