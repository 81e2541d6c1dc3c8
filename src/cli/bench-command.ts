/**
 * `lifeguard bench`: a closed-loop load of one SQL statement against the configured database,
 * with live progress and a final table. Exit 1 when any query failed.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { createPool } from '../process/open-pools';
import { durationMs, wholeNumber } from './arguments';
import { EXIT, type ExitCode } from './exit-codes';
import { interruptOnSigint, runLoad, watchAcquireWaits, type AcquireWaits, type LoadResult } from './load';
import { formatMs, formatTable, printJson, printLines } from './output';
import { addPoolFlags, poolOptionsFrom, type PoolFlags } from './pool-flags';
import { progressDisplay } from './progress';

interface BenchFlags extends PoolFlags {
  concurrency: number;
  duration: number;
  sql: string;
  params?: unknown[];
  progress: boolean;
  json?: boolean;
}

export interface BenchReport {
  pool: string;
  url: string;
  adapter: string;
  sql: string;
  concurrency: number;
  poolMax: number;
  load: LoadResult;
  acquire: AcquireWaits;
  connectionsCreated: number;
  /** Statements sent pipelined on shared connections (PostgreSQL, pipelineDepth > 0): they need no acquire of their own. */
  pipelined: number;
  /** Stopped early by SIGINT (Ctrl-C): the figures cover the time it ran. */
  interrupted: boolean;
}

export function registerBenchCommand(program: Command, finish: (code: ExitCode) => void): void {
  addPoolFlags(program.command('bench'))
    .description('run a load (concurrency, duration, SQL) through the pool; report throughput, latency percentiles, acquire waits, errors')
    .option('-c, --concurrency <n>', 'callers running queries at once', wholeNumber(1), 16)
    .option('-d, --duration <duration>', 'how long to run (10s, 500ms, 1m)', durationMs, 10_000)
    .option('--sql <sql>', 'the statement each caller runs', 'SELECT 1')
    .option('--params <json>', 'parameters for the statement, a JSON array', jsonArray)
    .option('--no-progress', 'no progress bar or progress lines')
    .option('--json', 'print the report as JSON')
    .action(async (flags: BenchFlags) => finish(await benchAction(flags)));
}

async function benchAction(flags: BenchFlags): Promise<ExitCode> {
  const report = await runBench(flags);
  if (flags.json) printJson(report);
  else printBench(report);
  return report.load.errors > 0 ? EXIT.failed : EXIT.ok;
}

async function runBench(flags: BenchFlags): Promise<BenchReport> {
  const pool = createPool(poolOptionsFrom(flags));
  try {
    await pool.warmup();
    // One query first: a typo in --sql should fail at once, not ten thousand times.
    await pool.query(flags.sql, flags.params);
    const display = progressDisplay('bench', flags.progress && !flags.json);
    const stopWatching = watchAcquireWaits(pool);
    const pipelinedBefore = pool.stats().pipeline?.sent ?? 0;
    const interrupt = interruptOnSigint();
    let load: LoadResult;
    try {
      load = await runLoad({
        concurrency: flags.concurrency,
        durationMs: flags.duration,
        operation: async () => void (await pool.query(flags.sql, flags.params)),
        onProgress: (p) => display.update(p),
        signal: interrupt.signal,
      });
    } finally {
      interrupt.dispose();
      display.stop();
    }
    return {
      pool: pool.name,
      url: pool.config.url,
      adapter: pool.adapter.name,
      sql: flags.sql,
      concurrency: flags.concurrency,
      poolMax: pool.config.max,
      load,
      acquire: stopWatching(),
      connectionsCreated: pool.stats().counters.created,
      pipelined: (pool.stats().pipeline?.sent ?? 0) - pipelinedBefore,
      interrupted: interrupt.signal.aborted,
    };
  } finally {
    await pool.close({ timeoutMs: 5000 });
  }
}

function printBench(r: BenchReport): void {
  const { load, acquire } = r;
  const pct = (p: { p50: number; p95: number; p99: number; max: number }) =>
    `p50 ${formatMs(p.p50)}  p95 ${formatMs(p.p95)}  p99 ${formatMs(p.p99)}  max ${formatMs(p.max)}`;
  const rows = [
    ['throughput', `${Math.round(load.perSecond)} queries/s (${load.operations} in ${(load.elapsedMs / 1000).toFixed(1)} s)`],
    ['latency', pct(load.latencyMs)],
    ['acquire waits', `${acquire.waited} of ${acquire.acquires} acquires waited ≥ 1 ms; ${pct(acquire.waitMs)}`],
    ...(r.pipelined > 0 ? [['pipelined', `${r.pipelined} statements shared a connection (no acquire of their own)`]] : []),
    ['timeouts', String(acquire.timeouts)],
    ['errors', load.errors === 0 ? '0' : `${load.errors} (${Object.entries(load.errorsByCode).map(([code, n]) => `${code} ×${n}`).join(', ')})`],
    ['connections', `${r.connectionsCreated} opened (pool max ${r.poolMax})`],
  ];
  for (const sample of load.errorSamples) rows.push(['first error', sample]);
  const header = `lifeguard bench — ${r.concurrency} callers on pool "${r.pool}" (${r.adapter}), ${r.url}${r.interrupted ? ' (interrupted)' : ''}`;
  printLines(header, `  sql  ${r.sql}`, formatTable(rows));
}

function jsonArray(raw: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`expected a JSON array such as '[1, "a"]', got ${JSON.stringify(raw)}.`);
  }
  if (!Array.isArray(value)) throw new InvalidArgumentError(`expected a JSON array such as '[1, "a"]', got ${JSON.stringify(raw)}.`);
  return value;
}
