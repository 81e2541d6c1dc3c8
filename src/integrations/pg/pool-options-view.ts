import type { PoolConfig } from 'pg';
import type { ResolvedConfig } from '../../config/types';

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
    password: decode(url.password),
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

/** The nearest pg `ssl` to an sslMode (a second connection made from these options gets the same protection or more). */
function sslOf(mode: ResolvedConfig['sslMode']): PoolConfig['ssl'] {
  if (mode === 'disable' || mode === 'allow') return false;
  if (mode === 'prefer' || mode === 'require') return { rejectUnauthorized: false };
  return true;
}
