import { TransactionOutcomeUnknownError } from '../../src/shared/errors';
import { closeFakePools, fakePool, settle } from '../helpers/pools';

afterEach(closeFakePools);

describe('transaction()', () => {
  it('commits and returns the function result', async () => {
    const { pool } = fakePool({ max: 1 });
    await expect(pool.transaction(async (tx) => (await tx.query('select')).rowCount)).resolves.toBe(1);
  });

  it('rolls back and rethrows when the function throws', async () => {
    const { pool, db } = fakePool({ max: 1 });
    await expect(pool.transaction(async (tx) => tx.query('fail'))).rejects.toThrow('syntax error');
    expect([...db.open][0].inTx).toBe(false);
  });

  it('retries serialization failures up to `retries` times', async () => {
    const { pool } = fakePool({ max: 1 });
    let calls = 0;
    const result = await pool.transaction(
      async (tx) => {
        calls++;
        if (calls < 3) await tx.query('retryable');
        return 'done';
      },
      { retries: 3 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('does not retry without retries', async () => {
    const { pool } = fakePool({ max: 1 });
    let calls = 0;
    await expect(
      pool.transaction(async (tx) => {
        calls++;
        await tx.query('retryable');
      }),
    ).rejects.toThrow('could not serialize');
    expect(calls).toBe(1);
  });

  it('never retries after COMMIT was sent, and flags a broken COMMIT as outcome unknown', async () => {
    const { pool, db } = fakePool({ max: 1 });
    db.commitError = Object.assign(new Error('connection reset during commit'), { code: 'ECONNRESET' });
    let calls = 0;
    const err = await pool
      .transaction(
        async () => {
          calls++;
        },
        { retries: 5 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionOutcomeUnknownError);
    expect(calls).toBe(1);
  });

  it('retries on a fresh connection when the connection is lost before COMMIT was sent', async () => {
    const { pool, db } = fakePool({ max: 1 });
    let calls = 0;
    const result = await pool.transaction(
      async (tx) => {
        calls++;
        if (calls === 1) await tx.query('break');
        return (await tx.query('select')).rows[0];
      },
      { retries: 2 },
    );
    expect(calls).toBe(2);
    expect(result).toEqual({ connectionId: 2 });
    expect(db.connects).toBe(2);
  });

  it('retries a serialization failure reported by COMMIT itself: the server rolled back', async () => {
    const { pool, db } = fakePool({ max: 1 });
    db.commitError = Object.assign(new Error('could not serialize access'), { code: 'ESERIAL' });
    let calls = 0;
    await pool.transaction(
      async () => {
        calls++;
        if (calls === 2) db.commitError = undefined;
      },
      { retries: 3 },
    );
    expect(calls).toBe(2);
  });

  it('does not retry a query that timed out inside the transaction, and destroys its connection', async () => {
    const { pool, db } = fakePool({ max: 1 });
    let calls = 0;
    const err = await pool
      .transaction(
        async (tx) => {
          calls++;
          await tx.query('sleep 200', [], { timeoutMs: 20 });
        },
        { retries: 3 },
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'QUERY_TIMEOUT' });
    expect(calls).toBe(1);
    await settle();
    expect(db.open.size).toBe(0);
  });

  it('destroys the connection when ROLLBACK fails', async () => {
    const { pool, db } = fakePool({ max: 1 });
    db.rollbackError = new Error('rollback failed');
    await expect(pool.transaction(async (tx) => tx.query('fail'))).rejects.toThrow('syntax error');
    await settle();
    expect(db.open.size).toBe(0);
  });

  it('does not let the function release the connection mid-transaction', async () => {
    const { pool } = fakePool({ max: 1 });
    await expect(pool.transaction(async (tx) => tx.release())).rejects.toThrow(/do not call release/);
    expect(pool.stats().active).toBe(0);
  });
});
