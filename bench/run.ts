/**
 * `npm run bench`: every benchmark, printed as markdown tables of medians and ratios measured in
 * one run. BENCH_SMOKE=1 (CI) runs each for a fraction of a second so the harness never rots; it
 * reports, it never fails on a slow machine. Select suites with --only engine,postgres,postgres-1caller,head-of-line,mysql,embedded,load,metrics,replicas;
 * `--runs 3` repeats everything and ends with every table as medians across the runs.
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { FULL, SMOKE } from './harness';
import { benchEngine } from './engine';
import { benchEmbedded } from './embedded';
import { benchHeadOfLine, printHeadOfLineMediansOfRuns } from './head-of-line';
import { benchLoad, printLoadMediansOfRuns } from './load';
import { benchMysql } from './mysql';
import { benchPostgres, benchPostgresOneCaller } from './postgres';
import { benchMetrics } from './metrics';
import { printMediansOfRuns } from './report';
import { benchReplicas } from './replicas';

const SUITES: Record<string, (plan: typeof FULL) => Promise<void>> = {
  engine: benchEngine,
  postgres: benchPostgres,
  'postgres-1caller': benchPostgresOneCaller,
  'head-of-line': benchHeadOfLine,
  mysql: benchMysql,
  embedded: benchEmbedded,
  load: benchLoad,
  metrics: benchMetrics,
  replicas: benchReplicas,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, rounds: { type: 'string' }, 'round-ms': { type: 'string' }, runs: { type: 'string' } },
  });
  const runs = Math.max(1, Number(values.runs ?? 1));
  const plan = process.env.BENCH_SMOKE === '1' ? { ...SMOKE } : { ...FULL };
  if (values.rounds) plan.rounds = Number(values.rounds);
  if (values['round-ms']) plan.roundMs = Number(values['round-ms']);
  const only = (values.only ?? Object.keys(SUITES).join(',')).split(',');
  const unknown = only.filter((name) => !(name in SUITES));
  if (unknown.length > 0) throw new Error(`Unknown suite(s) ${unknown.join(', ')}; known: ${Object.keys(SUITES).join(', ')}`);
  console.log(
    `lifeguard benchmarks — node ${process.version}, ${os.cpus().length} cores, ${plan.rounds} interleaved rounds of ${plan.roundMs} ms ` +
      `(warm-up ${plan.warmupMs} ms), medians${plan.smoke ? ' — SMOKE: numbers mean nothing' : ''}`,
  );
  const started = performance.now();
  for (let run = 1; run <= runs; run++) {
    if (runs > 1) console.log(`\n## Run ${run} of ${runs}`);
    for (const name of only) await SUITES[name](plan);
  }
  if (runs > 1) {
    console.log(`\n## Medians of ${runs} runs (ratios: the median of each run's side-by-side ratio)`);
    printMediansOfRuns();
    printLoadMediansOfRuns();
    printHeadOfLineMediansOfRuns();
  }
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
