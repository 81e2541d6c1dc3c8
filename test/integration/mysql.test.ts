import * as net from 'node:net';
import { createConnection, type Connection } from 'mysql2';
import { createPool, type Pool, type PoolOptions } from '../../src';
import { ConnectionError, PoolTimeoutError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { MYSQL_URL, describeMysql, uniqueName } from '../helpers/databases';

const pools: Pool[] = [];
let admin: Connection;

function myPool(options: PoolOptions = {}): Pool {
  const pool = createPool({
    url: MYSQL_URL,
    name: uniqueName('mytest'),
    env: {},
    profile: 'test',
    logger: silentLogger,
    max: 3,
    sslMode: 'disable',
    acquireTimeoutMs: 5000,
    connectTimeoutMs: 5000,
    ...options,
  });
  pools.push(pool);
  return pool;
}

function adminQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => admin.query(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
}

const connectionId = async (q: { query: Pool['query'] }) => Number((await q.query<{ id: number }>('SELECT CONNECTION_ID() AS id')).rows[0].id);

/** KILLs one connection this test opened, from a separate connection. */
const kill = (id: number) => adminQuery('KILL ?', [id]);

const nextDestroy = (pool: Pool) =>
  new Promise<{ reason: string; error?: Error }>((resolve) => pool.once('destroy', (event) => resolve(event)));

describeMysql('mysql adapter on the local MariaDB', () => {
  beforeAll(async () => {
    const url = new URL(MYSQL_URL);
    admin = createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) || undefined, database: url.pathname.slice(1) });
    await new Promise<void>((resolve, reject) => admin.connect((err) => (err ? reject(err) : resolve())));
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 2000 })));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => admin.end(() => resolve()));
  });

  it('passes ? placeholders through and reports rows, columns, affected rows and the insert id', async () => {
    const pool = myPool();
    const table = uniqueName('my_shape');
    await pool.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20))`);
    try {
      const first = await pool.query(`INSERT INTO ${table} (name) VALUES (?)`, ['ada']);
      expect(first).toEqual({ rows: [], rowCount: 1, columns: [], lastInsertId: 1 });
      const second = await pool.query(`INSERT INTO ${table} (name) VALUES (?), (?)`, ['grace', 'edsger']);
      expect(second).toMatchObject({ rowCount: 2, lastInsertId: 2 });
      const select = await pool.query<{ id: number; name: string }>(`SELECT id, name FROM ${table} WHERE name = ?`, ['ada']);
      expect(select).toMatchObject({ rows: [{ id: 1, name: 'ada' }], rowCount: 1, columns: ['id', 'name'] });
      // mysql2's own FieldPackets, as its API returns them.
      expect(select.fields?.map((f) => f.name)).toEqual(['id', 'name']);
      expect((await pool.query(`UPDATE ${table} SET name = UPPER(name)`)).rowCount).toBe(3);
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });

  it('destroys an idle connection the server KILLed, without crashing, and opens a new one', async () => {
    const pool = myPool({ max: 1 });
    const id = await connectionId(pool);
    const destroyed = nextDestroy(pool);
    await kill(id);
    const event = await destroyed;
    expect(event.reason).toBe('broken');
    expect(event.error).toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
    expect(await connectionId(pool)).not.toBe(id);
  });

  it('rejects an in-flight query whose connection is KILLed, destroys it and replaces it', async () => {
    const pool = myPool({ max: 1 });
    const id = await connectionId(pool);
    // The rejection is caught at once: it may arrive while the test still awaits the KILL.
    const sleeping = pool.query('SELECT SLEEP(5)').then(
      () => new Error('the query was not interrupted'),
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const destroyed = nextDestroy(pool);
    await kill(id);
    expect(await sleeping).toMatchObject({ fatal: true });
    expect((await destroyed).reason).toBe('broken');
    expect(await connectionId(pool)).not.toBe(id);
  });

  it('rolls back a connection released inside a transaction, so the next borrower starts clean', async () => {
    const pool = myPool({ max: 1 });
    const table = uniqueName('my_leftover');
    await pool.query(`CREATE TABLE ${table} (v INT) ENGINE=InnoDB`);
    try {
      const lease = await pool.acquire();
      const id = await connectionId(lease);
      await lease.query('START TRANSACTION');
      await lease.query(`INSERT INTO ${table} VALUES (1)`);
      lease.release();
      const again = await pool.acquire();
      try {
        expect(await connectionId(again)).toBe(id);
        expect((await again.query<{ t: number }>('SELECT @@in_transaction AS t')).rows[0].t).toBe(0);
        expect((await again.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n).toBe(0);
      } finally {
        again.release();
      }
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });

  it('retries the transaction that lost a deadlock (1213)', async () => {
    const pool = myPool({ max: 2 });
    const table = uniqueName('my_deadlock');
    await pool.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB`);
    await pool.query(`INSERT INTO ${table} VALUES (1, 0), (2, 0)`);
    try {
      const attempts = [0, 0];
      const bothLocked = { count: 0, wake: [] as Array<() => void> };
      const meet = () =>
        new Promise<void>((resolve) => {
          bothLocked.wake.push(resolve);
          if (++bothLocked.count === 2) bothLocked.wake.forEach((wake) => wake());
          setTimeout(resolve, 1000);
        });
      const crosswise = (index: number, firstId: number, secondId: number) =>
        pool.transaction(
          async (tx) => {
            attempts[index]++;
            await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = ?`, [firstId]);
            if (attempts[index] === 1) await meet();
            await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = ?`, [secondId]);
          },
          { retries: 2 },
        );
      await Promise.all([crosswise(0, 1, 2), crosswise(1, 2, 1)]);
      expect(attempts[0] + attempts[1]).toBe(3);
      const rows = await pool.query<{ v: number }>(`SELECT v FROM ${table} ORDER BY id`);
      expect(rows.rows.map((r) => r.v)).toEqual([2, 2]);
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });

  it('bounds each statement by statementTimeoutMs through the server’s own limit', async () => {
    const pool = myPool({ statementTimeoutMs: 300, max: 1 });
    const limit = await pool.query<{ t: number | string }>('SELECT COALESCE(@@max_statement_time, 0) AS t').catch(() => undefined);
    if (limit) expect(Number(limit.rows[0].t)).toBeCloseTo(0.3);
    const started = Date.now();
    await pool.query('SELECT SLEEP(3)').catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports server version, max_connections and Threads_connected', async () => {
    const pool = myPool();
    const info = await pool.withConnection((conn) => pool.adapter.serverInfo!(conn.raw));
    const [max] = await adminQuery<{ m: number }>('SELECT @@max_connections AS m');
    expect(info.version).toMatch(/^\d+\.\d+/);
    expect(info.maxConnections).toBe(Number(max.m));
    expect(info.openConnections).toBeGreaterThanOrEqual(2);
  });

  it('with sslMode prefer, falls back to plain text on a server without TLS; require refuses it', async () => {
    const [ssl] = await adminQuery<{ s: string }>('SELECT @@have_ssl AS s');
    const prefer = myPool({ sslMode: 'prefer' });
    expect(await connectionId(prefer)).toBeGreaterThan(0);
    if (ssl.s === 'YES') return;
    const require = myPool({ sslMode: 'require', acquireTimeoutMs: 1500 });
    const failure = await require.query('SELECT 1').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PoolTimeoutError);
    expect((failure as PoolTimeoutError).cause).toMatchObject({ code: 'HANDSHAKE_NO_SSL_SUPPORT' });
  });

  it('gives up on a server that accepts the socket but never answers, after connectTimeoutMs', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const pool = myPool({ url: `mysql://root@127.0.0.1:${port}/test`, connectTimeoutMs: 300 });
      const started = Date.now();
      const firstFailure = new Promise<Error>((resolve) => pool.once('createError', (event) => resolve(event.error)));
      const waiting = pool.query('SELECT 1', [], { timeoutMs: 1000 }).catch((err: unknown) => err);
      const error = await firstFailure;
      expect(Date.now() - started).toBeLessThan(1500);
      expect(error.message).toMatch(/timed out after 300 ms|ETIMEDOUT/);
      expect(error instanceof ConnectionError || (error as { code?: string }).code === 'ETIMEDOUT').toBe(true);
      expect(await waiting).toBeInstanceOf(PoolTimeoutError);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
