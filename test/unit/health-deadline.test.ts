import { healthHandler } from '../../src';
import { closeFakePools, fakePool } from '../helpers/pools';

afterEach(closeFakePools);

describe('health() answers by its own deadline', () => {
  it.each([5000, 0])('when validation hangs on a silent network (connectTimeoutMs %p)', async (connectTimeoutMs) => {
    const { pool, db } = fakePool({ max: 1, testOnAcquire: true, connectTimeoutMs, acquireTimeoutMs: 10_000 }, (d) => (d.abortInFlightOnClose = true));
    await pool.query('select');
    await new Promise((r) => setTimeout(r, 550));
    db.validateDelayMs = 10_000;
    const started = Date.now();
    const report = await pool.health({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(report.status).not.toBe('healthy');
    db.validateDelayMs = 0;
  });
});

describe('a full maxWaiting queue', () => {
  it('makes health degraded, not unhealthy, does not count the probe as refused, and degradedHttpStatus 200 gives 200', async () => {
    const { pool } = fakePool({ max: 1, maxWaiting: 1, acquireTimeoutMs: 2000 });
    const held = await pool.acquire();
    const waiting = pool.query('select').catch((e: unknown) => e);
    const refusedBefore = pool.stats().counters.queueFull;
    const report = await pool.health({ timeoutMs: 200 });
    expect(report.status).toBe('degraded');
    expect(pool.stats().counters.queueFull).toBe(refusedBefore);
    const handler = healthHandler(pool, { degradedHttpStatus: 200 });
    let status = 0;
    await new Promise<void>((resolve) => {
      handler({ method: 'GET', url: '/health', headers: {} } as never, {
        writeHead(code: number) {
          status = code;
          return this;
        },
        end() {
          resolve();
        },
      } as never);
    });
    expect(status).toBe(200);
    held.release();
    await waiting;
  });
});

describe('dead connections', () => {
  it('a connection lost under a query reaches the caller as CONNECTION_FAILED with the driver error as cause, not a codeless error', async () => {
    const { pool } = fakePool({ max: 1 });
    const err = await pool.query('lose').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONNECTION_FAILED', cause: expect.objectContaining({ message: 'Connection terminated unexpectedly' }) });
    await expect(pool.query('select')).resolves.toMatchObject({ rowCount: 1 });
  });
});
