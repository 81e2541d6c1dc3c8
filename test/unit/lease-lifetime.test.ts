import { ConnectionReleasedError } from '../../src';
import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';
import type { FakeRaw } from '../helpers/fake-adapter';

afterEach(closeFakePools);

describe('a lease is dead the moment its loan ends', () => {
  it("a transaction's lease used after COMMIT fails with CONNECTION_RELEASED and never runs inside the next transaction", async () => {
    const { pool } = fakePool({ max: 1 });
    let txA: import('../../src').PooledConnection | undefined;
    await pool.transaction(async (tx) => {
      txA = tx;
      await tx.query('select');
    });
    const raw = txA!.raw as FakeRaw;
    let late: unknown;
    await pool
      .transaction(async () => {
        const before = raw.queries;
        late = await txA!.query('insert').catch((e: unknown) => e);
        expect(raw.queries).toBe(before);
        throw new Error('B rolls back');
      })
      .catch(() => undefined);
    expect(late).toBeInstanceOf(ConnectionReleasedError);
    expect((late as Error).message).toMatch(/its transaction ended/);
  });

  it('a chained tx.query the function forgot to await fails instead of running after COMMIT', async () => {
    const { pool } = fakePool({ max: 1 });
    let chained: Promise<unknown> | undefined;
    await pool.transaction(async (tx) => {
      chained = tx.query('sleep 5').then(() => tx.query('insert'));
    });
    await expect(chained).rejects.toMatchObject({ code: 'CONNECTION_RELEASED' });
  });

  it('tx.destroy() inside the function reports TRANSACTION_ROLLED_BACK (COMMIT was never sent), not an unknown outcome', async () => {
    const { pool, db } = fakePool({ max: 1 });
    const err = await pool.transaction(async (tx) => void (await tx.destroy())).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRANSACTION_ROLLED_BACK' });
    expect((err as Error).message).toMatch(/COMMIT was never sent/);
    await settle();
    expect(db.open.size).toBe(0);
  });

  it("release() after destroy() says so, not 'a second release()'", async () => {
    const { pool } = fakePool({ max: 1 });
    const lease = await pool.acquire();
    await lease.destroy();
    expect(() => lease.release()).toThrow(/destroy\(\)/);
    expect(() => lease.release()).not.toThrow(/second release/);
  });

  it('a lease close() took back past its timeout fails on query, and its late release() is a no-op', async () => {
    const { pool } = fakePool({ max: 1 });
    const lease = await pool.acquire();
    await pool.close({ timeoutMs: 10 });
    await expect(lease.query('select')).rejects.toMatchObject({ code: 'CONNECTION_RELEASED' });
    expect(() => lease.release()).not.toThrow();
  });
});

describe('the drain and background rollbacks', () => {
  it('a connection released inside a transaction and still rolling back is not returned to a closed pool', async () => {
    const { pool, db } = fakePool({ max: 2 });
    db.rollbackDelayMs = 200;
    const lease = await pool.acquire();
    (lease.raw as FakeRaw).inTx = true;
    lease.release();
    await pool.close({ timeoutMs: 20 });
    await sleep(300);
    expect(pool.stats()).toMatchObject({ total: 0, idle: 0 });
    expect(db.open.size).toBe(0);
  });

  it('close() waits for a background rollback that finishes within its timeout, then closes that connection', async () => {
    const { pool, db } = fakePool({ max: 2 });
    db.rollbackDelayMs = 50;
    const lease = await pool.acquire();
    (lease.raw as FakeRaw).inTx = true;
    lease.release();
    const started = Date.now();
    await pool.close({ timeoutMs: 2000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(db.open.size).toBe(0);
    expect(pool.stats().total).toBe(0);
  });
});
