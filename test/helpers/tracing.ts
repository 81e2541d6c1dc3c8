/**
 * The real OpenTelemetry SDK for tracing tests: a global TracerProvider exporting to memory, and
 * the AsyncLocalStorage context manager a Node service registers, so parent/child relations are
 * the ones an application would see. `startTracing()` in beforeAll, `stopTracing()` in afterAll.
 */
import { context, trace, type Attributes } from '@opentelemetry/api';
import { createPool, silentLogger, type Pool } from '../../src';
import type { PoolOptions } from '../../src/config/types';
import { uniqueName } from './databases';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

export interface Tracing {
  exporter: InMemorySpanExporter;
  provider: TracerProvider;
}

export function startTracing(): Tracing {
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  return { exporter, provider };
}

export async function stopTracing(tracing: Tracing): Promise<void> {
  await tracing.provider.shutdown();
  trace.disable();
  context.disable();
}

/** The finished spans, after the exporter has been handed every one that ended. */
export async function finishedSpans(tracing: Tracing): Promise<ReadableSpan[]> {
  await tracing.provider.forceFlush();
  return tracing.exporter.getFinishedSpans();
}

/** Runs fn inside a span of the test's own, as an application's request handler would; returns its id too. */
export function withinParent<T>(name: string, fn: () => Promise<T>): Promise<{ result: T; parentId: string; traceId: string }> {
  return trace.getTracer('test').startActiveSpan(name, async (span) => {
    try {
      const result = await fn();
      return { result, parentId: span.spanContext().spanId, traceId: span.spanContext().traceId };
    } finally {
      span.end();
    }
  });
}

export const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

/** Everything a span carries that an exporter would send: name, attributes, events and their attributes, status. */
export function printedSpan(span: ReadableSpan): string {
  const events = span.events.map((e) => ({ name: e.name, attributes: e.attributes as Attributes | undefined }));
  return JSON.stringify({ name: span.name, attributes: span.attributes, events, status: span.status, links: span.links });
}

/**
 * Pools for a tracing suite, each with a unique name (its spans are told apart by
 * db.client.connection.pool.name); `closeAll` from afterEach.
 */
export function tracedPools(tracing: () => Tracing) {
  const open: Pool[] = [];
  return {
    pool(url: string, options: PoolOptions = {}): Pool {
      const made = createPool({ url, env: {}, profile: 'test', logger: silentLogger, name: uniqueName('lg_trace'), max: 2, ...options });
      open.push(made);
      return made;
    },
    /** The spans of one pool, exported so far. */
    async spansOf(of: Pool): Promise<ReadableSpan[]> {
      return (await finishedSpans(tracing())).filter((s) => s.attributes['db.client.connection.pool.name'] === of.name);
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.splice(0).map((p) => p.close()));
    },
  };
}
