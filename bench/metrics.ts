/**
 * What metrics cost: acquire→query→release cycles per second on a no-op adapter (so the pool's own
 * work is all there is to measure), 16 callers over max 10, with no metrics, with Prometheus
 * (registerPoolMetrics), and with Prometheus and OpenTelemetry together; then the time one scrape
 * of a registry holding ten pools takes.
 */
import { Registry } from 'prom-client';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createPool, registerAdapter, registerPoolMetrics, registerPoolOtelMetrics, silentLogger, type Adapter, type Pool } from '../src';
import { compare, median, printTable, type Candidate, type Plan } from './harness';

const MAX = 10;
const CALLERS = 16;

const noopAdapter: Adapter<object> = {
  name: 'noop-metrics',
  connect: async () => ({}),
  validate: async () => undefined,
  query: async () => ({ rows: [], rowCount: 0 }),
  begin: async () => undefined,
  commit: async () => undefined,
  rollback: async () => undefined,
  close: async () => undefined,
  isBroken: () => false,
};

function candidate(name: string, instrument: (pool: Pool) => void): Candidate {
  let pool: Pool | undefined;
  return {
    name,
    setup: async () => {
      pool = createPool({ name: `bench-${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 50)}`, url: 'noopmetrics://bench', env: {}, profile: 'production', max: MAX, min: MAX, logger: silentLogger });
      instrument(pool);
      await pool.warmup();
    },
    op: () => pool!.query('select 1'),
    teardown: async () => pool!.close(),
  };
}

export async function benchMetrics(plan: Plan): Promise<void> {
  registerAdapter('noopmetrics', () => noopAdapter as Adapter<unknown>);
  const provider = new MeterProvider();
  const baseline = 'no metrics';
  const comparison = await compare(
    [
      candidate(baseline, () => undefined),
      candidate('prom-client (registerPoolMetrics)', (pool) => registerPoolMetrics(pool, new Registry())),
      candidate('prom-client + OpenTelemetry', (pool) => {
        registerPoolMetrics(pool, new Registry());
        registerPoolOtelMetrics(pool, provider.getMeter('bench'));
      }),
    ],
    [CALLERS],
    plan,
  );
  printTable(`Metrics overhead: acquire→query→release/s, no-op adapter, max ${MAX}`, comparison, baseline);
  await benchScrape(plan);
  await provider.shutdown();
}

/** The time a scrape takes with ten busy pools, each with full sample windows. */
async function benchScrape(plan: Plan): Promise<void> {
  const registry = new Registry();
  const pools: Pool[] = [];
  for (let i = 0; i < 10; i++) {
    const pool = createPool({ name: `scrape-${i}`, url: 'noopmetrics://bench', env: {}, profile: 'production', max: MAX, logger: silentLogger });
    registerPoolMetrics(pool, registry);
    for (let q = 0; q < 2000; q++) await pool.query('select 1');
    pools.push(pool);
  }
  const timings: number[] = [];
  const scrapes = plan.smoke ? 5 : 200;
  for (let i = 0; i < scrapes; i++) {
    const started = performance.now();
    await registry.metrics();
    timings.push(performance.now() - started);
  }
  console.log(`\nOne scrape of 10 pools (full 1024-sample windows): median ${median(timings).toFixed(2)} ms over ${scrapes} scrapes`);
  await Promise.all(pools.map((pool) => pool.close()));
}
