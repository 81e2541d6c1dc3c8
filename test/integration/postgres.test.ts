import * as net from 'node:net';
import { Client } from 'pg';
import { createPool, type Pool, type PoolOptions } from '../../src';
import { ConnectionError, PoolTimeoutError, TransactionRolledBackError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { POSTGRES_URL, describePostgres, uniqueName } from '../helpers/databases';

const pools: Pool[] = [];
let admin: Client;

function pgPool(options: PoolOptions = {}): Pool {
  const pool = createPool({
    url: POSTGRES_URL,
    name: uniqueName('pgtest'),
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

const backendPid = async (q: { query: Pool['query'] }) =>
  Number((await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);

/** Kills one backend this test opened (never anyone else's), from a separate connection. */
async function terminate(pid: number): Promise<void> {
  await admin.query('SELECT pg_terminate_backend($1)', [pid]);
}

const nextDestroy = (pool: Pool) =>
  new Promise<{ reason: string; error?: Error }>((resolve) => pool.once('destroy', (event) => resolve(event)));

describePostgres('postgres adapter on the local PostgreSQL', () => {
  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL, application_name: uniqueName('pgadmin') });
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 2000 })));
  });
  afterAll(async () => {
    await admin.end();
  });

  it('passes $1 placeholders through and normalises rows, rowCount, columns, fields and command', async () => {
    const pool = pgPool();
    const table = uniqueName('pg_shape');
    await pool.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, name text)`);
    try {
      const insert = await pool.query(`INSERT INTO ${table} (name) VALUES ($1), ($2)`, ['ada', 'grace']);
      expect(insert).toMatchObject({ rows: [], rowCount: 2, command: 'INSERT' });
      const select = await pool.query<{ id: number; name: string }>(`SELECT id, name FROM ${table} WHERE name = $1`, ['ada']);
      expect(select).toMatchObject({ rows: [{ id: 1, name: 'ada' }], rowCount: 1, columns: ['id', 'name'], command: 'SELECT' });
      // pg's own field descriptions, type OIDs included (Prisma decodes values by dataTypeID): 23 int4, 25 text.
      expect(select.fields?.map((f) => [f.name, f.dataTypeID])).toEqual([['id', 23], ['name', 25]]);
      const update = await pool.query(`UPDATE ${table} SET name = upper(name)`);
      expect(update).toMatchObject({ rowCount: 2, command: 'UPDATE' });
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });

  it('lists its connections in pg_stat_activity under the pool name, or DB_APPLICATION_NAME', async () => {
    const named = pgPool();
    const fromEnv = pgPool({ env: { DB_APPLICATION_NAME: uniqueName('billing') } });
    const pid = await backendPid(named);
    const seen = await admin.query('SELECT application_name FROM pg_stat_activity WHERE pid = $1', [pid]);
    expect(seen.rows[0].application_name).toBe(named.name);
    const envPid = await backendPid(fromEnv);
    const seenEnv = await admin.query('SELECT application_name FROM pg_stat_activity WHERE pid = $1', [envPid]);
    expect(seenEnv.rows[0].application_name).toBe(fromEnv.config.applicationName);
    expect(fromEnv.config.applicationName).toMatch(/^billing_/);
  });

  it('sets statement_timeout on each connection; a cancelled statement leaves the connection usable', async () => {
    const pool = pgPool({ statementTimeoutMs: 200, max: 1 });
    expect((await pool.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows[0].statement_timeout).toBe('200ms');
    const pid = await backendPid(pool);
    await expect(pool.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
    expect(await backendPid(pool)).toBe(pid);
  });

  it('destroys an idle connection whose backend was terminated, without crashing, and opens a new one', async () => {
    const pool = pgPool({ max: 1 });
    const pid = await backendPid(pool);
    const destroyed = nextDestroy(pool);
    await terminate(pid);
    const event = await destroyed;
    expect(event.reason).toBe('broken');
    expect(event.error).toMatchObject({ code: '57P01' });
    const newPid = await backendPid(pool);
    expect(newPid).not.toBe(pid);
  });

  it('rejects an in-flight query whose backend is terminated, destroys that connection and replaces it', async () => {
    const pool = pgPool({ max: 1 });
    const pid = await backendPid(pool);
    // The rejection is caught at once: it may arrive while the test still awaits the KILL.
    const sleeping = pool.query('SELECT pg_sleep(5)').then(
      () => new Error('the query was not interrupted'),
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const destroyed = nextDestroy(pool);
    await terminate(pid);
    expect(await sleeping).toMatchObject({ code: '57P01' });
    expect((await destroyed).reason).toBe('broken');
    expect(await backendPid(pool)).not.toBe(pid);
    expect(pool.stats().counters.destroyed.broken).toBe(1);
  });

  it('rolls back a connection released inside a transaction, so the next borrower starts clean', async () => {
    const pool = pgPool({ max: 1 });
    const table = uniqueName('pg_leftover');
    await pool.query(`CREATE TABLE ${table} (v int)`);
    try {
      const lease = await pool.acquire();
      const pid = await backendPid(lease);
      await lease.query('BEGIN');
      await lease.query(`INSERT INTO ${table} VALUES (1)`);
      lease.release();
      const again = await pool.acquire();
      try {
        expect(await backendPid(again)).toBe(pid);
        const state = await admin.query('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
        expect(state.rows[0].state).not.toMatch(/in transaction/);
        expect((await again.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]).toEqual({ n: 0 });
      } finally {
        again.release();
      }
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });

  it('reports a COMMIT that PostgreSQL turned into a ROLLBACK as TransactionRolledBackError', async () => {
    const pool = pgPool({ max: 1 });
    const table = uniqueName('pg_aborted');
    await pool.query(`CREATE TABLE ${table} (v int)`);
    try {
      const run = pool.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} VALUES (1)`);
        await tx.query('SELECT 1/0').catch(() => undefined);
      });
      await expect(run).rejects.toBeInstanceOf(TransactionRolledBackError);
      expect((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(0);
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });

  it('retries a transaction that met a serialization failure (40001)', async () => {
    const pool = pgPool({ max: 2 });
    const table = uniqueName('pg_serial');
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v int)`);
    await pool.query(`INSERT INTO ${table} VALUES (1, 0)`);
    try {
      let attempts = 0;
      let releaseFirst!: () => void;
      const firstRead = new Promise<void>((resolve) => (releaseFirst = resolve));
      const slow = pool.transaction(
        async (tx) => {
          attempts++;
          await tx.query(`SELECT v FROM ${table} WHERE id = 1`);
          if (attempts === 1) await firstRead;
          await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = 1`);
        },
        { isolationLevel: 'serializable', retries: 3 },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pool.transaction(async (tx) => tx.query(`UPDATE ${table} SET v = v + 10 WHERE id = 1`), { isolationLevel: 'serializable' });
      releaseFirst();
      await slow;
      expect(attempts).toBe(2);
      expect((await pool.query<{ v: number }>(`SELECT v FROM ${table}`)).rows[0].v).toBe(11);
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });

  it('reports server version, max_connections and open connections', async () => {
    const pool = pgPool();
    const info = await pool.withConnection((conn) => pool.adapter.serverInfo!(conn.raw));
    expect(info.version).toMatch(/^\d+(\.\d+)?/);
    const max = await admin.query<{ max_connections: string }>('SHOW max_connections');
    expect(info.maxConnections).toBe(Number(max.rows[0].max_connections));
    expect(info.openConnections).toBeGreaterThanOrEqual(2);
  });

  it('with sslMode prefer, falls back to plain text on a server without TLS', async () => {
    const pool = pgPool({ sslMode: 'prefer' });
    const pid = await backendPid(pool);
    const ssl = await admin.query('SELECT ssl FROM pg_stat_ssl WHERE pid = $1', [pid]);
    const serverHasTls = (await admin.query<{ ssl: string }>('SHOW ssl')).rows[0].ssl === 'on';
    expect(ssl.rows[0].ssl).toBe(serverHasTls);
  });

  it('with sslMode require, refuses to connect in plain text to a server without TLS', async () => {
    const serverHasTls = (await admin.query<{ ssl: string }>('SHOW ssl')).rows[0].ssl === 'on';
    if (serverHasTls) {
      console.log('postgres: the server has TLS on; the refusal case needs one without it (scale-out covers TLS modes)');
      return;
    }
    const pool = pgPool({ sslMode: 'require', acquireTimeoutMs: 1500 });
    const failure = await pool.query('SELECT 1').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PoolTimeoutError);
    expect(String((failure as PoolTimeoutError).cause)).toMatch(/does not support SSL/);
  });

  it('gives up on a server that accepts the socket but never answers, after connectTimeoutMs', async () => {
    const silent = net.createServer(() => undefined);
    const sockets = new Set<net.Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const pool = pgPool({ url: `postgres://postgres@127.0.0.1:${port}/test`, connectTimeoutMs: 300 });
      const started = Date.now();
      const firstFailure = new Promise<Error>((resolve) => pool.once('createError', (event) => resolve(event.error)));
      const waiting = pool.query('SELECT 1', [], { timeoutMs: 1000 }).catch((err: unknown) => err);
      const error = await firstFailure;
      expect(Date.now() - started).toBeLessThan(1500);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.message).toMatch(/timed out after 300 ms|timeout expired/);
      expect(await waiting).toBeInstanceOf(PoolTimeoutError);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
