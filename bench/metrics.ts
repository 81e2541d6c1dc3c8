/**
 * What metrics cost: acquire→query→release cycles per second on a no-op adapter (so the pool's own
 * work is all there is to measure), 16 callers over max 10, with no metrics, with Prometheus
 * (registerPoolMetrics), and with Prometheus and OpenTelemetry together; then the time one scrape
 * of a registry holding ten pools takes; what one OpenTelemetry Histogram.record() costs (benchOtelRecord);
 * and what tracing costs per query (benchTracingCpu).
 */
import { Registry } from 'prom-client';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { createPool, registerAdapter, registerPoolMetrics, registerPoolOtelMetrics, silentLogger, type Adapter, type Pool } from '../src';
import { compare, median, printTable, type Candidate, type Plan } from './harness';
import { noopAdapter } from './noop-adapter';

const noopMetrics = noopAdapter('noop-metrics');

const MAX = 10;

/** A reader nobody pulls from: without one the SDK stores nothing and OpenTelemetry would cost nothing. */
class IdleReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}
const CALLERS = 16;

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
  registerAdapter('noopmetrics', () => noopMetrics as Adapter<unknown>);
  const provider = new MeterProvider({ readers: [new IdleReader()] });
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
  await benchCpuPerCycle(plan, provider);
  benchOtelRecord(plan, provider);
  await benchTracingCpu(plan);
  await benchScrape(plan);
  await provider.shutdown();
}

/**
 * Process CPU per query cycle, one caller, alternating blocks: steadier than throughput on a
 * shared machine, where other processes move ops/s by more than the difference measured here.
 */
async function benchCpuPerCycle(plan: Plan, provider: MeterProvider): Promise<void> {
  const variants: Array<[string, (pool: Pool) => void]> = [
    ['no metrics', () => undefined],
    ['prom-client', (pool) => registerPoolMetrics(pool, new Registry())],
    ['prom-client + OpenTelemetry', (pool) => {
      registerPoolMetrics(pool, new Registry());
      registerPoolOtelMetrics(pool, provider.getMeter('bench-cpu'));
    }],
  ];
  const pools = variants.map(([name, instrument], i) => {
    const pool = createPool({ name: `cpu-${i}`, url: 'noopmetrics://bench', env: {}, profile: 'production', max: MAX, logger: silentLogger });
    instrument(pool);
    return { name, pool, samples: [] as number[] };
  });
  const opsPerBlock = plan.smoke ? 2000 : 100_000;
  const rounds = plan.smoke ? 1 : Math.max(plan.rounds, 3);
  for (const { pool } of pools) for (let i = 0; i < opsPerBlock / 10; i++) await pool.query('select 1');
  for (let round = 0; round < rounds; round++) {
    for (const entry of pools) {
      const started = process.cpuUsage();
      for (let i = 0; i < opsPerBlock; i++) await entry.pool.query('select 1');
      const used = process.cpuUsage(started);
      entry.samples.push((used.user + used.system) / opsPerBlock);
    }
  }
  const base = median(pools[0].samples);
  console.log(`\n### Process CPU per pool.query() cycle, one caller, no-op adapter (median of ${rounds} alternating blocks of ${opsPerBlock})\n`);
  console.log('| variant | CPU µs per cycle | extra |');
  console.log('|---|---:|---:|');
  for (const { name, samples } of pools) {
    const value = median(samples);
    console.log(`| ${name} | ${value.toFixed(2)} | ${name === pools[0].name ? '' : `${value >= base ? "+" : "−"}${Math.abs(value - base).toFixed(2)} µs (${(value / base).toFixed(2)}×)`} |`);
  }
  await Promise.all(pools.map(({ pool }) => pool.close()));
}

/**
 * Where OpenTelemetry's share of the cycle goes: one SDK Histogram.record() by the attributes it
 * carries. The SDK hashes the attributes on every call (keys sorted, JSON.stringify, a Map lookup
 * on the string), and a cycle records three times: wait and use with the pool name, the operation
 * with the pool name and db.system.name.
 */
