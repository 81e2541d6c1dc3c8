/**
 * `npm run bench`: every benchmark, printed as markdown tables of medians and ratios measured in
 * one run. BENCH_SMOKE=1 (CI) runs each for a fraction of a second so the harness never rots; it
 * reports, it never fails on a slow machine. Select suites with --only engine,postgres,mysql,embedded,load,metrics.
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { FULL, SMOKE } from './harness';
import { benchEngine } from './engine';
import { benchEmbedded } from './embedded';
import { benchLoad } from './load';
import { benchMysql } from './mysql';
import { benchPostgres } from './postgres';
import { benchMetrics } from './metrics';

const SUITES: Record<string, (plan: typeof FULL) => Promise<void>> = {
  engine: benchEngine,
  postgres: benchPostgres,
  mysql: benchMysql,
  embedded: benchEmbedded,
  load: benchLoad,
  metrics: benchMetrics,
};

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, rounds: { type: 'string' }, 'round-ms': { type: 'string' } } });
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
  for (const name of only) await SUITES[name](plan);
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
