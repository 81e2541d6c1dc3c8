import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';
import type { PoolEventName } from '../../src/pool/events';
import type { Pool } from '../../src';

afterEach(closeFakePools);

const boom = () => {
  throw new Error('listener boom');
};

/** Every 'error' the pool reports, and every line it logs at error level. */
function reports(pool: Pool): { errors: string[] } {
  const errors: string[] = [];
  pool.on('error', (e) => errors.push(`${e.context}: ${e.error.message}`));
  return { errors };
}

describe('a listener that throws', () => {
  it("on 'acquire', twice: both callers get their connection, the counts stay right, close() does not wait", async () => {
    const { pool } = fakePool({ max: 2, acquireTimeoutMs: 200 });
    const { errors } = reports(pool);
    pool.on('acquire', boom);
    await expect(pool.query('select')).resolves.toMatchObject({ rowCount: 1 });
    await expect(pool.query('select')).resolves.toMatchObject({ rowCount: 1 });
    await expect(pool.query('select')).resolves.toMatchObject({ rowCount: 1 });
    expect(pool.stats()).toMatchObject({ active: 0 });
    expect(errors).toContain("a listener for 'acquire' threw: listener boom");
    const started = Date.now();
    await pool.close({ timeoutMs: 2000 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("on 'release': the connection goes back to the pool and is closed by close(); the caller gets its result", async () => {
    const { pool, db } = fakePool({ max: 1 });
    reports(pool);
    pool.on('release', boom);
    await expect(pool.query('select')).resolves.toMatchObject({ rowCount: 1 });
    expect(pool.stats()).toMatchObject({ total: 1, idle: 1, active: 0 });
    await pool.close({ timeoutMs: 500 });
    expect(db.open.size).toBe(0);
  });

  it("on 'connect': the connection is used, not leaked and reopened", async () => {
    const { pool, db } = fakePool({ max: 1, acquireTimeoutMs: 300 }, (d) => (d.connectDelayMs = 1));
    reports(pool);
    pool.on('connect', boom);
    await expect(pool.query('select')).resolves.toMatchObject({ rowCount: 1 });
    await pool.query('select');
    expect(db.connects).toBe(1);
    await pool.close({ timeoutMs: 500 });
    expect(db.open.size).toBe(0);
  });

  it("on 'destroy': the connection is still closed", async () => {
    const { pool, db } = fakePool({ max: 1 });
    reports(pool);
    pool.on('destroy', boom);
    const lease = await pool.acquire();
    await lease.destroy();
    await settle();
    expect(db.open.size).toBe(0);
  });

  it("on 'acquireTimeout': the waiter is still rejected with POOL_TIMEOUT; nothing escapes from the timer", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const { pool } = fakePool({ max: 1, acquireTimeoutMs: 50 });
      reports(pool);
      pool.on('acquireTimeout', boom);
      const held = await pool.acquire();
      await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
      held.release();
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it("on 'createError': no unhandled rejection, and the caller still times out cleanly", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { pool, db } = fakePool({ max: 1, acquireTimeoutMs: 150 });
      reports(pool);
      db.connectError = new Error('refused');
      pool.on('createError', boom);
      await expect(pool.query('select')).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
      await sleep(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it("on 'slowQuery': the caller gets its result, not the listener's error", async () => {
    const { pool } = fakePool({ max: 1, slowQueryMs: 5 });
    reports(pool);
    pool.on('slowQuery', boom);
    await expect(pool.query('sleep 20')).resolves.toMatchObject({ rowCount: 1 });
  });

  it("goes to 'error' with the event named, or to the logger when nobody listens to 'error' or that listener throws too", async () => {
    const logged: unknown[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (obj: object) => logged.push(obj) };
    const { pool } = fakePool({ max: 1, logger });
    const events: PoolEventName[] = ['acquire'];
    pool.on(events[0], boom);
    await pool.query('select');
    expect(logged).toEqual([expect.objectContaining({ context: "a listener for 'acquire' threw", err: 'listener boom' })]);
    pool.on('error', boom);
    await pool.query('select');
    expect(logged).toHaveLength(2);
    expect(logged[1]).toMatchObject({ context: expect.stringContaining("a listener for 'error' threw") });
  });

  it('a logger that throws does not fail the caller either', async () => {
    const logger = { debug: boom, info: boom, warn: boom, error: boom };
    const { pool } = fakePool({ max: 1, logger, slowQueryMs: 5 });
    pool.on('acquire', boom);
    await expect(pool.query('sleep 20')).resolves.toMatchObject({ rowCount: 1 });
  });
});
