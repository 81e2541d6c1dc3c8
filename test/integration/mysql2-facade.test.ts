/**
 * drizzle-orm/mysql2 and Kysely's MysqlDialect used normally on mysql2Pool(pool) over the local
 * MariaDB: CRUD, transactions that commit and roll back, a KILLed connection never lent again,
 * and lifeguard's stats moving for every ORM query.
 */
import { createConnection, type Connection } from 'mysql2';
import { eq, sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import { Kysely, MysqlDialect, type Generated } from 'kysely';
import { createPool, type Pool } from '../../src';
import { mysql2Pool } from '../../src/integrations/mysql2';
import { silentLogger } from '../../src/shared/logger';
import { MYSQL_URL, describeMysql, uniqueName } from '../helpers/databases';

const table = uniqueName('m2f').replace(/[^a-z0-9_]/gi, '_');
const people = mysqlTable(table, { id: int('id').primaryKey().autoincrement(), name: varchar('name', { length: 50 }).notNull() });
interface Db { [k: string]: { id: Generated<number>; name: string } }

const pools: Pool[] = [];
let admin: Connection;
const adminQuery = (q: string, p: unknown[] = []) => new Promise<unknown>((res, rej) => admin.query(q, p, (e, r) => (e ? rej(e) : res(r))));

function myPool(): Pool {
  const pool = createPool({ url: MYSQL_URL, name: uniqueName('m2f'), env: {}, profile: 'test', logger: silentLogger, max: 2, sslMode: 'disable', acquireTimeoutMs: 10_000 });
  pools.push(pool);
  return pool;
}

describeMysql('lifeguard/mysql2 facade on the local MariaDB', () => {
  beforeAll(async () => {
    admin = createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
    await adminQuery(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL)`);
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2000 })));
    await adminQuery(`DELETE FROM ${table}`);
  });
  afterAll(async () => {
    await adminQuery(`DROP TABLE IF EXISTS ${table}`);
    admin.end();
  });

  test('drizzle-orm/mysql2 CRUD and db.transaction commit and rollback run as lifeguard operations', async () => {
    const pool = myPool();
    const db = drizzle({ client: mysql2Pool(pool) as never });
    const before = pool.stats().totals.queryMs.count;
    await db.insert(people).values({ name: 'ada' });
    await db.update(people).set({ name: 'ada l' }).where(eq(people.name, 'ada'));
    expect((await db.select().from(people)).map((r) => r.name)).toEqual(['ada l']);
    await db.transaction(async (tx) => {
      await tx.insert(people).values({ name: 'kept' });
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.insert(people).values({ name: 'gone' });
        throw new Error('roll it back');
      }),
    ).rejects.toThrow('roll it back');
    await db.delete(people).where(eq(people.name, 'ada l'));
    expect((await db.select().from(people)).map((r) => r.name)).toEqual(['kept']);
    expect(pool.stats().totals.queryMs.count).toBeGreaterThanOrEqual(before + 5);
  });

  test('a connection KILLed under a drizzle query is never lent again: the next query runs on a new one', async () => {
    const pool = myPool();
    const db = drizzle({ client: mysql2Pool(pool) as never });
    const idOf = async () => Number(((await db.execute(dsql`SELECT CONNECTION_ID() AS id`)) as unknown as [Array<{ id: number }>])[0][0].id);
    await idOf();
    // The handler is attached at once: the rejection can arrive before KILL's own reply does.
    const running = db.execute(dsql.raw(`SELECT SLEEP(5) /* ${table} */`)).then(() => 'resolved', (e: unknown) => e);
    // Kill the connection the sleep really runs on (the pool may lend either of its two).
    let first = 0;
    for (let i = 0; i < 50 && !first; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const rows = (await adminQuery(`SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE ?`, [`SELECT SLEEP(5) /* ${table} */%`])) as Array<{ id: number }>;
      first = rows.length ? Number(rows[0].id) : 0;
    }
    expect(first).toBeGreaterThan(0);
    await adminQuery('KILL ?', [first]);
    expect(await running).toBeInstanceOf(Error);
    const ids = new Set<number>();
    for (let i = 0; i < 4; i++) ids.add(await idOf());
    expect(ids.has(first)).toBe(false);
  });

  test('Kysely MysqlDialect on the facade: CRUD, a transaction and a rollback', async () => {
    const pool = myPool();
    const db = new Kysely<Db>({ dialect: new MysqlDialect({ pool: mysql2Pool(pool) as never }) });
    await db.insertInto(table).values({ name: 'k1' }).execute();
    await db.updateTable(table).set({ name: 'k2' }).where('name', '=', 'k1').execute();
    await db.transaction().execute(async (tx) => {
      await tx.insertInto(table).values({ name: 'k3' }).execute();
    });
    await expect(
      db.transaction().execute(async (tx) => {
        await tx.insertInto(table).values({ name: 'k4' }).execute();
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    const names = (await db.selectFrom(table).select('name').orderBy('name').execute()).map((r) => r.name);
    expect(names).toEqual(['k2', 'k3']);
    await db.deleteFrom(table).execute();
    await db.destroy();
    expect(pool.isClosed).toBe(true);
  });

  test('bad input and unsupported methods are errors naming them', () => {
    const pool = myPool();
    const facade = mysql2Pool(pool);
    expect(() => facade.query(42 as never)).toThrow(/Pool\.query\(\): needs the SQL/);
    expect(() => facade.getConnectionAsync()).toThrow(/getConnectionAsync/);
  });
});
