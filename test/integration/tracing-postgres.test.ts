/**
 * Traces on a real PostgreSQL, exported by the real OpenTelemetry SDK: parent and child spans,
 * the database span conventions' attributes, no parameter value or password anywhere, failures
 * marked, and transactions with their statements, retries and outcomes.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createPool, silentLogger, TransactionOutcomeUnknownError, type Pool } from '../../src';
import type { PoolOptions } from '../../src/config/types';
import { TcpProxy } from '../faults/harness/tcp-proxy';
import { describePostgres, POSTGRES_URL, uniqueName } from '../helpers/databases';
import { finishedSpans, parentOf, printedSpan, startTracing, stopTracing, tracedPools, withinParent, type Tracing } from '../helpers/tracing';

const PASSWORD = 's3cret-PW-i17a';
const PARAM = 'param-value-4111-1111';
const LITERAL = 'literal-hunter2';

describePostgres('tracing on PostgreSQL with the OpenTelemetry SDK', () => {
  let tracing: Tracing;
  const traced = tracedPools(() => tracing);
  const url = (() => {
    const parsed = new URL(POSTGRES_URL);
    parsed.password = PASSWORD; // the local server trusts 127.0.0.1: the password is carried, never checked
    return parsed.toString();
  })();

  const pool = (options: PoolOptions = {}, at = url): Pool => traced.pool(at, options);
  const spansOf = traced.spansOf;

  beforeAll(() => {
    tracing = startTracing();
  });
  afterEach(() => traced.closeAll());
  afterAll(async () => {
    const everything = (await finishedSpans(tracing)).map(printedSpan).join('\n');
    // Whatever the tests above did, no span of any of them carries a parameter value, a literal or the password.
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(PARAM);
    expect(everything).not.toContain(LITERAL);
    await stopTracing(tracing);
  });

  it('makes each pool.query a CLIENT span, child of the caller’s span, with the conventions’ attributes and no parameter value', async () => {
    const p = pool({ pipelineDepth: 0 });
    const { parentId, traceId } = await withinParent('GET /orders', async () => {
      await p.query('SELECT $1::text AS v', [PARAM]);
      await p.query('SELECT $1::text AS v', [PARAM]);
    });
    const spans = await spansOf(p);
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.name).toBe('SELECT');
      expect(span.instrumentationScope.name).toBe('lifeguard');
      expect(span.spanContext().traceId).toBe(traceId);
      expect(parentOf(span)).toBe(parentId);
      expect(span.attributes).toEqual({
        'db.system.name': 'postgresql',
        'db.namespace': 'test',
        'server.address': '127.0.0.1',
        // server.port is left out on the default port, as the conventions ask.
        'db.query.text': 'SELECT $1::text AS v',
        'db.query.summary': 'SELECT',
        'db.client.connection.pool.name': p.name,
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(printedSpan(span)).not.toContain(PARAM);
      expect(printedSpan(span)).not.toContain(PASSWORD);
    }
    // The first call opened its connection while it waited; the second found it idle.
    const acquires = spans.map((s) => s.events.find((e) => e.name === 'lifeguard.acquire')?.attributes);
    expect(acquires[0]).toMatchObject({ 'lifeguard.acquire.new_connection': true, 'lifeguard.acquire.wait_ms': expect.any(Number) });
    expect(acquires[1]).toMatchObject({ 'lifeguard.acquire.new_connection': false });
    expect(acquires[0]?.['lifeguard.connection.id']).toBe(acquires[1]?.['lifeguard.connection.id']);
  });

  it('traces a pipelined pool.query the same way, marked as pipelined (it waited for no acquire of its own)', async () => {
    const p = pool();
    // A statement runs alone until the pipeline has seen that it is short. The first runs in a
    // fresh process can take longer than pipelineMaxStatementMs (JIT, pg's first parse, a loaded
    // machine): one fast run is enough to learn it, so warm each a few times.
    for (let i = 0; i < 5; i++) {
      await p.query('SELECT $1::text AS v', [PARAM]);
      await p.query('SELECT 2 AS two');
    }
    const { parentId } = await withinParent('GET /stock', () => Promise.all([p.query('SELECT $1::text AS v', [PARAM]), p.query('SELECT 2 AS two')]));
    const spans = (await spansOf(p)).filter((s) => parentOf(s) === parentId);
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(parentOf(span)).toBe(parentId);
      expect(span.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'lifeguard.pipelined': true });
    }
    expect(spans.map((s) => s.attributes['db.query.text']).sort()).toEqual(['SELECT $1::text AS v', 'SELECT ? AS two']);
  });

  it('replaces the literals of a query sent without parameters, and names the span by its summary', async () => {
    const p = pool();
    await p.query(`SELECT '${LITERAL}' AS secret, 42 AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LIMIT 1`);
    const [span] = await spansOf(p);
    expect(span.name).toBe('SELECT pg_class pg_namespace');
    expect(span.attributes['db.query.text']).toBe('SELECT ? AS secret, ? AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LIMIT ?');
    expect(printedSpan(span)).not.toContain(LITERAL);
  });

  it('marks a failed statement: status ERROR, error.type and db.response.status_code the SQLSTATE, no server message', async () => {
    const p = pool();
    await expect(p.query('SELECT * FROM no_such_table_i17a WHERE id = $1', [PARAM])).rejects.toMatchObject({ code: '42P01' });
    const [span] = await spansOf(p);
    expect(span.name).toBe('SELECT no_such_table_i17a');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(span.attributes).toMatchObject({ 'error.type': '42P01', 'db.response.status_code': '42P01' });
  });

  it('marks a query that found no connection in time with lifeguard’s error and its message', async () => {
    const p = pool({ max: 1, acquireTimeoutMs: 100, pipelineDepth: 0 });
    const held = await p.acquire();
    await expect(p.query('SELECT 1')).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    held.release();
    const failed = (await spansOf(p)).find((s) => s.name === 'SELECT');
    expect(failed?.attributes['error.type']).toBe('POOL_TIMEOUT');
    expect(failed?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringMatching(/could not provide a connection within \d+ ms/) });
    expect(failed?.events.map((e) => e.name)).not.toContain('lifeguard.acquire');
  });

  it('makes pool.acquire() a lifeguard.acquire span and each lease query a CLIENT span beside it, under the caller', async () => {
    const p = pool();
    const { parentId } = await withinParent('job', async () => {
      const lease = await p.acquire();
      try {
        await lease.query('SELECT 1 AS one');
        await lease.query('SELECT $1::int AS two', [2]);
      } finally {
        lease.release();
      }
    });
    const spans = await spansOf(p);
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ['lifeguard.acquire', SpanKind.INTERNAL],
      ['SELECT', SpanKind.CLIENT],
      ['SELECT', SpanKind.CLIENT],
    ]);
    for (const span of spans) expect(parentOf(span)).toBe(parentId);
    expect(spans[0].events[0]).toMatchObject({ name: 'lifeguard.acquire', attributes: { 'lifeguard.acquire.new_connection': true } });
    expect(spans.map((s) => s.attributes['db.query.text'])).toEqual([undefined, 'SELECT ? AS one', 'SELECT $1::int AS two']);
  });

  describe('transactions', () => {
    beforeAll(async () => {
      const setup = createPool({ url, env: {}, profile: 'test', logger: silentLogger, name: uniqueName('lg_trace_setup') });
      await setup.query('CREATE TABLE IF NOT EXISTS i17a_trace_orders (id serial PRIMARY KEY, note text)');
      await setup.close();
    });

    it('is a lifeguard.transaction span with BEGIN, its statements and COMMIT as children, outcome committed', async () => {
      const p = pool();
      const { parentId } = await withinParent('checkout', () =>
        p.transaction(async (tx) => {
          await tx.query('INSERT INTO i17a_trace_orders (note) VALUES ($1)', [PARAM]);
          await tx.query('SELECT count(*) FROM i17a_trace_orders');
        }),
      );
      const spans = await spansOf(p);
      const txSpan = spans.find((s) => s.name === 'lifeguard.transaction') as ReadableSpan;
      expect(txSpan.kind).toBe(SpanKind.INTERNAL);
      expect(parentOf(txSpan)).toBe(parentId);
      expect(txSpan.attributes).toMatchObject({ 'lifeguard.transaction.outcome': 'committed', 'lifeguard.transaction.retries': 0, 'db.system.name': 'postgresql' });
      expect(txSpan.status.code).toBe(SpanStatusCode.UNSET);
      expect(txSpan.events.map((e) => e.name)).toEqual(['lifeguard.acquire']);
      const children = spans.filter((s) => parentOf(s) === txSpan.spanContext().spanId).sort((a, b) => hr(a) - hr(b));
      expect(children.map((s) => s.name)).toEqual(['BEGIN', 'INSERT i17a_trace_orders', 'SELECT i17a_trace_orders', 'COMMIT']);
      expect(children.map((s) => s.attributes['db.operation.name'])).toEqual(['BEGIN', undefined, undefined, 'COMMIT']);
      expect(children.every((s) => s.kind === SpanKind.CLIENT)).toBe(true);
    });

    it('nests a statement under a span the caller opened inside the transaction, itself the transaction’s child', async () => {
      const p = pool();
      await p.transaction((tx) =>
        trace.getTracer('test').startActiveSpan('price lookup', async (inner) => {
          await tx.query('SELECT 1');
          inner.end();
        }),
      );
      const spans = await finishedSpans(tracing);
      const txSpan = spans.find((s) => s.name === 'lifeguard.transaction' && s.attributes['db.client.connection.pool.name'] === p.name) as ReadableSpan;
      const inner = spans.find((s) => s.name === 'price lookup' && parentOf(s) === txSpan.spanContext().spanId) as ReadableSpan;
      expect(inner).toBeDefined();
      const select = (await spansOf(p)).find((s) => s.name === 'SELECT');
      expect(parentOf(select as ReadableSpan)).toBe(inner.spanContext().spanId);
    });

    it('records a rollback: outcome rolled_back, a ROLLBACK child, and the error on the transaction span', async () => {
      const p = pool();
      await expect(
        p.transaction(async (tx) => {
          await tx.query('INSERT INTO i17a_trace_orders (note) VALUES ($1)', [PARAM]);
          throw new Error('the order was refused');
        }),
      ).rejects.toThrow('the order was refused');
      const spans = await spansOf(p);
      const txSpan = spans.find((s) => s.name === 'lifeguard.transaction') as ReadableSpan;
      expect(txSpan.attributes).toMatchObject({ 'lifeguard.transaction.outcome': 'rolled_back', 'error.type': 'Error' });
      expect(txSpan.status).toEqual({ code: SpanStatusCode.ERROR });
      const names = spans.filter((s) => parentOf(s) === txSpan.spanContext().spanId).sort((a, b) => hr(a) - hr(b)).map((s) => s.name);
      expect(names).toEqual(['BEGIN', 'INSERT i17a_trace_orders', 'ROLLBACK']);
    });

    it('records each retry as an event and counts them; a retried error is not the transaction’s failure', async () => {
      const p = pool();
      let attempts = 0;
      await p.transaction(
        async (tx) => {
          await tx.query('SELECT 1');
          // What the server sends on a serialization failure: the adapter retries SQLSTATE 40001.
          if (++attempts === 1) throw Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001', severity: 'ERROR' });
        },
        { retries: 2, isolationLevel: 'serializable' },
      );
      const spans = await spansOf(p);
      const txSpan = spans.find((s) => s.name === 'lifeguard.transaction') as ReadableSpan;
      expect(txSpan.attributes).toMatchObject({ 'lifeguard.transaction.outcome': 'committed', 'lifeguard.transaction.retries': 1 });
      expect(txSpan.status.code).toBe(SpanStatusCode.UNSET);
      expect(txSpan.events.map((e) => [e.name, e.attributes])).toEqual([
        ['lifeguard.acquire', expect.any(Object)],
        ['lifeguard.transaction.retry', { 'lifeguard.transaction.attempt': 1, 'error.type': '40001' }],
        ['lifeguard.acquire', expect.any(Object)],
      ]);
      const names = spans.filter((s) => parentOf(s) === txSpan.spanContext().spanId).sort((a, b) => hr(a) - hr(b)).map((s) => s.name);
      expect(names).toEqual(['BEGIN', 'SELECT', 'ROLLBACK', 'BEGIN', 'SELECT', 'COMMIT']);
    });

    it('records outcome_unknown when the connection is lost as COMMIT goes out', async () => {
      const target = new URL(POSTGRES_URL);
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
      try {
        const p = pool({}, proxy.urlFor(url));
        await expect(
          p.transaction(async (tx) => {
            await tx.query('INSERT INTO i17a_trace_orders (note) VALUES ($1)', [PARAM]);
            proxy.cutAll();
          }),
        ).rejects.toBeInstanceOf(TransactionOutcomeUnknownError);
        const spans = await spansOf(p);
        const txSpan = spans.find((s) => s.name === 'lifeguard.transaction') as ReadableSpan;
        expect(txSpan.attributes).toMatchObject({ 'lifeguard.transaction.outcome': 'outcome_unknown', 'error.type': 'TRANSACTION_OUTCOME_UNKNOWN' });
        expect(txSpan.status.code).toBe(SpanStatusCode.ERROR);
        // Through the proxy the port is not PostgreSQL's default: server.port is set.
        expect(txSpan.attributes['server.port']).toBe(proxy.port);
        const commit = spans.find((s) => s.name === 'COMMIT');
        expect(commit?.status.code).toBe(SpanStatusCode.ERROR);
      } finally {
        await traced.closeAll();
        await proxy.close();
      }
    });
  });

  it('makes no span with tracing: false, nor with DB_TRACING=off', async () => {
    const off = pool({ tracing: false });
    const offByEnv = pool({ env: { DB_TRACING: 'off' } });
    expect(offByEnv.config.tracing).toBe(false);
    await off.query('SELECT 1');
    await offByEnv.transaction((tx) => tx.query('SELECT 1'));
    expect(await spansOf(off)).toEqual([]);
    expect(await spansOf(offByEnv)).toEqual([]);
  });
});

function hr(span: ReadableSpan): number {
  return span.startTime[0] * 1e9 + span.startTime[1];
}
