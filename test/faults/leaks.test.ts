/**
 * Leaks and misuse on a real embedded libsql file (the fake-adapter versions are in test/unit):
 * a connection held too long is reported with the stack of the code that took it, and a lease
 * released twice — after its connection went to someone else — cannot touch the new holder's loan.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type Pool, type PooledConnection } from '../../src';
import { silentLogger } from '../../src/shared/logger';

let dir: string;
const pools: Pool[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-leaks-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 100 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filePool(options: Parameters<typeof createPool>[0] = {}): Pool {
  const pool = createPool({ url: `file:${join(dir, 'leaks.db')}`, env: {}, profile: 'test', logger: silentLogger, max: 2, ...options });
  pools.push(pool);
  return pool;
}

/** A named function, so the leak report can be checked for it. */
async function reportBuilderThatForgetsToRelease(pool: Pool): Promise<PooledConnection> {
  const conn = await pool.acquire();
  await conn.query('SELECT 1');
  return conn;
}

describe('leak detection', () => {
  it('emits leak once per loan, with the stack of the function that acquired the connection', async () => {
    const pool = filePool({ leakDetectionMs: 150, evictionIntervalMs: 25 });
    const leaks: Array<{ connectionId: number; heldMs: number; stack?: string }> = [];
    pool.on('leak', (event) => leaks.push(event));
    const leaked = await reportBuilderThatForgetsToRelease(pool);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(leaks).toHaveLength(1);
    expect(leaks[0].connectionId).toBe(leaked.id);
    expect(leaks[0].heldMs).toBeGreaterThanOrEqual(150);
    expect(leaks[0].stack).toContain('reportBuilderThatForgetsToRelease');
    expect(pool.stats().counters.leaks).toBe(1);
    // The pool keeps serving others meanwhile.
    await expect(pool.query('SELECT 2 AS two')).resolves.toMatchObject({ rows: [{ two: 2 }] });
    leaked.release();
  });

  it('does not report a connection released before leakDetectionMs', async () => {
    const pool = filePool({ leakDetectionMs: 150, evictionIntervalMs: 25 });
    const leaks: unknown[] = [];
    pool.on('leak', (event) => leaks.push(event));
    for (let i = 0; i < 5; i++) await pool.withConnection((conn) => conn.query('SELECT 1'));
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(leaks).toEqual([]);
  });
});

describe('double release', () => {
  it('rejects a second release() of a lease whose connection now belongs to someone else, and leaves their loan intact', async () => {
    const pool = filePool({ max: 1 });
    const first = await pool.acquire();
    first.release();
    const second = await pool.acquire();
    expect(second.id).toBe(first.id); // the same connection, lent again

    expect(() => first.release()).toThrow(expect.objectContaining({ code: 'CONNECTION_RELEASED' }));
    await expect(first.destroy()).rejects.toMatchObject({ code: 'CONNECTION_RELEASED' });
    await expect(first.query('SELECT 1')).rejects.toMatchObject({ code: 'CONNECTION_RELEASED' });

    // The second holder still has it, and nobody else can get it meanwhile.
    expect(pool.stats()).toMatchObject({ active: 1, total: 1 });
    await expect(second.query('SELECT 3 AS three')).resolves.toMatchObject({ rows: [{ three: 3 }] });
    await expect(pool.acquire({ timeoutMs: 100 })).rejects.toMatchObject({ code: 'POOL_TIMEOUT' });
    second.release();
    expect(pool.stats()).toMatchObject({ active: 0, idle: 1 });
    await expect(pool.query('SELECT 4 AS four')).resolves.toMatchObject({ rows: [{ four: 4 }] });
  });
});
