import { ConfigError } from '../errors';
import { maskUrl } from '../secret';

/** Schemes whose URLs name a server: they must parse as URLs with a host. */
const NETWORK_SCHEMES = new Set(['postgres', 'postgresql', 'mysql', 'mariadb', 'libsql', 'http', 'https', 'ws', 'wss']);

export interface SplitUrl {
  scheme: string;
  /** The URL without the query parameters lifeguard consumed. */
  driverUrl: string;
  params: URLSearchParams;
  inMemory: boolean;
}

/**
 * Splits a database URL into its scheme, the query parameters, and the rest. File-like URLs
 * (`file:app.db`, `sqlite:relative.db`) are not valid hierarchical URLs, so the query string is cut
 * off by hand rather than by WHATWG URL, which would rewrite the path.
 */
export function splitUrl(url: string, variable: string): SplitUrl {
  const trimmed = url.trim();
  if (trimmed === ':memory:') return { scheme: 'file', driverUrl: ':memory:', params: new URLSearchParams(), inMemory: true };
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(trimmed);
  if (!schemeMatch) {
    throw new ConfigError(variable, `${variable}=${JSON.stringify(maskUrl(trimmed))} is not a database URL: expected scheme://…, file:path or :memory:.`);
  }
  const scheme = schemeMatch[1].toLowerCase();
  const queryAt = trimmed.indexOf('?');
  const base = queryAt >= 0 ? trimmed.slice(0, queryAt) : trimmed;
  const params = new URLSearchParams(queryAt >= 0 ? trimmed.slice(queryAt + 1) : '');
  if (NETWORK_SCHEMES.has(scheme)) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(base);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !parsed.hostname) {
      throw new ConfigError(variable, `${variable}=${JSON.stringify(maskUrl(trimmed))} cannot be parsed: expected ${scheme}://user:password@host:port/database.`);
    }
  } else if (base.length <= scheme.length + 1) {
    throw new ConfigError(variable, `${variable}=${JSON.stringify(trimmed)} has no path: expected e.g. ${scheme}:app.db.`);
  }
  const rest = base.slice(scheme.length + 1);
  const inMemory = rest === ':memory:' || rest.startsWith(':memory:') || /^\/*:memory:/.test(rest);
  return { scheme, driverUrl: base, params, inMemory };
}

export function withParams(base: string, params: URLSearchParams): string {
  const query = params.toString();
  return query ? `${base}?${query}` : base;
}
