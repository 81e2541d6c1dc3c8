/**
 * Measurement helpers shared by the benchmarks: closed-loop throughput with N concurrent callers,
 * interleaved rounds (every candidate measured once per round, in rotating order, so drift on a
 * noisy machine hits all of them alike), medians, and tables of ratios against an anchor.
 */
export interface Candidate {
  name: string;
  setup(): Promise<void>;
  /** One operation (a query, an acquire/release cycle), made by caller number `caller`. */
  op(caller: number): Promise<unknown>;
  teardown(): Promise<void>;
}

export interface Plan {
  rounds: number;
  roundMs: number;
  warmupMs: number;
  /** Multiplies the load bench's 10 s and the like; 1 in a full run. */
  smoke: boolean;
}

export const FULL: Plan = { rounds: 3, roundMs: 700, warmupMs: 200, smoke: false };
export const SMOKE: Plan = { rounds: 1, roundMs: 100, warmupMs: 30, smoke: true };

export interface Throughput {
  opsPerSecond: number;
  /**
   * This process's CPU time (user + system) per operation, in µs: the client-side work a pool
   * adds, steadier than throughput on a shared machine (another process's load slows the
   * clock, not the work).
   */
  cpuMicrosPerOp: number;
  errors: number;
  /** Errors by their `code` (or class name), e.g. how many were SQLITE_BUSY. */
  errorCodes: Map<string, number>;
  /** The first error seen, so a broken candidate is reported, not silently slow. */
  firstError: unknown;
}

