/**
 * The layers of resolveConfig, lowest first: defaults < profile < workload < environment < URL
 * parameters < options, and the record of where each value came from.
 */
import { resolveConfig } from '../../src/config';
import { DEFAULTS, PROFILES } from '../../src/config/profiles';
import type { Secret } from '../../src/shared/secret';

const URL = 'postgres://app@db.internal:5432/orders';

describe('precedence of the layers', () => {
  it('uses the built-in defaults when nothing else is set, and says so', () => {
    const config = resolveConfig({ env: { NODE_ENV: 'production' }, url: URL, profile: undefined });
    expect(config.maxUses).toBe(DEFAULTS.maxUses);
    expect(config.sources.maxUses).toBe('default');
    expect(config.origins.maxUses).toBe('built-in default');
  });

  it('lets each layer override the one below it, and records the winner', () => {
    const env = { DB_PROFILE: 'production', DB_WORKLOAD: 'api' };
    // max: default 10 → production 10 → api 20
    expect(resolveConfig({ env, url: URL })).toMatchObject({ max: 20, sources: { max: 'workload' }, origins: { max: 'workload api' } });
    // → environment
    expect(resolveConfig({ env: { ...env, DB_POOL_MAX: '30' }, url: URL })).toMatchObject({ max: 30, sources: { max: 'env' }, origins: { max: 'DB_POOL_MAX' } });
    // → URL parameter
    const withUrl = resolveConfig({ env: { ...env, DB_POOL_MAX: '30' }, url: `${URL}?max=40` });
    expect(withUrl).toMatchObject({ max: 40, sources: { max: 'url' }, origins: { max: 'URL parameter max' } });
    // → explicit option
    const withOption = resolveConfig({ env: { ...env, DB_POOL_MAX: '30' }, url: `${URL}?max=40`, max: 50 });
    expect(withOption).toMatchObject({ max: 50, sources: { max: 'option' }, origins: { max: 'option max' } });
  });

  it('takes a profile value over the default', () => {
    const config = resolveConfig({ env: { DB_PROFILE: 'test' }, url: URL });
    expect(config.idleTimeoutMs).toBe(PROFILES.test.idleTimeoutMs);
    expect(config.sources.idleTimeoutMs).toBe('profile');
    expect(config.origins.idleTimeoutMs).toBe('profile test');
  });

  it('reads the URL from DATABASE_URL, then loses to the url option', () => {
    const config = resolveConfig({ env: { DATABASE_URL: 'postgres://env-host/db' }, url: 'postgres://option-host/db' });
    expect(config.url).toBe('postgres://option-host/db');
  });

  it('applies an option over an environment variable of the same setting', () => {
    expect(resolveConfig({ env: { DB_TEST_ON_ACQUIRE: 'true' }, url: URL, testOnAcquire: false }).testOnAcquire).toBe(false);
  });

  it('lets the profile and workload options win over their variables', () => {
    const config = resolveConfig({ env: { DB_PROFILE: 'test', DB_WORKLOAD: 'api' }, url: URL, profile: 'staging', workload: 'scheduler' });
    expect(config).toMatchObject({ profile: 'staging', workload: 'scheduler', sources: { profile: 'option', workload: 'option' } });
  });

  it('records where the URL and the auth token came from', () => {
    const fromEnv = resolveConfig({ env: { DATABASE_URL: 'libsql://db.example.com', DB_AUTH_TOKEN: 'env-token' } });
    expect(fromEnv).toMatchObject({ sources: { url: 'env', authToken: 'env' }, origins: { url: 'DATABASE_URL', authToken: 'DB_AUTH_TOKEN' } });
    const fromUrl = resolveConfig({ env: { DB_URL: 'libsql://db.example.com?authToken=url-token', DB_AUTH_TOKEN: 'env-token' } });
    expect((fromUrl.authToken as Secret | undefined)?.reveal()).toBe('url-token');
    expect(fromUrl).toMatchObject({ sources: { url: 'env', authToken: 'url' }, origins: { url: 'DB_URL', authToken: 'URL parameter authToken' } });
    const fromOptions = resolveConfig({ env: { DB_AUTH_TOKEN: 'env-token' }, url: 'libsql://db.example.com?authToken=url-token', authToken: 'option-token' });
    expect((fromOptions.authToken as Secret | undefined)?.reveal()).toBe('option-token');
    expect(fromOptions).toMatchObject({ sources: { url: 'option', authToken: 'option' }, origins: { url: 'option url', authToken: 'option authToken' } });
  });

  it('defaults applicationName to the pool name', () => {
    expect(resolveConfig({ env: {}, url: URL, name: 'orders' }).applicationName).toBe('orders');
    expect(resolveConfig({ env: { DB_APPLICATION_NAME: 'svc' }, url: URL, name: 'orders' }).applicationName).toBe('svc');
  });
});

