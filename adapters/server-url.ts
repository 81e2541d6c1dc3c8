import { ConfigError } from '../src/shared/errors';

/** The parts of a `scheme://user:password@host:port/database?params` URL a server driver needs. */
export interface ServerTarget {
  host: string;
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  /** Query parameters lifeguard did not consume (sslrootcert, host for a socket directory, ...). */
  params: URLSearchParams;
}

/**
 * Parses the URL by hand into explicit driver options instead of handing the drivers a
 * connection string: pg lets the string override explicit options (its `ssl` among them), which
 * would undo the sslMode mapping.
 */
export function parseServerUrl(url: string, defaultPort: number): ServerTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('url', 'The database URL cannot be parsed: expected scheme://user:password@host:port/database.');
  }
  const decode = (text: string) => (text === '' ? undefined : decodeURIComponent(text));
  const database = decode(parsed.pathname.replace(/^\//, ''));
  // `?host=/var/run/postgresql` points at a Unix socket directory, as libpq accepts.
  const host = parsed.searchParams.get('host') ?? parsed.hostname.replace(/^\[|\]$/g, '');
  parsed.searchParams.delete('host');
  return {
    host: host || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : defaultPort,
    user: decode(parsed.username),
    password: decode(parsed.password),
    database,
    params: parsed.searchParams,
  };
}

/** The error's `code` (or its cause's), when it has a string one. */
/** The first object in err's cause chain (err itself included) that `matches`, within five links. */
export function findInCauses<T>(err: unknown, matches: (value: object) => T | undefined): T | undefined {
  for (let current = err, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const found = matches(current);
    if (found !== undefined) return found;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function errorCode(err: unknown): string | undefined {
  for (let current = err, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}

/** Socket-level failures: the connection under them is gone, whatever the driver. */
export const SOCKET_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTCONN',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_SOCKET_CLOSED',
]);
