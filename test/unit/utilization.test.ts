import { ConfigError, createPool, type Logger, type PoolEvents } from '../../src';
import type { PoolOptions } from '../../src/config/types';
import { levelOf, UtilizationTracker } from '../../src/pool/utilization';
import { closeFakePools, fakePool, sleep } from '../helpers/pools';
import type { FakeDatabase } from '../helpers/fake-adapter';

type UtilizationEvent = Parameters<PoolEvents['utilization']>[0];

afterEach(closeFakePools);

function observed(options: PoolOptions, prepare?: (db: FakeDatabase) => void) {
  const logged: Array<{ level: keyof Logger; obj: object; msg?: string }> = [];
  const at = (level: keyof Logger) => (obj: object, msg?: string) => void logged.push({ level, obj, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const { pool, db } = fakePool({ logger, ...options }, prepare);
  const events: UtilizationEvent[] = [];
  pool.on('utilization', (e) => events.push(e));
  return { pool, db, events, logged };
}

/** Every event's level is what its own utilization is by the pool's thresholds. */
function expectAgreement(events: UtilizationEvent[], warning = 0.8, critical = 0.95): void {
  for (const e of events) expect({ ...e, level: levelOf(e.utilization, { warning, critical }) }).toEqual(e);
}

describe('utilization that means saturation', () => {
  it('does not call a cold pool critical while its callers wait for connections being opened below max', async () => {
    // The false alarm of issue 17: the first caller served, eight still waiting for their own
    // connections, was reported as `critical` with utilization 0.1.
    const { pool, events, logged } = observed({ name: 'cold-pool', max: 10 }, (db) => (db.connectDelayMs = 40));
    await Promise.all(Array.from({ length: 9 }, () => pool.query('sleep 150')));
    expect(events.map((e) => e.level)).not.toContain('critical');
    expect(logged.map((l) => l.msg)).not.toContain('lifeguard: pool utilization critical');
    expect(events.map((e) => [e.level, e.utilization])).toEqual([['warning', 0.8]]);
    expectAgreement(events);
  });

  it('is critical when every connection is lent, and stays so while callers wait for one, with the caller counted', async () => {
    const { pool, events, logged } = observed({ name: 'saturated-pool', max: 2 });
    const holders = [pool.query('sleep 200'), pool.query('sleep 200')];
    await sleep(30);
    expect(events.at(-1)).toEqual({
      pool: 'saturated-pool', level: 'critical', utilization: 1, active: 2, max: 2, pending: 0, unserved: 0, cannotConnect: false,
    });
    expect(logged.find((l) => l.msg === 'lifeguard: pool utilization critical')).toMatchObject({ level: 'warn', obj: events.at(-1) });
    const waiter = pool.query('select 1');
    await sleep(30);
    expect(pool.unservedCallers).toBe(1);
    expect(events.map((e) => e.level)).toEqual(['critical']);
    await Promise.all([...holders, waiter]);
    expectAgreement(events);
  });

  it('is critical when callers wait and connections cannot be opened, even with nothing in use', async () => {
    const { pool, db, events } = observed({ name: 'unreachable-pool', max: 10, acquireTimeoutMs: 2000 }, (d) => (d.connectError = new Error('connect ECONNREFUSED')));
    const waiting = pool.query('select 1');
    await sleep(50);
    expect(events.at(-1)).toMatchObject({ level: 'critical', utilization: 1, active: 0, pending: 1, unserved: 1, cannotConnect: true });
    db.connectError = undefined;
    await waiting;
    expectAgreement(events);
  });

  it('takes its lines from utilizationWarning and utilizationCritical', async () => {
    const { pool, events } = observed({ name: 'custom-lines', max: 4, utilizationWarning: 0.5, utilizationCritical: 0.75 });
    const first = [pool.query('sleep 150'), pool.query('sleep 150')];
    await sleep(30);
    expect(events.map((e) => [e.level, e.utilization])).toEqual([['warning', 0.5]]);
    const third = pool.query('sleep 100');
    await sleep(30);
    expect(events.map((e) => [e.level, e.utilization])).toEqual([['warning', 0.5], ['critical', 0.75]]);
    await Promise.all([...first, third]);
    expectAgreement(events, 0.5, 0.75);
  });

  it('falls back to normal once the pool has gone quiet, reported by housekeeping, with a level that matches', async () => {
    const { pool, events } = observed({ name: 'quiet-again', max: 2, evictionIntervalMs: 100 });
    await Promise.all([pool.query('sleep 50'), pool.query('sleep 50'), pool.query('sleep 50')]);
    expect(events.map((e) => e.level)).toEqual(['critical']);
    // Nothing is acquired or released from now on: only housekeeping can see the level fall (after the 5 s hold).
    await sleep(5600);
    expect(events.map((e) => [e.level, e.utilization])).toEqual([['critical', 1], ['normal', 0]]);
  }, 15_000);

  it('reports, for configured lines, levels that agree with the utilization they come with, falling as well as rising', () => {
    // The pool's event carries the tracker's level and the utilization it was given; the rule is
    // written out here rather than taken from levelOf, so a tracker that reports the level it held,
    // or judges by the default lines, fails.
    const expected = (u: number, warning: number, critical: number) => (u >= critical ? 'critical' : u >= warning ? 'warning' : 'normal');
    for (const [warning, critical] of [[0.5, 0.75], [0.3, 0.6], [0.9, 1]]) {
      const tracker = new UtilizationTracker({ warning, critical });
      const reported: Array<[string, number]> = [];
      let now = 0;
      // Up through both lines, down again (each step held 6 s, past the 5 s hold), with a wobble at each line.
      const walk = [0, warning, warning - 0.01, critical, critical - 0.01, warning, warning - 0.2, 0, critical, 0.1, 0];
      for (const u of walk) {
        for (const at of [now, now + 6000]) {
          const level = tracker.update(u, at);
          if (level !== undefined) reported.push([level, u]);
        }
        now += 12_000;
      }
      for (const [level, u] of reported) expect([level, u]).toEqual([expected(u, warning, critical), u]);
      // It did go up and come back down through each level, not just stay put.
      expect(reported.map(([level]) => level)).toEqual(expect.arrayContaining(['warning', 'critical', 'normal']));
      expect(reported.at(-1)?.[0]).toBe('normal');
    }
  });

  it('refuses thresholds outside (0, 1] and a warning line above the critical one', () => {
    const make = (options: PoolOptions) => () => createPool({ url: 'postgres://db.example/app', env: {}, ...options });
    expect(make({ utilizationCritical: 1.5 })).toThrow(ConfigError);
    expect(make({ utilizationWarning: 0 })).toThrow(/above 0 and at most 1/);
    expect(make({ utilizationWarning: 0.9, utilizationCritical: 0.8 })).toThrow(/utilizationWarning 0.9 \(from option utilizationWarning\) is above utilizationCritical 0.8/);
  });
});

describe('health and the same thresholds', () => {
  it('is degraded at utilizationCritical and healthy below it', async () => {
    const strict = observed({ name: 'health-strict', max: 4, utilizationWarning: 0.25, utilizationCritical: 0.5 });
    const relaxed = observed({ name: 'health-relaxed', max: 4 });
    const held = [strict.pool.query('sleep 300'), strict.pool.query('sleep 300'), relaxed.pool.query('sleep 300'), relaxed.pool.query('sleep 300')];
    await sleep(30);
    await expect(strict.pool.health()).resolves.toMatchObject({ status: 'degraded', error: 'utilization 50 % is at or above the critical 50 %' });
    await expect(relaxed.pool.health()).resolves.toMatchObject({ status: 'healthy' });
    await Promise.all(held);
  });

  it('is degraded when callers wait that the pool at max cannot serve', async () => {
    const { pool } = observed({ name: 'health-saturated', max: 2, acquireTimeoutMs: 3000 });
    const held = [pool.query('sleep 300'), pool.query('sleep 300')];
    await sleep(30);
    // The probe queues first: when the holders finish it gets one connection and the first waiter the
    // other; its own goes on to the second waiter, and the third still waits, unserved, at max.
    const probe = pool.health({ timeoutMs: 2000 });
    await sleep(10);
    const waiters = Promise.allSettled([pool.query('sleep 300'), pool.query('sleep 300'), pool.query('sleep 300')]);
    await expect(probe).resolves.toMatchObject({
      status: 'degraded',
      error: expect.stringMatching(/^\d callers? (is|are) waiting for a connection the pool cannot give them: the pool is at max \(2 of 2 in use\)$/),
    });
    await Promise.all([...held, waiters]);
  });
});
