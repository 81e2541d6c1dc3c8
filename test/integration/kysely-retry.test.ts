/**
 * Kysely transactions and lifeguard's retries, only where the caller asks for them: a plain
 * `db.transaction().execute(fn)` is never run twice, `retryTransaction(db, fn, { retries })` runs
 * fn again from a fresh BEGIN after a real serialization failure on the local PostgreSQL, a real
 * deadlock on the local MariaDB, and a backend terminated under the transaction before COMMIT;
 * a business error and a COMMIT whose outcome is unknown are never retried, and `retries` runs out.
 */
import { Client } from 'pg';
import { createConnection, type Connection as MysqlConnection } from 'mysql2';
import { Kysely, sql } from 'kysely';
import { createPool, type Pool } from '../../src';
import { LifeguardDialect, retryTransaction } from '../../src/integrations/kysely';
import { ConfigError, TransactionOutcomeUnknownError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { describeMysql, describePostgres, MYSQL_URL, POSTGRES_URL, uniqueName } from '../helpers/databases';

interface Db {
  [table: string]: { id: number; name: string };
}

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2000 })));
});

function kysely(url: string): { pool: Pool; db: Kysely<Db> } {
  const name = uniqueName('w14_kretry');
  const pool = createPool({ url, name, applicationName: name, env: {}, profile: 'test', logger: silentLogger, max: 4, acquireTimeoutMs: 10_000 });
  pools.push(pool);
  return { pool, db: new Kysely<Db>({ dialect: new LifeguardDialect({ pool }) }) };
}

