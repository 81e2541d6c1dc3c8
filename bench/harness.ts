/**
 * Measurement helpers shared by the benchmarks: closed-loop throughput with N concurrent callers,
 * interleaved rounds (every candidate measured once per round, in rotating order, so drift on a
 * noisy machine hits all of them alike), medians, and tables of ratios against an anchor.
 */
export interface Candidate {
  name: string;
  setup(): Promise<void>;
  /** One operation (a query, an acquire/release cycle). */
  op(): Promise<unknown>;
  teardown(): Promise<void>;
}

export interface Plan {
  rounds: number;
  roundMs: number;
  warmupMs: number;
}

export const FULL: Plan = { rounds: 5, roundMs: 2000, warmupMs: 1000 };
export const SMOKE: Plan = { rounds: 1, roundMs: 150, warmupMs: 50 };

export async function throughput(op: () => Promise<unknown>, callers: number, durationMs: number): Promise<number> {
  let ops = 0;
  const stopAt = performance.now() + durationMs;
  const started = performance.now();
  const loop = async () => {
    while (performance.now() < stopAt) {
      await op();
      ops++;
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  return ops / ((performance.now() - started) / 1000);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs every candidate `rounds` times at each concurrency, interleaved; returns medians (ops/s). */
export async function compare(candidates: Candidate[], concurrencies: number[], plan: Plan): Promise<Map<string, Map<number, number>>> {
  for (const c of candidates) await c.setup();
  const samples = new Map<string, Map<number, number[]>>(candidates.map((c) => [c.name, new Map(concurrencies.map((n) => [n, []]))]));
  try {
    for (const c of candidates) await throughput(c.op, Math.max(...concurrencies), plan.warmupMs);
    for (let round = 0; round < plan.rounds; round++) {
      for (const callers of concurrencies) {
        const order = candidates.map((_, i) => candidates[(i + round) % candidates.length]);
        for (const c of order) samples.get(c.name)?.get(callers)?.push(await throughput(c.op, callers, plan.roundMs));
      }
    }
  } finally {
    for (const c of candidates) await c.teardown();
  }
  const result = new Map<string, Map<number, number>>();
  for (const [name, byCallers] of samples) result.set(name, new Map([...byCallers].map(([n, v]) => [n, median(v)])));
  return result;
}

/** Prints a table: one row per candidate, ops/s per concurrency, and the ratio to the anchor. */
export function printTable(title: string, results: Map<string, Map<number, number>>, anchor: string): void {
  const concurrencies = [...(results.values().next().value ?? new Map<number, number>()).keys()];
  const anchorRow = results.get(anchor);
  console.log(`\n### ${title}\n`);
  console.log(`| candidate | ${concurrencies.map((n) => `${n} callers`).join(' | ')} |`);
  console.log(`|---|${concurrencies.map(() => '---:').join('|')}|`);
  for (const [name, row] of results) {
    const cells = concurrencies.map((n) => {
      const value = row.get(n) ?? 0;
      const base = anchorRow?.get(n) ?? 0;
      const ratio = base > 0 ? ` (${(value / base).toFixed(2)}×)` : '';
      return `${formatRate(value)}${name === anchor ? '' : ratio}`;
    });
    console.log(`| ${name}${name === anchor ? ' (anchor)' : ''} | ${cells.join(' | ')} |`);
  }
}

export function formatRate(opsPerSecond: number): string {
  return opsPerSecond >= 10_000 ? `${(opsPerSecond / 1000).toFixed(1)}k/s` : `${Math.round(opsPerSecond)}/s`;
}
