/**
 * pg can hand over a client whose backend was killed in the same read as its ReadyForQuery: the
 * 'error' is emitted before the pool has attached any listener of its own. The adapter must still
 * say the connection is dead (brokenBy), so that the pool never lends it.
 */
import { createPool, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { MYSQL_URL, POSTGRES_URL, describeMysql, describePostgres, uniqueName } from '../helpers/databases';

const pools: Pool[] = [];
afterAll(() => Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 500 }))));

function openPool(url: string, prefix: string): Pool {
  const pool = createPool({ url, env: {}, name: uniqueName(prefix), logger: silentLogger, min: 0, max: 1, testOnAcquire: false, acquireTimeoutMs: 5000 });
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

async function openRaw(pool: Pool): Promise<unknown> {
  const controller = new AbortController();
  return pool.adapter.connect(controller.signal);
}

describePostgres('PostgreSQL: a connection whose error came before any pool listener', () => {
  it('is reported dead by brokenBy, and a client ended by its holder is too', async () => {
    const pool = openPool(POSTGRES_URL, 'arrival_pg');
    const client = (await openRaw(pool)) as import('pg').Client;
    expect(pool.adapter.brokenBy?.(client)).toBeUndefined();
    client.emit('error', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
    expect(pool.adapter.brokenBy?.(client)).toMatchObject({ code: '57P01' });
    await pool.adapter.close(client);
    const ended = (await openRaw(pool)) as import('pg').Client;
    await ended.end();
    expect(pool.adapter.brokenBy?.(ended)).toBeInstanceOf(Error);
  });

  it('a lease whose raw client its holder ended is never lent again', async () => {
    const pool = openPool(POSTGRES_URL, 'arrival_pg_end');
    const lease = await pool.acquire();
    const first = lease.id;
    await (lease.raw as import('pg').Client).end();
    lease.release();
    const next = await pool.acquire();
    expect(next.id).not.toBe(first);
    await expect(next.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    next.release();
  });
});

describeMysql('MariaDB: a connection the driver already knows is closed', () => {
  it('is reported dead by brokenBy', async () => {
    const pool = openPool(MYSQL_URL, 'arrival_my');
    const conn = (await openRaw(pool)) as import('mysql2').Connection;
    expect(pool.adapter.brokenBy?.(conn)).toBeUndefined();
    conn.destroy();
    expect(pool.adapter.brokenBy?.(conn)).toBeInstanceOf(Error);
    await pool.adapter.close(conn);
  });
});
