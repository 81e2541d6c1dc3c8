/**
 * Retryable transaction failures on MariaDB (a real deadlock, 1213, and a real lock wait timeout,
 * 1205) and on an embedded libsql file (SQLITE_BUSY from a writer outside the pool).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { createConnection, type Connection as MysqlAdmin } from 'mysql2/promise';
import { describeMysql, MYSQL_URL, uniqueName } from '../helpers/databases';
import { closeFaultPools, faultPool, sleep } from './harness/fault-pools';

afterEach(closeFaultPools);

describeMysql('transactions under failure on MariaDB', () => {
  const table = uniqueName('lg_tx');
  let admin: MysqlAdmin;
  beforeAll(async () => {
    admin = await createConnection(MYSQL_URL);
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL) ENGINE=InnoDB`);
  });
  beforeEach(async () => {
    await admin.query(`DELETE FROM ${table}`);
    await admin.query(`INSERT INTO ${table} VALUES (1, 0), (2, 0)`);
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });
  const values = async () => ((await admin.query(`SELECT v FROM ${table} ORDER BY id`))[0] as { v: number }[]).map((r) => r.v);

  it('retries the loser of a real deadlock (1213); both transactions end up applied once', async () => {
    const pool = faultPool(MYSQL_URL, { max: 2 });
    const codes: number[] = [];
    const attempts = [0, 0];
    let locked = 0;
    const run = (which: 0 | 1) =>
      pool.transaction(
        async (tx) => {
          attempts[which]++;
          const [first, second] = which === 0 ? [1, 2] : [2, 1];
          await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = ?`, [first]);
          if (attempts[which] === 1) {
            locked++;
            while (locked < 2) await sleep(5);
          }
          await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = ?`, [second]).catch((err: { errno?: number }) => {
            codes.push(Number(err.errno));
            throw err;
          });
        },
        { retries: 3 },
      );
    await Promise.all([run(0), run(1)]);
    expect(codes).toEqual([1213]);
    expect(attempts[0] + attempts[1]).toBe(3);
    expect(await values()).toEqual([2, 2]);
  });

  it('retries a real lock wait timeout (1205) once the lock is free', async () => {
    const pool = faultPool(MYSQL_URL, { max: 1 });
    const holder = await createConnection(MYSQL_URL);
    try {
      await holder.query('START TRANSACTION');
      await holder.query(`UPDATE ${table} SET v = 100 WHERE id = 1`);
      const codes: number[] = [];
      let attempts = 0;
      const done = pool.transaction(
        async (tx) => {
          attempts++;
          await tx.query('SET SESSION innodb_lock_wait_timeout = 1');
          await tx.query(`UPDATE ${table} SET v = v + 1 WHERE id = 1`).catch((err: { errno?: number }) => {
            codes.push(Number(err.errno));
            throw err;
          });
        },
        { retries: 2 },
      );
      await sleep(1200); // the first attempt has timed out by now
      await holder.query('COMMIT');
      await done;
      expect(codes).toEqual([1205]);
      expect(attempts).toBe(2);
      expect(await values()).toEqual([101, 0]);
    } finally {
      await holder.end();
    }
  });
});

describe('transactions under failure on an embedded libsql file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeguard-busy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('retries SQLITE_BUSY caused by a writer outside the pool, and commits once it is gone', async () => {
    const file = join(dir, 'busy.db');
    const pool = faultPool(`file:${file}`, { max: 2, adapterOptions: { pragmas: { busy_timeout: 20 } } });
    await pool.query('CREATE TABLE t (v INTEGER)');
    // Another process's writer, as far as SQLite can tell: its own client holding the write lock.
    const outsider = createClient({ url: `file:${file}` });
    try {
      const outsiderTx = await outsider.transaction('write');
      await outsiderTx.execute('INSERT INTO t VALUES (-1)');
      // Without retries the caller meets SQLITE_BUSY...
      await expect(pool.transaction((tx) => tx.query('INSERT INTO t VALUES (0)'))).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
      // ...with retries it waits out the other writer, which commits 100 ms from now.
      setTimeout(() => void outsiderTx.commit(), 100);
      let attempts = 0;
      await pool.transaction(
        async (tx) => {
          attempts++;
          await tx.query('INSERT INTO t VALUES (1)');
        },
        { retries: 6 },
      );
      expect(attempts).toBe(1); // BEGIN met SQLITE_BUSY; the function ran once, on the attempt that got the lock
      const rows = await pool.query<{ v: number }>('SELECT v FROM t ORDER BY v');
      expect(rows.rows.map((r) => r.v)).toEqual([-1, 1]);
    } finally {
      outsider.close();
    }
  });
});