describe('options given as strings (from JSON or a CLI)', () => {
  it('parses numbers, durations, booleans and SSL modes the way variables are parsed', () => {
    const options = { max: '7', acquireTimeoutMs: '2s', testOnAcquire: 'false', sslMode: 'REQUIRE', readReplicaUrls: 'postgres://r1/db,postgres://r2/db' };
    const config = resolveConfig({ env: {}, url: URL, ...(options as unknown as object) });
    expect(config).toMatchObject({ max: 7, acquireTimeoutMs: 2000, testOnAcquire: false, sslMode: 'require', readReplicaUrls: ['postgres://r1/db', 'postgres://r2/db'] });
    expect(config.sources.max).toBe('option');
  });
});

describe('the profile', () => {
  it('comes from DB_PROFILE first', () => {
    const config = resolveConfig({ env: { DB_PROFILE: 'staging', NODE_ENV: 'test' }, url: URL });
    expect(config).toMatchObject({ profile: 'staging', sources: { profile: 'env' }, origins: { profile: 'DB_PROFILE' } });
  });

  it.each([
    ['production', 'production'],
    ['prod', 'production'],
    ['staging', 'staging'],
    ['test', 'test'],
    ['development', 'development'],
    ['dev', 'development'],
  ])('falls back to NODE_ENV=%s → %s', (nodeEnv, profile) => {
    const config = resolveConfig({ env: { NODE_ENV: nodeEnv }, url: URL });
    expect(config).toMatchObject({ profile, origins: { profile: 'NODE_ENV' } });
  });

  it('uses development for an unknown NODE_ENV, and records why', () => {
    const config = resolveConfig({ env: { NODE_ENV: 'ci' }, url: URL });
    expect(config.profile).toBe('development');
    expect(config.sources.profile).toBe('default');
    expect(config.origins.profile).toContain('NODE_ENV=ci is not a profile');
  });

  it('treats a blank DB_PROFILE or DB_WORKLOAD as unset, like every other variable', () => {
    const config = resolveConfig({ env: { DB_PROFILE: ' ', DB_WORKLOAD: ' ', NODE_ENV: 'production' }, url: URL });
    expect(config.profile).toBe('production');
    expect(config.workload).toBeUndefined();
  });

  it('uses development with neither DB_PROFILE nor NODE_ENV', () => {
    expect(resolveConfig({ env: {}, url: URL })).toMatchObject({ profile: 'development', origins: { profile: 'built-in default' } });
  });

  it.each(['development', 'test', 'staging', 'production'] as const)('applies every value of the %s profile', (profile) => {
    const config = resolveConfig({ env: {}, url: URL, profile });
    for (const [key, value] of Object.entries(PROFILES[profile])) {
      expect([key, (config as unknown as Record<string, unknown>)[key]]).toEqual([key, value]);
      expect(config.sources[key]).toBe('profile');
    }
  });

  it('sizes production bigger and warmer than development', () => {
    const dev = resolveConfig({ env: {}, url: URL, profile: 'development' });
    const prod = resolveConfig({ env: {}, url: URL, profile: 'production' });
    expect(prod.min).toBeGreaterThan(dev.min);
    expect(prod.max).toBeGreaterThan(dev.max);
    expect(prod.leakDetectionMs).toBe(0);
  });
});

describe('the workload', () => {
  const base = { url: URL, profile: 'production' as const };

  it('api doubles max, fails acquires within 3 s and bounds the queue', () => {
    const config = resolveConfig({ ...base, env: { DB_WORKLOAD: 'api' } });
    expect(config).toMatchObject({ max: 20, acquireTimeoutMs: 3000, maxWaiting: 500, workload: 'api' });
    expect(config.sources).toMatchObject({ max: 'workload', acquireTimeoutMs: 'workload', maxWaiting: 'workload', workload: 'env' });
  });

  it("api's queue bound follows the final max, so a larger DB_POOL_MAX queues more callers", () => {
    const config = resolveConfig({ ...base, env: { DB_WORKLOAD: 'api', DB_POOL_MAX: '40' } });
    expect(config).toMatchObject({ max: 40, maxWaiting: 1000 });
    expect(config.sources.maxWaiting).toBe('workload');
    const explicit = resolveConfig({ ...base, env: { DB_WORKLOAD: 'api', DB_POOL_MAX: '40', DB_MAX_WAITING: '7' } });
    expect(explicit.maxWaiting).toBe(7);
  });

  it('worker waits patiently and raises the slow-query lines', () => {
    const config = resolveConfig({ ...base, env: { DB_WORKLOAD: 'worker' } });
    expect(config).toMatchObject({ max: 10, acquireTimeoutMs: 30_000, slowQueryMs: 5000, criticalQueryMs: 30_000 });
  });

  it('scheduler keeps a tiny pool that lets idle connections go', () => {
    const config = resolveConfig({ ...base, env: { DB_WORKLOAD: 'scheduler' } });
    expect(config).toMatchObject({ min: 0, max: 2, idleTimeoutMs: 10_000 });
  });

  it('scales with the profile below it', () => {
    expect(resolveConfig({ url: URL, env: { DB_WORKLOAD: 'api' }, profile: 'development' }).max).toBe(10);
  });

  it('is absent when none is set', () => {
    const config = resolveConfig({ ...base, env: {} });
    expect(config.workload).toBeUndefined();
    expect('workload' in config.sources).toBe(false);
  });

  it('loses to an environment variable for the same setting', () => {
    expect(resolveConfig({ ...base, env: { DB_WORKLOAD: 'api', DB_POOL_MAX: '4' } }).max).toBe(4);
  });
});

