/**
 * The remote branches of the libsql adapter without a sqld (none can be installed here, see
 * DRIVER-NOTES.md): each remote scheme is handed to the driver as given, with the auth token
 * apart, and a server that refuses connections surfaces as a bounded PoolTimeoutError whose cause
 * is the real network failure, with the token in no printed form. Port 1 on 127.0.0.1 refuses.
 */
import { inspect } from 'node:util';
import * as path from 'node:path';
import { createPool, type Pool } from '../../src';
import { PoolTimeoutError } from '../../src/shared/errors';
import { silentLogger } from '../../src/shared/logger';
import { describeLibsqlUrl } from '../../adapters/libsql';
import type { Secret } from '../../src/shared/secret';

const TOKEN = 'libsql-token-4f7a9c';
const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 100 })));
});

describe('libsql URLs', () => {
  it.each(['libsql://db.example.turso.io', 'https://db.example.com:8080', 'http://127.0.0.1:8080', 'wss://db.example.com', 'ws://127.0.0.1:8080'])(
    '%s is remote and reaches the driver unchanged',
    (url) => {
      expect(describeLibsqlUrl(url)).toEqual({ embedded: false, inMemory: false, driverUrl: url });
    },
  );

  it.each([
    ['file:app.db', path.resolve('app.db')],
    ['file:/var/data/app.db', '/var/data/app.db'],
    ['file:///var/data/app.db', '/var/data/app.db'],
    ['file://localhost/var/data/app.db', '/var/data/app.db'],
    ['file:my%20data.db', path.resolve('my data.db')],
  ])('%s is an embedded file at %s', (url, filePath) => {
    expect(describeLibsqlUrl(url)).toMatchObject({ embedded: true, inMemory: false, filePath, driverUrl: `file:${filePath}` });
  });

  it.each([':memory:', 'file::memory:', 'file::memory:?cache=shared'])('%s is in memory', (url) => {
    expect(describeLibsqlUrl(url)).toMatchObject({ embedded: true, inMemory: true });
  });

  it('hands the driver the URL without the authToken parameter, and the token apart', () => {
    const pool = createPool({ url: `libsql://db.example.turso.io?authToken=${TOKEN}&tls=1`, env: {}, logger: silentLogger, min: 0 });
    pools.push(pool);
    expect(pool.config.secretUrl.reveal()).toBe('libsql://db.example.turso.io?tls=1');
    expect((pool.config.authToken as Secret | undefined)?.reveal()).toBe(TOKEN);
    expect(inspect(pool.config, { depth: 10 }) + JSON.stringify(pool.config)).not.toContain(TOKEN);
  });
});

describe('a remote libsql server that refuses connections', () => {
  it.each(['http://127.0.0.1:1', 'ws://127.0.0.1:1'])('%s fails within acquireTimeoutMs with the network error as cause and no token', async (url) => {
    const pool = createPool({ url: `${url}?authToken=${TOKEN}`, env: {}, logger: silentLogger, max: 1, acquireTimeoutMs: 600, connectTimeoutMs: 400 });
    pools.push(pool);
    const failures: Error[] = [];
    pool.on('createError', (event) => failures.push(event.error));
    const started = Date.now();
    const err = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(PoolTimeoutError);
    // Not toBeInstanceOf(Error): fetch's TypeError comes from another realm under jest.
    expect((err as PoolTimeoutError).cause).toMatchObject({ message: expect.stringMatching(/fetch failed|ECONNREFUSED/) });
    expect(failures.length).toBeGreaterThanOrEqual(1);
    // Backoff, not a tight loop: a handful of attempts in 600 ms.
    expect(pool.connectAttempts).toBeLessThanOrEqual(5);
    const printed = [inspect(err, { depth: 10 }), String(err), JSON.stringify(err), ...failures.map((f) => inspect(f, { depth: 10 }))].join('\n');
    expect(printed).not.toContain(TOKEN);
  });
});
