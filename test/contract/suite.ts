import { createPool, PoolClosedError, type Pool, type PoolOptions, type PooledConnection } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { uniqueName } from '../helpers/databases';
import { eventually, type ContractTarget, type KnownConnection } from './target';

/**
 * The adapter contract, held against a real database: the same assertions for every adapter.
 * Call it from a thin *.contract.test.ts with a target from ./targets (or your own).
 */
export function runContractSuite(target: ContractTarget): void {
  const pools: Pool[] = [];
  const p = target.placeholder;

  const makePool = (options: PoolOptions = {}): Pool => {
    const pool = createPool({
      url: target.url(),
      name: uniqueName('contract'),
      env: {},
      profile: 'test',
      logger: silentLogger,
      max: 3,
      acquireTimeoutMs: 5000,
      connectTimeoutMs: 5000,
      testOnAcquire: false,
      ...target.poolOptions,
      ...options,
    });
    pools.push(pool);
    return pool;
  };

  const idOf = (pool: Pool) => pool.withConnection((conn) => target.connectionId(conn));
  const know = async (conn: PooledConnection): Promise<KnownConnection> => ({ id: await target.connectionId(conn), raw: conn.raw });

  /** A table of this test's own, dropped afterwards. */
  async function withTable(pool: Pool, body: (table: string) => Promise<void>): Promise<void> {
    const table = uniqueName('contract');
    await pool.query(`CREATE TABLE ${table} (id ${target.autoIdColumn}, tag VARCHAR(40), n INTEGER)`);
    try {
      await body(table);
    } finally {
      await pool.query(`DROP TABLE ${table}`);
    }
  }

  const count = async (q: Pick<Pool, 'query'> | PooledConnection, table: string, where = '1 = 1') =>
    Number((await q.query<{ c: number | string }>(`SELECT COUNT(*) AS c FROM ${table} WHERE ${where}`)).rows[0].c);

  target.describe(`adapter contract: ${target.label}`, () => {
    beforeAll(() => target.setup());
    afterEach(async () => {
      await Promise.all(pools.splice(0).map((pool) => pool.close({ timeoutMs: 2000 })));
    });
    afterAll(() => target.teardown());

    it('passes parameters through in the driver’s placeholder style', async () => {
      const pool = makePool();
      await withTable(pool, async (table) => {
        await pool.query(`INSERT INTO ${table} (tag, n) VALUES (${p(1)}, ${p(2)})`, ['it’s "quoted"; DROP TABLE x', 7]);
        const found = await pool.query<{ tag: string; n: number }>(`SELECT tag, n FROM ${table} WHERE n = ${p(1)}`, [7]);
        expect(found.rows).toEqual([{ tag: 'it’s "quoted"; DROP TABLE x', n: 7 }]);
      });
    });

    it('normalises results: rows as objects, rowCount, columns in order, lastInsertId where reported', async () => {
      const pool = makePool();
      await withTable(pool, async (table) => {
        const insert = await pool.query(`INSERT INTO ${table} (tag, n) VALUES (${p(1)}, ${p(2)})`, ['a', 1]);
        expect(insert.rows).toEqual([]);
        expect(insert.rowCount).toBe(1);
        if (target.reportsInsertId) expect(Number(insert.lastInsertId)).toBe(1);
        await pool.query(`INSERT INTO ${table} (tag, n) VALUES (${p(1)}, ${p(2)})`, ['b', 2]);
        const select = await pool.query<{ id: number; tag: string }>(`SELECT id, tag FROM ${table} ORDER BY id`);
        expect(select.rows.map((row) => ({ id: Number(row.id), tag: row.tag }))).toEqual([{ id: 1, tag: 'a' }, { id: 2, tag: 'b' }]);
        expect(select.rowCount).toBe(2);
        expect(select.columns).toEqual(['id', 'tag']);
        const update = await pool.query(`UPDATE ${table} SET n = n + 1`);
        expect(update.rowCount).toBe(2);
        const none = await pool.query(`SELECT id FROM ${table} WHERE n > 100`);
        expect(none).toMatchObject({ rows: [], rowCount: 0 });
      });
    });

    it("gives rows as arrays with rowMode 'array', keeping same-named columns in order, with the driver's fields", async () => {
      const pool = makePool();
      const arrays = await pool.query('SELECT 1 AS id, 2 AS id, 3 AS other', [], { rowMode: 'array' });
      expect(arrays.rows.map((row) => (row as unknown as unknown[]).map(Number))).toEqual([[1, 2, 3]]);
      expect(arrays.columns).toEqual(['id', 'id', 'other']);
      // fields only where the adapter describes columns (the built-in four do; the third-party example does not).
      if (arrays.fields !== undefined) expect(arrays.fields.map((field) => field.name)).toEqual(['id', 'id', 'other']);
      const objects = await pool.query('SELECT 1 AS id, 2 AS id, 3 AS other');
      expect(objects.columns).toEqual(['id', 'id', 'other']);
      expect(Array.isArray(objects.rows[0])).toBe(false);
      const onLease = await pool.withConnection((conn) => conn.query('SELECT 4 AS n', [], { rowMode: 'array' }));
      expect(onLease.rows.map((row) => (row as unknown as unknown[]).map(Number))).toEqual([[4]]);
      const inTx = await pool.transaction((tx) => tx.query('SELECT 5 AS n', [], { rowMode: 'array' }));
      expect(inTx.rows.map((row) => (row as unknown as unknown[]).map(Number))).toEqual([[5]]);
    });

    it('never lends again a connection its holder closed through the driver before releasing it', async () => {
      const pool = makePool({ max: 1 });
      const lease = await pool.acquire();
      const before = await target.connectionId(lease);
      // The driver's own close, not awaited: release() comes at once, as in a careless caller.
      void pool.adapter.close(lease.raw);
      lease.release();
      const next = await pool.acquire();
      expect(await target.connectionId(next)).not.toBe(before);
      next.release();
    });

    it('commits a transaction: every write in it is visible afterwards', async () => {
      const pool = makePool();
      await withTable(pool, async (table) => {
        const result = await pool.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} (tag, n) VALUES (${p(1)}, 1)`, ['c']);
          await tx.query(`INSERT INTO ${table} (tag, n) VALUES (${p(1)}, 2)`, ['c']);
          return 'done';
        });
        expect(result).toBe('done');
        expect(await count(pool, table)).toBe(2);
      });
    });

    it('rolls back a transaction whose function throws, and rethrows that error', async () => {
      const pool = makePool();
      await withTable(pool, async (table) => {
        const failure = new Error('changed my mind');
        await expect(
          pool.transaction(async (tx) => {
            await tx.query(`INSERT INTO ${table} (tag, n) VALUES ('r', 1)`);
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await count(pool, table)).toBe(0);
      });
    });

    it('never lets another connection see a write that is later rolled back', async () => {
      const pool = makePool();
      await withTable(pool, async (table) => {
        let inserted!: () => void;
        const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
        let finish!: () => void;
        const finished = new Promise<void>((resolve) => (finish = resolve));
        const writing = pool.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${table} (tag, n) VALUES ('ghost', 1)`);
          expect(await count(tx, table)).toBe(1);
          inserted();
          await finished;
          throw new Error('roll it back');
        });
        await insertedYet;
        expect(await count(pool, table)).toBe(0);
        expect(await pool.transaction((tx) => count(tx, table), { readOnly: true })).toBe(0);
        finish();
        await expect(writing).rejects.toThrow('roll it back');
        expect(await count(pool, table)).toBe(0);
      });
    });

    it('keeps concurrent transactions isolated: each sees its own writes, none sees another’s uncommitted ones', async () => {
      const pool = makePool({ max: 3 });
      await withTable(pool, async (table) => {
        let finishedBodies = 0;
        const seen: Array<{ own: number; others: number; finishedBefore: number }> = [];
        await Promise.all(
          Array.from({ length: 4 }, (_, worker) =>
            pool.transaction(async (tx) => {
              const tag = `w${worker}`;
              await tx.query(`INSERT INTO ${table} (tag, n) VALUES (${p(1)}, 1)`, [tag]);
              await new Promise((resolve) => setTimeout(resolve, 5));
              await tx.query(`INSERT INTO ${table} (tag, n) VALUES (${p(1)}, 2)`, [tag]);
              const others = await count(tx, table, `tag <> '${tag}'`);
              // Counted once the read has returned: a COMMIT is sent only after its body finished, so
              // a transaction whose rows that read could see had finished its body by now.
              const finishedBefore = finishedBodies;
              const own = await count(tx, table, `tag = '${tag}'`);
              seen.push({ own, others, finishedBefore });
              finishedBodies++;
            }),
          ),
        );
        for (const view of seen) {
          expect(view.own).toBe(2);
          // Another transaction is visible whole (both its rows) or not at all, and only once it finished.
          expect(view.others % 2).toBe(0);
          expect(view.others).toBeLessThanOrEqual(2 * view.finishedBefore);
        }
        expect(await count(pool, table)).toBe(8);
      });
    });

    it('destroys a connection that was broken for real and replaces it with a new one', async () => {
      const pool = makePool({ max: 1 });
      const destroyed: string[] = [];
      pool.on('destroy', (event) => destroyed.push(event.reason));
      const lease = await pool.acquire();
      const victim = await know(lease);
      await target.breakConnection(victim);
      const failure = await lease.query('SELECT 1').then(
        () => new Error('a query on a broken connection succeeded'),
        (err: unknown) => err,
      );
      expect(pool.adapter.isBroken(lease.raw, failure)).toBe(true);
      lease.release();
      expect(await eventually(async () => destroyed.includes('broken'))).toBe(true);
      const replacement = await idOf(pool);
      expect(replacement).not.toBe(victim.id);
      expect((await pool.query('SELECT 1 AS one')).rows.map((row) => Number(row.one))).toEqual([1]);
    });

    it('validates an idle connection before lending it, and replaces one that died while idle', async () => {
      const pool = makePool({ max: 1, testOnAcquire: true });
      const victim = await pool.withConnection(know);
      await target.breakConnection(victim);
      // Past the window in which a just-used connection is lent without a check.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const next = await idOf(pool);
      expect(next).not.toBe(victim.id);
      const { destroyed } = pool.stats().counters;
      expect(destroyed.validation + destroyed.broken).toBeGreaterThanOrEqual(1);
      expect((await pool.health()).status).toBe('healthy');
    });

    it('recycles a connection after maxUses acquisitions, as the database’s own connection id shows', async () => {
      const pool = makePool({ max: 1, maxUses: 3 });
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await idOf(pool));
      expect(ids[1]).toBe(ids[0]);
      expect(ids[2]).toBe(ids[0]);
      expect(ids[3]).not.toBe(ids[0]);
      expect(ids[4]).toBe(ids[3]);
      expect(pool.stats().counters.destroyed.maxUses).toBeGreaterThanOrEqual(1);
    });

    it('recycles a connection older than maxLifetimeMs, as the database’s own connection id shows', async () => {
      const pool = makePool({ max: 1, maxLifetimeMs: 400, evictionIntervalMs: 100 });
      const first = await idOf(pool);
      expect(await idOf(pool)).toBe(first);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await idOf(pool)).not.toBe(first);
      expect(pool.stats().counters.destroyed.lifetime).toBeGreaterThanOrEqual(1);
    });

    it('reports the server version', async () => {
      const pool = makePool();
      const info = await pool.withConnection((conn) => pool.adapter.serverInfo!(conn.raw));
      expect(info.version).toMatch(/\d+\.\d+/);
    });

    it('close() closes every connection on the database side and refuses new work', async () => {
      const pool = makePool({ max: 2 });
      const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
      const known = [await know(a), await know(b)];
      expect(known[0].id).not.toBe(known[1].id);
      a.release();
      b.release();
      await pool.close();
      for (const conn of known) expect(await eventually(async () => !(await target.isOpen(conn)))).toBe(true);
      await expect(pool.query('SELECT 1')).rejects.toBeInstanceOf(PoolClosedError);
    });
  });
}
