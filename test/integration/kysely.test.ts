/**
 * Kysely through its own API (query builder, db.transaction().execute, rollback by throwing) on a
 * lifeguard pool of each of the four databases, through new LifeguardDialect({ pool }); and
 * @libsql/kysely-libsql's own dialect running unchanged on libsqlClient(pool).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibsqlDialect } from '@libsql/kysely-libsql';
import { Kysely, sql, type Generated } from 'kysely';
import { createPool, type Pool } from '../../src';
import type { PoolOptions } from '../../src/config/types';
import { LifeguardDialect } from '../../src/integrations/kysely';
import { libsqlClient } from '../../src/integrations/libsql';
import { silentLogger } from '../../src/shared/logger';
import { describeMysql, describePostgres, MYSQL_URL, POSTGRES_URL } from '../helpers/databases';

interface Database {
  kysely_people: { id: Generated<number>; name: string };
}

let dir: string;
let n = 0;
const pools: Pool[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-kysely-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 2000 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pool(url: string, options: PoolOptions = {}): Pool {
  const created = createPool({ url, name: `kysely-${++n}`, applicationName: `kysely-${n}`, env: {}, profile: 'test', logger: silentLogger, max: 4, acquireTimeoutMs: 10_000, ...options });
  pools.push(created);
  return created;
}

const idColumn: Record<string, string> = {
  sqlite: 'INTEGER PRIMARY KEY',
  postgres: 'SERIAL PRIMARY KEY',
  mysql: 'INT AUTO_INCREMENT PRIMARY KEY',
};

/** CRUD, a committed transaction and a rolled-back one, through Kysely's own API; lifeguard's counters move. */
function crudSuite(family: 'sqlite' | 'postgres' | 'mysql', makePool: () => Pool, makeDb: (pool: Pool) => Kysely<Database>) {
  it('runs CRUD, a transaction and a rollback, and lifeguard sees every statement', async () => {
    const p = makePool();
    const db = makeDb(p);
    await sql`DROP TABLE IF EXISTS kysely_people`.execute(db);
    await sql.raw(`CREATE TABLE kysely_people (id ${idColumn[family]}, name VARCHAR(40) NOT NULL)`).execute(db);
    const before = p.stats().counters.acquires;

    const inserted = await db.insertInto('kysely_people').values({ name: 'ada' }).executeTakeFirstOrThrow();
    expect(Number(inserted.numInsertedOrUpdatedRows)).toBe(1);
    await db.updateTable('kysely_people').set({ name: 'ada lovelace' }).where('name', '=', 'ada').execute();
    expect(await db.selectFrom('kysely_people').select('name').execute()).toEqual([{ name: 'ada lovelace' }]);

    await db.transaction().execute(async (trx) => {
      await trx.insertInto('kysely_people').values({ name: 'kept' }).execute();
      await trx.insertInto('kysely_people').values({ name: 'kept too' }).execute();
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('kysely_people').values({ name: 'gone' }).execute();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await db.deleteFrom('kysely_people').where('name', '=', 'kept too').execute();

    const names = (await db.selectFrom('kysely_people').select('name').orderBy('id').execute()).map((r) => r.name);
    expect(names).toEqual(['ada lovelace', 'kept']);
    expect(p.stats().counters.acquires - before).toBeGreaterThanOrEqual(7);
    expect(p.stats().active).toBe(0);
    await sql`DROP TABLE kysely_people`.execute(db);
  });
}

describe('Kysely on a lifeguard libsql file: pool (LifeguardDialect)', () => {
  crudSuite('sqlite', () => pool(`file:${join(dir, `k-${n + 1}.db`)}`), (p) => new Kysely<Database>({ dialect: new LifeguardDialect({ pool: p }) }));

  it('runs 20 concurrent Kysely transactions through the writer lane with no SQLITE_BUSY', async () => {
    const p = pool(`file:${join(dir, 'k-lane.db')}`);
    const db = new Kysely<Database>({ dialect: new LifeguardDialect({ pool: p }) });
    await sql`CREATE TABLE kysely_people (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`.execute(db);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto('kysely_people').values({ name: `a${i}` }).execute();
          await new Promise((resolve) => setTimeout(resolve, 5));
          await trx.insertInto('kysely_people').values({ name: `b${i}` }).execute();
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM kysely_people`.execute(db)).rows[0].n)).toBe(40);
  });
});

describe('Kysely on a lifeguard sqlite: pool (LifeguardDialect)', () => {
  crudSuite('sqlite', () => pool(`sqlite:${join(dir, `k-${n + 1}.db`)}`), (p) => new Kysely<Database>({ dialect: new LifeguardDialect({ pool: p }) }));

  it('streams a select where better-sqlite3 streams', async () => {
    const p = pool(`sqlite:${join(dir, 'k-stream.db')}`);
    const db = new Kysely<Database>({ dialect: new LifeguardDialect({ pool: p }) });
    await sql`CREATE TABLE kysely_people (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`.execute(db);
    await db.insertInto('kysely_people').values([{ name: 'a' }, { name: 'b' }, { name: 'c' }]).execute();
    const seen: string[] = [];
    for await (const row of db.selectFrom('kysely_people').select('name').orderBy('id').stream(2)) seen.push(row.name);
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});

describe('@libsql/kysely-libsql on libsqlClient(pool)', () => {
  crudSuite('sqlite', () => pool(`file:${join(dir, `k-${n + 1}.db`)}`), (p) => new Kysely<Database>({ dialect: new LibsqlDialect({ client: libsqlClient(p) as never }) }));
});

describePostgres('Kysely on a lifeguard postgres pool (LifeguardDialect)', () => {
  crudSuite('postgres', () => pool(POSTGRES_URL), (p) => new Kysely<Database>({ dialect: new LifeguardDialect({ pool: p }) }));
});

describeMysql('Kysely on a lifeguard mysql pool (LifeguardDialect)', () => {
  crudSuite('mysql', () => pool(MYSQL_URL), (p) => new Kysely<Database>({ dialect: new LifeguardDialect({ pool: p }) }));
});
