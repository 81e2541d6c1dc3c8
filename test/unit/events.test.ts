import { inspect } from 'node:util';
import { createPool, type Pool, type PoolEvents, type PoolEventName, type Logger } from '../../src';
import type { PoolOptions } from '../../src/config/types';
import { fakeDatabase, type FakeDatabase, type FakeRaw } from '../helpers/fake-adapter';
import { settle, sleep } from '../helpers/pools';

const PASSWORD = 'pa55-W0rd-hunter2';
const PARAM = 'param-value-4111111111111111';
const ALL_EVENTS: PoolEventName[] = [
  'connect', 'slowConnect', 'acquire', 'release', 'destroy', 'createError', 'acquireTimeout', 'slowQuery', 'leak', 'utilization', 'error',
];

interface LogLine {
  level: keyof Logger;
  obj: object;
  msg?: string;
}

/** A pino-shaped logger that keeps what it is given. */
function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: keyof Logger) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 50 })));
});

/** A pool on a fake database whose URL carries a password; every event it emits is recorded. */
function recordedPool(options: PoolOptions = {}) {
  const { db, url } = fakeDatabase();
  const logger = recordingLogger();
  const pool = createPool({
    name: 'evented',
    url: url.replace('://', `://app:${PASSWORD}@`),
    env: {},
    profile: 'test',
    logger,
    min: 0,
    max: 4,
    acquireTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    idleTimeoutMs: 0,
    maxLifetimeMs: 0,
    testOnAcquire: false,
    evictionIntervalMs: 25,
    leakDetectionMs: 0,
    slowQueryMs: 0,
    ...options,
  });
  pools.push(pool);
  const events: Array<{ name: PoolEventName; payload: Parameters<PoolEvents[PoolEventName]>[0] }> = [];
  const listen = pool.on.bind(pool) as (name: PoolEventName, fn: (payload: Parameters<PoolEvents[PoolEventName]>[0]) => void) => void;
  for (const name of ALL_EVENTS) listen(name, (payload) => events.push({ name, payload }));
  const of = <K extends PoolEventName>(name: K) =>
    events.filter((e) => e.name === name).map((e) => e.payload as Parameters<PoolEvents[K]>[0]);
  return { pool, db, logger, events, of };
}

/** Everything an event or log line could print, stacks and causes included. */
function printed(value: unknown): string {
  return inspect(value, { depth: 8, showHidden: false }) + JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v));
}

