/**
 * The ledger invariant: 20 workers move money between accounts, each transfer two UPDATEs and a
 * log row in one transaction(), while every backend of the pool is killed every 150 ms. Nothing
 * committed may be lost and nothing half-done may be seen: the sum of balances never changes,
 * every balance equals the replay of the log, every transfer that resolved is in the log, every
 * transfer that failed with a known outcome is not, and once the killer stops, all transfers commit.
 */
import { Client } from 'pg';
import { createConnection, type Connection as MysqlAdmin } from 'mysql2/promise';
import { TransactionOutcomeUnknownError, type Pool } from '../../src';
import { describeMysql, describePostgres, MYSQL_URL, POSTGRES_URL, uniqueName } from '../helpers/databases';
import { MysqlBackendKiller, PostgresBackendKiller, type BackendKiller } from './harness/backend-killer';
import { closeFaultPools, faultPool, sleep } from './harness/fault-pools';

const ACCOUNTS = 10;
const OPENING_BALANCE = 1000;
const WORKERS = 20;
const KILL_EVERY_MS = 150;
const KILLING_FOR_MS = 3000;
const TRANSFERS_AFTER_PER_WORKER = 3;

interface Ledger {
  /** SQL with the dialect's placeholders: $n for PostgreSQL, ? for MariaDB. */
  debit: string;
  credit: string;
  log: string;
  /** Runs a read on the admin connection. */
  read<R>(sql: string): Promise<R[]>;
  /** Called with each connection a transfer used (MariaDB reports ids to its killer). */
  onConnection?(raw: unknown): void;
}

type Outcome = 'committed' | 'unknown' | 'failed';

