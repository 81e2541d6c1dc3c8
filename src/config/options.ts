import type { PoolSettings } from './types';

/**
 * The one table of settings. The resolver, docs/configuration.md (checked by a test) and error
 * messages all read it, so they cannot drift apart.
 */
export type ValueKind = 'count' | 'ms' | 's' | 'bool' | 'sslMode' | 'string' | 'list' | 'ratio';

export interface VariableName {
  /** The variable's name; a leading `DB_` is replaced by the pool's prefix. */
  name: string;
  kind: ValueKind;
  /** Read only when the prefix is the default `DB_` (names such as DATABASE_POOL_MAX are process-wide). */
  globalOnly?: boolean;
}

export interface SettingSpec {
  key: keyof PoolSettings;
  /** The canonical variable first, then the aliases existing services use. */
  env: VariableName[];
  /** URL query parameters that set it, each with its unit. */
  urlParams: VariableName[];
  /** The kind of the canonical variable and of the option (durations in options are always ms). */
  kind: ValueKind;
  doc: string;
}

const ms = (name: string, globalOnly = false): VariableName => ({ name, kind: 'ms', globalOnly });
const count = (name: string, globalOnly = false): VariableName => ({ name, kind: 'count', globalOnly });

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'min',
    env: [count('DB_POOL_MIN'), count('DB_MIN_CONNECTIONS'), count('DATABASE_POOL_MIN', true)],
    urlParams: [count('min')],
    kind: 'count',
    doc: 'Connections kept open even when idle.',
  },
  {
    key: 'max',
    env: [count('DB_POOL_MAX'), count('DB_MAX_CONNECTIONS'), count('DATABASE_CONNECTION_LIMIT', true), count('DATABASE_POOL_MAX', true)],
    urlParams: [count('max'), count('connection_limit')],
    kind: 'count',
    doc: 'Upper bound on open connections; callers beyond it wait.',
  },
  {
    key: 'acquireTimeoutMs',
    env: [ms('DB_ACQUIRE_TIMEOUT_MS'), ms('DATABASE_POOL_ACQUIRE_TIMEOUT', true)],
    urlParams: [ms('acquireTimeoutMs'), { name: 'pool_timeout', kind: 's' }],
    kind: 'ms',
    doc: 'Longest a caller waits for a connection before PoolTimeoutError (0: no limit).',
  },
  {
    key: 'connectTimeoutMs',
    env: [ms('DB_CONNECT_TIMEOUT_MS')],
    urlParams: [ms('connectTimeoutMs'), { name: 'connect_timeout', kind: 's' }],
    kind: 'ms',
    doc: 'Longest one connection attempt may take (0: no limit).',
  },
  {
    key: 'idleTimeoutMs',
    env: [ms('DB_IDLE_TIMEOUT_MS'), { name: 'DATABASE_POOL_TIMEOUT', kind: 's', globalOnly: true }, ms('DATABASE_POOL_IDLE_TIMEOUT', true)],
    urlParams: [ms('idleTimeoutMs')],
    kind: 'ms',
    doc: 'Idle connections above min close after this long (0: never).',
  },
  {
    key: 'maxLifetimeMs',
    env: [ms('DB_MAX_LIFETIME_MS')],
    urlParams: [ms('maxLifetimeMs')],
    kind: 'ms',
    doc: 'Connections are recycled after this age, minus up to 10 % jitter (0: never).',
  },
  {
    key: 'maxUses',
    env: [count('DB_MAX_USES'), count('DATABASE_POOL_MAX_USAGE_COUNT', true)],
    urlParams: [count('maxUses')],
    kind: 'count',
    doc: 'Connections are recycled after this many acquisitions (0: never).',
  },
  {
    key: 'testOnAcquire',
    env: [{ name: 'DB_TEST_ON_ACQUIRE', kind: 'bool' }],
    urlParams: [{ name: 'testOnAcquire', kind: 'bool' }],
    kind: 'bool',
    doc: 'Validate a connection before handing it out, unless it was used in the last 500 ms.',
  },
  {
    key: 'maxWaiting',
    env: [count('DB_MAX_WAITING')],
    urlParams: [count('maxWaiting')],
    kind: 'count',
    doc: 'Callers allowed to wait at once; beyond, PoolQueueFullError (0: unbounded).',
  },
  {
    key: 'sslMode',
    env: [{ name: 'DB_SSL_MODE', kind: 'sslMode' }],
    urlParams: [{ name: 'sslmode', kind: 'sslMode' }, { name: 'sslMode', kind: 'sslMode' }],
    kind: 'sslMode',
    doc: 'TLS to the server: disable, allow, prefer, require, verify-ca, verify-full.',
  },
  {
    key: 'slowQueryMs',
    env: [ms('DB_SLOW_QUERY_MS')],
    urlParams: [],
    kind: 'ms',
    doc: 'Queries slower than this emit slowQuery and a warn log (0: off).',
  },
  {
    key: 'criticalQueryMs',
    env: [ms('DB_CRITICAL_QUERY_MS')],
    urlParams: [],
    kind: 'ms',
    doc: 'Queries slower than this are logged at error level (0: off).',
  },
  {
    key: 'leakDetectionMs',
    env: [ms('DB_LEAK_DETECTION_MS')],
    urlParams: [],
    kind: 'ms',
    doc: 'A connection held longer emits leak with the acquiring stack (0: off; costs a stack capture per acquire).',
  },
  {
    key: 'slowConnectMs',
    env: [ms('DB_SLOW_CONNECT_MS')],
    urlParams: [],
    kind: 'ms',
    doc: 'Opening a connection slower than this emits slowConnect and a warn log, counted in lifeguard_slow_connects_total (0: off).',
  },
  {
    key: 'utilizationWarning',
    env: [{ name: 'DB_UTILIZATION_WARNING', kind: 'ratio' }],
    urlParams: [],
    kind: 'ratio',
    doc: 'The utilization event turns warning at this share of max in use (callers the pool cannot serve count as 100 %).',
  },
  {
    key: 'utilizationCritical',
    env: [{ name: 'DB_UTILIZATION_CRITICAL', kind: 'ratio' }],
    urlParams: [],
    kind: 'ratio',
    doc: 'The utilization event turns critical, and health degraded, at this share; reached when the pool is at max with callers waiting or cannot open connections for them.',
  },
  {
    key: 'tracing',
    env: [{ name: 'DB_TRACING', kind: 'bool' }],
    urlParams: [],
    kind: 'bool',
    doc: 'OpenTelemetry spans for queries, acquires and transactions, when @opentelemetry/api is installed and a tracer provider is registered (off: none at all).',
  },
  {
    key: 'evictionIntervalMs',
    env: [ms('DB_EVICTION_INTERVAL_MS'), ms('DATABASE_POOL_EVICT_RUN_INTERVAL', true)],
    urlParams: [],
    kind: 'ms',
    doc: 'How often idle and expired connections are reaped and leaks looked for (0: never).',
  },
  {
    key: 'keepaliveMs',
    env: [ms('DB_KEEPALIVE_MS')],
    urlParams: [ms('keepaliveMs')],
    kind: 'ms',
    doc: 'Idle connections unused this long are checked in the background, one at a time, and replaced if dead, so a NAT or load balancer that drops quiet connections is found before a caller is (0: off).',
  },
  {
    key: 'statementTimeoutMs',
    env: [ms('DB_STATEMENT_TIMEOUT_MS')],
    urlParams: [ms('statementTimeoutMs')],
    kind: 'ms',
    doc: 'Server-side statement timeout set on each connection, where the database supports one (0: off).',
  },
  {
    key: 'pipelineDepth',
    env: [count('DB_PIPELINE_DEPTH')],
    urlParams: [count('pipelineDepth')],
    kind: 'count',
    doc:
      'PostgreSQL: pool.query statements in flight at once on one connection (pipeline mode); only short autocommit statements share a connection, leases never do (0: off; other databases ignore it). 16: the CPU per query of an unbounded pipeline with head-of-line waits bounded.',
  },
  {
    key: 'pipelineMaxStatementMs',
    env: [ms('DB_PIPELINE_MAX_STATEMENT_MS')],
    urlParams: [ms('pipelineMaxStatementMs')],
    kind: 'ms',
    doc: 'PostgreSQL pipelining: a statement whose recent server time is above this runs alone, and none is queued behind more than this much work, so a slow statement never holds up others (first sight of a text: it runs alone).',
  },
  {
    key: 'preparedStatements',
    env: [{ name: 'DB_PREPARED_STATEMENTS', kind: 'bool' }],
    urlParams: [{ name: 'preparedStatements', kind: 'bool' }],
    kind: 'bool',
    doc:
      'PostgreSQL: a parameterized pool.query text run again is kept prepared on each connection (a named statement: the server skips parsing and planning it), up to 256 texts; leases never are. A statement the server lost (PgBouncer in transaction mode, DISCARD ALL, a changed result type) runs again unprepared, and after 3 such losses the pool stops preparing (off: never).',
  },
  {
    key: 'applicationName',
    env: [{ name: 'DB_APPLICATION_NAME', kind: 'string' }],
    urlParams: [{ name: 'application_name', kind: 'string' }],
    kind: 'string',
    doc: "How the server lists the pool's connections (pg_stat_activity); default: the pool name.",
  },
  {
    key: 'readReplicaUrls',
    env: [{ name: 'DB_READ_REPLICA_URLS', kind: 'list' }],
    urlParams: [],
    kind: 'list',
    doc: 'Comma-separated replica URLs for reads.',
  },
  {
    key: 'instances',
    env: [count('DB_INSTANCES')],
    urlParams: [],
    kind: 'count',
    doc: 'How many service instances share the database (fleet sizing).',
  },
  {
    key: 'replicaCheckIntervalMs',
    env: [ms('DB_REPLICA_CHECK_INTERVAL_MS')],
    urlParams: [],
    kind: 'ms',
    doc: 'How often read replicas are health-checked; a replica taken out is retried at this pace (0: the 5 s default).',
  },
  {
    key: 'maxReplicaLagMs',
    env: [ms('DB_MAX_REPLICA_LAG_MS')],
    urlParams: [],
    kind: 'ms',
    doc: 'A read replica further behind its primary than this is taken out until it catches up, where the adapter can measure lag (0: lag not checked).',
  },
];

/** Settings with an environment variable but no PoolSettings key. */
export const SPECIAL_VARIABLES = [
  { name: 'DATABASE_URL', doc: 'Where to connect; the scheme picks the adapter. Read only with the default DB_ prefix.' },
  { name: 'DB_URL', doc: 'Same as DATABASE_URL, with the pool prefix.' },
  { name: 'DB_PROFILE', doc: 'development, test, staging or production; falls back to NODE_ENV.' },
  { name: 'DB_WORKLOAD', doc: 'api, worker or scheduler.' },
  { name: 'DB_AUTH_TOKEN', doc: 'libsql/Turso auth token (also the URL parameter authToken, and the authToken option, which may be a function). Never printed.' },
] as const;

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
