/**
 * Every variable, alias and URL parameter DESIGN.md names, each in its documented unit. The table
 * is written out by hand from DESIGN.md (not read from SETTINGS), and a last test checks that the
 * settings table has no name this file does not exercise.
 */
import { resolveConfig } from '../../src/config';
import { SETTINGS, SPECIAL_VARIABLES } from '../../src/config/options';
import type { PoolOptions, ResolvedConfig } from '../../src/config/types';
import type { Secret } from '../../src/shared/secret';

const URL = 'postgres://app@db.internal:5432/orders';

function resolve(env: Record<string, string>, options: PoolOptions = {}): ResolvedConfig {
  return resolveConfig({ profile: 'production', url: URL, ...options, env });
}

/** [variable, the value set, the key it sets, the value it must produce] */
const ENV_CASES: Array<[string, string, string, unknown]> = [
  ['DB_POOL_MIN', '3', 'min', 3],
  ['DB_MIN_CONNECTIONS', '3', 'min', 3],
  ['DATABASE_POOL_MIN', '3', 'min', 3],
  ['DB_POOL_MAX', '7', 'max', 7],
  ['DB_MAX_CONNECTIONS', '7', 'max', 7],
  ['DATABASE_CONNECTION_LIMIT', '7', 'max', 7],
  ['DATABASE_POOL_MAX', '7', 'max', 7],
  ['DB_ACQUIRE_TIMEOUT_MS', '1234', 'acquireTimeoutMs', 1234],
  ['DATABASE_POOL_ACQUIRE_TIMEOUT', '1234', 'acquireTimeoutMs', 1234],
  ['DB_CONNECT_TIMEOUT_MS', '1234', 'connectTimeoutMs', 1234],
  ['DB_IDLE_TIMEOUT_MS', '1234', 'idleTimeoutMs', 1234],
  // Seconds, as the services that use this name read it.
  ['DATABASE_POOL_TIMEOUT', '12', 'idleTimeoutMs', 12_000],
  ['DATABASE_POOL_IDLE_TIMEOUT', '1234', 'idleTimeoutMs', 1234],
  ['DB_MAX_LIFETIME_MS', '1234', 'maxLifetimeMs', 1234],
  ['DB_MAX_USES', '77', 'maxUses', 77],
  // A count of uses, not a duration.
  ['DATABASE_POOL_MAX_USAGE_COUNT', '77', 'maxUses', 77],
  ['DB_TEST_ON_ACQUIRE', 'false', 'testOnAcquire', false],
  ['DB_MAX_WAITING', '42', 'maxWaiting', 42],
  ['DB_SSL_MODE', 'verify-full', 'sslMode', 'verify-full'],
  ['DB_SLOW_QUERY_MS', '1234', 'slowQueryMs', 1234],
  ['DB_CRITICAL_QUERY_MS', '9876', 'criticalQueryMs', 9876],
  ['DB_LEAK_DETECTION_MS', '1234', 'leakDetectionMs', 1234],
  ['DB_SLOW_CONNECT_MS', '150', 'slowConnectMs', 150],
  ['DB_UTILIZATION_WARNING', '0.7', 'utilizationWarning', 0.7],
  ['DB_UTILIZATION_CRITICAL', '90%', 'utilizationCritical', 0.9],
  ['DB_TRACING', 'off', 'tracing', false],
  ['DB_EVICTION_INTERVAL_MS', '1234', 'evictionIntervalMs', 1234],
  ['DB_KEEPALIVE_MS', '1234', 'keepaliveMs', 1234],
  ['DATABASE_POOL_EVICT_RUN_INTERVAL', '1234', 'evictionIntervalMs', 1234],
  ['DB_STATEMENT_TIMEOUT_MS', '1234', 'statementTimeoutMs', 1234],
  ['DB_PIPELINE_DEPTH', '0', 'pipelineDepth', 0],
  ['DB_PREPARED_STATEMENTS', 'false', 'preparedStatements', false],
  ['DB_PIPELINE_MAX_STATEMENT_MS', '2s', 'pipelineMaxStatementMs', 2000],
  ['DB_APPLICATION_NAME', 'billing-api', 'applicationName', 'billing-api'],
  ['DB_READ_REPLICA_URLS', 'postgres://r1/orders, postgres://r2/orders', 'readReplicaUrls', ['postgres://r1/orders', 'postgres://r2/orders']],
  ['DB_INSTANCES', '6', 'instances', 6],
  ['DB_REPLICA_CHECK_INTERVAL_MS', '1234', 'replicaCheckIntervalMs', 1234],
  ['DB_MAX_REPLICA_LAG_MS', '2s', 'maxReplicaLagMs', 2000],
];

