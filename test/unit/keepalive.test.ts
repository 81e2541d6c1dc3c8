import { createPool, resolveConfig } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { closeFakePools, fakePool, settle, sleep } from '../helpers/pools';

afterEach(closeFakePools);

const idOf = (result: { rows: Array<{ connectionId: number }> }) => result.rows[0].connectionId;

describe('keepaliveMs', () => {
  it('checks a connection left idle for keepaliveMs and puts the same one back', async () => {
    const { pool, db } = fakePool({ min: 1, max: 1, keepaliveMs: 100 });
    await pool.warmup();
    const before = idOf(await pool.query('select'));
    await sleep(450);
    expect(db.validations).toBeGreaterThanOrEqual(2);
    expect(new Set(db.validatedIds)).toEqual(new Set([before]));
    expect(idOf(await pool.query('select'))).toBe(before);
    expect(pool.stats().counters.created).toBe(1);
    expect(pool.stats().counters.destroyed.keepalive).toBe(0);
  });

  it('never checks a connection in use, or one used within keepaliveMs', async () => {
    const { pool, db } = fakePool({ min: 1, max: 1, keepaliveMs: 200 });
    await pool.warmup();
    const lease = await pool.acquire();
    await sleep(350);
    expect(db.validations).toBe(0);
    lease.release();
    for (let i = 0; i < 8; i++) {
      await pool.query('select');
      await sleep(50);
    }
    expect(db.validations).toBe(0);
  });

  it('checks one connection at a time, never the idle set at once', async () => {
    const { pool, db } = fakePool({ min: 6, max: 6, keepaliveMs: 150 }, (d) => (d.validateDelayMs = 15));
    await pool.warmup();
    await sleep(700);
    expect(new Set(db.validatedIds).size).toBe(6);
    expect(db.maxValidatingAtOnce).toBe(1);
  });

  it('replaces a connection that fails its check before any caller can be handed it', async () => {
    // testOnAcquire off: a caller handed the dead connection would meet it. The check hangs, as on
    // a path a NAT forgot, until connectTimeoutMs.
    const { pool, db } = fakePool({ min: 1, max: 1, keepaliveMs: 100, connectTimeoutMs: 300, testOnAcquire: false });
    await pool.warmup();
    const dead = idOf(await pool.query('select'));
    db.hangValidation.add(dead);
    const errors: string[] = [];
    pool.on('error', (e) => errors.push(e.context));
    await sleep(170);
    expect(db.validatingNow).toBe(1);
    // The dead connection is out for its check: the caller waits for its replacement instead.
    const got = idOf(await pool.query('select'));
    expect(got).not.toBe(dead);
    expect(pool.stats().counters.destroyed.keepalive).toBe(1);
    expect(errors).toEqual(['keepalive check']);
  });

  it('opens the replacement to keep min without waiting for a caller', async () => {
    const { pool, db } = fakePool({ min: 2, max: 4, keepaliveMs: 100, connectTimeoutMs: 200 });
    await pool.warmup();
    const [first] = [...db.open];
    db.failValidation.add(first.id);
    await sleep(400);
    expect(pool.stats().counters.destroyed.keepalive).toBe(1);
    expect(db.connects).toBe(3);
    expect(pool.stats().idle).toBe(2);
    expect([...db.open].map((raw) => raw.id)).not.toContain(first.id);
  });

  it('does not count as use: idleTimeoutMs still closes idle connections above min', async () => {
    const { pool, db } = fakePool({ min: 0, max: 2, keepaliveMs: 60, idleTimeoutMs: 400 });
    await pool.query('select');
    await sleep(800);
    expect(db.validations).toBeGreaterThanOrEqual(1);
    expect(pool.stats().counters.destroyed.idle).toBe(1);
    expect(pool.stats().total).toBe(0);
  });

  it('close() during a check waits for it and closes that connection too', async () => {
    const { pool, db } = fakePool({ min: 1, max: 1, keepaliveMs: 50 }, (d) => (d.validateDelayMs = 150));
    await pool.warmup();
    await sleep(100);
    expect(db.validatingNow).toBe(1);
    await pool.close({ timeoutMs: 1000 });
    await settle();
    expect(db.open.size).toBe(0);
    expect(pool.stats().counters.destroyed.drain).toBe(1);
    const checks = db.validations;
    await sleep(200);
    expect(db.validations).toBe(checks);
  });

  it('leaves connections alone when off (keepaliveMs 0)', async () => {
    const { pool, db } = fakePool({ min: 2, max: 2, keepaliveMs: 0 });
    await pool.warmup();
    await sleep(300);
    expect(db.validations).toBe(0);
  });

  it('does not run for an embedded database, which has no network path to keep alive', async () => {
    const pool = createPool({ url: ':memory:', env: {}, logger: silentLogger, keepaliveMs: 20, testOnAcquire: false });
    try {
      await pool.query('SELECT 1');
      const validate = jest.spyOn(pool.adapter, 'validate');
      await sleep(150);
      expect(validate).not.toHaveBeenCalled();
    } finally {
      await pool.close();
    }
  });
});

describe('keepaliveMs defaults', () => {
  it('is off in development and test, 30 s in staging and production, and DB_KEEPALIVE_MS sets it', () => {
    const url = 'postgres://app@db/orders';
    expect(resolveConfig({ url, env: {}, profile: 'development' }).keepaliveMs).toBe(0);
    expect(resolveConfig({ url, env: {}, profile: 'test' }).keepaliveMs).toBe(0);
    expect(resolveConfig({ url, env: {}, profile: 'staging' }).keepaliveMs).toBe(30_000);
    expect(resolveConfig({ url, env: {}, profile: 'production' }).keepaliveMs).toBe(30_000);
    const fromEnv = resolveConfig({ url, env: { DB_KEEPALIVE_MS: '10s', NODE_ENV: 'production' } });
    expect(fromEnv.keepaliveMs).toBe(10_000);
    expect(fromEnv.origins.keepaliveMs).toBe('DB_KEEPALIVE_MS');
    expect(resolveConfig({ url: `${url}?keepaliveMs=2000`, env: {} }).keepaliveMs).toBe(2000);
  });
});
