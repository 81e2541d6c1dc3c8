/**
 * Every table is printed as soon as a run has measured it, and kept: `npm run bench -- --runs 3`
 * ends with each table again as medians across the runs. A ratio across runs is the median of the
 * per-run ratios (each measured side by side in one run), not a ratio of medians taken at
 * different moments on a noisy machine.
 */
import { median, printTable, ratioOf, type Comparison, type ExtraColumn } from './harness';

export interface Target {
  candidate: string;
  anchor: string;
  callers: number;
  atLeast: number;
  /** 'cpu': the anchor's CPU per operation over the candidate's (≥ 1: no more CPU than the anchor). Default: throughput. */
  on?: 'throughput' | 'cpu';
}

export interface TableSpec {
  title: string;
  anchor: string;
  extra?: ExtraColumn;
  targets?: Target[];
}

const kept = new Map<string, { spec: TableSpec; runs: Comparison[] }>();

export function report(spec: TableSpec, comparison: Comparison): void {
  printTable(spec.title, comparison, spec.anchor, spec.extra);
  for (const target of spec.targets ?? []) printTarget(comparison, target);
  const entry = kept.get(spec.title) ?? { spec, runs: [] };
  entry.runs.push(comparison);
  kept.set(spec.title, entry);
}

/** One line per target: the measured ratio, and whether it reached the target. */
export function printTarget(comparison: Comparison, target: Target): void {
  const cpu = target.on === 'cpu';
  const ratio = cpu
    ? ratioOf(comparison, target.anchor, target.candidate, target.callers, (run) => run.cpuMicros)
    : ratioOf(comparison, target.candidate, target.anchor, target.callers);
  if (ratio === undefined) return;
  const verdict = ratio >= target.atLeast ? 'met' : 'NOT met';
  const goal = cpu ? `CPU per query ≤ ${target.anchor}'s` : `≥ ${target.atLeast}× ${target.anchor}`;
  const measured = cpu ? `${target.anchor}'s CPU ${ratio.toFixed(2)}× this one's` : `${ratio.toFixed(2)}×`;
  console.log(`target: ${target.candidate} ${goal} at ${target.callers} callers — ${measured}, ${verdict}`);
}

/** Each kept table again, as medians across runs (only when there was more than one run). */
export function printMediansOfRuns(): void {
  for (const { spec, runs } of kept.values()) {
    if (runs.length < 2) continue;
    const combined = combine(runs);
    report({ ...spec, title: `${spec.title} — medians of ${runs.length} runs` }, combined);
  }
}

function combine(runs: Comparison[]): Comparison {
  const across = (pick: (run: Comparison) => Map<string, Map<number, number>>) =>
    new Map(
      [...pick(runs[0])].map(([name, row]) => [name, new Map([...row.keys()].map((n) => [n, median(runs.map((run) => pick(run).get(name)?.get(n) ?? 0))]))]),
    );
  const medians = across((run) => run.medians);
  const cpuMicros = across((run) => run.cpuMicros);
  const errors = new Map<string, number>();
  const errorCodes = new Map<string, Map<string, number>>();
  const firstErrors = new Map<string, unknown>();
  for (const run of runs) {
    for (const [name, n] of run.errors) errors.set(name, (errors.get(name) ?? 0) + n);
    for (const [name, codes] of run.errorCodes) {
      const sum = errorCodes.get(name) ?? new Map<string, number>();
      for (const [code, n] of codes) sum.set(code, (sum.get(code) ?? 0) + n);
      errorCodes.set(name, sum);
    }
    for (const [name, err] of run.firstErrors) if (!firstErrors.has(name)) firstErrors.set(name, err);
  }
  return { medians, cpuMicros, errors, errorCodes, firstErrors, runs };
}
