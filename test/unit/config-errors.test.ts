/**
 * Every bad value is a ConfigError with code CONFIG_INVALID whose message names the variable, the
 * value and what would be accepted.
 */
import { resolveConfig } from '../../src/config';
import { ConfigError } from '../../src/shared/errors';
import type { PoolOptions } from '../../src/config/types';

const URL = 'postgres://app@db.internal:5432/orders';

function configError(options: PoolOptions): ConfigError {
  try {
    resolveConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return err as ConfigError;
  }
  throw new Error(`resolveConfig accepted ${JSON.stringify(options)}`);
}

function envError(env: Record<string, string>, url = URL): ConfigError {
  return configError({ env, url });
}

describe('bad values in variables', () => {
  it.each([
    // [variable, value, what the message must say is accepted]
    ['DB_POOL_MAX', 'ten', /whole number of 0 or more/],
    ['DB_POOL_MAX', '-1', /whole number of 0 or more/],
    ['DB_POOL_MAX', '2.5', /whole number of 0 or more/],
    ['DB_POOL_MAX', '0x10', /whole number/],
    ['DB_POOL_MAX', '1e3', /whole number/],
    ['DB_POOL_MAX', '99999999999999999999', /whole number/],
    ['DATABASE_POOL_MAX_USAGE_COUNT', '5s', /whole number/],
    ['DB_ACQUIRE_TIMEOUT_MS', 'soon', /500ms, 30s, 5m/],
    ['DB_ACQUIRE_TIMEOUT_MS', '-5', /500ms, 30s, 5m/],
    ['DB_ACQUIRE_TIMEOUT_MS', '2.5', /whole milliseconds/],
    ['DB_ACQUIRE_TIMEOUT_MS', '5 minutes', /500ms, 30s, 5m/],
    ['DB_CONNECT_TIMEOUT_MS', '30d', /500ms, 30s, 5m/],
    ['DB_CONNECT_TIMEOUT_MS', '1000h', /at most 2147483647 ms/],
    ['DATABASE_POOL_TIMEOUT', 'x', /number of seconds/],
    ['DB_TEST_ON_ACQUIRE', 'maybe', /true or false/],
    ['DB_TRACING', 'sometimes', /true or false/],
    ['DB_UTILIZATION_WARNING', '0', /above 0 and at most 1/],
    ['DB_UTILIZATION_CRITICAL', '120%', /fraction \(0\.8\) or a percentage \(80%\)/],
    ['DB_UTILIZATION_CRITICAL', 'high', /above 0 and at most 1/],
    ['DB_SSL_MODE', 'strict', /disable, allow, prefer, require, verify-ca, verify-full/],
    ['DB_PROFILE', 'prod-eu', /development, test, staging, production/],
    ['DB_WORKLOAD', 'batch', /api, worker, scheduler/],
  ])('%s=%p is refused, naming the variable, the value and what is accepted', (variable, value, accepted) => {
    const err = envError({ [variable]: value }, URL);
    expect(err.setting).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.message).toContain(JSON.stringify(value));
    expect(err.message).toMatch(accepted);
  });

  it('refuses max 0, since a pool of no connections can serve nobody', () => {
    expect(envError({ DB_POOL_MAX: '0' }).message).toMatch(/DB_POOL_MAX=0 .*at least 1/);
  });

  it('refuses min above max, naming where each came from', () => {
    const err = envError({ DB_POOL_MIN: '8', DB_POOL_MAX: '4' });
    expect(err.message).toMatch(/min 8 \(from DB_POOL_MIN\) is greater than max 4 \(from DB_POOL_MAX\)/);
  });

  it('refuses min above a max that came from the profile', () => {
    expect(envError({ DB_PROFILE: 'production', DB_POOL_MIN: '11' }).message).toMatch(/max 10 \(from profile production\)/);
  });

  it('refuses a utilization warning line above the critical one', () => {
    expect(envError({ DB_UTILIZATION_WARNING: '0.9', DB_UTILIZATION_CRITICAL: '0.85' }).message).toMatch(
      /utilizationWarning 0.9 \(from DB_UTILIZATION_WARNING\) is above utilizationCritical 0.85 \(from DB_UTILIZATION_CRITICAL\)/,
    );
  });

  it('refuses a critical-query line below the slow-query line', () => {
    expect(envError({ DB_SLOW_QUERY_MS: '2s', DB_CRITICAL_QUERY_MS: '1s' }).message).toMatch(/criticalQueryMs 1000 .* below slowQueryMs 2000/);
  });

  it('refuses two aliases that disagree, naming both and their values', () => {
    const err = envError({ DB_POOL_MAX: '10', DATABASE_CONNECTION_LIMIT: '20' });
    expect(err.message).toContain('DB_POOL_MAX="10"');
    expect(err.message).toContain('DATABASE_CONNECTION_LIMIT="20"');
    expect(err.message).toMatch(/disagree/);
  });

  it('refuses aliases that disagree once their units are applied', () => {
    const err = envError({ DB_IDLE_TIMEOUT_MS: '30', DATABASE_POOL_TIMEOUT: '30' });
    expect(err.message).toMatch(/DB_IDLE_TIMEOUT_MS="30" and DATABASE_POOL_TIMEOUT="30" .*disagree/);
  });

  it('refuses two URL parameters that disagree', () => {
    const err = configError({ env: {}, url: `${URL}?max=5&connection_limit=6` });
    expect(err.message).toMatch(/URL parameter max="5" and URL parameter connection_limit="6"/);
  });

  it('refuses a URL parameter given twice with different values', () => {
    const err = configError({ env: {}, url: `${URL}?max=5&max=50` });
    expect(err.message).toBe('URL parameter max is given 2 times with different values ("5", "50"); give it once.');
    expect(resolveConfig({ env: {}, url: `${URL}?max=5&max=5` }).max).toBe(5);
  });

  it.each(['ORDERS', 'orders-', '_DB_', ''])('refuses envPrefix %p, which would not name variables like ORDERS_URL', (envPrefix) => {
    expect(configError({ env: {}, url: URL, envPrefix }).message).toMatch(/option envPrefix=.* ending in _, such as ORDERS_/);
  });

  it('refuses DATABASE_URL and DB_URL that disagree, naming both', () => {
    const err = configError({ env: { DATABASE_URL: 'postgres://a/one', DB_URL: 'postgres://b/two' } });
    expect(err.message).toMatch(/DATABASE_URL="postgres:\/\/a\/one" and DB_URL="postgres:\/\/b\/two" disagree/);
  });
});