/** [URL parameter, the value set, the key it sets, the value it must produce] */
const URL_CASES: Array<[string, string, string, unknown]> = [
  ['min', '3', 'min', 3],
  ['max', '7', 'max', 7],
  // Prisma's names: connection_limit is max, pool_timeout is the acquire timeout in seconds.
  ['connection_limit', '7', 'max', 7],
  ['pool_timeout', '4', 'acquireTimeoutMs', 4000],
  ['acquireTimeoutMs', '1234', 'acquireTimeoutMs', 1234],
  ['connectTimeoutMs', '1234', 'connectTimeoutMs', 1234],
  // libpq's connect_timeout is in seconds.
  ['connect_timeout', '3', 'connectTimeoutMs', 3000],
  ['idleTimeoutMs', '1234', 'idleTimeoutMs', 1234],
  ['maxLifetimeMs', '1234', 'maxLifetimeMs', 1234],
  ['maxUses', '77', 'maxUses', 77],
  ['testOnAcquire', 'off', 'testOnAcquire', false],
  ['maxWaiting', '42', 'maxWaiting', 42],
  ['sslmode', 'require', 'sslMode', 'require'],
  ['sslMode', 'verify-ca', 'sslMode', 'verify-ca'],
  ['statementTimeoutMs', '1234', 'statementTimeoutMs', 1234],
  ['keepaliveMs', '1234', 'keepaliveMs', 1234],
  ['pipelineDepth', '8', 'pipelineDepth', 8],
  ['preparedStatements', 'off', 'preparedStatements', false],
  ['pipelineMaxStatementMs', '20', 'pipelineMaxStatementMs', 20],
  ['application_name', 'billing-api', 'applicationName', 'billing-api'],
];

describe('environment variables', () => {
  it.each(ENV_CASES)('%s=%s sets %s, in its documented unit', (variable, raw, key, expected) => {
    const config = resolve({ [variable]: raw });
    expect((config as unknown as Record<string, unknown>)[key]).toEqual(expected);
    expect(config.sources[key]).toBe('env');
    expect(config.origins[key]).toBe(variable);
  });

  it('DATABASE_URL and DB_URL each give the URL', () => {
    expect(resolveConfig({ env: { DATABASE_URL: 'postgres://a/one' } }).url).toBe('postgres://a/one');
    expect(resolveConfig({ env: { DB_URL: 'mysql://b/two' } })).toMatchObject({ url: 'mysql://b/two', scheme: 'mysql' });
  });

  it('accepts DATABASE_URL and DB_URL together when they agree', () => {
    expect(resolveConfig({ env: { DATABASE_URL: 'postgres://a/one', DB_URL: ' postgres://a/one ' } }).url).toBe('postgres://a/one');
  });

  it('DB_PROFILE, DB_WORKLOAD and DB_AUTH_TOKEN are read', () => {
    const config = resolveConfig({ url: 'libsql://db.example.com', env: { DB_PROFILE: 'staging', DB_WORKLOAD: 'worker', DB_AUTH_TOKEN: 'tok-123' } });
    expect(config).toMatchObject({ profile: 'staging', workload: 'worker' });
    expect((config.authToken as Secret | undefined)?.reveal()).toBe('tok-123');
  });

  it('aliases that agree with each other are accepted', () => {
    const config = resolve({ DB_POOL_MAX: '7', DATABASE_POOL_MAX: '7', DATABASE_CONNECTION_LIMIT: '7' });
    expect(config.max).toBe(7);
    expect(config.origins.max).toBe('DB_POOL_MAX');
  });

  it('compares aliases after converting units: DATABASE_POOL_TIMEOUT=30 (s) agrees with DB_IDLE_TIMEOUT_MS=30000', () => {
    expect(resolve({ DATABASE_POOL_TIMEOUT: '30', DB_IDLE_TIMEOUT_MS: '30000' }).idleTimeoutMs).toBe(30_000);
  });

  it('treats an empty variable as unset', () => {
    const config = resolve({ DB_POOL_MAX: '', DB_PROFILE: '  ', DB_WORKLOAD: '' });
    expect(config.sources.max).toBe('profile');
  });

  it('reads booleans as true/false, 1/0, yes/no, on/off in any case', () => {
    for (const raw of ['true', 'TRUE', '1', 'yes', 'On']) expect(resolve({ DB_TEST_ON_ACQUIRE: raw }).testOnAcquire).toBe(true);
    for (const raw of ['false', 'False', '0', 'no', 'OFF']) expect(resolve({ DB_TEST_ON_ACQUIRE: raw }).testOnAcquire).toBe(false);
  });

  it('reads SSL modes in any case', () => {
    expect(resolve({ DB_SSL_MODE: 'Verify-Full' }).sslMode).toBe('verify-full');
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['1.1s', 1100],
    ['2500', 2500],
    [' 250 ms ', 250],
    ['0', 0],
  ])('DB_ACQUIRE_TIMEOUT_MS=%p is %d ms', (raw, ms) => {
    expect(resolve({ DB_ACQUIRE_TIMEOUT_MS: raw }).acquireTimeoutMs).toBe(ms);
  });

  it('reads a bare number in the variable’s own unit: seconds for DATABASE_POOL_TIMEOUT, ms otherwise', () => {
    expect(resolve({ DATABASE_POOL_TIMEOUT: '45' }).idleTimeoutMs).toBe(45_000);
    expect(resolve({ DATABASE_POOL_IDLE_TIMEOUT: '45' }).idleTimeoutMs).toBe(45);
  });

  it('lets a suffix override the variable’s unit', () => {
    expect(resolve({ DATABASE_POOL_TIMEOUT: '500ms' }).idleTimeoutMs).toBe(500);
    expect(resolveConfig({ env: {}, url: `${URL}?pool_timeout=250ms` }).acquireTimeoutMs).toBe(250);
    expect(resolve({ DB_MAX_LIFETIME_MS: '5m' }).maxLifetimeMs).toBe(300_000);
  });
});