/** Resolves once `n` callers have arrived: the first attempts of two transactions meet here. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived >= n) open();
    return opened;
  };
}

describePostgres('Kysely transactions and retries on the local PostgreSQL', () => {
  const table = uniqueName('w14_kretry_pg');
  let admin: Client;
  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL, application_name: `${table}_admin` });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, name text NOT NULL)`);
  });
  beforeEach(async () => {
    await admin.query(`TRUNCATE ${table}`);
    await admin.query(`INSERT INTO ${table} VALUES (1, '')`);
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  /**
   * Two serializable transactions that read the same row and then both write it: the second
   * writer gets 40001 (could not serialize access due to concurrent update). `run` is how the
   * transaction is started; each writer counts its attempts.
   */
  async function conflict(run: (fn: (trx: Kysely<Db>) => Promise<void>) => Promise<void>) {
    const attempts = { a: 0, b: 0 };
    const bothRead = barrier(2);
    const writer = (who: 'a' | 'b') =>
      run(async (trx) => {
        const first = ++attempts[who] === 1;
        const { name } = await trx.selectFrom(table).select('name').where('id', '=', 1).executeTakeFirstOrThrow();
        if (first) await bothRead();
        await trx.updateTable(table).set({ name: name + who }).where('id', '=', 1).execute();
      });
    const outcomes = await Promise.allSettled([writer('a'), writer('b')]);
    const { name } = (await admin.query(`SELECT name FROM ${table} WHERE id = 1`)).rows[0] as { name: string };
    return { attempts, outcomes, name };
  }

  it('a plain db.transaction().execute(fn) is never run again: the serialization failure reaches the caller', async () => {
    const { db } = kysely(POSTGRES_URL);
    const { attempts, outcomes, name } = await conflict((fn) => db.transaction().setIsolationLevel('serializable').execute(fn));
    expect(attempts).toEqual({ a: 1, b: 1 });
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toMatchObject({ code: '40001' });
    expect(name).toHaveLength(1);
  });

  it('retryTransaction runs fn again after a real serialization failure, keeping the builder\'s isolation level, and both commit', async () => {
    const { db } = kysely(POSTGRES_URL);
    const builder = db.transaction().setIsolationLevel('serializable');
    const { attempts, outcomes, name } = await conflict((fn) => retryTransaction(builder, fn, { retries: 3 }));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(attempts.a + attempts.b).toBe(3);
    expect([...name].sort().join('')).toBe('ab');
  });

  /**
   * Write skew under serializable: both count the rows, both insert one, a commits first, then b's
   * COMMIT (its function already returned) fails with 40001: the failure comes from COMMIT itself.
   */
  async function skewAtCommit(run: (fn: (trx: Kysely<Db>) => Promise<void>) => Promise<void>) {
    const attempts = { a: 0, b: 0 };
    const bothInserted = barrier(2);
    let aDone!: () => void;
    const aCommitted = new Promise<void>((resolve) => (aDone = resolve));
    const bReturned: boolean[] = [];
    const writer = (who: 'a' | 'b', id: number) =>
      run(async (trx) => {
        const first = ++attempts[who] === 1;
        const { n } = await trx.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
        await trx.insertInto(table).values({ id, name: `${who}${n}` }).execute();
        if (first) await bothInserted();
        if (who === 'b' && first) {
          await aCommitted;
          bReturned.push(true);
        }
      });
    const outcomes = await Promise.allSettled([writer('a', 10).finally(aDone), writer('b', 11)]);
    return { attempts, outcomes, bReturned };
  }

  it('a serialization failure raised by COMMIT itself is retried too (the server rolled back)', async () => {
    const { db } = kysely(POSTGRES_URL);
    const builder = db.transaction().setIsolationLevel('serializable');
    const plain = await skewAtCommit((fn) => builder.execute(fn));
    expect(plain.bReturned).toEqual([true]);
    expect(plain.outcomes[1]).toMatchObject({ status: 'rejected', reason: { code: '40001' } });
    await admin.query(`DELETE FROM ${table} WHERE id > 1`);

    const retried = await skewAtCommit((fn) => retryTransaction(builder, fn, { retries: 2 }));
    expect(retried.outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(retried.attempts).toEqual({ a: 1, b: 2 });
    const names = (await admin.query(`SELECT name FROM ${table} WHERE id > 1 ORDER BY id`)).rows.map((r: { name: string }) => r.name);
    // b's second attempt saw a's committed row.
    expect(names).toEqual(['a1', 'b2']);
  });

  it('retryTransaction gives the failure to the caller once retries are used up', async () => {
    const { db } = kysely(POSTGRES_URL);
    const builder = db.transaction().setIsolationLevel('serializable');
    const { attempts, outcomes } = await conflict((fn) => retryTransaction(builder, fn, { retries: 0 }));
    expect(attempts).toEqual({ a: 1, b: 1 });
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
  });

  it('retryTransaction runs fn again on a new connection when the backend was terminated before COMMIT', async () => {
    const { db } = kysely(POSTGRES_URL);
    const pids: number[] = [];
    await retryTransaction(
      db,
      async (trx) => {
        const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0].pid;
        pids.push(pid);
        await trx.updateTable(table).set({ name: 'written once' }).where('id', '=', 1).execute();
        if (pids.length === 1) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await sql`SELECT 1`.execute(trx);
      },
      { retries: 2 },
    );
    expect(pids).toHaveLength(2);
    expect(pids[1]).not.toBe(pids[0]);
    expect((await admin.query(`SELECT name FROM ${table} WHERE id = 1`)).rows[0].name).toBe('written once');
  });

  it('retryTransaction never runs fn again when the backend is killed during COMMIT: the outcome is unknown', async () => {
    const slow = `${table}_slow_commit`;
    // A deferred constraint trigger makes COMMIT itself take 400 ms, long enough to kill it mid-way.
    await admin.query(`CREATE TABLE ${slow} (id int PRIMARY KEY, v int NOT NULL)`);
    await admin.query(`INSERT INTO ${slow} VALUES (1, 0)`);
    await admin.query(`CREATE FUNCTION ${slow}_sleep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$`);
    await admin.query(`CREATE CONSTRAINT TRIGGER ${slow}_sleep AFTER UPDATE ON ${slow} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${slow}_sleep()`);
    try {
      const { db } = kysely(POSTGRES_URL);
      let calls = 0;
      let pid: number | undefined;
      const outcome = retryTransaction(
        db,
        async (trx) => {
          calls++;
          pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0].pid;
          await sql`UPDATE ${sql.table(slow)} SET v = v + 1 WHERE id = 1`.execute(trx);
        },
        { retries: 5 },
      ).catch((err: unknown) => err);
      while (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setTimeout(resolve, 200)); // COMMIT is in the slow trigger now
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const err = await outcome;
      expect(err).toBeInstanceOf(TransactionOutcomeUnknownError);
      expect(calls).toBe(1);
      // Killed before the trigger finished, so it did not commit; a retry would have written it.
      expect((await admin.query(`SELECT v FROM ${slow} WHERE id = 1`)).rows[0].v).toBe(0);
    } finally {
      await admin.query(`DROP TABLE IF EXISTS ${slow}`);
      await admin.query(`DROP FUNCTION IF EXISTS ${slow}_sleep()`);
    }
  });

  it('retryTransaction never runs fn again after a business error, and rejects bad retries', async () => {
    const { db } = kysely(POSTGRES_URL);
    let calls = 0;
    await expect(
      retryTransaction(
        db,
        async (trx) => {
          calls++;
          await trx.updateTable(table).set({ name: 'rolled back' }).where('id', '=', 1).execute();
          throw new Error('not today');
        },
        { retries: 5 },
      ),
    ).rejects.toThrow('not today');
    expect(calls).toBe(1);
    expect((await admin.query(`SELECT name FROM ${table} WHERE id = 1`)).rows[0].name).toBe('');
    await expect(retryTransaction(db, async () => undefined, { retries: -1 })).rejects.toThrow(ConfigError);
    await expect(retryTransaction(db, async () => undefined, { retries: 1.5 })).rejects.toThrow(/retries must be a whole number/);
  });
});

