import type { Logger } from '../shared/logger';
import type { Secret } from '../shared/secret';
import type { SecretProvider, SecretSource } from '../shared/secret-provider';

export type { Logger };

export type Profile = 'development' | 'test' | 'staging' | 'production';
export type Workload = 'api' | 'worker' | 'scheduler';
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** Where a resolved value came from, lowest precedence first. */
export type ConfigSource = 'default' | 'profile' | 'workload' | 'env' | 'url' | 'option';


/** The tunable settings; every one has an environment variable (see the option table). */
export interface PoolSettings {
  min: number;
  max: number;
  acquireTimeoutMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  maxUses: number;
  testOnAcquire: boolean;
  maxWaiting: number;
  sslMode: SslMode;
  slowQueryMs: number;
  criticalQueryMs: number;
  leakDetectionMs: number;
  slowConnectMs: number;
  utilizationWarning: number;
  utilizationCritical: number;
  tracing: boolean;
  evictionIntervalMs: number;
  keepaliveMs: number;
  statementTimeoutMs: number;
  pipelineDepth: number;
  preparedStatements: boolean;
  pipelineMaxStatementMs: number;
  applicationName: string;
  readReplicaUrls: string[];
  instances: number;
  replicaCheckIntervalMs: number;
  maxReplicaLagMs: number;
}

export interface PoolOptions extends Partial<PoolSettings> {
  /** The pool's name: in events, metrics (pool_name), logs and the server's application_name. */
  name?: string;
  url?: string;
  /**
   * The password for the pool's connections (and its read replicas'), instead of the URL's: a string,
   * a Secret, or a function called for each new connection (RDS IAM tokens, Vault leases, a rotated
   * password). Printed as `[redacted]`, or `(function)`.
   */
  password?: string | Secret | SecretProvider;
  /** libsql/Turso auth token, instead of DB_AUTH_TOKEN or the URL's authToken: the same shapes as `password`. */
  authToken?: string | Secret | SecretProvider;
  profile?: Profile;
  workload?: Workload;
  /** Where environment variables are read from; default process.env. */
  env?: Record<string, string | undefined>;
  /** Prefix of the variables, default 'DB_' (DATABASE_URL is always read). */
  envPrefix?: string;
  logger?: Logger;
  /** Adapter-specific settings (SQLite pragmas, say), passed through untouched. */
  adapterOptions?: Record<string, unknown>;
}

export interface ResolvedConfig extends PoolSettings {
  name: string;
  /** The URL with its password masked: safe to print. The real one is `secretUrl`. */
  url: string;
  secretUrl: Secret;
  /** The URL's scheme without the colon, lower case ('postgres', 'file', 'sqlite', ...). */
  scheme: string;
  /** The `password` option, when given: it replaces the URL's password. */
  password?: SecretSource;
  authToken?: SecretSource;
  /** The replica URLs with their secrets; `readReplicaUrls` holds them masked. */
  secretReadReplicaUrls: Secret[];
  profile: Profile;
  workload?: Workload;
  adapterOptions: Record<string, unknown>;
  /** Where each setting came from, e.g. { max: 'env', min: 'profile' }. */
  sources: Record<string, ConfigSource>;
  /** The variable or parameter that set each value, e.g. { max: 'DB_POOL_MAX' }. */
  origins: Record<string, string>;
}
