/**
 * Tracing's wiring on the fake adapter, with the real SDK but no context manager (a service that
 * set up a TracerProvider and nothing else): spans appear when a provider is registered after the
 * pool was built, a transaction's statements still nest under it, and with no provider nothing is
 * made at all.
 */
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createOtelTracer } from '../../src/observability/tracing';
import { closeFakePools, fakePool } from '../helpers/pools';

afterEach(async () => {
  await closeFakePools();
  trace.disable();
});

function register(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  return exporter;
}

describe('tracing without a context manager', () => {
  it('makes nothing while no tracer provider is registered, and spans from the moment one is', async () => {
    const { pool } = fakePool({ name: 'late-provider' });
    const tracer = createOtelTracer(pool);
    expect(tracer?.query('select 1', false, undefined)).toBeUndefined();
    expect(tracer?.acquire()).toBeUndefined();
    expect(tracer?.transaction()).toBeUndefined();
    await pool.query('select 1');

    const exporter = register();
    await pool.query('select 2');
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.attributes['db.query.text']])).toEqual([['select', 'select ?']]);

    trace.disable();
    await pool.query('select 3');
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('still puts a transaction’s statements under its span, through the connection', async () => {
    const exporter = register();
    const { pool } = fakePool({ name: 'no-context-manager' });
    await pool.transaction(async (tx) => {
      await tx.query('select 1');
      await tx.query('select 2');
    });
    const spans = exporter.getFinishedSpans();
    const txSpan = spans.find((s) => s.name === 'lifeguard.transaction');
    const children = spans.filter((s) => s.parentSpanContext?.spanId === txSpan?.spanContext().spanId).map((s) => s.name);
    expect(children).toEqual(['BEGIN', 'select', 'select', 'COMMIT']);
    // After the transaction the connection carries no trace context into its next loan.
    await pool.query('select 3');
    expect(exporter.getFinishedSpans().at(-1)?.parentSpanContext).toBeUndefined();
  });

  it('records outcome not_started when no connection came for the transaction', async () => {
    const exporter = register();
    const { pool } = fakePool({ name: 'no-connection', acquireTimeoutMs: 100 }, (db) => (db.connectError = new Error('connect ECONNREFUSED')));
    await expect(pool.transaction((tx) => tx.query('select 1'))).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    const txSpan = exporter.getFinishedSpans().find((s) => s.name === 'lifeguard.transaction');
    expect(txSpan?.attributes).toMatchObject({ 'lifeguard.transaction.outcome': 'not_started', 'error.type': 'POOL_TIMEOUT' });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['lifeguard.transaction']);
  });

  it('has no tracer at all with tracing off', () => {
    const { pool } = fakePool({ name: 'tracing-off', tracing: false });
    register();
    expect((pool as unknown as { tracer: unknown }).tracer).toBeUndefined();
  });
});