describeMysql('Kysely transactions and retries on the local MariaDB', () => {
  const table = uniqueName('w14_kretry_my');
  let admin: MysqlConnection;
  const adminQuery = (q: string) => new Promise<unknown>((res, rej) => admin.query(q, (e, r) => (e ? rej(e) : res(r))));
  beforeAll(async () => {
    admin = createConnection({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
    await adminQuery(`CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL) ENGINE=InnoDB`);
  });
  beforeEach(async () => {
    await adminQuery(`DELETE FROM ${table}`);
    await adminQuery(`INSERT INTO ${table} VALUES (1, ''), (2, '')`);
  });
  afterAll(async () => {
    await adminQuery(`DROP TABLE IF EXISTS ${table}`);
    admin.end();
  });

  /** Two transactions locking rows 1 and 2 in opposite orders: InnoDB picks one as the deadlock victim (1213). */
  async function deadlock(run: (fn: (trx: Kysely<Db>) => Promise<void>) => Promise<void>) {
    const attempts = { a: 0, b: 0 };
    const bothLocked = barrier(2);
    const writer = (who: 'a' | 'b', first: number, second: number) =>
      run(async (trx) => {
        const firstAttempt = ++attempts[who] === 1;
        await trx.updateTable(table).set({ name: sql`CONCAT(name, ${who})` }).where('id', '=', first).execute();
        if (firstAttempt) await bothLocked();
        await trx.updateTable(table).set({ name: sql`CONCAT(name, ${who})` }).where('id', '=', second).execute();
      });
    const outcomes = await Promise.allSettled([writer('a', 1, 2), writer('b', 2, 1)]);
    const rows = (await adminQuery(`SELECT name FROM ${table} ORDER BY id`)) as Array<{ name: string }>;
    return { attempts, outcomes, names: rows.map((r) => r.name) };
  }

  it('a plain db.transaction().execute(fn) is never run again: the deadlock reaches the caller', async () => {
    const { db } = kysely(MYSQL_URL);
    const { attempts, outcomes } = await deadlock((fn) => db.transaction().execute(fn));
    expect(attempts).toEqual({ a: 1, b: 1 });
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0].reason).toMatchObject({ errno: 1213 });
  });

  it('retryTransaction runs the deadlock victim again, and both commit', async () => {
    const { db } = kysely(MYSQL_URL);
    const { attempts, outcomes, names } = await deadlock((fn) => retryTransaction(db, fn, { retries: 3 }));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(attempts.a + attempts.b).toBe(3);
    expect(names.map((n) => [...n].sort().join(''))).toEqual(['ab', 'ab']);
  });
});
