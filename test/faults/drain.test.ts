/**
 * Drain: close() with work in flight loses none of it. Runs on embedded libsql files, where writes
 * queue in the single-writer lane and reads queue for connections: "in flight" covers every call
 * made before close(), not only those already holding a connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, PoolClosedError, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-drain-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filePool(file: string): Pool {
  return createPool({ url: `file:${join(dir, file)}`, env: {}, profile: 'test', logger: silentLogger, max: 4, acquireTimeoutMs: 10_000 });
}

describe('close() with work in flight', () => {
  it('completes every query, transaction and queued call made before close(), then refuses new work', async () => {
    const pool = filePool('drain.db');
    await pool.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    const writes = Array.from({ length: 60 }, (_, i) => pool.query('INSERT INTO t (v) VALUES (?)', [i]));
    const transactions = Array.from({ length: 20 }, (_, i) =>
      pool.transaction(async (tx) => {
        await tx.query('INSERT INTO t (v) VALUES (?)', [1000 + i]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        await tx.query('INSERT INTO t (v) VALUES (?)', [2000 + i]);
      }),
    );
    const reads = Array.from({ length: 40 }, () => pool.query('SELECT count(*) AS n FROM t'));
    const held = await pool.acquire();
    const heldQuery = new Promise((resolve) => setTimeout(resolve, 50)).then(async () => {
      const result = await held.query('SELECT 1 AS one');
      held.release();
      return result;
    });

    const closing = pool.close({ timeoutMs: 10_000 });
    await expect(pool.query('SELECT 1')).rejects.toBeInstanceOf(PoolClosedError);
    const outcomes = await Promise.allSettled([...writes, ...transactions, ...reads, heldQuery]);
    await closing;

    const failed = outcomes.filter((o) => o.status === 'rejected');
    console.log(`[figure] drain: ${outcomes.length} calls in flight at close(), ${failed.length} failed`);
    expect(failed).toEqual([]);
    expect(pool.stats()).toMatchObject({ total: 0, active: 0, pending: 0 });

    const check = filePool('drain.db');
    try {
      const count = await check.query<{ n: number }>('SELECT count(*) AS n FROM t');
      expect(count.rows[0].n).toBe(60 + 40);
    } finally {
      await check.close();
    }
  });

  it('destroys connections still held at the deadline and rejects what still waits, without hanging', async () => {
    const pool = filePool('deadline.db');
    const held = await pool.acquire();
    const started = Date.now();
    await pool.close({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(held.query('SELECT 1')).rejects.toThrow();
    expect(pool.stats()).toMatchObject({ total: 0, active: 0 });
  });
});
