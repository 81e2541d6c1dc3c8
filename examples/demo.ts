/**
 * The demo behind `npm start`. With no DATABASE_URL: an embedded libsql database in a temporary
 * folder, no server needed. With DATABASE_URL (or DB_URL): the same against that database
 * (libsql, PostgreSQL or MySQL/MariaDB), in tables of its own that it drops afterwards.
 * A concurrent mixed workload (reads, writes, transfers in transactions) runs through one pool
 * with a progress bar, then a short report: throughput, latency, pool stats, health.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type HealthReport, type Pool, type PoolOptions } from '../src';
import { runLoad, watchAcquireWaits, type AcquireWaits, type LoadResult } from '../src/cli/load';
import { formatMs } from '../src/cli/output';
import { progressDisplay } from '../src/cli/progress';
import { ACCOUNTS, OPENING_BALANCE, bankFor, createBank, dropBank, kindOf, runOperation, totalBalance, type OperationKind } from './demo-workload';

const CALLERS = Number(process.env.DEMO_CALLERS ?? 32);
const DURATION_MS = Number(process.env.DEMO_DURATION_MS ?? 4000);

interface Outcome {
  load: LoadResult;
  acquire: AcquireWaits;
  mix: Record<OperationKind, number>;
  total: number;
  health: HealthReport;
  alerts: string[];
}

async function main(): Promise<void> {
  const embedded = !process.env.DATABASE_URL && !process.env.DB_URL;
  const dir = embedded ? mkdtempSync(join(tmpdir(), 'lifeguard-demo-')) : undefined;
  const options: PoolOptions = { name: 'lifeguard-demo', logger: quietLogger() };
  if (dir) Object.assign(options, { url: `file:${join(dir, 'demo.db')}`, min: 2, max: 8 });
  const pool = createPool(options);
  const bank = bankFor(pool);
  try {
    await pool.warmup();
    await createBank(pool, bank);
    const outcome = await runWorkload(pool, bank);
    report(pool, outcome, embedded);
  } finally {
    if (!embedded) await dropBank(pool, bank).catch((err: unknown) => console.error('demo: could not drop its tables:', err));
    await pool.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function runWorkload(pool: Pool, bank: ReturnType<typeof bankFor>): Promise<Outcome> {
  const alerts: string[] = [];
  pool.on('utilization', (e) => alerts.push(e.level));
  const mix: Record<OperationKind, number> = { read: 0, write: 0, transfer: 0 };
  const display = progressDisplay('demo', true);
  const stopWatching = watchAcquireWaits(pool);
  let load: LoadResult;
  try {
    load = await runLoad({
      concurrency: CALLERS,
      durationMs: DURATION_MS,
      operation: async (caller, iteration) => {
        const kind = kindOf(caller, iteration);
        await runOperation(pool, bank, kind, caller, iteration);
        mix[kind]++;
      },
      onProgress: (p) => display.update(p),
    });
  } finally {
    display.stop();
  }
  const acquire = stopWatching();
  const health = await pool.health();
  return { load, acquire, mix, total: await totalBalance(pool, bank), health, alerts };
}

function report(pool: Pool, o: Outcome, embedded: boolean): void {
  const stats = pool.stats();
  const expected = ACCOUNTS * OPENING_BALANCE;
  const where = embedded ? 'embedded libsql file (no server)' : `${pool.adapter.name} at ${pool.config.url}`;
  const lines = [
    `lifeguard demo — ${where}; ${CALLERS} concurrent callers; pool min ${stats.min} / max ${stats.max} (${pool.config.profile} profile)`,
    `  throughput    ${Math.round(o.load.perSecond)} operations/s (${o.load.operations} in ${(o.load.elapsedMs / 1000).toFixed(1)} s)`,
    `  mix           ${o.mix.read} reads, ${o.mix.write} writes, ${o.mix.transfer} transfers (transactions), ${o.load.errors} errors`,
    `  latency       p50 ${formatMs(o.load.latencyMs.p50)}  p95 ${formatMs(o.load.latencyMs.p95)}  p99 ${formatMs(o.load.latencyMs.p99)}  max ${formatMs(o.load.latencyMs.max)}`,
    `  acquire wait  ${o.acquire.waited} of ${o.acquire.acquires} acquires waited ≥ 1 ms; p95 ${formatMs(o.acquire.waitMs.p95)}, max ${formatMs(o.acquire.waitMs.max)}; ${o.acquire.timeouts} timeouts`,
    `  pool          ${stats.total} open (${stats.idle} idle, ${stats.active} in use), ${stats.counters.created} opened in all, ${stats.counters.acquires} acquires`,
    `  health        ${o.health.status} (check took ${formatMs(o.health.latencyMs)})${o.health.error ? `: ${o.health.error}` : ''}`,
    `  alerts        ${o.alerts.length} utilization events (${o.alerts.join(' → ') || 'none'})`,
    `  invariant     sum of balances ${o.total} (expected ${expected}): ${o.total === expected ? 'ok' : 'BROKEN'}`,
  ];
  for (const sample of o.load.errorSamples) lines.push(`  error         ${sample}`);
  console.log(lines.join('\n'));
  if (o.total !== expected || o.load.errors > 0 || o.health.status === 'unhealthy') process.exitCode = 1;
}

/** Errors reach stderr; warnings (utilization, slow queries) are what the report counts, not noise to print. */
function quietLogger(): NonNullable<PoolOptions['logger']> {
  return { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (obj, msg) => console.error(`demo error: ${msg ?? ''} ${JSON.stringify(obj)}`) };
}

main().catch((err: unknown) => {
  console.error('demo failed:', err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
