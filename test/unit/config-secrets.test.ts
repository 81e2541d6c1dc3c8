/**
 * Passwords and auth tokens never show in any printable form of a config or of an error: not in
 * JSON.stringify, util.inspect or String, not in ConfigError messages, and not in the pool's
 * connection errors when the driver's own error echoes the URL.
 */
import { inspect } from 'node:util';
import { resolveConfig } from '../../src/config';
import { ConfigError, PoolTimeoutError, type ConnectionError } from '../../src/shared/errors';
import type { PoolOptions } from '../../src/config/types';
import { createPool, registerAdapter, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { fakeDatabase, type FakeDatabase } from '../helpers/fake-adapter';
import type { Secret } from '../../src/shared/secret';

const PASSWORD = 'Sup3r-S3cret-pw';
const REPLICA_PASSWORD = 'r3plica-pw-77';
const TOKEN = 'eyJhbGciOiJFZERTQSJ9.token-body';
const URL_TOKEN = 'url-param-token-91';
const SECRETS = [PASSWORD, encodeURIComponent('p@ss/w:rd'), 'p@ss/w:rd', 'ss:w0rd', REPLICA_PASSWORD, TOKEN, URL_TOKEN];

/** Every way a value gets printed; none may contain a secret. */
function printed(value: unknown): string {
  const forms = [JSON.stringify(value), inspect(value, { depth: 10 }), String(value), `${String(value)}`];
  if (value instanceof Error) forms.push(value.message, value.stack ?? '', inspect(value.cause, { depth: 10 }));
  return forms.join('\n');
}

function expectNoSecret(value: unknown): void {
  const text = printed(value);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

function thrown(options: PoolOptions): ConfigError {
  try {
    resolveConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('resolveConfig accepted it');
}

describe('a resolved config', () => {
  const env = {
    DATABASE_URL: `postgres://app:${PASSWORD}@db.internal:5432/orders?sslmode=require`,
    DB_READ_REPLICA_URLS: `postgres://app:${REPLICA_PASSWORD}@replica-1/orders,postgres://app:${REPLICA_PASSWORD}@replica-2/orders`,
  };

  it('prints the URL, the replica URLs and the secrets masked, and still holds the real ones', () => {
    const config = resolveConfig({ env });
    expectNoSecret(config);
    expect(config.url).toBe('postgres://app:[redacted]@db.internal:5432/orders');
    expect(config.readReplicaUrls).toEqual(['postgres://app:[redacted]@replica-1/orders', 'postgres://app:[redacted]@replica-2/orders']);
    expect(config.secretUrl.reveal()).toContain(PASSWORD);
    expect(config.secretReadReplicaUrls[0].reveal()).toContain(REPLICA_PASSWORD);
  });

  it.each([
    ['DB_AUTH_TOKEN', { env: { DB_AUTH_TOKEN: TOKEN }, url: 'libsql://db.example.turso.io' }],
    ['the authToken URL parameter', { env: {}, url: `libsql://db.example.turso.io?authToken=${URL_TOKEN}` }],
    ['the authToken option', { env: {}, url: 'libsql://db.example.turso.io', authToken: TOKEN }],
  ])('masks an auth token from %s', (_from, options) => {
    const config = resolveConfig(options);
    expectNoSecret(config);
    expect((config.authToken as Secret | undefined)?.reveal()).toMatch(/token/);
    expect(printed(config)).toContain('[redacted]');
  });

  it('masks a password with characters that must be percent-encoded', () => {
    const config = resolveConfig({ env: {}, url: `postgres://app:${encodeURIComponent('p@ss/w:rd')}@h/db` });
    expectNoSecret(config);
  });

  it('masks a driver password and a TLS private key in adapterOptions, and still hands them to the adapter', () => {
    const key = `-----BEGIN PRIVATE KEY-----\n${TOKEN}\n-----END PRIVATE KEY-----`;
    const adapterOptions = { driverOptions: { password: PASSWORD, keepAlive: true }, ssl: { ca: '/etc/ssl/ca.pem', key }, pragmas: { cache_size: 100 } };
    const config = resolveConfig({ env: {}, url: 'postgres://h/db', adapterOptions });
    expectNoSecret(config);
    expect(JSON.parse(JSON.stringify(config)).adapterOptions).toEqual({
      driverOptions: { password: '[redacted]', keepAlive: true },
      ssl: { ca: '/etc/ssl/ca.pem', key: '[redacted]' },
      pragmas: { cache_size: 100 },
    });
    expect(config.adapterOptions).toEqual(adapterOptions);
    expect((config.adapterOptions.ssl as { key: string }).key).toBe(key);
  });

  it('masks a token-like parameter passed through to the driver', () => {
    const config = resolveConfig({ env: {}, url: `postgres://h/db?sslpassword=${PASSWORD}` });
    expectNoSecret(config);
    expect(config.secretUrl.reveal()).toContain(PASSWORD);
  });
});

describe('ConfigError messages', () => {
  it.each<[string, PoolOptions]>([
    ['a bad value in the environment next to a URL with a password', { env: { DATABASE_URL: `postgres://app:${PASSWORD}@h/db`, DB_POOL_MAX: 'x' } }],
    ['a bad URL parameter in a URL with a password', { env: {}, url: `postgres://app:${PASSWORD}@h/db?max=x` }],
    ['a bad parameter next to an auth token', { env: {}, url: `libsql://h?authToken=${URL_TOKEN}&pool_timeout=soon` }],
    ['DATABASE_URL and DB_URL that disagree, both with passwords', { env: { DATABASE_URL: `postgres://app:${PASSWORD}@h/a`, DB_URL: `postgres://app:${REPLICA_PASSWORD}@h/b` } }],
    ['a URL that cannot be parsed, with a password', { env: {}, url: `postgres://app:${PASSWORD}@h:port/db` }],
    ['a URL that cannot be parsed, whose password holds a raw @', { env: {}, url: 'postgres://app:p@ss:w0rd@h:port/db' }],
    ['a URL that cannot be parsed, with an auth token', { env: {}, url: `libsql://h:port/db?authToken=${URL_TOKEN}` }],
    ['a URL without a scheme', { env: { DATABASE_URL: `app:${PASSWORD}@db.internal/orders` } }],
    ['a file URL without a path, with an auth token', { env: {}, url: `file:?authToken=${URL_TOKEN}` }],
    ['a bad replica URL with a password', { env: { DB_READ_REPLICA_URLS: `postgres://app:${REPLICA_PASSWORD}@r:x/db` }, url: 'postgres://h/db' }],
    ['replicas given as a bad option', { env: {}, url: 'postgres://h/db', readReplicaUrls: [`postgres://app:${REPLICA_PASSWORD}@r/db`, 5] as unknown as string[] }],
    ['the authToken parameter given twice', { env: {}, url: `libsql://h?authToken=${URL_TOKEN}&authToken=${TOKEN}` }],
    ['an in-memory database with max above 1 and a token', { env: { DB_POOL_MAX: '3', DB_AUTH_TOKEN: TOKEN }, url: ':memory:' }],
  ])('%s does not contain the secret', (_case, options) => {
    const err = thrown(options);
    expect(err.code).toBe('CONFIG_INVALID');
    expectNoSecret(err);
  });
});

describe('connection errors whose driver message echoes the URL', () => {
  const pools: Pool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 50 })));
  });

  /**
   * A pool over a fake database whose URL carries a password and an auth token, and whose connect
   * fails the way drivers do: the URL and the password in the message, and again in a cause.
   */
  function secretPool(options: PoolOptions = {}, plainString = false): { pool: Pool; db: FakeDatabase } {
    const { db, url } = fakeDatabase();
    const secretUrl = `${url.replace('://localhost', `://app:${PASSWORD}@localhost`)}?authToken=${URL_TOKEN}`;
    // The URL the driver is given (lifeguard has taken authToken out of it), as drivers echo it.
    const driverUrl = resolveConfig({ url: secretUrl, env: {} }).secretUrl.reveal();
    const message = `connect to ${driverUrl} with token ${TOKEN} failed: password authentication failed (${PASSWORD})`;
    const cause = new Error(`socket closed while sending password ${PASSWORD}`);
    db.connectError = plainString ? (message as unknown as Error) : new Error(message, { cause });
    const pool = createPool({ url: secretUrl, env: {}, logger: silentLogger, max: 1, acquireTimeoutMs: 100, ...options });
    pools.push(pool);
    return { pool, db };
  }

  it('leaves no secret in PoolTimeoutError, its cause, or the createError event', async () => {
    const { pool } = secretPool({ authToken: TOKEN });
    const events: Array<{ error: Error }> = [];
    pool.on('createError', (event) => events.push(event));
    const err = await pool.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expect((err as Error).message).toContain('password authentication failed');
    expectNoSecret(err);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expectNoSecret(event.error);
  });

  it('leaves no secret in the ConnectionError of warmup()', async () => {
    const { pool } = secretPool({ min: 1, authToken: TOKEN });
    const err = (await pool.warmup().catch((e: unknown) => e)) as ConnectionError;
    expect(err.code).toBe('CONNECTION_FAILED');
    expectNoSecret(err);
  });

  it('leaves no secret when the driver rejects with a plain string', async () => {
    const { pool } = secretPool({ authToken: TOKEN }, true);
    const err = await pool.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expectNoSecret(err);
  });
});

