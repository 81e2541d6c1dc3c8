// ESM entry: the CommonJS build re-exported by name, so `import { createPool } from 'lifeguard'`
// and `require('lifeguard')` share one module instance (and one pool registry).
import lifeguard from '../dist/src/index.js';

export const {
  Pool,
  createPool,
  VALIDATION_SKIP_WINDOW_MS,
  resolveConfig,
  getPool,
  closeAllPools,
  registeredPools,
  installShutdownHooks,
  registerAdapter,
  PooledConnection,
  Secret,
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
  silentLogger,
  recommendPoolSize,
  fleetBudget,
  fleetWarning,
  DEFAULT_POOL_MAX,
  DEFAULT_HEADROOM,
  PackageMissingError,
  ConnectionLostError,
  WriterLaneDeadlockError,
  registerPoolMetrics,
  registerPoolOtelMetrics,
  installMetricsTracker,
  healthHandler,
} = lifeguard;

export default lifeguard;
