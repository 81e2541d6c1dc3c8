/**
 * The demo's bank: accounts and transfers, in SQL that runs on libsql/SQLite, PostgreSQL and
 * MySQL/MariaDB. Placeholders differ ($1 for postgres, ? for the others), and so does the DDL of
 * an auto-increment key; table names are unique per run so the demo can share a server.
 */
import type { Pool } from '../src';

export const ACCOUNTS = 100;
export const OPENING_BALANCE = 1000;

export interface Bank {
  accounts: string;
  transfers: string;
  /** The n-th placeholder (1-based) in this database's style. */
  p(n: number): string;
}

export function bankFor(pool: Pool): Bank {
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const postgres = pool.adapter.name === 'postgres';
  return { accounts: `demo_accounts_${suffix}`, transfers: `demo_transfers_${suffix}`, p: (n) => (postgres ? `$${n}` : '?') };
}

function autoIncrementKey(pool: Pool): string {
  if (pool.adapter.name === 'postgres') return 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY';
  if (pool.adapter.name === 'mysql') return 'BIGINT AUTO_INCREMENT PRIMARY KEY';
  return 'INTEGER PRIMARY KEY AUTOINCREMENT';
}

export async function createBank(pool: Pool, bank: Bank): Promise<void> {
  await pool.query(`CREATE TABLE ${bank.accounts} (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)`);
  await pool.query(`CREATE TABLE ${bank.transfers} (id ${autoIncrementKey(pool)}, src INTEGER NOT NULL, dst INTEGER NOT NULL, amount INTEGER NOT NULL)`);
  await pool.transaction(async (tx) => {
    for (let id = 1; id <= ACCOUNTS; id++) {
      await tx.query(`INSERT INTO ${bank.accounts} (id, balance) VALUES (${bank.p(1)}, ${bank.p(2)})`, [id, OPENING_BALANCE]);
    }
  });
}

export async function dropBank(pool: Pool, bank: Bank): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${bank.transfers}`);
  await pool.query(`DROP TABLE IF EXISTS ${bank.accounts}`);
}

export type OperationKind = 'read' | 'write' | 'transfer';

/** Six reads, two single writes and two transfers in every ten operations. */
export function kindOf(caller: number, iteration: number): OperationKind {
  const slot = (caller + iteration) % 10;
  return slot < 6 ? 'read' : slot < 8 ? 'write' : 'transfer';
}

export async function runOperation(pool: Pool, bank: Bank, kind: OperationKind, caller: number, iteration: number): Promise<void> {
  const account = 1 + ((caller * 7 + iteration) % ACCOUNTS);
  if (kind === 'read') {
    await pool.query(`SELECT balance FROM ${bank.accounts} WHERE id = ${bank.p(1)}`, [account]);
  } else if (kind === 'write') {
    // A write that leaves the money where it is, so the invariant below still holds.
    await pool.query(`UPDATE ${bank.accounts} SET balance = balance + 0 WHERE id = ${bank.p(1)}`, [account]);
  } else {
    await transfer(pool, bank, account, 1 + ((caller * 3 + iteration + 1) % ACCOUNTS));
  }
}

async function transfer(pool: Pool, bank: Bank, from: number, to: number): Promise<void> {
  if (from === to) to = (to % ACCOUNTS) + 1;
  // Rows locked in id order on every path: two opposite transfers cannot deadlock on a server.
  const [first, second] = from < to ? [{ id: from, delta: -1 }, { id: to, delta: 1 }] : [{ id: to, delta: 1 }, { id: from, delta: -1 }];
  await pool.transaction(
    async (tx) => {
      for (const { id, delta } of [first, second]) {
        await tx.query(`UPDATE ${bank.accounts} SET balance = balance + ${bank.p(1)} WHERE id = ${bank.p(2)}`, [delta, id]);
      }
      await tx.query(`INSERT INTO ${bank.transfers} (src, dst, amount) VALUES (${bank.p(1)}, ${bank.p(2)}, 1)`, [from, to]);
    },
    { retries: 3 },
  );
}

export async function totalBalance(pool: Pool, bank: Bank): Promise<number> {
  const result = await pool.query<{ total: unknown }>(`SELECT SUM(balance) AS total FROM ${bank.accounts}`);
  // PostgreSQL returns SUM as a bigint string, MySQL as a decimal string.
  return Number(result.rows[0]?.total);
}
