/**
 * Drizzle (drizzle-orm/libsql) on a lifeguard pool through libsqlClient(pool), used through
 * Drizzle's own API: its query builder, db.transaction, db.batch. On a libsql file: pool and on a
 * sqlite: pool, since libsqlClient backs both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createPool, type Pool } from '../../src';
import { libsqlClient } from '../../src/integrations/libsql';
import { silentLogger } from '../../src/shared/logger';

const users = sqliteTable('users', { id: integer('id').primaryKey(), name: text('name').notNull() });
const notes = sqliteTable('notes', { id: integer('id').primaryKey(), userId: integer('user_id').notNull(), body: text('body').notNull() });
const steps = sqliteTable('steps', { worker: integer('worker').notNull(), step: integer('step').notNull() });

let dir: string;
const pools: Pool[] = [];
let n = 0;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-drizzle-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 2000 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kinds = [['file:'], ['sqlite:']] as const;

describe.each(kinds)('Drizzle on a lifeguard %s pool', (scheme) => {
  async function setup(max = 4) {
    const pool = createPool({ url: `${scheme}${join(dir, `drizzle-${++n}.db`)}`, name: `drizzle-${n}`, env: {}, profile: 'test', logger: silentLogger, max, acquireTimeoutMs: 20_000 });
    pools.push(pool);
    const db = drizzle({ client: libsqlClient(pool) });
    await db.run(sql`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`);
    await db.run(sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, body TEXT NOT NULL)`);
    await db.run(sql`CREATE TABLE steps (worker INTEGER NOT NULL, step INTEGER NOT NULL)`);
    return { pool, db };
  }

  it('keeps same-named columns apart in a join', async () => {
    const { db } = await setup();
    const [ann] = await db.insert(users).values({ name: 'ann' }).returning();
    await db.insert(notes).values({ id: 77, userId: ann.id, body: 'hello' });
    const rows = await db.select().from(users).innerJoin(notes, eq(notes.userId, users.id));
    expect(rows).toEqual([{ users: { id: ann.id, name: 'ann' }, notes: { id: 77, userId: ann.id, body: 'hello' } }]);
  });

  it('commits db.transaction atomically and rolls it back atomically', async () => {
    const { db } = await setup();
    await db.transaction(async (tx) => {
      await tx.insert(users).values({ name: 'kept-1' });
      await tx.insert(users).values({ name: 'kept-2' });
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(users).values({ name: 'gone' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(users).values({ name: 'gone-too' });
        tx.rollback();
      }),
    ).rejects.toThrow();
    const names = (await db.select().from(users).orderBy(users.id)).map((u) => u.name);
    expect(names).toEqual(['kept-1', 'kept-2']);
  });

  it('runs a nested transaction as a savepoint', async () => {
    const { db } = await setup();
    await db.transaction(async (tx) => {
      await tx.insert(users).values({ name: 'outer' });
      await expect(tx.transaction(async (inner) => {
        await inner.insert(users).values({ name: 'inner' });
        throw new Error('inner fails');
      })).rejects.toThrow('inner fails');
    });
    expect((await db.select().from(users)).map((u) => u.name)).toEqual(['outer']);
  });

  it('runs db.batch atomically', async () => {
    const { db } = await setup();
    const [inserted, all] = await db.batch([db.insert(users).values({ name: 'batch' }).returning(), db.select().from(users)]);
    expect(inserted).toEqual([{ id: 1, name: 'batch' }]);
    expect(all).toEqual([{ id: 1, name: 'batch' }]);
    await expect(db.batch([db.insert(users).values({ name: 'never' }), db.insert(users).values({ id: 1, name: 'duplicate' })])).rejects.toThrow();
    expect((await db.select().from(users)).map((u) => u.name)).toEqual(['batch']);
  });

  it('runs 50 concurrent transactions (insert, await 5 ms, insert): all commit, no SQLITE_BUSY, loop never blocked, reads see only committed rows', async () => {
    const { pool, db } = await setup(8);
    // Warm up first, so the measure is of the lane, not of Drizzle's first compile of these queries.
    for (let i = 0; i < 3; i++) await db.transaction(async (tx) => tx.select().from(steps));
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    let reading = true;
    const torn: number[] = [];
    const reader = (async () => {
      while (reading) {
        const rows = await db.select().from(steps);
        const perWorker = new Map<number, number>();
        for (const row of rows) perWorker.set(row.worker, (perWorker.get(row.worker) ?? 0) + 1);
        for (const [worker, seen] of perWorker) if (seen !== 2) torn.push(worker);
        await sleep(1);
      }
    })();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, worker) =>
        db.transaction(async (tx) => {
          await tx.insert(steps).values({ worker, step: 1 });
          await sleep(5);
          await tx.insert(steps).values({ worker, step: 2 });
        }),
      ),
    );
    reading = false;
    await reader;
    delay.disable();
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const busy = failures.filter((f) => /SQLITE_BUSY/.test(String(f.reason)));
    const maxDelayMs = delay.max / 1e6;
    // The figures the issue asks for, printed for the report.
    process.stdout.write(`[${scheme}] 50 Drizzle transactions: ${50 - failures.length} committed, ${busy.length} SQLITE_BUSY, max event-loop delay ${maxDelayMs.toFixed(1)} ms\n`);
    expect(failures).toEqual([]);
    expect(busy).toEqual([]);
    expect(torn).toEqual([]);
    expect(maxDelayMs).toBeLessThan(100);
    expect(await db.$count(steps)).toBe(100);
    // lifeguard saw every one of these statements.
    expect(pool.stats().counters.acquires).toBeGreaterThanOrEqual(50);
    expect(pool.stats().queryMs.count).toBeGreaterThanOrEqual(100);
  });
});
