/**
 * The soak (harness/soak.ts) on PostgreSQL: this pool's backends, found by its unique
 * application_name, are terminated every 100 ms while 50 callers work.
 */
import { Client, DatabaseError } from 'pg';
import { describePostgres, POSTGRES_URL, uniqueName } from '../helpers/databases';
import { PostgresBackendKiller } from './harness/backend-killer';
import { closeFaultPools, faultPool } from './harness/fault-pools';
import { printFigures, runSoak, SOAK_TEST_TIMEOUT_MS } from './harness/soak';

describePostgres('soak on PostgreSQL', () => {
  it('keeps every invariant while 50 callers work and every backend is killed every 100 ms', async () => {
    const table = uniqueName('lg_soak');
    const admin = new Client({ connectionString: POSTGRES_URL, application_name: `${table}_admin` });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id varchar(64) PRIMARY KEY, amount int NOT NULL)`);
    const pool = faultPool(POSTGRES_URL, { max: 8, maxWaiting: 40, acquireTimeoutMs: 3000, slowQueryMs: 50 });
    const killer = await PostgresBackendKiller.connect(POSTGRES_URL, pool.config.applicationName as string);
    try {
      const result = await runSoak({
        label: 'PostgreSQL',
        pool,
        table,
        param: (n) => `$${n}`,
        kill: () => killer.killAll(),
        sessions: () => killer.count(),
        ledgerRows: async () => (await admin.query<{ id: string; amount: number }>(`SELECT id, amount FROM ${table}`)).rows,
        // The server's own error: a SQLSTATE it sent (pg's DatabaseError carries it as code).
        isDatabaseError: (err) => err instanceof DatabaseError && typeof err.code === 'string',
      });
      printFigures('PostgreSQL', result);
      expect(result.violations).toEqual([]);
      expect(result.figures.kills).toBeGreaterThan(10);
      expect(result.figures.committed).toBeGreaterThan(0);
    } finally {
      await killer.close();
      await closeFaultPools();
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.end();
    }
  }, SOAK_TEST_TIMEOUT_MS);
});
