/**
 * Transactions under failure on the local PostgreSQL, with real serialization failures, real
 * deadlocks, a backend killed during COMMIT and an answer to COMMIT lost on the way back.
 */
import { Client } from 'pg';
import { TransactionOutcomeUnknownError } from '../../src';
import { describePostgres, POSTGRES_URL, uniqueName } from '../helpers/databases';
import { PostgresBackendKiller } from './harness/backend-killer';
import { closeFaultPools, faultPool, sleep } from './harness/fault-pools';
import { TcpProxy } from './harness/tcp-proxy';

describePostgres('transactions under failure on PostgreSQL', () => {
  const table = uniqueName('lg_tx');
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: POSTGRES_URL, application_name: `${table}_admin` });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL)`);
  });
  beforeEach(async () => {
    await admin.query(`TRUNCATE ${table}`);
    await admin.query(`INSERT INTO ${table} VALUES (1, 0), (2, 0)`);
  });
  afterEach(closeFaultPools);
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  const valueOf = async (id: number) => (await admin.query<{ v: number }>(`SELECT v FROM ${table} WHERE id = $1`, [id])).rows[0].v;

  it('retries a real serialization failure (40001) and commits on the next attempt', async () => {
    const pool = faultPool(POSTGRES_URL, { max: 2 });
    const errors: string[] = [];
    let attempts = 0;
    await pool.transaction(
      async (tx) => {
        attempts++;
        await tx.query(`SELECT v FROM ${table} WHERE id = 1`); // takes the snapshot
        if (attempts === 1) await admin.query(`UPDATE ${table} SET v = v + 100 WHERE id = 1`); // a concurrent commit
        await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = 1`).catch((err: { code?: string }) => {
          errors.push(String(err.code));
          throw err;
        });
      },
      { isolationLevel: 'repeatable read', retries: 3 },
    );
    expect(errors).toEqual(['40001']);
    expect(attempts).toBe(2);
    expect(await valueOf(1)).toBe(101);
  });

  it('surfaces the serialization failure without retries, and keeps the connection', async () => {
    const pool = faultPool(POSTGRES_URL, { max: 1 });
    const destroyed: string[] = [];
    pool.on('destroy', (e) => destroyed.push(e.reason));
    const err = await pool
      .transaction(
        async (tx) => {
          await tx.query(`SELECT v FROM ${table} WHERE id = 1`);
          await admin.query(`UPDATE ${table} SET v = v + 100 WHERE id = 1`);
          await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = 1`);
        },
        { isolationLevel: 'repeatable read' },
      )
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: '40001' });
    await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    expect(destroyed).toEqual([]);
    expect(await valueOf(1)).toBe(100);
  });

  it('retries the loser of a real deadlock (40P01); both transfers end up applied once', async () => {
    const pool = faultPool(POSTGRES_URL, { max: 2 });
    const codes: string[] = [];
    let locked = 0;
    const bothLocked = async () => {
      locked++;
      while (locked < 2) await sleep(5);
    };
    const attempts = [0, 0];
    const transfer = (which: 0 | 1) =>
      pool.transaction(
        async (tx) => {
          attempts[which]++;
          const [first, second] = which === 0 ? [1, 2] : [2, 1];
          await tx.query(`SET LOCAL deadlock_timeout = '50ms'`);
          await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = $1`, [first]);
          if (attempts[which] === 1) await bothLocked(); // first attempts meet in the middle
          await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = $1`, [second]).catch((err: { code?: string }) => {
            codes.push(String(err.code));
            throw err;
          });
        },
        { retries: 3 },
      );
    await Promise.all([transfer(0), transfer(1)]);
    expect(codes).toEqual(['40P01']);
    expect(attempts[0] + attempts[1]).toBe(3);
    expect(await valueOf(1)).toBe(2);
    expect(await valueOf(2)).toBe(2);
  });

  it('never retries when the backend is killed during COMMIT: TransactionOutcomeUnknownError, connection destroyed', async () => {
    const name = uniqueName('lg_tx_commit');
    // A deferred constraint trigger makes COMMIT itself take 400 ms, long enough to kill it mid-way.
    await admin.query(`CREATE OR REPLACE FUNCTION ${table}_slow() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$`);
    await admin.query(`CREATE CONSTRAINT TRIGGER ${table}_slow AFTER UPDATE ON ${table}
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${table}_slow()`);
    const killer = await PostgresBackendKiller.connect(POSTGRES_URL, name);
    try {
      const pool = faultPool(POSTGRES_URL, { name, max: 1 });
      const destroyed: string[] = [];
      pool.on('destroy', (e) => destroyed.push(e.reason));
      let calls = 0;
      const outcome = pool
        .transaction(
          async (tx) => {
            calls++;
            await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = 1`);
          },
          { retries: 5 },
        )
        .catch((e: unknown) => e);
      await sleep(200); // COMMIT is running the slow trigger now
      expect(await killer.killAll()).toBe(1);
      const err = await outcome;
      expect(err).toBeInstanceOf(TransactionOutcomeUnknownError);
      expect((err as Error).cause).toMatchObject({ code: '57P01' });
      expect(calls).toBe(1);
      await sleep(50);
      expect(destroyed).toContain('broken');
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await killer.close();
      await admin.query(`DROP TRIGGER ${table}_slow ON ${table}`);
    }
  });

  it('flags a COMMIT whose answer was lost as outcome unknown — it did commit, and retrying would apply it twice', async () => {
    const target = new URL(POSTGRES_URL);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    try {
      const pool = faultPool(proxy.urlFor(POSTGRES_URL), { max: 1, statementTimeoutMs: 500 });
      let calls = 0;
      const started = Date.now();
      const err = await pool
        .transaction(
          async (tx) => {
            calls++;
            await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = 2`);
            proxy.blackhole('toClient'); // COMMIT reaches the server; its answer never comes back
          },
          { retries: 5 },
        )
        .catch((e: unknown) => e);
      const elapsedMs = Date.now() - started;
      expect(err).toBeInstanceOf(TransactionOutcomeUnknownError);
      expect(calls).toBe(1);
      expect(await valueOf(2)).toBe(1); // applied exactly once
      console.log(`[figure] COMMIT answer lost: TransactionOutcomeUnknownError after ${elapsedMs} ms (statementTimeoutMs 500)`);
      expect(elapsedMs).toBeLessThan(5000);
      await proxy.resume();
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await proxy.close();
    }
  });

  it('destroys the connection when ROLLBACK cannot run, and reports the caller’s error', async () => {
    const target = new URL(POSTGRES_URL);
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    try {
      const pool = faultPool(proxy.urlFor(POSTGRES_URL), { max: 1 });
      const destroyed: string[] = [];
      pool.on('destroy', (e) => destroyed.push(e.reason));
      const err = await pool
        .transaction(async (tx) => {
          await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = 1`);
          proxy.cutAll(); // the session is gone: ROLLBACK has nowhere to go
          throw new Error('business rule failed');
        })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ message: 'business rule failed' });
      await sleep(50);
      expect(destroyed.length).toBe(1);
      expect(await valueOf(1)).toBe(0);
      await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await proxy.close();
    }
  });
});
