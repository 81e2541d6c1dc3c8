/**
 * A closed-loop load: `concurrency` callers, each running one operation after another until the
 * duration is up. The bench command and the demo both drive a pool with it and report the same way.
 */
import type { Pool } from '../pool/pool';
import type { Percentiles } from '../pool/sample-window';
import { messageOf } from '../shared/message-of';

export interface LoadProgress {
  elapsedMs: number;
  durationMs: number;
  operations: number;
  errors: number;
}

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  /** One unit of work; `caller` and `iteration` let it vary what it does. */
  operation: (caller: number, iteration: number) => Promise<void>;
  onProgress?: (progress: LoadProgress) => void;
  progressEveryMs?: number;
  /** Ends the load early (Ctrl-C): callers finish the operation in hand and stop. */
  signal?: AbortSignal;
}

export interface LoadResult {
  elapsedMs: number;
  operations: number;
  errors: number;
  /** Failed operations by error code (or class name when there is none). */
  errorsByCode: Record<string, number>;
  /** The first few distinct error messages, so a failing run says why. */
  errorSamples: string[];
  latencyMs: Percentiles;
  perSecond: number;
}

const ERROR_SAMPLES = 3;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const errorsByCode: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  const started = performance.now();
  const stopAt = started + options.durationMs;
  const progress = () => ({ elapsedMs: Math.min(performance.now() - started, options.durationMs), durationMs: options.durationMs, operations: latencies.length, errors });
  const ticker = options.onProgress ? setInterval(() => options.onProgress?.(progress()), options.progressEveryMs ?? 100) : undefined;

  const breather = new Breather();
  const caller = async (id: number) => {
    for (let i = 0; performance.now() < stopAt && !options.signal?.aborted; i++) {
      await breather.pause();
      const opStarted = performance.now();
      try {
        await options.operation(id, i);
      } catch (err) {
        errors++;
        const code = errorCode(err);
        errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
        const message = `${code}: ${messageOf(err)}`;
        if (errorSamples.length < ERROR_SAMPLES && !errorSamples.includes(message)) errorSamples.push(message);
      }
      latencies.push(performance.now() - opStarted);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, id) => caller(id)));
  } finally {
    if (ticker) clearInterval(ticker);
  }
  const elapsedMs = performance.now() - started;
  options.onProgress?.({ ...progress(), elapsedMs: options.signal?.aborted ? elapsedMs : options.durationMs });
  const operations = latencies.length;
  return { elapsedMs, operations, errors, errorsByCode, errorSamples, latencyMs: percentilesOf(latencies), perSecond: operations / (elapsedMs / 1000) };
}

/**
 * An embedded database answers inside the call (DRIVER-NOTES: libsql `file:` is synchronous), so
 * callers can chain promises for seconds without the event loop reaching its timers: no progress
 * bar, no housekeeping. Every BREATHE_EVERY_MS all callers park on one timer, which lets the loop
 * run its timers once, then go on. On a server the I/O already yields and this costs one check.
 */
const BREATHE_EVERY_MS = 50;

class Breather {
  private nextAt = performance.now() + BREATHE_EVERY_MS;
  private parked: Promise<void> | undefined;

  pause(): Promise<void> | undefined {
    if (this.parked) return this.parked;
    if (performance.now() < this.nextAt) return undefined;
    this.parked = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
      this.parked = undefined;
      this.nextAt = performance.now() + BREATHE_EVERY_MS;
    });
    return this.parked;
  }
}

/** Ctrl-C ends a run early, so its report still prints, instead of killing the process mid-query. */
export function interruptOnSigint(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  return { signal: controller.signal, dispose: () => void process.off('SIGINT', abort) };
}

export interface AcquireWaits {
  acquires: number;
  /** Acquires that waited at least 1 ms (the pool measures waits in whole ms). */
  waited: number;
  waitMs: Percentiles;
  timeouts: number;
}

/** Watches a pool's acquire events until the returned function is called. */
export function watchAcquireWaits(pool: Pool): () => AcquireWaits {
  const waits: number[] = [];
  let timeouts = 0;
  const onAcquire = (e: { waitMs: number }) => void waits.push(e.waitMs);
  const onTimeout = () => void timeouts++;
  pool.on('acquire', onAcquire);
  pool.on('acquireTimeout', onTimeout);
  return () => {
    pool.off('acquire', onAcquire);
    pool.off('acquireTimeout', onTimeout);
    return { acquires: waits.length, waited: waits.filter((ms) => ms >= 1).length, waitMs: percentilesOf(waits), timeouts };
  };
}

export function percentilesOf(values: number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0, count: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => round2(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: round2(sorted[sorted.length - 1]), count: sorted.length };
}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.name : 'UNKNOWN';
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
