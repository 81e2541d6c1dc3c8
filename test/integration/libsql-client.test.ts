/**
 * libsqlClient(pool) as code written for createClient() uses it, on a libsql file: pool and a
 * sqlite: pool: the same answers, the same row objects, the same errors as @libsql/client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibsqlError } from '@libsql/client';
import { createPool, type Pool } from '../../src';
import { libsqlClient } from '../../src/integrations/libsql';
import { silentLogger } from '../../src/shared/logger';

let dir: string;
const pools: Pool[] = [];
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-libsql-client-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 2000 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([['file:'], ['sqlite:']] as const)('libsqlClient on a %s pool', (scheme) => {
  async function client() {
    const pool = createPool({ url: `${scheme}${join(dir, `client-${++n}.db`)}`, name: `libsql-client-${n}`, env: {}, profile: 'test', logger: silentLogger, max: 4, acquireTimeoutMs: 5000 });
    pools.push(pool);
    const c = libsqlClient(pool);
    await c.execute('CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, year INTEGER)');
    return { pool, c };
  }

  it('answers execute with positional and named arguments in libsql ResultSets', async () => {
    const { pool, c } = await client();
    const insert = await c.execute({ sql: 'INSERT INTO books (title, year) VALUES (?, ?)', args: ['Emma', 1815] });
    expect(insert).toMatchObject({ columns: [], rows: [], rowsAffected: 1, lastInsertRowid: 1n });
    await c.execute('INSERT INTO books (title, year) VALUES (:title, $year)', { title: 'Persuasion', $year: 1817 });
    const rs = await c.execute({ sql: 'SELECT id, title, id AS id FROM books WHERE year > $year ORDER BY id', args: { year: 1800 } });
    expect(rs.columns).toEqual(['id', 'title', 'id']);
    expect(rs.columnTypes).toEqual(['INTEGER', 'TEXT', 'INTEGER']);
    expect(rs.rowsAffected).toBe(0);
    expect(rs.lastInsertRowid).toBeUndefined();
    const [row] = rs.rows;
    expect([row.length, row[0], row[1], row.title, Object.keys(row)]).toEqual([3, 1, 'Emma', 'Emma', ['id', 'title']]);
    expect(JSON.parse(JSON.stringify(rs))).toMatchObject({ rows: [[1, 'Emma', 1], [2, 'Persuasion', 2]], lastInsertRowid: null });
    expect(c.protocol).toBe('file');
    expect(pool.stats().counters.acquires).toBeGreaterThanOrEqual(4);
  });

  it('runs a batch atomically and names the statement that failed', async () => {
    const { c } = await client();
    const err = await c.batch([{ sql: 'INSERT INTO books (title) VALUES (?)', args: ['kept?'] }, 'INSERT INTO nope VALUES (1)'], 'write').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibsqlError);
    expect(err).toMatchObject({ code: 'SQLITE_ERROR', statementIndex: 1 });
    expect((await c.execute('SELECT COUNT(*) AS n FROM books')).rows[0].n).toBe(0);
  });

  it('holds an interactive transaction until commit, rollback or close', async () => {
    const { c } = await client();
    const tx = await c.transaction('write');
    await tx.execute({ sql: 'INSERT INTO books (title) VALUES (?)', args: ['draft'] });
    expect((await c.execute('SELECT COUNT(*) AS n FROM books')).rows[0].n).toBe(0);
    await tx.rollback();
    expect(tx.closed).toBe(true);
    await expect(tx.execute('SELECT 1')).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
    const kept = await c.transaction('write');
    await kept.batch([{ sql: 'INSERT INTO books (title) VALUES (?)', args: ['one'] }]);
    await kept.executeMultiple("INSERT INTO books (title) VALUES ('two'); INSERT INTO books (title) VALUES ('three');");
    await kept.commit();
    const closed = await c.transaction('write');
    await closed.execute("INSERT INTO books (title) VALUES ('never')");
    closed.close();
    expect((await c.execute('SELECT title FROM books ORDER BY id')).rows.map((r) => r.title)).toEqual(['one', 'two', 'three']);
  });

  it('runs executeMultiple and migrate, refuses sync by name, and stops after close()', async () => {
    const { pool, c } = await client();
    await c.executeMultiple("INSERT INTO books (title) VALUES ('a'); INSERT INTO books (title) VALUES ('b');");
    const migrated = await c.migrate(['CREATE TABLE authors (id INTEGER PRIMARY KEY)', { sql: 'INSERT INTO authors VALUES (?)', args: [7] }]);
    expect(migrated).toHaveLength(2);
    expect((await c.execute('SELECT COUNT(*) AS n FROM books')).rows[0].n).toBe(2);
    await expect(c.sync()).rejects.toThrow(/sync\(\) is not supported/);
    await expect(c.transaction('sideways' as 'write')).rejects.toThrow(RangeError);
    c.close();
    expect(c.closed).toBe(true);
    await expect(c.execute('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    expect(pool.isClosed).toBe(false); // the pool is its creator's to close
  });

  it('raises libsql errors for driver errors on either pool', async () => {
    const { c } = await client();
    await c.execute("INSERT INTO books (id, title) VALUES (1, 'x')");
    const err = await c.execute("INSERT INTO books (id, title) VALUES (1, 'y')").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibsqlError);
    expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT' });
  });
});

it('refuses a pool of another database, naming it', () => {
  const pool = createPool({ url: 'postgres://postgres@127.0.0.1:5432/test', name: 'libsql-client-pg', env: {}, profile: 'test', logger: silentLogger, min: 0 });
  pools.push(pool);
  expect(() => libsqlClient(pool)).toThrow(/needs a libsql or sqlite pool; pool "libsql-client-pg" is a postgres pool/);
});
