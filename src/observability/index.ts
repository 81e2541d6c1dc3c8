/**
 * src/observability/ — what operators read from outside the process: Prometheus series through
 * prom-client (prometheus.ts, with its allocation-free histograms in bucket-histogram.ts and the
 * counter feeds in metric-counters.ts), OpenTelemetry instruments (otel-metrics.ts), the metric
 * names of both (metric-names.ts), the HTTP health endpoint (health-handler.ts), and traces through
 * OpenTelemetry (tracing.ts, with the SQL reading behind db.query.text and the span names in
 * sql-text.ts, query-summary.ts and query-description.ts). Every one of them reads a pool through
 * the interfaces pool/ declares (ObservedPool, TracedPool) and writes to it only through its seams
 * (the metrics tracker, the operation tracer); the pool's own events, alarms and health check live in pool/.
 */
export { registerPoolMetrics } from './prometheus';
export type { PoolMetricsOptions } from './prometheus';
export { registerPoolOtelMetrics } from './otel-metrics';
export { healthHandler } from './health-handler';
export { createOtelTracer } from './tracing';
export type { HealthHandler, HealthHandlerOptions, HealthBody, PoolHealthBody, HealthRequest, NodeResponseLike, ReplyLike } from './health-handler';
