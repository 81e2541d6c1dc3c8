import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onDriver, withoutStackTraces } from '../../adapters/libsql-quiet';
import type { LibsqlConnection } from '../../adapters/libsql';
import { createPool, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';

/**
 * The libsql adapter calls the driver on an embedded file with Error.stackTraceLimit 0, so the
 * errors @libsql/client throws away on every statement (its raw() probe) cost no stack
 * (adapters/libsql-quiet.ts); errors that reach the caller still get one.
 */
let dir: string;
const pools: Pool[] = [];

function filePool(file: string): Pool {
  const pool = createPool({ url: `file:${join(dir, file)}`, env: {}, profile: 'test', logger: silentLogger, max: 2 });
  pools.push(pool);
  return pool;
}

/** Records Error.stackTraceLimit each time libsql's raw() probe runs, by the statement's text. */
function spyOnRawProbe(): { limits: Map<string, number[]>; restore(): void } {
  const Database = require('libsql') as new (path: string) => { prepare(sql: string): object; close(): void };
  const db = new Database(':memory:');
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as { raw(this: { source?: string }, on?: boolean): unknown };
  db.close();
  const original = proto.raw;
  const limits = new Map<string, number[]>();
  proto.raw = function (this: unknown, ...args: [boolean?]) {
    const sql = currentSql ?? '?';
    limits.set(sql, [...(limits.get(sql) ?? []), Error.stackTraceLimit]);
    return original.apply(this as never, args);
  };
  return { limits, restore: () => void (proto.raw = original) };
}

// libsql's Statement does not keep its SQL: prepare() is wrapped to remember the last one.
let currentSql: string | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-libsql-stacks-'));
  const Database = require('libsql') as { prototype: { prepare(sql: string): unknown } };
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: unknown, sql: string) {
    currentSql = sql;
    return prepare.call(this, sql);
  };
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('libsql on an embedded file: no stacks for the errors the driver throws away', () => {
  it("runs a transaction's statements and COMMIT with stackTraceLimit 0, and puts the limit back", async () => {
    const pool = filePool('probe.db');
    await pool.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    await pool.query('INSERT INTO t VALUES (1, 0)');
    const before = Error.stackTraceLimit;
    const spy = spyOnRawProbe();
    try {
      await pool.transaction(async (tx) => {
        await tx.query('UPDATE t SET v = v + 1 WHERE id = ?', [1]);
      });
      await pool.query('UPDATE t SET v = v + 1 WHERE id = 1');
      await pool
        .transaction(async (tx) => {
          await tx.query('DELETE FROM t');
          throw new Error('roll it back');
        })
        .catch(() => undefined);
    } finally {
      spy.restore();
    }
    expect(spy.limits.get('UPDATE t SET v = v + 1 WHERE id = ?')).toEqual([0]);
    // Outside a transaction the client awaits its own pool first: the driver runs later, with the usual limit.
    expect(spy.limits.get('UPDATE t SET v = v + 1 WHERE id = 1')).toEqual([before]);
    expect(spy.limits.get('COMMIT')).toEqual([0]);
    expect(spy.limits.get('DELETE FROM t')).toEqual([0]);
    expect(spy.limits.get('ROLLBACK')).toEqual([0]);
    expect(Error.stackTraceLimit).toBe(before);
    expect((await pool.query<{ v: number }>('SELECT v FROM t')).rows[0].v).toBe(2);
  });

  it('gives an error that reaches the caller a stack, and leaves the limit as it was', async () => {
    const pool = filePool('errors.db');
    await pool.query('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await pool.query('INSERT INTO t VALUES (1)');
    const before = Error.stackTraceLimit;
    const outside = await pool.query('INSERT INTO t VALUES (1)').catch((err: unknown) => err);
    const inside = await pool
      .transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
      })
      .catch((err: unknown) => err);
    for (const err of [outside, inside]) {
      expect(err).toBeInstanceOf(Error);
      expect((err as { code?: string }).code).toMatch(/^SQLITE_CONSTRAINT/);
      expect((err as Error).stack).toMatch(/^\w*Error: .*SQLITE_CONSTRAINT/);
      expect((err as Error).stack).toContain('\n    at ');
    }
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('puts the limit back and gives a stack when the call throws synchronously', async () => {
    const before = Error.stackTraceLimit;
    const err = await withoutStackTraces(() => {
      throw new Error('thrown inside the call');
    }).catch((e: unknown) => e);
    expect(Error.stackTraceLimit).toBe(before);
    expect((err as Error).stack).toContain('\n    at ');
  });

  it('runs the call as it is where Error.stackTraceLimit cannot be set (a frozen Error)', async () => {
    const own = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
    Object.defineProperty(Error, 'stackTraceLimit', { value: Error.stackTraceLimit, writable: false, configurable: true });
    try {
      await expect(withoutStackTraces(async () => 'ran')).resolves.toBe('ran');
    } finally {
      if (own) Object.defineProperty(Error, 'stackTraceLimit', own);
    }
  });

  it('leaves calls on a server alone (they run asynchronously)', async () => {
    const seen: number[] = [];
    const remote = { embedded: false } as LibsqlConnection;
    await onDriver(remote, async () => void seen.push(Error.stackTraceLimit));
    const embedded = { embedded: true } as LibsqlConnection;
    await onDriver(embedded, async () => void seen.push(Error.stackTraceLimit));
    expect(seen).toEqual([Error.stackTraceLimit, 0]);
  });
});