describe('pool events', () => {
  it('emits connect, acquire and release with the pool name and their durations', async () => {
    const { pool, of } = recordedPool();
    const lease = await pool.acquire();
    await sleep(20);
    lease.release();
    expect(of('connect')).toEqual([{ pool: 'evented', connectionId: lease.id, durationMs: expect.any(Number) }]);
    expect(of('acquire')).toEqual([{ pool: 'evented', connectionId: lease.id, waitMs: expect.any(Number) }]);
    expect(of('release')).toEqual([{ pool: 'evented', connectionId: lease.id, useMs: expect.any(Number) }]);
    expect(of('release')[0].useMs).toBeGreaterThanOrEqual(15);
  });

  it('emits destroy with each reason: idle, lifetime, maxUses, broken, validation and drain', async () => {
    const idle = recordedPool({ idleTimeoutMs: 30 });
    (await idle.pool.acquire()).release();
    await sleep(150);
    expect(idle.of('destroy').map((e) => e.reason)).toEqual(['idle']);

    const lifetime = recordedPool({ maxLifetimeMs: 40 });
    const aging = await lifetime.pool.acquire();
    await sleep(60);
    aging.release();
    await settle();
    expect(lifetime.of('destroy').map((e) => e.reason)).toEqual(['lifetime']);

    const uses = recordedPool({ maxUses: 1 });
    (await uses.pool.acquire()).release();
    await settle();
    expect(uses.of('destroy').map((e) => e.reason)).toEqual(['maxUses']);

    const broken = recordedPool();
    await expect(broken.pool.query('break')).rejects.toThrow('connection reset');
    await settle();
    expect(broken.of('destroy')).toEqual([expect.objectContaining({ reason: 'broken', error: expect.any(Error) })]);

    const validation = recordedPool({ testOnAcquire: true });
    const checked = await validation.pool.acquire();
    checked.release();
    validation.db.failValidation.add((checked.raw as FakeRaw).id);
    await sleep(550); // past the 500 ms window in which a recently used connection skips validation
    (await validation.pool.acquire()).release();
    await settle();
    expect(validation.of('destroy').map((e) => e.reason)).toEqual(['validation']);

    const drain = recordedPool();
    (await drain.pool.acquire()).release();
    await drain.pool.close();
    expect(drain.of('destroy').map((e) => e.reason)).toEqual(['drain']);
  });

  it('emits createError and acquireTimeout when the database refuses connections, without the password it echoed', async () => {
    const { pool, db, of, events, logger } = recordedPool({ acquireTimeoutMs: 150, connectTimeoutMs: 100 });
    db.connectError = Object.assign(new Error(`FATAL: password authentication failed (dsn app:${PASSWORD}@localhost)`), { code: '28P01' });
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    expect(of('createError').length).toBeGreaterThanOrEqual(1);
    expect(of('createError')[0]).toMatchObject({ pool: 'evented', attempt: 1, consecutiveFailures: 1 });
    expect(of('createError')[0].error.message).toContain('password authentication failed');
    expect(of('acquireTimeout')).toEqual([expect.objectContaining({ pool: 'evented', pending: 0, waitedMs: expect.any(Number) })]);
    expect(of('acquireTimeout')[0].error.message).toContain('Last connection failure: FATAL: password authentication failed');
    expect(logger.lines.some((l) => l.level === 'warn' && /cannot connect/.test(l.msg ?? ''))).toBe(true);
    expect(printed(events)).not.toContain(PASSWORD);
    expect(printed(logger.lines)).not.toContain(PASSWORD);
  });

  it('emits slowQuery with the SQL truncated and no parameters, at warn and at critical', async () => {
    const { pool, db, of, logger, events } = recordedPool({ slowQueryMs: 20, criticalQueryMs: 80 });
    db.queryDelayMs = 30;
    const longSql = `SELECT * FROM orders WHERE customer = ? AND note = '${'x'.repeat(400)}'`;
    await pool.query(longSql, [PARAM]);
    db.queryDelayMs = 90;
    await pool.query('SELECT 1 WHERE ? = ?', [PARAM, PARAM]);
    db.queryDelayMs = 0;
    await pool.query('SELECT 2', [PARAM]);

    const slow = of('slowQuery');
    expect(slow).toHaveLength(2);
    expect(slow[0]).toMatchObject({ pool: 'evented', level: 'warn', connectionId: expect.any(Number) });
    expect(slow[0].sql.length).toBeLessThanOrEqual(201);
    expect(slow[0].sql.startsWith('SELECT * FROM orders WHERE customer = ?')).toBe(true);
    expect(slow[0].sql.endsWith('…')).toBe(true);
    expect(slow[0].durationMs).toBeGreaterThanOrEqual(25);
    expect(slow[1]).toMatchObject({ level: 'critical', sql: 'SELECT 1 WHERE ? = ?' });
    expect(logger.lines.filter((l) => l.level === 'warn' && /slow query/.test(l.msg ?? ''))).toHaveLength(1);
    expect(logger.lines.filter((l) => l.level === 'error' && /critical slow query/.test(l.msg ?? ''))).toHaveLength(1);
    expect(printed(events)).not.toContain(PARAM);
    expect(printed(logger.lines)).not.toContain(PARAM);
    expect(pool.stats().counters.slowQueries).toBe(2);
  });

  it('emits leak once per loan, with the acquiring stack, and a warn log', async () => {
    const { pool, of, logger } = recordedPool({ leakDetectionMs: 60, evictionIntervalMs: 20 });
    const lease = await pool.acquire();
    await sleep(200);
    expect(of('leak')).toEqual([{ pool: 'evented', connectionId: lease.id, heldMs: expect.any(Number), stack: expect.stringContaining('events.test.ts') }]);
    expect(of('leak')[0].heldMs).toBeGreaterThanOrEqual(60);
    expect(logger.lines.filter((l) => l.level === 'warn' && /possible leak/.test(l.msg ?? ''))).toHaveLength(1);
    expect(pool.stats().counters.leaks).toBe(1);
    lease.release();
  });

  it('emits utilization at 80 % and 95 % and, with hysteresis, not again while hovering at the line', async () => {
    const { pool, of } = recordedPool({ max: 10 });
    const held = [];
    for (let i = 0; i < 8; i++) held.push(await pool.acquire());
    expect(of('utilization').map((e) => e.level)).toEqual(['warning']);
    expect(of('utilization')[0]).toMatchObject({ pool: 'evented', utilization: 0.8, active: 8, max: 10, pending: 0 });
    // Hovering around 80 %: 7 ↔ 8 in use, a hundred times.
    for (let i = 0; i < 100; i++) {
      held.pop()!.release();
      held.push(await pool.acquire());
    }
    expect(of('utilization')).toHaveLength(1);
    held.push(await pool.acquire(), await pool.acquire());
    expect(of('utilization').map((e) => e.level)).toEqual(['warning', 'critical']);
    for (const lease of held) lease.release();
  });

  it('emits error for a background failure it handled: an idle connection the server killed', async () => {
    const { pool, db, of } = recordedPool();
    const lease = await pool.acquire();
    const raw = lease.raw as FakeRaw;
    lease.release();
    killWithPassword(db, raw);
    await settle();
    await sleep(30);
    expect(of('error')).toEqual([{ pool: 'evented', context: 'idle connection', error: expect.any(Error) }]);
    expect(of('error')[0].error.message).toContain('terminating connection');
    expect(printed(of('error'))).not.toContain(PASSWORD);
    expect(of('destroy').map((e) => e.reason)).toEqual(['broken']);
  });

  it('never puts the password into any payload of any event', async () => {
    const { pool, db, events } = recordedPool({ max: 1, acquireTimeoutMs: 50, slowQueryMs: 5, leakDetectionMs: 30, evictionIntervalMs: 10, slowConnectMs: 5 });
    db.queryDelayMs = 10;
    db.connectDelayMs = 10;
    await pool.query('SELECT ?', [PARAM]);
    const lease = await pool.acquire();
    await expect(pool.acquire()).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    await sleep(60);
    lease.release();
    await pool.close();
    const names = new Set(events.map((e) => e.name));
    for (const name of ['connect', 'slowConnect', 'acquire', 'release', 'destroy', 'acquireTimeout', 'slowQuery', 'leak', 'utilization'] as const) {
      expect(names).toContain(name);
    }
    expect(printed(events)).not.toContain(PASSWORD);
    expect(printed(events)).not.toContain(PARAM);
    expect(printed(pool.stats())).not.toContain(PASSWORD);
    expect(printed(pool.config)).not.toContain(PASSWORD);
  });
});

function killWithPassword(db: FakeDatabase, raw: FakeRaw): void {
  raw.broken = true;
  raw.open = false;
  db.open.delete(raw);
  raw.idleErrorListener?.(Object.assign(new Error(`terminating connection due to administrator command (user app:${PASSWORD})`), { code: '57P01' }));
}
