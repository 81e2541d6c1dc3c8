import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';

afterEach(closeFakePools);

describe('testOnAcquire', () => {
  it('skips validation for a connection used in the last 500 ms and validates an older one', async () => {
    const { pool, db } = fakePool({ max: 1, testOnAcquire: true });
    await pool.query('select');
    const afterFirst = db.validations;
    await pool.query('select');
    expect(db.validations).toBe(afterFirst);
    await sleep(550);
    await pool.query('select');
    expect(db.validations).toBe(afterFirst + 1);
  });

  it('validates a brand-new connection before its first loan: it has not been used, only opened', async () => {
    const { pool, db } = fakePool({ max: 1, testOnAcquire: true });
    await pool.query('select');
    expect(db.validations).toBe(1);
  });

  it('never lends a connection the driver already knows is dead, even one opened a moment ago', async () => {
    const { pool, db } = fakePool({ max: 1, testOnAcquire: false, acquireTimeoutMs: 500 });
    db.deadOnArrival = true;
    db.connectDelayMs = 2;
    const first = pool.acquire();
    await sleep(20);
    db.deadOnArrival = false;
    const lease = await first;
    const raw = lease.raw as { open: boolean; id: number };
    expect(raw.open).toBe(true);
    expect(db.connects).toBeGreaterThanOrEqual(2);
    lease.release();
  });

  it('destroys a connection that fails validation and hands the waiter another, never an error', async () => {
    const { pool, db } = fakePool({ max: 1, testOnAcquire: true });
    const first = (await pool.query<{ connectionId: number }>('select')).rows[0].connectionId;
    db.failValidation.add(first);
    await sleep(550);
    const second = (await pool.query<{ connectionId: number }>('select')).rows[0].connectionId;
    expect(second).not.toBe(first);
    expect(pool.stats().counters.validationFailures).toBe(1);
    expect(pool.stats().counters.destroyed.validation).toBe(1);
    expect(pool.stats().total).toBe(1);
  });
});

describe('broken connections', () => {
  it('destroys a connection whose error the adapter calls broken, and never hands it out again', async () => {
    const { pool } = fakePool({ max: 1 });
    const destroyed: string[] = [];
    pool.on('destroy', (e) => destroyed.push(e.reason));
    const first = (await pool.query<{ connectionId: number }>('select')).rows[0].connectionId;
    await expect(pool.query('break')).rejects.toThrow('connection reset');
    const next = (await pool.query<{ connectionId: number }>('select')).rows[0].connectionId;
    expect(next).not.toBe(first);
    expect(destroyed).toEqual(['broken']);
  });

  it('keeps a connection after an ordinary query error', async () => {
    const { pool } = fakePool({ max: 1 });
    const first = (await pool.query<{ connectionId: number }>('select')).rows[0].connectionId;
    await expect(pool.query('fail')).rejects.toThrow('syntax error');
    expect((await pool.query<{ connectionId: number }>('select')).rows[0].connectionId).toBe(first);
  });

  it('destroys an idle connection the server killed as soon as it says so', async () => {
    const { pool, db } = fakePool({ min: 1, max: 2 });
    await pool.warmup();
    const raw = [...db.open][0];
    db.kill(raw);
    await settle();
    expect(pool.stats().counters.destroyed.broken).toBe(1);
    await sleep(20);
    expect(db.open.size).toBe(1);
    expect([...db.open][0].id).not.toBe(raw.id);
  });

  it('release(err) with a connection error destroys the connection, like pg', async () => {
    const { pool, db } = fakePool({ max: 1 });
    const lease = await pool.acquire();
    (lease.raw as { broken: boolean }).broken = true;
    lease.release(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await settle();
    expect(db.open.size).toBe(0);
  });
});

describe('releasing', () => {
  it('throws when a connection is released twice, and the pool stays consistent', async () => {
    const { pool } = fakePool({ max: 1 });
    const lease = await pool.acquire();
    lease.release();
    expect(() => lease.release()).toThrow(expect.objectContaining({ code: 'CONNECTION_RELEASED' }));
    const other = await pool.acquire();
    expect(pool.stats().active).toBe(1);
    other.release();
    expect(pool.stats().active).toBe(0);
    await expect(lease.query('select')).rejects.toMatchObject({ code: 'CONNECTION_RELEASED' });
  });

  it('rolls back a transaction a caller left open before the connection is reused', async () => {
    const { pool, db } = fakePool({ max: 1 });
    const lease = await pool.acquire();
    const raw = lease.raw as { inTx: boolean };
    raw.inTx = true;
    lease.release();
    await settle();
    expect(raw.inTx).toBe(false);
    expect(db.open.size).toBe(1);
  });
});
