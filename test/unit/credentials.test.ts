/**
 * password and authToken given as functions: asked for every new connection (never for a reused
 * one), a failure is a ConnectionError with the function's error as cause and is retried with
 * backoff, and neither the secret nor the function's error text leaks into any printed form.
 */
import { inspect } from 'node:util';
import { ConfigError, ConnectionError, PoolTimeoutError, resolveConfig, Secret, type Logger } from '../../src';
import { configEntries } from '../../src/cli/config-command';
import { fakeDatabase } from '../helpers/fake-adapter';
import { closeFakePools, fakePool, sleep } from '../helpers/pools';

afterEach(closeFakePools);

const idOf = (result: { rows: Array<{ connectionId: number }> }) => result.rows[0].connectionId;

/** A logger that keeps every line, to look for secrets in. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (obj: object, msg?: string) => lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('password as a function', () => {
  it('is called for each new connection, never for a reused one, and the connection gets its answer', async () => {
    let calls = 0;
    const { pool, db } = fakePool({ max: 3, password: async () => `pw-${++calls}` });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    expect(calls).toBe(3);
    expect(leases.map((lease) => (lease.raw as { password: string }).password).sort()).toEqual(['pw-1', 'pw-2', 'pw-3']);
    for (const lease of leases) lease.release();
    for (let i = 0; i < 5; i++) await pool.query('select');
    expect(calls).toBe(3);
    expect(db.connects).toBe(3);
  });

  it('a synchronous function works too, and a fixed password option replaces the URL password', async () => {
    const sync = fakePool({ max: 1, password: () => 'from-sync' });
    await sync.pool.query('select');
    expect(sync.db.credentialsSeen).toEqual([{ password: 'from-sync' }]);
    const fixed = fakePool({ max: 1, password: 'fixed-pw' });
    await fixed.pool.query('select');
    expect(fixed.db.credentialsSeen).toEqual([{ password: 'fixed-pw' }]);
    const none = fakePool({ max: 1 });
    await none.pool.query('select');
    expect(none.db.credentialsSeen).toEqual([undefined]);
  });

  it('after a rotation new connections use the new password and open ones keep working', async () => {
    let current = 'pw-old';
    const { pool, db } = fakePool({ max: 2, password: () => current }, (d) => (d.requirePassword = 'pw-old'));
    const held = await pool.acquire();
    db.requirePassword = current = 'pw-new';
    const second = await pool.acquire();
    expect((second.raw as { password: string }).password).toBe('pw-new');
    await expect(held.query('select')).resolves.toMatchObject({ rowCount: 1 });
    held.release();
    second.release();
  });

  it('a function that throws is a ConnectionError with its error as cause, retried with backoff until it answers', async () => {
    const calls: number[] = [];
    let failing = true;
    const vaultDown = new Error('vault: connection refused');
    const { pool } = fakePool({
      max: 1,
      acquireTimeoutMs: 3000,
      password: () => {
        calls.push(Date.now());
        if (failing) throw vaultDown;
        return 'pw';
      },
    });
    const createErrors: Error[] = [];
    pool.on('createError', (e) => createErrors.push(e.error));
    const query = pool.query('select');
    await sleep(900);
    failing = false;
    await expect(query).resolves.toMatchObject({ rowCount: 1 });
    const error = createErrors[0] as ConnectionError;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.code).toBe('CONNECTION_FAILED');
    expect(error.message).toMatch(/Pool "default" could not get the password for a new connection: the password function failed: vault: connection refused/);
    expect(error.cause).toBe(vaultDown);
    // Backoff (100 ms doubling to 500 ms, ±25 %): a handful of calls in 0.9 s, not a tight loop,
    // and the gaps grow.
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.length).toBeLessThanOrEqual(7);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]);
    expect(gaps[gaps.length - 1]).toBeGreaterThan(gaps[0]);
    expect(pool.stats().counters.createErrors).toBe(createErrors.length);
  });

  it('the caller that gives up waiting gets a PoolTimeoutError whose cause is that ConnectionError', async () => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 300, password: () => Promise.reject(new Error('token service unavailable')) });
    const err = (await pool.acquire().catch((e: unknown) => e)) as PoolTimeoutError;
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expect(err.cause).toBeInstanceOf(ConnectionError);
    expect(((err.cause as ConnectionError).cause as Error).message).toBe('token service unavailable');
    expect(err.message).toMatch(/the password function failed: token service unavailable/);
  });

  it('an answer that is not a non-empty string is a ConnectionError saying so', async () => {
    const wrong = fakePool({ max: 1, acquireTimeoutMs: 300, password: (() => 42) as unknown as () => string });
    const errors: Error[] = [];
    wrong.pool.on('createError', (e) => errors.push(e.error));
    await wrong.pool.acquire().catch(() => undefined);
    expect(errors[0].message).toMatch(/the password function failed: it returned number, not a string/);
    const empty = fakePool({ max: 1, acquireTimeoutMs: 300, password: async () => '' });
    const emptyErrors: Error[] = [];
    empty.pool.on('createError', (e) => emptyErrors.push(e.error));
    await empty.pool.acquire().catch(() => undefined);
    expect(emptyErrors[0].message).toMatch(/it returned an empty string/);
  });

  it('a function that never answers is bounded by connectTimeoutMs', async () => {
    const { pool } = fakePool({ max: 1, connectTimeoutMs: 200, acquireTimeoutMs: 500, password: () => new Promise<string>(() => undefined) });
    const errors: Error[] = [];
    pool.on('createError', (e) => errors.push(e.error));
    const started = Date.now();
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolTimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(errors[0].message).toMatch(/timed out after 200 ms/);
  });
});

describe('nothing a password function gives is ever printed', () => {
  const SECRET = 'rotated-S3cret-7731';

  it('not in the config (util.inspect, JSON, String, lifeguard config entries): the function shows as (function)', async () => {
    const { pool } = fakePool({ max: 1, password: async () => SECRET });
    await pool.query('select');
    const printed = [inspect(pool.config, { depth: 10 }), JSON.stringify(pool.config), String(pool.config.password), inspect(pool, { depth: 4 })];
    for (const text of printed) expect(text).not.toContain(SECRET);
    expect(String(pool.config.password)).toBe('(function)');
    expect(JSON.stringify({ password: pool.config.password })).toBe('{"password":"(function)"}');
    expect(inspect(pool.config.password)).toBe('(function)');
    const entries = configEntries(pool.config, {}, {});
    expect(entries.password).toMatchObject({ value: '(function)', origin: 'option password (masked)' });
    expect(JSON.stringify(entries)).not.toContain(SECRET);
  });

  it('not in errors, events or logs, even when the function\'s own error quotes a value it gave before', async () => {
    let calls = 0;
    const logger = recordingLogger();
    const { pool, db } = fakePool({
      max: 2,
      acquireTimeoutMs: 400,
      logger,
      password: () => {
        calls++;
        if (calls === 1) return SECRET;
        throw new Error(`lease for ${SECRET} expired and could not be renewed`);
      },
    });
    const events: unknown[] = [];
    for (const name of ['createError', 'acquireTimeout', 'error', 'destroy'] as const) pool.on(name, (e) => events.push(e));
    const held = await pool.acquire();
    expect((held.raw as { password: string }).password).toBe(SECRET);
    const err = await pool.acquire().catch((e: unknown) => e);
    held.release();
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expect(String((err as Error).message)).toMatch(/lease for \[redacted\] expired/);
    const printed = [inspect(err, { depth: 10 }), String(err), JSON.stringify(err), (err as Error).stack, inspect(events, { depth: 10 }), ...logger.lines].join('\n');
    expect(printed).not.toContain(SECRET);
    expect(logger.lines.some((line) => line.includes('[redacted]'))).toBe(true);
    expect(db.connects).toBe(1);
  });
});

describe('resolving password and authToken options', () => {
  const url = 'postgres://app:url-pw@db/orders';

  it('records where they came from and refuses a value of the wrong type without printing it', () => {
    const config = resolveConfig({ url, env: {}, password: () => 'x', authToken: new Secret('tok') });
    expect(config.sources.password).toBe('option');
    expect(config.origins.password).toBe('option password');
    expect(String(config.authToken)).toBe('[redacted]');
    expect(resolveConfig({ url, env: {}, password: '' }).password).toBeUndefined();
    const err = (() => {
      try {
        resolveConfig({ url, env: {}, password: 12345 as unknown as string });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toMatch(/option password is a number: expected a string, a Secret, or a function returning the password/);
    expect(err?.message).not.toContain('12345');
  });

  it('hands a password function and an authToken function on to the read replicas', async () => {
    const replica = fakeDatabase();
    let asked = 0;
    const { pool } = fakePool({ password: () => `pw-${++asked}`, authToken: () => 'tok', readReplicaUrls: [replica.url] });
    const [replicaPool] = pool.replicaPools;
    expect(String(replicaPool.config.password)).toBe('(function)');
    await replicaPool.query('select');
    expect(replica.db.credentialsSeen[0]).toEqual({ password: expect.stringMatching(/^pw-\d+$/), authToken: 'tok' });
  });
});

describe('authToken as a function', () => {
  it('is called for each new connection and reaches the adapter as this connection\'s token', async () => {
    let calls = 0;
    const { pool, db } = fakePool({ max: 2, authToken: async () => `tok-${++calls}` });
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    a.release();
    b.release();
    await pool.query('select');
    expect(calls).toBe(2);
    expect(db.credentialsSeen.map((c) => c?.authToken).sort()).toEqual(['tok-1', 'tok-2']);
    expect(idOf(await pool.query('select'))).toBeGreaterThan(0);
  });
});
