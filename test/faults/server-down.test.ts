/**
 * A database that is down when the service starts, on a private PostgreSQL cluster (the shared
 * server is never stopped): acquire fails fast and says why, connection attempts are spaced by the
 * backoff instead of hammering the port, warmup() fails loudly, and when the server comes up the
 * same pool serves again without a restart.
 */
import { ConnectionError, PoolTimeoutError } from '../../src';
import { PgCluster, pgClusterUnavailableReason } from '../helpers/pg-cluster';
import { describeMysql, MYSQL_URL, REQUIRE_DATABASES } from '../helpers/databases';
import { closeFaultPools, faultPool, sleep } from './harness/fault-pools';
import { TcpProxy } from './harness/tcp-proxy';

const unavailable = pgClusterUnavailableReason();
if (unavailable && !REQUIRE_DATABASES) console.log(`server-down faults: ${unavailable}; suite skipped`);

(unavailable && !REQUIRE_DATABASES ? describe.skip : describe)('database down at start (private PostgreSQL)', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.start({ label: 'faults-down' });
    await cluster.stopServer('fast');
  }, 60_000);
  afterEach(closeFaultPools);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('rejects acquire within acquireTimeoutMs with ECONNREFUSED as cause, backs off, fails warmup, and recovers when the server comes up', async () => {
    const acquireTimeoutMs = 800;
    const pool = faultPool(cluster.url(), { min: 2, max: 4, acquireTimeoutMs, connectTimeoutMs: 500 });

    const started = Date.now();
    const err = await pool.acquire().catch((e: unknown) => e);
    const waitedMs = Date.now() - started;
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(waitedMs).toBeGreaterThanOrEqual(acquireTimeoutMs - 20);
    expect(waitedMs).toBeLessThan(acquireTimeoutMs + 300);

    await expect(pool.warmup()).rejects.toBeInstanceOf(ConnectionError);

    // Ten callers keep asking for 3 s: the attempts stay spaced by the backoff (100 ms doubling to 500 ms).
    const attemptsBefore = pool.connectAttempts;
    const windowMs = 3000;
    const windowEnds = Date.now() + windowMs;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (Date.now() < windowEnds) await pool.query('SELECT 1', [], { timeoutMs: 300 }).catch(() => undefined);
      }),
    );
    const attempts = pool.connectAttempts - attemptsBefore;
    const perSecond = attempts / (windowMs / 1000);
    console.log(`[figure] database down: acquire rejected after ${waitedMs} ms (acquireTimeoutMs ${acquireTimeoutMs}); ` +
      `${attempts} connection attempts in ${windowMs} ms with 10 callers retrying = ${perSecond.toFixed(1)}/s`);
    expect(perSecond).toBeLessThanOrEqual(3);

    // A caller already waiting when the server comes up is served by the same pool.
    const waiting = pool.query<{ one: number }>('SELECT 1 AS one', [], { timeoutMs: 10_000 });
    await sleep(200);
    await cluster.startServer();
    const upAt = Date.now();
    await expect(waiting).resolves.toMatchObject({ rows: [{ one: 1 }] });
    const recoveryMs = Date.now() - upAt;
    console.log(`[figure] database down: first query served ${recoveryMs} ms after the server was up (backoff cap 500 ms)`);
    expect(recoveryMs).toBeLessThan(1000);
    await expect(pool.warmup()).resolves.toBeUndefined();
    expect(pool.stats().total).toBeGreaterThanOrEqual(2);
  }, 30_000);
});

describeMysql('database unreachable at start (MariaDB behind a proxy that refuses connections)', () => {
  let proxy: TcpProxy;
  beforeEach(async () => {
    const target = new URL(MYSQL_URL);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 3306));
    await proxy.refuseNew();
  });
  afterEach(async () => {
    await closeFaultPools();
    await proxy.close();
  });

  it('rejects acquire with ECONNREFUSED as cause, fails warmup, backs off, and recovers when connections are accepted again', async () => {
    const pool = faultPool(proxy.urlFor(MYSQL_URL), { min: 1, max: 4, acquireTimeoutMs: 600, connectTimeoutMs: 500 });
    const err = await pool.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    await expect(pool.warmup()).rejects.toBeInstanceOf(ConnectionError);
    const attemptsBefore = pool.connectAttempts;
    await sleep(2000);
    const perSecond = (pool.connectAttempts - attemptsBefore) / 2;
    expect(perSecond).toBeLessThanOrEqual(3);

    const waiting = pool.query<{ one: number }>('SELECT 1 AS one', [], { timeoutMs: 5000 });
    await proxy.resume();
    const upAt = Date.now();
    await expect(waiting).resolves.toMatchObject({ rows: [{ one: 1 }] });
    console.log(`[figure] MariaDB unreachable: ${perSecond.toFixed(1)} attempts/s while refused; first query ${Date.now() - upAt} ms after connections were accepted again`);
    expect(Date.now() - upAt).toBeLessThan(1000);
    expect(proxy.accepted).toBeGreaterThan(0);
  });
});
