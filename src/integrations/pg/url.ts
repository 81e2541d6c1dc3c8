import { ConfigError } from '../../shared/errors';

const FIELDS = ['host', 'port', 'user', 'password', 'database'] as const;
type Field = (typeof FIELDS)[number];

/**
 * The URL a PgPool connects to. connectionString (or lifeguard's url) and pg's separate fields
 * are options of the same level: they may complete each other (a connectionString without a
 * password, and password) but not disagree. Fields given without a connectionString are laid
 * over the URL from the environment (DATABASE_URL, DB_URL): explicit options over environment,
 * lifeguard's precedence. Nothing given: undefined, and the environment decides alone.
 * No password ever appears in an error.
 */
export function connectionUrl(input: Record<string, unknown>, fromEnvironment: () => string | undefined): string | undefined {
  const { connectionString, url } = input;
  if (connectionString !== undefined && url !== undefined && connectionString !== url) {
    throw new ConfigError('connectionString', 'PgPool options connectionString and url disagree; give one.');
  }
  const explicit = connectionString ?? url;
  if (explicit !== undefined && typeof explicit !== 'string') {
    throw new ConfigError('connectionString', `PgPool option connectionString must be a string such as postgres://user@host:5432/db, not a ${typeof explicit}.`);
  }
  const given = FIELDS.filter((field) => input[field] !== undefined);
  if (given.length === 0) {
    // Passed on as it is (the resolver reads it, odd passwords and all); only its scheme is ours to check.
    if (explicit !== undefined && !/^postgres(ql)?:\/\//i.test(explicit.trim())) throw notPostgres(explicit.split(':')[0]);
    return explicit;
  }
  if (typeof input.password === 'function') {
    throw new ConfigError('password', 'PgPool option password: a function is not supported; pass the password as a string.');
  }
  const base = parse(explicit ?? fromEnvironment() ?? 'postgres://localhost');
  const parts = partsOf(base);
  for (const field of given) {
    const value = String(input[field]);
    if (explicit !== undefined && parts[field] !== undefined && parts[field] !== value) {
      const shown = field === 'password' ? 'two different passwords' : `${JSON.stringify(parts[field])} and ${JSON.stringify(value)}`;
      throw new ConfigError(field, `PgPool options connectionString and ${field} disagree (${shown}); give one.`);
    }
    parts[field] = value;
  }
  return build(base, parts);
}

function parse(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('connectionString', 'PgPool option connectionString cannot be parsed: expected postgres://user:password@host:port/database.');
  }
  if (!/^postgres(ql)?:$/.test(url.protocol)) throw notPostgres(url.protocol.replace(/:$/, ''));
  return url;
}

function notPostgres(scheme: string): ConfigError {
  return new ConfigError('connectionString', `PgPool connects to PostgreSQL: connectionString must start with postgres:// or postgresql://, not ${scheme}:.`);
}

function partsOf(url: URL): Record<Field, string | undefined> {
  const decode = (text: string) => (text === '' ? undefined : decodeURIComponent(text));
  return {
    // `?host=/var/run/postgresql` is a Unix socket directory, as libpq (and lifeguard) read it.
    host: url.searchParams.get('host') ?? decode(url.hostname.replace(/^\[|\]$/g, '')),
    port: url.port || undefined,
    user: decode(url.username),
    password: decode(url.password),
    database: decode(url.pathname.replace(/^\//, '')),
  };
}

function build(base: URL, parts: Record<Field, string | undefined>): string {
  const url = new URL(`${base.protocol}//localhost`);
  const host = parts.host ?? 'localhost';
  if (host.startsWith('/')) url.searchParams.set('host', host);
  else url.hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  if (parts.port !== undefined) url.port = parts.port;
  if (parts.user !== undefined) url.username = encodeURIComponent(parts.user);
  if (parts.password !== undefined) url.password = encodeURIComponent(parts.password);
  if (parts.database !== undefined) url.pathname = `/${encodeURIComponent(parts.database)}`;
  for (const [key, value] of base.searchParams) if (key !== 'host') url.searchParams.set(key, value);
  return url.toString();
}