describe('bad values in URL parameters', () => {
  it.each([
    ['connection_limit', 'lots', /whole number/],
    ['pool_timeout', 'never', /number of seconds/],
    ['sslmode', 'bogus', /verify-full/],
    ['testOnAcquire', 'perhaps', /true or false/],
  ])('?%s=%s is refused, naming the parameter', (param, value, accepted) => {
    const err = configError({ env: {}, url: `${URL}?${param}=${value}` });
    expect(err.setting).toBe(`URL parameter ${param}`);
    expect(err.message).toContain(`"${value}"`);
    expect(err.message).toMatch(accepted);
  });
});

describe('bad options', () => {
  it.each([
    ['max', Number.NaN, /whole number/],
    ['max', -2, /whole number/],
    ['max', 2.5, /whole number/],
    ['max', 'many', /whole number/],
    ['acquireTimeoutMs', Infinity, /whole number of milliseconds/],
    ['acquireTimeoutMs', 3_000_000_000, /2147483647/],
    ['testOnAcquire', 'sometimes', /true or false/],
    ['testOnAcquire', 1, /true or false/],
    ['sslMode', 'tls', /verify-full/],
    ['applicationName', '', /non-empty/],
    ['profile', 'live', /development, test, staging, production/],
    ['workload', 'cron', /api, worker, scheduler/],
    ['name', 'has spaces', /letters, digits/],
  ])('option %s=%p is refused', (key, value, accepted) => {
    const err = configError({ env: {}, url: URL, [key]: value } as PoolOptions);
    expect(err.message).toContain(key);
    expect(err.message).toMatch(accepted);
  });

  it('refuses an explicit max above 1 for an in-memory database', () => {
    const err = configError({ env: {}, url: 'sqlite::memory:', max: 4 });
    expect(err.message).toMatch(/option max=4 is not possible with an in-memory database/);
  });

  it('refuses an explicit min above 1 for an in-memory database', () => {
    expect(configError({ env: { DB_POOL_MIN: '2' }, url: 'file::memory:' }).message).toMatch(/DB_POOL_MIN=2 is not possible with an in-memory database.*use min 1/);
  });

  it('refuses DB_POOL_MAX above 1 for an in-memory database', () => {
    expect(configError({ env: { DB_POOL_MAX: '3' }, url: ':memory:' }).setting).toBe('DB_POOL_MAX');
  });
});

describe('bad URLs', () => {
  it('says no URL is set, naming the variables that would set it', () => {
    const err = configError({ env: {} });
    expect(err.message).toMatch(/No database URL: set DATABASE_URL or DB_URL/);
  });

  it.each([
    ['db.internal:5432/orders', /has no scheme/],
    ['app:secret@db.internal/orders', /has no scheme/],
    ['/var/data/app.db', /has no scheme/],
    ['postgres://', /cannot be parsed/],
    ['postgres://db.internal:port/orders', /cannot be parsed/],
    ['mysql:///nohost', /cannot be parsed/],
    ['sqlite:', /has no path/],
    ['file:', /has no path/],
  ])('refuses %p', (url, problem) => {
    const err = configError({ env: { DATABASE_URL: url } });
    expect(err.setting).toBe('DATABASE_URL');
    expect(err.message).toMatch(/^DATABASE_URL=/);
    expect(err.message).toMatch(problem);
    expect(err.message).toMatch(/expected/);
  });

  it('refuses an empty url option', () => {
    expect(configError({ env: {}, url: '  ' }).message).toMatch(/option url is empty/);
  });

  it('refuses a url option that is not a string, saying what it is', () => {
    expect(configError({ env: {}, url: 42 as unknown as string }).message).toMatch(/option url is a number, not a string/);
  });

  it('accepts a WHATWG URL object as the url option', () => {
    expect(resolveConfig({ env: {}, url: new globalThis.URL('postgres://app@db.internal/orders?max=3') as unknown as string })).toMatchObject({ url: 'postgres://app@db.internal/orders', max: 3 });
  });

  it('refuses a read replica URL that is not a URL, naming the variable', () => {
    const err = configError({ env: { DB_READ_REPLICA_URLS: 'postgres://r1/db,replica-2:5432' }, url: URL });
    expect(err.message).toMatch(/^DB_READ_REPLICA_URLS="replica-2:5432" has no scheme/);
  });
});
