/**
 * The libsql adapter with authToken given as a function, against a local stub of sqld's HTTP
 * protocol (test/helpers/hrana-stub.ts; no sqld can be installed here): the function is asked for
 * each new connection, each connection's requests carry the token it was opened with, a rotated
 * token reaches new connections, and a token the server refuses is a retried connection failure
 * that names no token.
 */
import { inspect } from 'node:util';
import { createPool, PoolTimeoutError, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { HranaStub } from '../helpers/hrana-stub';

let stub: HranaStub;
const pools: Pool[] = [];
beforeEach(async () => {
  stub = await HranaStub.start();
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 200 })));
  await stub.close();
});

function tokenPool(authToken: () => string | Promise<string>, max = 2): Pool {
  const pool = createPool({ url: stub.url, env: {}, logger: silentLogger, max, authToken, acquireTimeoutMs: 1500, connectTimeoutMs: 500, testOnAcquire: false });
  pools.push(pool);
  return pool;
}

describe('libsql authToken as a function', () => {
  it('is asked for each new connection, and each connection keeps sending the token it was opened with', async () => {
    let current = 'turso-token-A';
    let calls = 0;
    stub.accepted.add('turso-token-A');
    const pool = tokenPool(async () => {
      calls++;
      return current;
    });
    const first = await pool.acquire();
    // The token is rotated; the old one stays valid until it expires, as Turso's JWTs do.
    current = 'turso-token-B';
    stub.accepted.add('turso-token-B');
    const second = await pool.acquire();
    expect(stub.tokensSeen).toContain('turso-token-B');
    const seen = stub.tokensSeen.length;
    await first.query('SELECT 1');
    await second.query('SELECT 1');
    expect(stub.tokensSeen.slice(seen)).toEqual(['turso-token-A', 'turso-token-B']);
    expect(calls).toBe(2);
    first.release();
    second.release();
    await pool.query('SELECT 1');
    expect(calls).toBe(2);
    expect(inspect(pool.config, { depth: 10 }) + JSON.stringify(pool.config)).not.toMatch(/turso-token/);
    expect(String(pool.config.authToken)).toBe('(function)');
  });

  it('a token the server refuses fails the attempt, which is retried with a fresh token, and nothing prints it', async () => {
    const issued: string[] = [];
    const pool = tokenPool(() => {
      const token = `expired-token-${issued.length + 1}`;
      issued.push(token);
      return token;
    }, 1);
    const failures: Error[] = [];
    pool.on('createError', (e) => failures.push(e.error));
    const err = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolTimeoutError);
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(issued.length).toBeLessThanOrEqual(8);
    expect(stub.tokensSeen).toEqual(issued);
    const printed = [inspect(err, { depth: 10 }), String(err), ...failures.map((f) => inspect(f, { depth: 10 }))].join('\n');
    for (const token of issued) expect(printed).not.toContain(token);
  });
});
