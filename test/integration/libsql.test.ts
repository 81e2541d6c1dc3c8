import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';

let dir: string;
const pools: Pool[] = [];

function filePool(file: string, options: Parameters<typeof createPool>[0] = {}): Pool {
  const pool = createPool({ url: `file:${join(dir, file)}`, env: {}, profile: 'test', logger: silentLogger, max: 8, acquireTimeoutMs: 10_000, ...options });
  pools.push(pool);
  return pool;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-libsql-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('libsql adapter on an embedded file', () => {
  it('runs queries with parameters and normalises results', async () => {
    const pool = filePool('shape.db');
    await pool.query('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    const insert = await pool.query('INSERT INTO t (name) VALUES (?)', ['ada']);
    expect(insert).toMatchObject({ rowCount: 1, rows: [] });
    expect(Number(insert.lastInsertId)).toBe(1);
    const select = await pool.query<{ id: number; name: string }>('SELECT id, name FROM t WHERE name = ?', ['ada']);
    expect(select).toMatchObject({ rows: [{ id: 1, name: 'ada' }], rowCount: 1, columns: ['id', 'name'] });
  });

  it('opens each connection with WAL, a busy timeout and foreign keys', async () => {
    const pool = filePool('pragmas.db');
    const mode = await pool.query<{ journal_mode: string }>('PRAGMA journal_mode');
    const busy = await pool.query<{ timeout: number }>('PRAGMA busy_timeout');
    const fk = await pool.query<{ foreign_keys: number }>('PRAGMA foreign_keys');
    expect(mode.rows[0].journal_mode).toBe('wal');
    expect(Object.values(busy.rows[0])[0]).toBe(5000);
    expect(fk.rows[0].foreign_keys).toBe(1);
  });

  it('commits a transaction and never shows a rolled-back write', async () => {
    const pool = filePool('tx.db');
    await pool.query('CREATE TABLE t (v INTEGER)');
    await pool.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      await tx.query('INSERT INTO t VALUES (2)');
    });
    await expect(
      pool.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (3)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const rows = await pool.query<{ v: number }>('SELECT v FROM t ORDER BY v');
    expect(rows.rows.map((r) => r.v)).toEqual([1, 2]);
  });

  it('runs 50 concurrent transactions that insert, await and insert again with no SQLITE_BUSY', async () => {
    const pool = filePool('lane.db', { max: 8 });
    await pool.query('CREATE TABLE t (worker INTEGER, step INTEGER)');
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, worker) =>
        pool.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (?, 1)', [worker]);
          await new Promise((resolve) => setTimeout(resolve, 2));
          await tx.query('INSERT INTO t VALUES (?, 2)', [worker]);
        }),
      ),
    );
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toEqual([]);
    const count = await pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM t');
    expect(count.rows[0].n).toBe(100);
  });

  it('lets reads proceed while a write transaction holds the writer lane', async () => {
    const pool = filePool('reads.db', { max: 4 });
    await pool.query('CREATE TABLE t (v INTEGER)');
    await pool.query('INSERT INTO t VALUES (1)');
    let finishWrite!: () => void;
    const writeHeld = new Promise<void>((resolve) => (finishWrite = resolve));
    const writing = pool.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (2)');
      await writeHeld;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const read = await pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM t');
    expect(read.rows[0].n).toBe(1);
    finishWrite();
    await writing;
    expect((await pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM t')).rows[0].n).toBe(2);
  });

  it('sends single-statement writes through the lane too, so they never meet SQLITE_BUSY', async () => {
    const pool = filePool('autocommit.db', { max: 6 });
    await pool.query('CREATE TABLE t (v INTEGER)');
    const work = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? pool.query('INSERT INTO t VALUES (?)', [i])
        : pool.transaction(async (tx) => {
            await tx.query('INSERT INTO t VALUES (?)', [i]);
            await new Promise((resolve) => setTimeout(resolve, 1));
          }),
    );
    await expect(Promise.all(work)).resolves.toHaveLength(40);
  });

  it('shares the writer lane between two pools on the same file', async () => {
    const a = filePool('shared.db', { name: 'a', max: 3 });
    const b = filePool('shared.db', { name: 'b', max: 3 });
    await a.query('CREATE TABLE t (v INTEGER)');
    const work = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? a : b).transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (?)', [i]);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }),
    );
    await expect(Promise.all(work)).resolves.toHaveLength(20);
  });

  it('works on :memory: with one connection', async () => {
    const pool = createPool({ url: ':memory:', env: {}, profile: 'test', logger: silentLogger });
    pools.push(pool);
    expect(pool.config.max).toBe(1);
    await pool.query('CREATE TABLE t (v INTEGER)');
    await pool.query('INSERT INTO t VALUES (42)');
    expect((await pool.query<{ v: number }>('SELECT v FROM t')).rows[0].v).toBe(42);
  });
});

const remoteUrl = process.env.TEST_LIBSQL_URL;
if (!remoteUrl) {
  if (process.env.REQUIRE_DATABASES === '1') {
    console.log('libsql remote: TEST_LIBSQL_URL is not set; remote libsql tests skipped (no sqld can be installed on this machine; see docs/docker.md)');
  } else {
    console.log('libsql remote: TEST_LIBSQL_URL is not set; skipping remote libsql tests');
  }
}
(remoteUrl ? describe : describe.skip)('libsql adapter against a remote sqld (TEST_LIBSQL_URL)', () => {
  it('queries, commits and rolls back over the network', async () => {
    const pool = createPool({ url: remoteUrl, env: {}, profile: 'test', logger: silentLogger, max: 2, name: 'remote' });
    pools.push(pool);
    const table = `lg_remote_${process.pid}`;
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (v INTEGER)`);
    try {
      await pool.transaction(async (tx) => tx.query(`INSERT INTO ${table} VALUES (1)`));
      await pool.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${table} VALUES (2)`);
        throw new Error('undo');
      }).catch(() => undefined);
      const rows = await pool.query<{ v: number }>(`SELECT v FROM ${table}`);
      expect(rows.rows.map((r) => r.v)).toEqual([1]);
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  });
});
