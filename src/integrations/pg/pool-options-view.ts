import type { PoolConfig } from 'pg';
import type { ResolvedConfig } from '../../config/types';
import { Secret } from '../../shared/secret';

/**
 * pg.Pool's `options` as the resolved configuration says, for the code that reads them: Kysely
 * builds its cancel connection from them, PrismaPg its shadow-database pool. pg-pool's own
 * constructor keeps the password there, not enumerable, and so it is here: it never prints.
 */
export function pgPoolOptionsOf(config: ResolvedConfig, allowExitOnIdle: boolean): PoolConfig {
  const url = new URL(config.secretUrl.reveal());
  const decode = (text: string) => (text === '' ? undefined : decodeURIComponent(text));
  return {
    host: url.searchParams.get('host') ?? (url.hostname.replace(/^\[|\]$/g, '') || undefined),
    port: url.port ? Number(url.port) : 5432,
    user: decode(url.username),
    password: passwordOf(config) ?? decode(url.password),
    database: decode(url.pathname.replace(/^\//, '')),
    ssl: sslOf(config.sslMode),
    max: config.max,
    min: config.min,
    idleTimeoutMillis: config.idleTimeoutMs,
    connectionTimeoutMillis: config.acquireTimeoutMs,
    maxUses: config.maxUses > 0 ? config.maxUses : undefined,
    maxLifetimeSeconds: config.maxLifetimeMs > 0 ? config.maxLifetimeMs / 1000 : undefined,
    allowExitOnIdle,
    application_name: config.applicationName,
    statement_timeout: config.statementTimeoutMs > 0 ? config.statementTimeoutMs : undefined,
  };
}

/** lifeguard's `password` option as pg takes one: the text, or pg's own kind of function for a provider. */
function passwordOf(config: ResolvedConfig): PoolConfig['password'] {
  const source = config.password;
  if (source === undefined) return undefined;
  return source instanceof Secret ? source.reveal() : () => source.fetch();
}

/** The nearest pg `ssl` to an sslMode (a second connection made from these options gets the same protection or more). */
function sslOf(mode: ResolvedConfig['sslMode']): PoolConfig['ssl'] {
  if (mode === 'disable' || mode === 'allow') return false;
  if (mode === 'prefer' || mode === 'require') return { rejectUnauthorized: false };
  return true;
}
