/**
 * maxWaiting bounds the callers that wait for a connection to be released: not the callers whose
 * connection is being opened, and not callers that already gave up.
 */
import { PoolQueueFullError, PoolTimeoutError } from '../../src/shared/errors';
import { closeFakePools, fakePool, settle } from '../helpers/pools';

afterEach(closeFakePools);

describe('maxWaiting', () => {
  it('does not count callers whose own connection is still opening: a cold pool serves a burst up to max', async () => {
    const { pool, db } = fakePool({ max: 4, maxWaiting: 1, acquireTimeoutMs: 2000 });
    db.connectDelayMs = 20;
    const burst = Array.from({ length: 4 }, () => pool.acquire());
    const fifth = pool.acquire();
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolQueueFullError);
    const leases = await Promise.all(burst);
    expect(db.connects).toBe(4);
    leases[0].release();
    const waited = await fifth;
    expect(waited.id).toBe(leases[0].id);
    waited.release();
    leases.slice(1).forEach((lease) => lease.release());
  });

  it('counts exactly maxWaiting waiters once every connection is borrowed', async () => {
    const { pool } = fakePool({ max: 2, maxWaiting: 3, acquireTimeoutMs: 2000 });
    const held = [await pool.acquire(), await pool.acquire()];
    const waiters = [pool.acquire(), pool.acquire(), pool.acquire()];
    await settle();
    const err = await pool.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolQueueFullError);
    expect(err).toMatchObject({ code: 'POOL_QUEUE_FULL', maxWaiting: 3 });
    expect(pool.stats().counters.queueFull).toBe(1);
    held.forEach((lease) => lease.release());
    const [a, b] = await Promise.all(waiters.slice(0, 2));
    a.release();
    b.release();
    (await waiters[2]).release();
  });

  it('frees a place in the queue when a waiter gives up (abort or timeout)', async () => {
    const { pool } = fakePool({ max: 1, maxWaiting: 2, acquireTimeoutMs: 2000 });
    const held = await pool.acquire();
    const controller = new AbortController();
    const aborted = pool.acquire({ signal: controller.signal }).catch((e: unknown) => e);
    const timedOut = pool.acquire({ timeoutMs: 30 }).catch((e: unknown) => e);
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolQueueFullError);
    controller.abort(new Error('caller left'));
    expect(await timedOut).toBeInstanceOf(PoolTimeoutError);
    expect(await aborted).toMatchObject({ message: 'caller left' });
    const again = [pool.acquire(), pool.acquire()];
    await settle();
    expect(pool.stats().pending).toBe(2);
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolQueueFullError);
    held.release();
    (await again[0]).release();
    (await again[1]).release();
  });

  it('is unbounded at 0', async () => {
    const { pool } = fakePool({ max: 1, maxWaiting: 0, acquireTimeoutMs: 2000 });
    const held = await pool.acquire();
    const waiters = Array.from({ length: 200 }, () => pool.query('select'));
    await settle();
    expect(pool.stats().pending).toBe(200);
    held.release();
    await expect(Promise.all(waiters)).resolves.toHaveLength(200);
  });
});

describe('PoolTimeoutError.pending', () => {
  it('counts the callers still waiting besides the one that gave up', async () => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 60 });
    const held = await pool.acquire();
    const errors = (await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()].map((p) => p.catch((e: unknown) => e)))) as PoolTimeoutError[];
    expect(errors.every((e) => e instanceof PoolTimeoutError)).toBe(true);
    expect(errors.map((e) => e.pending)).toEqual([2, 1, 0]);
    expect(pool.stats().pending).toBe(0);
    held.release();
  });
});
