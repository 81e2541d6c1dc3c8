/**
 * What goes through a PgPool is a lifeguard operation: its queries count in the operation
 * histogram and fire slowQuery, a client held too long is a leak, a connection broken under a
 * query is destroyed and never lent again, and the pool's settings come from the environment as
 * createPool's do. No password in any error, event or printed object.
 */
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import pg from 'pg';
import { closeAllPools, createPool, getPool, registerPoolMetrics } from '../../../src';
import { PgPool, pgPool } from '../../../src/integrations/pg';
import { silentLogger } from '../../../src/shared/logger';
import { describePostgres, POSTGRES_URL, uniqueName } from '../../helpers/databases';
import { backendPid, endPgPools, operationCount, terminateBackend, testPgPool, waitFor } from '../../helpers/pg-pools';


describePostgres('PgPool: every lifeguard policy applies underneath', () => {
  afterEach(endPgPools);

  it('counts PoolClient queries and PgPool.query in the operation histogram, and both fire slowQuery', async () => {
    const pool = testPgPool({ slowQueryMs: 10 });
    const registry = new Registry();
    registerPoolMetrics(pool.lifeguard, registry);
    const slow: string[] = [];
    pool.lifeguard.on('slowQuery', (e) => slow.push(e.sql));
    await pool.query('SELECT pg_sleep(0.03) AS a');
    const client = await pool.connect();
    await client.query({ text: 'SELECT pg_sleep(0.03) AS b', rowMode: 'array' });
    await new Promise<void>((resolve, reject) => client.query('SELECT 1', (err: Error | undefined) => (err ? reject(err) : resolve())));
    client.release();
    expect(await operationCount(registry)).toBe(3);
    expect(pool.lifeguard.stats().counters.acquires).toBe(2);
    expect(slow).toEqual(['SELECT pg_sleep(0.03) AS a', 'SELECT pg_sleep(0.03) AS b']);
  });

  it('reports a PoolClient held longer than leakDetectionMs, with the stack that took it', async () => {
    const pool = testPgPool({ leakDetectionMs: 100, evictionIntervalMs: 50 });
    const leaks: Array<{ stack?: string }> = [];
    pool.lifeguard.on('leak', (e) => leaks.push(e));
    const client = await pool.connect();
    await waitFor(() => leaks.length === 1);
    expect(leaks[0].stack).toContain('policies.test.ts');
    client.release();
  });

  it('destroys a connection broken under a query, even when the holder releases it without an error', async () => {
    const pool = testPgPool({ max: 1 });
    const destroyed: string[] = [];
    pool.lifeguard.on('destroy', (e) => destroyed.push(e.reason));
    const client = await pool.connect();
    const pid = await backendPid(client);
    const failure = client.query('SELECT pg_sleep(5)').then(() => undefined, (err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await terminateBackend(pid);
    expect(await failure).toMatchObject({ code: '57P01' });
    client.release();
    await waitFor(() => destroyed.length === 1);
    expect(destroyed).toEqual(['broken']);
    const next = await pool.connect();
    expect(await backendPid(next)).not.toBe(pid);
    next.release();
  });

  it('never lends again a client whose holder ended it', async () => {
    const pool = testPgPool({ max: 1 });
    const client = await pool.connect();
    const pid = await backendPid(client);
    await client.end();
    client.release();
    const next = await pool.connect();
    expect((await next.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    expect(await backendPid(next)).not.toBe(pid);
    next.release();
  });

  it('applies statement_timeout on the server and keeps the connection after a cancelled statement', async () => {
    const pool = testPgPool({ max: 1, statement_timeout: 200 });
    const client = await pool.connect();
    const pid = await backendPid(client);
    await expect(client.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
    client.release();
    const again = await pool.connect();
    expect(await backendPid(again)).toBe(pid);
    again.release();
  });

  it('takes its settings from the environment as createPool does, explicit options winning', () => {
    const env = { DATABASE_URL: POSTGRES_URL, DB_POOL_MAX: '3', DB_SLOW_QUERY_MS: '250' };
    const fromEnv = new PgPool({ env, name: uniqueName('lg_pg_env'), logger: silentLogger });
    const explicit = new PgPool({ env, max: 2, name: uniqueName('lg_pg_env'), logger: silentLogger });
    try {
      expect(fromEnv.lifeguard.config).toMatchObject({ max: 3, slowQueryMs: 250 });
      expect(fromEnv.lifeguard.config.sources).toMatchObject({ max: 'env', url: 'env' });
      expect(fromEnv.options.max).toBe(3);
      expect(explicit.lifeguard.config.max).toBe(2);
      expect(explicit.lifeguard.config.sources.max).toBe('option');
    } finally {
      void fromEnv.end();
      void explicit.end();
    }
  });

  it('pgPool(getPool()) is a pg.Pool over that very pool, one per pool; its end() closes it', async () => {
    const shared = getPool(uniqueName('lg_pg_shared'), { url: POSTGRES_URL, env: {}, sslMode: 'disable', logger: silentLogger });
    const facade = pgPool(shared);
    expect(facade).toBeInstanceOf(pg.Pool);
    expect(pgPool(shared)).toBe(facade);
    expect(facade.lifeguard).toBe(shared);
    await facade.query('SELECT 1');
    await shared.query('SELECT 2');
    expect(shared.stats().counters.acquires).toBe(2);
    await facade.end();
    expect(shared.isClosed).toBe(true);
  });

  it('pgPool() refuses a pool that is not PostgreSQL', async () => {
    const sqlite = createPool({ url: 'sqlite::memory:', env: {}, logger: silentLogger });
    try {
      expect(() => pgPool(sqlite)).toThrow(/needs a PostgreSQL pool/);
    } finally {
      await sqlite.close();
    }
  });

  it("asks pg's password function for every new connection (lifeguard's password provider)", async () => {
    let asked = 0;
    const pool = testPgPool({ max: 2, password: async () => (asked++, 'unused-by-a-trusting-server') });
    const [a, b] = await Promise.all([pool.connect(), pool.connect()]);
    a.release();
    b.release();
    expect(asked).toBeGreaterThanOrEqual(2);
  });

  it('is drained by closeAllPools() (the SIGTERM hook) like any pool', async () => {
    const pool = testPgPool();
    await pool.query('SELECT 1');
    await closeAllPools({ timeoutMs: 2000 });
    expect(pool.ending).toBe(true);
    expect(pool.totalCount).toBe(0);
    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });

  it('gives a caller of a database that cannot be reached a timeout error with the connection failure as its cause', async () => {
    const pool = testPgPool({ connectionString: 'postgres://postgres@127.0.0.1:1/test', connectionTimeoutMillis: 600 });
    const err = (await pool.connect().catch((e: unknown) => e)) as Error & { code?: string; cause?: { code?: string } };
    expect(err.message).toMatch(/timeout/);
    expect(err).toMatchObject({ code: 'POOL_TIMEOUT', cause: { code: 'ECONNREFUSED' } });
  });

  it('shows no password in its options, in util.inspect, in errors or in events', async () => {
    const secret = 'hunter2-not-shown';
    const pool = testPgPool({ connectionString: `postgres://postgres:${secret}@127.0.0.1:1/test`, connectionTimeoutMillis: 300 });
    const seen: unknown[] = [];
    for (const event of ['createError', 'acquireTimeout', 'error', 'destroy'] as const) pool.lifeguard.on(event, (e: unknown) => seen.push(e));
    const err = await pool.connect().catch((e: unknown) => e);
    const printed = [JSON.stringify(pool.options), inspect(pool, { depth: 6 }), inspect(err, { depth: 6 }), inspect(seen, { depth: 6 }), String(err)];
    for (const text of printed) expect(text).not.toContain(secret);
    expect(pool.options.password).toBe(secret); // still there for what needs it (Kysely's cancel connection), just not enumerable
  });
});