/** Closed loop: `callers` callers, each issuing its next operation as soon as the last one ended. */
export async function throughput(op: (caller: number) => Promise<unknown>, callers: number, durationMs: number): Promise<Throughput> {
  let ops = 0;
  let errors = 0;
  let firstError: unknown;
  const errorCodes = new Map<string, number>();
  const stopAt = performance.now() + durationMs;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const loop = async (caller: number) => {
    while (performance.now() < stopAt) {
      try {
        await op(caller);
        ops++;
      } catch (err) {
        errors++;
        firstError ??= err;
        const code = errorCode(err);
        errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, (_, caller) => loop(caller)));
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMicrosPerOp = ops > 0 ? (cpu.user + cpu.system) / ops : 0;
  return { opsPerSecond: ops / ((performance.now() - started) / 1000), cpuMicrosPerOp, errors, errorCodes, firstError };
}

/** The error's `code` (or its cause's), else its class name. */
export function errorCode(err: unknown): string {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return err instanceof Error ? err.name : typeof err;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Medians of ops/s per candidate and concurrency, plus every error each candidate met. */
export interface Comparison {
  medians: Map<string, Map<number, number>>;
  /** Medians of this process's CPU µs per operation, same shape. */
  cpuMicros: Map<string, Map<number, number>>;
  errors: Map<string, number>;
  /** Per candidate: errors by code, summed over every measured round. */
  errorCodes: Map<string, Map<string, number>>;
  firstErrors: Map<string, unknown>;
  /** Set on a table of medians across runs: the runs it was combined from (for ratios). */
  runs?: Comparison[];
}

export interface CompareOptions {
  /**
   * Open each candidate just before its measurement and close it right after, so a suite holds
   * one candidate's connections at a time on a shared server (setup is not timed; each
   * measurement starts with its own warm-up).
   */
  isolate?: boolean;
}

/** Runs every candidate `rounds` times at each concurrency, interleaved; returns medians (ops/s). */
export async function compare(candidates: Candidate[], concurrencies: number[], plan: Plan, options: CompareOptions = {}): Promise<Comparison> {
  const grid = () => new Map(candidates.map((c) => [c.name, new Map(concurrencies.map((n) => [n, [] as number[]]))]));
  const samples = grid();
  const cpuSamples = grid();
  const errors = new Map(candidates.map((c) => [c.name, 0]));
  const firstErrors = new Map<string, unknown>();
  const errorCodes = new Map(candidates.map((c) => [c.name, new Map<string, number>()]));
  const measure = async (c: Candidate, callers: number, warmupMs: number) => {
    if (warmupMs > 0) await throughput(c.op, callers, warmupMs);
    const result = await throughput(c.op, callers, plan.roundMs);
    samples.get(c.name)?.get(callers)?.push(result.opsPerSecond);
    cpuSamples.get(c.name)?.get(callers)?.push(result.cpuMicrosPerOp);
    errors.set(c.name, (errors.get(c.name) ?? 0) + result.errors);
    const codes = errorCodes.get(c.name) as Map<string, number>;
    for (const [code, n] of result.errorCodes) codes.set(code, (codes.get(code) ?? 0) + n);
    if (result.firstError !== undefined && !firstErrors.has(c.name)) firstErrors.set(c.name, result.firstError);
  };
  if (!options.isolate) for (const c of candidates) await c.setup();
  try {
    if (!options.isolate) for (const c of candidates) await throughput(c.op, Math.max(...concurrencies), plan.warmupMs);
    for (let round = 0; round < plan.rounds; round++) {
      for (const callers of concurrencies) {
        const order = candidates.map((_, i) => candidates[(i + round) % candidates.length]);
        for (const c of order) {
          if (!options.isolate) {
            await measure(c, callers, 0);
            continue;
          }
          await c.setup();
          try {
            await measure(c, callers, plan.warmupMs);
          } finally {
            await c.teardown();
          }
        }
      }
    }
  } finally {
    if (!options.isolate) for (const c of candidates) await c.teardown();
  }
  const mediansOf = (cells: typeof samples) => new Map([...cells].map(([name, byCallers]) => [name, new Map([...byCallers].map(([n, v]) => [n, median(v)]))]));
  return { medians: mediansOf(samples), cpuMicros: mediansOf(cpuSamples), errors, errorCodes, firstErrors };
}

/** A column added after the measured ones (the embedded bench's SQLITE_BUSY count). */
export interface ExtraColumn {
  header: string;
  cell(candidate: string, comparison: Comparison): string;
}

/** Prints a table: one row per candidate, ops/s per concurrency, and the ratio to the anchor; then CPU per operation. */
export function printTable(title: string, comparison: Comparison, anchor: string, extra?: ExtraColumn): void {
  const { medians, errors, firstErrors } = comparison;
  const concurrencies = [...(medians.values().next().value ?? new Map<number, number>()).keys()];
  console.log(`\n### ${title}\n`);
  const extraHeader = extra ? ` ${extra.header} |` : '';
  console.log(`| candidate | ${concurrencies.map((n) => `${n} callers`).join(' | ')} | errors |${extraHeader}`);
  console.log(`|---|${concurrencies.map(() => '---:').join('|')}|---:|${extra ? '---:|' : ''}`);
  for (const [name, row] of medians) {
    const cells = concurrencies.map((n) => {
      const ratio = name === anchor ? undefined : ratioOf(comparison, name, anchor, n);
      return `${formatRate(row.get(n) ?? 0)}${ratio === undefined ? '' : ` (${ratio.toFixed(2)}×)`}`;
    });
    const extraCell = extra ? ` ${extra.cell(name, comparison)} |` : '';
    console.log(`| ${name}${name === anchor ? ' (anchor)' : ''} | ${cells.join(' | ')} | ${errors.get(name) ?? 0} |${extraCell}`);
  }
  console.log(`\nThis process's CPU per operation, µs (lower is better; × is the anchor's CPU over this one's):\n`);
  console.log(`| candidate | ${concurrencies.map((n) => `${n} callers`).join(' | ')} |`);
  console.log(`|---|${concurrencies.map(() => '---:').join('|')}|`);
  for (const [name, row] of comparison.cpuMicros) {
    const cells = concurrencies.map((n) => {
      const ratio = name === anchor ? undefined : ratioOf(comparison, anchor, name, n, (run) => run.cpuMicros);
      return `${(row.get(n) ?? 0).toFixed(1)}${ratio === undefined ? '' : ` (${ratio.toFixed(2)}×)`}`;
    });
    console.log(`| ${name}${name === anchor ? ' (anchor)' : ''} | ${cells.join(' | ')} |`);
  }
  for (const [name, err] of firstErrors) console.log(`\n${name}: first error: ${describeError(err)}`);
}

/** In one run, value / anchor; across runs (comparison.runs), the median of the per-run ratios. */
export function ratioOf(
  comparison: Comparison,
  name: string,
  anchor: string,
  callers: number,
  pick: (run: Comparison) => Map<string, Map<number, number>> = (run) => run.medians,
): number | undefined {
  const ratios: number[] = [];
  for (const run of comparison.runs ?? [comparison]) {
    const value = pick(run).get(name)?.get(callers);
    const base = pick(run).get(anchor)?.get(callers);
    if (value !== undefined && base !== undefined && base > 0) ratios.push(value / base);
  }
  return ratios.length > 0 ? median(ratios) : undefined;
}

export function formatRate(opsPerSecond: number): string {
  return opsPerSecond >= 10_000 ? `${(opsPerSecond / 1000).toFixed(1)}k/s` : `${Math.round(opsPerSecond)}/s`;
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message}`;
}

/** A line in place of a suite that cannot run here (no server, no driver, no adapter yet). */
export function skipLine(suite: string, why: string): void {
  console.log(`\n### ${suite}\n\nskipped: ${why}`);
}
