/**
 * `npm run bench`: every benchmark, printed as markdown tables of medians and ratios measured in
 * one run. BENCH_SMOKE=1 (CI) runs each for a fraction of a second so the harness never rots.
 * Select suites with --only engine,postgres,mysql,embedded,load.
 */
import { parseArgs } from 'node:util';
import { FULL, SMOKE } from './harness';
import { benchEngine } from './engine';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, rounds: { type: 'string' }, 'round-ms': { type: 'string' } } });
  const plan = process.env.BENCH_SMOKE === '1' ? { ...SMOKE } : { ...FULL };
  if (values.rounds) plan.rounds = Number(values.rounds);
  if (values['round-ms']) plan.roundMs = Number(values['round-ms']);
  const only = new Set((values.only ?? 'engine,postgres,mysql,embedded,load').split(','));
  console.log(`lifeguard benchmarks — node ${process.version}, ${plan.rounds} interleaved rounds of ${plan.roundMs} ms, medians`);
  if (only.has('engine')) await benchEngine(plan);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
