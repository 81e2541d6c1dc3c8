/**
 * The package entry (`lifeguard`): the public API, gathered from the rooms (docs/architecture.md),
 * and the one wiring the rooms cannot do themselves.
 */
import { installReadRouter } from './pool/read-routing';
import { createReplicaRouter } from './replicas';

// Pools with readReplicaUrls get replicas/'s router; pool/ never imports replicas/ (read-routing.ts).
installReadRouter(createReplicaRouter);

export { Pool, VALIDATION_SKIP_WINDOW_MS } from './pool/pool';
export { createPool } from './process/open-pools';
export type { QueryOptions } from './pool/pool';
export type { AcquireOptions } from './pool/lease';
export type { Reader } from './pool/read-routing';
export type { ReadRoutedEvent } from './pool/events';
export type { ReplicaStats, ReadRoutingStats } from './pool/recorder';
export { resolveConfig } from './config';
export type { PoolOptions, ResolvedConfig, PoolSettings, Logger, Profile, Workload, SslMode, ConfigSource } from './config/types';
export { getPool, closeAllPools, registeredPools } from './process/pool-registry';
export { installShutdownHooks } from './process/shutdown';
export type { ShutdownOptions } from './process/shutdown';
export { registerAdapter } from '../adapters/scheme-registry';
export type { Adapter, AdapterFactory, AdapterQueryOptions, QueryField, QueryResult, TransactionOptions, ServerInfo, PipelineSupport, ConnectCredentials } from '../adapters/contract';
export { PooledConnection } from './pool/lease';
export type { PoolEvents, PoolEventName } from './pool/events';
export type { PoolStats, PoolCounters, PipelineStats } from './pool/recorder';
export type { Percentiles } from './pool/sample-window';
export type { HealthReport, HealthStatus } from './pool/health-check';
export type { DestroyReason } from './pool/connection';
export { Secret } from './shared/secret';
export type { SecretProvider, SecretSource, ProvidedSecret } from './shared/secret-provider';
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
  ConnectionLostError,
  WriterLaneDeadlockError,
} from './shared/errors';
export type { LifeguardErrorCode, WriterLaneHolder } from './shared/errors';
export { silentLogger } from './shared/logger';
export { recommendPoolSize, fleetBudget, fleetWarning, DEFAULT_POOL_MAX, DEFAULT_HEADROOM } from './sizing/sizing';
export type { SizingInput, SizingAdvice, FleetBudget, FleetBudgetInput } from './sizing/sizing';
export { installMetricsTracker } from './pool/metrics-tracker';
export type { MetricsTracker } from './pool/metrics-tracker';
export { registerPoolMetrics, registerPoolOtelMetrics, healthHandler } from './observability';
export type {
  PoolMetricsOptions,
  HealthHandler,
  HealthHandlerOptions,
  HealthBody,
  PoolHealthBody,
  HealthRequest,
  NodeResponseLike,
  ReplyLike,
} from './observability';
