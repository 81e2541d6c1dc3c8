/**
 * Issue 15: a server that accepts connections and kills each one at once (a kill loop, a proxy
 * that accepts and drops) was redialled in a tight loop: every new connection opened fine, so the
 * backoff gate saw only successes, and the dead one was retired and replaced at once. A connection
 * dead before its first loan now counts as a failed attempt.
 */
import { closeFakePools, fakePool } from '../helpers/pools';

afterEach(closeFakePools);

describe('new connections that arrive dead', () => {
  it.each([
    ['the driver already knows (brokenBy)', true],
    ['only the check on acquire finds it', false],
  ])('are redialled with backoff when %s, and the timeout names the cause', async (_label, driverKnows) => {
    const { pool, db } = fakePool({ max: 2, min: 0, acquireTimeoutMs: 1500, testOnAcquire: true }, (fake) => {
      if (driverKnows) fake.deadOnArrival = true;
    });
    if (!driverKnows) {
      // Every connection fails its first check: the validation set holds the next ids.
      for (let id = 1; id <= 100_000; id++) db.failValidation.add(id);
    }
    const error = await pool.query('select').then(() => undefined, (err: unknown) => err);
    expect(error).toMatchObject({ code: 'POOL_TIMEOUT' });
    // 1.5 s of backoff from 100 ms doubling to 500 ms (±25 %) allows about 5 attempts; the tight
    // loop made thousands.
    expect(db.connects).toBeGreaterThanOrEqual(2);
    expect(db.connects).toBeLessThanOrEqual(12);
    expect(String((error as Error).message)).toMatch(/Last connection failure/);
  });

  it('once connections arrive healthy again, the waiting caller gets one and later callers run without delay', async () => {
    const { pool, db } = fakePool({ max: 1, min: 0, acquireTimeoutMs: 3000 }, (fake) => {
      fake.deadOnArrival = true;
    });
    const first = pool.query('select');
    await new Promise((resolve) => setTimeout(resolve, 350));
    db.deadOnArrival = false;
    await expect(first).resolves.toBeDefined();
    expect(db.connects).toBeLessThanOrEqual(6);
    const started = Date.now();
    await expect(pool.query('select')).resolves.toBeDefined();
    expect(Date.now() - started).toBeLessThan(100);
  });
});