async function transfer(pool: Pool, ledger: Ledger, id: string, retries: number): Promise<Outcome> {
  const from = 1 + Math.floor(Math.random() * ACCOUNTS);
  const to = 1 + ((from + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS);
  const amount = 1 + Math.floor(Math.random() * 50);
  try {
    await pool.transaction(
      async (tx) => {
        ledger.onConnection?.(tx.raw);
        // Lower id first, so transfers never deadlock each other: the faults here are the kills.
        const [first, second] = from < to ? [ledger.debit, ledger.credit] : [ledger.credit, ledger.debit];
        await tx.query(first, from < to ? [amount, from] : [amount, to]);
        await tx.query(second, from < to ? [amount, to] : [amount, from]);
        await tx.query(ledger.log, [id, from, to, amount]);
      },
      { retries },
    );
    return 'committed';
  } catch (err) {
    return err instanceof TransactionOutcomeUnknownError ? 'unknown' : 'failed';
  }
}

function runLedgerInvariant(label: string, setup: () => Promise<{ pool: Pool; ledger: Ledger; killer: BackendKiller; cleanup(): Promise<void> }>) {
  it('keeps every committed transfer and the sum of balances while every backend is killed every 150 ms', async () => {
    const { pool, ledger, killer, cleanup } = await setup();
    try {
      const outcomes = new Map<string, Outcome>();
      const sums = new Set<number>();
      let killing = true;
      let sequence = 0;
      const worker = async (w: number) => {
        while (killing) {
          const id = `w${w}-${sequence++}`;
          // Half the workers retry, half do not: both a retried and a surfaced failure are checked.
          outcomes.set(id, await transfer(pool, ledger, id, w % 2 === 0 ? 2 : 0));
        }
      };
      const watchSum = async () => {
        while (killing) {
          const [row] = await ledger.read<{ total: number | string }>('SELECT SUM(balance) AS total FROM accounts_table');
          sums.add(Number(row.total));
          await sleep(50);
        }
      };
      killer.startPeriodic(KILL_EVERY_MS);
      const running = [...Array.from({ length: WORKERS }, (_, w) => worker(w)), watchSum()];
      await sleep(KILLING_FOR_MS);
      const killed = await killer.stop();
      killing = false;
      await Promise.all(running);

      // After the killer: every new transfer commits.
      const after = await Promise.all(
        Array.from({ length: WORKERS * TRANSFERS_AFTER_PER_WORKER }, (_, i) => transfer(pool, ledger, `after-${i}`, 0).then((o) => [`after-${i}`, o] as const)),
      );

      const logged = new Set((await ledger.read<{ transfer_id: string }>('SELECT transfer_id FROM log_table')).map((r) => r.transfer_id));
      const counts = { committed: 0, unknown: 0, failed: 0, unknownApplied: 0 };
      for (const [id, outcome] of outcomes) {
        counts[outcome]++;
        if (outcome === 'unknown' && logged.has(id)) counts.unknownApplied++;
      }
      console.log(
        `[figure] ledger ${label}: ${killed} backends killed in ${KILLING_FOR_MS} ms; ${outcomes.size} transfers during: ` +
          `${counts.committed} committed, ${counts.failed} failed (none applied), ${counts.unknown} outcome unknown ` +
          `(${counts.unknownApplied} of them applied); ` +
          `after the killer stopped: ${after.filter(([, o]) => o === 'committed').length}/${after.length} committed`,
      );

      expect(killed).toBeGreaterThan(10);
      expect(counts.committed).toBeGreaterThan(0);
      expect(after.every(([, o]) => o === 'committed')).toBe(true);
      expect([...sums]).toEqual([ACCOUNTS * OPENING_BALANCE]);

      for (const [id, outcome] of [...outcomes, ...after]) {
        if (outcome === 'committed') expect(logged.has(id) ? id : `${id} (committed, missing from the log)`).toBe(id);
        if (outcome === 'failed') expect(logged.has(id) ? `${id} (failed, yet in the log)` : id).toBe(id);
      }
      const balances = await ledger.read<{ id: number; balance: number }>('SELECT id, balance FROM accounts_table ORDER BY id');
      const replayed = new Map<number, number>(Array.from({ length: ACCOUNTS }, (_, i) => [i + 1, OPENING_BALANCE]));
      for (const row of await ledger.read<{ from_id: number; to_id: number; amount: number }>('SELECT from_id, to_id, amount FROM log_table')) {
        replayed.set(row.from_id, (replayed.get(row.from_id) as number) - row.amount);
        replayed.set(row.to_id, (replayed.get(row.to_id) as number) + row.amount);
      }
      expect(balances.map((r) => [Number(r.id), Number(r.balance)])).toEqual([...replayed.entries()]);
      expect(balances.reduce((sum, r) => sum + Number(r.balance), 0)).toBe(ACCOUNTS * OPENING_BALANCE);
    } finally {
      await killer.close();
      await closeFaultPools();
      await cleanup();
    }
  }, 30_000);
}

describePostgres('ledger invariant on PostgreSQL', () => {
  runLedgerInvariant('PostgreSQL', async () => {
    const accounts = uniqueName('lg_accounts');
    const log = uniqueName('lg_log');
    const admin = new Client({ connectionString: POSTGRES_URL, application_name: `${accounts}_admin` });
    await admin.connect();
    await admin.query(`CREATE TABLE ${accounts} (id int PRIMARY KEY, balance int NOT NULL)`);
    await admin.query(`INSERT INTO ${accounts} SELECT g, ${OPENING_BALANCE} FROM generate_series(1, ${ACCOUNTS}) g`);
    await admin.query(`CREATE TABLE ${log} (transfer_id text PRIMARY KEY, from_id int NOT NULL, to_id int NOT NULL, amount int NOT NULL)`);
    const pool = faultPool(POSTGRES_URL, { max: 10, testOnAcquire: true, acquireTimeoutMs: 5000 });
    const killer = await PostgresBackendKiller.connect(POSTGRES_URL, pool.config.applicationName as string);
    const ledger: Ledger = {
      debit: `UPDATE ${accounts} SET balance = balance - $1 WHERE id = $2`,
      credit: `UPDATE ${accounts} SET balance = balance + $1 WHERE id = $2`,
      log: `INSERT INTO ${log} (transfer_id, from_id, to_id, amount) VALUES ($1, $2, $3, $4)`,
      read: async (sql) => (await admin.query(sql.replace('accounts_table', accounts).replace('log_table', log))).rows,
    };
    return {
      pool,
      ledger,
      killer,
      cleanup: async () => {
        await admin.query(`DROP TABLE IF EXISTS ${accounts}, ${log}`);
        await admin.end();
      },
    };
  });
});

describeMysql('ledger invariant on MariaDB', () => {
  runLedgerInvariant('MariaDB', async () => {
    const accounts = uniqueName('lg_accounts');
    const log = uniqueName('lg_log');
    const admin: MysqlAdmin = await createConnection(MYSQL_URL);
    await admin.query(`CREATE TABLE ${accounts} (id int PRIMARY KEY, balance int NOT NULL) ENGINE=InnoDB`);
    await admin.query(`INSERT INTO ${accounts} VALUES ${Array.from({ length: ACCOUNTS }, (_, i) => `(${i + 1}, ${OPENING_BALANCE})`).join(',')}`);
    await admin.query(`CREATE TABLE ${log} (transfer_id varchar(64) PRIMARY KEY, from_id int NOT NULL, to_id int NOT NULL, amount int NOT NULL) ENGINE=InnoDB`);
    const pool = faultPool(MYSQL_URL, { max: 10, testOnAcquire: true, acquireTimeoutMs: 5000 });
    const killer = await MysqlBackendKiller.connect(MYSQL_URL);
    const ledger: Ledger = {
      debit: `UPDATE ${accounts} SET balance = balance - ? WHERE id = ?`,
      credit: `UPDATE ${accounts} SET balance = balance + ? WHERE id = ?`,
      log: `INSERT INTO ${log} (transfer_id, from_id, to_id, amount) VALUES (?, ?, ?, ?)`,
      read: async <R>(sql: string) => (await admin.query(sql.replace('accounts_table', accounts).replace('log_table', log)))[0] as R[],
      // The pool's own connections, by the id the server gave them (mysql2 reports it as threadId).
      onConnection: (raw) => killer.track((raw as { threadId: number }).threadId),
    };
    return {
      pool,
      ledger,
      killer,
      cleanup: async () => {
        await admin.query(`DROP TABLE IF EXISTS ${accounts}, ${log}`);
        await admin.end();
      },
    };
  });
});
