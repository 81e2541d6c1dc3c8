/**
 * Traces through @opentelemetry/api, after the database client span conventions. Each statement
 * is a CLIENT span named by its db.query.summary (`SELECT orders`), with db.system.name,
 * db.namespace, server.address, server.port (when not the system's default), db.query.text
 * (literals replaced by `?` unless the query is parameterized; parameter values never),
 * db.query.summary and db.client.connection.pool.name; a failed one has status ERROR, error.type
 * and db.response.status_code. pool.acquire() and pool.transaction() get INTERNAL spans of their
 * own (`lifeguard.acquire`, `lifeguard.transaction`), a transaction's BEGIN, statements and
 * COMMIT or ROLLBACK being its children. docs/monitoring.md lists every attribute.
 *
 * While nothing records, this costs nothing that shows: without @opentelemetry/api there is no
 * tracer at all; with it, each operation asks whether the global tracer provider is still the
 * no-op one (ProviderWatch) and gets undefined back (bench/metrics.ts measures it).
 */
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import type { Connection } from '../pool/connection';
import type { OperationTrace, OperationTracer, TracedPool, TransactionOutcome, TransactionTrace } from '../pool/operation-tracer';
import { LifeguardError } from '../shared/errors';
import { isMissingPackage } from '../shared/optional-package';
import { dbSystemName } from './metric-names';
import { dialectOf, QueryDescriptions } from './query-description';
import { poolSpanAttributes } from './trace-attributes';

type Api = typeof OtelApi;

/** The instrumentation scope every lifeguard span is made under. */
export const TRACER_NAME = 'lifeguard';

let loaded: Api | null | undefined;
/** Marks a transaction's context (and every context made inside it) with the transaction's span. */
let transactionKey: symbol | undefined;