describe('URL query parameters', () => {
  it.each(URL_CASES)('?%s=%s sets %s, in its documented unit', (param, raw, key, expected) => {
    const config = resolveConfig({ env: {}, profile: 'production', url: `${URL}?${param}=${raw}` });
    expect((config as unknown as Record<string, unknown>)[key]).toEqual(expected);
    expect(config.sources[key]).toBe('url');
    expect(config.origins[key]).toBe(`URL parameter ${param}`);
  });

  it('takes the parameters lifeguard reads out of the URL handed to the driver', () => {
    const config = resolveConfig({ env: {}, url: `${URL}?connection_limit=4&pool_timeout=2&sslmode=require&authToken=abc` });
    expect(config.secretUrl.reveal()).toBe(URL);
    expect(config.url).toBe(URL);
  });

  it('passes every other parameter to the driver exactly as written, in order', () => {
    const query = 'options=-c%20search_path%3Dapp&connection_limit=4&sslrootcert=/etc/ssl/ca.pem&label=a+b&flag';
    const config = resolveConfig({ env: {}, url: `${URL}?${query}` });
    expect(config.max).toBe(4);
    expect(config.secretUrl.reveal()).toBe(`${URL}?options=-c%20search_path%3Dapp&sslrootcert=/etc/ssl/ca.pem&label=a+b&flag`);
  });

  it('reads the auth token from the authToken parameter', () => {
    const config = resolveConfig({ env: {}, url: 'libsql://db.example.turso.io?authToken=tok-url' });
    expect((config.authToken as Secret | undefined)?.reveal()).toBe('tok-url');
    expect(config.secretUrl.reveal()).toBe('libsql://db.example.turso.io');
  });
});

describe('database URLs', () => {
  it.each([
    ['sqlite:/var/data/app.db', 'sqlite', false],
    ['sqlite:///var/data/app.db', 'sqlite', false],
    ['sqlite:relative.db', 'sqlite', false],
    ['sqlite::memory:', 'sqlite', true],
    ['file:app.db', 'file', false],
    ['file:///var/data/app.db', 'file', false],
    ['file::memory:', 'file', true],
    [':memory:', 'file', true],
    ['libsql://db.example.turso.io', 'libsql', false],
    ['https://db.example.com:8080', 'https', false],
    ['wss://db.example.com', 'wss', false],
    ['postgresql://u@h/db', 'postgresql', false],
    ['mariadb://u@h:3306/db', 'mariadb', false],
  ])('%s parses, with scheme %s', (url, scheme, inMemory) => {
    const config = resolveConfig({ env: {}, profile: 'production', url });
    expect(config.scheme).toBe(scheme);
    expect(config.max).toBe(inMemory ? 1 : 10);
    expect(config.secretUrl.reveal()).toBe(url);
  });

  it('keeps the query string of a file URL apart from its path', () => {
    const config = resolveConfig({ env: {}, url: 'sqlite:relative.db?max=3&mode=ro' });
    expect(config.max).toBe(3);
    expect(config.secretUrl.reveal()).toBe('sqlite:relative.db?mode=ro');
  });

  it('gives an in-memory database one connection, since each connection would be its own database', () => {
    const config = resolveConfig({ env: {}, profile: 'production', url: 'sqlite::memory:' });
    expect(config).toMatchObject({ max: 1, min: 1 });
    expect(config.origins.max).toBe('in-memory database: one connection');
  });

  it('accepts an explicit max of 1 for an in-memory database', () => {
    expect(resolveConfig({ env: { DB_POOL_MAX: '1' }, url: ':memory:' }).max).toBe(1);
  });
});

describe('the settings table', () => {
  it('has no variable or parameter this file does not test', () => {
    const tested = new Set([...ENV_CASES.map((c) => c[0]), ...URL_CASES.map((c) => `?${c[0]}`), '?authToken']);
    const tableNames = [...SETTINGS.flatMap((s) => [...s.env.map((v) => v.name), ...s.urlParams.map((p) => `?${p.name}`)])];
    expect(tableNames.filter((n) => !tested.has(n))).toEqual([]);
    expect(SPECIAL_VARIABLES.map((v) => v.name).sort()).toEqual(['DATABASE_URL', 'DB_AUTH_TOKEN', 'DB_PROFILE', 'DB_URL', 'DB_WORKLOAD']);
  });
});
