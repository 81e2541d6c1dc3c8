import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, type Pool, type PoolOptions } from '../../src';
import { silentLogger } from '../../src/shared/logger';

let dir: string;
const pools: Pool[] = [];

function sqlitePool(file: string, options: PoolOptions = {}): Pool {
  const pool = createPool({ url: `sqlite:${join(dir, file)}`, env: {}, profile: 'test', logger: silentLogger, max: 4, acquireTimeoutMs: 10_000, ...options });
  pools.push(pool);
  return pool;
}

const pragma = async (pool: Pool, name: string) => Object.values((await pool.query(`PRAGMA ${name}`)).rows[0] as object)[0];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-sqlite-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlite adapter (better-sqlite3)', () => {
  it('passes ? placeholders through and reports rows, columns, changes and the last rowid', async () => {
    const pool = sqlitePool('shape.db');
    await pool.query('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, active INTEGER)');
    const insert = await pool.query('INSERT INTO t (name, active) VALUES (?, ?)', ['ada', true]);
    expect(insert).toEqual({ rows: [], rowCount: 1, columns: [], lastInsertId: 1 });
    const select = await pool.query('SELECT id, name, active FROM t WHERE name = ?', ['ada']);
    expect(select).toEqual({ rows: [{ id: 1, name: 'ada', active: 1 }], rowCount: 1, columns: ['id', 'name', 'active'], columnTypes: ['INTEGER', 'TEXT', 'INTEGER'] });
  });

  it('runs a script of several statements when it has no parameters', async () => {
    const pool = sqlitePool('script.db');
    await pool.query('CREATE TABLE a (v INTEGER); CREATE TABLE b (v INTEGER); INSERT INTO a VALUES (1);');
    expect((await pool.query<{ n: number }>('SELECT count(*) AS n FROM a')).rows[0].n).toBe(1);
  });

  it('opens every connection with WAL, synchronous NORMAL, a busy timeout and foreign keys on', async () => {
    const pool = sqlitePool('pragmas.db');
    expect(await pragma(pool, 'journal_mode')).toBe('wal');
    expect(await pragma(pool, 'synchronous')).toBe(1);
    expect(await pragma(pool, 'busy_timeout')).toBe(5000);
    expect(await pragma(pool, 'foreign_keys')).toBe(1);
  });

  it('applies cache_size, temp_store and mmap_size from adapterOptions.pragmas', async () => {
    const pool = sqlitePool('tuned.db', { adapterOptions: { pragmas: { cache_size: -8000, temp_store: 'MEMORY', mmap_size: 1048576, busy_timeout: 250 } } });
    expect(await pragma(pool, 'cache_size')).toBe(-8000);
    expect(await pragma(pool, 'temp_store')).toBe(2);
    expect(await pragma(pool, 'mmap_size')).toBe(1048576);
    expect(await pragma(pool, 'busy_timeout')).toBe(250);
  });

  it('enforces foreign keys by default', async () => {
    const pool = sqlitePool('fk.db');
    await pool.query('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent_id INTEGER REFERENCES parent(id));');
    await expect(pool.query('INSERT INTO child VALUES (?)', [42])).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  });

  it('shares the writer lane with an embedded libsql pool on the same file: 60 interleaved transactions, no SQLITE_BUSY', async () => {
    const sqlite = sqlitePool('shared.db', { max: 4 });
    const libsql = createPool({ url: `file:${join(dir, 'shared.db')}`, env: {}, profile: 'test', logger: silentLogger, max: 4, acquireTimeoutMs: 10_000 });
    pools.push(libsql);
    expect(sqlite.adapter.writerLaneKey).toBe(libsql.adapter.writerLaneKey);
    await sqlite.query('CREATE TABLE t (worker INTEGER, step INTEGER)');
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, worker) =>
        (worker % 2 ? sqlite : libsql).transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES (?, 1)', [worker]);
          await new Promise((resolve) => setTimeout(resolve, 1));
          await tx.query('INSERT INTO t VALUES (?, 2)', [worker]);
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect((await sqlite.query<{ n: number }>('SELECT count(*) AS n FROM t')).rows[0].n).toBe(120);
  });

  it('lets reads run while a write transaction holds the lane', async () => {
    const pool = sqlitePool('reads.db');
    await pool.query('CREATE TABLE t (v INTEGER)');
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    const writing = pool.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await pool.query<{ n: number }>('SELECT count(*) AS n FROM t')).rows[0].n).toBe(0);
    finish();
    await writing;
    expect((await pool.query<{ n: number }>('SELECT count(*) AS n FROM t')).rows[0].n).toBe(1);
  });

  it('runs an in-memory database on one connection', async () => {
    const pool = createPool({ url: 'sqlite::memory:', env: {}, profile: 'test', logger: silentLogger });
    pools.push(pool);
    expect(pool.config.max).toBe(1);
    await pool.query('CREATE TABLE t (v INTEGER)');
    await pool.query('INSERT INTO t VALUES (?)', [7]);
    expect((await pool.query('SELECT v FROM t')).rows).toEqual([{ v: 7 }]);
  });

  it('opens a file read-only with ?mode=ro', async () => {
    const writer = sqlitePool('ro.db');
    await writer.query('CREATE TABLE t (v INTEGER)');
    const reader = createPool({ url: `sqlite:${join(dir, 'ro.db')}?mode=ro`, env: {}, profile: 'test', logger: silentLogger });
    pools.push(reader);
    expect((await reader.query('SELECT count(*) AS n FROM t')).rows).toEqual([{ n: 0 }]);
    await expect(reader.query('INSERT INTO t VALUES (1)')).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
  });
});
