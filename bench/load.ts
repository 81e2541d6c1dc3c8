/**
 * Load: 1000 concurrent callers over max 20 connections on PostgreSQL for 10 s, closed loop with no
 * think time (each caller sends its next query as soon as the last one answered), through each
 * pool's one-call `pool.query`. Per candidate: throughput, latency percentiles (what the caller
 * waits: for a connection or a place on one, and the query) and the errors. By Little's law the
 * mean latency is callers / throughput, so at 1000 callers p95 < 25 ms needs well over 40k queries/s.
 */
import { Pool as PgPool } from 'pg';
import type { Pool } from '../src';
import { describeError, formatRate, median, skipLine, type Plan } from './harness';
import { hasAdapter, PRODUCTION_NOTE, POSTGRES_URL, productionPool, reachable, uniqueName } from './servers';

const CALLERS = 1000;
const MAX = 20;
const DURATION_MS = 10_000;
const SQL = 'SELECT 1';
const P95_TARGET_MS = 25;

/** One pool.query. */
type Cycle = () => Promise<unknown>;

interface LoadCandidate {
  name: string;
  open(): Promise<Cycle>;
  close(): Promise<void>;
}

interface LoadResult {
  opsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number };
  /** This process's CPU time per query, µs. */
  cpuMicrosPerQuery: number;
  errors: number;
  firstError: unknown;
}

export async function benchLoad(plan: Plan): Promise<void> {
  const callers = plan.smoke ? 100 : CALLERS;
  const durationMs = plan.smoke ? 300 : DURATION_MS;
  const title = `Load: ${callers} callers over max ${MAX} on PostgreSQL, \`${SQL}\`, ${durationMs / 1000} s each, closed loop`;
  if (!(await reachable(POSTGRES_URL, 5432))) return skipLine(title, `${POSTGRES_URL} is not reachable`);
  const candidates: LoadCandidate[] = [pgPoolCandidate()];
  if (await hasAdapter(POSTGRES_URL)) candidates.unshift(lifeguardCandidate());
  else console.log('\n(lifeguard has no postgres adapter in this build: its row is left out)');
  const results = new Map<string, LoadResult>();
  for (const candidate of candidates) {
    const cycle = await candidate.open();
    try {
      await drive(cycle, callers, Math.min(plan.warmupMs * 5, 1000));
      results.set(candidate.name, await drive(cycle, callers, durationMs));
    } finally {
      await candidate.close();
    }
  }
  printLoadTable(title, results, callers);
  const kept = keptRuns.get(title) ?? { callers, runs: [] };
  kept.runs.push(results);
  keptRuns.set(title, kept);
}

const keptRuns = new Map<string, { callers: number; runs: Map<string, LoadResult>[] }>();

/** The load table again as medians across runs (`--runs N`), errors summed. */
export function printLoadMediansOfRuns(): void {
  for (const [title, { callers, runs }] of keptRuns) {
    if (runs.length < 2) continue;
    const combined = new Map<string, LoadResult>();
    for (const name of runs[0].keys()) {
      const of = (pick: (r: LoadResult) => number) => median(runs.map((run) => run.get(name)).filter((r) => r !== undefined).map(pick));
      const all = runs.map((run) => run.get(name)).filter((r): r is LoadResult => r !== undefined);
      combined.set(name, {
        opsPerSecond: of((r) => r.opsPerSecond),
        latencyMs: { p50: of((r) => r.latencyMs.p50), p95: of((r) => r.latencyMs.p95), p99: of((r) => r.latencyMs.p99) },
        cpuMicrosPerQuery: of((r) => r.cpuMicrosPerQuery),
        errors: all.reduce((sum, r) => sum + r.errors, 0),
        firstError: all.find((r) => r.firstError !== undefined)?.firstError,
      });
    }
    printLoadTable(`${title} — medians of ${runs.length} runs`, combined, callers);
  }
}

function printLoadTable(title: string, results: Map<string, LoadResult>, callers: number): void {
  console.log(`\n### ${title}\n\nlifeguard: ${PRODUCTION_NOTE}\n`);
  console.log('| candidate | queries/s | p50 ms | p95 ms | p99 ms | errors | CPU µs/query |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of results) {
    const { p50, p95, p99 } = r.latencyMs;
    const cells = [formatRate(r.opsPerSecond), p50.toFixed(1), p95.toFixed(1), p99.toFixed(1), r.errors, r.cpuMicrosPerQuery.toFixed(1)];
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  for (const [name, r] of results) {
    // Closed loop: mean latency = callers / throughput, whatever the pool does.
    if (r.opsPerSecond > 0) console.log(`\n${name}: Little's law floor on mean latency, ${callers} / ${formatRate(r.opsPerSecond)} = ${((1000 * callers) / r.opsPerSecond).toFixed(1)} ms`);
  }
  for (const [name, r] of results) if (r.errors > 0) console.log(`\n${name}: first error: ${describeError(r.firstError)}`);
  const lifeguard = results.get(LIFEGUARD);
  if (lifeguard) {
    const met = lifeguard.latencyMs.p95 < P95_TARGET_MS && lifeguard.errors === 0;
    console.log(`target: ${LIFEGUARD} p95 < ${P95_TARGET_MS} ms and no errors — p95 ${lifeguard.latencyMs.p95.toFixed(1)} ms, ${lifeguard.errors} errors, ${met ? 'met' : 'NOT met'}`);
  }
}

async function drive(cycle: Cycle, callers: number, durationMs: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const stopAt = started + durationMs;
  const loop = async () => {
    for (let began = performance.now(); began < stopAt; began = performance.now()) {
      try {
        await cycle();
        latencies.push(performance.now() - began);
      } catch (err) {
        errors++;
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  const elapsedS = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMicrosPerQuery = latencies.length > 0 ? (cpu.user + cpu.system) / latencies.length : 0;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]);
  const latencyMs = { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  return { opsPerSecond: latencies.length / elapsedS, latencyMs, cpuMicrosPerQuery, errors, firstError };
}

const LIFEGUARD = 'lifeguard (production defaults)';

function lifeguardCandidate(): LoadCandidate {
  let pool: Pool | undefined;
  return {
    name: LIFEGUARD,
    async open() {
      const opened = await productionPool(POSTGRES_URL, uniqueName('lg_bench_load'), MAX);
      pool = opened;
      return () => opened.query(SQL);
    },
    close: () => pool!.close(),
  };
}

function pgPoolCandidate(): LoadCandidate {
  let pool: PgPool | undefined;
  return {
    name: 'pg.Pool',
    async open() {
      const opened = new PgPool({ connectionString: POSTGRES_URL, max: MAX, application_name: uniqueName('lg_bench_load_pg') });
      opened.on('error', () => undefined);
      pool = opened;
      return () => opened.query(SQL);
    },
    close: () => pool!.end(),
  };
}
