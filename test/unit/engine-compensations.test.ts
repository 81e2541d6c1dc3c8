/**
 * One regression test per generic-pool 3.9 defect that src/pool/engine/generic-pool-engine.ts compensates. Each fails
 * without its compensation (verified by removing each compensation in turn; see the issue note).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PoolClosedError, PoolTimeoutError } from '../../src/shared/errors';
import type { Engine } from '../../src/pool/engine/generic-pool-engine';
import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';

afterEach(closeFakePools);

/** The built package (npm test builds it first): the starvation case runs in a child process. */
const DIST_ENTRY = join(__dirname, '../../dist/src/index.js');

describe('generic-pool compensations', () => {
  it('1. a create that rejects synchronously does not starve the event loop: attempts stay few and timers fire', () => {
    // In a child process: without the compensation the event loop starves, and a starved jest
    // cannot even time the test out. The parent's spawn timeout turns that into a failure.
    const script = `
      const { createPool, registerAdapter, silentLogger } = require(${JSON.stringify(DIST_ENTRY)});
      let connects = 0;
      const noop = async () => undefined;
      registerAdapter('syncfail', () => ({
        name: 'syncfail',
        connect() { connects++; throw new Error('refused at once'); },
        validate: noop, begin: noop, commit: noop, rollback: noop, close: noop,
        query: async () => ({ rows: [], rowCount: 0 }),
        isBroken: () => true,
      }));
      const pool = createPool({ url: 'syncfail://h/db', env: {}, logger: silentLogger, max: 2, acquireTimeoutMs: 300 });
      let timerFired = false;
      setTimeout(() => { timerFired = true; }, 50);
      const started = Date.now();
      pool.acquire().then(() => 'acquired', (err) => err.code).then(async (outcome) => {
        const elapsedMs = Date.now() - started;
        await pool.close({ timeoutMs: 100 });
        console.log(JSON.stringify({ outcome, elapsedMs, connects, timerFired }));
      });`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(result.signal).toBeNull();
    const out = JSON.parse(result.stdout) as { outcome: string; elapsedMs: number; connects: number; timerFired: boolean };
    expect(out.outcome).toBe('POOL_TIMEOUT');
    expect(out.elapsedMs).toBeLessThan(1500);
    expect(out.timerFired).toBe(true);
    expect(out.connects).toBeLessThanOrEqual(6);
  });

  it('2. a create that never finishes is bounded by connectTimeoutMs and a late connection is closed', async () => {
    const { pool, db } = fakePool({ max: 1, connectTimeoutMs: 50 });
    db.connectDelayMs = 120;
    db.ignoreAbort = true;
    await expect(pool.acquire({ timeoutMs: 100 })).rejects.toBeInstanceOf(PoolTimeoutError);
    await sleep(150);
    // The driver connected after the pool had given up: that connection was closed, not leaked.
    expect(db.closes).toBeGreaterThanOrEqual(1);
    db.connectDelayMs = 0;
    expect((await pool.query('select', [], { timeoutMs: 3000 })).rowCount).toBe(1);
    await sleep(300);
    expect(db.open.size).toBe(1);
  });

  it('3. a validation that rejects is handled and does not leak the slot', async () => {
    const { pool, db } = fakePool({ max: 1, testOnAcquire: true });
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const first = (await pool.query<{ connectionId: number }>('select')).rows[0].connectionId;
      db.failValidation.add(first);
      await sleep(550);
      await pool.query('select');
      await settle();
      expect(unhandled).not.toHaveBeenCalled();
      expect(pool.stats().total).toBe(1);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('4. connections are checked on return: maxUses retires them (testOnReturn is a no-op upstream)', async () => {
    const { pool, db } = fakePool({ max: 1, maxUses: 1 });
    await pool.query('select');
    await settle();
    expect(db.open.size).toBe(0);
    expect(pool.stats().counters.destroyed.maxUses).toBe(1);
  });

  it('5. idle eviction never takes the pool below min (upstream evicts regardless of min)', async () => {
    const { pool, db } = fakePool({ min: 2, max: 3, idleTimeoutMs: 50, evictionIntervalMs: 20 });
    await pool.warmup();
    await sleep(300);
    expect(db.open.size).toBe(2);
    expect(db.connects).toBe(2);
  });

  it('6. min is restored after connection failures, without anyone asking for a connection', async () => {
    const { db } = fakePool({ min: 2 }, (fresh) => {
      fresh.connectError = new Error('refused');
    });
    await sleep(150);
    expect(db.connects).toBeGreaterThanOrEqual(2);
    expect(db.open.size).toBe(0);
    db.connectError = undefined;
    await sleep(1500);
    expect(db.open.size).toBe(2);
  });

  it('7. clearing idle connections never hands a destroyed one out again', async () => {
    const { pool, db } = fakePool({ min: 0, max: 2 });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    a.release();
    b.release();
    const engine = (pool as unknown as { engine: Engine<unknown> }).engine;
    await engine.destroyIdle('drain');
    expect(db.open.size).toBe(0);
    const lease = await pool.acquire();
    expect((lease.raw as { open: boolean }).open).toBe(true);
    expect(lease.id).not.toBe(a.id);
    expect(lease.id).not.toBe(b.id);
    lease.release();
  });

  it('8. close rejects waiters and does not wait forever for a borrowed connection (upstream drain does both)', async () => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 60_000 });
    await pool.acquire();
    const waiter = pool.acquire().catch((e: unknown) => e);
    await settle();
    const started = Date.now();
    await pool.close({ timeoutMs: 100 });
    expect(await waiter).toBeInstanceOf(PoolClosedError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('9. zero values and string booleans are honoured (upstream reads options with ||)', async () => {
    const { pool, db } = fakePool({ min: 0, max: 1, env: { DB_TEST_ON_ACQUIRE: 'false', DB_IDLE_TIMEOUT_MS: '0' }, testOnAcquire: undefined, idleTimeoutMs: undefined });
    expect(pool.config.testOnAcquire).toBe(false);
    expect(pool.config.idleTimeoutMs).toBe(0);
    await pool.query('select');
    await sleep(600);
    await pool.query('select');
    expect(db.validations).toBe(0);
    expect(db.open.size).toBe(1);
  });

  it('10. a waiter that timed out leaves the queue and no connection is opened for it', async () => {
    const { pool, db } = fakePool({ max: 1, acquireTimeoutMs: 50 });
    const held = await pool.acquire();
    await Promise.all(Array.from({ length: 5 }, () => pool.acquire().catch(() => undefined)));
    expect(pool.stats().pending).toBe(0);
    held.release();
    await settle();
    expect(db.connects).toBe(1);
    expect(pool.stats().idle).toBe(1);
  });
});
