/**
 * lifeguard/mysql2's pool events side by side with a real mysql2 pool's on the local MariaDB
 * ('connection', 'acquire', 'release', 'enqueue', with mysql2's arguments), and queries made by
 * drizzle-orm/mysql2 through the facade being lifeguard operations: counted in the Prometheus
 * operation histogram, reported by slowQuery, and a PoolConnection held too long reported as a leak.
 */
import { createPool as createMysql2Pool, type Pool as Mysql2Pool } from 'mysql2';
import { sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { Registry } from 'prom-client';
import { createPool, registerPoolMetrics, type Pool, type PoolOptions } from '../../src';
import { mysql2Pool, type LifeguardMysqlConnection } from '../../src/integrations/mysql2';
import { silentLogger } from '../../src/shared/logger';
import { MYSQL_URL, describeMysql, uniqueName } from '../helpers/databases';
import { operationCount, waitFor } from '../helpers/pg-pools';

const pools: Pool[] = [];
const mysql2Pools: Mysql2Pool[] = [];

function myPool(overrides: Partial<PoolOptions> = {}): Pool {
  const pool = createPool({ url: MYSQL_URL, name: uniqueName('m2e'), env: {}, profile: 'test', logger: silentLogger, max: 2, sslMode: 'disable', acquireTimeoutMs: 10_000, ...overrides });
  pools.push(pool);
  return pool;
}

/** What an events listener saw: each event's name and its arguments, connections numbered in order of first appearance. */
function recordEvents(emitter: { on(event: string, fn: (...args: unknown[]) => void): unknown }): Array<[string, ...Array<number | string>]> {
  const seen: object[] = [];
  const log: Array<[string, ...Array<number | string>]> = [];
  const name = (arg: unknown) => {
    if (typeof arg !== 'object' || arg === null) return typeof arg;
    if (!seen.includes(arg)) seen.push(arg);
    return seen.indexOf(arg);
  };
  for (const event of ['connection', 'acquire', 'release', 'enqueue']) emitter.on(event, (...args) => log.push([event, ...args.map(name)]));
  return log;
}

interface Conn {
  release(): void;
}
type GetConnection = () => Promise<Conn>;

/** One scenario, run on a real mysql2 pool and on the facade: what each emits must match. */
async function scenario(getConnection: GetConnection, query: () => Promise<unknown>, log: unknown[]): Promise<unknown[][]> {
  const steps: unknown[][] = [];
  const step = async <T>(fn: () => Promise<T> | T): Promise<T> => {
    const mark = log.length;
    const value = await fn();
    // mysql2 calls back on a later tick than it emits: let both settle before reading.
    await new Promise((r) => setImmediate(r));
    steps.push(log.slice(mark));
    return value;
  };
  const a = await step(getConnection); // a new connection: 'connection' then 'acquire'
  await step(() => a.release()); // back to the idle list: 'release'
  const b = await step(getConnection); // the idle one again: 'acquire' only
  const c = await step(getConnection); // a second new one
  const mark = log.length;
  const waiting = getConnection(); // none idle and at the limit: 'enqueue'
  await new Promise((r) => setTimeout(r, 100));
  steps.push(log.slice(mark));
  // The handover: mysql2 gives a released connection straight to a waiter and emits neither
  // 'release' nor 'acquire' for it; the facade emits both, as for every loan.
  const handover = log.length;
  b.release();
  const d = await waiting;
  await new Promise((r) => setImmediate(r));
  steps.push(log.slice(handover));
  await step(() => {
    c.release();
    d.release();
  });
  await step(query); // a pool query takes a connection and gives it back: 'acquire', 'release'
  return steps;
}

describeMysql('lifeguard/mysql2 facade: pool events and lifeguard operations', () => {
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2000 })));
    await Promise.all(mysql2Pools.splice(0).map((p) => new Promise((r) => p.end(r))));
  });

  test("'connection', 'acquire', 'release' and 'enqueue' come as mysql2's own pool emits them, with its arguments", async () => {
    const real = createMysql2Pool({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test', connectionLimit: 2 });
    mysql2Pools.push(real);
    const realLog = recordEvents(real);
    const realSteps = await scenario(
      () => new Promise<Conn>((res, rej) => real.getConnection((e, c) => (e ? rej(e) : res(c)))),
      () => new Promise((res, rej) => real.query('SELECT 1', (e, r) => (e ? rej(e) : res(r)))),
      realLog,
    );
    const facade = mysql2Pool(myPool());
    const ourLog = recordEvents(facade);
    const ourSteps = await scenario(() => facade.getConnection() as Promise<LifeguardMysqlConnection>, () => facade.query('SELECT 1') as Promise<unknown>, ourLog);

    expect(realSteps).toEqual([
      [['connection', 0], ['acquire', 0]],
      [['release', 0]],
      [['acquire', 0]],
      [['connection', 1], ['acquire', 1]],
      [['enqueue']],
      [],
      [['release', 1], ['release', 0]],
      [['acquire', 0], ['release', 0]],
    ]);
    expect(ourSteps).toEqual(realSteps.map((events, i) => (i === 5 ? [['release', 0], ['acquire', 0]] : events)));
  });

  test("the connection an event carries is the PoolConnection the caller gets, and a 'connection' listener can set it up", async () => {
    const facade = mysql2Pool(myPool({ max: 1 }));
    const acquired: unknown[] = [];
    facade.on('connection', (conn: LifeguardMysqlConnection) => {
      void conn.query("SET SESSION sql_mode = 'ANSI_QUOTES'");
    });
    facade.on('acquire', (conn) => acquired.push(conn));
    const conn = (await facade.getConnection()) as LifeguardMysqlConnection;
    expect(acquired).toHaveLength(1);
    expect(acquired[0]).toBe(conn);
    const [rows] = (await conn.query('SELECT @@SESSION.sql_mode AS mode')) as [Array<{ mode: string }>];
    expect(rows[0].mode).toContain('ANSI_QUOTES');
    conn.release();
  });

  test("destroy(), or releasing a connection an error broke, gives no 'release' (mysql2's pool emits none for a connection it drops)", async () => {
    const facade = mysql2Pool(myPool({ max: 1 }));
    const released: unknown[] = [];
    facade.on('release', (conn) => released.push(conn));
    const conn = (await facade.getConnection()) as LifeguardMysqlConnection;
    conn.destroy();
    const killed = (await facade.getConnection()) as LifeguardMysqlConnection;
    await expect(killed.query(`KILL ${killed.threadId}`)).rejects.toThrow();
    killed.release();
    const next = (await facade.getConnection()) as LifeguardMysqlConnection;
    next.release();
    // toBe: a deep comparison would read the PoolConnection's `connection` getter, which throws.
    expect(released).toHaveLength(1);
    expect(released[0]).toBe(next);
  });

  test('drizzle queries over the facade are counted in the Prometheus operation histogram', async () => {
    const pool = myPool();
    const registry = new Registry();
    registerPoolMetrics(pool, registry);
    const db = drizzle({ client: mysql2Pool(pool) as never });
    const before = await operationCount(registry);
    await db.execute(dsql`SELECT 1`);
    await db.execute(dsql`SELECT ${2} AS two`);
    await db.transaction(async (tx) => {
      await tx.execute(dsql`SELECT 3`);
    });
    // Two statements, and in the transaction its BEGIN, the statement and COMMIT.
    expect((await operationCount(registry)) - before).toBeGreaterThanOrEqual(5);
  });

  test('a slow drizzle query over the facade fires slowQuery with its SQL and connection', async () => {
    const pool = myPool({ slowQueryMs: 150 });
    const slow: Array<{ sql: string; durationMs: number; connectionId: number }> = [];
    pool.on('slowQuery', (e) => slow.push(e));
    const db = drizzle({ client: mysql2Pool(pool) as never });
    await db.execute(dsql`SELECT 1 AS quick`);
    await db.execute(dsql.raw('SELECT SLEEP(0.3) AS slept'));
    // Only the sleep is slow (a loaded machine could make the quick one slow too: not asserted).
    const sleeps = slow.filter((e) => e.sql.includes('SLEEP(0.3)'));
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0].durationMs).toBeGreaterThanOrEqual(150);
    expect(sleeps[0].connectionId).toBeGreaterThan(0);
  });

  test('a PoolConnection held past leakDetectionMs is reported as a leak, with the stack that took it', async () => {
    const pool = myPool({ leakDetectionMs: 200, evictionIntervalMs: 50 });
    const leaks: Array<{ connectionId: number; heldMs: number; stack?: string }> = [];
    pool.on('leak', (e) => leaks.push(e));
    const conn = (await mysql2Pool(pool).getConnection()) as LifeguardMysqlConnection;
    await waitFor(() => leaks.length > 0, 5000);
    expect(leaks).toHaveLength(1);
    expect(leaks[0].connectionId).toBe(conn.connectionId);
    expect(leaks[0].heldMs).toBeGreaterThanOrEqual(200);
    expect(leaks[0].stack).toContain('mysql2-facade-events.test');
    conn.release();
  });

  test('a drizzle transaction over the facade that holds its connection past leakDetectionMs is reported as a leak', async () => {
    const pool = myPool({ leakDetectionMs: 200, evictionIntervalMs: 50 });
    const leaks: Array<{ connectionId: number; heldMs: number }> = [];
    pool.on('leak', (e) => leaks.push(e));
    const db = drizzle({ client: mysql2Pool(pool) as never });
    let inTransaction = 0;
    await db.transaction(async (tx) => {
      inTransaction = Number(((await tx.execute(dsql`SELECT CONNECTION_ID() AS id`)) as unknown as [Array<{ id: number }>])[0][0].id);
      await waitFor(() => leaks.length > 0, 5000);
    });
    expect(inTransaction).toBeGreaterThan(0);
    expect(leaks).toHaveLength(1);
    expect(leaks[0].heldMs).toBeGreaterThanOrEqual(200);
  });
});
