import { ConfigError, Secret, healthHandler, type PooledConnection } from '../../src';
import { closeFakePools, fakePool, settle } from '../helpers/pools';

afterEach(closeFakePools);

describe('pool.health()', () => {
  it('is healthy when the liveness check passes on a quiet pool', async () => {
    const { pool, db } = fakePool({ name: 'quiet' });
    const report = await pool.health();
    expect(report).toMatchObject({ status: 'healthy', pool: { name: 'quiet', active: 0 } });
    expect(report.error).toBeUndefined();
    expect(db.validations).toBe(1);
  });

  it('is degraded, not unhealthy, when every connection is busy: the database is fine, the pool is saturated', async () => {
    const { pool } = fakePool({ max: 2 });
    const held = [await pool.acquire(), await pool.acquire()];
    const started = Date.now();
    const report = await pool.health({ timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report.status).toBe('degraded');
    expect(report.latencyMs).toBeGreaterThanOrEqual(90);
    expect(report.error).toMatch(/could not provide a connection within 100 ms: every connection stayed busy \(2 in use/);
    for (const lease of held) lease.release();
  });

  it('does not count a probe that found the pool busy as an acquire timeout', async () => {
    const { pool } = fakePool({ max: 1 });
    const timeouts: unknown[] = [];
    pool.on('acquireTimeout', (e) => timeouts.push(e));
    const held = await pool.acquire();
    expect((await pool.health({ timeoutMs: 50 })).status).toBe('degraded');
    expect(pool.stats().counters.acquireTimeouts).toBe(0);
    expect(timeouts).toEqual([]);
    held.release();
    // Nor does it leave the pool "degraded because a caller timed out" afterwards.
    expect((await pool.health()).status).toBe('healthy');
  });

  it('is degraded at critical utilization', async () => {
    const { pool } = fakePool({ max: 20 });
    const held: PooledConnection[] = [];
    for (let i = 0; i < 19; i++) held.push(await pool.acquire());
    const report = await pool.health();
    expect(report.status).toBe('degraded');
    expect(report.error).toMatch(/utilization 95 %/);
    for (const lease of held) lease.release();
  });

  it('is degraded for a minute after a caller timed out', async () => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 20 });
    const held = await pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    held.release();
    const report = await pool.health();
    expect(report.status).toBe('degraded');
    expect(report.error).toMatch(/timed out waiting/);
  });

  it('is unhealthy when the liveness check fails, and that connection is not handed out again', async () => {
    const { pool, db } = fakePool({ max: 1 });
    const first = await pool.acquire();
    const deadId = (first.raw as { id: number }).id;
    first.release();
    db.failValidation.add(deadId);
    const report = await pool.health();
    expect(report.status).toBe('unhealthy');
    expect(report.error).toContain(`connection ${deadId} is dead`);
    await settle();
    const next = await pool.acquire();
    expect((next.raw as { id: number }).id).not.toBe(deadId);
    next.release();
  });

  it('is unhealthy, within its timeout, when no connection can be opened', async () => {
    const { pool, db } = fakePool({ max: 1, connectTimeoutMs: 50 });
    db.connectError = new Error('connection refused');
    const started = Date.now();
    const report = await pool.health({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(report.status).toBe('unhealthy');
    expect(report.error).toContain('connection refused');
  });

  it('never throws, even on a closed pool', async () => {
    const { pool } = fakePool();
    await pool.close();
    const report = await pool.health();
    expect(report.status).toBe('unhealthy');
    expect(report.error).toMatch(/closed/);
  });
});

describe('healthHandler configuration', () => {
  it('refuses an empty token rather than locking probes out or serving without one', () => {
    const { pool } = fakePool();
    expect(() => healthHandler(pool, { token: '' })).toThrow(/empty token/);
    expect(() => healthHandler(pool, { token: new Secret('  ') })).toThrow(ConfigError);
    expect(() => healthHandler({})).toThrow(/at least one pool/);
  });
});
