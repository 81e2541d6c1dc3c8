/**
 * Kysely's PostgresDialect over a PgPool, through Kysely's own query builder, transaction API and
 * streaming (pg-cursor). Kysely checks a client out with pool.connect() for every query, releases
 * it with release(false), and ends the pool on db.destroy().
 */
import { Client } from 'pg';
import Cursor from 'pg-cursor';
import { Registry } from 'prom-client';
import { Kysely, PostgresDialect, sql, type Generated } from 'kysely';
import { registerPoolMetrics } from '../../../src';
import { describePostgres, POSTGRES_URL, uniqueName } from '../../helpers/databases';
import { endPgPools, operationCount, terminateBackend, testPgPool } from '../../helpers/pg-pools';

const table = uniqueName('lg_kysely');
interface Database {
  [table]: { id: Generated<number>; name: string };
}

describePostgres('Kysely (PostgresDialect) over a PgPool', () => {
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL, application_name: `${table}_admin` });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, name text NOT NULL)`);
  });
  afterEach(endPgPools);
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  const kysely = (pool: ReturnType<typeof testPgPool>) => new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });

  it('inserts and selects, with every query seen by lifeguard', async () => {
    const pool = testPgPool();
    const registry = new Registry();
    registerPoolMetrics(pool.lifeguard, registry);
    const db = kysely(pool);
    const acquiresBefore = pool.lifeguard.stats().counters.acquires;
    const operationsBefore = await operationCount(registry);
    const inserted = await db.insertInto(table).values([{ name: 'a' }, { name: 'b' }]).returning(['id', 'name']).execute();
    expect(inserted.map((r) => r.name)).toEqual(['a', 'b']);
    const result = await db.updateTable(table).set({ name: 'b2' }).where('name', '=', 'b').executeTakeFirst();
    expect(result.numUpdatedRows).toBe(1n);
    const rows = await db.selectFrom(table).select(['name']).where('id', 'in', inserted.map((r) => r.id)).orderBy('id').execute();
    expect(rows).toEqual([{ name: 'a' }, { name: 'b2' }]);
    // Three Kysely statements: three acquires, three operations in the Prometheus histogram.
    expect(pool.lifeguard.stats().counters.acquires - acquiresBefore).toBeGreaterThanOrEqual(3);
    expect((await operationCount(registry)) - operationsBefore).toBeGreaterThanOrEqual(3);
    await db.destroy();
    expect(pool.ended).toBe(true);
  });

  it('commits a transaction, and rolls it back when its function throws', async () => {
    const db = kysely(testPgPool());
    await db.transaction().execute(async (trx) => {
      await trx.insertInto(table).values({ name: 'kept' }).execute();
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto(table).values({ name: 'dropped' }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = (await db.selectFrom(table).select('name').execute()).map((r) => r.name);
    expect(names).toContain('kept');
    expect(names).not.toContain('dropped');
    await db.destroy();
  });

  it('streams rows with pg-cursor and gives the connection back afterwards', async () => {
    const pool = testPgPool({ max: 1 });
    const db = kysely(pool);
    let seen = 0;
    for await (const row of db.selectNoFrom(sql<number>`generate_series(1, 500)`.as('n')).stream(50)) {
      seen += row.n > 0 ? 1 : 0;
    }
    expect(seen).toBe(500);
    expect(pool.idleCount).toBe(1);
    await db.destroy();
  });

  it('runs the next query on a new backend after the one under it was terminated', async () => {
    const db = kysely(testPgPool({ max: 1 }));
    const pidOf = async () => (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0].pid;
    const pid = await pidOf();
    await terminateBackend(pid);
    expect(await pidOf()).not.toBe(pid);
    await db.destroy();
  });

  it('gives the caller an error that says "timeout" when the pool is exhausted', async () => {
    const pool = testPgPool({ max: 1, connectionTimeoutMillis: 400 });
    const db = kysely(pool);
    const held = await pool.connect();
    await expect(db.selectFrom(table).selectAll().execute()).rejects.toThrow(/timeout/);
    held.release();
    await db.destroy();
  });
});
