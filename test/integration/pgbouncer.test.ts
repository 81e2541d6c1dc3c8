/**
 * lifeguard behind a real PgBouncer in transaction mode, in front of the local PostgreSQL. The
 * PgBouncer is the test's own (own port, own config in a temp dir) and is stopped at the end.
 */
import { createPool, type Pool, type PoolOptions } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { describePostgres, POSTGRES_URL, REQUIRE_DATABASES, uniqueName } from '../helpers/databases';
import { PgBouncer, pgbouncerBinary } from '../helpers/pgbouncer';

const missing = pgbouncerBinary() === undefined;
if (missing && !REQUIRE_DATABASES) console.log('PgBouncer suite: pgbouncer is not installed (apt-get install pgbouncer); suite skipped');
const describeBouncer = missing && !REQUIRE_DATABASES ? describe.skip : describePostgres;

describeBouncer('behind PgBouncer in transaction mode', () => {
  jest.setTimeout(30_000);
  let bouncer: PgBouncer;
  const pools: Pool[] = [];
  const table = uniqueName('bounced');
  const open = (options: PoolOptions = {}) => {
    const pool = createPool({
      name: uniqueName('bouncer'),
      url: bouncer.url(),
      env: {},
      profile: 'test',
      logger: silentLogger,
      sslMode: 'disable',
      max: 4,
      acquireTimeoutMs: 5000,
      connectTimeoutMs: 3000,
      ...options,
    });
    pools.push(pool);
    return pool;
  };

  beforeAll(async () => {
    bouncer = await PgBouncer.start({ upstreamUrl: POSTGRES_URL, poolMode: 'transaction', defaultPoolSize: 2 });
  });

  afterAll(async () => {
    await pools[0]?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await Promise.all(pools.map((pool) => pool.close({ timeoutMs: 2000 })));
    await bouncer?.stop();
  });

  it('runs parameterised queries and commits and rolls back transactions', async () => {
    const pool = open();
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
    await pool.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${table} VALUES ($1, $2)`, [1, 'kept']);
    });
    await expect(
      pool.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} VALUES ($1, $2)`, [2, 'rolled back']);
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    const rows = await pool.query<{ id: number; note: string }>(`SELECT id, note FROM ${table} WHERE id = ANY($1) ORDER BY id`, [[1, 2]]);
    expect(rows.rows).toEqual([{ id: 1, note: 'kept' }]);
    expect((await pool.health()).status).toBe('healthy');
  });

  it('shares a few server connections among more pool connections', async () => {
    const pool = open({ max: 6 });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.1)')),
    );
    expect(pool.stats().total).toBe(6);
    // default_pool_size 2: six client connections, at most two PostgreSQL backends.
    expect(new Set(results.map((r) => r.rows[0].pid)).size).toBeLessThanOrEqual(2);
  });

  it('does not keep session state on a pool connection: a SET is gone by its next transaction', async () => {
    const pool = open({ max: 2 });
    const holder = await pool.acquire();
    const other = await pool.acquire();
    try {
      await holder.query('BEGIN');
      const held = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // The other server connection is the only free one: the SET lands there.
      const setOn = await other.query<{ pid: number }>("SET work_mem = '7MB'; SELECT pg_backend_pid() AS pid");
      expect(setOn.rows[0].pid).not.toBe(held.rows[0].pid);
      await holder.query('COMMIT');
      // PgBouncer reuses the most recently released server connection (LIFO): the holder's.
      const later = await other.query<{ pid: number; work_mem: string }>("SELECT pg_backend_pid() AS pid, current_setting('work_mem') AS work_mem");
      expect(later.rows[0].pid).toBe(held.rows[0].pid);
      expect(later.rows[0].work_mem).not.toBe('7MB');
    } finally {
      holder.release();
      other.release();
    }
  });

  it('loses a named prepared statement when the next execution lands on another server connection', async () => {
    const pool = open({ max: 2 });
    const holder = await pool.acquire();
    const other = await pool.acquire();
    const named = { name: uniqueName('q'), text: 'SELECT pg_backend_pid() AS pid' };
    const client = other.raw as { query(q: { name: string; text: string }): Promise<{ rows: { pid: number }[] }> };
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1');
      const prepared = await client.query(named);
      await holder.query('COMMIT');
      // pg remembers it prepared the statement on this client and only executes it now; PgBouncer
      // sends that to the holder's server connection (LIFO), which never saw it.
      await expect(client.query(named)).rejects.toThrow(`prepared statement "${named.name}" does not exist`);
      expect(prepared.rows).toHaveLength(1);
    } finally {
      holder.release();
      other.release();
    }
  });

  it('passes application_name through, so the server still lists the pool by name', async () => {
    const pool = open({ applicationName: 'lifeguard-bounced' });
    const row = await pool.query<{ name: string }>("SELECT current_setting('application_name') AS name");
    expect(row.rows[0].name).toBe('lifeguard-bounced');
  });

  it('fails to connect with statementTimeoutMs set, naming the startup parameter PgBouncer refused', async () => {
    const pool = open({ statementTimeoutMs: 1000, min: 1, acquireTimeoutMs: 1000 });
    await expect(pool.warmup()).rejects.toThrow(/unsupported startup parameter: statement_timeout/);
  });
});
