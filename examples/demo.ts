/**
 * The demo behind `npm start`: an embedded libsql database, a concurrent workload through one pool
 * (reads, single writes and multi-statement transactions from 32 callers at once), then a short
 * report. No server needed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, silentLogger, type Pool } from '../src';

const CALLERS = 32;
const DURATION_MS = Number(process.env.DEMO_DURATION_MS ?? 3000);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeguard-demo-'));
  const pool = createPool({ name: 'demo', url: `file:${join(dir, 'demo.db')}`, min: 2, max: 8, profile: 'development', env: {}, logger: silentLogger });
  const alerts: string[] = [];
  pool.on('utilization', (e) => alerts.push(e.level));
  try {
    await pool.warmup();
    await pool.query('CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
    await pool.query('CREATE TABLE transfers (id INTEGER PRIMARY KEY AUTOINCREMENT, src INTEGER, dst INTEGER, amount INTEGER)');
    await pool.transaction(async (tx) => {
      for (let id = 1; id <= 100; id++) await tx.query('INSERT INTO accounts (id, balance) VALUES (?, ?)', [id, 1000]);
    });

    const latencies: number[] = [];
    const counts = { reads: 0, writes: 0, transactions: 0, errors: 0 };
    const stopAt = Date.now() + DURATION_MS;
    const started = performance.now();
    await Promise.all(Array.from({ length: CALLERS }, (_, caller) => work(pool, caller, stopAt, latencies, counts)));
    const seconds = (performance.now() - started) / 1000;

    const total = await pool.query<{ sum: number }>('SELECT SUM(balance) AS sum FROM accounts');
    report(pool, seconds, latencies, counts, Number(total.rows[0].sum));
    console.log(`  alerts       ${alerts.length} utilization events (${alerts.join(' → ') || 'none'})`);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function work(
  pool: Pool,
  caller: number,
  stopAt: number,
  latencies: number[],
  counts: { reads: number; writes: number; transactions: number; errors: number },
): Promise<void> {
  for (let i = 0; Date.now() < stopAt; i++) {
    const kind = (caller + i) % 10;
    const started = performance.now();
    try {
      if (kind < 6) {
        await pool.query('SELECT balance FROM accounts WHERE id = ?', [1 + ((caller * 7 + i) % 100)]);
        counts.reads++;
      } else if (kind < 8) {
        await pool.query('UPDATE accounts SET balance = balance WHERE id = ?', [1 + (i % 100)]);
        counts.writes++;
      } else {
        const [src, dst] = [1 + ((caller + i) % 100), 1 + ((caller * 3 + i + 1) % 100)];
        await pool.transaction(async (tx) => {
          await tx.query('UPDATE accounts SET balance = balance - 1 WHERE id = ?', [src]);
          await tx.query('UPDATE accounts SET balance = balance + 1 WHERE id = ?', [dst]);
          await tx.query('INSERT INTO transfers (src, dst, amount) VALUES (?, ?, 1)', [src, dst]);
        });
        counts.transactions++;
      }
    } catch (err) {
      counts.errors++;
      if (counts.errors <= 3) console.error('demo: operation failed:', (err as Error).message);
    }
    latencies.push(performance.now() - started);
  }
}

function report(pool: Pool, seconds: number, latencies: number[], counts: Record<string, number>, sum: number): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)].toFixed(2);
  const stats = pool.stats();
  const ops = counts.reads + counts.writes + counts.transactions;
  console.log(`lifeguard demo — embedded libsql, ${CALLERS} concurrent callers, pool min ${stats.min} / max ${stats.max}`);
  console.log(`  operations   ${ops} in ${seconds.toFixed(1)} s = ${Math.round(ops / seconds)} ops/s`);
  console.log(`  mix          ${counts.reads} reads, ${counts.writes} writes, ${counts.transactions} transactions, ${counts.errors} errors`);
  console.log(`  latency ms   p50 ${at(0.5)}  p95 ${at(0.95)}  p99 ${at(0.99)}  max ${sorted[sorted.length - 1].toFixed(2)}`);
  console.log(`  acquire wait p50 ${stats.waitMs.p50} ms  p95 ${stats.waitMs.p95} ms  max ${stats.waitMs.max} ms`);
  console.log(`  pool         total ${stats.total}, idle ${stats.idle}, active ${stats.active}, created ${stats.counters.created}, timeouts ${stats.counters.acquireTimeouts}`);
  console.log(`  invariant    sum of balances ${sum} (expected 100000): ${sum === 100000 ? 'ok' : 'BROKEN'}`);
  if (sum !== 100000 || counts.errors > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
