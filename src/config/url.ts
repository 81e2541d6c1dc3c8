import { ConfigError } from '../shared/errors';
import { maskUrl } from '../shared/secret';

/** Schemes whose URLs name a server: they must parse as URLs with a host. */
const NETWORK_SCHEMES = new Set(['postgres', 'postgresql', 'mysql', 'mariadb', 'libsql', 'http', 'https', 'ws', 'wss']);

export interface SplitUrl {
  scheme: string;
  /** The URL without its query string. */
  base: string;
  /** The query parameters, decoded, for lifeguard to read. */
  params: URLSearchParams;
  /** The query string exactly as given (without '?'), so what the driver gets is what the user wrote. */
  rawQuery: string;
  inMemory: boolean;
}

/**
 * Splits a database URL into its scheme, the query parameters, and the rest. File-like URLs
 * (`file:app.db`, `sqlite:relative.db`) are not valid hierarchical URLs, so the query string is cut
 * off by hand rather than by WHATWG URL, which would rewrite the path.
 */
export function splitUrl(url: string, variable: string): SplitUrl {
  const trimmed = url.trim();
  if (trimmed === ':memory:') return { scheme: 'file', base: ':memory:', params: new URLSearchParams(), rawQuery: '', inMemory: true };
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(trimmed);
  // `db.example.com:5432/app` and `user:pw@host/db` start like a scheme but are a host or a user.
  const rest = schemeMatch ? trimmed.slice(schemeMatch[0].length) : '';
  if (!schemeMatch || /^\d+(\/|$)/.test(rest) || /^[^/?]*@/.test(rest)) {
    throw new ConfigError(variable, `${variable}=${JSON.stringify(maskUrl(trimmed))} has no scheme: expected scheme://…, such as postgres://user@host:5432/db, file:app.db or :memory:.`);
  }
  const scheme = schemeMatch[1].toLowerCase();
  const queryAt = trimmed.indexOf('?');
  const base = queryAt >= 0 ? trimmed.slice(0, queryAt) : trimmed;
  try {
    // Adapters decode the user, password and path; a bad escape there must be a ConfigError now, not a URIError later.
    decodeURIComponent(base);
  } catch {
    throw new ConfigError(
      variable,
      `${variable}=${JSON.stringify(maskUrl(trimmed))} has a malformed percent-escape: '%' must be followed by two hex digits; write a literal '%' in a password as %25.`,
    );
  }
  const rawQuery = queryAt >= 0 ? trimmed.slice(queryAt + 1) : '';
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
    throw new ConfigError(variable, `${variable}=${JSON.stringify(maskUrl(trimmed))} has no path: expected e.g. ${scheme}:app.db.`);
  }
  const path = base.slice(scheme.length + 1);
  const inMemory = /^\/*:memory:/.test(path);
  return { scheme, base, params: new URLSearchParams(rawQuery), rawQuery, inMemory };
}

/**
 * The URL handed to the driver: the parameters lifeguard consumed are taken out, every other one
 * stays byte for byte as written (re-encoding would turn `%20` into `+` and `/` into `%2F`, which
 * not every driver decodes the same way).
 */
export function driverUrl(split: SplitUrl, consumed: ReadonlySet<string>): string {
  const kept = split.rawQuery
    .split('&')
    .filter((pair) => pair !== '' && !consumed.has(parameterName(pair)));
  return kept.length > 0 ? `${split.base}?${kept.join('&')}` : split.base;
}

function parameterName(pair: string): string {
  const [name] = new URLSearchParams(pair).keys();
  return name ?? '';
}
