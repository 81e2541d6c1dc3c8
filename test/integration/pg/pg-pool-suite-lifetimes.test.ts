/**
 * node-postgres's own pg-pool tests, ported to PgPool on the real PostgreSQL (part 3: idle and
 * lifetime timeouts, allowExitOnIdle, a client released inside a transaction). Source:
 * brianc/node-postgres, packages/pg-pool/test/<file> as named in each describe. Test names are pg's;
 * where PgPool differs from pg.Pool by design (docs/integrations.md, "Where PgPool differs"), the
 * name says "PgPool:" and the test holds PgPool to its documented behaviour. pg's idle timeout is a
 * timer per client; lifeguard's is checked at each housekeeping tick (evictionIntervalMs, 50 ms in
 * these tests), so where pg waits 2 ms these tests wait for the tick.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describePostgres, POSTGRES_URL } from '../../helpers/databases';
import { endPgPools, testPgPool, waitFor } from '../../helpers/pg-pools';
import { pidOf, wait } from './pg-pool-suite-helpers';

describePostgres('pg-pool test suite, ported (part 3: idle and lifetime timeouts)', () => {
  afterEach(endPgPools);

  describe('idle timeout (idle-timeout.js)', () => {
    it('should timeout and remove the client', async () => {
      const pool = testPgPool({ idleTimeoutMillis: 10 });
      const removed = new Promise<[number, number]>((resolve) => pool.on('remove', () => resolve([pool.idleCount, pool.totalCount])));
      void pool.query('SELECT NOW()');
      expect(await removed).toEqual([0, 0]);
    });

    it('times out and removes clients when others are also removed', async () => {
      const pool = testPgPool({ idleTimeoutMillis: 10 });
      const removals: unknown[] = [];
      pool.on('remove', (client) => removals.push(client));
      const clientA = await pool.connect();
      const clientB = await pool.connect();
      clientA.release();
      clientB.release(new Error());
      await waitFor(() => removals.length === 2, 2000);
      expect(removals).toEqual(expect.arrayContaining([clientA, clientB]));
      expect(pool.idleCount).toBe(0);
      expect(pool.totalCount).toBe(0);
    });

    it('can remove idle clients and recreate them (PgPool: removed at the next housekeeping tick)', async () => {
      const pool = testPgPool({ idleTimeoutMillis: 1 });
      const pids = new Set<number>();
      for (let i = 0; i < 5; i++) {
        const client = await pool.connect();
        pids.add(pidOf(client));
        await client.query('SELECT NOW()');
        client.release();
        expect(pool.totalCount).toBe(1);
        await waitFor(() => pool.totalCount === 0);
        expect(pool.idleCount).toBe(0);
      }
      expect(pids.size).toBe(5);
    });

    it('does not time out clients which are used', async () => {
      const pool = testPgPool({ idleTimeoutMillis: 1 });
      const results: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        const client = await pool.connect();
        expect(pool.totalCount).toBe(1);
        expect(pool.idleCount).toBe(0);
        // Held past the idle timeout and past a housekeeping tick: a lent client is not idle.
        await wait(80);
        results.push(await client.query('SELECT NOW()'));
        client.release();
        expect(pool.idleCount).toBe(1);
        expect(pool.totalCount).toBe(1);
        await waitFor(() => pool.totalCount === 0);
      }
      expect(results).toHaveLength(5);
      await pool.end();
    });

    describe('a process using the pool (idle-timeout-exit.js, run as a child)', () => {
      const entry = resolve(__dirname, '../../../dist/src/integrations/pg/index.js');
      // idle-timeout-exit.js with PgPool: two queries, then idle; 'removed' when the idle timeout
      // closes the client. Neither child calls end(): with allowExitOnIdle it exits while the client
      // is idle; without, the idle client holds it until the idle timeout removes it, then it exits.
      // pg's child uses a 200 ms idle timeout for both; with allowExitOnIdle this one's is 10 s (and
      // the lifetime 30 s), so a loaded machine cannot reach it before the exit and the test shows
      // the process did not wait for it.
      const script = (allowExitOnIdle: boolean) =>
        `const { PgPool } = require(${JSON.stringify(entry)});
         const pool = new PgPool({ connectionString: ${JSON.stringify(POSTGRES_URL)}, env: {}, profile: 'test', maxLifetimeSeconds: ${allowExitOnIdle ? 30 : 2}, idleTimeoutMillis: ${allowExitOnIdle ? 10_000 : 200}, allowExitOnIdle: ${allowExitOnIdle}, name: 'lg_pg_suite_exit_${process.pid}' });
         pool.query('SELECT NOW()', () => console.log('completed first'));
         pool.on('remove', () => console.log('removed'));
         setTimeout(() => pool.query('SELECT * from generate_series(0, 1000)', () => console.log('completed second')), 50);`;

      function run(allowExitOnIdle: boolean): Promise<{ exitCode: number | null; stdout: string }> {
        return new Promise((done) => {
          const child = spawn(process.execPath, ['-e', script(allowExitOnIdle)], { cwd: join(__dirname, '../../..') });
          let stdout = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          const timer = setTimeout(() => child.kill(), 20_000);
          child.on('exit', (exitCode) => {
            clearTimeout(timer);
            done({ exitCode, stdout });
          });
        });
      }

      it('unrefs the connections and timeouts so the program can exit when idle when the allowExitOnIdle option is set', async () => {
        const started = Date.now();
        expect(await run(true)).toEqual({ exitCode: 0, stdout: 'completed first\ncompleted second\n' });
        expect(Date.now() - started).toBeLessThan(10_000);
      });

      it('keeps old behavior when allowExitOnIdle option is not set', async () => {
        const { exitCode, stdout } = await run(false);
        expect(exitCode).toBe(0);
        // One 'removed' per client: two when the second query came before the first client was free.
        expect(stdout).toMatch(/^completed first\ncompleted second\n(removed\n){1,2}$/);
      });
    });
  });

  describe('lifetime timeout (lifetime-timeout.js)', () => {
    it('connection lifetime should expire and remove the client', async () => {
      const pool = testPgPool({ maxLifetimeSeconds: 1 });
      const removed = new Promise<[number, number]>((resolve) => pool.on('remove', () => resolve([pool.expiredCount, pool.totalCount])));
      void pool.query('SELECT NOW()');
      expect(await removed).toEqual([0, 0]);
    });

    it('connection lifetime should expire and remove the client after the client is done working', async () => {
      const pool = testPgPool({ maxLifetimeSeconds: 1 });
      let finished = false;
      const removed = new Promise<[boolean, number, number]>((resolve) => pool.on('remove', () => resolve([finished, pool.expiredCount, pool.totalCount])));
      void pool.query('SELECT pg_sleep(1.4)').then(() => (finished = true));
      expect(await removed).toEqual([true, 0, 0]);
    });

    it('can remove expired clients and recreate them', async () => {
      const pool = testPgPool({ maxLifetimeSeconds: 1 });
      const query = pool.query('SELECT pg_sleep(1.4)');
      expect(pool.expiredCount).toBe(0);
      await waitFor(() => pool.totalCount === 1);
      await query;
      await waitFor(() => pool.totalCount === 0, 1000);
      expect(pool.expiredCount).toBe(0);
      await pool.query('SELECT NOW()');
      expect(pool.expiredCount).toBe(0);
      expect(pool.totalCount).toBe(1);
    });
  });

  describe('a client released inside a transaction (poison-pool.js, leaked-pool.js)', () => {
    // pg-pool 3.x lends such a client again with its transaction open (leaked-pool.js's default),
    // or removes it (evictOnOpenTransaction, poison-pool.js). lifeguard rolls the transaction back
    // and keeps the connection: the next holder never inherits someone's transaction.
    it('removes a client with an open transaction on release (PgPool: rolls it back and keeps the connection)', async () => {
      const pool = testPgPool({ max: 1 });
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query("SELECT set_config('lg.suite', 'inside', true)");
      expect(client.getTransactionStatus()).toBe('T');
      const pid = pidOf(client);
      client.release();
      const next = await pool.connect();
      expect(pidOf(next)).toBe(pid);
      expect(next.getTransactionStatus()).toBe('I');
      expect((await next.query("SELECT current_setting('lg.suite', true) AS v")).rows[0].v).not.toBe('inside');
      next.release();
    });

    it('removes a client in a failed transaction state on release (PgPool: rolls it back and keeps the connection)', async () => {
      const pool = testPgPool({ max: 1 });
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query('SELECT invalid_column FROM nonexistent_table').catch(() => undefined);
      await client.query('SELECT 1').catch(() => undefined);
      expect(client.getTransactionStatus()).toBe('E');
      client.release();
      const { rows } = await pool.query('SELECT 1 as num');
      expect(rows[0].num).toBe(1);
      expect(pool.totalCount).toBe(1);
      expect(pool.idleCount).toBe(1);
    });

    it('removes a client after pool.query leaks transaction via BEGIN (PgPool: rolled back, the next pool.query is outside any transaction)', async () => {
      const pool = testPgPool({ max: 1 });
      await pool.query('BEGIN');
      const { rows } = await pool.query('SELECT now() = statement_timestamp() AS autocommit');
      expect(rows[0].autocommit).toBe(true);
      expect(pool.totalCount).toBe(1);
      expect(pool.idleCount).toBe(1);
    });
  });
});