function benchOtelRecord(plan: Plan, provider: MeterProvider): void {
  const histogram = provider.getMeter('bench-record').createHistogram('bench.record', { unit: 's' });
  const variants: Array<[string, Record<string, string>]> = [
    ['no attributes', {}],
    ['db.client.connection.pool.name (wait, use)', { 'db.client.connection.pool.name': 'orders' }],
    ['pool name + db.system.name (operation)', { 'db.client.connection.pool.name': 'orders', 'db.system.name': 'postgresql' }],
  ];
  const calls = plan.smoke ? 10_000 : 1_000_000;
  const samples = variants.map(() => [] as number[]);
  for (let round = 0; round < (plan.smoke ? 1 : 3); round++) {
    variants.forEach(([, attributes], i) => {
      const started = process.cpuUsage();
      for (let n = 0; n < calls; n++) histogram.record((n & 1023) / 100_000, attributes);
      const used = process.cpuUsage(started);
      samples[i].push((used.user + used.system) / calls);
    });
  }
  console.log(`\n### OpenTelemetry SDK: CPU per Histogram.record() (median of ${samples[0].length} blocks of ${calls})\n`);
  console.log('| attributes | CPU µs per call |');
  console.log('|---|---:|');
  variants.forEach(([name], i) => console.log(`| ${name} | ${median(samples[i]).toFixed(3)} |`));
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

/** A span exporter that drops what it gets: the SDK's own work is what is measured, not an export. */
const discardExporter: SpanExporter = {
  export: (_spans, done) => done({ code: 0 /* ExportResultCode.SUCCESS */ }),
  shutdown: async () => undefined,
};

/**
 * What tracing costs, as process CPU per pool.query() cycle in alternating blocks of one run:
 * tracing: false; tracing on (the default) with no tracer provider registered; and tracing on with
 * the real OTel SDK registered (TracerProvider + SimpleSpanProcessor + an exporter that drops the
 * spans, plus the AsyncLocalStorage context manager a Node service registers). The provider is
 * registered only around its own blocks, since the pools ask for the global provider per operation.
 */
async function benchTracingCpu(plan: Plan): Promise<void> {
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: discardExporter })] });
  const contextManager = new AsyncLocalStorageContextManager();
  const variants: Array<{ name: string; tracing: boolean; sdk: boolean }> = [
    { name: 'tracing: false', tracing: false, sdk: false },
    { name: 'tracing on, no provider registered', tracing: true, sdk: false },
    { name: 'tracing on, OTel SDK registered', tracing: true, sdk: true },
  ];
  const pools = variants.map((variant, i) => ({
    ...variant,
    pool: createPool({ name: `trace-cpu-${i}`, url: 'noopmetrics://bench', env: {}, profile: 'production', max: MAX, tracing: variant.tracing, logger: silentLogger }),
    samples: [] as number[],
  }));
  const register = (on: boolean) => {
    if (on) {
      contextManager.enable();
      context.setGlobalContextManager(contextManager);
      trace.setGlobalTracerProvider(provider);
    } else {
      trace.disable();
      context.disable();
    }
  };
  const opsPerBlock = plan.smoke ? 2000 : 100_000;
  const rounds = plan.smoke ? 1 : Math.max(plan.rounds, 5);
  for (const entry of pools) {
    register(entry.sdk);
    for (let i = 0; i < opsPerBlock / 10; i++) await entry.pool.query('select 1');
    register(false);
  }
  for (let round = 0; round < rounds; round++) {
    for (const entry of pools) {
      register(entry.sdk);
      const started = process.cpuUsage();
      for (let i = 0; i < opsPerBlock; i++) await entry.pool.query('select 1');
      const used = process.cpuUsage(started);
      register(false);
      entry.samples.push((used.user + used.system) / opsPerBlock);
    }
  }
  const base = median(pools[0].samples);
  console.log(`\n### Tracing: process CPU per pool.query() cycle, one caller, no-op adapter (median of ${rounds} alternating blocks of ${opsPerBlock})\n`);
  console.log('| variant | CPU µs per cycle | extra over tracing: false |');
  console.log('|---|---:|---:|');
  for (const { name, samples } of pools) {
    const value = median(samples);
    console.log(`| ${name} | ${value.toFixed(2)} | ${name === pools[0].name ? '' : `${value >= base ? '+' : '−'}${Math.abs(value - base).toFixed(2)} µs (${(value / base).toFixed(2)}×)`} |`);
  }
  console.log(`samples µs: ${pools.map(({ name, samples }) => `${name}: ${samples.map((s) => s.toFixed(2)).join(' ')}`).join('; ')}`);
  await Promise.all(pools.map(({ pool }) => pool.close()));
  await provider.shutdown();
}
