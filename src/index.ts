export { Pool, createPool, VALIDATION_SKIP_WINDOW_MS } from './pool';
export type { AcquireOptions, QueryOptions } from './pool';
export type { Reader, ReadRoutedEvent } from './reader';
export type { ReplicaStats, ReadRoutingStats } from './replicas';
export { resolveConfig } from './config';
export type { PoolOptions, ResolvedConfig, PoolSettings, Logger, Profile, Workload, SslMode, ConfigSource } from './config/types';
export { getPool, closeAllPools, registeredPools } from './registry';
export { installShutdownHooks } from './shutdown';
export type { ShutdownOptions } from './shutdown';
export { registerAdapter } from '../adapters/registry';
export type { Adapter, AdapterFactory, QueryResult, TransactionOptions, ServerInfo } from '../adapters/contract';
export { PooledConnection } from './lease';
export type { PoolEvents, PoolEventName } from './events';
export type { PoolStats, PoolCounters } from './stats';
export type { Percentiles } from './sample-window';
export type { HealthReport, HealthStatus } from './health';
export type { DestroyReason } from './connection';
export { Secret } from './secret';
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
} from './errors';
export type { LifeguardErrorCode } from './errors';
export { silentLogger } from './logger';
export { recommendPoolSize, fleetBudget, fleetWarning, DEFAULT_POOL_MAX, DEFAULT_HEADROOM } from './sizing';
export type { SizingInput, SizingAdvice, FleetBudget, FleetBudgetInput } from './sizing';
export { registerPoolMetrics } from './metrics';
export type { PoolMetricsOptions } from './metrics';
export { registerPoolOtelMetrics } from './otel-metrics';
export { installMetricsTracker } from './metrics-tracker';
export type { MetricsTracker } from './metrics-tracker';
export { healthHandler } from './health-handler';
export type { HealthHandler, HealthHandlerOptions, HealthBody, PoolHealthBody, HealthRequest, NodeResponseLike, ReplyLike } from './health-handler';
