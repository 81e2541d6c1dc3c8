/**
 * new PgPool(options): pg.Pool's options onto lifeguard's, the environment applying as for
 * createPool, and every option lifeguard cannot honour a ConfigError naming it, never ignored.
 * No password in any of the errors. (No database: a PgPool with min 0 opens nothing until used.)
 */
import { inspect } from 'node:util';
import { ConfigError } from '../../src';
import { PgPool, type PgPoolOptions } from '../../src/integrations/pg';
import { silentLogger } from '../../src/shared/logger';

const made: PgPool[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((pool) => pool.end()));
});

function pgPool(options: PgPoolOptions): PgPool {
  const pool = new PgPool({ env: {}, logger: options.log ? undefined : silentLogger, name: `pg-options-${made.length}`, ...options });
  made.push(pool);
  return pool;
}

function configError(options: PgPoolOptions): ConfigError {
  try {
    pgPool(options);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('PgPool options', () => {
  it("translates pg.Pool's settings onto lifeguard's", () => {
    const { config } = pgPool({
      connectionString: 'postgres://app@db.internal:6543/orders',
      max: 7,
      min: 1,
      idleTimeoutMillis: 1500,
      connectionTimeoutMillis: 800,
      maxUses: 500,
      maxLifetimeSeconds: 60,
      application_name: 'orders-api',
      statement_timeout: 2500,
    }).lifeguard;
    expect(config).toMatchObject({
      max: 7,
      min: 1,
      idleTimeoutMs: 1500,
      acquireTimeoutMs: 800,
      connectTimeoutMs: 800,
      maxUses: 500,
      maxLifetimeMs: 60_000,
      applicationName: 'orders-api',
      statementTimeoutMs: 2500,
    });
    expect(config.url).toBe('postgres://app@db.internal:6543/orders');
  });

  it('builds the URL from host, port, user, password and database, the password kept out of sight', () => {
    const pool = pgPool({ host: 'db.internal', port: 6543, user: 'app', password: 's3cret pw', database: 'orders' });
    expect(pool.lifeguard.config.secretUrl.reveal()).toBe('postgres://app@db.internal:6543/orders');
    // lifeguard's own password option: it replaces the URL's, and never prints.
    expect(String(pool.lifeguard.config.password)).toBe('[redacted]');
    expect(pool.lifeguard.config.url).not.toContain('s3cret');
    expect(pool.options).toMatchObject({ host: 'db.internal', port: 6543, user: 'app', database: 'orders' });
    expect(pool.options.password).toBe('s3cret pw');
    expect(JSON.stringify(pool.options)).not.toContain('s3cret');
    expect(inspect(pool, { depth: 5 })).not.toContain('s3cret');
  });

  it('lets a connectionString without a password and a password complete each other, and a Unix socket host through', () => {
    const completed = pgPool({ connectionString: 'postgres://app@db/orders', password: 'pw' });
    expect(completed.lifeguard.config.secretUrl.reveal()).toBe('postgres://app@db/orders');
    expect(completed.options.password).toBe('pw');
    expect(pgPool({ host: '/var/run/postgresql', user: 'app', database: 'orders' }).lifeguard.config.secretUrl.reveal()).toBe('postgres://app@localhost/orders?host=%2Fvar%2Frun%2Fpostgresql');
  });

  it('applies the environment as createPool does: variables fill what the options leave, options win', () => {
    const env = { DATABASE_URL: 'postgres://app:envpw@db.env/orders', DB_POOL_MAX: '9', DB_SLOW_QUERY_MS: '300' };
    const fromEnv = pgPool({ env }).lifeguard.config;
    expect(fromEnv).toMatchObject({ max: 9, slowQueryMs: 300, sources: { max: 'env', url: 'env' } });
    const overridden = pgPool({ env, max: 3, user: 'reporting' }).lifeguard.config;
    expect(overridden.max).toBe(3);
    expect(overridden.sources.max).toBe('option');
    // A field given alone is laid over the environment's URL, the rest of which still applies.
    expect(overridden.secretUrl.reveal()).toBe('postgres://reporting:envpw@db.env/orders');
  });

  it.each([
    ['an unknown option', { maxConnections: 5 }, 'maxConnections'],
    ['a custom Promise class', { Promise: globalThis.Promise }, 'Promise'],
    ["pg's pipeline mode", { pipeline: true }, 'pipeline'],
    ['read replicas', { readReplicaUrls: ['postgres://r@replica/db'] }, 'readReplicaUrls'],
    ['a TLS option with no sslMode', { ssl: { servername: 'db', rejectUnauthorized: true } }, 'ssl.servername'],
    ['a password that is neither text nor a function', { password: 42, host: 'db' }, 'password'],
    ['a non-PostgreSQL URL', { connectionString: 'mysql://root@db/app' }, 'connectionString'],
    ['a non-PostgreSQL URL with fields', { connectionString: 'mysql://root@db/app', host: 'db' }, 'connectionString'],
    ['a non-PostgreSQL URL from the environment', { env: { DATABASE_URL: 'file:app.db' } }, 'url'],
    ['log and logger together', { log: () => undefined, logger: silentLogger }, 'log'],
  ])('refuses %s with a ConfigError naming it', (_label, options, setting) => {
    const err = configError(options as PgPoolOptions);
    expect(err.setting).toBe(setting);
    expect(err.message).toContain(setting === 'url' ? 'DATABASE_URL' : setting.split('.').pop());
  });

  it('refuses two names for one setting that disagree, naming both', () => {
    const err = configError({ connectionString: 'postgres://app@db/orders', idleTimeoutMillis: 1000, idleTimeoutMs: 2000 });
    expect(err.message).toMatch(/idleTimeoutMillis and idleTimeoutMs disagree|idleTimeoutMs and idleTimeoutMillis disagree/);
  });

  it('refuses a connectionString and a field that disagree, without showing either password', () => {
    const host = configError({ connectionString: 'postgres://app:first-secret@db/orders', host: 'other' });
    expect(host.message).toContain('connectionString and host disagree');
    const password = configError({ connectionString: 'postgres://app:first-secret@db/orders', password: 'second-secret' });
    expect(password.message).toContain('two different passwords');
    for (const err of [host, password]) {
      expect(`${err.message} ${inspect(err)}`).not.toMatch(/first-secret|second-secret/);
    }
  });

  it("takes pg's password function as lifeguard's per-connection password provider", async () => {
    const pool = pgPool({ connectionString: 'postgres://app@db/orders', password: async () => 'rotated' });
    expect(String(pool.lifeguard.config.password)).toBe('(function)');
    expect(typeof pool.options.password).toBe('function');
    expect(await (pool.options.password as () => Promise<string>)()).toBe('rotated');
  });

  it('maps ssl onto sslMode: false disable, rejectUnauthorized false require, true or a CA verify-full', () => {
    const mode = (ssl: PgPoolOptions['ssl']) => pgPool({ connectionString: 'postgres://app@db/orders', ssl }).lifeguard.config.sslMode;
    expect(mode(false)).toBe('disable');
    expect(mode({ rejectUnauthorized: false })).toBe('require');
    expect(mode(true)).toBe('verify-full');
    expect(mode({ ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' })).toBe('verify-full');
  });

  it("passes pg.Client's own per-connection options to every connection", () => {
    const types = { getTypeParser: () => (v: string) => v };
    const { adapterOptions } = pgPool({ connectionString: 'postgres://app@db/orders', query_timeout: 1000, keepAlive: false, types }).lifeguard.config;
    expect(adapterOptions.driverOptions).toEqual({ query_timeout: 1000, keepAlive: false, types });
  });
});
