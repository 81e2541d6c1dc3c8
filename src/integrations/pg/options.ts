import type { ClientConfig } from 'pg';
import { resolveConfig } from '../../config';
import { SETTINGS } from '../../config/options';
import type { Logger, PoolOptions, SslMode } from '../../config/types';
import { ConfigError } from '../../shared/errors';
import { Secret } from '../../shared/secret';
import { connectionUrl } from './url';

/**
 * new PgPool(options): pg.Pool's options translated onto lifeguard's, so the one resolver
 * (resolveConfig) applies defaults, profiles and the environment as it does for createPool.
 * Every key is translated, passed to pg.Client untouched (what pg itself honours on each
 * connection), or refused with a ConfigError naming it: nothing is silently ignored.
 */

/** A pg.Client class (a subclass, or pg.native.Client) to open connections with. */
export type PgClientClass = new (config: ClientConfig) => import('pg').Client;

/** pg.Pool's own hooks, as pg-pool 3.x calls them. */
export interface PgPoolHooks<C> {
  /** Runs once on each new client before any caller gets it; a rejection closes that client. */
  onConnect?: (client: C) => void | Promise<void>;
  /** pg-pool's older check of each new client: call `done(err)` to refuse it. */
  verify?: (client: C, done: (err?: Error) => void) => void;
}

/** What lifeguard makes of the options: the pool's own, and the facade's hooks. */
export interface TranslatedPgOptions<C> {
  pool: PoolOptions;
  hooks: PgPoolHooks<C>;
  allowExitOnIdle: boolean;
  /** pg-pool's log function, which also gets the pool's own lines (pool-log.ts). */
  log?: PgLogFunction;
}

/** pg-pool's `log(message, ...details)`. */
export type PgLogFunction = (message: string, ...details: unknown[]) => void;

/** pg.Client options passed to every connection untouched: pg honours them itself. */
const CLIENT_PASSTHROUGH = new Set([
  'keepAlive',
  'keepAliveInitialDelayMillis',
  'query_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'options',
  'types',
  'binary',
  'client_encoding',
  'fallback_application_name',
  'parseInputDatesAsUTC',
  'stream',
  'enableChannelBinding',
]);

/** pg option → the lifeguard setting it is, and how its value converts. */
const TRANSLATED: Record<string, { key: keyof PoolOptions; seconds?: boolean }> = {
  idleTimeoutMillis: { key: 'idleTimeoutMs' },
  maxLifetimeSeconds: { key: 'maxLifetimeMs', seconds: true },
  application_name: { key: 'applicationName' },
  statement_timeout: { key: 'statementTimeoutMs' },
  poolSize: { key: 'max' },
};

/** Handled below, one by one. */
const SPECIAL = new Set(['connectionString', 'url', 'host', 'port', 'user', 'password', 'database', 'connectionTimeoutMillis', 'ssl', 'Client', 'onConnect', 'verify', 'log', 'allowExitOnIdle']);

const REFUSED: Record<string, string> = {
  Promise: "PgPool's promises are native Promises; a custom Promise class cannot be used.",
  pipeline: "PgPool lends each client to one holder at a time and runs cursors on it, which pg's pipeline mode refuses; lifeguard pipelines pool.query itself (pipelineDepth).",
  readReplicaUrls: 'PgPool sends every query to the primary; for reads on replicas use getPool() and pool.reader().',
  authToken: 'authToken is for libsql; PostgreSQL takes a password.',
};

/** lifeguard's own option names: the settings table, and the options that are not settings. */
const LIFEGUARD_KEYS = new Set<string>([...SETTINGS.map((s) => s.key), 'name', 'profile', 'workload', 'env', 'envPrefix', 'logger', 'adapterOptions']);

