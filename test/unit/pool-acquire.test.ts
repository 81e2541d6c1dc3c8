import { PoolClosedError, PoolQueueFullError, PoolTimeoutError } from '../../src/shared/errors';
import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';

afterEach(closeFakePools);

describe('acquire timeout', () => {
  it('rejects a waiter with PoolTimeoutError after acquireTimeoutMs and reserves nothing for it', async () => {
    const { pool, db } = fakePool({ max: 1, acquireTimeoutMs: 100 });
    const timeouts: number[] = [];
    pool.on('acquireTimeout', (e) => timeouts.push(e.waitedMs));
    const held = await pool.acquire();
    const started = Date.now();
    const err = await pool.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expect(err).toMatchObject({ code: 'POOL_TIMEOUT', pending: 0 });
    // Says "timeout": what callers (and the data layers over lifeguard/pg) look for.
    expect((err as Error).message).toMatch(/could not provide a connection within \d+ ms \(acquire timeout; 0 other callers waiting\)/);
    expect((err as PoolTimeoutError).waitedMs).toBeGreaterThanOrEqual(95);
    expect(Date.now() - started).toBeLessThan(400);
    expect(timeouts).toHaveLength(1);
    expect(pool.stats().pending).toBe(0);
    held.release();
    const again = await pool.acquire({ timeoutMs: 10 });
    expect(again.id).toBe(held.id);
    again.release();
    expect(db.connects).toBe(1);
  });

  it('carries the last connection failure as the cause', async () => {
    const { pool, db } = fakePool({ max: 1, acquireTimeoutMs: 150 });
    db.connectError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = await pool.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expect((err as Error).cause).toBe(db.connectError);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('bounds opening a connection by connectTimeoutMs', async () => {
    const { pool, db } = fakePool({ max: 1, connectTimeoutMs: 50, acquireTimeoutMs: 300 });
    db.connectDelayMs = 10_000;
    const errors: string[] = [];
    pool.on('createError', (e) => errors.push(e.error.message));
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolTimeoutError);
    expect(errors[0]).toMatch(/timed out after 50 ms/);
  });

  it('backs off between failed connection attempts instead of retrying in a loop', async () => {
    const { pool, db } = fakePool({ max: 4, acquireTimeoutMs: 2000 });
    db.connectError = new Error('refused');
    await Promise.all(Array.from({ length: 8 }, () => pool.acquire().catch(() => undefined)));
    // 2 s against a dead database: a handful of attempts (100 ms doubling, 500 ms cap), never hundreds.
    expect(db.connects).toBeGreaterThanOrEqual(3);
    expect(db.connects).toBeLessThanOrEqual(12);
  });

  it('recovers by itself when the database comes back', async () => {
    const { pool, db } = fakePool({ max: 2, acquireTimeoutMs: 3000 });
    db.connectError = new Error('refused');
    const waiting = pool.query('select');
    await sleep(300);
    db.connectError = undefined;
    await expect(waiting).resolves.toMatchObject({ rowCount: 1 });
  });
});

describe('queue bound and cancellation', () => {
  it('rejects with PoolQueueFullError beyond maxWaiting', async () => {
    const { pool } = fakePool({ max: 1, maxWaiting: 2, acquireTimeoutMs: 500 });
    const held = await pool.acquire();
    const waiters = [pool.acquire(), pool.acquire()];
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolQueueFullError);
    held.release();
    const got = await waiters[0];
    got.release();
    (await waiters[1]).release();
  });

  it('acquire() and query() give up when their AbortSignal aborts, leaving nobody queued', async () => {
    const { pool, db } = fakePool({ max: 1, acquireTimeoutMs: 5000 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire({ signal: controller.signal });
    const querying = pool.query('select', [], { signal: controller.signal });
    await settle();
    expect(pool.stats().pending).toBe(2);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    await expect(querying).rejects.toThrow('client went away');
    expect(pool.stats().pending).toBe(0);
    held.release();
    expect(db.connects).toBe(1);
  });
});

describe('close()', () => {
  it('refuses new work at once, finishes in-flight work and calls queued before close(), and destroys every connection', async () => {
    const { pool, db } = fakePool({ max: 1, acquireTimeoutMs: 5000 });
    const inFlight = pool.query('sleep 100');
    await settle();
    const waiter = pool.query('select');
    await settle();
    const closing = pool.close({ timeoutMs: 2000 });
    await expect(pool.query('select')).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolClosedError);
    await expect(inFlight).resolves.toMatchObject({ rowCount: 1 });
    await expect(waiter).resolves.toMatchObject({ rowCount: 1 });
    await closing;
    expect(db.open.size).toBe(0);
    expect(pool.stats().counters.destroyed.drain).toBe(1);
  });

  it('is idempotent', async () => {
    const { pool } = fakePool({ min: 1 });
    await pool.warmup();
    const first = pool.close();
    expect(pool.close()).toBe(first);
    await first;
    await pool.close();
  });

  it('rejects calls still queued at the deadline with PoolClosedError', async () => {
    const { pool, db } = fakePool({ max: 1, acquireTimeoutMs: 5000 });
    await pool.acquire();
    const waiter = pool.query('select').catch((e: unknown) => e);
    await settle();
    await pool.close({ timeoutMs: 100 });
    expect(await waiter).toBeInstanceOf(PoolClosedError);
    expect(db.open.size).toBe(0);
  });

  it('destroys connections still borrowed at the deadline', async () => {
    const { pool, db } = fakePool({ max: 1 });
    await pool.acquire();
    const started = Date.now();
    await pool.close({ timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(db.open.size).toBe(0);
  });

  it('stops opening connections, even for min, once closing', async () => {
    const { pool, db } = fakePool({ min: 2 }, (fresh) => {
      fresh.connectError = new Error('refused');
    });
    await sleep(150);
    // The pool was retrying (with backoff) to reach min.
    expect(db.connects).toBeGreaterThanOrEqual(2);
    await pool.close();
    const attempts = db.connects;
    await sleep(1500);
    expect(db.connects).toBe(attempts);
  });
});

describe('leak detection', () => {
  it('emits leak with the stack of the code that acquired a connection held past leakDetectionMs', async () => {
    const { pool } = fakePool({ max: 1, leakDetectionMs: 100, evictionIntervalMs: 25 });
    const leaks: Array<{ heldMs: number; stack: string | undefined }> = [];
    pool.on('leak', (e) => leaks.push(e));
    const lease = await pool.acquire();
    await sleep(250);
    expect(leaks).toHaveLength(1);
    expect(leaks[0].heldMs).toBeGreaterThanOrEqual(100);
    expect(leaks[0].stack).toContain('pool-acquire.test.ts');
    lease.release();
  });
});