describe('query and validation errors whose driver message echoes the URL', () => {
  it('reach the caller and the destroy event without the password or the token', async () => {
    const noop = async () => undefined;
    registerAdapter('echoing', (config) => {
      const echo = () => new Error(`server at ${config.secretUrl.reveal()} (token ${(config.authToken as Secret | undefined)?.reveal()}) said no`);
      return {
        name: 'echoing',
        connect: async () => ({ usedAt: 0 }),
        validate: async () => {
          throw echo();
        },
        query: async () => {
          throw echo();
        },
        begin: noop,
        commit: noop,
        rollback: noop,
        close: noop,
        isBroken: () => false,
      };
    });
    const url = `echoing://app:${PASSWORD}@localhost/db`;
    const pool = createPool({ url, authToken: TOKEN, env: {}, logger: silentLogger, max: 1, testOnAcquire: false });
    // A new connection is validated before its first loan: this pool's every validation fails, loudly.
    const validating = createPool({ url, authToken: TOKEN, env: {}, logger: silentLogger, max: 1, testOnAcquire: true, acquireTimeoutMs: 200, name: 'validating' });
    try {
      const queryError = await pool.query('SELECT 1').catch((e: unknown) => e);
      expect((queryError as Error).message).toMatch(/server at echoing:\/\/app:\[redacted\]@localhost\/db|server at \[redacted\]/);
      expectNoSecret(queryError);
      const destroyed: unknown[] = [];
      validating.on('destroy', (event) => destroyed.push(event.error));
      await validating.query('SELECT 1').catch(() => undefined);
      expect(destroyed.length).toBeGreaterThanOrEqual(1);
      for (const error of destroyed) expectNoSecret(error);
    } finally {
      await Promise.all([pool.close({ timeoutMs: 100 }), validating.close({ timeoutMs: 100 })]);
    }
  });
});