describe('the variable prefix', () => {
  const env = {
    DATABASE_URL: 'postgres://main-host/main',
    DB_POOL_MAX: '9',
    DATABASE_POOL_MAX: '9',
    ORDERS_URL: 'postgres://orders-host/orders',
    ORDERS_POOL_MAX: '3',
    ORDERS_PROFILE: 'staging',
    ORDERS_AUTH_TOKEN: 'orders-token',
    REPORTS_URL: 'mysql://reports-host/reports',
    REPORTS_ACQUIRE_TIMEOUT_MS: '15s',
  };

  it('runs several pools from one environment, each reading its own variables', () => {
    const main = resolveConfig({ env, profile: 'production' });
    const orders = resolveConfig({ env, envPrefix: 'ORDERS_' });
    const reports = resolveConfig({ env, envPrefix: 'REPORTS_', profile: 'production' });
    expect(main).toMatchObject({ url: 'postgres://main-host/main', max: 9 });
    expect(orders).toMatchObject({ url: 'postgres://orders-host/orders', max: 3, profile: 'staging', origins: { max: 'ORDERS_POOL_MAX', profile: 'ORDERS_PROFILE' } });
    expect((orders.authToken as Secret | undefined)?.reveal()).toBe('orders-token');
    expect(reports).toMatchObject({ url: 'mysql://reports-host/reports', acquireTimeoutMs: 15_000, max: 10 });
    expect(reports.authToken).toBeUndefined();
  });

  it('does not read the process-wide names (DATABASE_URL, DATABASE_POOL_MAX) for another prefix', () => {
    expect(() => resolveConfig({ env: { DATABASE_URL: 'postgres://h/db' }, envPrefix: 'ORDERS_' })).toThrow(/ORDERS_URL/);
    const config = resolveConfig({ env: { ORDERS_URL: 'postgres://h/db', DATABASE_POOL_MAX: '9', DATABASE_POOL_TIMEOUT: '1' }, envPrefix: 'ORDERS_', profile: 'production' });
    expect(config.max).toBe(10);
    expect(config.idleTimeoutMs).toBe(60_000);
  });

  it('still reads NODE_ENV for the profile', () => {
    expect(resolveConfig({ env: { ORDERS_URL: 'postgres://h/db', NODE_ENV: 'production' }, envPrefix: 'ORDERS_' }).profile).toBe('production');
  });
});

describe('purity', () => {
  it('reads only its arguments: the same input gives the same output and is left untouched', () => {
    const replicas = ['postgres://r1/db'];
    const options = { env: { DB_POOL_MAX: '3', DB_WORKLOAD: 'api' }, url: `${URL}?max=4&x=1`, readReplicaUrls: replicas, adapterOptions: { pragmas: { cache_size: 1 } } };
    const before = JSON.stringify(options);
    const first = resolveConfig(options);
    const second = resolveConfig(options);
    expect(JSON.stringify(options)).toBe(before);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(first.readReplicaUrls).not.toBe(replicas);
    expect(first.adapterOptions).not.toBe(options.adapterOptions);
  });

  it('does not read process.env when env is given', () => {
    const saved = { ...process.env };
    process.env.DB_POOL_MAX = '99';
    process.env.DB_PROFILE = 'staging';
    try {
      const config = resolveConfig({ env: {}, url: URL });
      expect(config.max).not.toBe(99);
      expect(config.profile).toBe('development');
    } finally {
      process.env = saved;
    }
  });

  it('reads process.env when env is not given', () => {
    const saved = { ...process.env };
    process.env.DB_POOL_MAX = '7';
    try {
      expect(resolveConfig({ url: URL }).max).toBe(7);
    } finally {
      process.env = saved;
    }
  });

  it('returns a frozen config, so a pool’s settings cannot be changed under it', () => {
    const config = resolveConfig({ env: {}, url: URL });
    expect(Object.isFrozen(config)).toBe(true);
  });
});

describe('a max chosen below the min a profile brings', () => {
  it.each([
    ['option max', { max: 1 }, {}],
    ['DB_POOL_MAX', {}, { DB_POOL_MAX: '1' }],
    ['URL parameter max', { url: `${URL}?max=1` }, {}],
  ])('%s 1 in production (min 2) lowers min to 1, and the origin says why', (origin, options, env) => {
    const config = resolveConfig({ url: URL, profile: 'production', env, ...options });
    expect(config).toMatchObject({ max: 1, min: 1 });
    expect(config.sources.min).toBe('profile');
    expect(config.origins.min).toBe(`profile production, lowered to max 1 (from ${origin})`);
  });

  it('still refuses a min the user chose above the max they chose', () => {
    expect(() => resolveConfig({ url: URL, profile: 'production', env: {}, min: 3, max: 1 })).toThrow(/min 3 \(from option min\) is greater than max 1 \(from option max\)/);
  });
});
