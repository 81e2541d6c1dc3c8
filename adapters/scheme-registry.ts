import type { AdapterFactory } from './contract';
import { ConfigError } from '../src/shared/errors';
import { createLibsqlAdapter } from './libsql';
import { createMysqlAdapter } from './mysql';
import { createPostgresAdapter } from './postgres';
import { createSqliteAdapter } from './sqlite';

/**
 * Scheme → adapter factory. Built-in adapters are listed here; third parties add theirs with
 * `registerAdapter`. Adapter modules are cheap to import: each loads its driver only when a pool
 * for its scheme is created.
 */
const factories = new Map<string, AdapterFactory>([
  ['libsql', createLibsqlAdapter],
  ['file', createLibsqlAdapter],
  ['http', createLibsqlAdapter],
  ['https', createLibsqlAdapter],
  ['ws', createLibsqlAdapter],
  ['wss', createLibsqlAdapter],
  ['postgres', createPostgresAdapter],
  ['postgresql', createPostgresAdapter],
  ['mysql', createMysqlAdapter],
  ['mariadb', createMysqlAdapter],
  ['sqlite', createSqliteAdapter],
]);

export function registerAdapter(scheme: string, factory: AdapterFactory): void {
  const key = scheme.replace(/:$/, '').toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(key)) {
    throw new ConfigError('scheme', `registerAdapter: "${scheme}" is not a URL scheme (letters, digits, + . -).`);
  }
  factories.set(key, factory);
}

export function adapterFactoryFor(scheme: string): AdapterFactory {
  const factory = factories.get(scheme);
  if (!factory) {
    const known = [...factories.keys()].sort().join(', ');
    throw new ConfigError('url', `No adapter for URL scheme "${scheme}:". Known schemes: ${known}. Third parties can add one with registerAdapter().`);
  }
  return factory;
}