export function translatePgOptions<C>(input: Record<string, unknown>): TranslatedPgOptions<C> {
  const pool: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  /** Two names for one setting (idleTimeoutMillis and idleTimeoutMs, say) must agree. */
  const set = (key: string, value: unknown, name: string) => {
    if (pool[key] !== undefined && pool[key] !== value) {
      throw new ConfigError(name, `PgPool options ${from[key]} and ${name} disagree (${JSON.stringify(pool[key])} and ${JSON.stringify(value)}); give one.`);
    }
    pool[key] = value;
    from[key] = name;
  };
  const driverOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || SPECIAL.has(key)) continue;
    if (key in REFUSED) throw new ConfigError(key, `PgPool option ${key}: ${REFUSED[key]}`);
    if (CLIENT_PASSTHROUGH.has(key)) driverOptions[key] = value;
    else if (key in TRANSLATED) {
      const { key: target, seconds } = TRANSLATED[key];
      set(target, seconds ? count(key, value) * 1000 : value, key);
    } else if (LIFEGUARD_KEYS.has(key)) set(key, value, key);
    else {
      throw new ConfigError(
        key,
        `PgPool has no option "${key}". It takes pg.Pool's options (connectionString or host, port, user, password, database; max, min, idleTimeoutMillis, connectionTimeoutMillis, maxUses, maxLifetimeSeconds, allowExitOnIdle; ssl, application_name, statement_timeout and pg.Client's other per-connection options; Client, onConnect, verify, log) and lifeguard's (docs/configuration.md).`,
      );
    }
  }
  if (input.connectionTimeoutMillis !== undefined) {
    // pg bounds both the wait for a client and the opening of a new one with it.
    const ms = count('connectionTimeoutMillis', input.connectionTimeoutMillis);
    set('acquireTimeoutMs', ms, 'connectionTimeoutMillis');
    set('connectTimeoutMs', ms, 'connectionTimeoutMillis');
  }
  const url = connectionUrl(input, () => environmentUrl(pool as PoolOptions));
  if (url !== undefined) pool.url = url;
  if (input.password !== undefined) pool.password = passwordOption(input.password);
  const adapterOptions: Record<string, unknown> = { ...((pool.adapterOptions as Record<string, unknown> | undefined) ?? {}) };
  if (input.ssl !== undefined) {
    const { mode, files } = sslMode(input.ssl);
    set('sslMode', mode, 'ssl');
    if (files) adapterOptions.ssl = files;
  }
  if (input.log !== undefined) {
    if (input.logger !== undefined) throw new ConfigError('log', "PgPool takes log (pg.Pool's) or logger (lifeguard's), not both.");
    pool.logger = logFunctionLogger(fn('log', input.log) as (message: string, ...details: unknown[]) => void);
  }
  if (Object.keys(driverOptions).length > 0) adapterOptions.driverOptions = { ...((adapterOptions.driverOptions as object | undefined) ?? {}), ...driverOptions };
  if (input.Client !== undefined) adapterOptions.Client = fn('Client', input.Client);
  if (Object.keys(adapterOptions).length > 0) pool.adapterOptions = adapterOptions;
  if (url === undefined) requirePostgresFromEnvironment(pool as PoolOptions);
  return {
    pool: pool as PoolOptions,
    hooks: {
      onConnect: input.onConnect === undefined ? undefined : (fn('onConnect', input.onConnect) as PgPoolHooks<C>['onConnect']),
      verify: input.verify === undefined ? undefined : (fn('verify', input.verify) as PgPoolHooks<C>['verify']),
    },
    allowExitOnIdle: input.allowExitOnIdle === undefined ? false : bool('allowExitOnIdle', input.allowExitOnIdle),
    log: input.log === undefined ? undefined : (input.log as PgLogFunction),
  };
}

/**
 * pg's password (a string, or a function pg calls for each new connection) is lifeguard's own
 * `password` option: it replaces the URL's, and a function is asked for every connection opened.
 */
function passwordOption(value: unknown): PoolOptions['password'] {
  if (typeof value === 'string' || typeof value === 'function' || value instanceof Secret) return value as PoolOptions['password'];
  throw new ConfigError('password', `PgPool option password must be a string or a function returning one, not ${value === null ? 'null' : typeof value}.`);
}

/** A URL that comes from the environment alone must be PostgreSQL's too (resolveConfig names a missing one). */
function requirePostgresFromEnvironment(pool: PoolOptions): void {
  const { scheme } = resolveConfig(pool);
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new ConfigError('url', `PgPool connects to PostgreSQL, but the database URL from the environment is a ${scheme}: URL; set DATABASE_URL (or DB_URL) to a postgres:// URL, or pass connectionString.`);
  }
}

/** The URL the environment gives createPool (DATABASE_URL, DB_URL), or undefined when it gives none. */
function environmentUrl(pool: PoolOptions): string | undefined {
  try {
    return resolveConfig({ env: pool.env, envPrefix: pool.envPrefix, profile: pool.profile, logger: pool.logger }).secretUrl.reveal();
  } catch (err) {
    // No URL there (or a bad one): the real resolve, with every option, says so in its own words.
    if (err instanceof ConfigError) return undefined;
    throw err;
  }
}

/**
 * pg's `ssl` onto the libpq modes lifeguard implements: false → disable, { rejectUnauthorized:
 * false } → require, true or a verifying object → verify-full, its ca, cert and key passed on.
 * Other TLS options have no sslMode, so they are refused by name rather than dropped.
 */
function sslMode(ssl: unknown): { mode: SslMode; files?: Record<string, unknown> } {
  if (ssl === false) return { mode: 'disable' };
  if (ssl === true) return { mode: 'verify-full' };
  if (typeof ssl !== 'object' || ssl === null) {
    throw new ConfigError('ssl', 'PgPool option ssl must be true, false or an object such as { rejectUnauthorized: false } or { ca }.');
  }
  const { rejectUnauthorized, ca, cert, key, ...rest } = ssl as Record<string, unknown>;
  const other = Object.keys(rest)[0];
  if (other !== undefined) {
    throw new ConfigError(`ssl.${other}`, `PgPool option ssl.${other} cannot be honoured: lifeguard sets TLS up from ssl's rejectUnauthorized, ca, cert and key (or from sslMode); see docs/integrations.md.`);
  }
  const files = Object.fromEntries(Object.entries({ ca, cert, key }).filter(([, v]) => v !== undefined));
  return { mode: rejectUnauthorized === false ? 'require' : 'verify-full', files: Object.keys(files).length > 0 ? files : undefined };
}

/** pg-pool's `log(message, ...details)` as lifeguard's Logger: every level goes to it. */
function logFunctionLogger(log: (message: string, ...details: unknown[]) => void): Logger {
  const write = (obj: object, msg?: string) => log(msg ?? '', obj);
  return { debug: write, info: write, warn: write, error: write };
}

function count(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(key, `PgPool option ${key} must be a number of 0 or more, not ${JSON.stringify(value)}.`);
  }
  return value;
}

function bool(key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(key, `PgPool option ${key} must be true or false, not ${JSON.stringify(value)}.`);
  return value;
}

function fn(key: string, value: unknown): unknown {
  if (typeof value !== 'function') throw new ConfigError(key, `PgPool option ${key} must be a function, not ${typeof value}.`);
  return value;
}
