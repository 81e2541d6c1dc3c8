export { Pool, createPool, VALIDATION_SKIP_WINDOW_MS } from './pool/pool';
export type { AcquireOptions, QueryOptions } from './pool/pool';
export type { Reader, ReadRoutedEvent } from './replicas/reader';
export type { ReplicaStats, ReadRoutingStats } from './replicas/replica-set';
export { resolveConfig } from './config';
export type { PoolOptions, ResolvedConfig, PoolSettings, Logger, Profile, Workload, SslMode, ConfigSource } from './config/types';
export { getPool, closeAllPools, registeredPools } from './process/pool-registry';
export { installShutdownHooks } from './process/shutdown';
export type { ShutdownOptions } from './process/shutdown';
export { registerAdapter } from '../adapters/scheme-registry';
export type { Adapter, AdapterFactory, QueryResult, TransactionOptions, ServerInfo } from '../adapters/contract';
export { PooledConnection } from './pool/lease';
export type { PoolEvents, PoolEventName } from './pool/events';
export type { PoolStats, PoolCounters } from './pool/recorder';
export type { Percentiles } from './pool/sample-window';
export type { HealthReport, HealthStatus } from './pool/health-check';
export type { DestroyReason } from './pool/connection';
export { Secret } from './shared/secret';
export {
  LifeguardError,
  ConfigError,
  PoolTimeoutError,
  PoolClosedError,
  PoolQueueFullError,
  ConnectionError,
  ConnectionReleasedError,
  DriverMissingError,
  TransactionOutcomeUnknownError,
  QueryTimeoutError,
  ReplicaLagError,
  TransactionRolledBackError,
  PackageMissingError,
} from './shared/errors';
export type { LifeguardErrorCode } from './shared/errors';
export { silentLogger } from './shared/logger';
export { recommendPoolSize, fleetBudget, fleetWarning, DEFAULT_POOL_MAX, DEFAULT_HEADROOM } from './sizing/sizing';
export type { SizingInput, SizingAdvice, FleetBudget, FleetBudgetInput } from './sizing/sizing';
export { registerPoolMetrics } from './observability/prometheus';
export type { PoolMetricsOptions } from './observability/prometheus';
export { registerPoolOtelMetrics } from './observability/otel-metrics';
export { installMetricsTracker } from './pool/metrics-tracker';
export type { MetricsTracker } from './pool/metrics-tracker';
export { healthHandler } from './observability/health-handler';
export type { HealthHandler, HealthHandlerOptions, HealthBody, PoolHealthBody, HealthRequest, NodeResponseLike, ReplyLike } from './observability/health-handler';
