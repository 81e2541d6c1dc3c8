import { newConnection } from '../../src/pool/connection';
import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';

afterEach(closeFakePools);

describe('pool size bounds', () => {
  it('opens min connections on its own and keeps them', async () => {
    const { db } = fakePool({ min: 2, max: 5 });
    await sleep(20);
    expect(db.open.size).toBe(2);
  });

  it('never opens more than max connections, however many callers there are', async () => {
    const { pool, db } = fakePool({ max: 3 });
    db.connectDelayMs = 5;
    const results = await Promise.all(Array.from({ length: 30 }, () => pool.query('sleep 5')));
    expect(results).toHaveLength(30);
    expect(db.maxOpenSeen).toBe(3);
    expect(pool.stats().total).toBeLessThanOrEqual(3);
  });

  it('warmup() opens min connections now', async () => {
    const { pool, db } = fakePool({ min: 3, max: 5 });
    await pool.warmup();
    expect(db.open.size).toBe(3);
    expect(pool.stats().idle).toBe(3);
  });
});

describe('idle connections', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('closes idle connections above min after idleTimeoutMs and never churns the ones at min', async () => {
    const { pool, db } = fakePool({ min: 1, max: 4, idleTimeoutMs: 1000, evictionIntervalMs: 100 });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
    leases.forEach((lease) => lease.release());
    expect(db.open.size).toBe(4);
    await jest.advanceTimersByTimeAsync(1200);
    expect(db.open.size).toBe(1);
    const connectsAfterShrink = db.connects;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(db.open.size).toBe(1);
    expect(db.connects).toBe(connectsAfterShrink);
    expect(pool.stats().counters.destroyed.idle).toBe(3);
  });

  it('keeps idle connections forever when idleTimeoutMs is 0 (generic-pool would default it to 30 s)', async () => {
    const { pool, db } = fakePool({ min: 0, max: 2, idleTimeoutMs: 0 });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    a.release();
    b.release();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(db.open.size).toBe(2);
  });
});

describe('recycling', () => {
  it('recycles a connection after maxUses acquisitions', async () => {
    const { pool } = fakePool({ max: 1, maxUses: 3 });
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await pool.query<{ connectionId: number }>('select')).rows[0].connectionId);
    expect(ids).toEqual([1, 1, 1, 2, 2, 2, 3].map((n) => ids[0] + n - 1));
    expect(pool.stats().counters.destroyed.maxUses).toBe(2);
  });

  it('gives lifetimes up to 10 % jitter so connections opened together do not expire together', () => {
    const lifetimes = Array.from({ length: 50 }, () => newConnection({}, 10_000, 0).expiresAt);
    expect(new Set(lifetimes).size).toBeGreaterThan(40);
    for (const t of lifetimes) {
      expect(t).toBeGreaterThan(9000);
      expect(t).toBeLessThanOrEqual(10_000);
    }
  });

  describe('with fake timers', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
    afterEach(() => jest.useRealTimers());

    it('recycles an idle connection past maxLifetimeMs and reopens min', async () => {
      const { pool, db } = fakePool({ min: 1, max: 2, maxLifetimeMs: 10_000, evictionIntervalMs: 500 });
      await jest.advanceTimersByTimeAsync(10);
      const first = [...db.open][0].id;
      await jest.advanceTimersByTimeAsync(10_600);
      expect(pool.stats().counters.destroyed.lifetime).toBe(1);
      expect(db.open.size).toBe(1);
      expect([...db.open][0].id).not.toBe(first);
    });

    it('recycles a borrowed connection past maxLifetimeMs when it is released', async () => {
      const { pool, db } = fakePool({ max: 1, maxLifetimeMs: 10_000, evictionIntervalMs: 0 });
      const lease = await pool.acquire();
      await jest.advanceTimersByTimeAsync(11_000);
      lease.release();
      await settle();
      expect(db.open.size).toBe(0);
      expect(pool.stats().counters.destroyed.lifetime).toBe(1);
    });
  });
});
