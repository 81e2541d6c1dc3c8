import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, LibsqlError, type Client } from '@libsql/client';
import type { EmbeddedLibsqlConnection } from '../../adapters/libsql-connection';
import { createPool, type Pool } from '../../src';
import { silentLogger } from '../../src/shared/logger';

/**
 * An embedded libsql file runs on the libsql Database itself (adapters/libsql-embedded.ts): the
 * statements that return no rows are kept prepared, nothing is thrown and caught on the way, and
 * what a caller sees (values, counts, errors) is what @libsql/client gives on the same file.
 */
let dir: string;
const pools: Pool[] = [];
const clients: Client[] = [];

function filePool(file: string, adapterOptions: Record<string, unknown> = {}): Pool {
  const pool = createPool({ url: `file:${join(dir, file)}`, env: {}, profile: 'test', logger: silentLogger, max: 1, adapterOptions });
  pools.push(pool);
  return pool;
}

function client(file: string, intMode: 'number' | 'bigint' | 'string' = 'number'): Client {
  const opened = createClient({ url: `file:${join(dir, file)}`, intMode });
  clients.push(opened);
  return opened;
}

interface Counted {
  prepared: string[];
  probes: number;
  restore(): void;
}

/** Counts libsql's prepare() by text, and raw() calls on statements that return no rows (each one throws). */
function countDriverCalls(): Counted {
  const Database = require('libsql') as { prototype: { prepare(sql: string): { raw(on?: boolean): unknown; reader: boolean } } };
  const prepare = Database.prototype.prepare;
  const counted: Counted = { prepared: [], probes: 0, restore: () => void (Database.prototype.prepare = prepare) };
  Database.prototype.prepare = function (this: unknown, sql: string) {
    counted.prepared.push(sql);
    const statement = prepare.call(this, sql);
    const raw = statement.raw;
    statement.raw = function (this: typeof statement, on?: boolean) {
      if (!statement.reader) counted.probes++;
      return raw.call(this, on);
    };
    return statement;
  };
  return counted;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-libsql-embedded-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  clients.splice(0).forEach((opened) => opened.close());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('libsql on an embedded file, on the libsql Database itself', () => {
  it('prepares a write transaction’s statements once per connection and probes none of them', async () => {
    const pool = filePool('kept.db');
    await pool.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
    await pool.query('INSERT INTO t VALUES (1, 0), (2, 0)');
    const transfer = () =>
      pool.transaction(async (tx) => {
        await tx.query('UPDATE t SET v = v - 1 WHERE id = ?', [1]);
        await tx.query('UPDATE t SET v = v + 1 WHERE id = ?', [2]);
      });
    await transfer();
    const counted = countDriverCalls();
    try {
      for (let i = 0; i < 5; i++) await transfer();
    } finally {
      counted.restore();
    }
    expect(counted.prepared).toEqual([]);
    expect(counted.probes).toBe(0);
    const rows = await pool.query<{ v: number }>('SELECT v FROM t ORDER BY id');
    expect(rows.rows.map((row) => row.v)).toEqual([-6, 6]);
  });

  it('a kept statement called with fewer arguments than before binds NULL, not the last call’s values', async () => {
    const pool = filePool('bindings.db');
    await pool.query('CREATE TABLE t (a INTEGER, b TEXT)');
    await pool.query('INSERT INTO t (a, b) VALUES (?, ?)', [1, 'one']);
    await pool.query('INSERT INTO t (a, b) VALUES (?, ?)', [2]);
    await pool.query('INSERT INTO t (a, b) VALUES (:a, :b)', { ':a': 3, ':b': 'three' } as never);
    await pool.query('INSERT INTO t (a, b) VALUES (:a, :b)', { ':a': 4 } as never);
    const rows = await pool.query('SELECT a, b FROM t ORDER BY a');
    expect(rows.rows).toEqual([
      { a: 1, b: 'one' },
      { a: 2, b: null },
      { a: 3, b: 'three' },
      { a: 4, b: null },
    ]);
  });

  it('SELECT * names the columns a table has now, after an ALTER TABLE from another connection', async () => {
    const pool = filePool('altered.db');
    await pool.query('CREATE TABLE t (a INTEGER, b INTEGER)');
    await pool.query('INSERT INTO t VALUES (1, 2)');
    await expect(pool.query('SELECT * FROM t')).resolves.toMatchObject({ columns: ['a', 'b'], rows: [{ a: 1, b: 2 }] });
    await client('altered.db').execute('ALTER TABLE t RENAME COLUMN b TO c');
    await expect(pool.query('SELECT * FROM t')).resolves.toMatchObject({ columns: ['a', 'c'], rows: [{ a: 1, c: 2 }] });
  });

  it('kept statements hold no lock: a checkpoint from outside empties the WAL, and DROP TABLE goes through after a kept SELECT', async () => {
    const file = join(dir, 'locks.db');
    const pool = createPool({ url: `file:${file}`, env: {}, profile: 'test', logger: silentLogger, max: 2 });
    pools.push(pool);
    await pool.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    // More rows than libsql fetches at once (100), so a read left unfinished would still be on its statement.
    for (let i = 0; i < 250; i++) await pool.query('INSERT INTO t (v) VALUES (?)', ['x'.repeat(500)]);
    // The same reading text kept on both connections, each run to its end.
    await Promise.all([pool.query('SELECT * FROM t WHERE id > ?', [0]), pool.query('SELECT * FROM t WHERE id > ?', [0])]);
    const Database = require('libsql') as new (path: string) => { prepare(sql: string): { raw(on: boolean): { all(): unknown[][] } }; close(): void };
    const outsider = new Database(file);
    try {
      // [busy, frames in the WAL, frames checkpointed]: 0 busy and an emptied WAL, so no reader held a snapshot.
      expect(outsider.prepare('PRAGMA wal_checkpoint(TRUNCATE)').raw(true).all()).toEqual([[0, 0, 0]]);
    } finally {
      outsider.close();
    }
    await pool.withConnection(async (lease) => {
      await lease.query('SELECT * FROM t WHERE id > ?', [0]);
      await lease.query('DROP TABLE t');
    });
  });

  it('gives the values, counts and types @libsql/client gives on the same file', async () => {
    const pool = filePool('values.db');
    const direct = client('values.db');
    await pool.query('CREATE TABLE v (id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, b BLOB, f INTEGER)');
    const insert = 'INSERT INTO v (n, r, s, b, f) VALUES (?, ?, ?, ?, ?)';
    const args = [42, 1.5, 'x', new Uint8Array([1, 2, 3]).buffer, true];
    const ours = await pool.query(insert, args);
    const theirs = await direct.execute({ sql: insert, args });
    expect(ours.rowCount).toBe(theirs.rowsAffected);
    expect(ours.lastInsertId).toBe(1n);
    expect(theirs.lastInsertRowid).toBe(2n);
    const read = 'SELECT id, n, r, s, b, f FROM v WHERE id = ?';
    const ourRow = (await pool.query(read, [1])).rows[0] as Record<string, unknown>;
    const theirResult = await direct.execute({ sql: read, args: [2] });
    const theirRow = theirResult.rows[0];
    for (const column of ['n', 'r', 's', 'f']) expect(ourRow[column]).toEqual(theirRow[column]);
    expect(new Uint8Array(ourRow.b as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    expect((await pool.query(read, [1])).columnTypes).toEqual(theirResult.columnTypes);
    // Named arguments with any of libsql's sigils.
    await expect(pool.query('SELECT :a AS a, @b AS b, $c AS c', { ':a': 1, '@b': 2, $c: 3 } as never)).resolves.toMatchObject({ rows: [{ a: 1, b: 2, c: 3 }] });
    await expect(pool.query('SELECT ? AS v', [undefined])).rejects.toThrow(TypeError);
  });

  it('reads integers beyond 2^53 as @libsql/client does in each intMode', async () => {
    const big = '9007199254740993';
    await filePool('ints.db').query(`CREATE TABLE i AS SELECT ${big} AS v`);
    for (const intMode of ['number', 'bigint', 'string'] as const) {
      const read = filePool('ints.db', { intMode }).query<{ v: unknown }>('SELECT v FROM i');
      const theirs = client('ints.db', intMode).execute('SELECT v FROM i');
      if (intMode === 'number') {
        await expect(read).rejects.toThrow(RangeError);
        await expect(theirs).rejects.toThrow(RangeError);
      } else {
        expect((await read).rows[0].v).toEqual((await theirs).rows[0].v);
      }
    }
  });

  it('raises the LibsqlError @libsql/client raises, with a stack', async () => {
    const pool = filePool('errors.db');
    const direct = client('errors.db');
    await pool.query('CREATE TABLE u (id INTEGER PRIMARY KEY)');
    await pool.query('INSERT INTO u VALUES (1)');
    const ours = await pool.query('INSERT INTO u VALUES (1)').catch((err: unknown) => err);
    const theirs = await direct.execute('INSERT INTO u VALUES (1)').catch((err: unknown) => err);
    expect(ours).toBeInstanceOf(LibsqlError);
    const pick = (err: unknown) => {
      const { code, extendedCode, rawCode, message } = err as LibsqlError;
      return { code, extendedCode, rawCode, message };
    };
    expect(pick(ours)).toEqual(pick(theirs));
    expect((ours as Error).stack).toContain('\n    at ');
    await expect(pool.query('SELEC 1')).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
  });

  it('an SQL BEGIN on a lease holds across its statements, and a closed database is never lent again', async () => {
    const pool = filePool('lease.db');
    await pool.query('CREATE TABLE t (v INTEGER)');
    await pool.withConnection(async (lease) => {
      await lease.query('BEGIN');
      await lease.query('INSERT INTO t VALUES (1)');
      await lease.query('ROLLBACK');
    });
    await expect(pool.query('SELECT count(*) AS n FROM t')).resolves.toMatchObject({ rows: [{ n: 0 }] });
    const first = await pool.acquire();
    const raw = first.raw as EmbeddedLibsqlConnection;
    raw.db.close();
    await expect(first.query('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
    first.release();
    const second = await pool.acquire();
    try {
      expect(second.raw).not.toBe(raw);
      await expect(second.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      second.release();
    }
  });
});
