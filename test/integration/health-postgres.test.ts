import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createPool, healthHandler, registerPoolMetrics, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { POSTGRES_URL, describePostgres, uniqueName } from '../helpers/databases';

const PASSWORD = 'pg-Secr3t-pa55word';
const pools: Pool[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 500 })));
});

async function serveAndGet(handler: ReturnType<typeof healthHandler>): Promise<{ status: number; text: string }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describePostgres('healthHandler on PostgreSQL', () => {
  it('answers 200 with the liveness check run on the real server', async () => {
    const pool = createPool({ name: uniqueName('health_pg'), url: POSTGRES_URL, env: {}, profile: 'test', logger: silentLogger, max: 2 });
    pools.push(pool);
    const answer = await serveAndGet(healthHandler(pool));
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as { status: string; checks: { database: { status: string; latency_ms: number } } };
    expect(body.checks.database).toMatchObject({ status: 'healthy', latency_ms: expect.any(Number) });
    expect(pool.stats().counters.created).toBe(1);
  });
});

describePostgres('metrics and slow-query events on PostgreSQL', () => {
  it('times a real slow query into the histogram and a slowQuery event without its parameters', async () => {
    const name = uniqueName('metrics_pg');
    const pool = createPool({ name, url: POSTGRES_URL, env: {}, profile: 'test', logger: silentLogger, max: 2, slowQueryMs: 40 });
    pools.push(pool);
    const registry = new Registry();
    registerPoolMetrics(pool, registry);
    const slow: Array<{ sql: string; durationMs: number }> = [];
    pool.on('slowQuery', (e) => slow.push(e));
    await pool.query('SELECT pg_sleep($1), $2::text AS secret', [0.06, PASSWORD]);
    await pool.query('SELECT 1');

    expect(slow).toHaveLength(1);
    expect(slow[0].sql).toBe('SELECT pg_sleep($1), $2::text AS secret');
    expect(slow[0].durationMs).toBeGreaterThanOrEqual(55);
    expect(JSON.stringify(slow)).not.toContain(PASSWORD);
    const text = await registry.metrics();
    expect(text).toContain(`db_client_operation_duration_seconds_count{pool_name="${name}"} 2`);
    expect(text).toContain(`lifeguard_slow_queries_total{pool_name="${name}"} 1`);
    expect(text).toContain(`db_client_connection_count{pool_name="${name}",state="idle"} 1`);
    expect(text).not.toContain(PASSWORD);
  });
});

describe('healthHandler on a PostgreSQL URL nobody listens on', () => {
  it('answers 503 unhealthy within its timeout, without the URL’s password', async () => {
    const port = await freePort();
    const pool = createPool({
      name: uniqueName('health_pg_down'),
      url: `postgres://app:${PASSWORD}@127.0.0.1:${port}/app`,
      env: {},
      profile: 'test',
      logger: silentLogger,
      max: 2,
      acquireTimeoutMs: 500,
      connectTimeoutMs: 200,
    });
    pools.push(pool);
    const started = Date.now();
    const answer = await serveAndGet(healthHandler(pool, { timeoutMs: 600 }));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 'unhealthy', checks: { database: { status: 'unhealthy', error: expect.stringMatching(/could not provide a connection within 600 ms: none could be opened\. Last connection failure: .*ECONNREFUSED/) } } });
    expect(answer.text).not.toContain(PASSWORD);
  });
});
