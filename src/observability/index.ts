/**
 * src/observability/ — what operators read from outside the process: Prometheus series through
 * prom-client (prometheus.ts, with its allocation-free histograms in bucket-histogram.ts and the
 * counter feeds in metric-counters.ts), OpenTelemetry instruments (otel-metrics.ts), the metric
 * names of both (metric-names.ts) and the HTTP health endpoint (health-handler.ts). Every one of
 * them reads a pool through ObservedPool and writes to it only through its tracker seam, both
 * declared in pool/; the pool's own events, alarms and health check live in pool/.
 */
export { registerPoolMetrics } from './prometheus';
export type { PoolMetricsOptions } from './prometheus';
export { registerPoolOtelMetrics } from './otel-metrics';
export { healthHandler } from './health-handler';
export type { HealthHandler, HealthHandlerOptions, HealthBody, PoolHealthBody, HealthRequest, NodeResponseLike, ReplyLike } from './health-handler';
