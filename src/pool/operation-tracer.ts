/**
 * The seam between the pool and a tracing backend, as metrics-tracker.ts is for metrics. The pool
 * asks its tracer for a trace when an operation starts and tells the trace what happened. A pool
 * with tracing off has no tracer; one whose tracer records nothing right now (no tracer provider
 * registered, say) gets undefined back, and that one call is the whole cost: no object, closure or
 * attribute is made. observability/tracing.ts supplies the OpenTelemetry tracer and the package
 * entry installs it, so the pool never imports observability/ (as with read-routing.ts).
 */
import type { Adapter } from '../../adapters/contract';
import type { ResolvedConfig } from '../config/types';
import type { Connection } from './connection';

/** One traced operation: a statement, an acquire, a transaction. */
export interface OperationTrace {
  /** The caller got `conn`, having waited since the trace began. */
  acquired(conn: Connection): void;
  /** A pool.query that shared a connection through the pipeline: it waited for no acquire of its own. */
  pipelined(): void;
  /** The operation failed; `err` is what the caller gets (already redacted). */
  failed(err: unknown): void;
  end(): void;
}

/** How a transaction ended: `not_started` when no BEGIN was sent (no connection came, say). */
export type TransactionOutcome = 'committed' | 'rolled_back' | 'outcome_unknown' | 'not_started';

export interface TransactionTrace extends OperationTrace {
  /** The parent of the statements run inside it (opaque to the pool, kept on the connection meanwhile). */
  readonly context: unknown;
  /** A BEGIN was sent in the current attempt. */
  readonly began: boolean;
  /** Runs fn with the transaction as the active span, so spans made inside it (the caller's too) nest under it. */
  within<T>(fn: () => T): T;
  /** A BEGIN, COMMIT or ROLLBACK the pool sends (`send`): a child span of the transaction around it. */
  statement<T>(operation: 'BEGIN' | 'COMMIT' | 'ROLLBACK', send: () => Promise<T>): Promise<T>;
  /** Attempt `attempt` (from 1) failed with `err` and the transaction starts again. */
  retrying(attempt: number, err: unknown): void;
  outcome(outcome: TransactionOutcome): void;
}

export interface OperationTracer {
  /**
   * A statement: pool.query (`parent` undefined: the caller's context), or one on a lease (`parent`:
   * its transaction's context, if any). `parameterized`: values were passed as parameters.
   */
  query(sql: string, parameterized: boolean, parent: unknown): OperationTrace | undefined;
  /** pool.acquire(): the wait for a connection. */
  acquire(): OperationTrace | undefined;
  transaction(): TransactionTrace | undefined;
}

/** What a tracer is built from: the pool's name, its settings and its adapter (for error codes). */
export interface TracedPool {
  readonly name: string;
  readonly config: ResolvedConfig;
  readonly adapter: Pick<Adapter<unknown>, 'name' | 'errorCode'>;
}

export type TracerFactory = (pool: TracedPool) => OperationTracer | undefined;

let installedFactory: TracerFactory | undefined;

/** Sets the tracer every pool built from now on gets (observability/'s, installed by the package entry). */
export function installTracerFactory(factory: TracerFactory | undefined): void {
  installedFactory = factory;
}

/** The pool's tracer: none when `tracing` is off or no factory is installed. */
export function tracerFor(pool: TracedPool): OperationTracer | undefined {
  return pool.config.tracing ? installedFactory?.(pool) : undefined;
}
