import * as path from 'node:path';
import type { AdapterFactory } from './contract';
import type { LibsqlConnection } from './libsql-connection';
import { createEmbeddedLibsqlAdapter } from './libsql-embedded';
import type { LibsqlDatabaseClass, LibsqlErrorClass } from './libsql-embedded-connection';
import { createRemoteLibsqlAdapter, type LibsqlClientModule } from './libsql-remote';
import type { IntMode } from './libsql-values';
import { loadDriver, loadDriverBeside } from './load-driver';
import { ConfigError } from '../src/shared/errors';

/**
 * libsql, the primary adapter: embedded files (`file:`, `:memory:`) and remote sqld/Turso
 * (`libsql://`, `http(s)://`, `ws(s)://`, with an auth token).
 *
 * On an embedded file one lifeguard connection is one libsql Database (the `libsql` package that
 * @libsql/client itself opens files with), used directly, with its statements kept prepared
 * (libsql-embedded.ts). On a server it is one @libsql/client client with `concurrency: 1`
 * (libsql-remote.ts).
 */
export type { LibsqlConnection };
export { isBrokenLibsqlError, isRetryableLibsqlError, libsqlErrorCode } from './libsql-errors';

type LibsqlModule = LibsqlClientModule & { LibsqlError: LibsqlErrorClass };

/** Embedded files get WAL, a busy timeout and foreign keys: a fresh file has none of them. */
export const EMBEDDED_PRAGMAS: Readonly<Record<string, string | number>> = {
  journal_mode: 'WAL',
  busy_timeout: 5000,
  foreign_keys: 'ON',
  synchronous: 'NORMAL',
};

/** `file:` URLs (and ':memory:') are embedded; everything else reaches a server. */
export function describeLibsqlUrl(url: string): { embedded: boolean; inMemory: boolean; filePath?: string; driverUrl: string } {
  if (url === ':memory:' || url === 'file::memory:' || url.startsWith('file::memory:?')) {
    return { embedded: true, inMemory: true, driverUrl: ':memory:' };
  }
  if (url.startsWith('file:')) {
    let rest = url.slice('file:'.length).replace(/\?.*$/, '');
    if (rest.startsWith('//')) rest = rest.replace(/^\/\/(localhost)?/, '');
    const filePath = path.resolve(decodeURIComponent(rest));
    return { embedded: true, inMemory: false, filePath, driverUrl: `file:${filePath}` };
  }
  return { embedded: false, inMemory: false, driverUrl: url };
}

export const createLibsqlAdapter: AdapterFactory = (config) => {
  const target = describeLibsqlUrl(config.secretUrl.reveal());
  // Loaded when the first pool for a libsql URL is created, so a missing driver fails createPool()
  // at once, naming the package, instead of surfacing later as connection timeouts.
  const driver = loadDriver<LibsqlModule>('@libsql/client', config.scheme);
  const intMode = libsqlIntMode(config.adapterOptions);
  if (!target.embedded) return createRemoteLibsqlAdapter(driver, target.driverUrl, intMode);
  const pragmas = { ...EMBEDDED_PRAGMAS, ...((config.adapterOptions.pragmas as Record<string, string | number>) ?? {}) };
  const Database = loadDriverBeside<LibsqlDatabaseClass>('libsql', '@libsql/client', config.scheme);
  return createEmbeddedLibsqlAdapter({ Database, LibsqlError: driver.LibsqlError, target, pragmas, intMode });
};

/**
 * How integers come back: adapterOptions.intMode ('number', 'bigint' or 'string', as @libsql/client
 * names them), or safeIntegers: true for 'bigint' (the better-sqlite3 adapter's option). 'number'
 * by default, where an integer beyond 2^53 fails its row with a RangeError.
 */
export function libsqlIntMode(options: Record<string, unknown>): IntMode {
  const { intMode, safeIntegers } = options;
  if (intMode === undefined) return safeIntegers === true ? 'bigint' : 'number';
  if (intMode === 'number' || intMode === 'bigint' || intMode === 'string') return intMode;
  throw new ConfigError('adapterOptions.intMode', `adapterOptions.intMode=${JSON.stringify(intMode)} is not one of 'number', 'bigint', 'string'.`);
}

/** Whether a transaction is open on `conn`, on either kind of libsql connection. */
export function libsqlInTransaction(conn: LibsqlConnection): boolean {
  return conn.kind === 'embedded' ? conn.inTransaction : conn.tx !== undefined;
}

/** A script of several statements inside the transaction open on `conn`, through the driver's own executeMultiple. */
export async function executeScriptIn(conn: LibsqlConnection, sql: string): Promise<void> {
  if (conn.kind === 'embedded') conn.executeMultiple(sql);
  else await conn.tx?.executeMultiple(sql);
}
