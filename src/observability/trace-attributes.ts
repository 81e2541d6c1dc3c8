/**
 * The attributes every span of one pool carries, worked out once from its settings: where the
 * database is (server.address, and server.port when it is not the system's default, as the
 * conventions ask), which database (db.namespace: the database named in the URL, or the file of
 * an embedded one; the schema is not known without a query, so it is left out), and the pool's
 * name. Read from the masked URL, and only its host, port and path: no user, password or
 * parameter can reach a span from here.
 */
import type { ResolvedConfig } from '../config/types';

const DEFAULT_PORTS: Record<string, number> = { postgresql: 5432, mysql: 3306, mariadb: 3306 };
const EMBEDDED_SCHEMES = new Set(['file', 'sqlite']);

export function poolSpanAttributes(config: ResolvedConfig, system: string, poolName: string): Record<string, string | number> {
  const attributes: Record<string, string | number> = { 'db.system.name': system };
  if (EMBEDDED_SCHEMES.has(config.scheme)) {
    const file = embeddedFile(config.url);
    if (file !== undefined) attributes['db.namespace'] = file;
  } else {
    Object.assign(attributes, serverAttributes(config.url, system));
  }
  attributes['db.client.connection.pool.name'] = poolName;
  return attributes;
}

function serverAttributes(url: string, system: string): Record<string, string | number> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {};
  }
  const out: Record<string, string | number> = {};
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host !== '') out['server.address'] = host;
  const port = Number(parsed.port);
  if (host !== '' && parsed.port !== '' && port !== DEFAULT_PORTS[system]) out['server.port'] = port;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database !== '' && system !== 'sqlite') out['db.namespace'] = database;
  return out;
}

/** sqlite:/abs/path, sqlite:///abs/path, sqlite:relative.db, file:path: the file; none for an in-memory database. */
function embeddedFile(url: string): string | undefined {
  const path = url.replace(/^(sqlite|file):(\/\/(?=\/))?/, '').replace(/\?.*$/, '');
  return path === '' || path.includes(':memory:') ? undefined : path;
}