/** @opentelemetry/api once per process; null when it is not installed (then nothing is traced). */
function otelApi(): Api | undefined {
  if (loaded === undefined) {
    try {
      loaded = require('@opentelemetry/api') as Api;
    } catch (err) {
      if (!isMissingPackage(err, '@opentelemetry/api')) throw err;
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

function txKey(api: Api): symbol {
  transactionKey ??= api.createContextKey('lifeguard.transaction');
  return transactionKey;
}

/** The OpenTelemetry tracer of one pool; undefined when @opentelemetry/api is not installed. */
export function createOtelTracer(pool: TracedPool): OperationTracer | undefined {
  const api = otelApi();
  return api === undefined ? undefined : new OtelTracer(api, pool);
}

/**
 * Which SDK tracer to use right now. Asked on every operation, because a provider may be
 * registered (or `trace.disable()`d) after the pool was built. The global provider is a proxy
 * whose delegate stays the no-op provider until an SDK registers: one call and one comparison.
 */
class ProviderWatch {
  private delegate: unknown;
  private tracer: Tracer | undefined;

  constructor(private readonly api: Api) {}

  current(): Tracer | undefined {
    const provider = this.api.trace.getTracerProvider() as OtelApi.TracerProvider & { getDelegate?(): OtelApi.TracerProvider };
    const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
    if (delegate !== this.delegate) {
      this.delegate = delegate;
      // Another copy of @opentelemetry/api has its own no-op provider object: the class name tells.
      this.tracer = delegate.constructor?.name === 'NoopTracerProvider' ? undefined : delegate.getTracer(TRACER_NAME);
    }
    return this.tracer;
  }
}

class OtelTracer implements OperationTracer {
  private readonly watch: ProviderWatch;
  /** db.system.name, db.namespace, server.*, the pool name: the same on every span of this pool. */
  private readonly base: Attributes;
  private readonly descriptions: QueryDescriptions;
  /** The span name of a statement without a summary: the target (db.namespace), else db.system.name. */
  private readonly fallbackName: string;

  constructor(
    private readonly api: Api,
    private readonly pool: TracedPool,
  ) {
    this.watch = new ProviderWatch(api);
    const system = dbSystemName(pool.adapter.name);
    this.base = poolSpanAttributes(pool.config, system, pool.name);
    this.descriptions = new QueryDescriptions(dialectOf(system));
    const namespace = this.base['db.namespace'];
    this.fallbackName = typeof namespace === 'string' ? namespace : system;
  }

  query(sql: string, parameterized: boolean, parent: unknown): OperationTrace | undefined {
    const tracer = this.watch.current();
    if (tracer === undefined) return undefined;
    const described = this.descriptions.describe(sql, parameterized);
    // The sampling-relevant attributes go in at creation, as the conventions ask; a fresh object
    // each time, since an SDK may add its sampler's attributes to the one it is given.
    const attributes: Attributes = { ...this.base, 'db.query.text': described.text };
    if (described.summary !== '') attributes['db.query.summary'] = described.summary;
    const options: SpanOptions = { kind: this.api.SpanKind.CLIENT, attributes };
    const span = tracer.startSpan(described.summary || this.fallbackName, options, this.parentContext(parent));
    return span.isRecording() ? new SpanTrace(span, this.api, this.pool) : undefined;
  }

  acquire(): OperationTrace | undefined {
    const tracer = this.watch.current();
    if (tracer === undefined) return undefined;
    const span = tracer.startSpan('lifeguard.acquire', { kind: this.api.SpanKind.INTERNAL, attributes: { ...this.base } });
    return span.isRecording() ? new SpanTrace(span, this.api, this.pool) : undefined;
  }

  transaction(): TransactionTrace | undefined {
    const tracer = this.watch.current();
    if (tracer === undefined) return undefined;
    const span = tracer.startSpan('lifeguard.transaction', { kind: this.api.SpanKind.INTERNAL, attributes: { ...this.base } });
    return span.isRecording() ? new TransactionSpanTrace(span, this.api, this.pool, tracer, this.base) : undefined;
  }

  /**
   * A statement on a transaction's connection is the transaction's child. The active context is
   * used instead only when it lies inside that same transaction (it carries the transaction's
   * mark), where it may say more: a span the caller opened inside it. Without a context manager,
   * or when the statement is sent from outside the transaction's function (a data layer holding
   * the transaction open, as Kysely does), the transaction's own context, kept on the connection, is.
   */
  private parentContext(parent: unknown): Context {
    const active = this.api.context.active();
    if (parent === undefined) return active;
    const key = txKey(this.api);
    return active.getValue(key) === (parent as Context).getValue(key) ? active : (parent as Context);
  }
}

/** A span the pool ends: the acquire event, the failure, the end. */
class SpanTrace implements OperationTrace {
  private readonly startedAt = performance.now();
  private readonly startedAtMs = Date.now();

  constructor(
    protected readonly span: Span,
    protected readonly api: Api,
    protected readonly pool: TracedPool,
  ) {}

  acquired(conn: Connection): void {
    this.span.addEvent('lifeguard.acquire', {
      'lifeguard.acquire.wait_ms': Math.round((performance.now() - this.startedAt) * 1000) / 1000,
      // Opened while this caller waited, and this caller is its first user.
      'lifeguard.acquire.new_connection': conn.uses === 1 && conn.createdAt >= this.startedAtMs,
      'lifeguard.connection.id': conn.id,
    });
  }

  pipelined(): void {
    this.span.setAttribute('lifeguard.pipelined', true);
  }

  failed(err: unknown): void {
    markFailed(this.span, this.api, this.pool, err);
  }

  end(): void {
    this.span.end();
  }
}

class TransactionSpanTrace extends SpanTrace implements TransactionTrace {
  readonly context: Context;
  began = false;
  private retries = 0;

  constructor(
    span: Span,
    api: Api,
    pool: TracedPool,
    private readonly tracer: Tracer,
    private readonly base: Attributes,
  ) {
    super(span, api, pool);
    this.context = api.trace.setSpan(api.context.active(), span).setValue(txKey(api), span);
  }

  within<T>(fn: () => T): T {
    return this.api.context.with(this.context, fn);
  }

  statement<T>(operation: 'BEGIN' | 'COMMIT' | 'ROLLBACK', send: () => Promise<T>): Promise<T> {
    if (operation === 'BEGIN') this.began = true;
    const attributes: Attributes = { ...this.base, 'db.operation.name': operation };
    const span = this.tracer.startSpan(operation, { kind: this.api.SpanKind.CLIENT, attributes }, this.context);
    let running: Promise<T>;
    try {
      running = send();
    } catch (err) {
      running = Promise.reject(err);
    }
    return running.then(
      (value) => {
        span.end();
        return value;
      },
      (err: unknown) => {
        markFailed(span, this.api, this.pool, err);
        span.end();
        throw err;
      },
    );
  }

  retrying(attempt: number, err: unknown): void {
    this.retries++;
    this.began = false;
    // A retried error is not the transaction's failure (it may yet commit): an event, not a status.
    this.span.addEvent('lifeguard.transaction.retry', { 'lifeguard.transaction.attempt': attempt, 'error.type': errorType(this.pool, err) });
  }

  outcome(outcome: TransactionOutcome): void {
    this.span.setAttribute('lifeguard.transaction.outcome', outcome);
    this.span.setAttribute('lifeguard.transaction.retries', this.retries);
  }
}

/**
 * Status ERROR, error.type and db.response.status_code. The status carries a message only for
 * lifeguard's own errors, which say nothing of the data: a server's messages quote values
 * (`invalid input syntax for type integer: "…"`), and would put parameter values in the trace.
 */
function markFailed(span: Span, api: Api, pool: TracedPool, err: unknown): void {
  const code = pool.adapter.errorCode?.(err);
  span.setAttribute('error.type', code ?? errorType(pool, err));
  if (code !== undefined) span.setAttribute('db.response.status_code', code);
  span.setStatus(err instanceof LifeguardError ? { code: api.SpanStatusCode.ERROR, message: err.message } : { code: api.SpanStatusCode.ERROR });
}

/** The database's code, else the error's own `code` (ECONNRESET, POOL_TIMEOUT), else its class name. */
function errorType(pool: TracedPool, err: unknown): string {
  const code = pool.adapter.errorCode?.(err);
  if (code !== undefined) return code;
  const own = (err as { code?: unknown } | null)?.code;
  if (typeof own === 'string' && own !== '') return own;
  const name = (err as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : '_OTHER';
}
