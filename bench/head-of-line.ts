/**
 * Head-of-line blocking on PostgreSQL, max 10, 3 s per candidate, interleaved rounds: 4 callers
 * loop `SELECT pg_sleep(0.2)` while 60 loop `SELECT 1`. A pool that pipelines carelessly queues
 * SELECT 1s behind a sleep and their p99 becomes 200 ms; lifeguard runs a statement known to be
 * long alone (pipelineMaxStatementMs). Reported: the SELECT 1 callers' throughput and latency
 * percentiles, the sleeps completed per second (≤ 20 with 4 callers), this process's CPU per SELECT 1.
 */
import postgres from 'postgres';
import { Pool as PgPool } from 'pg';
import type { Pool } from '../src';
import { formatRate, median, skipLine, type Plan } from './harness';
import { LIFEGUARD, SERVER_MAX } from './server-suite';
import { hasAdapter, PRODUCTION_NOTE, POSTGRES_URL, productionPool, reachable, uniqueName } from './servers';

const SLEEPERS = 4;
const QUICK = 60;
const SLEEP = 'SELECT pg_sleep(0.2)';
const QUICK_SQL = 'SELECT 1';

interface Mixed {
  name: string;
  open(): Promise<{ query(sql: string): Promise<unknown>; close(): Promise<void> }>;
}

interface MixedResult {
  quickPerSecond: number;
  p50: number;
  p99: number;
  sleepsPerSecond: number;
  cpuMicrosPerQuick: number;
  errors: number;
}

const kept: Array<Map<string, MixedResult>> = [];

export async function benchHeadOfLine(plan: Plan): Promise<void> {
  const title = `Head-of-line: ${SLEEPERS} callers loop \`${SLEEP}\`, ${QUICK} loop \`${QUICK_SQL}\`, max ${SERVER_MAX}, PostgreSQL`;
  if (!(await reachable(POSTGRES_URL, 5432))) return skipLine(title, `${POSTGRES_URL} is not reachable`);
  const candidates: Mixed[] = [pgPoolMixed, postgresJsMixed];
  if (await hasAdapter(POSTGRES_URL)) candidates.unshift(lifeguardMixed(LIFEGUARD, {}), lifeguardMixed('lifeguard (pipelining off)', { pipelineDepth: 0 }));
  const durationMs = plan.smoke ? 300 : 3000;
  const samples = new Map(candidates.map((c) => [c.name, [] as MixedResult[]]));
  for (let round = 0; round < plan.rounds; round++) {
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[(i + round) % candidates.length];
      const opened = await candidate.open();
      try {
        await drive(opened.query, Math.min(durationMs, 500));
        samples.get(candidate.name)?.push(await drive(opened.query, durationMs));
      } finally {
        await opened.close();
      }
    }
  }
  const results = new Map([...samples].map(([name, runs]) => [name, medianOf(runs)]));
  kept.push(results);
  printTable(title, results);
}

/** The table again as medians across runs (`--runs N`). */
export function printHeadOfLineMediansOfRuns(): void {
  if (kept.length < 2) return;
  const names = [...kept[0].keys()];
  const combined = new Map(names.map((name) => [name, medianOf(kept.map((run) => run.get(name)).filter((r): r is MixedResult => r !== undefined))]));
  printTable(`Head-of-line — medians of ${kept.length} runs`, combined, kept);
}

function medianOf(runs: MixedResult[]): MixedResult {
  const of = (pick: (r: MixedResult) => number) => median(runs.map(pick));
  return {
    quickPerSecond: of((r) => r.quickPerSecond),
    p50: of((r) => r.p50),
    p99: of((r) => r.p99),
    sleepsPerSecond: of((r) => r.sleepsPerSecond),
    cpuMicrosPerQuick: of((r) => r.cpuMicrosPerQuick),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

function printTable(title: string, results: Map<string, MixedResult>, runs: Array<Map<string, MixedResult>> = [results]): void {
  console.log(`\n### ${title}\n\nlifeguard: ${PRODUCTION_NOTE}\n`);
  console.log(`| candidate | ${QUICK_SQL} queries/s | p50 ms | p99 ms | sleeps/s | errors | CPU µs per ${QUICK_SQL} |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of results) {
    console.log(`| ${name} | ${formatRate(r.quickPerSecond)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.sleepsPerSecond.toFixed(1)} | ${r.errors} | ${r.cpuMicrosPerQuick.toFixed(1)} |`);
  }
  const ratios = (pick: (l: MixedResult, p: MixedResult) => number) =>
    median(runs.flatMap((run) => (run.get(LIFEGUARD) && run.get('pg.Pool') ? [pick(run.get(LIFEGUARD) as MixedResult, run.get('pg.Pool') as MixedResult)] : [])));
  if (!results.has(LIFEGUARD) || !results.has('pg.Pool')) return;
  const speed = ratios((l, p) => l.quickPerSecond / p.quickPerSecond);
  const p99 = ratios((l, p) => l.p99 / p.p99);
  const met = speed >= 2 && p99 <= 1;
  console.log(`target: ${LIFEGUARD} ${QUICK_SQL} p99 ≤ pg.Pool's with ≥ 2× its throughput — p99 ${p99.toFixed(2)}× pg.Pool's, throughput ${speed.toFixed(2)}×, ${met ? 'met' : 'NOT met'}`);
}

async function drive(query: (sql: string) => Promise<unknown>, durationMs: number): Promise<MixedResult> {
  const stopAt = performance.now() + durationMs;
  const latencies: number[] = [];
  let sleeps = 0;
  let errors = 0;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const loop = async (sql: string, done: (ms: number) => void) => {
    while (performance.now() < stopAt) {
      const began = performance.now();
      try {
        await query(sql);
        done(performance.now() - began);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: SLEEPERS }, () => loop(SLEEP, () => sleeps++)),
    ...Array.from({ length: QUICK }, () => loop(QUICK_SQL, (ms) => latencies.push(ms))),
  ]);
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]);
  return {
    quickPerSecond: latencies.length / elapsedS,
    p50: at(0.5),
    p99: at(0.99),
    sleepsPerSecond: sleeps / elapsedS,
    cpuMicrosPerQuick: latencies.length > 0 ? (cpu.user + cpu.system) / latencies.length : 0,
    errors,
  };
}

function lifeguardMixed(name: string, options: { pipelineDepth?: number }): Mixed {
  return {
    name,
    async open() {
      const pool: Pool = await productionPool(POSTGRES_URL, uniqueName('lg_bench_hol'), SERVER_MAX, options);
      return { query: (sql) => pool.query(sql), close: () => pool.close() };
    },
  };
}

const pgPoolMixed: Mixed = {
  name: 'pg.Pool',
  async open() {
    const pool = new PgPool({ connectionString: POSTGRES_URL, max: SERVER_MAX, application_name: uniqueName('lg_bench_hol_pg') });
    pool.on('error', () => undefined);
    return { query: (sql) => pool.query(sql), close: () => pool.end() };
  },
};

const postgresJsMixed: Mixed = {
  name: 'postgres.js (max 10)',
  async open() {
    const sql = postgres(POSTGRES_URL, { max: SERVER_MAX, prepare: true, onnotice: () => undefined, connection: { application_name: uniqueName('lg_bench_hol_pgjs') } });
    return { query: (text) => sql.unsafe(text, [], { prepare: true }), close: () => sql.end() };
  },
};
