/**
 * The soak (harness/soak.ts) on MariaDB: this pool's connections, by the ids the pool reported as
 * it opened them (observeConnections), are KILLed every 100 ms while 50 callers work.
 */
import { createConnection } from 'mysql2/promise';
import { describeMysql, MYSQL_URL, uniqueName } from '../helpers/databases';
import { MysqlBackendKiller } from './harness/backend-killer';
import { closeFaultPools, faultPool } from './harness/fault-pools';
import { printFigures, runSoak, SOAK_TEST_TIMEOUT_MS } from './harness/soak';

describeMysql('soak on MariaDB', () => {
  it('keeps every invariant while 50 callers work and every backend is killed every 100 ms', async () => {
    const table = uniqueName('lg_soak');
    const admin = await createConnection(MYSQL_URL);
    await admin.query(`CREATE TABLE ${table} (id varchar(64) PRIMARY KEY, amount int NOT NULL) ENGINE=InnoDB`);
    const pool = faultPool(MYSQL_URL, { max: 8, maxWaiting: 40, acquireTimeoutMs: 3000, slowQueryMs: 50 });
    const killer = await MysqlBackendKiller.connect(MYSQL_URL);
    const ids: number[] = [];
    // The server's id of each connection the pool opens (mysql2 calls it threadId).
    pool.observeConnections({
      opened: (conn) => {
        const id = (conn.raw as { threadId: number }).threadId;
        ids.push(id);
        killer.track(id);
      },
    });
    try {
      const result = await runSoak({
        label: 'MariaDB',
        pool,
        table,
        param: () => '?',
        kill: () => killer.killAll(),
        sessions: async () => {
          if (ids.length === 0) return 0;
          const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID IN (${ids.join(',')})`);
          return Number((rows as { n: number }[])[0].n);
        },
        ledgerRows: async () => (await admin.query(`SELECT id, amount FROM ${table}`))[0] as { id: string; amount: number }[],
        // The server's own error (mysql2 gives it the server's errno and SQLSTATE, and its name as
        // code), or mysql2's own code for a lost connection (PROTOCOL_CONNECTION_LOST, fatal).
        isDatabaseError: (err) => {
          const e = err as { code?: unknown; errno?: unknown; sqlState?: unknown } | null;
          if (typeof e?.code !== 'string') return false;
          return (typeof e.errno === 'number' && typeof e.sqlState === 'string') || e.code.startsWith('PROTOCOL_');
        },
      });
      printFigures('MariaDB', result);
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
