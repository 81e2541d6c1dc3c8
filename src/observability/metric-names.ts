/**
 * Metric names, in the two spellings operators meet them: OpenTelemetry's semantic conventions for
 * database client connection pools, and their Prometheus form (dots to underscores, the unit as a
 * suffix, `_total` on counters). DESIGN.md fixes these; dashboards and alerts depend on them.
 */

/** OpenTelemetry's recommended boundaries for db.client.* durations, in seconds. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/**
 * Finer boundaries for the pool's own durations (wait, create, use): a healthy pool hands out a
 * connection in well under a millisecond, and a 1 ms first bucket would hide the difference
 * between healthy and slowing.
 */
export const POOL_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export const PROMETHEUS = {
  connectionCount: 'db_client_connection_count',
  connectionMax: 'db_client_connection_max',
  idleMin: 'db_client_connection_idle_min',
  idleMax: 'db_client_connection_idle_max',
  pendingRequests: 'db_client_connection_pending_requests',
  timeouts: 'db_client_connection_timeouts_total',
  createTime: 'db_client_connection_create_time_seconds',
  waitTime: 'db_client_connection_wait_time_seconds',
  useTime: 'db_client_connection_use_time_seconds',
  operationDuration: 'db_client_operation_duration_seconds',
  // lifeguard's own, for what the conventions do not cover (all counters).
  createErrors: 'lifeguard_connection_create_errors_total',
  destroyed: 'lifeguard_connections_destroyed_total',
  validationFailures: 'lifeguard_connection_validation_failures_total',
  queueFull: 'lifeguard_acquire_queue_full_total',
  slowQueries: 'lifeguard_slow_queries_total',
  leaks: 'lifeguard_connection_leaks_total',
  slowConnects: 'lifeguard_slow_connects_total',
} as const;

export const OTEL = {
  connectionCount: 'db.client.connection.count',
  connectionMax: 'db.client.connection.max',
  idleMin: 'db.client.connection.idle.min',
  idleMax: 'db.client.connection.idle.max',
  pendingRequests: 'db.client.connection.pending_requests',
  timeouts: 'db.client.connection.timeouts',
  createTime: 'db.client.connection.create_time',
  waitTime: 'db.client.connection.wait_time',
  useTime: 'db.client.connection.use_time',
  operationDuration: 'db.client.operation.duration',
  attrState: 'db.client.connection.state',
  attrPoolName: 'db.client.connection.pool.name',
  attrSystem: 'db.system.name',
} as const;

/** The db.system.name value for each adapter (OpenTelemetry's well-known names where one exists). */
export function dbSystemName(adapterName: string): string {
  if (adapterName === 'postgres') return 'postgresql';
  if (adapterName === 'libsql') return 'sqlite';
  return adapterName;
}
