import { Registry } from 'prom-client';
import { registerPoolMetrics, type Logger } from '../../src';
import { closeFakePools, fakePool, sleep } from '../helpers/pools';

afterEach(closeFakePools);

/** A pino-shaped logger that keeps its warn lines. */
function warnings(): Logger & { lines: Array<{ obj: object; msg?: string }> } {
  const lines: Array<{ obj: object; msg?: string }> = [];
  const none = () => undefined;
  return { lines, debug: none, info: none, error: none, warn: (obj, msg) => void lines.push({ obj, msg }) };
}

describe('slowConnectMs', () => {
  it('emits slowConnect, logs a warning and counts a connection that took longer to open', async () => {
    const logger = warnings();
    const { pool } = fakePool({ name: 'slow-connect-unit', slowConnectMs: 40, logger }, (db) => (db.connectDelayMs = 80));
    const events: Array<{ pool: string; connectionId: number; durationMs: number; slowConnectMs: number }> = [];
    pool.on('slowConnect', (e) => events.push(e));
    const registry = new Registry();
    registerPoolMetrics(pool, registry);

    await pool.query('select 1');

    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({ pool: 'slow-connect-unit', connectionId: expect.any(Number), durationMs: expect.any(Number), slowConnectMs: 40 });
    expect(events[0].durationMs).toBeGreaterThanOrEqual(40);
    expect(logger.lines).toEqual([{ obj: events[0], msg: 'lifeguard: slow connect' }]);
    expect(pool.stats().counters.slowConnects).toBe(1);
    expect(await registry.metrics()).toContain('lifeguard_slow_connects_total{pool_name="slow-connect-unit"} 1');
  });

  it('stays quiet for connections opened faster, and when set to 0', async () => {
    const fast = fakePool({ name: 'fast-connect', slowConnectMs: 1000 }, (db) => (db.connectDelayMs = 10));
    const off = fakePool({ name: 'slow-connect-off', slowConnectMs: 0 }, (db) => (db.connectDelayMs = 60));
    const heard: unknown[] = [];
    fast.pool.on('slowConnect', (e) => heard.push(e));
    off.pool.on('slowConnect', (e) => heard.push(e));
    await Promise.all([fast.pool.query('select 1'), off.pool.query('select 1')]);
    expect(heard).toEqual([]);
    expect(fast.pool.stats().counters.slowConnects + off.pool.stats().counters.slowConnects).toBe(0);
  });

  it('judges the attempt, not the wait for its turn behind the backoff after a failure', async () => {
    // The first attempt fails; the retry waits ~100 ms for the backoff gate, then connects at once.
    const { pool, db } = fakePool({ name: 'slow-connect-backoff', slowConnectMs: 50 }, (d) => (d.connectError = new Error('connection refused')));
    const slow: unknown[] = [];
    const connects: number[] = [];
    pool.on('slowConnect', (e) => slow.push(e));
    pool.on('connect', (e) => connects.push(e.durationMs));
    pool.on('createError', () => (db.connectError = undefined));
    await pool.query('select 1');
    await sleep(10);
    expect(connects).toHaveLength(1);
    // The connect event's duration includes the backoff wait; the slow-connect judgement does not.
    expect(connects[0]).toBeGreaterThanOrEqual(50);
    expect(slow).toEqual([]);
  });
});
