/**
 * libsqlClient(pool)'s "read" mode on a libsql file: pool and a sqlite: pool: as @libsql/client
 * documents it, it accepts only reads. A write in a "read" batch (wherever it stands) or in a
 * "read" transaction is a LibsqlError naming the statement, SQLITE_READONLY, and nothing is
 * written; SQL the writer lane cannot classify counts as a write. Reads still run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibsqlBatchError, LibsqlError } from '@libsql/client';
import { createPool, type Pool } from '../../src';
import { libsqlClient } from '../../src/integrations/libsql';
import { silentLogger } from '../../src/shared/logger';

let dir: string;
const pools: Pool[] = [];
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'w14-libsql-read-'));
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 2000 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([['file:'], ['sqlite:']] as const)('libsqlClient "read" mode on a %s pool', (scheme) => {
  async function client() {
    const pool = createPool({ url: `${scheme}${join(dir, `read-${++n}.db`)}`, name: `w14-libsql-read-${n}`, env: {}, profile: 'test', logger: silentLogger, max: 4, acquireTimeoutMs: 5000 });
    pools.push(pool);
    const c = libsqlClient(pool);
    await c.execute('CREATE TABLE t (n INTEGER)');
    await c.execute('INSERT INTO t VALUES (1)');
    const count = async () => Number((await c.execute('SELECT count(*) AS c FROM t')).rows[0].c);
    return { pool, c, count };
  }

  it('runs a batch of reads: SELECT, VALUES, WITH ... SELECT, EXPLAIN, PRAGMA without =', async () => {
    const { c } = await client();
    const results = await c.batch(['SELECT n FROM t', 'VALUES (2)', 'WITH x AS (SELECT 3 AS v) SELECT v FROM x', 'EXPLAIN SELECT 1', 'PRAGMA user_version'], 'read');
    expect(results).toHaveLength(5);
    expect(results[0].rows[0].n).toBe(1);
  });

  it.each([
    ['after a read', ['SELECT n FROM t', 'INSERT INTO t VALUES (2)'], 1],
    ['first', ['INSERT INTO t VALUES (2)', 'SELECT n FROM t'], 0],
    ['hidden in a WITH', ['WITH x AS (SELECT 2 AS v) INSERT INTO t SELECT v FROM x'], 0],
    ['as a PRAGMA that sets', ['SELECT 1', 'PRAGMA user_version = 7'], 1],
  ])('refuses a write %s: a LibsqlBatchError naming it, SQLITE_READONLY, and nothing is written', async (_where, stmts, index) => {
    const { c, count } = await client();
    const refused = await c.batch(stmts, 'read').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(LibsqlBatchError);
    expect(refused).toMatchObject({ code: 'SQLITE_READONLY', statementIndex: index });
    expect((refused as Error).message).toContain(`statement ${index} "${stmts[index]}"`);
    expect((refused as Error).message).toContain('batch(stmts, "read")');
    expect(await count()).toBe(1);
    expect(Number((await c.execute('PRAGMA user_version')).rows[0].user_version)).toBe(0);
  });

  it('counts SQL the lane cannot classify as a write', async () => {
    const { c, count } = await client();
    await expect(c.batch(['SELECT 1', 'REINDEX'], 'read')).rejects.toMatchObject({ code: 'SQLITE_READONLY', statementIndex: 1 });
    await expect(c.batch(['ANALYZE'], 'read')).rejects.toThrow(/statement 0 "ANALYZE" is not one/);
    expect(await count()).toBe(1);
    // The same statements run in a batch that may write.
    await c.batch(['SELECT 1', 'REINDEX'], 'write');
  });

  it('refuses a write in a "read" transaction, keeps the transaction for reads, and nothing is written', async () => {
    const { c, count } = await client();
    const tx = await c.transaction('read');
    await expect(tx.execute('INSERT INTO t VALUES (2)')).rejects.toThrow(LibsqlError);
    await expect(tx.execute({ sql: 'UPDATE t SET n = ?', args: [5] })).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
    await expect(tx.batch(['SELECT 1', 'DELETE FROM t'])).rejects.toMatchObject({ code: 'SQLITE_READONLY', statementIndex: 1 });
    await expect(tx.executeMultiple('SELECT 1; DELETE FROM t;')).rejects.toThrow(/executeMultiple\(\).*counts as a write/);
    expect(Number((await tx.execute('SELECT count(*) AS c FROM t')).rows[0].c)).toBe(1);
    await tx.commit();
    expect(await count()).toBe(1);
  });
});
