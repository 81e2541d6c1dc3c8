import { createPool, type Logger } from '../../src';
import { defaultLogger } from '../../src/shared/logger';
import { SampleWindow } from '../../src/pool/sample-window';
import { fakeDatabase } from '../helpers/fake-adapter';
import { closeFakePools, fakePool, sleep } from '../helpers/pools';

afterEach(closeFakePools);

describe('SampleWindow (the percentiles behind stats())', () => {
  it('gives p50, p95, p99 and max by nearest rank', () => {
    const window = new SampleWindow(1024, 60_000);
    for (let v = 1; v <= 100; v++) window.record(v, 1000);
    expect(window.percentiles(1000)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, count: 100 });
  });

  it('keeps constant memory: only the last `size` samples count, while lifetime sums keep growing', () => {
    const window = new SampleWindow(8, 60_000);
    for (let v = 1; v <= 1000; v++) window.record(v, 1000);
    expect(window.percentiles(1000)).toMatchObject({ count: 8, max: 1000, p50: 996 });
    expect(window.count).toBe(1000);
    expect(window.total).toBe(500_500);
  });

  it('leaves out samples older than the window', () => {
    const window = new SampleWindow(16, 1000);
    window.record(500, 0);
    window.record(5, 1500);
    expect(window.percentiles(1600)).toEqual({ p50: 5, p95: 5, p99: 5, max: 5, count: 1 });
    expect(window.percentiles(5000)).toEqual({ p50: 0, p95: 0, p99: 0, max: 0, count: 0 });
  });
});

describe('pool.stats()', () => {
  it('is a synchronous snapshot with sizes, counters and wait and query percentiles', async () => {
    const { pool, db } = fakePool({ name: 'snap', min: 1, max: 3, acquireTimeoutMs: 30 });
    db.queryDelayMs = 20;
    await pool.query('select 1');
    const a = await pool.acquire();
    const b = await pool.acquire();
    const c = await pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    const s = pool.stats();
    expect(s).toMatchObject({ name: 'snap', total: 3, active: 3, idle: 0, pending: 0, min: 1, max: 3, utilization: 1 });
    expect(s.counters).toMatchObject({ created: 3, acquires: 4, acquireTimeouts: 1, createErrors: 0, validationFailures: 0 });
    expect(s.queryMs.count).toBe(1);
    expect(s.queryMs.p50).toBeGreaterThanOrEqual(15);
    expect(s.waitMs.count).toBe(4);
    for (const lease of [a, b, c]) lease.release();
    expect(pool.stats()).toMatchObject({ active: 0, idle: 3, utilization: 0 });
  });
});

describe('logger option', () => {
  it('calls a pino-style logger as a method, so loggers that rely on `this` work', async () => {
    class ChildLogger implements Logger {
      readonly seen: string[] = [];
      readonly #bindings = { service: 'orders' };
      debug(_obj: object, msg?: string) { this.seen.push(`debug ${msg} ${this.#bindings.service}`); }
      info(_obj: object, msg?: string) { this.seen.push(`info ${msg} ${this.#bindings.service}`); }
      warn(_obj: object, msg?: string) { this.seen.push(`warn ${msg} ${this.#bindings.service}`); }
      error(_obj: object, msg?: string) { this.seen.push(`error ${msg} ${this.#bindings.service}`); }
    }
    const logger = new ChildLogger();
    const { db, url } = fakeDatabase();
    db.queryDelayMs = 30;
    const pool = createPool({ url, env: {}, profile: 'test', logger, slowQueryMs: 10, criticalQueryMs: 0 });
    await pool.query('select 1');
    await pool.close();
    expect(logger.seen).toEqual(['warn lifeguard: slow query orders']);
  });

  it('is silent by default for debug and info, and prints warn and error to stderr', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      defaultLogger.debug({ a: 1 }, 'debug line');
      defaultLogger.info({ a: 1 }, 'info line');
      expect(warn).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
      const cyclic: Record<string, unknown> = { pool: 'p' };
      cyclic.self = cyclic;
      defaultLogger.warn(cyclic, 'lifeguard: something');
      defaultLogger.error({ pool: 'p', err: new Error('boom') }, 'lifeguard: worse');
      expect(warn).toHaveBeenCalledWith('lifeguard: something [unprintable details]');
      expect(error).toHaveBeenCalledWith(expect.stringContaining('"message":"boom"'));
    } finally {
      warn.mockRestore();
      error.mockRestore();
      log.mockRestore();
    }
  });

  it('a quiet pool with the default logger prints nothing', async () => {
    const warn = jest.spyOn(console, 'warn');
    const error = jest.spyOn(console, 'error');
    const log = jest.spyOn(console, 'log');
    try {
      const { url } = fakeDatabase();
      const pool = createPool({ url, env: {}, profile: 'production', min: 0 });
      await pool.query('select 1');
      (await pool.acquire()).release();
      await sleep(10);
      await pool.close();
      expect(warn).not.toHaveBeenCalled();
      expect(error).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      error.mockRestore();
      log.mockRestore();
    }
  });
});
