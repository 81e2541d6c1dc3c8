/**
 * Issue 15, defect 12: a query timeout cancels the statement on the server. Before, the pool only
 * marked the connection broken and closed it: the server kept running the statement (pg_sleep,
 * SLEEP) with its row lock held long after the caller got QUERY_TIMEOUT, and close() left a
 * statement it gave up on running too (on MariaDB, close({ timeoutMs: 500 }) took 2.5 s).
 *
 * Each test proves it from a second, independent session: the row lock is free (FOR UPDATE
 * NOWAIT succeeds) within a second of the timeout, and the statement is gone from the server's
 * own list of running statements (pg_stat_activity, the process list), found by a marker comment.
 */
import { Client } from 'pg';
import { createConnection, type Connection } from 'mysql2';
import { createPool, type Pool, type PoolOptions } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { MYSQL_URL, POSTGRES_URL, describeMysql, describePostgres, uniqueName } from '../helpers/databases';

const pools: Pool[] = [];

function pool(url: string, options: PoolOptions = {}): Pool {
  const p = createPool({ url, name: uniqueName('cancel'), env: {}, profile: 'test', logger: silentLogger, max: 2, sslMode: 'disable', ...options });
  pools.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 1000 })));
});

/** Polls until check() is true or ms pass; returns whether it became true. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describePostgres('query timeout cancels the statement on PostgreSQL', () => {
  const table = 'w15_cancel_pg';
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL); INSERT INTO ${table} VALUES (1, 0)`);
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  const running = async (marker: string) =>
    Number((await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`, [`%${marker}%`])).rows[0].n);

  /** The row lock as another session sees it: true when FOR UPDATE NOWAIT gets the row. */
  const rowFree = async () => {
    await admin.query('BEGIN');
    try {
      await admin.query(`SELECT v FROM ${table} WHERE id = 1 FOR UPDATE NOWAIT`);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === '55P03') return false;
      throw err;
    } finally {
      await admin.query('ROLLBACK');
    }
  };

  it('pool.query with timeoutMs: QUERY_TIMEOUT, then the lock is free and the statement gone within 1 s', async () => {
    const p = pool(POSTGRES_URL);
    const marker = uniqueName('cancelmark');
    const started = Date.now();
    await expect(p.query(`UPDATE ${table} SET v = v + 1 WHERE id = 1 RETURNING pg_sleep(5) /* ${marker} */`, [], { timeoutMs: 300 })).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
    expect(await eventually(rowFree, 1000)).toBe(true);
    expect(await running(marker)).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    // Cancelled, not finished: the update never committed.
    expect((await admin.query(`SELECT v FROM ${table} WHERE id = 1`)).rows[0].v).toBe(0);
    // The pool goes on with a new connection.
    expect((await p.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('a lease query inside a transaction: the timeout cancels it and the transaction rolls back', async () => {
    const p = pool(POSTGRES_URL);
    const marker = uniqueName('cancelmark');
    await expect(
      p.transaction(async (tx) => {
        await tx.query(`UPDATE ${table} SET v = v + 10 WHERE id = 1`);
        await tx.query(`SELECT pg_sleep(5) /* ${marker} */`, [], { timeoutMs: 300 });
      }),
    ).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
    expect(await eventually(rowFree, 1000)).toBe(true);
    expect(await running(marker)).toBe(0);
    expect((await admin.query(`SELECT v FROM ${table} WHERE id = 1`)).rows[0].v).toBe(0);
  });

  it('statementTimeoutMs past its grace (the last-resort deadline) cancels too', async () => {
    // The server's statement_timeout is what normally stops it; a server that ignores it (here:
    // the session turns it off) is exactly the case the client-side deadline is there for.
    const p = pool(POSTGRES_URL, { statementTimeoutMs: 200 });
    const marker = uniqueName('cancelmark');
    const lease = await p.acquire();
    try {
      await lease.query('SET statement_timeout = 0');
      await expect(lease.query(`SELECT pg_sleep(5) /* ${marker} */`)).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
    } finally {
      lease.release();
    }
    expect(await eventually(async () => (await running(marker)) === 0, 1000)).toBe(true);
  });

  it('close() cancels a statement it gives up on: nothing of it is left running on the server', async () => {
    const p = pool(POSTGRES_URL);
    const marker = uniqueName('cancelmark');
    const lease = await p.acquire();
    const sleeping = lease.query(`SELECT pg_sleep(30) /* ${marker} */`).catch((err: unknown) => err);
    expect(await eventually(async () => (await running(marker)) === 1, 2000)).toBe(true);
    const started = Date.now();
    await p.close({ timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await running(marker)).toBe(0);
    expect(await sleeping).toBeInstanceOf(Error);
  });

  it('close() cancels a pool.query it gives up on too (the hot path, not a lease)', async () => {
    const p = pool(POSTGRES_URL);
    const marker = uniqueName('cancelmark');
    const sleeping = p.query(`SELECT pg_sleep(30) /* ${marker} */`).catch((err: unknown) => err);
    expect(await eventually(async () => (await running(marker)) === 1, 2000)).toBe(true);
    const started = Date.now();
    await p.close({ timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await running(marker)).toBe(0);
    expect(await sleeping).toBeInstanceOf(Error);
  });
});

describeMysql('query timeout cancels the statement on MariaDB', () => {
  const table = 'w15_cancel_my';
  let admin: Connection;
  const adminQuery = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    new Promise<T[]>((resolve, reject) => admin.query(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));

  beforeAll(async () => {
    admin = createConnection({ uri: MYSQL_URL });
    await adminQuery(`DROP TABLE IF EXISTS ${table}`);
    await adminQuery(`CREATE TABLE ${table} (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB`);
    await adminQuery(`INSERT INTO ${table} VALUES (1, 0)`);
  });
  afterAll(async () => {
    await adminQuery(`DROP TABLE IF EXISTS ${table}`);
    await new Promise((resolve) => admin.end(resolve));
  });

  const running = async (marker: string) =>
    Number((await adminQuery<{ n: number }>(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()`, [`%${marker}%`]))[0].n);

  const rowFree = async () => {
    await adminQuery('BEGIN');
    try {
      await adminQuery(`SELECT v FROM ${table} WHERE id = 1 FOR UPDATE NOWAIT`);
      return true;
    } catch (err) {
      // ER_LOCK_WAIT_TIMEOUT: NOWAIT found the row locked.
      if ((err as { errno?: number }).errno === 1205) return false;
      throw err;
    } finally {
      await adminQuery('ROLLBACK');
    }
  };

  it('pool.query with timeoutMs: QUERY_TIMEOUT, then the lock is free and the statement gone within 1 s', async () => {
    const p = pool(MYSQL_URL);
    const marker = uniqueName('cancelmark');
    const started = Date.now();
    await expect(p.query(`UPDATE ${table} SET v = v + 1 + SLEEP(5) WHERE id = 1 /* ${marker} */`, [], { timeoutMs: 300 })).rejects.toMatchObject({ code: 'QUERY_TIMEOUT' });
    expect(await eventually(rowFree, 1000)).toBe(true);
    expect(await running(marker)).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await adminQuery<{ v: number }>(`SELECT v FROM ${table} WHERE id = 1`))[0].v).toBe(0);
    expect((await p.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('close({ timeoutMs: 500 }) with a SLEEP(30) running settles well within a second and leaves nothing running', async () => {
    const p = pool(MYSQL_URL);
    const marker = uniqueName('cancelmark');
    const lease = await p.acquire();
    const sleeping = lease.query(`SELECT SLEEP(30) /* ${marker} */`).catch((err: unknown) => err);
    expect(await eventually(async () => (await running(marker)) === 1, 2000)).toBe(true);
    const started = Date.now();
    await p.close({ timeoutMs: 500 });
    const tookMs = Date.now() - started;
    expect(tookMs).toBeLessThan(1200);
    expect(await running(marker)).toBe(0);
    await sleeping;
  });
});
