import type { PoolSettings, Profile, Workload } from './types';

type Tunables = Omit<PoolSettings, 'applicationName' | 'readReplicaUrls'>;

/** Built-in defaults, before any profile: safe for any environment. */
export const DEFAULTS: Tunables = {
  min: 0,
  max: 10,
  acquireTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  maxLifetimeMs: 30 * 60_000,
  maxUses: 0,
  testOnAcquire: true,
  maxWaiting: 0,
  sslMode: 'prefer',
  slowQueryMs: 1000,
  criticalQueryMs: 5000,
  leakDetectionMs: 0,
  slowConnectMs: 1000,
  utilizationWarning: 0.8,
  utilizationCritical: 0.95,
  tracing: true,
  evictionIntervalMs: 1000,
  keepaliveMs: 0,
  statementTimeoutMs: 0,
  // Measured (docs/performance.md): 16 statements in flight per connection reach the CPU cost per
  // query of an unbounded pipeline (4 cost ~1.5x more), and bound head-of-line waits.
  pipelineDepth: 16,
  // Above it a statement runs alone (docs/performance.md: the mixed head-of-line load).
  pipelineMaxStatementMs: 5,
  // Measured (docs/performance.md): an indexed read by primary key 1.3-1.6x the unnamed one's throughput.
  preparedStatements: true,
  instances: 1,
  replicaCheckIntervalMs: 5000,
  maxReplicaLagMs: 0,
};

/**
 * Per environment. Development and test keep pools small and idle connections short (laptops,
 * parallel test workers) and turn leak detection on; staging and production keep two connections
 * warm, fail acquires after 5 s rather than hang a request, and recycle connections every 30 min.
 * Leak detection costs a stack capture per acquire, so production leaves it off. Staging and
 * production also check idle connections every 30 s (keepaliveMs): their networks have NATs, load
 * balancers and firewalls that forget a quiet connection, which a laptop's loopback does not.
 */
export const PROFILES: Record<Profile, Partial<Tunables>> = {
  development: { min: 0, max: 5, idleTimeoutMs: 10_000, leakDetectionMs: 10_000, slowQueryMs: 500 },
  test: { min: 0, max: 5, acquireTimeoutMs: 5000, idleTimeoutMs: 1000, maxLifetimeMs: 0, leakDetectionMs: 5000, evictionIntervalMs: 500 },
  staging: { min: 2, max: 10, acquireTimeoutMs: 5000, connectTimeoutMs: 5000, idleTimeoutMs: 60_000, leakDetectionMs: 30_000, keepaliveMs: 30_000 },
  production: { min: 2, max: 10, acquireTimeoutMs: 5000, connectTimeoutMs: 5000, idleTimeoutMs: 60_000, keepaliveMs: 30_000 },
};

/**
 * The api workload bounds its queue relative to the pool: beyond 25 callers per connection a
 * request would wait longer than it is worth. Re-derived from the final max (see resolveConfig),
 * so DB_POOL_MAX=40 with DB_WORKLOAD=api queues up to 1000, not the profile's 500.
 */
export const API_WAITERS_PER_CONNECTION = 25;

/**
 * Per kind of process, computed from the profile's values so a workload scales with its
 * environment: an API serves many short read requests (twice the connections, fail fast, a
 * bounded queue); a worker runs long writes (patient acquires, higher slow-query lines); a
 * scheduler needs almost nothing.
 */
export const WORKLOADS: Record<Workload, (lower: Tunables) => Partial<Tunables>> = {
  api: (lower) => ({
    max: lower.max * 2,
    acquireTimeoutMs: Math.min(lower.acquireTimeoutMs || 3000, 3000),
    maxWaiting: lower.max * 2 * API_WAITERS_PER_CONNECTION,
  }),
  worker: (lower) => ({
    acquireTimeoutMs: Math.max(lower.acquireTimeoutMs, 30_000),
    slowQueryMs: Math.max(lower.slowQueryMs, 5000),
    criticalQueryMs: Math.max(lower.criticalQueryMs, 30_000),
  }),
  scheduler: (lower) => ({ min: 0, max: 2, idleTimeoutMs: Math.min(lower.idleTimeoutMs || 10_000, 10_000) }),
};

export const NODE_ENV_ALIASES: Readonly<Record<string, Profile>> = {
  development: 'development',
  dev: 'development',
  local: 'development',
  test: 'test',
  testing: 'test',
  staging: 'staging',
  stage: 'staging',
  production: 'production',
  prod: 'production',
};

export function profileFromNodeEnv(nodeEnv: string): Profile | undefined {
  return NODE_ENV_ALIASES[nodeEnv.trim().toLowerCase()];
}

export const PROFILE_NAMES = Object.keys(PROFILES) as Profile[];
export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as Workload[];
