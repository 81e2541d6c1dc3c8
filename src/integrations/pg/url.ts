import { ConfigError } from '../../shared/errors';

/** pg's connection fields that go into the URL. The password does not: see passwordOption in options.ts. */
const FIELDS = ['host', 'port', 'user', 'database'] as const;
type Field = (typeof FIELDS)[number] | 'password';

/**
 * The URL a PgPool connects to. connectionString (or lifeguard's url) and pg's separate fields
 * are options of the same level: they may complete each other (a connectionString without a
 * user, and user) but not disagree. Fields given without a connectionString are laid over the
 * URL from the environment (DATABASE_URL, DB_URL): explicit options over environment, lifeguard's
 * precedence. Nothing given: undefined, and the environment decides alone. The password goes to
 * lifeguard's `password` option (so it may be a function); it must not disagree with the URL's.
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
  if (given.length === 0 && typeof input.password !== 'string') {
    // Passed on as it is (the resolver reads it, odd passwords and all); only its scheme is ours to check.
    if (explicit !== undefined && !/^postgres(ql)?:\/\//i.test(explicit.trim())) throw notPostgres(explicit.split(':')[0]);
    return explicit;
  }
  const base = parse(explicit ?? fromEnvironment() ?? 'postgres://localhost');
  const parts = partsOf(base);
  if (typeof input.password === 'string' && explicit !== undefined && parts.password !== undefined && parts.password !== input.password) {
    throw new ConfigError('password', 'PgPool options connectionString and password disagree (two different passwords); give one.');
  }
  for (const field of given) {
    const value = String(input[field]);
    if (explicit !== undefined && parts[field] !== undefined && parts[field] !== value) {
      throw new ConfigError(field, `PgPool options connectionString and ${field} disagree (${JSON.stringify(parts[field])} and ${JSON.stringify(value)}); give one.`);
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
